//! Line iteration and small scanning helpers shared by the format parsers.

use alloc::string::String;

/// One line of the text, without its line ending.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Line<'a> {
    /// 1-based line number.
    pub no: usize,
    /// The line's text, without `\n` / `\r\n`.
    pub text: &'a str,
}

/// The lines of `text` (`\n` or `\r\n` endings).
pub(crate) fn lines(text: &str) -> impl Iterator<Item = Line<'_>> {
    text.split('\n').enumerate().map(|(i, l)| Line {
        no: i + 1,
        text: l.strip_suffix('\r').unwrap_or(l),
    })
}

/// 1-based character column of byte index `byte` in `line`.
pub(crate) fn column(line: &str, byte: usize) -> usize {
    let mut byte = byte.min(line.len());
    while !line.is_char_boundary(byte) {
        byte -= 1;
    }
    line.get(..byte).map_or(byte, |s| s.chars().count()) + 1
}

/// A short excerpt of `line` from byte index `byte`: up to the next whitespace, at most 16
/// characters.
pub(crate) fn excerpt(line: &str, byte: usize) -> String {
    let mut byte = byte.min(line.len());
    while !line.is_char_boundary(byte) {
        byte -= 1;
    }
    let rest = line.get(byte..).unwrap_or("");
    let mut out = String::new();
    for (n, c) in rest.chars().enumerate() {
        if c.is_whitespace() || n >= 16 {
            break;
        }
        out.push(c);
    }
    if out.is_empty() {
        // A lone separator or bracket: show that single character.
        if let Some(c) = rest.chars().next().filter(|c| !c.is_whitespace()) {
            out.push(c);
        }
    }
    out
}

/// Value of one ASCII hex digit.
pub(crate) const fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Byte at `i`, if any.
#[inline]
pub(crate) fn at(s: &[u8], i: usize) -> Option<u8> {
    s.get(i).copied()
}

/// Index of the first byte at or after `i` that is not a space or tab.
pub(crate) fn skip_blanks(s: &[u8], mut i: usize) -> usize {
    while matches!(at(s, i), Some(b' ' | b'\t')) {
        i += 1;
    }
    i
}

/// Index of the first byte at or after `i` that is not an ASCII hex digit.
pub(crate) fn skip_hex(s: &[u8], mut i: usize) -> usize {
    while at(s, i).is_some_and(|b| b.is_ascii_hexdigit()) {
        i += 1;
    }
    i
}

/// Index of the first byte at or after `i` that is not an ASCII decimal digit.
pub(crate) fn skip_digits(s: &[u8], mut i: usize) -> usize {
    while at(s, i).is_some_and(|b| b.is_ascii_digit()) {
        i += 1;
    }
    i
}

/// `s[from..to]`, empty when out of range.
#[inline]
pub(crate) fn sub(s: &[u8], from: usize, to: usize) -> &[u8] {
    s.get(from..to).unwrap_or(&[])
}

/// `s[from..]` as text, empty when out of range or not on a character boundary.
#[inline]
pub(crate) fn tail(s: &str, from: usize) -> &str {
    s.get(from..).unwrap_or("")
}

/// Appends the bytes spelled by `digits` (an even number of hex digits, already checked).
pub(crate) fn push_hex(digits: &[u8], out: &mut alloc::vec::Vec<u8>) {
    for pair in digits.chunks_exact(2) {
        let hi = pair.first().copied().and_then(hex_val).unwrap_or(0);
        let lo = pair.get(1).copied().and_then(hex_val).unwrap_or(0);
        out.push((hi << 4) | lo);
    }
}

/// Parses hex digits as a number (at most 16 digits).
pub(crate) fn hex_number(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 16 {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        v = (v << 4) | u64::from(hex_val(d)?);
    }
    Some(v)
}

/// Parses digits in `radix` (8, 10 or 16) as a number, failing on overflow.
pub(crate) fn radix_number(digits: &[u8], radix: u32) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        let digit = u64::from(hex_val(d)?);
        if digit >= u64::from(radix) {
            return None;
        }
        v = v.checked_mul(u64::from(radix))?.checked_add(digit)?;
    }
    Some(v)
}

/// Parses decimal digits as a number, failing on overflow.
pub(crate) fn dec_number(digits: &[u8]) -> Option<u64> {
    radix_number(digits, 10).filter(|_| digits.iter().all(u8::is_ascii_digit))
}

/// How hex dumps render a byte in their ASCII column.
pub(crate) const fn printable(b: u8) -> u8 {
    if b >= 0x20 && b < 0x7f {
        b
    } else {
        b'.'
    }
}

/// True if `ascii` (an ASCII column, delimiters already removed) shows `bytes`, ignoring
/// whitespace on both sides (tools pad and split the column with spaces). A space byte may be
/// shown as a space (xxd, hexdump, Wireshark) or as a dot (tcpdump).
pub(crate) fn ascii_shows(ascii: &str, bytes: &[u8]) -> bool {
    ascii_shows_as(ascii, bytes, b' ')
        || (bytes.contains(&b' ') && ascii_shows_as(ascii, bytes, b'.'))
}

fn ascii_shows_as(ascii: &str, bytes: &[u8], space: u8) -> bool {
    let mut shown = ascii.bytes().filter(|b| !b.is_ascii_whitespace());
    let mut expected = bytes
        .iter()
        .map(|&b| if b == b' ' { space } else { printable(b) })
        .filter(|b| !b.is_ascii_whitespace());
    loop {
        match (shown.next(), expected.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
    }
}
