//! Wireshark / tshark "Follow TCP Stream" in hex and raw modes.
//!
//! tshark (`-q -z follow,tcp,hex,N`) prints a header per followed stream:
//!
//! ```text
//! ===================================================================
//! Follow: tcp,hex
//! Filter: tcp.stream eq 0
//! Node 0: 127.0.0.1:51484
//! Node 1: 127.0.0.1:12345
//! 00000000  00 00 00 7b 01 00 00 00  01 00 00 12 73 75 70 70  ...{.... ....supp
//! \t00000000  00 00 00 40 65 00 00 00  01 00 00 07 76 65 72 73  ...@e... ....vers
//! ===================================================================
//! ```
//!
//! Node 1's lines are indented (tshark: a tab; the Wireshark dialog, which prints no header: 4
//! spaces). Offsets count per peer. Every TCP segment starts on a new line, so a new chunk
//! starts where the peer changes, after a line shorter than 16 bytes, or at an offset jump.
//! In raw mode (`follow,tcp,raw`) each line is one segment in plain hex.
//! Each `Follow:` header starts a new connection.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::dump::{hex_area, Scratch, FOLLOW};
use super::lines::{self, at, skip_blanks, skip_hex, sub, Line};
use super::{
    PeerInfo, StreamChunk, TextBytes, TextConnection, TextError, TextErrorKind, TextFormat,
    TextWarningKind, Warnings,
};
use crate::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Hex,
    Raw,
}

/// Per-peer position in the current connection.
#[derive(Debug, Default, Clone, Copy)]
struct PeerState {
    /// Offset where this peer's next line should start.
    next: Option<u64>,
}

struct Builder {
    connections: Vec<TextConnection>,
    current: Option<TextConnection>,
    peers: [PeerState; 2],
    /// Sender of the last data line and whether that line was a full 16 bytes.
    last: Option<(u8, bool)>,
    /// Bytes each peer sent so far in the current connection.
    sent: [usize; 2],
}

impl Builder {
    fn connection(&mut self) -> &mut TextConnection {
        self.current.get_or_insert_with(TextConnection::default)
    }

    fn finish_connection(&mut self) {
        if let Some(conn) = self.current.take() {
            if !conn.chunks.is_empty() || conn.peers.iter().any(Option::is_some) {
                self.connections.push(conn);
            }
        }
        self.peers = [PeerState::default(); 2];
        self.last = None;
        self.sent = [0; 2];
    }

    /// Appends `data` (from a line of `peer` at `offset`) to the current chunk or a new one;
    /// returns the offset gap before it, if any, and where its bytes are in the result.
    fn add(
        &mut self,
        line: usize,
        peer: u8,
        offset: Option<u64>,
        data: Vec<u8>,
        full: bool,
    ) -> (Option<(u64, u64)>, TextBytes) {
        let state = self
            .peers
            .get(usize::from(peer))
            .copied()
            .unwrap_or_default();
        let gap = match (state.next, offset) {
            (Some(expected), Some(found)) if expected != found => Some((expected, found)),
            _ => None,
        };
        let continues = matches!(self.last, Some((p, true)) if p == peer) && gap.is_none();
        let len = data.len() as u64;
        let sent = self.sent.get_mut(usize::from(peer)).map_or(0, |n| {
            let before = *n;
            *n = n.saturating_add(data.len());
            before
        });
        let at = TextBytes {
            part: self.connections.len(),
            peer: Some(peer),
            span: Span::at(sent, data.len()),
        };
        let conn = self.connection();
        match conn.chunks.last_mut() {
            Some(chunk) if continues => chunk.data.extend_from_slice(&data),
            _ => conn.chunks.push(StreamChunk {
                peer: Some(peer),
                data,
                line,
                timestamp: None,
                packet: None,
            }),
        }
        if let Some(state) = self.peers.get_mut(usize::from(peer)) {
            state.next = offset.map(|o| o.saturating_add(len));
        }
        self.last = Some((peer, full));
        (gap, at)
    }
}

pub(crate) fn parse(
    text: &str,
    format: TextFormat,
    warnings: &mut Warnings,
) -> Result<Vec<TextConnection>, TextError> {
    let mut mode = if format == TextFormat::TsharkFollowRaw {
        Mode::Raw
    } else {
        Mode::Hex
    };
    let mut b = Builder {
        connections: Vec::new(),
        current: None,
        peers: [PeerState::default(); 2],
        last: None,
        sent: [0; 2],
    };
    let mut scratch = Scratch::default();
    for line in lines::lines(text) {
        let trimmed = line.text.trim();
        if trimmed.is_empty() || trimmed.starts_with("====") {
            continue;
        }
        if let Some(spec) = line.text.strip_prefix("Follow:") {
            b.finish_connection();
            mode = follow_mode(line, spec)?;
            b.connection();
            continue;
        }
        if line.text.starts_with("Filter:") {
            continue;
        }
        if let Some(node) = node_line(line.text) {
            let (index, address) = node;
            let conn = b.connection();
            if let Some(slot) = conn.peers.get_mut(usize::from(index)) {
                *slot = Some(PeerInfo {
                    address: Some(address.to_string()),
                    name: None,
                });
            }
            continue;
        }
        let s = line.text.as_bytes();
        let start = skip_blanks(s, 0);
        let peer = u8::from(start > 0);
        match mode {
            Mode::Hex => {
                let digits_end = skip_hex(s, start);
                let digits = sub(s, start, digits_end);
                let separated = matches!(at(s, digits_end), Some(b' ' | b'\t') | None);
                let Some(offset) =
                    lines::hex_number(digits).filter(|_| digits.len() >= 4 && separated)
                else {
                    warnings.push(line.no, TextWarningKind::IgnoredLine);
                    continue;
                };
                let mut data = Vec::new();
                let n = hex_area(line, digits_end, &FOLLOW, &mut data, warnings, &mut scratch)?;
                if n == 0 {
                    continue;
                }
                // Follow output prints each segment once, in order: bytes are kept in the order
                // printed, and a jump in a peer's offsets is marked on the line's bytes.
                let (gap, at) = b.add(line.no, peer, Some(offset), data, n == 16);
                warnings.locate(line.no, |_| Some(at));
                if let Some((expected, found)) = gap {
                    warnings.push_at(
                        line.no,
                        TextWarningKind::OffsetGap { expected, found },
                        Some(at),
                    );
                }
            }
            Mode::Raw => {
                let data = raw_line(line, start)?;
                // Each raw line is one segment: never merge with the previous line.
                b.last = None;
                b.add(line.no, peer, None, data, false);
            }
        }
    }
    b.finish_connection();
    Ok(b.connections)
}

/// The mode in a `Follow: tcp,hex` line (`spec` is the text after `Follow:`).
fn follow_mode(line: Line<'_>, spec: &str) -> Result<Mode, TextError> {
    let spec_start = line.text.len() - spec.len();
    let mode_text = spec.trim().rsplit(',').next().unwrap_or("").trim();
    match mode_text {
        "hex" => Ok(Mode::Hex),
        "raw" => Ok(Mode::Raw),
        other => {
            let col_byte = line
                .text
                .get(spec_start..)
                .and_then(|t| t.rfind(other).map(|i| spec_start + i))
                .unwrap_or(spec_start);
            Err(TextError::at(
                line,
                col_byte,
                TextErrorKind::UnsupportedFollowMode {
                    mode: other.to_string(),
                },
            ))
        }
    }
}

/// `Node 0: 127.0.0.1:51484` → (0, "127.0.0.1:51484").
fn node_line(text: &str) -> Option<(u8, &str)> {
    let rest = text.strip_prefix("Node ")?;
    let (index, address) = rest.split_once(':')?;
    let index = match index.trim() {
        "0" => 0,
        "1" => 1,
        _ => return None,
    };
    Some((index, address.trim()))
}

/// One raw-mode line: an even run of hex digits.
fn raw_line(line: Line<'_>, start: usize) -> Result<Vec<u8>, TextError> {
    let s = line.text.as_bytes();
    let end = s.len() - (line.text.len() - line.text.trim_end().len());
    let digits_end = skip_hex(s, start);
    if digits_end < end {
        return Err(TextError::expected(line, digits_end, "a hex digit"));
    }
    let digits = sub(s, start, end);
    if digits.len() % 2 == 1 {
        return Err(TextError::at(
            line,
            start,
            TextErrorKind::OddHexDigits {
                digits: String::from_utf8_lossy(sub(digits, 0, 16)).into_owned(),
            },
        ));
    }
    let mut data = Vec::with_capacity(digits.len() / 2);
    lines::push_hex(digits, &mut data);
    Ok(data)
}

/// `char peer0_3[] = { /* Packet 12 */`: (peer, packet number, index after the `{`).
pub(crate) fn c_array_start(text: &str) -> Option<(u8, Option<u32>, usize)> {
    let name = text.find("peer")?;
    let rest = text.get(name + 4..)?;
    let peer = match rest.as_bytes().first()? {
        b'0' => 0,
        b'1' => 1,
        _ => return None,
    };
    if rest.as_bytes().get(1) != Some(&b'_') {
        return None;
    }
    let brackets = rest.find("[]")?;
    let after = rest
        .get(brackets + 2..)?
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let after = after.strip_prefix('{')?;
    let open = text.len() - after.len();
    let packet = after
        .split_once("/* Packet ")
        .and_then(|(_, p)| p.split_once("*/"))
        .and_then(|(n, _)| n.trim().parse().ok());
    Some((peer, packet, open))
}

/// Wireshark's Follow TCP Stream → "Show as C Arrays": one array per segment, named after the
/// sender (`peer0_N` opened the connection, `peer1_N` is the other side).
///
/// ```text
/// char peer0_0[] = { /* Packet 4 */
/// 0x00, 0x00, 0x00, 0x7b, 0x01, 0x00, 0x00, 0x00,
/// 0x61, 0x37, 0x35 };
/// ```
pub(crate) fn parse_c_arrays(
    text: &str,
    warnings: &mut Warnings,
) -> Result<Vec<TextConnection>, TextError> {
    let mut conn = TextConnection::default();
    let mut open: Option<StreamChunk> = None;
    for line in lines::lines(text) {
        let mut from = 0;
        if open.is_none() {
            match c_array_start(line.text) {
                Some((peer, packet, after)) => {
                    open = Some(StreamChunk {
                        peer: Some(peer),
                        data: Vec::new(),
                        line: line.no,
                        timestamp: None,
                        packet,
                    });
                    from = after;
                }
                None => {
                    if !line.text.trim().is_empty() {
                        warnings.push(line.no, TextWarningKind::IgnoredLine);
                    }
                    continue;
                }
            }
        }
        if let Some(chunk) = open.as_mut() {
            if c_array_bytes(line, from, &mut chunk.data)? {
                conn.chunks.extend(open.take());
            }
        }
    }
    if let Some(chunk) = open {
        // An array cut short (no `}`): keep what is there.
        conn.chunks.push(chunk);
    }
    Ok(if conn.chunks.is_empty() {
        Vec::new()
    } else {
        alloc::vec![conn]
    })
}

/// The `0xHH` elements of a C array line from byte `from`; true when the closing `}` was seen.
fn c_array_bytes(line: Line<'_>, from: usize, out: &mut Vec<u8>) -> Result<bool, TextError> {
    let s = line.text.as_bytes();
    let mut i = from;
    while let Some(b) = at(s, i) {
        match b {
            b' ' | b'\t' | b',' => i += 1,
            b'}' => return Ok(true),
            b'/' if at(s, i + 1) == Some(b'*') => {
                let close = line
                    .text
                    .get(i + 2..)
                    .and_then(|t| t.find("*/"))
                    .map_or(s.len(), |n| i + 2 + n + 2);
                i = close;
            }
            b'0' if matches!(at(s, i + 1), Some(b'x' | b'X')) => {
                let end = skip_hex(s, i + 2);
                match lines::hex_number(sub(s, i + 2, end)) {
                    Some(v) if v <= 0xff => out.push(v as u8),
                    Some(_) => return Err(TextError::element_out_of_range(line, i)),
                    None => return Err(TextError::expected(line, i + 2, "a hex digit")),
                }
                i = end;
            }
            _ => return Err(TextError::expected(line, i, "a `0x` byte or `}`")),
        }
    }
    Ok(false)
}
