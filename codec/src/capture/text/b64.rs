//! Base64, standard (`+/`) or URL-safe (`-_`) alphabet, wrapped or not, padding optional.
//!
//! Several padded blocks one after the other (two base64 strings pasted on separate lines)
//! are decoded one by one and concatenated.

use alloc::string::String;
use alloc::vec::Vec;

use base64::engine::general_purpose::{STANDARD_PAD_INDIFFERENT, URL_SAFE_PAD_INDIFFERENT};
use base64::Engine;

use super::lines;
use super::{TextError, TextErrorKind};

fn is_standard(b: u8) -> bool {
    b == b'+' || b == b'/'
}

fn is_url(b: u8) -> bool {
    b == b'-' || b == b'_'
}

fn is_symbol(b: u8) -> bool {
    b.is_ascii_alphanumeric() || is_standard(b) || is_url(b) || b == b'='
}

/// True if `text` could be base64: only alphabet symbols and padding, no whitespace inside a
/// line, padding only at the end of a block, and a plausible length.
pub(crate) fn is_base64(text: &str) -> bool {
    let mut symbols = 0usize;
    let mut standard = false;
    let mut url = false;
    for line in lines::lines(text) {
        let t = line.text.trim();
        if t.is_empty() {
            continue;
        }
        let mut padding = false;
        for b in t.bytes() {
            if !is_symbol(b) {
                return false;
            }
            if b == b'=' {
                padding = true;
            } else if padding {
                // Symbols after padding on the same line.
                return false;
            }
            standard |= is_standard(b);
            url |= is_url(b);
            symbols += 1;
        }
    }
    // At least 6 bytes' worth: short words are not taken for base64.
    symbols >= 8 && !(standard && url) && symbols % 4 != 1
}

/// Position (line, column) of the `n`-th non-whitespace character of `text` (0-based).
fn position_of(text: &str, n: usize) -> (usize, usize) {
    let mut seen = 0usize;
    let mut last = (1, 1);
    for line in lines::lines(text) {
        for (col, c) in line.text.chars().enumerate() {
            if c.is_whitespace() {
                continue;
            }
            last = (line.no, col + 1);
            if seen == n {
                return last;
            }
            seen += 1;
        }
    }
    last
}

/// Decodes base64 text; errors point at the offending character.
pub(crate) fn parse(text: &str) -> Result<Vec<u8>, TextError> {
    let mut clean = String::with_capacity(text.len());
    clean.extend(text.chars().filter(|c| !c.is_whitespace()));
    decode(&clean).map_err(|(index, kind)| {
        let chars = clean.get(..index).map_or(index, |t| t.chars().count());
        let (line, column) = position_of(text, chars);
        TextError::new(line, column, kind)
    })
}

/// Decodes whitespace-free base64; errors carry the index of the offending symbol.
pub(crate) fn decode(clean: &str) -> Result<Vec<u8>, (usize, TextErrorKind)> {
    let bytes = clean.as_bytes();
    let first_std = bytes.iter().position(|&b| is_standard(b));
    let first_url = bytes.iter().position(|&b| is_url(b));
    let url = match (first_std, first_url) {
        (Some(s), Some(u)) => return Err((s.max(u), TextErrorKind::MixedBase64Alphabets)),
        (_, Some(_)) => true,
        _ => false,
    };
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3 + 3);
    let mut start = 0usize;
    while start < bytes.len() {
        // A block ends after its padding.
        let mut end = bytes
            .iter()
            .skip(start)
            .position(|&b| b == b'=')
            .map_or(bytes.len(), |n| start + n);
        while bytes.get(end) == Some(&b'=') {
            end += 1;
        }
        let block = clean.get(start..end).unwrap_or("");
        let result = if url {
            URL_SAFE_PAD_INDIFFERENT.decode_vec(block, &mut out)
        } else {
            STANDARD_PAD_INDIFFERENT.decode_vec(block, &mut out)
        };
        if let Err(e) = result {
            let (offset, kind) = match e {
                base64::DecodeError::InvalidByte(offset, _) => (
                    offset,
                    TextErrorKind::Expected {
                        expected: "a base64 character",
                        found: block
                            .get(offset..)
                            .and_then(|t| t.chars().next())
                            .map(String::from)
                            .unwrap_or_default(),
                    },
                ),
                base64::DecodeError::InvalidLength(len) => {
                    (len.saturating_sub(1), TextErrorKind::InvalidBase64)
                }
                base64::DecodeError::InvalidLastSymbol { offset, .. } => {
                    (offset, TextErrorKind::InvalidBase64)
                }
                base64::DecodeError::InvalidPadding => {
                    (block.len().saturating_sub(1), TextErrorKind::InvalidBase64)
                }
            };
            return Err((start + offset, kind));
        }
        start = end;
    }
    Ok(out)
}
