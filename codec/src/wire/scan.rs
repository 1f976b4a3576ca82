//! Finding frame boundaries in bytes that did not start at one: a capture that began
//! mid-connection, the bytes after a gap, or after a frame that could not be decoded.
//!
//! A position is a *plausible frame start* when its LENGTH is in `[7, max]`, its type is one
//! a sender in that direction uses, FIN is set and no reserved flag is, connection-level
//! frames carry ids `00 00`, and (when the whole frame is present) the payload follows its
//! grammar. Requiring the next frame to be plausible too makes a false match in random
//! payload bytes very unlikely.

use super::error::DecodeError;
use super::frame::{decode_frame, peek_wire_len, Direction, Frame, FrameType, Limits, Status};

/// Whether a frame could start at the beginning of `buf`, for a sender in `dir` (`None`:
/// either direction). A frame cut off by the end of `buf` counts if its header looks right.
pub fn plausible_frame(buf: &[u8], dir: Option<Direction>, max_length: u32) -> bool {
    plausible_header(buf, dir, max_length)
        && plausible_decode(&decode_frame(buf, 0, Limits::with_max(max_length)))
}

/// The header part of [`plausible_frame`]: cheap checks on the first 11 bytes, no decode.
pub(crate) fn plausible_header(buf: &[u8], dir: Option<Direction>, max_length: u32) -> bool {
    let Some(&[a, b, c, d, ty, f0, f1, f2, f3]) = buf.get(..9) else {
        return false;
    };
    let length = u32::from_be_bytes([a, b, c, d]);
    if !(7..=max_length).contains(&length) {
        return false;
    }
    let ft = FrameType::from_u8(ty);
    let Some(ft_dir) = ft.direction() else {
        return false;
    };
    if ft == FrameType::Unset || dir.is_some_and(|d| d != ft_dir) {
        return false;
    }
    if u32::from_be_bytes([f0, f1, f2, f3]) != 1 {
        return false;
    }
    !(ft.is_connection_level() && buf.get(9..11).is_some_and(|ids| ids != [0, 0]))
}

/// The decode part of [`plausible_frame`], for a caller that decoded the bytes already (with
/// `max_length` as the limit): a whole frame must follow its payload grammar.
pub(crate) fn plausible_decode(decoded: &Result<Status<Frame<'_>>, DecodeError>) -> bool {
    match decoded {
        Ok(Status::Complete(f)) => f.payload_error().is_none(),
        Ok(Status::Partial { .. }) => true,
        Err(_) => false,
    }
}

/// The first offset at or after `from` where a plausible frame starts and, if the frame is
/// complete, is followed by another plausible frame or by the end of `buf`.
pub fn find_frame_start(
    buf: &[u8],
    from: usize,
    dir: Option<Direction>,
    max_length: u32,
) -> Option<usize> {
    let rest = buf.get(from..)?;
    // Checking a candidate's payload walks up to its length: on bytes full of plausible
    // headers (a repeated pattern) that made this search quadratic (a 138-byte pasted dump,
    // expanded, took 10 s). Past a budget proportional to the bytes searched, candidates are
    // judged by their headers alone.
    let mut spent = 0usize;
    let mut plausible = |at: usize, here: &[u8]| {
        if !plausible_header(here, dir, max_length) {
            return false;
        }
        let claimed = match peek_wire_len(here) {
            Status::Complete(n) => n.min(here.len()),
            Status::Partial { .. } => here.len(),
        };
        let allowed = 4 * at.saturating_sub(from) + (1 << 20);
        if spent.saturating_add(claimed) > allowed {
            return true;
        }
        spent += claimed;
        plausible_decode(&decode_frame(here, 0, Limits::with_max(max_length)))
    };
    // Every candidate starts with a LENGTH whose first byte is 0 for any max below 2^24.
    rest.iter()
        .enumerate()
        .filter(|&(_, &b)| b == 0 || max_length >= 1 << 24)
        .map(|(i, _)| from + i)
        .find(|&at| {
            let Some(here) = buf.get(at..) else {
                return false;
            };
            if !plausible(at, here) {
                return false;
            }
            match here.get(..4) {
                Some(&[a, b, c, d]) => {
                    let next = 4 + u32::from_be_bytes([a, b, c, d]) as usize;
                    match here.get(next..) {
                        Some([]) | None => true,
                        Some(after) => plausible(at, after),
                    }
                }
                _ => false,
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::FrameRepr;
    use alloc::vec::Vec;

    #[test]
    fn finds_the_next_frame_after_garbage() {
        let ack = FrameRepr::ack(1, 1, Vec::new()).to_bytes().unwrap();
        let mut buf = alloc::vec![0x41, 0x00, 0x00, 0x07];
        buf.extend_from_slice(&ack);
        buf.extend_from_slice(&ack);
        assert_eq!(
            find_frame_start(&buf, 0, Some(Direction::AgentToHaproxy), 16380),
            Some(4)
        );
        assert_eq!(
            find_frame_start(&buf, 0, Some(Direction::HaproxyToAgent), 16380),
            None
        );
        assert!(!plausible_frame(b"GET / HTTP/1.1\r\n", None, 16380));
        assert!(!plausible_frame(
            &[0x16, 3, 1, 0, 0x20, 1, 0, 0, 0],
            None,
            16380
        ));
    }
}
