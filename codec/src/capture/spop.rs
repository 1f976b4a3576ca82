//! From TCP connections to SPOP conversations: which connections speak SPOP and which side is
//! HAProxy, and each direction's bytes cut into frames with the time of the packet that
//! completed them, around the gaps and undecodable bytes of a real capture.

use alloc::borrow::Cow;
use alloc::vec::Vec;
use core::net::SocketAddr;

use super::tcp::{Connection, PacketRef, SegmentRecord, Stream, StreamStart};
use crate::wire::scan::{find_frame_start, plausible_decode, plausible_frame, ScanBudget};
use crate::wire::{
    decode_frame, peek_wire_len, DecodeError, Direction, ErrorKind, Frame, FrameType, Limits,
    Payload, Status,
};
use crate::Span;

/// Largest LENGTH believed when nothing better is known (no HELLO captured): HAProxy's
/// max-frame-size is bounded by tune.bufsize, which is rarely above 1 MiB.
pub const FALLBACK_MAX_LENGTH: u32 = 1 << 20;

/// Slack over an announced max-frame-size before a LENGTH is called implausible: HAProxy 3.1+
/// compares only the payload with the limit, tolerating up to 25 more bytes of header.
pub const LENGTH_SLACK: u32 = 32;

/// How a connection was recognised as SPOP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum Detection {
    /// One side uses a port the user named as SPOP.
    Port(u16),
    /// A stream starts with a HAPROXY-HELLO (works on any port).
    Hello,
    /// A capture that starts mid-connection: SPOP frames found in the byte streams.
    Frames,
    /// The input was SPOP byte streams already (pasted text, raw stream).
    Given,
}

/// An SPOP connection: HAProxy (the SPOE filter, TCP client) and the agent (TCP server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpopConnection {
    /// 0-based, in order of first packet.
    pub id: usize,
    /// HAProxy's address, when the input has addresses.
    pub haproxy: Option<SocketAddr>,
    /// The agent's address, when the input has addresses.
    pub agent: Option<SocketAddr>,
    /// How the connection was recognised.
    pub detection: Detection,
    /// `[HAProxy → agent, agent → HAProxy]`.
    pub streams: [Stream; 2],
    /// First packet of the connection.
    pub first: PacketRef,
    /// Last packet of the connection.
    pub last: PacketRef,
}

const fn index(dir: Direction) -> usize {
    match dir {
        Direction::HaproxyToAgent => 0,
        Direction::AgentToHaproxy => 1,
    }
}

impl SpopConnection {
    /// A connection from a reassembled TCP connection whose client is HAProxy.
    pub fn from_tcp(id: usize, conn: Connection, detection: Detection) -> Self {
        SpopConnection {
            id,
            haproxy: Some(conn.client),
            agent: Some(conn.server),
            detection,
            streams: conn.streams,
            first: conn.first,
            last: conn.last,
        }
    }

    /// The bytes one side sent.
    pub fn stream(&self, dir: Direction) -> &Stream {
        // `index` is 0 or 1.
        match &self.streams {
            [h, a] => match index(dir) {
                0 => h,
                _ => a,
            },
        }
    }

    /// Both sides' TCP events in capture order, each with the direction of its sender.
    pub fn tcp_events(&self) -> impl Iterator<Item = (Direction, super::tcp::TcpEvent)> + '_ {
        super::attempt::merged_events(&self.streams).map(|(haproxy, e)| {
            let dir = if haproxy {
                Direction::HaproxyToAgent
            } else {
                Direction::AgentToHaproxy
            };
            (dir, e)
        })
    }

    /// Who closed the connection first at the TCP level, and how: its first FIN or RST
    /// (whichever side sent it), with its packet. `None` while both sides were still open
    /// when the capture ended. A DISCONNECT frame, if any, is the SPOP-level end; this is the
    /// TCP one (a side that closes reads nothing more after it).
    pub fn first_close(&self) -> Option<(Direction, super::tcp::TcpEvent)> {
        use super::tcp::TcpEventKind::{Fin, Rst};
        self.tcp_events().find(|(_, e)| matches!(e.kind, Fin | Rst))
    }

    /// HAProxy's announced max-frame-size, read from a HAPROXY-HELLO at the start of its
    /// stream.
    pub fn announced_max_frame_size(&self) -> Option<u32> {
        announced_max_frame_size(&self.stream(Direction::HaproxyToAgent).data)
    }

    /// The LENGTH above which a frame start is not believed while cutting streams.
    pub fn max_plausible_length(&self) -> u32 {
        max_plausible_length(&self.stream(Direction::HaproxyToAgent).data)
    }

    /// One direction cut into frames and the bytes between them.
    pub fn items(&self, dir: Direction) -> Vec<StreamItem> {
        let stream = self.stream(dir);
        scan_stream(stream, dir, self.max_plausible_length())
    }
}

/// A frame located in its stream, with timing from the segment map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct FrameRecord {
    /// The frame's bytes in its stream (LENGTH prefix included).
    pub span: Span,
    /// The packet that completed the frame (the latest of the packets that carried it): when
    /// the receiver could act on it.
    pub completed_by: PacketRef,
    /// The packet that carried its first byte.
    pub started_by: PacketRef,
    /// How many TCP segments the frame spans.
    pub segments: u32,
}

/// A frame whose bytes were split by other frames written into the middle of it (two
/// writers sharing one connection, haproxy#2490): its `head`, then the embedded frames (the
/// items that follow it), then its `tail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SplitRecord {
    /// The frame's first bytes, up to the first embedded frame.
    pub head: Span,
    /// The rest of the frame's bytes, after the last embedded frame.
    pub tail: Span,
    /// How many complete frames sit between `head` and `tail`.
    pub embedded: u32,
    /// The packet that completed the frame.
    pub completed_by: PacketRef,
    /// The packet that carried its first byte.
    pub started_by: PacketRef,
}

impl SplitRecord {
    /// The frame's bytes, reassembled (`head` then `tail`).
    pub fn bytes(&self, data: &[u8]) -> Vec<u8> {
        self.layout()
            .bytes(data)
            .map(Cow::into_owned)
            .unwrap_or_default()
    }

    /// The inverse of [`Self::map_span`] for one byte: where stream offset `offset` is in the
    /// reassembled frame; `None` for bytes of the embedded frames (or outside the frame).
    pub fn unmap(&self, offset: usize) -> Option<usize> {
        self.layout().unmap(offset)
    }

    /// Where a span of the reassembled frame (decoded with base `head.start`) lies in the
    /// stream: one span, or two when it straddles the embedded frames.
    pub fn map_span(&self, span: Span) -> [Option<Span>; 2] {
        self.layout().map_span(span)
    }

    /// Its head and tail as a timeline layout.
    pub const fn layout(&self) -> FrameLayout {
        FrameLayout::split(self)
    }
}

/// Where a frame's bytes are in its stream: its `head`, then (for a frame split by other
/// frames written into it, a [`SplitRecord`]) the embedded frames, then its `tail`. A contiguous
/// frame has an empty `tail` right after its `head`; one shape for both keeps timeline
/// entries small (800 000 of them for a 100 MB capture).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameLayout {
    /// The frame's first bytes (all of them for a contiguous frame).
    pub head: Span,
    /// The rest of a split frame's bytes, after the embedded frames; empty otherwise.
    pub tail: Span,
}

impl FrameLayout {
    /// A contiguous frame.
    pub const fn whole(span: Span) -> Self {
        FrameLayout {
            head: span,
            tail: Span::new(span.end, span.end),
        }
    }

    /// A frame split by others written into it.
    pub const fn split(r: &SplitRecord) -> Self {
        FrameLayout {
            head: r.head,
            tail: r.tail,
        }
    }

    /// Whether other frames were written into this one's bytes.
    pub const fn is_split(&self) -> bool {
        !self.tail.is_empty()
    }

    /// Where a split frame's bytes resume after the embedded frames.
    pub const fn resumes_at(&self) -> Option<usize> {
        if self.is_split() {
            Some(self.tail.start)
        } else {
            None
        }
    }

    /// The stream bytes the frame occupies, embedded frames included for a split one.
    pub fn extent(&self) -> Span {
        if self.is_split() {
            self.head.join(self.tail)
        } else {
            self.head
        }
    }

    /// The frame's own bytes: borrowed when contiguous, reassembled (`head` then `tail`)
    /// when split.
    pub fn bytes<'d>(&self, data: &'d [u8]) -> Option<Cow<'d, [u8]>> {
        let head = data.get(self.head.range())?;
        if !self.is_split() {
            return Some(Cow::Borrowed(head));
        }
        // Both parts are checked against `data` before anything is allocated (a layout's
        // fields are public: it may not come from the cutter).
        let tail = data.get(self.tail.range())?;
        let mut v = Vec::with_capacity(head.len().saturating_add(tail.len()));
        v.extend_from_slice(head);
        v.extend_from_slice(tail);
        Some(Cow::Owned(v))
    }

    /// Where stream offset `offset` is in the frame as decoded with base `head.start`; `None`
    /// for bytes of embedded frames or outside the frame.
    pub fn unmap(&self, offset: usize) -> Option<usize> {
        if self.head.contains(offset) {
            Some(offset)
        } else if self.tail.contains(offset) {
            offset.checked_sub(self.tail.start.saturating_sub(self.head.end))
        } else {
            None
        }
    }

    /// Where a span of the decoded frame (base `head.start`) lies in the stream: one span, or
    /// two when it straddles the embedded frames.
    pub fn map_span(&self, span: Span) -> [Option<Span>; 2] {
        let shift = self.tail.start.saturating_sub(self.head.end);
        if span.end <= self.head.end || shift == 0 {
            [Some(span), None]
        } else if span.start >= self.head.end {
            [Some(span.shift(shift)), None]
        } else {
            [
                Some(Span::new(span.start, self.head.end)),
                Some(Span::new(self.tail.start, span.end.saturating_add(shift))),
            ]
        }
    }
}

/// Why bytes of a stream were skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum SkipReason {
    /// The capture started mid-connection; these bytes come before the first frame boundary.
    MidStreamStart,
    /// After a gap, up to the next plausible frame start.
    AfterGap,
    /// A frame cut by a gap in the capture.
    CutByGap,
    /// Bytes that do not decode as a frame, up to the next plausible frame start.
    Undecodable(DecodeError),
}

/// What a stream consists of, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum StreamItem {
    /// A whole frame (its header decoded; its payload may still violate its grammar).
    Frame(FrameRecord),
    /// A frame with other whole frames written into its bytes; those frames follow as
    /// [`StreamItem::Frame`] items, and the stream resumes after the split frame's tail.
    Split(SplitRecord),
    /// Bytes that are not frames.
    Skipped {
        /// The bytes.
        span: Span,
        /// Why.
        reason: SkipReason,
    },
    /// Bytes the capture does not have; decoding resumes after them.
    Gap {
        /// Where in the stream.
        at: usize,
        /// How many bytes are missing.
        missing: u64,
    },
    /// The stream ends inside a frame.
    Truncated {
        /// The bytes of the unfinished frame.
        span: Span,
        /// Bytes missing to complete it.
        needed: usize,
    },
}

/// Segment records for frames visited in stream order: a cursor that only moves forward, so
/// finding a frame's segments costs O(segments it spans) instead of two binary searches.
struct SegCursor<'s> {
    segs: &'s [SegmentRecord],
    i: usize,
}

impl<'s> SegCursor<'s> {
    fn new(stream: &'s Stream) -> Self {
        SegCursor {
            segs: &stream.segments,
            i: 0,
        }
    }

    /// The records overlapping `span` (as [`Stream::segments_in`]).
    fn span(&mut self, span: Span) -> &'s [SegmentRecord] {
        let back = self
            .i
            .checked_sub(1)
            .and_then(|p| self.segs.get(p))
            .is_some_and(|s| s.end() > span.start);
        if back {
            // Not in stream order (an embedded frame's span): search.
            self.i = self.segs.partition_point(|s| s.end() <= span.start);
        }
        while self.segs.get(self.i).is_some_and(|s| s.end() <= span.start) {
            self.i += 1;
        }
        let mut j = self.i;
        while self.segs.get(j).is_some_and(|s| s.offset < span.end) {
            j += 1;
        }
        self.segs.get(self.i..j).unwrap_or(&[])
    }

    fn record(&mut self, span: Span) -> FrameRecord {
        let segments = self.span(span);
        FrameRecord {
            span,
            // Out-of-order delivery: the frame is whole only once its latest packet arrived.
            completed_by: segments
                .iter()
                .map(|s| s.packet)
                .max_by_key(|p| p.number)
                .unwrap_or_default(),
            started_by: segments
                .first()
                .filter(|s| s.offset <= span.start)
                .map(|s| s.packet)
                .unwrap_or_default(),
            segments: segments.len() as u32,
        }
    }
}

/// Cuts one direction's bytes into frames. Every step advances, and what the steps decode
/// without keeping (resynchronisation, look-ahead) comes from one budget for the stream
/// ([`ScanBudget`]), so this ends in time linear in the stream's length.
pub fn scan_stream(stream: &Stream, dir: Direction, max_length: u32) -> Vec<StreamItem> {
    let mut items = Vec::new();
    scan_stream_with(stream, dir, max_length, |item, _| items.push(item));
    items
}

/// [`scan_stream`] without collecting: hands each item to `visit` in stream order, with the
/// decoded frame for a [`StreamItem::Frame`] found in place (`None` for split frames, the
/// frames embedded in them, and non-frame items). Lets the analysis use the one decode the
/// scan needs anyway instead of decoding every frame again.
pub fn scan_stream_with(
    stream: &Stream,
    dir: Direction,
    max_length: u32,
    visit: impl FnMut(StreamItem, Option<&Frame<'_>>),
) {
    scan_metered(stream, dir, max_length, visit);
}

/// [`scan_stream_with`], returning its budget as left at the end: its
/// [`ScanBudget::spent`] is the work the scan did.
fn scan_metered(
    stream: &Stream,
    dir: Direction,
    max_length: u32,
    mut visit: impl FnMut(StreamItem, Option<&Frame<'_>>),
) -> ScanBudget {
    let data = stream.data.as_slice();
    let mut budget = ScanBudget::for_bytes(data.len());
    let limits = Limits::with_max(max_length);
    let mut segs = SegCursor::new(stream);
    let mut gaps = stream.gaps.iter().peekable();
    let mut pos = 0usize;
    // Where to look for a frame boundary before decoding: at the start of a mid-stream
    // capture and after each gap.
    let mut resync = (stream.start == StreamStart::MidStream && !data.is_empty())
        .then_some(SkipReason::MidStreamStart);
    // Decodes as (offset, chunk end, result): this step's, and the one of the bytes after its
    // frame (checked for plausibility), which the next step reuses if it starts there. Two
    // slots that swap roles, so that a decoded frame (over 100 bytes) is never moved. A
    // decode depends only on its offset and chunk end, so a slot matching both is always
    // the right one.
    let mut slots: [Option<(usize, usize, Decoded<'_>)>; 2] = [None, None];
    let mut this_slot = 0usize;

    while pos < data.len() || gaps.peek().is_some() {
        // Gaps at the current position.
        while let Some(g) = gaps.next_if(|g| g.at <= pos) {
            visit(
                StreamItem::Gap {
                    at: g.at,
                    missing: g.missing,
                },
                None,
            );
            resync = Some(SkipReason::AfterGap);
        }
        if pos >= data.len() {
            break;
        }
        let chunk_end = gaps.peek().map_or(data.len(), |g| g.at.min(data.len()));
        let chunk = data.get(..chunk_end).unwrap_or(&[]);

        if let Some(reason) = resync.take() {
            // A plausible frame right here is the boundary (a capture or paste that starts on
            // one); otherwise search, asking for two frames in a row to trust a position.
            let here = chunk
                .get(pos..)
                .is_some_and(|b| budget.plausible(b, Some(dir), max_length));
            let start = if here {
                pos
            } else {
                find_frame_start(chunk, pos, Some(dir), max_length, &mut budget)
                    .unwrap_or(chunk_end)
            };
            if start > pos {
                visit(
                    StreamItem::Skipped {
                        span: Span::new(pos, start),
                        reason,
                    },
                    None,
                );
                pos = start;
                continue;
            }
        }

        let [first_slot, second_slot] = &mut slots;
        let (here_slot, next_slot) = if this_slot == 0 {
            (first_slot, second_slot)
        } else {
            (second_slot, first_slot)
        };
        if !matches!(here_slot, Some((at, end, _)) if *at == pos && *end == chunk_end) {
            let decoded = budget.decode(chunk.get(pos..).unwrap_or(&[]), pos, limits);
            *here_slot = Some((pos, chunk_end, decoded));
        }
        let Some((_, _, decoded)) = &*here_slot else {
            break;
        };
        match decoded {
            Ok(Status::Complete(f)) => {
                let end = f.span().end;
                let after = chunk.get(end..).unwrap_or(&[]);
                let next_ok = after.is_empty()
                    || budget.header(after, Some(dir), max_length)
                        && match budget.try_decode(after, end, limits) {
                            Some(d) => {
                                let next = next_slot.insert((end, chunk_end, d));
                                // The next step starts with this decode.
                                this_slot ^= 1;
                                plausible_decode(&next.2)
                            }
                            // Past the budget: the header alone.
                            None => true,
                        };
                let suspicious = f.payload_error().is_some() || !next_ok;
                match suspicious
                    .then(|| split_frame(chunk, pos, end, dir, max_length, &mut budget))
                    .flatten()
                {
                    Some((head_end, embedded, tail)) => {
                        let head = Span::new(pos, head_end);
                        let mut completed_by = PacketRef::default();
                        for s in segs.span(head).iter().chain(segs.span(tail)) {
                            if s.packet.number >= completed_by.number {
                                completed_by = s.packet;
                            }
                        }
                        let started_by = segs.record(head).started_by;
                        visit(
                            StreamItem::Split(SplitRecord {
                                head,
                                tail,
                                embedded: embedded.len() as u32,
                                completed_by,
                                started_by,
                            }),
                            None,
                        );
                        for span in embedded {
                            visit(StreamItem::Frame(segs.record(span)), None);
                        }
                        pos = tail.end;
                    }
                    None => {
                        visit(StreamItem::Frame(segs.record(f.span())), Some(f));
                        pos = end;
                    }
                }
            }
            Ok(Status::Partial { needed }) => {
                let span = Span::new(pos, chunk_end);
                visit(
                    if chunk_end == data.len() {
                        StreamItem::Truncated {
                            span,
                            needed: *needed,
                        }
                    } else {
                        StreamItem::Skipped {
                            span,
                            reason: SkipReason::CutByGap,
                        }
                    },
                    None,
                );
                pos = chunk_end;
            }
            Err(e) => {
                if matches!(e.kind, ErrorKind::LengthAboveLimit { .. }) {
                    if let Some(f) = oversized_frame(chunk, pos, dir, max_length, &mut budget) {
                        visit(StreamItem::Frame(segs.record(f.span())), Some(&f));
                        pos = f.span().end;
                        continue;
                    }
                }
                let next = find_frame_start(chunk, pos + 1, Some(dir), max_length, &mut budget)
                    .unwrap_or(chunk_end);
                visit(
                    StreamItem::Skipped {
                        span: Span::new(pos, next),
                        reason: SkipReason::Undecodable(*e),
                    },
                    None,
                );
                pos = next;
            }
        }
    }
    budget
}

type Decoded<'a> = Result<Status<Frame<'a>>, DecodeError>;

/// The frame at `pos` whose LENGTH is above `max_length` (the most believed while cutting the
/// stream) but which is all there: a header a sender in `dir` writes, a payload that follows
/// its grammar, then a plausible frame (or another such frame) or the end of the bytes. Such
/// a frame is a frame too big for the connection (SPOP-F002), not bytes that are not a frame:
/// it is listed and paired like any other. A LENGTH beyond the bytes present is never
/// believed, and the decode comes out of the stream's budget.
fn oversized_frame<'a>(
    chunk: &'a [u8],
    pos: usize,
    dir: Direction,
    max_length: u32,
    budget: &mut ScanBudget,
) -> Option<Frame<'a>> {
    let here = chunk.get(pos..)?;
    let Status::Complete(wire_len) = peek_wire_len(here) else {
        return None;
    };
    let after = here.get(wire_len..)?;
    let whole = |budget: &mut ScanBudget, bytes: &'a [u8], at: usize| {
        if !budget.header(bytes, Some(dir), u32::MAX) {
            return None;
        }
        match budget.try_decode(bytes, at, Limits::default())? {
            Ok(Status::Complete(f)) if f.payload_error().is_none() => Some(f),
            _ => None,
        }
    };
    let f = whole(budget, here, pos)?;
    let end = f.span().end;
    let then_ok = after.is_empty()
        || budget.plausible(after, Some(dir), max_length)
        || whole(budget, after, end).is_some();
    then_ok.then_some(f)
}

/// Looks for whole frames written into the frame at `start..end` (concurrent writers): a
/// chain of complete, valid frames starting inside it, after which the outer frame's missing
/// bytes follow and make it valid too. Returns where the outer frame's head ends, the
/// embedded frames, and its tail.
fn split_frame(
    chunk: &[u8],
    start: usize,
    end: usize,
    dir: Direction,
    max_length: u32,
    stream_budget: &mut ScanBudget,
) -> Option<(usize, Vec<Span>, Span)> {
    let limits = Limits {
        max_length: Some(max_length),
    };
    let wire_len = end - start;
    // Work allowed, in bytes decoded, proportional to the frame: each candidate costs its
    // chain and a decode of the reassembled frame, and a hostile frame full of plausible
    // starts would otherwise make this quadratic. Real interleavings (a few frames written
    // into one) need a small part of it. It comes out of the stream's budget (what is left
    // of it, when less), so that many small suspicious frames cannot add up to more.
    stream_budget.within(8 * wire_len + 4096, |budget| {
        // The outer frame keeps at least its LENGTH prefix before the first embedded frame.
        for e in start + 4..end {
            let Some(here) = chunk.get(e..) else { break };
            if !budget.header(here, Some(dir), max_length) {
                continue;
            }
            match budget.try_decode(here, e, limits) {
                None => return None,
                Some(d) if !plausible_decode(&d) => continue,
                Some(_) => {}
            }
            // A chain of whole, valid frames from `e`.
            let mut embedded = Vec::new();
            let mut at = e;
            while let Some(rest) = chunk.get(at..) {
                match budget.try_decode(rest, at, limits)? {
                    Ok(Status::Complete(f))
                        if f.payload_error().is_none()
                            && f.frame_type().direction() == Some(dir) =>
                    {
                        embedded.push(f.span());
                        at = f.span().end;
                    }
                    _ => break,
                }
            }
            if embedded.is_empty() {
                continue;
            }
            let head = Span::new(start, e);
            let tail = Span::at(at, wire_len - head.len());
            let (Some(h), Some(t)) = (chunk.get(head.range()), chunk.get(tail.range())) else {
                continue;
            };
            let mut whole = Vec::with_capacity(wire_len);
            whole.extend_from_slice(h);
            whole.extend_from_slice(t);
            let valid = matches!(
                budget.try_decode(&whole, start, limits)?,
                Ok(Status::Complete(f)) if f.payload_error().is_none()
            );
            // What follows the tail must be a frame start or the end of the bytes we have.
            let then_ok = chunk.get(tail.end..).is_none_or(|after| {
                after.is_empty() || budget.plausible(after, Some(dir), max_length)
            });
            if valid && then_ok {
                return Some((e, embedded, tail));
            }
        }
        None
    })
}

/// Bytes inspected per direction when looking for SPOP in a capture that started
/// mid-connection.
const PROBE: usize = 64 * 1024;

/// The max-frame-size announced by a HAPROXY-HELLO at the start of `haproxy` (HAProxy's
/// stream).
fn announced_max_frame_size(haproxy: &[u8]) -> Option<u32> {
    let Ok(Status::Complete(f)) = decode_frame(haproxy, 0, Limits::default()) else {
        return None;
    };
    if f.frame_type() != FrameType::HaproxyHello {
        return None;
    }
    let Payload::KvList(kv) = f.payload() else {
        return None;
    };
    let v = kv.get(b"max-frame-size")?;
    if !v.value.data_type().is_integer() {
        return None;
    }
    v.value.value().as_u64().and_then(|v| u32::try_from(v).ok())
}

/// [`SpopConnection::max_plausible_length`] from HAProxy's stream alone.
pub(crate) fn max_plausible_length(haproxy: &[u8]) -> u32 {
    announced_max_frame_size(haproxy).map_or(FALLBACK_MAX_LENGTH, |m| {
        m.saturating_add(LENGTH_SLACK).max(256 + LENGTH_SLACK)
    })
}

/// Whether `data` starts with a HAPROXY-HELLO.
fn starts_with_hello(data: &[u8]) -> bool {
    data.get(4) == Some(&(FrameType::HaproxyHello.as_u8()))
        && plausible_frame(data, Some(Direction::HaproxyToAgent), FALLBACK_MAX_LENGTH)
}

/// The direction a byte stream's first plausible frame belongs to.
pub fn direction_of(data: &[u8]) -> Option<Direction> {
    let probe = data.get(..PROBE).unwrap_or(data);
    // A stream that starts with a frame is that frame's sender's, whatever follows it.
    let at = if plausible_frame(probe, None, FALLBACK_MAX_LENGTH) {
        0
    } else {
        let mut budget = ScanBudget::for_bytes(probe.len());
        find_frame_start(probe, 0, None, FALLBACK_MAX_LENGTH, &mut budget)?
    };
    FrameType::from_u8(*probe.get(at + 4)?).direction()
}

/// Decides whether a TCP connection is SPOP and which side is HAProxy: a named port (the
/// agent's), else a HAPROXY-HELLO at the start of a stream, else (mid-stream captures) frames
/// found in the streams. Returns the detection and whether HAProxy is the connection's
/// `client`.
pub fn classify(conn: &Connection, ports: &[u16]) -> Option<(Detection, bool)> {
    let [c2s, s2c] = &conn.streams;
    // Without a byte of payload it is no conversation, whatever its port: an attempt
    // (refused, unanswered, closed at once), kept apart by the loader.
    if c2s.data.is_empty() && s2c.data.is_empty() && c2s.gaps.is_empty() && s2c.gaps.is_empty() {
        return None;
    }
    if let Some(&p) = ports.iter().find(|&&p| p == conn.server.port()) {
        return Some((Detection::Port(p), true));
    }
    if let Some(&p) = ports.iter().find(|&&p| p == conn.client.port()) {
        return Some((Detection::Port(p), false));
    }
    if starts_with_hello(&c2s.data) {
        return Some((Detection::Hello, true));
    }
    if starts_with_hello(&s2c.data) {
        return Some((Detection::Hello, false));
    }
    if !ports.is_empty() {
        return None;
    }
    // No HELLO: the capture may have started mid-connection. Both directions must agree.
    match (direction_of(&c2s.data), direction_of(&s2c.data)) {
        (Some(Direction::HaproxyToAgent), Some(Direction::AgentToHaproxy) | None) => {
            Some((Detection::Frames, true))
        }
        (Some(Direction::AgentToHaproxy), Some(Direction::HaproxyToAgent) | None) => {
            Some((Detection::Frames, false))
        }
        (None, Some(Direction::AgentToHaproxy)) => Some((Detection::Frames, true)),
        (None, Some(Direction::HaproxyToAgent)) => Some((Detection::Frames, false)),
        _ => None,
    }
}

impl core::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SkipReason::MidStreamStart => f.write_str(
                "the capture starts mid-connection; bytes before the first frame boundary",
            ),
            SkipReason::AfterGap => {
                f.write_str("after bytes missing from the capture, up to the next frame")
            }
            SkipReason::CutByGap => f.write_str("a frame cut by bytes missing from the capture"),
            SkipReason::Undecodable(e) => {
                write!(f, "not a frame ({e}); skipped to the next plausible frame")
            }
        }
    }
}

impl core::fmt::Display for StreamItem {
    /// One line for the non-frame items (frames are described by their own summary).
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            StreamItem::Frame(r) => write!(f, "frame at {:#x}, {} bytes", r.span.start, r.span.len()),
            StreamItem::Split(r) => write!(
                f,
                "frame at {:#x}, {} bytes, split by {} frame(s) written into it; its bytes resume at {:#x}",
                r.head.start,
                r.head.len() + r.tail.len(),
                r.embedded,
                r.tail.start
            ),
            StreamItem::Skipped { span, reason } => {
                write!(f, "{} byte(s) at {:#x} skipped: {reason}", span.len(), span.start)
            }
            StreamItem::Gap { at, missing } => {
                write!(f, "{missing} byte(s) missing from the capture at {at:#x}")
            }
            StreamItem::Truncated { span, needed } => write!(
                f,
                "the stream ends inside a frame at {:#x} ({} byte(s) present, {needed} missing)",
                span.start,
                span.len()
            ),
        }
    }
}

impl StreamItem {
    /// Where the item starts in its stream.
    pub const fn offset(&self) -> usize {
        match *self {
            StreamItem::Frame(r) => r.span.start,
            StreamItem::Split(r) => r.head.start,
            StreamItem::Skipped { span, .. } | StreamItem::Truncated { span, .. } => span.start,
            StreamItem::Gap { at, .. } => at,
        }
    }

    /// The bytes of the frame this item is (borrowed for a whole frame, reassembled for a
    /// split one), to decode with base [`StreamItem::offset`]; `None` for non-frame items.
    pub fn frame_bytes<'d>(&self, data: &'d [u8]) -> Option<alloc::borrow::Cow<'d, [u8]>> {
        match self {
            StreamItem::Frame(r) => data.get(r.span.range()).map(alloc::borrow::Cow::Borrowed),
            StreamItem::Split(r) => Some(alloc::borrow::Cow::Owned(r.bytes(data))),
            _ => None,
        }
    }

    /// The packet that makes the item happen: for a frame, the packet that completed it;
    /// otherwise the packet that carried the item's first byte (for a gap: the one that
    /// resumed the stream). Order items by `(timestamp, number)`.
    pub fn packet(&self, stream: &Stream) -> PacketRef {
        match self {
            StreamItem::Frame(r) => r.completed_by,
            StreamItem::Split(r) => r.completed_by,
            other => stream
                .packet_at(other.offset())
                .or_else(|| stream.segments.last().map(|s| s.packet))
                .unwrap_or_default(),
        }
    }

    /// When the item happened (the timestamp of [`StreamItem::packet`]).
    pub fn time(&self, stream: &Stream) -> crate::capture::Timestamp {
        self.packet(stream).timestamp
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use proptest::prelude::*;

    proptest! {
        /// A layout built by hand (its fields are public) never panics, whatever its spans.
        #[test]
        fn any_layout_is_safe(h0 in 0usize..64, h1 in 0usize..64, t0 in 0usize..64, t1 in 0usize..64, o in 0usize..80, s0 in 0usize..80, s1 in 0usize..80) {
            let data = [7u8; 40];
            let l = FrameLayout { head: Span::new(h0, h1), tail: Span::new(t0, t1) };
            let _ = l.bytes(&data);
            let _ = l.unmap(o);
            let _ = l.map_span(Span::new(s0, s1));
            let _ = l.extent();
        }
    }

    /// A stream of `data` in one segment: from the connection's start (`syn`), or an excerpt.
    fn stream_of(data: Vec<u8>, syn: bool) -> Stream {
        Stream {
            segments: vec![crate::capture::tcp::SegmentRecord {
                offset: 0,
                len: data.len(),
                packet: PacketRef::default(),
            }],
            data,
            start: if syn {
                StreamStart::Syn
            } else {
                StreamStart::MidStream
            },
            ..Stream::default()
        }
    }

    /// What cutting `data` (HAProxy's direction, no HELLO: 1 MiB believed) costs, in bytes
    /// decoded and headers checked, with the items it gives.
    fn work(data: Vec<u8>, syn: bool) -> (usize, Vec<StreamItem>) {
        let stream = stream_of(data, syn);
        let mut items = Vec::new();
        let budget = scan_metered(
            &stream,
            Direction::HaproxyToAgent,
            FALLBACK_MAX_LENGTH,
            |item, _| items.push(item),
        );
        (budget.spent(), items)
    }

    /// Work allowed per byte of input: the budget's speculative decoding, plus what the cutter
    /// keeps (each byte decoded once) and checks per item (a header, up to 29 bytes).
    const WORK_PER_BYTE: usize = ScanBudget::PER_BYTE + 40;

    /// A NOTIFY header claiming `length` whose STREAM-ID is ten `ff` bytes: undecodable.
    fn undecodable_header(length: u32) -> Vec<u8> {
        let mut h = length.to_be_bytes().to_vec();
        h.extend_from_slice(&[3, 0, 0, 0, 1]);
        h.extend_from_slice(&[0xff; 10]);
        h
    }

    /// A NOTIFY header claiming `length`, ids 1/1: its payload is whatever follows.
    fn notify_header(length: u32) -> Vec<u8> {
        let mut h = length.to_be_bytes().to_vec();
        h.extend_from_slice(&[3, 0, 0, 0, 1, 1, 1]);
        h
    }

    /// "Hostile input, round two", point 1: 63 bytes holding two fake frame starts claiming
    /// `length`. One (at 0) has a payload of valid tiny messages that runs through every
    /// following period (30 bytes of empty messages, then a message whose name covers both
    /// headers of the next period) and stops mid-message; the other (at 44) has an
    /// undecodable STREAM-ID. With `length` + 4 a multiple of 63, each one's next frame is
    /// its twin in a later period. Every search after the undecodable header validated the
    /// other one's payload, `length` bytes, afresh: a MiB per 63 bytes.
    fn resync_period(length: u32) -> Vec<u8> {
        let mut p = notify_header(length);
        p.extend_from_slice(&[0; 30]);
        p.extend_from_slice(&[33, 0, 0]);
        p.extend(undecodable_header(length));
        assert_eq!(p.len(), 63);
        p
    }

    #[test]
    fn repeated_undecodable_headers_cost_linear_work() {
        // LENGTHs with their prefix a multiple of 63: 64 KiB over 1 MiB, then the shape as
        // found, 1 MiB over 3 MiB.
        for (length, size) in [(65_516, 1 << 20), (1_048_568, 3 << 20)] {
            let data = resync_period(length).repeat(size / 63);
            let n = data.len();
            for syn in [false, true] {
                let (spent, items) = work(data.clone(), syn);
                assert!(
                    spent <= WORK_PER_BYTE * n + ScanBudget::BASE,
                    "LENGTH {length}: {spent} bytes of work for {n} bytes ({}×)",
                    spent / n
                );
                // Every byte is accounted for, in order.
                let mut at = 0;
                for item in &items {
                    assert_eq!(item.offset(), at);
                    at = match *item {
                        StreamItem::Frame(r) => r.span.end,
                        StreamItem::Skipped { span, .. } | StreamItem::Truncated { span, .. } => {
                            span.end
                        }
                        _ => at,
                    };
                }
                assert_eq!(at, n);
            }
        }
    }

    /// Pieces of hostile periods: frame starts that claim much and fail late or early, tiny
    /// messages, runs of zeros, real frames.
    #[derive(Debug, Clone)]
    enum Piece {
        Undecodable(u32),
        Notify(u32),
        Zeros(usize),
        Bytes(Vec<u8>),
        EmptyMessages(usize),
        Frame,
    }

    fn piece() -> impl Strategy<Value = Piece> {
        // Lengths from tiny to past the stream; many of them land on a later period.
        let length = prop_oneof![7u32..64, 64u32..70_000, Just(1_048_568)];
        prop_oneof![
            length.clone().prop_map(Piece::Undecodable),
            length.prop_map(Piece::Notify),
            (1usize..40).prop_map(Piece::Zeros),
            proptest::collection::vec(any::<u8>(), 1..24).prop_map(Piece::Bytes),
            (1usize..20).prop_map(Piece::EmptyMessages),
            Just(Piece::Frame),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Whatever period of frame starts is repeated, cutting the stream costs at most a
        /// constant per byte (a search that restarted with a fresh allowance after each
        /// undecodable header made it a MiB per period).
        #[test]
        fn cutting_hostile_periods_is_linear(
            pieces in proptest::collection::vec(piece(), 1..6),
            size in 40_000usize..200_000,
            align in any::<bool>(),
            syn in any::<bool>(),
        ) {
            let mut period = Vec::new();
            for p in &pieces {
                match p {
                    Piece::Undecodable(l) => period.extend(undecodable_header(*l)),
                    Piece::Notify(l) => period.extend(notify_header(*l)),
                    Piece::Zeros(k) => period.extend(core::iter::repeat_n(0, *k)),
                    Piece::Bytes(b) => period.extend_from_slice(b),
                    Piece::EmptyMessages(k) => period.extend(core::iter::repeat_n(0, 2 * k)),
                    Piece::Frame => period.extend_from_slice(&[0, 0, 0, 7, 3, 0, 0, 0, 1, 1, 1]),
                }
            }
            if align {
                // Every claimed length lands on the same place of a later period.
                let l = u32::try_from(period.len() * (size / period.len() / 2).max(1) - 4)
                    .unwrap_or(7)
                    .max(7);
                let mut at = 0;
                for p in &pieces {
                    let len = match p {
                        Piece::Undecodable(_) => 19,
                        Piece::Notify(_) => 11,
                        Piece::Zeros(k) => *k,
                        Piece::Bytes(b) => b.len(),
                        Piece::EmptyMessages(k) => 2 * k,
                        Piece::Frame => 11,
                    };
                    if matches!(p, Piece::Undecodable(_) | Piece::Notify(_)) {
                        period[at..at + 4].copy_from_slice(&l.to_be_bytes());
                    }
                    at += len;
                }
            }
            let data = period.repeat(size / period.len() + 1);
            let n = data.len();
            let (spent, _) = work(data, syn);
            prop_assert!(
                spent <= WORK_PER_BYTE * n + ScanBudget::BASE,
                "{} bytes of work for {} bytes ({}×), period {:?}",
                spent, n, spent / n, pieces
            );
        }
    }

    #[test]
    fn the_first_close_is_the_first_fin_or_rst_of_either_side() {
        use crate::capture::tcp::{TcpEvent, TcpEventKind};
        let ev = |kind, number| TcpEvent {
            kind,
            packet: PacketRef {
                number,
                timestamp: u64::from(number) * 1_000,
            },
        };
        let mut c = SpopConnection {
            id: 0,
            haproxy: None,
            agent: None,
            detection: Detection::Port(12345),
            streams: [Stream::default(), Stream::default()],
            first: PacketRef::default(),
            last: PacketRef::default(),
        };
        assert_eq!(c.first_close(), None);
        c.streams[0].events = alloc::vec![ev(TcpEventKind::Syn, 1), ev(TcpEventKind::Rst, 9)];
        c.streams[1].events = alloc::vec![
            ev(TcpEventKind::Syn, 2),
            ev(TcpEventKind::ZeroWindow, 5),
            ev(TcpEventKind::Fin, 7),
        ];
        assert_eq!(
            c.first_close(),
            Some((Direction::AgentToHaproxy, ev(TcpEventKind::Fin, 7)))
        );
        c.streams[1].events.pop();
        assert_eq!(
            c.first_close(),
            Some((Direction::HaproxyToAgent, ev(TcpEventKind::Rst, 9)))
        );
    }

    #[test]
    fn split_spans_map_and_unmap() {
        // Head 0x56..0x5f, two 18-byte frames inside, tail from 0x83 (the corpus shape).
        let r = SplitRecord {
            head: Span::new(0x56, 0x5f),
            tail: Span::new(0x83, 0x83 + 52),
            embedded: 2,
            completed_by: PacketRef::default(),
            started_by: PacketRef::default(),
        };
        assert_eq!(r.unmap(0x56), Some(0x56));
        assert_eq!(r.unmap(0x60), None, "inside an embedded frame");
        assert_eq!(r.unmap(0x83), Some(0x5f));
        assert_eq!(r.unmap(0x83 + 52), None);
        // A span straddling the cut maps to two, and back.
        let [a, b] = r.map_span(Span::new(0x5d, 0x61));
        assert_eq!(
            (a, b),
            (Some(Span::new(0x5d, 0x5f)), Some(Span::new(0x83, 0x85)))
        );
        for o in 0x5d..0x61 {
            let stream = if o < 0x5f { o } else { o + (0x83 - 0x5f) };
            assert_eq!(r.unmap(stream), Some(o));
        }
    }
}
