//! Incremental decoding over a byte stream (one direction of one TCP connection).
//!
//! Bytes arrive in arbitrary pieces (TCP segments); a frame may be split at any byte. The
//! decoder remembers how many bytes the pending frame needs, so feeding it one more byte at a
//! time costs a length comparison, not a re-parse.

use super::error::DecodeError;
use super::frame::{decode_frame, Frame, Limits, Status};

/// Decodes consecutive frames of one stream, tracking the absolute offset.
///
/// The caller keeps the stream's unconsumed bytes; each call to [`StreamDecoder::decode`]
/// receives them starting at [`StreamDecoder::offset`]. On `Complete`, the frame's bytes are
/// consumed (the offset moves past them). On an error nothing is consumed: the caller reports
/// it and moves on with [`StreamDecoder::skip`] (the analysis layer decides how far).
#[derive(Debug, Clone, Default)]
pub struct StreamDecoder {
    offset: usize,
    /// Bytes the pending frame needs in total (0: unknown, read the LENGTH prefix again).
    pending: usize,
    limits: Limits,
}

impl StreamDecoder {
    /// A decoder at stream offset 0, without a length limit.
    pub fn new() -> Self {
        StreamDecoder::default()
    }

    /// A decoder at stream offset 0 that rejects frames above `limits`.
    pub fn with_limits(limits: Limits) -> Self {
        StreamDecoder {
            limits,
            ..StreamDecoder::default()
        }
    }

    /// Absolute offset of the next frame.
    pub const fn offset(&self) -> usize {
        self.offset
    }

    /// The limits in force.
    pub const fn limits(&self) -> Limits {
        self.limits
    }

    /// Decodes the next frame from `buf`, the unconsumed stream bytes starting at
    /// [`Self::offset`].
    pub fn decode<'a>(&mut self, buf: &'a [u8]) -> Result<Status<Frame<'a>>, DecodeError> {
        if buf.len() < self.pending {
            return Ok(Status::Partial {
                needed: self.pending - buf.len(),
            });
        }
        match decode_frame(buf, self.offset, self.limits)? {
            Status::Complete(frame) => {
                self.offset += frame.as_bytes().len();
                self.pending = 0;
                Ok(Status::Complete(frame))
            }
            Status::Partial { needed } => {
                self.pending = buf.len() + needed;
                Ok(Status::Partial { needed })
            }
        }
    }

    /// Moves past `n` bytes without decoding them (after an error, or a gap in the capture).
    pub fn skip(&mut self, n: usize) {
        self.offset = self.offset.saturating_add(n);
        self.pending = 0;
    }
}

/// Iterates the frames of a complete buffer (whose first byte is at stream offset `base`).
/// It ends at the first error (yielded once) or at the end of the buffer; [`Frames::rest`]
/// then tells what was left undecoded.
pub struct Frames<'a> {
    buf: &'a [u8],
    dec: StreamDecoder,
    start: usize,
    done: bool,
}

impl<'a> Frames<'a> {
    /// Frames of `buf`, whose first byte is at stream offset `base`.
    pub fn new(buf: &'a [u8], base: usize, limits: Limits) -> Self {
        let mut dec = StreamDecoder::with_limits(limits);
        dec.skip(base);
        Frames {
            buf,
            dec,
            start: base,
            done: false,
        }
    }

    /// The bytes not turned into frames: empty after a clean end, otherwise starting at the
    /// erroneous or incomplete frame.
    pub fn rest(&self) -> &'a [u8] {
        self.buf
            .get(self.dec.offset() - self.start..)
            .unwrap_or(&[])
    }

    /// Absolute offset of the first byte of [`Self::rest`].
    pub fn offset(&self) -> usize {
        self.dec.offset()
    }
}

impl<'a> Iterator for Frames<'a> {
    type Item = Result<Frame<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let rest = self.rest();
        if rest.is_empty() {
            self.done = true;
            return None;
        }
        match self.dec.decode(rest) {
            Ok(Status::Complete(f)) => Some(Ok(f)),
            Ok(Status::Partial { .. }) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}
