//! Analysis: from decoded streams to what a person debugging SPOE needs to know: per
//! connection the HELLO exchange, the HAProxy generation (with the evidence), NOTIFY↔ACK pairs
//! and their latency, how the connection ended; a timeline across connections; and findings
//! from every rule of the catalogue ([`rules::CATALOGUE`]).
//!
//! Pure: the capture goes in, the analysis comes out (no clock, no I/O). Frames are kept as
//! small entries pointing into the capture's streams and re-decoded on demand, so memory stays
//! proportional to the capture.

use alloc::borrow::Cow;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

pub use crate::capture::spop::FrameLayout;
use crate::capture::spop::{scan_stream_with, SkipReason, SpopConnection, StreamItem};
use crate::capture::{Capture, LoadError, LoadOptions, Loader, Timestamp};
use crate::wire::frame::decode_frame_validated;
use crate::wire::{
    decode_frame, DecodeError, Direction, Flags, Frame, FrameHeader, FrameType, Limits, Status,
};
use crate::{Progress, Span};

mod conversation;
pub mod rules;
pub mod stats;
mod verdict;

pub use conversation::{AgentHello, ConnectionSummary, EndReason, Generation, HaproxyHello, Pair};
pub use rules::{Finding, Location, Omitted, Rule, Severity, CATALOGUE, MAX_FINDINGS_PER_RULE};
pub use stats::{latency_by_message, statistics, Statistics};
pub use verdict::{verdict, VerdictLine};

/// Tunables of the analysis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalysisOptions {
    /// Report ACKs slower than this (nanoseconds) with SPOP-X008. `None`: never (HAProxy's
    /// `timeout processing` is not in the capture, so only the user knows the threshold).
    pub slow_ack: Option<u64>,
    /// Connections ending at the handshake before SPOP-C006 calls it churn.
    pub churn_threshold: usize,
    /// Threads the analysis may use on a large capture: 0 for one per core; at most 64. The
    /// results are the same for any number. Only with the `parallel` feature (it needs std);
    /// without it, as in the browser, the analysis runs on the calling thread.
    pub threads: usize,
}

impl AnalysisOptions {
    /// The slow-ACK threshold from milliseconds, as people give it (`--slow-ack 50`,
    /// `slowAckMs: 50`): every surface converts the same way.
    pub fn slow_ack_ms(ms: Option<f64>) -> Option<u64> {
        ms.map(|ms| (ms * 1e6) as u64)
    }
}

impl Default for AnalysisOptions {
    fn default() -> Self {
        AnalysisOptions {
            slow_ack: None,
            churn_threshold: 5,
            threads: 0,
        }
    }
}

/// One frame of the timeline: where it is, what its header says, when it happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameEntry {
    /// Position in the timeline (all connections, by time).
    pub index: usize,
    /// Connection index.
    pub connection: usize,
    /// Its bytes in the stream.
    pub layout: FrameLayout,
    /// STREAM-ID.
    pub stream_id: u64,
    /// FRAME-ID.
    pub frame_id: u64,
    /// Time of the packet that completed it.
    pub time: Timestamp,
    /// LENGTH.
    pub length: u32,
    /// Number of the packet that completed it.
    pub packet: u32,
    /// FLAGS.
    pub flags: Flags,
    /// For a frame written into another one, that frame's index.
    pub embedded_in: Option<u32>,
    /// For a NOTIFY its ACK, for an ACK its NOTIFY (same connection).
    pub pair: Option<u32>,
    /// TYPE.
    pub frame_type: FrameType,
    /// Who sent it.
    pub direction: Direction,
    /// What the payload check found (once, while cutting the stream: the rules re-read
    /// payloads without walking them again for that).
    pub payload: PayloadCheck,
}

/// A frame's payload, as checked when its stream was cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadCheck {
    /// It breaks its type's grammar.
    Invalid,
    /// It follows its grammar, with some typed value flagged or out of range, or some
    /// action out of the ordinary (see [`Frame::plain`]).
    Valid,
    /// It follows its grammar and is plain ([`Frame::plain`]): the rules check such a frame
    /// from its entry alone, without decoding it again.
    Plain,
}

impl FrameEntry {
    /// Offset of the frame's first byte in its stream.
    pub const fn offset(&self) -> usize {
        self.layout.head.start
    }

    /// Its header, rebuilt from the entry (no decoding): with [`Self::offset`] it gives the
    /// spans of the header fields as a decode of the frame would.
    pub const fn header(&self) -> FrameHeader {
        FrameHeader::new(
            self.length,
            self.frame_type,
            self.flags,
            self.stream_id,
            self.frame_id,
        )
    }

    /// Its type for listings: `↳ ACK` for a frame written inside another frame's bytes (see
    /// SPOP-F010), else the type's name.
    pub fn type_label(&self) -> String {
        match self.embedded_in {
            Some(_) => alloc::format!("↳ {}", self.frame_type),
            None => self.frame_type.to_string(),
        }
    }

    /// The stream bytes the frame occupies, embedded frames included for a split one.
    pub fn extent(&self) -> Span {
        self.layout.extent()
    }

    /// Where stream offset `offset` is in the decoded frame (as decoded with base
    /// [`Self::offset`]); `None` for bytes of frames written into a split frame.
    pub fn decoded_offset(&self, offset: usize) -> Option<usize> {
        self.layout.unmap(offset)
    }

    /// Where a span of the decoded frame (offsets as decoded with base [`Self::offset`]) lies
    /// in the stream: one span, or two for a split frame when it straddles the embedded ones.
    pub fn map_span(&self, span: Span) -> impl Iterator<Item = Span> {
        self.layout.map_span(span).into_iter().flatten()
    }

    /// Whether its payload follows its type's grammar.
    pub fn payload_valid(&self) -> bool {
        self.payload != PayloadCheck::Invalid
    }

    /// The frame written into (`embedded_in`) as a timeline index.
    pub fn outer(&self) -> Option<usize> {
        self.embedded_in.map(|i| i as usize)
    }

    /// The paired frame (`pair`) as a timeline index.
    pub fn paired(&self) -> Option<usize> {
        self.pair.map(|i| i as usize)
    }

    /// For an ACK, the time since `notify` (ns); `None` when neither has a time (an input
    /// without times, as pasted streams and dumps without timestamps are: every time is 0,
    /// and a latency of 0 would be a measurement nobody made).
    pub fn latency_since(&self, notify: &FrameEntry) -> Option<u64> {
        (self.time != 0 || notify.time != 0).then(|| self.time.saturating_sub(notify.time))
    }
}

/// A frame's identity that survives re-analysis and sharing: its connection, its direction and
/// where it starts in that stream. Timeline indexes change when a capture is cut down to some
/// connections; these do not (beyond renumbering the connection). Text form: `3h128`, `0a52`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FrameKey {
    /// Connection index.
    pub connection: usize,
    /// Who sent it.
    pub direction: Direction,
    /// Offset of its first byte in its stream.
    pub offset: usize,
}

impl core::fmt::Display for FrameKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let d = match self.direction {
            Direction::HaproxyToAgent => 'h',
            Direction::AgentToHaproxy => 'a',
        };
        write!(f, "{}{d}{}", self.connection, self.offset)
    }
}

impl core::str::FromStr for FrameKey {
    type Err = ();

    fn from_str(s: &str) -> Result<FrameKey, ()> {
        let at = s.find(['h', 'a']).ok_or(())?;
        let (c, rest) = s.split_at(at);
        let direction = if rest.starts_with('h') {
            Direction::HaproxyToAgent
        } else {
            Direction::AgentToHaproxy
        };
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        let o = rest.get(1..).ok_or(())?;
        if !digits(c) || !digits(o) {
            return Err(());
        }
        Ok(FrameKey {
            connection: c.parse().map_err(|_| ())?,
            direction,
            offset: o.parse().map_err(|_| ())?,
        })
    }
}

/// Everything the analysis found.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// The capture analysed (its streams hold every frame's bytes).
    pub capture: Capture,
    /// Options used.
    pub options: AnalysisOptions,
    /// Per connection, in order.
    pub connections: Vec<ConnectionSummary>,
    /// Every frame of every connection, ordered by time.
    pub frames: Vec<FrameEntry>,
    /// Every finding, ordered by its first frame (capture-wide ones first): at most
    /// [`MAX_FINDINGS_PER_RULE`] of each rule, the first ones; the rest are counted in
    /// [`Analysis::omitted`].
    pub findings: Vec<Finding>,
    /// Findings counted but not kept in `findings`, by rule and severity (in code order):
    /// empty unless a rule fired more than [`MAX_FINDINGS_PER_RULE`] times. Counts
    /// ([`Analysis::counts`], the connections' error and warning counts) include them.
    pub omitted: Vec<Omitted>,
    /// Timeline indexes of each connection's frames, in order (so per-connection passes do
    /// not scan the whole timeline).
    by_connection: Vec<Vec<u32>>,
    /// What the rules still need besides the frames (`None` once they ran): the stream
    /// items that are not frames (gaps, skipped bytes), by time.
    unchecked: Option<Events>,
    /// NOTIFY and ACK frames without a pair, in timeline order: found while pairing, so the
    /// rules need not walk every entry again for them.
    unpaired: Vec<u32>,
    /// Which TYPE bytes occur (bit per byte value), noted in the same pass.
    types: [u64; 4],
}

impl Analysis {
    /// The frame's bytes (borrowed, or reassembled for a split frame) and the base offset to
    /// decode them with.
    pub fn frame_bytes(&self, index: usize) -> Option<(Cow<'_, [u8]>, usize)> {
        let e = self.frames.get(index)?;
        let data = self.stream_data(e.connection, e.direction)?;
        Some((e.layout.bytes(data)?, e.offset()))
    }

    /// The bytes one side of a connection sent.
    pub fn stream_data(&self, connection: usize, direction: Direction) -> Option<&[u8]> {
        Some(
            &self
                .capture
                .connections
                .get(connection)?
                .stream(direction)
                .data,
        )
    }

    /// Decodes frame `index` and hands the view to `f`.
    pub fn with_frame<R>(&self, index: usize, f: impl FnOnce(&Frame<'_>) -> R) -> Option<R> {
        let valid = self.frames.get(index)?.payload_valid();
        let (bytes, base) = self.frame_bytes(index)?;
        // The payload was checked while cutting the stream: walk it again only to find
        // the error of an invalid one.
        let decoded = if valid {
            decode_frame_validated(&bytes, base, Limits::default())
        } else {
            decode_frame(&bytes, base, Limits::default())
        };
        match decoded {
            Ok(Status::Complete(frame)) => Some(f(&frame)),
            _ => None,
        }
    }

    /// How many TCP segments carried frame `index`'s own bytes (both parts of a split one, a
    /// segment carrying both counted once; not those of frames written inside it): from the
    /// stream's segment map rather than stored in every timeline entry. `None` when the input
    /// has no packets (a pasted byte stream): its runs of bytes are writes, not segments.
    /// Every surface takes the count from here ([`Analysis::segments_phrase`]).
    pub fn segments_of(&self, index: usize) -> Option<usize> {
        if !self.capture.has_packets() {
            return None;
        }
        let Some(e) = self.frames.get(index) else {
            return Some(0);
        };
        let Some(conn) = self.capture.connections.get(e.connection) else {
            return Some(0);
        };
        let stream = conn.stream(e.direction);
        let records = |s: Span| {
            if s.is_empty() {
                &[][..]
            } else {
                stream.segments_in(s.start, s.end)
            }
        };
        let (head, tail) = (records(e.layout.head), records(e.layout.tail));
        let shared = match (head.last(), tail.first()) {
            (Some(h), Some(t)) => usize::from(h.offset == t.offset),
            _ => 0,
        };
        Some(head.len() + tail.len() - shared)
    }

    /// What carried frame `index`, for people: "4 TCP segment(s)", or "no packets (a byte
    /// stream)" for an input without packets.
    pub fn segments_phrase(&self, index: usize) -> String {
        match self.segments_of(index) {
            Some(n) => alloc::format!("{n} TCP segment(s)"),
            None => String::from(crate::capture::NO_PACKETS),
        }
    }

    /// Findings shown under frame `index` (whose first frame it is).
    pub fn findings_at(&self, index: usize) -> &[Finding] {
        self.findings
            .get(self.finding_indexes_at(index))
            .unwrap_or(&[])
    }

    /// Where [`Analysis::findings_at`] lies in [`Analysis::findings`].
    pub fn finding_indexes_at(&self, index: usize) -> core::ops::Range<usize> {
        // Sorted: frame-less findings first, then by first frame.
        let key = |f: &Finding| f.frames.first().map_or((0, 0), |&i| (1, i));
        let lo = self.findings.partition_point(|f| key(f) < (1, index));
        let hi = self.findings.partition_point(|f| key(f) <= (1, index));
        lo..hi.max(lo)
    }

    /// The frames of one connection, in timeline order.
    pub fn frames_of(&self, connection: usize) -> impl Iterator<Item = &FrameEntry> {
        self.by_connection
            .get(connection)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .filter_map(|&i| self.frames.get(i as usize))
    }

    /// Frame `index`'s lasting identity.
    pub fn key_of(&self, index: usize) -> Option<FrameKey> {
        self.frames.get(index).map(|e| FrameKey {
            connection: e.connection,
            direction: e.direction,
            offset: e.offset(),
        })
    }

    /// The timeline index of the frame `key` names, if this capture has it.
    pub fn frame_by_key(&self, key: FrameKey) -> Option<usize> {
        self.frames_of(key.connection)
            .find(|e| e.direction == key.direction && e.offset() == key.offset)
            .map(|e| e.index)
    }

    /// Whether direction `d` of connection `connection` is simply not in the input: one side
    /// pasted alone (a raw SPOP stream of one direction), so the other side is unknown, not
    /// silent. Never for packets, where TCP shows both directions.
    pub(crate) fn side_absent(&self, connection: usize, d: Direction) -> bool {
        self.capture.input.container == crate::capture::Container::RawStream
            && self
                .capture
                .connections
                .get(connection)
                .is_some_and(|c| c.stream(d).data.is_empty())
    }

    /// For a NOTIFY or an ACK of a NOTIFY↔ACK pair, the pair's latency (ns): the ACK's time
    /// since the NOTIFY's, whichever of the two `e` is. `None` unpaired, or without times
    /// ([`FrameEntry::latency_since`]).
    pub fn pair_latency(&self, e: &FrameEntry) -> Option<u64> {
        let other = self.frames.get(e.paired()?)?;
        match e.frame_type {
            FrameType::Ack => e.latency_since(other),
            _ => other.latency_since(e),
        }
    }

    /// The time the timeline counts from: the capture's first packet, as in Wireshark (so
    /// packet times match), or the first frame's for inputs without packets. Every surface
    /// shows times relative to it, so a report pasted from one matches what another showed.
    pub fn time_zero(&self) -> Timestamp {
        let first_frame = self.frames.first().map(|f| f.time);
        match (self.capture.first_packet, first_frame) {
            (Some(p), Some(f)) => p.timestamp.min(f),
            (Some(p), None) => p.timestamp,
            (None, f) => f.unwrap_or(0),
        }
    }

    /// Whether the input has times: false for pasted streams and dumps without timestamps,
    /// whose every time is 0 (surfaces then show frame order instead of a time axis).
    pub fn has_times(&self) -> bool {
        self.capture.first_packet.is_some_and(|p| p.timestamp != 0)
            || self.frames.iter().any(|f| f.time != 0)
    }

    /// How many findings of each severity: (errors, warnings, infos), omitted ones included.
    pub fn counts(&self) -> (usize, usize, usize) {
        let n = |s| {
            self.findings.iter().filter(|f| f.severity == s).count()
                + self
                    .omitted
                    .iter()
                    .filter(|o| o.severity == s)
                    .map(|o| o.count)
                    .sum::<usize>()
        };
        (n(Severity::Error), n(Severity::Warning), n(Severity::Info))
    }

    /// How many findings were counted but not kept ([`Analysis::omitted`]).
    pub fn omitted_count(&self) -> usize {
        self.omitted.iter().map(|o| o.count).sum()
    }

    /// How many findings rule `code` has, kept and omitted.
    pub fn rule_count(&self, code: &str) -> usize {
        self.findings.iter().filter(|f| f.rule.code == code).count()
            + self
                .omitted
                .iter()
                .filter(|o| o.rule.code == code)
                .map(|o| o.count)
                .sum::<usize>()
    }
}

/// Things in a stream that are not frames (gaps, skipped bytes, a truncated end), for the
/// capture and framing rules ([`Events::item`] gives the stream item back). 40 bytes, where a
/// [`StreamItem`] takes 80: an input can hold millions of them (a share bundle claims a gap
/// in 4 bytes of its body).
#[derive(Debug, Clone, Copy)]
pub(crate) struct StreamEvent {
    /// When it happened (the time of [`StreamItem::packet`]).
    pub time: Timestamp,
    /// Where the item starts in its stream.
    start: u64,
    /// Skipped bytes: where they end; a gap: the bytes missing; a truncated end: the bytes
    /// missing to complete its frame (it ends where its stream's bytes do).
    value: u64,
    connection: u32,
    /// The frame just before it in its stream (timeline index), or `u32::MAX`.
    after_frame: u32,
    /// Undecodable bytes: the index of their decode error in [`Events`].
    error: u32,
    kind: EventKind,
    /// Which stream.
    pub direction: Direction,
}

/// What a [`StreamEvent`] is: a [`StreamItem`] that is not a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EventKind {
    MidStreamStart,
    AfterGap,
    CutByGap,
    Undecodable,
    Gap,
    Truncated,
}

impl StreamEvent {
    /// The connection (a TCP connection number until the timeline renumbers it).
    pub fn connection(&self) -> usize {
        self.connection as usize
    }

    /// The frame just before it in its stream, if any (timeline index).
    pub fn after_frame(&self) -> Option<usize> {
        (self.after_frame != u32::MAX).then_some(self.after_frame as usize)
    }

    fn map_after_frame(&mut self, f: impl FnOnce(usize) -> usize) {
        if let Some(i) = self.after_frame() {
            self.after_frame = f(i) as u32;
        }
    }
}

/// Stream events, with the decode errors of the undecodable bytes among them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Events {
    /// The events.
    pub list: Vec<StreamEvent>,
    errors: Vec<DecodeError>,
}

impl Events {
    /// Adds `item` (nothing for a frame) of stream `direction` of `connection`.
    fn push(
        &mut self,
        connection: usize,
        direction: Direction,
        item: StreamItem,
        time: Timestamp,
        after_frame: Option<usize>,
    ) {
        let mut error = 0;
        let (kind, start, value) = match item {
            StreamItem::Frame(_) | StreamItem::Split(_) => return,
            StreamItem::Skipped { span, reason } => {
                let kind = match reason {
                    SkipReason::MidStreamStart => EventKind::MidStreamStart,
                    SkipReason::AfterGap => EventKind::AfterGap,
                    SkipReason::CutByGap => EventKind::CutByGap,
                    SkipReason::Undecodable(e) => {
                        error = self.errors.len() as u32;
                        self.errors.push(e);
                        EventKind::Undecodable
                    }
                };
                (kind, span.start as u64, span.end as u64)
            }
            StreamItem::Gap { at, missing } => (EventKind::Gap, at as u64, missing),
            StreamItem::Truncated { span, needed } => {
                (EventKind::Truncated, span.start as u64, needed as u64)
            }
        };
        self.list.push(StreamEvent {
            time,
            start,
            value,
            connection: connection as u32,
            after_frame: after_frame.map_or(u32::MAX, |i| i as u32),
            error,
            kind,
            direction,
        });
    }

    /// The stream item `ev` (one of these events) stands for, in analysis `a`.
    pub fn item(&self, ev: &StreamEvent, a: &Analysis) -> StreamItem {
        let (start, value) = (ev.start as usize, ev.value);
        let skipped = |reason| StreamItem::Skipped {
            span: Span::new(start, value as usize),
            reason,
        };
        match ev.kind {
            EventKind::MidStreamStart => skipped(SkipReason::MidStreamStart),
            EventKind::AfterGap => skipped(SkipReason::AfterGap),
            EventKind::CutByGap => skipped(SkipReason::CutByGap),
            EventKind::Undecodable => match self.errors.get(ev.error as usize) {
                Some(&e) => skipped(SkipReason::Undecodable(e)),
                None => skipped(SkipReason::AfterGap),
            },
            EventKind::Gap => StreamItem::Gap {
                at: start,
                missing: value,
            },
            EventKind::Truncated => StreamItem::Truncated {
                span: Span::new(
                    start,
                    a.stream_data(ev.connection(), ev.direction)
                        .map_or(start, <[u8]>::len),
                ),
                needed: value as usize,
            },
        }
    }

    fn append(&mut self, other: &mut Events) {
        let shift = self.errors.len() as u32;
        for ev in &mut other.list {
            if ev.kind == EventKind::Undecodable {
                ev.error += shift;
            }
        }
        self.list.append(&mut other.list);
        self.errors.append(&mut other.errors);
    }
}

/// Analyses a capture.
pub fn analyze(capture: Capture, options: &AnalysisOptions) -> Analysis {
    analyze_with_progress(capture, options, &mut |_| {})
}

/// [`analyze`], telling `progress` where it is.
pub fn analyze_with_progress(
    capture: Capture,
    options: &AnalysisOptions,
    progress: &mut dyn FnMut(Progress),
) -> Analysis {
    let mut a = analyze_timeline(capture, options, progress);
    a.check(progress);
    a
}

/// The first half of [`analyze`]: the timeline (frames, NOTIFY↔ACK pairs, connection
/// summaries) without the rules, so a surface can show it while [`Analysis::check`] runs
/// (about a third of the analysis on a large capture). Until then `findings` is empty and
/// the connections' error and warning counts are zero.
pub fn analyze_timeline(
    capture: Capture,
    options: &AnalysisOptions,
    progress: &mut dyn FnMut(Progress),
) -> Analysis {
    timeline(capture, options, progress)
}

/// Finishes `loader` and analyses the capture: [`Loader::finish`] then [`analyze`], both
/// telling `progress` where they are.
pub fn analyze_loaded(
    loader: Loader,
    options: &AnalysisOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Analysis, LoadError> {
    let capture = loader.finish(progress)?;
    Ok(analyze_with_progress(capture, options, progress))
}

/// [`load`](crate::capture::load()) and [`analyze`] as one pipeline, for an input in memory
/// (a [`Loader`] told its size, so reassembly can spread over cores on a large file).
pub fn load_and_analyze(
    input: &[u8],
    load: &LoadOptions,
    options: &AnalysisOptions,
) -> Result<Analysis, LoadError> {
    let mut loader = Loader::new(load.clone()).with_total(input.len());
    loader.feed(input, &mut |_| {});
    analyze_loaded(loader, options, &mut |_| {})
}

/// [`analyze_timeline`].
fn timeline(
    capture: Capture,
    options: &AnalysisOptions,
    progress: &mut dyn FnMut(Progress),
) -> Analysis {
    let total = capture.connections.len();
    let mut all = Made::default();
    // Typically one frame per segment: reserving that once spares the doubling growth its
    // copies (tens of MB for large captures). Bounded by the bytes (a frame takes at least
    // four), so a capture of many tiny segments cannot reserve more than its frames could use.
    let (segments, bytes) =
        capture
            .connections
            .iter()
            .flat_map(|c| &c.streams)
            .fold((0usize, 0usize), |(n, b), s| {
                (
                    n.saturating_add(s.segments.len()),
                    b.saturating_add(s.data.len()),
                )
            });
    all.reserve(segments.min(bytes / 4));
    // Frames per connection.
    let mut counts: Vec<usize> = alloc::vec![0; total];
    // Connections are scanned on other threads too (when there are cores and enough bytes);
    // this thread puts their frames into the timeline in connection order.
    let parts = crate::parallel::parts(options.threads, bytes / 128);
    let mut done = 0;
    crate::parallel::in_order(
        &capture.connections,
        parts,
        |conn| {
            let mut part = Made::default();
            scan_connection(conn, conn.id, &mut part);
            part
        },
        |conn, part| {
            if done % 64 == 0 {
                progress(Progress::Timeline { done, total });
            }
            done += 1;
            let first = all.frames.len();
            match part {
                None => scan_connection(conn, conn.id, &mut all),
                Some(mut part) => all.append(&mut part),
            }
            if let Some(n) = counts.get_mut(conn.id) {
                *n += all.frames.len() - first;
            }
        },
    );
    progress(Progress::Timeline { done: total, total });
    let Made {
        mut frames,
        mut events,
        keys,
    } = all;
    frames.shrink_to_fit();

    // The timeline: by time, then packet, then stream order (the order the entries were made
    // in, which `timeline_order` keeps for ties: a packet's frames are all of one stream, so
    // the order connections were scanned in never matters).
    let new_index = timeline_order(&keys, capture.packets);
    drop(keys);
    let remap = |i: usize| new_index.get(i).map_or(i, |&n| n as usize);
    let mut timeline = frames;
    // Put each entry at its new index in place, cycle by cycle: no second timeline in memory.
    // `source[p]` is the entry that belongs at p. Walking a cycle moves entries from the source
    // slot to the next free one; the next slot comes from `source`, not from an entry just
    // moved, so the moves (cache misses, on large captures) overlap instead of waiting on
    // each other.
    let mut source = alloc::vec![0u32; timeline.len()];
    for (old, &new) in new_index.iter().enumerate() {
        if let Some(s) = source.get_mut(new as usize) {
            *s = old as u32;
        }
    }
    for start in 0..timeline.len() {
        if source.get(start).is_none_or(|&s| s as usize == start) {
            continue;
        }
        let Some(&first) = timeline.get(start) else {
            break;
        };
        let mut free = start;
        // Each step fills one slot for good and marks it done, so a cycle ends within n steps.
        while let Some(from) = source.get_mut(free) {
            let from_index = core::mem::replace(from, free as u32) as usize;
            if from_index == start || from_index == free {
                if let Some(slot) = timeline.get_mut(free) {
                    *slot = first;
                }
                break;
            }
            let Some(&moved) = timeline.get(from_index) else {
                break;
            };
            if let Some(slot) = timeline.get_mut(free) {
                *slot = moved;
            }
            free = from_index;
        }
    }
    drop(source);
    for ev in &mut events.list {
        ev.map_after_frame(remap);
    }
    // A few per connection: the short lists' sort (crate::sort), not one more in the wasm.
    crate::sort::sort_by_key(&mut events.list, |e| (e.time, e.connection));

    // One pass over the timeline for what needs its order (each pass over hundreds of MB of
    // entries costs): indexes, NOTIFY ↔ ACK pairs per connection (the first ACK wins; later
    // ones are duplicates) and each connection's frame list, sized exactly from the counts.
    let mut by_connection: Vec<Vec<u32>> = counts.into_iter().map(Vec::with_capacity).collect();
    // Keyed by (connection, STREAM-ID) and FRAME-ID as two 128-bit words: hashed in two
    // steps, where a tuple of three took three buffered writes (128-bit shifts, library calls
    // on wasm32).
    let mut open: hashbrown::HashMap<(u128, u128), usize> = hashbrown::HashMap::new();
    let mut unpaired = Vec::new();
    let mut types = [0u64; 4];
    for i in 0..timeline.len() {
        let Some(e) = timeline.get_mut(i) else { break };
        e.index = i;
        e.embedded_in = e.embedded_in.map(|p| remap(p as usize) as u32);
        if let Some(list) = by_connection.get_mut(e.connection) {
            list.push(i as u32);
        }
        let t = e.frame_type.as_u8();
        if let Some(word) = types.get_mut(usize::from(t >> 6)) {
            *word |= 1 << (t & 63);
        }
        let key = (
            (e.connection as u128) << 64 | u128::from(e.stream_id),
            u128::from(e.frame_id),
        );
        match e.frame_type {
            FrameType::Notify => {
                // A NOTIFY with the same ids still open stays without an ACK for good.
                if let Some(earlier) = open.insert(key, i) {
                    unpaired.push(earlier as u32);
                }
            }
            FrameType::Ack => match open.remove(&key) {
                Some(n) => {
                    e.pair = Some(n as u32);
                    if let Some(notify) = timeline.get_mut(n) {
                        notify.pair = Some(i as u32);
                    }
                }
                None => unpaired.push(i as u32),
            },
            _ => {}
        }
    }
    drop(new_index);
    unpaired.extend(open.into_values().map(|i| i as u32));
    unpaired.sort_unstable();
    let mut analysis = Analysis {
        connections: Vec::new(),
        frames: timeline,
        findings: Vec::new(),
        omitted: Vec::new(),
        options: options.clone(),
        capture,
        by_connection,
        unchecked: Some(events),
        unpaired,
        types,
    };
    analysis.connections = conversation::summarize(&analysis, options.threads);
    analysis
}

/// Timeline entries and stream events as scans make them, in the order made (a connection's
/// entries together, in stream order), with each entry's [`OrderKey`] alongside: ordering
/// reads those 12 bytes rather than whole entries (over 100 bytes each).
#[derive(Default)]
pub(crate) struct Made {
    pub frames: Vec<FrameEntry>,
    pub events: Events,
    pub keys: Vec<OrderKey>,
}

/// What orders an entry in the timeline: its time and packet number, in 12 bytes (a tuple
/// would take 16: these are held for every entry while the order is worked out).
#[derive(Clone, Copy)]
pub(crate) struct OrderKey([u32; 3]);

impl OrderKey {
    const fn new(time: Timestamp, packet: u32) -> Self {
        OrderKey([time as u32, (time >> 32) as u32, packet])
    }

    const fn time(self) -> Timestamp {
        let [lo, hi, _] = self.0;
        (hi as u64) << 32 | lo as u64
    }

    const fn packet(self) -> u32 {
        self.0[2]
    }
}

impl Made {
    fn reserve(&mut self, entries: usize) {
        self.frames.reserve(entries);
        self.keys.reserve(entries);
    }

    /// Appends `other`, made apart (indexes from 0), shifting its indexes to where its
    /// entries land.
    pub(crate) fn append(&mut self, other: &mut Made) {
        let first = self.frames.len();
        for e in other.frames.iter_mut() {
            e.index += first;
            e.embedded_in = e.embedded_in.map(|p| (p as usize + first) as u32);
        }
        for ev in other.events.list.iter_mut() {
            ev.map_after_frame(|p| p + first);
        }
        self.frames.append(&mut other.frames);
        self.events.append(&mut other.events);
        self.keys.append(&mut other.keys);
    }
}

/// Scans both streams of `conn` onto `made` (entries indexed from `made.frames.len()`, in
/// stream order; the items that are not frames as events), as connection `id`.
fn scan_connection(conn: &SpopConnection, id: usize, made: &mut Made) {
    let streams = [
        conn.stream(Direction::HaproxyToAgent),
        conn.stream(Direction::AgentToHaproxy),
    ];
    scan_streams(id, streams, made);
}

/// [`scan_connection`] on a connection's streams, `[HAProxy → agent, agent → HAProxy]`.
fn scan_streams(id: usize, streams: [&crate::capture::tcp::Stream; 2], made: &mut Made) {
    let Made {
        frames,
        events,
        keys,
    } = made;
    let [haproxy, _] = streams;
    let max_length = crate::capture::spop::max_plausible_length(&haproxy.data);
    for (dir, stream) in [Direction::HaproxyToAgent, Direction::AgentToHaproxy]
        .into_iter()
        .zip(streams)
    {
        let mut split_parent: Option<(usize, u32)> = None;
        let mut last_frame: Option<usize> = None;
        scan_stream_with(stream, dir, max_length, |item, decoded| {
            let packet = item.packet(stream);
            let layout = match item {
                StreamItem::Frame(r) => FrameLayout::whole(r.span),
                StreamItem::Split(r) => FrameLayout::split(&r),
                _ => {
                    events.push(id, dir, item, packet.timestamp, last_frame);
                    return;
                }
            };
            // The scan decoded frames found in place; split and embedded ones (rare) are
            // decoded here.
            let (bytes, frame);
            let f = match decoded {
                Some(f) => f,
                None => {
                    let Some(b) = item.frame_bytes(&stream.data) else {
                        return;
                    };
                    bytes = b;
                    let Ok(Status::Complete(d)) =
                        decode_frame(&bytes, item.offset(), Limits::default())
                    else {
                        return;
                    };
                    frame = d;
                    &frame
                }
            };
            let embedded_in = match (item, split_parent) {
                (StreamItem::Frame(_), Some((parent, left))) if left > 0 => {
                    split_parent = (left > 1).then_some((parent, left - 1));
                    Some(parent as u32)
                }
                _ => None,
            };
            let here = frames.len();
            if let StreamItem::Split(r) = item {
                split_parent = Some((here, r.embedded));
            }
            last_frame = Some(here);
            keys.push(OrderKey::new(packet.timestamp, packet.number));
            frames.push(FrameEntry {
                index: here,
                connection: id,
                direction: dir,
                layout,
                frame_type: f.frame_type(),
                flags: f.flags(),
                stream_id: f.stream_id(),
                frame_id: f.frame_id(),
                length: f.length(),
                time: packet.timestamp,
                packet: packet.number,
                embedded_in,
                pair: None,
                payload: match (f.payload_error(), f.plain()) {
                    (Some(_), _) => PayloadCheck::Invalid,
                    (None, false) => PayloadCheck::Valid,
                    (None, true) => PayloadCheck::Plain,
                },
            });
        });
    }
}

/// Where each entry (made a connection at a time, each stream in order; `keys` are theirs)
/// goes in the timeline: ordered by time, then packet number, then the order it was made in.
/// `packets` is how many packets the capture had (packet numbers run from 1 to it), or 0 if not
/// known.
fn timeline_order(keys: &[OrderKey], packets: u32) -> Vec<u32> {
    order_by_packet(keys, packets).unwrap_or_else(|| order_by_key(keys))
}

/// [`timeline_order`] as a counting sort on packet numbers (linear, no comparisons): valid when
/// packet times never go back from one packet to the next, as in a capture written as it was
/// taken. `None` when they do, or when packet numbers are too sparse for a table of them.
fn order_by_packet(keys: &[OrderKey], packets: u32) -> Option<Vec<u32>> {
    if keys.is_empty() {
        return Some(Vec::new());
    }
    if u32::try_from(keys.len()).is_err() {
        return None;
    }
    // The highest packet number: known from the capture, else a pass over the keys.
    let last = match packets {
        0 => keys.iter().map(|k| k.packet()).max()?,
        n => n,
    } as usize;
    // The table has an entry per packet number: bounded by the frames, so memory stays linear.
    if last > keys.len().saturating_mul(4).saturating_add(1024) {
        return None;
    }
    // Frames per packet, then (below) the first timeline position of each packet's frames.
    let mut next = alloc::vec![0u32; last + 1];
    let mut time: Vec<Timestamp> = alloc::vec![0; last + 1];
    for k in keys {
        let p = k.packet() as usize;
        let (Some(n), Some(t)) = (next.get_mut(p), time.get_mut(p)) else {
            return None;
        };
        *n += 1;
        *t = k.time();
    }
    // All frames of a packet share its time; a later packet with an earlier time means packet
    // order is not time order.
    let mut latest = 0;
    for (&t, _) in time.iter().zip(&next).filter(|(_, &n)| n > 0) {
        if t < latest {
            return None;
        }
        latest = t;
    }
    drop(time);
    let mut position = 0u32;
    for n in &mut next {
        let count = *n;
        *n = position;
        position = position.wrapping_add(count);
    }
    // Stable: a packet's frames keep the order they were made in.
    Some(
        keys.iter()
            .map(|k| {
                next.get_mut(k.packet() as usize).map_or(0, |n| {
                    *n += 1;
                    *n - 1
                })
            })
            .collect(),
    )
}

/// [`timeline_order`] by sorting (time, packet, made-in position) keys: for any packet numbering
/// and times. Sorting 16-byte keys instead of whole entries keeps the sort cheap, and the
/// position makes every key unique, so an unstable sort is deterministic.
fn order_by_key(keys: &[OrderKey]) -> Vec<u32> {
    let mut order: Vec<(u64, u64)> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| (k.time(), (u64::from(k.packet()) << 32) | i as u64))
        .collect();
    order.sort_unstable();
    let mut new_index = alloc::vec![0u32; order.len()];
    for (new, &(_, key)) in order.iter().enumerate() {
        if let Some(slot) = new_index.get_mut((key & u64::from(u32::MAX)) as usize) {
            *slot = new as u32;
        }
    }
    new_index
}

impl Analysis {
    /// The frame types that occur, in TYPE byte order.
    pub fn frame_types(&self) -> impl Iterator<Item = FrameType> + '_ {
        (0..=255u8)
            .filter(|&t| {
                self.types
                    .get(usize::from(t >> 6))
                    .is_some_and(|w| w & (1 << (t & 63)) != 0)
            })
            .map(FrameType::from_u8)
    }

    /// NOTIFY and ACK frames without a pair, by timeline index.
    pub(crate) fn unpaired(&self) -> impl Iterator<Item = &FrameEntry> {
        self.unpaired
            .iter()
            .filter_map(|&i| self.frames.get(i as usize))
    }

    /// Runs every rule, once: fills `findings` and the connections' error and warning counts.
    /// Does nothing if they already ran.
    pub fn check(&mut self, progress: &mut dyn FnMut(Progress)) {
        let Some(events) = self.unchecked.take() else {
            return;
        };
        let (findings, omitted) = rules::run(self, &events, self.options.threads, progress);
        self.findings = findings;
        for f in &self.findings {
            let Some(s) = f.connection.and_then(|c| self.connections.get_mut(c)) else {
                continue;
            };
            match f.severity {
                Severity::Error => s.errors += 1,
                Severity::Warning => s.warnings += 1,
                Severity::Info => {}
            }
        }
        for (c, (errors, warnings)) in omitted.by_connection.into_iter().enumerate() {
            if let Some(s) = self.connections.get_mut(c) {
                s.errors += errors;
                s.warnings += warnings;
            }
        }
        self.omitted = omitted.by_rule;
    }

    /// Whether the rules ran ([`Analysis::check`]).
    pub const fn is_checked(&self) -> bool {
        self.unchecked.is_none()
    }
}

/// The text of a STRING value for messages and summaries: lossy UTF-8 with control and
/// bidirectional-formatting characters escaped (see [`crate::escape`]).
pub(crate) use crate::display::lossy as text;
pub(crate) use crate::display::needs_escape;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        // The counting sort gives exactly the sorting order whenever it applies, and declines
        // (the sort then runs) when packet times go back or numbers exceed the capture's count.
        #[test]
        fn counting_order_is_the_sorted_order(
            frames in proptest::collection::vec(1u32..40, 0..60),
            declared in 0u32..50,
        ) {
            // Times per packet as a capture has them: every frame of a packet shares its time.
            let time_of = |p: u32| u64::from(p / 3) * 10 + u64::from(p % 3);
            let monotonic: Vec<OrderKey> =
                frames.iter().map(|&p| OrderKey::new(time_of(p), p)).collect();
            let expected = order_by_key(&monotonic);
            let counted = order_by_packet(&monotonic, declared);
            let fits = monotonic.iter().all(|k| declared == 0 || k.packet() <= declared);
            prop_assert_eq!(counted.is_some(), fits);
            if let Some(counted) = counted {
                prop_assert_eq!(&counted, &expected);
            }
            prop_assert_eq!(timeline_order(&monotonic, declared), expected);

            // Times that do not follow packet order: the counting sort must decline, or its
            // order would differ from the sorted one.
            let shuffled: Vec<OrderKey> = frames
                .iter()
                .map(|&p| OrderKey::new(u64::from(p) * 7 % 5 * 100 + (1 << 40), p))
                .collect();
            prop_assert_eq!(timeline_order(&shuffled, 0), order_by_key(&shuffled));
        }
    }

    proptest! {
        #[test]
        fn order_keys_keep_time_and_packet(time in any::<u64>(), packet in any::<u32>()) {
            let k = OrderKey::new(time, packet);
            prop_assert_eq!((k.time(), k.packet()), (time, packet));
        }
    }
}
