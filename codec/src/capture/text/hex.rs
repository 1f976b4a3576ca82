//! Plain hex: `00 00 00 07 67 …`, `0000000767…`, `0x00, 0x7b`, `\x00\x7b`, with `#` comments.
//!
//! Tokens are separated by whitespace, commas, semicolons or colons. A token is either
//! prefixed (`0x7b`, `\x7b`: one or two digits make one byte, longer runs must be even) or
//! bare (an even run of digits). A bare token with an odd digit count is an error, except when
//! it is alone on its line: then the text is taken as one long hex string wrapped at arbitrary
//! columns, and its last digit pairs with the first digit of the next line.

use alloc::string::String;
use alloc::vec::Vec;

use super::lines::{self, at, hex_val, push_hex, skip_hex, sub, Line};
use super::{TextError, TextErrorKind};

/// True for the characters that separate plain-hex tokens.
pub(crate) const fn is_separator(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b',' | b';' | b':' | b'\r' | 0x0b | 0x0c)
}

/// The part of a line before a `#` comment.
pub(crate) fn strip_comment(text: &str) -> &str {
    match text.find('#') {
        Some(i) => text.get(..i).unwrap_or(text),
        None => text,
    }
}

/// A digit left over at the end of a line, waiting for the next line's first digit.
struct Pending {
    nibble: u8,
    line: usize,
    column: usize,
    token: String,
}

impl Pending {
    fn error(self) -> TextError {
        TextError::new(
            self.line,
            self.column,
            TextErrorKind::OddHexDigits { digits: self.token },
        )
    }
}

pub(crate) fn parse_plain(text: &str) -> Result<Vec<u8>, TextError> {
    let mut out = Vec::with_capacity(text.len() / 2);
    let mut pending: Option<Pending> = None;
    for line in lines::lines(text) {
        let body = strip_comment(line.text);
        let s = body.as_bytes();
        let tokens = count_tokens(s);
        if tokens == 0 {
            continue;
        }
        let mut i = 0;
        while i < s.len() {
            if at(s, i).is_some_and(is_separator) {
                i += 1;
                continue;
            }
            let start = i;
            while at(s, i).is_some_and(|b| !is_separator(b)) {
                i += 1;
            }
            token(line, s, start, i, tokens == 1, &mut pending, &mut out)?;
        }
    }
    match pending {
        Some(p) => Err(p.error()),
        None => Ok(out),
    }
}

fn count_tokens(s: &[u8]) -> usize {
    let mut n = 0;
    let mut in_token = false;
    for &b in s {
        let sep = is_separator(b);
        if !sep && !in_token {
            n += 1;
        }
        in_token = !sep;
    }
    n
}

/// One token `s[start..end]` of `line`.
fn token(
    line: Line<'_>,
    s: &[u8],
    start: usize,
    end: usize,
    alone: bool,
    pending: &mut Option<Pending>,
    out: &mut Vec<u8>,
) -> Result<(), TextError> {
    let mut i = start;
    let prefix = |i: usize| -> usize {
        match (at(s, i), at(s, i + 1)) {
            (Some(b'0'), Some(b'x' | b'X')) | (Some(b'\\'), Some(b'x' | b'X')) => 2,
            _ => 0,
        }
    };
    if prefix(i) == 0 {
        // A bare run of digits.
        let digits_end = skip_hex(s, i);
        if digits_end < end {
            return Err(TextError::expected(line, digits_end, "a hex digit"));
        }
        let mut digits = sub(s, i, end);
        if let Some(p) = pending.take() {
            if !alone {
                return Err(p.error());
            }
            let (first, rest) = digits.split_first().unwrap_or((&0, &[]));
            out.push((p.nibble << 4) | hex_val(*first).unwrap_or(0));
            digits = rest;
        }
        let even = digits.len() & !1;
        push_hex(sub(digits, 0, even), out);
        if even < digits.len() {
            let last = digits.last().copied().unwrap_or(b'0');
            let token_text = String::from_utf8_lossy(sub(s, start, end)).into_owned();
            let p = Pending {
                nibble: hex_val(last).unwrap_or(0),
                line: line.no,
                column: lines::column(line.text, start),
                token: token_text,
            };
            if !alone {
                return Err(p.error());
            }
            *pending = Some(p);
        }
        return Ok(());
    }
    if let Some(p) = pending.take() {
        return Err(p.error());
    }
    // One or more prefixed pieces: `0x7b`, `\x00\x7b`.
    while i < end {
        let p = prefix(i);
        if p == 0 {
            return Err(TextError::expected(
                line,
                i,
                "`0x` or `\\x` before hex digits",
            ));
        }
        let digits_start = i + p;
        let digits_end = skip_hex(s, digits_start).min(end);
        let digits = sub(s, digits_start, digits_end);
        match digits.len() {
            0 => return Err(TextError::expected(line, digits_start, "a hex digit")),
            1 => out.push(digits.first().copied().and_then(hex_val).unwrap_or(0)),
            n if n % 2 == 0 => push_hex(digits, out),
            _ => {
                return Err(TextError::at(
                    line,
                    i,
                    TextErrorKind::OddHexDigits {
                        digits: String::from_utf8_lossy(digits).into_owned(),
                    },
                ))
            }
        }
        i = digits_end;
        if i < end && prefix(i) == 0 {
            return Err(TextError::expected(line, i, "a hex digit"));
        }
    }
    Ok(())
}

/// True if `text` is plain hex: only hex digits, separators, `0x`/`\x` prefixes and `#`
/// comment text, with at least two hex digits.
pub(crate) fn is_plain_hex(text: &str) -> bool {
    let mut digits = 0usize;
    for line in lines::lines(text) {
        let s = strip_comment(line.text).as_bytes();
        let mut i = 0;
        while let Some(b) = at(s, i) {
            if b.is_ascii_hexdigit() {
                // `0x` / `0X` prefix.
                if b == b'0' && matches!(at(s, i + 1), Some(b'x' | b'X')) {
                    i += 2;
                    continue;
                }
                digits += 1;
            } else if b == b'\\' && matches!(at(s, i + 1), Some(b'x' | b'X')) {
                i += 1;
            } else if !is_separator(b) {
                return false;
            }
            i += 1;
        }
    }
    digits >= 2
}
