//! A bounds-checked reader over one frame's bytes that records absolute spans. Every read
//! either consumes bytes or fails, so loops driven by it always make progress.

use super::error::{DecodeError, ErrorKind, Field};
use super::varint;
use crate::Span;

/// A length-prefixed byte string (STRING-BODY, or the body of a STRING/BINARY value),
/// borrowed from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Str<'a> {
    /// The bytes, borrowed from the input (no UTF-8 guarantee: SPOP strings are bytes).
    pub bytes: &'a [u8],
    /// Span of the length varint.
    pub len_span: Span,
    /// Span of the bytes themselves.
    pub bytes_span: Span,
}

impl<'a> Str<'a> {
    /// Span of the whole element: length varint and bytes.
    pub fn span(&self) -> Span {
        self.len_span.join(self.bytes_span)
    }
}

#[derive(Clone)]
pub(crate) struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Cursor<'a> {
    /// `buf` starts at absolute stream offset `base`.
    pub(crate) const fn new(buf: &'a [u8], base: usize) -> Self {
        Cursor { buf, pos: 0, base }
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    #[inline]
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// Absolute offset of the next byte.
    #[inline]
    pub(crate) fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// Moves past `n` bytes already checked by the caller (clamped to the end).
    #[inline]
    pub(crate) fn advance(&mut self, n: usize) {
        self.pos = self.pos.saturating_add(n).min(self.buf.len());
    }

    #[inline]
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or(&[])
    }

    fn truncated(&self, field: Field, needed: u64) -> DecodeError {
        let available = self.remaining();
        DecodeError::new(
            field,
            ErrorKind::Truncated { needed, available },
            Span::at(self.offset(), available),
        )
    }

    #[inline]
    pub(crate) fn u8(&mut self, field: Field) -> Result<(u8, Span), DecodeError> {
        match self.buf.get(self.pos) {
            Some(&b) => {
                let span = Span::at(self.offset(), 1);
                self.pos += 1;
                Ok((b, span))
            }
            None => Err(self.truncated(field, 1)),
        }
    }

    #[inline]
    pub(crate) fn take(&mut self, n: u64, field: Field) -> Result<(&'a [u8], Span), DecodeError> {
        // `n` comes off the wire: compare before converting so a huge value cannot wrap.
        if n > self.remaining() as u64 {
            return Err(self.truncated(field, n));
        }
        let n = n as usize;
        let start = self.pos;
        let bytes = self.buf.get(start..start + n).unwrap_or(&[]);
        self.pos += n;
        Ok((bytes, Span::at(self.base + start, n)))
    }

    /// Exactly `N` bytes, copied into an array (addresses, fixed-width words).
    #[inline]
    pub(crate) fn array<const N: usize>(
        &mut self,
        field: Field,
    ) -> Result<([u8; N], Span), DecodeError> {
        let (bytes, span) = self.take(N as u64, field)?;
        match <[u8; N]>::try_from(bytes) {
            Ok(a) => Ok((a, span)),
            Err(_) => Err(self.truncated(field, N as u64)),
        }
    }

    #[inline]
    pub(crate) fn varint(&mut self, field: Field) -> Result<(u64, Span), DecodeError> {
        match varint::decode(self.rest()) {
            Ok((v, n)) => {
                let span = Span::at(self.offset(), n);
                self.pos += n;
                Ok((v, span))
            }
            Err(e) => {
                let len = match e {
                    super::VarintError::Truncated { available } => available,
                    _ => self.remaining().min(varint::MAX_LEN + 1),
                };
                Err(DecodeError::new(
                    field,
                    ErrorKind::Varint(e),
                    Span::at(self.offset(), len),
                ))
            }
        }
    }

    /// A STRING-BODY: varint length then that many bytes, bounded by the frame.
    #[inline]
    pub(crate) fn string(&mut self, field: Field) -> Result<Str<'a>, DecodeError> {
        let start = self.offset();
        let (len, len_span) = self.varint(field)?;
        match self.take(len, field) {
            Ok((bytes, bytes_span)) => Ok(Str {
                bytes,
                len_span,
                bytes_span,
            }),
            Err(mut e) => {
                // Point at the whole string, starting at its length prefix.
                e.span = Span::new(start, e.span.end);
                Err(e)
            }
        }
    }
}
