use core::fmt;
use core::ops::Range;

/// A half-open byte range `[start, end)` in the byte stream a value was decoded from.
///
/// Offsets are absolute positions in that stream (not relative to the enclosing frame), so a
/// surface can highlight the exact bytes of any field, error or finding.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Span {
    /// First byte of the range.
    pub start: usize,
    /// One past the last byte of the range.
    pub end: usize,
}

impl Span {
    /// A span from `start` (inclusive) to `end` (exclusive). `end` is clamped to `start` so a
    /// span is never inverted.
    #[inline]
    pub const fn new(start: usize, end: usize) -> Self {
        let end = if end < start { start } else { end };
        Span { start, end }
    }

    /// A span of `len` bytes starting at `start` (saturating at `usize::MAX`).
    #[inline]
    pub const fn at(start: usize, len: usize) -> Self {
        Span::new(start, start.saturating_add(len))
    }

    /// Number of bytes covered: 0 for an inverted span (`end` before `start`), which the
    /// public fields allow even though [`Span::new`] never makes one.
    #[inline]
    pub const fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }

    /// True for an empty span (a position between two bytes), or an inverted one.
    #[inline]
    pub const fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    /// True if `offset` lies inside the span.
    #[inline]
    pub const fn contains(&self, offset: usize) -> bool {
        self.start <= offset && offset < self.end
    }

    /// The smallest span covering both `self` and `other`.
    #[inline]
    pub fn join(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// The same span moved `by` bytes further into the stream.
    #[inline]
    pub const fn shift(self, by: usize) -> Span {
        Span::new(self.start.saturating_add(by), self.end.saturating_add(by))
    }

    /// The span as a `Range`, for slicing a buffer that starts at offset 0.
    #[inline]
    pub const fn range(&self) -> Range<usize> {
        self.start..self.end
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:x}..0x{:x}", self.start, self.end)
    }
}

impl From<Range<usize>> for Span {
    fn from(r: Range<usize>) -> Self {
        Span::new(r.start, r.end)
    }
}
