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

/// A decode's result.
type Decoded<'a> = Result<Status<Frame<'a>>, DecodeError>;

/// What one stream's cutter may spend decoding bytes it may not keep: candidate frame starts
/// (resynchronisation), the frame after each one (look-ahead), frames written into others.
/// One budget per stream, shared by every search in it, proportional to the stream's length:
/// a search that restarts after each undecodable header gets no fresh allowance, so the work
/// stays linear in the input whatever its shape (a repeated pattern of frame starts claiming
/// a MiB each once cost a MiB per 63 bytes). Once spent, candidates are judged by their
/// headers alone.
///
/// It also counts every byte decoded through it, kept or not ([`ScanBudget::spent`]): what
/// the tests hold to a constant times the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanBudget {
    /// Bytes of speculative decoding still allowed.
    left: usize,
    /// Bytes decoded and headers checked so far, speculative or not.
    spent: usize,
}

impl ScanBudget {
    /// Speculative decoding allowed per byte of the stream.
    pub const PER_BYTE: usize = 8;
    /// Allowed on top, whatever the stream's length.
    pub const BASE: usize = 4096;

    /// The budget of a stream of `len` bytes.
    pub const fn for_bytes(len: usize) -> Self {
        ScanBudget {
            left: len
                .saturating_mul(Self::PER_BYTE)
                .saturating_add(Self::BASE),
            spent: 0,
        }
    }

    /// Bytes decoded (and frame headers checked) through this budget so far, whether the
    /// decode was speculative or one the cutter keeps.
    pub const fn spent(&self) -> usize {
        self.spent
    }

    /// Runs `f` with a part of this budget: at most `cap` of what is left. What `f` spends
    /// is spent here.
    pub(crate) fn within<R>(&mut self, cap: usize, f: impl FnOnce(&mut ScanBudget) -> R) -> R {
        let mut part = ScanBudget {
            left: cap.min(self.left),
            spent: 0,
        };
        let given = part.left;
        let r = f(&mut part);
        self.left = self.left.saturating_sub(given.saturating_sub(part.left));
        self.spent = self.spent.saturating_add(part.spent);
        r
    }

    /// [`plausible_header`], counted.
    pub(crate) fn header(&mut self, buf: &[u8], dir: Option<Direction>, max_length: u32) -> bool {
        self.spent = self.spent.saturating_add(1);
        plausible_header(buf, dir, max_length)
    }

    /// A decode the caller needs whatever it costs (the frame it is about to keep or skip):
    /// counted, not limited.
    pub(crate) fn decode<'a>(&mut self, buf: &'a [u8], base: usize, limits: Limits) -> Decoded<'a> {
        let d = decode_frame(buf, base, limits);
        self.spent = self.spent.saturating_add(cost(&d, base));
        d
    }

    /// A speculative decode: `None`, without decoding, when what the frame claims (bounded by
    /// the bytes present) is more than is left.
    pub(crate) fn try_decode<'a>(
        &mut self,
        buf: &'a [u8],
        base: usize,
        limits: Limits,
    ) -> Option<Decoded<'a>> {
        if claimed(buf, limits) > self.left {
            return None;
        }
        let d = decode_frame(buf, base, limits);
        let c = cost(&d, base);
        self.left = self.left.saturating_sub(c);
        self.spent = self.spent.saturating_add(c);
        Some(d)
    }

    /// [`plausible_frame`] within the budget: by the header alone when a decode is not
    /// affordable.
    pub(crate) fn plausible(
        &mut self,
        buf: &[u8],
        dir: Option<Direction>,
        max_length: u32,
    ) -> bool {
        self.header(buf, dir, max_length)
            && self
                .try_decode(buf, 0, Limits::with_max(max_length))
                .is_none_or(|d| plausible_decode(&d))
    }
}

/// The most a decode of the frame at the start of `buf` with `limits` can walk: the frame
/// when it is all there and its LENGTH is accepted, else its LENGTH prefix alone.
fn claimed(buf: &[u8], limits: Limits) -> usize {
    match peek_wire_len(buf) {
        Status::Complete(n) => {
            let length = n - super::frame::LENGTH_SIZE;
            let refused = length < super::frame::MIN_LENGTH as usize
                || limits.max_length.is_some_and(|m| length > m as usize);
            if refused || n > buf.len() {
                super::frame::LENGTH_SIZE
            } else {
                n
            }
        }
        Status::Partial { .. } => buf.len().min(super::frame::LENGTH_SIZE),
    }
}

/// The bytes a decode walked: the whole frame when it was complete, up to the error in the
/// header otherwise (a partial frame is only its LENGTH read).
fn cost(d: &Decoded<'_>, base: usize) -> usize {
    match d {
        Ok(Status::Complete(f)) => f.span().len(),
        Ok(Status::Partial { .. }) => super::frame::LENGTH_SIZE,
        Err(e) => e.span.end.saturating_sub(base).max(1),
    }
}

/// The first offset at or after `from` where a plausible frame starts and, if the frame is
/// complete, is followed by another plausible frame or by the end of `buf`. Candidates are
/// decoded within `budget` (shared by every search in a stream: see [`ScanBudget`]), then
/// judged by their headers alone.
pub fn find_frame_start(
    buf: &[u8],
    from: usize,
    dir: Option<Direction>,
    max_length: u32,
    budget: &mut ScanBudget,
) -> Option<usize> {
    let rest = buf.get(from..)?;
    // Every candidate starts with a LENGTH whose first byte is 0 for any max below 2^24.
    rest.iter()
        .enumerate()
        .filter(|&(_, &b)| b == 0 || max_length >= 1 << 24)
        .map(|(i, _)| from + i)
        .find(|&at| {
            let Some(here) = buf.get(at..) else {
                return false;
            };
            if !budget.plausible(here, dir, max_length) {
                return false;
            }
            match here.get(..4) {
                Some(&[a, b, c, d]) => {
                    // Saturating: on 32-bit targets a LENGTH near u32::MAX plus 4 would wrap.
                    let next = (u32::from_be_bytes([a, b, c, d]) as usize).saturating_add(4);
                    match here.get(next..) {
                        Some([]) | None => true,
                        Some(after) => budget.plausible(after, dir, max_length),
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
        let mut budget = ScanBudget::for_bytes(buf.len());
        assert_eq!(
            find_frame_start(&buf, 0, Some(Direction::AgentToHaproxy), 16380, &mut budget),
            Some(4)
        );
        assert_eq!(
            find_frame_start(&buf, 0, Some(Direction::HaproxyToAgent), 16380, &mut budget),
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
