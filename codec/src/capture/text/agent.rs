//! Agent debug logs: SPOP frame bodies in angle brackets, one frame per bracket.
//!
//! ```text
//! 2026-11-23 15:37:02 [debug] recv frame <0300000001010f636865636b2d…>
//! 2026-11-23 15:37:02 [debug] send frame <67000000010101010302016e0201>
//! ```
//!
//! A body starts with the frame type byte (no LENGTH prefix), so the 4-byte big-endian LENGTH
//! (= body length) is prepended to make a normal SPOP byte stream. The sender comes from the
//! type: 0–3 (UNSET, HAPROXY-HELLO, HAPROXY-DISCONNECT, NOTIFY) are HAProxy's (peer 0), 101–103
//! (AGENT-HELLO, AGENT-DISCONNECT, ACK) the agent's (peer 1). Brackets holding fewer than
//! [`MIN_BODY_DIGITS`] hex digits (or anything else than hex and spaces) are log text, not
//! frames.

use alloc::string::String;
use alloc::vec::Vec;

use super::lines::{self, at, Line};
use super::{
    PeerInfo, StreamChunk, TextConnection, TextError, TextErrorKind, TextWarningKind, Warnings,
};

/// The smallest frame body is 7 bytes: type, 4 flag bytes, two 1-byte ids.
pub(crate) const MIN_BODY_DIGITS: usize = 14;

/// The brackets of `s` that hold a frame body: (index of `<`, index of `>`, hex digit count).
pub(crate) fn frames(s: &[u8]) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
    let mut i = 0;
    core::iter::from_fn(move || {
        while i < s.len() {
            let open = i + s.iter().skip(i).position(|&b| b == b'<')?;
            let mut j = open + 1;
            let mut digits = 0;
            while let Some(b) = at(s, j) {
                if b.is_ascii_hexdigit() {
                    digits += 1;
                } else if b != b' ' {
                    break;
                }
                j += 1;
            }
            if at(s, j) == Some(b'>') && digits >= MIN_BODY_DIGITS {
                i = j + 1;
                return Some((open, j, digits));
            }
            i = open + 1;
        }
        None
    })
}

pub(crate) fn parse(text: &str, warnings: &mut Warnings) -> Result<Vec<TextConnection>, TextError> {
    let mut conn = TextConnection {
        peers: [
            Some(PeerInfo {
                address: None,
                name: Some(String::from("haproxy")),
            }),
            Some(PeerInfo {
                address: None,
                name: Some(String::from("agent")),
            }),
        ],
        chunks: Vec::new(),
    };
    for line in lines::lines(text) {
        let s = line.text.as_bytes();
        for (open, close, digits) in frames(s) {
            if digits % 2 == 1 {
                return Err(TextError::at(
                    line,
                    open + 1,
                    TextErrorKind::OddHexDigits {
                        digits: lines::excerpt(line.text, open + 1),
                    },
                ));
            }
            let data = frame(line, open, close, digits)?;
            let frame_type = data.get(4).copied().unwrap_or(0);
            let peer = match frame_type {
                0..=3 => Some(0),
                101..=103 => Some(1),
                other => {
                    warnings.push(
                        line.no,
                        TextWarningKind::UnknownFrameType { frame_type: other },
                    );
                    None
                }
            };
            conn.chunks.push(StreamChunk {
                peer,
                data,
                line: line.no,
                timestamp: None,
                packet: None,
            });
        }
    }
    Ok(if conn.chunks.is_empty() {
        Vec::new()
    } else {
        alloc::vec![conn]
    })
}

/// LENGTH + the body between `open` and `close`.
fn frame(line: Line<'_>, open: usize, close: usize, digits: usize) -> Result<Vec<u8>, TextError> {
    let body_len = digits / 2;
    let Ok(length) = u32::try_from(body_len) else {
        return Err(TextError::at(
            line,
            open,
            TextErrorKind::TooLarge {
                limit: u32::MAX as usize,
            },
        ));
    };
    let mut data = Vec::with_capacity(4 + body_len);
    data.extend_from_slice(&length.to_be_bytes());
    let hex: Vec<u8> = lines::sub(line.text.as_bytes(), open + 1, close)
        .iter()
        .copied()
        .filter(u8::is_ascii_hexdigit)
        .collect();
    lines::push_hex(&hex, &mut data);
    Ok(data)
}
