//! How the engine shows things to people, one way for every layer and surface: numbers with
//! a fixed count of decimals ([`Fixed`]), bytes from an input as text ([`text`], [`Text`]),
//! and text from an input made safe to show ([`escape`]).
//!
//! Text from an input, made safe to show: every message of every layer that quotes a capture
//! (a string sent on the wire, an excerpt of pasted text) goes through here, and so do the
//! surfaces' own last lines of defence (the CLI's standard error). Bytes read off the wire
//! (names, keys, STRING values) read the same wherever they are shown (a frame's summary, its
//! fields, a finding): valid UTF-8 as itself (`café`), any byte that is not valid UTF-8 as
//! `\xNN` (so nothing is lost to U+FFFD), controls and bidirectional formatting escaped.
//!
//! Inputs are untrusted. Control characters (C0, DEL, C1: a terminal acts on `ESC [`, and on
//! U+009B and U+009D as CSI and OSC) could retitle or clear a terminal and print something
//! that is not there; the Unicode bidirectional formatting characters (marks, embeddings,
//! overrides, isolates) reorder what a terminal, a page or a report shows around them. Both
//! are written as Rust escapes (`\u{1b}`, `\u{202e}`), which are plain ASCII and cannot be
//! mistaken for the character. Escaping is idempotent on its own output: a backslash is not
//! escaped, so a message escaped twice reads the same.

use alloc::borrow::Cow;
use alloc::string::String;
use core::fmt;

/// Control characters (C0, DEL and C1), and the Unicode bidirectional formatting characters
/// (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069).
pub fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every character of [`needs_escape`] written as `\u{…}`; borrowed when there is
/// none.
///
/// ```
/// use spop_codec::display::escape;
/// assert_eq!(escape("plain"), "plain");
/// assert_eq!(escape("\u{1b}]0;pwned\u{7}\u{9b}2J"), "\\u{1b}]0;pwned\\u{7}\\u{9b}2J");
/// ```
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if needs_escape(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Input bytes as text for people: [`Text`] as a `String`.
///
/// ```
/// use spop_codec::display::text;
/// assert_eq!(text(b"caf\xc3\xa9"), "café");
/// assert_eq!(text(b"\xff<x>\x1b"), "\\xff<x>\\u{1b}");
/// ```
pub fn text(bytes: &[u8]) -> String {
    use alloc::string::ToString;
    Text(bytes).to_string()
}

/// Displays input bytes as text, without allocating: each run of valid UTF-8 as itself
/// (controls and bidi characters escaped as [`escape`] does), each byte that is not part of
/// valid UTF-8 as `\xNN`, and `\` and `"` as `\\` and `\"`, so that the text reads back to one
/// byte string only (the bytes `\xff` are not the byte 0xFF, a quote inside a quoted value
/// does not end it). The one rendering of bytes read off the wire, in every layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Text<'a>(pub &'a [u8]);

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write as _;
        for chunk in self.0.utf8_chunks() {
            for c in chunk.valid().chars() {
                match c {
                    '\\' => f.write_str("\\\\")?,
                    '"' => f.write_str("\\\"")?,
                    c if needs_escape(c) => {
                        for e in c.escape_unicode() {
                            f.write_char(e)?;
                        }
                    }
                    c => f.write_char(c)?,
                }
            }
            for b in chunk.invalid() {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

/// Displays a `&str` [`escape`]d, without allocating: for `write!` into a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Escaped<'a>(pub &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some((i, c)) = rest.char_indices().find(|&(_, c)| needs_escape(c)) {
            f.write_str(rest.get(..i).unwrap_or(""))?;
            for e in c.escape_unicode() {
                fmt::Write::write_char(f, e)?;
            }
            rest = rest.get(i + c.len_utf8()..).unwrap_or("");
        }
        f.write_str(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn controls_and_bidi_are_escaped() {
        assert_eq!(text(b"plain <b> & 'q'"), "plain <b> & 'q'");
        // One reading only: a backslash and a quote are escaped, so the four bytes `\xff`
        // do not read as the byte 0xFF, nor a quote as the end of a quoted value.
        assert_eq!(text(b"\\xff \xff"), "\\\\xff \\xff");
        assert_eq!(text(b"a\" b=\"c"), "a\\\" b=\\\"c");
        assert_eq!(
            text("\u{202e}gnp.exe\x1b[31m\n\u{2066}".as_bytes()),
            "\\u{202e}gnp.exe\\u{1b}[31m\\u{a}\\u{2066}"
        );
        // Bytes that are not UTF-8 are shown, not replaced: a cut character, a stray byte.
        assert_eq!(text(b"\xff<x>"), "\\xff<x>");
        assert_eq!(text(b"caf\xc3\xa9 caf\xc3"), "café caf\\xc3");
        assert_eq!(text(b"\xe4\xb8\xad\xe6\x96"), "中\\xe6\\x96");
        // C1 controls (CSI, OSC, NEL), DEL and the bidi marks too.
        assert_eq!(
            escape("\u{9b}2J\u{9d}0;t\u{85}\u{7f}\u{200f}\u{61c}"),
            "\\u{9b}2J\\u{9d}0;t\\u{85}\\u{7f}\\u{200f}\\u{61c}"
        );
        // What is not a control stays, including text that only looks like an escape.
        assert_eq!(escape("é ü 中 \\u{1b} \u{2060}"), "é ü 中 \\u{1b} \u{2060}");
    }

    #[test]
    fn escaped_displays_as_escape_and_is_idempotent() {
        for s in [
            "",
            "x",
            "\u{1b}",
            "a\u{1b}[2Jb\u{202e}c\u{9b}",
            "ok\u{7}",
            "中\u{85}文",
        ] {
            assert_eq!(Escaped(s).to_string(), escape(s), "{s:?}");
            assert_eq!(escape(&escape(s)), escape(s), "{s:?}");
        }
    }
}

/// A number shown with a fixed count of decimals, like `{:.N}` but printed with integer
/// arithmetic: exact for the integer nanoseconds the engine counts in (no detour through a
/// binary fraction), and less code in the web page's wasm than the float printer's exact
/// path.
///
/// Rounds half away from zero. Honours width and alignment (`{:>11}`); the precision is the
/// one given here.
///
/// ```
/// use spop_codec::display::Fixed;
/// assert_eq!(Fixed::ratio(1_234_567_890, 9, 6).to_string(), "1.234568"); // ns as seconds
/// assert_eq!(Fixed::ratio(2_500_000, 6, 3).to_string(), "2.500"); // ns as ms
/// assert_eq!(Fixed::of(-0.05, 1).to_string(), "-0.1");
/// assert_eq!(format!("{:>7}", Fixed::of(3.14159, 2)), "   3.14");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fixed {
    negative: bool,
    /// The magnitude times 10^digits.
    scaled: u64,
    digits: u8,
}

/// Decimals beyond this are not shown (10^19 overflows u64).
const MAX_DIGITS: u8 = 18;

fn pow10(k: u8) -> u64 {
    10u64.saturating_pow(u32::from(k))
}

impl Fixed {
    /// `n / 10^unit` with `digits` decimals: `ratio(ns, 9, 6)` is a time in seconds to the µs.
    /// More decimals than `unit` pad with zeros; the scaled value saturates at `u64::MAX`.
    pub fn ratio(n: u64, unit: u8, digits: u8) -> Fixed {
        let digits = digits.min(MAX_DIGITS);
        let scaled = if unit >= digits {
            let d = pow10(unit - digits);
            // Half up, without overflowing near u64::MAX.
            n / d + u64::from(n % d >= d - d / 2)
        } else {
            n.saturating_mul(pow10(digits - unit))
        };
        Fixed {
            negative: false,
            scaled,
            digits,
        }
    }

    /// `x` with `digits` decimals. NaN shows as 0; beyond ±1.8e19 the value saturates.
    pub fn of(x: f64, digits: u8) -> Fixed {
        let digits = digits.min(MAX_DIGITS);
        let y = x * pow10(digits) as f64;
        // `as` saturates and maps NaN to 0; adding one half then truncating rounds.
        let scaled = (if y < 0.0 { 0.5 - y } else { y + 0.5 }) as u64;
        Fixed {
            negative: y < 0.0,
            scaled,
            digits,
        }
    }
}

impl core::fmt::Display for Fixed {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        use core::fmt::Write as _;
        // At most a sign, 20 digits, a point and 18 decimals.
        let mut buf = Buffer::<48>::default();
        let p = pow10(self.digits);
        if self.negative && self.scaled != 0 {
            buf.write_char('-')?;
        }
        write!(buf, "{}", self.scaled / p)?;
        if self.digits > 0 {
            let width = usize::from(self.digits);
            write!(buf, ".{:0width$}", self.scaled % p)?;
        }
        f.pad(buf.as_str())
    }
}

/// A small stack buffer to format into (the crate has no `std::io`; a `String` would allocate
/// for every number of a large listing).
struct Buffer<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> Default for Buffer<N> {
    fn default() -> Self {
        Buffer {
            bytes: [0; N],
            len: 0,
        }
    }
}

impl<const N: usize> Buffer<N> {
    fn as_str(&self) -> &str {
        // Only whole `str`s are ever written.
        self.bytes
            .get(..self.len)
            .and_then(|b| core::str::from_utf8(b).ok())
            .unwrap_or("")
    }
}

impl<const N: usize> core::fmt::Write for Buffer<N> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.len + s.len();
        let slot = self.bytes.get_mut(self.len..end).ok_or(core::fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}
