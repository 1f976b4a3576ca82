//! C-style byte arrays: gdb's `p/x buf` / `p buf` output, gdb's `x/Nxb` examine output, and
//! `xxd -i` include files.
//!
//! ```text
//! $1 = {0x0, 0x0, 0x0, 0x7b, 0x1, 0x0 <repeats 11 times>, 0x73}
//! $2 = "\000\000\000{\001", '\000' <repeats 11 times>, "supp"
//! 0x7fffffffe3c0: 0x00    0x00    0x00    0x7b    0x01    0x00    0x00    0x00
//! unsigned char frame_bin[] = {
//!   0x00, 0x00, 0x00, 0x7b, …
//! };
//! ```
//!
//! Inside braces an element is a number (`0x7b`, `123`, `-1` → 0xff; gdb's `0 '\000'` char
//! annotation is skipped), a character literal or a string literal (C escapes, octal
//! `\NNN`), optionally followed by `<repeats N times>`. Nested braces (2-D arrays) are
//! flattened. Outside braces everything is ignored (`$1 =`, declarations, `;`), except string
//! literals on a `$N = ` line. Several arrays are concatenated.

use alloc::string::String;
use alloc::vec::Vec;

use super::lines::{self, at, skip_blanks, skip_digits, skip_hex, sub, Line};
use super::{Expansion, TextBytes, TextError, TextErrorKind, TextWarningKind, Warnings};
use crate::Span;

/// An `x/Nxb` line: `0x7ffd…[ <sym+8>]:` → index after the colon.
pub(crate) fn examine_line(s: &[u8]) -> Option<usize> {
    let i = skip_blanks(s, 0);
    if sub(s, i, i + 2) != b"0x" {
        return None;
    }
    let mut end = skip_hex(s, i + 2);
    if end == i + 2 {
        return None;
    }
    let after = skip_blanks(s, end);
    if at(s, after) == Some(b'<') {
        end = s
            .iter()
            .skip(after)
            .position(|&b| b == b'>')
            .map(|n| after + n + 1)?;
    }
    if at(s, end) != Some(b':') {
        return None;
    }
    let first = skip_blanks(s, end + 1);
    (sub(s, first, first + 2) == b"0x").then_some(end + 1)
}

/// A `$N = ` gdb value line: index after `= `.
fn value_line(s: &[u8]) -> Option<usize> {
    let i = skip_blanks(s, 0);
    if at(s, i) != Some(b'$') {
        return None;
    }
    let digits = skip_digits(s, i + 1);
    if digits == i + 1 {
        return None;
    }
    let eq = skip_blanks(s, digits);
    (at(s, eq) == Some(b'=')).then(|| skip_blanks(s, eq + 1))
}

struct Parser<'w> {
    out: Vec<u8>,
    depth: usize,
    expansion: Expansion,
    warnings: &'w mut Warnings,
}

pub(crate) fn parse(text: &str, warnings: &mut Warnings) -> Result<Vec<u8>, TextError> {
    let mut p = Parser {
        out: Vec::new(),
        depth: 0,
        expansion: Expansion::default(),
        warnings,
    };
    for line in lines::lines(text) {
        let s = line.text.as_bytes();
        // gdb's prompt lines are commands (`p/x {char[4]} buf` has braces of its own).
        if line.text.trim_start().starts_with("(gdb)") {
            continue;
        }
        if p.depth == 0 {
            if let Some(start) = examine_line(s) {
                p.examine(line, start)?;
                continue;
            }
        }
        p.line(line)?;
    }
    Ok(p.out)
}

impl Parser<'_> {
    /// The bytes of an `x/Nxb` line: `0xHH` tokens separated by blanks.
    fn examine(&mut self, line: Line<'_>, start: usize) -> Result<(), TextError> {
        let s = line.text.as_bytes();
        let mut i = skip_blanks(s, start);
        while i < s.len() {
            if sub(s, i, i + 2) != b"0x" {
                return Err(TextError::expected(line, i, "a `0x` byte"));
            }
            let end = skip_hex(s, i + 2);
            let value = lines::hex_number(sub(s, i + 2, end));
            match value {
                Some(v) if v <= 0xff && end > i + 2 => self.out.push(v as u8),
                _ if end == i + 2 => return Err(TextError::expected(line, end, "a hex digit")),
                _ => {
                    return Err(TextError::at(
                        line,
                        i,
                        TextErrorKind::ByteOutOfRange {
                            value: lines::excerpt(line.text, i),
                        },
                    ))
                }
            }
            if !matches!(at(s, end), None | Some(b' ' | b'\t')) {
                return Err(TextError::expected(line, end, "a hex digit"));
            }
            i = skip_blanks(s, end);
        }
        Ok(())
    }

    /// gdb's `...`: bytes are missing here (at the end of what it printed so far).
    fn truncated(&mut self, line: usize) {
        let at = TextBytes {
            part: 0,
            peer: None,
            span: Span::at(self.out.len(), 0),
        };
        self.warnings
            .push_at(line, TextWarningKind::Truncated, Some(at));
    }

    fn line(&mut self, line: Line<'_>) -> Result<(), TextError> {
        let s = line.text.as_bytes();
        let mut i = 0;
        // Top-level strings count on `$N = "…"` lines (gdb printing a char pointer).
        let top_strings = value_line(s).is_some();
        while i < s.len() {
            let b = at(s, i).unwrap_or(0);
            if self.depth == 0 {
                match b {
                    b'{' => self.depth = 1,
                    b'"' if top_strings => {
                        i = self.element(line, i)?;
                        continue;
                    }
                    b'.' if top_strings && sub(s, i, i + 3) == b"..." => {
                        self.truncated(line.no);
                        i += 3;
                        continue;
                    }
                    _ => {}
                }
                i += 1;
                continue;
            }
            match b {
                b' ' | b'\t' | b',' => i += 1,
                b'{' => {
                    self.depth += 1;
                    i += 1;
                }
                b'}' => {
                    self.depth -= 1;
                    i += 1;
                }
                b'.' if sub(s, i, i + 3) == b"..." => {
                    self.truncated(line.no);
                    i += 3;
                }
                _ => i = self.element(line, i)?,
            }
        }
        Ok(())
    }

    /// One element at `i` (number, char or string literal) with its optional repeat count;
    /// returns the index after it.
    fn element(&mut self, line: Line<'_>, i: usize) -> Result<usize, TextError> {
        let s = line.text.as_bytes();
        let start = self.out.len();
        let mut end = match at(s, i) {
            Some(b'"') => self.string(line, i)?,
            Some(b'\'') => self.char_literal(line, i)?,
            Some(b'-' | b'0'..=b'9') => {
                let end = self.number(line, i)?;
                // gdb annotates char values: `0 '\000'`, `123 '{'`.
                let j = skip_blanks(s, end);
                if at(s, j) == Some(b'\'') {
                    let mut scratch = Vec::new();
                    core::mem::swap(&mut scratch, &mut self.out);
                    let after = self.char_literal(line, j);
                    core::mem::swap(&mut scratch, &mut self.out);
                    after?
                } else {
                    end
                }
            }
            _ => {
                return Err(TextError::expected(
                    line,
                    i,
                    "a number, a quoted string or `}`",
                ))
            }
        };
        // `<repeats N times>`: the element stands for N copies.
        let j = skip_blanks(s, end);
        if sub(s, j, j + 9) == b"<repeats " {
            let n_start = j + 9;
            let n_end = skip_digits(s, n_start);
            let count = lines::dec_number(sub(s, n_start, n_end));
            let close = sub(s, n_end, n_end + 7) == b" times>";
            let Some(count) = count.filter(|_| close) else {
                return Err(TextError::expected(line, n_start, "`<repeats N times>`"));
            };
            let pattern: Vec<u8> = sub(&self.out, start, self.out.len()).to_vec();
            let extra = count.saturating_sub(1).saturating_mul(pattern.len() as u64);
            self.expansion
                .repeat(&mut self.out, &pattern, extra, line.no)?;
            end = n_end + 7;
        }
        Ok(end)
    }

    /// A number: `0x7b`, `123`, `-1`.
    fn number(&mut self, line: Line<'_>, i: usize) -> Result<usize, TextError> {
        let s = line.text.as_bytes();
        let negative = at(s, i) == Some(b'-');
        let digits_start = if negative { i + 1 } else { i };
        let (value, end) = if sub(s, digits_start, digits_start + 2).eq_ignore_ascii_case(b"0x") {
            let end = skip_hex(s, digits_start + 2);
            (lines::hex_number(sub(s, digits_start + 2, end)), end)
        } else {
            let end = skip_digits(s, digits_start);
            (lines::dec_number(sub(s, digits_start, end)), end)
        };
        if at(s, end).is_some_and(|b| b.is_ascii_alphanumeric()) {
            return Err(TextError::expected(line, end, "a digit"));
        }
        let byte = match value {
            Some(v) if !negative && v <= 0xff => Some(v as u8),
            Some(v) if negative && v <= 0x80 => Some((v as u8).wrapping_neg()),
            _ => None,
        };
        let Some(byte) = byte else {
            return Err(TextError::element_out_of_range(line, i));
        };
        self.out.push(byte);
        Ok(end)
    }

    /// `'x'`, `'\000'`, `'\n'` → one byte (or the UTF-8 bytes of the character).
    fn char_literal(&mut self, line: Line<'_>, i: usize) -> Result<usize, TextError> {
        let end = self.quoted(line, i, b'\'')?;
        Ok(end)
    }

    /// `"…"` → its bytes.
    fn string(&mut self, line: Line<'_>, i: usize) -> Result<usize, TextError> {
        self.quoted(line, i, b'"')
    }

    /// A quoted literal starting at `i` (the opening quote); appends its bytes.
    fn quoted(&mut self, line: Line<'_>, i: usize, quote: u8) -> Result<usize, TextError> {
        let s = line.text.as_bytes();
        let mut j = i + 1;
        loop {
            match at(s, j) {
                None => {
                    let what = if quote == b'"' {
                        "a closing `\"`"
                    } else {
                        "a closing `'`"
                    };
                    return Err(TextError::expected(line, j, what));
                }
                Some(b) if b == quote => return Ok(j + 1),
                Some(b'\\') => j = self.escape(line, j)?,
                Some(b) => {
                    self.out.push(b);
                    j += 1;
                }
            }
        }
    }

    /// A C escape at `j` (the backslash); returns the index after it.
    fn escape(&mut self, line: Line<'_>, j: usize) -> Result<usize, TextError> {
        let s = line.text.as_bytes();
        let Some(c) = at(s, j + 1) else {
            return Err(TextError::expected(line, j + 1, "an escape character"));
        };
        let simple = match c {
            b'\\' | b'"' | b'\'' | b'?' => Some(c),
            b'a' => Some(7),
            b'b' => Some(8),
            b'f' => Some(12),
            b'n' => Some(10),
            b'r' => Some(13),
            b't' => Some(9),
            b'v' => Some(11),
            b'e' => Some(27),
            _ => None,
        };
        if let Some(v) = simple {
            self.out.push(v);
            return Ok(j + 2);
        }
        if (b'0'..=b'7').contains(&c) {
            let mut end = j + 1;
            let mut v: u32 = 0;
            while end < j + 4 && at(s, end).is_some_and(|d| (b'0'..=b'7').contains(&d)) {
                v = v * 8 + u32::from(at(s, end).unwrap_or(b'0') - b'0');
                end += 1;
            }
            let Ok(byte) = u8::try_from(v) else {
                return Err(TextError::at(
                    line,
                    j,
                    TextErrorKind::ByteOutOfRange {
                        value: String::from_utf8_lossy(sub(s, j, end)).into_owned(),
                    },
                ));
            };
            self.out.push(byte);
            return Ok(end);
        }
        if c == b'x' {
            let end = skip_hex(s, j + 2);
            let digits = sub(s, j + 2, end);
            return match lines::hex_number(digits) {
                Some(v) if v <= 0xff => {
                    self.out.push(v as u8);
                    Ok(end)
                }
                None => Err(TextError::expected(line, j + 2, "a hex digit")),
                Some(_) => Err(TextError::at(
                    line,
                    j,
                    TextErrorKind::ByteOutOfRange {
                        value: String::from_utf8_lossy(sub(s, j, end)).into_owned(),
                    },
                )),
            };
        }
        Err(TextError::expected(
            line,
            j + 1,
            "a C escape (\\n, \\000, \\x41, …)",
        ))
    }
}
