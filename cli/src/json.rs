//! The JSON report written as JavaScript writes it: numbers in the form
//! `Number.prototype.toString` gives (`0`, not serde_json's `0.0`; `1e-7`, `0.000001`), so
//! the CLI's JSON and `JSON.stringify` of the JavaScript API's report are the same bytes
//! (issue 8: one input, one JSON, native or wasm).
//!
//! One difference, in strings only: besides what serde_json and `JSON.stringify` escape (C0
//! controls, `"`, `\`), DEL, the C1 controls (U+0080–U+009F) and the Unicode bidirectional
//! formatting characters are written as `\uXXXX` too ([`spop_codec::display::needs_escape`]).
//! Strings in the report carry what a capture sent, as data; written raw, such a character
//! reaches the terminal of whoever reads the JSON (`cat`, `less`, a CI log) and acts there.
//! The escaped JSON parses to the same values, so the two outputs differ in bytes only for
//! captures with such characters.

use std::io;

use serde::Serialize;
use serde_json::ser::{Formatter, Serializer};
use spop_codec::display::needs_escape;

/// serde_json's compact output, but with JavaScript's number text (and terminal-safe strings).
struct JsNumbers;

impl Formatter for JsNumbers {
    fn write_f32<W: ?Sized + io::Write>(&mut self, w: &mut W, value: f32) -> io::Result<()> {
        w.write_all(js_number(f64::from(value)).as_bytes())
    }

    fn write_f64<W: ?Sized + io::Write>(&mut self, w: &mut W, value: f64) -> io::Result<()> {
        w.write_all(js_number(value).as_bytes())
    }

    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // Almost every string is printable ASCII (names, hex): written as it is.
        if fragment.bytes().all(|b| b < 0x7f) {
            return w.write_all(fragment.as_bytes());
        }
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if needs_escape(c) {
                w.write_all(fragment.get(start..i).unwrap_or("").as_bytes())?;
                // All of them are in the Basic Multilingual Plane: one `\uXXXX`.
                write!(w, "\\u{:04x}", u32::from(c))?;
                start = i + c.len_utf8();
            }
        }
        w.write_all(fragment.get(start..).unwrap_or("").as_bytes())
    }
}

/// Writes `value` as compact JSON with JavaScript's number text.
pub fn write(out: &mut dyn io::Write, value: &impl Serialize) -> serde_json::Result<()> {
    // serde_json writes token by token: into a buffer of a known type those writes are
    // inlined copies, where each one through `dyn Write` was a call (a third of the time of
    // a large report).
    let mut buffered = io::BufWriter::with_capacity(1 << 16, out);
    value.serialize(&mut Serializer::with_formatter(&mut buffered, JsNumbers))?;
    io::Write::flush(&mut buffered).map_err(serde_json::Error::io)
}

/// ECMAScript's Number::toString(10) of `v`: the shortest digits that round-trip (Rust's
/// `{:e}` gives the same digits), placed as the specification says.
fn js_number(v: f64) -> String {
    if !v.is_finite() {
        // JSON.stringify writes null for NaN and the infinities (serde_json does too).
        return "null".into();
    }
    if v == 0.0 {
        return "0".into();
    }
    if v < 0.0 {
        return format!("-{}", js_number(-v));
    }
    let sci = format!("{v:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let k = digits.len() as i32;
    // The decimal point sits after n digits.
    let n = exp.parse::<i32>().unwrap_or(0) + 1;
    if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(n as usize);
        format!("{int}.{frac}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let sign = if n - 1 < 0 { '-' } else { '+' };
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() { "" } else { "." };
        format!("{first}{dot}{rest}e{sign}{}", (n - 1).abs())
    }
}

#[cfg(test)]
mod tests {
    use super::{js_number, write};
    use spop_codec::analysis::{analyze, AnalysisOptions};
    use spop_codec::capture::{load, LoadOptions};
    use spop_codec::report::Report;

    /// The CLI streams its JSON report item by item: the same bytes as the whole report (what
    /// the JavaScript API serializes), for every fixture.
    #[test]
    fn the_streamed_report_is_the_whole_report() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures");
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .chain(std::fs::read_dir(format!("{dir}/text")).unwrap())
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        let mut compared = 0;
        for path in files {
            let bytes = std::fs::read(&path).unwrap();
            let Ok(capture) = load(&bytes, &LoadOptions::default()) else {
                continue;
            };
            let a = analyze(capture, &AnalysisOptions::default());
            let (mut whole, mut streamed) = (Vec::new(), Vec::new());
            write(&mut whole, &Report::new(&a)).unwrap();
            write(&mut streamed, &Report::streamed(&a)).unwrap();
            assert!(
                whole == streamed,
                "{}: the streamed report differs",
                path.display()
            );
            compared += usize::from(!a.frames.is_empty() && !a.findings.is_empty());
        }
        assert!(
            compared >= 3,
            "only {compared} fixtures with frames and findings"
        );
    }

    /// Strings come out with no character a terminal acts on (C0 by serde_json; DEL, C1 and
    /// bidi by the formatter), and parse back to the same text.
    #[test]
    fn strings_are_terminal_safe_and_round_trip() {
        let hostile = "a\u{1b}]0;t\u{7}b\u{9b}2J\u{9d}0;x\u{9c}\u{85}\u{7f}c\u{202e}d\u{2066}\u{200f}\u{61c}é中\"\\";
        let value = serde_json::json!({ "s": hostile, "k": [hostile, "plain"] });
        let mut out = Vec::new();
        write(&mut out, &value).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            !text.chars().any(spop_codec::display::needs_escape),
            "{text:?}"
        );
        assert!(
            text.contains(r"\u009b2J") && text.contains(r"\u202e"),
            "{text}"
        );
        assert!(text.contains("é中"), "other characters stay: {text}");
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn numbers_read_as_javascript_writes_them() {
        // What node prints for String(x).
        for (x, js) in [
            (0.0, "0"),
            (-0.0, "0"),
            (1.0, "1"),
            (0.41, "0.41"),
            (123.456, "123.456"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (123456789012345680000.0, "123456789012345680000"),
            (0.000001, "0.000001"),
            (0.0000001, "1e-7"),
            (1.5e-7, "1.5e-7"),
            (-2.5, "-2.5"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (0.1 + 0.2, "0.30000000000000004"),
            (49.031871320, "49.03187132"),
        ] {
            assert_eq!(js_number(x), js, "{x:e}");
        }
    }
}
