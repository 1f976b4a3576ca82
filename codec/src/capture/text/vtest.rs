//! HAProxy VTest scripts: the hex of `sendhex "…"` lines.
//!
//! ```text
//! server s1 {
//!     rxhex 130
//!     sendhex "00 00 00 40 65 00 00 00 01 00 00 …"
//! } -start
//! client c1 -connect ${s1_sock} {
//!     sendhex "0000007b01000000010000…"
//! } -run
//! ```
//!
//! Each `sendhex` is one chunk. Inside a `client` block it is sent by the connection's opener
//! (peer 0, HAProxy's side), inside a `server` block by the other side (peer 1, the agent);
//! outside any block the sender is unknown. Everything else (`expect`, …) is script, not data,
//! and is skipped. All chunks form one connection; the peers are named after the first `client`
//! and `server` blocks.
//!
//! A script has no times, and it lists each side in a block of its own, so file order is not
//! the order things were said. `rxhex N` and `recv N` are: a side sends what follows them only
//! once it has received N more bytes. The chunks are numbered in the order a run of the
//! script sends them, so the analysis sees each ACK after its NOTIFY, as on the wire.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::hex::is_separator;
use super::lines::{self, at, hex_val, skip_blanks, Line};
use super::{PeerInfo, StreamChunk, TextConnection, TextError, TextErrorKind, Warnings};

/// `sendhex` at the start of a (trimmed) line: index of its argument.
pub(crate) fn sendhex_arg(s: &[u8]) -> Option<usize> {
    let i = skip_blanks(s, 0);
    let word = s.get(i..i + 7)?;
    if word != b"sendhex" || !matches!(at(s, i + 7), Some(b' ' | b'\t')) {
        return None;
    }
    Some(skip_blanks(s, i + 7))
}

/// `client c1 … {` / `server s1 … {`: (peer, name).
fn block_start(text: &str) -> Option<(u8, &str)> {
    let t = text.trim();
    if !t.ends_with('{') {
        return None;
    }
    let mut words = t.split_whitespace();
    let peer = match words.next()? {
        "client" => 0,
        "server" => 1,
        _ => return None,
    };
    let name = words.next().filter(|n| *n != "{")?;
    Some((peer, name))
}

/// Net change of brace depth on a line, outside quoted strings.
fn brace_delta(text: &str) -> isize {
    let mut delta = 0isize;
    let mut quoted = false;
    let mut escaped = false;
    for b in text.bytes() {
        match b {
            _ if escaped => escaped = false,
            b'\\' => escaped = true,
            b'"' => quoted = !quoted,
            b'{' if !quoted => delta += 1,
            b'}' if !quoted => delta -= 1,
            _ => {}
        }
    }
    delta
}

pub(crate) fn parse(
    text: &str,
    _warnings: &mut Warnings,
) -> Result<Vec<TextConnection>, TextError> {
    let mut conn = TextConnection::default();
    // (peer of the enclosing client/server block, depth at which it was opened).
    let mut block: Option<(u8, isize)> = None;
    let mut depth: isize = 0;
    // Per peer: bytes its script has waited for so far (`rxhex N`, `recv N`).
    let mut received = [0u64; 2];
    // Per chunk: what its sender had to receive before sending it.
    let mut after: Vec<u64> = Vec::new();
    for line in lines::lines(text) {
        if let Some((peer, name)) = block_start(line.text) {
            if block.is_none() {
                block = Some((peer, depth));
            }
            if let Some(slot @ None) = conn.peers.get_mut(usize::from(peer)) {
                *slot = Some(PeerInfo {
                    address: None,
                    name: Some(name.to_string()),
                });
            }
            depth += brace_delta(line.text);
            continue;
        }
        if let (Some((peer, _)), Some(n)) = (block, receive_count(line.text)) {
            if let Some(r) = received.get_mut(usize::from(peer)) {
                *r = r.saturating_add(n);
            }
        }
        if let Some(arg) = sendhex_arg(line.text.as_bytes()) {
            let data = sendhex(line, arg)?;
            after.push(block.map_or(0, |(p, _)| {
                received.get(usize::from(p)).copied().unwrap_or(0)
            }));
            conn.chunks.push(StreamChunk {
                peer: block.map(|(p, _)| p),
                data,
                line: line.no,
                timestamp: None,
                packet: None,
            });
        }
        depth += brace_delta(line.text);
        if block.is_some_and(|(_, opened_at)| depth <= opened_at) {
            block = None;
        }
    }
    number_in_run_order(&mut conn.chunks, &after);
    Ok(if conn.chunks.is_empty() {
        Vec::new()
    } else {
        alloc::vec![conn]
    })
}

/// `rxhex N` / `recv N`: the N bytes the line waits for.
fn receive_count(text: &str) -> Option<u64> {
    let mut words = text.split_whitespace();
    match words.next()? {
        "rxhex" | "recv" => words.next()?.parse().ok(),
        _ => None,
    }
}

/// Numbers the chunks (their `packet`) in the order a run of the script sends them: a chunk
/// goes once its sender has received `after[i]` bytes from the other side; of two that can go,
/// the answer (the server's, the agent) first, as a reply follows what it answers. A script
/// that waits for more than the other side ever sends (a deadlock, or bytes not from
/// `sendhex`) goes on with the chunk listed first. The chunks stay in file order: the numbers
/// order the timeline. Chunks outside any block (sender unknown) get none.
fn number_in_run_order(chunks: &mut [StreamChunk], after: &[u64]) {
    /// One side of the script: its chunks in file order, how many went, bytes it sent.
    struct Side {
        chunks: Vec<usize>,
        next: usize,
        sent: u64,
    }
    let side = |p: u8| Side {
        chunks: (0..chunks.len())
            .filter(|&i| chunks.get(i).is_some_and(|c| c.peer == Some(p)))
            .collect(),
        next: 0,
        sent: 0,
    };
    // [HAProxy's side (the client), the agent's (the server)].
    let [mut h, mut g] = [side(0), side(1)];
    let front = |s: &Side| s.chunks.get(s.next).copied();
    let ready = |s: &Side, other: &Side| {
        front(s).filter(|&i| after.get(i).is_none_or(|&n| n <= other.sent))
    };
    // Each step numbers one chunk, so this ends once every chunk has its number.
    for number in 1..=u32::MAX {
        let agent_first = match (ready(&g, &h), ready(&h, &g), front(&h), front(&g)) {
            (Some(_), ..) => true,
            (None, Some(_), ..) => false,
            (None, None, Some(a), Some(b)) => b < a,
            (None, None, Some(_), None) => false,
            (None, None, None, Some(_)) => true,
            (None, None, None, None) => break,
        };
        let s = if agent_first { &mut g } else { &mut h };
        let Some(c) = front(s).and_then(|i| chunks.get_mut(i)) else {
            break;
        };
        c.packet = Some(number);
        s.next += 1;
        s.sent = s.sent.saturating_add(c.data.len() as u64);
    }
}

/// The hex of a `sendhex` argument at `arg`: a quoted string (or a bare word) of hex digits
/// and separators.
fn sendhex(line: Line<'_>, arg: usize) -> Result<Vec<u8>, TextError> {
    let s = line.text.as_bytes();
    let quoted = at(s, arg) == Some(b'"');
    let mut i = if quoted { arg + 1 } else { arg };
    let mut out = Vec::new();
    let mut high: Option<(u8, usize)> = None;
    loop {
        let Some(b) = at(s, i) else {
            if quoted {
                return Err(TextError::expected(line, i, "a closing `\"`"));
            }
            break;
        };
        if quoted && b == b'"' {
            break;
        }
        if !quoted && (b == b' ' || b == b'\t') {
            break;
        }
        match hex_val(b) {
            Some(v) => match high.take() {
                Some((h, _)) => out.push((h << 4) | v),
                None => high = Some((v, i)),
            },
            None if is_separator(b) => {
                if let Some((_, at_byte)) = high {
                    return Err(odd(line, at_byte));
                }
            }
            None => return Err(TextError::expected(line, i, "a hex digit")),
        }
        i += 1;
    }
    if let Some((_, at_byte)) = high {
        return Err(odd(line, at_byte));
    }
    Ok(out)
}

/// An odd-digit error for the hex token containing byte `at_byte`.
fn odd(line: Line<'_>, at_byte: usize) -> TextError {
    let s = line.text.as_bytes();
    let mut start = at_byte;
    while start > 0 && at(s, start - 1).is_some_and(|b| b.is_ascii_hexdigit()) {
        start -= 1;
    }
    let digits: String = lines::excerpt(line.text, start)
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    TextError::at(line, start, TextErrorKind::OddHexDigits { digits })
}
