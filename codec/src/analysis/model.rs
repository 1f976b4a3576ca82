//! The analysis as surfaces read it: the timeline's entries ([`FrameEntry`]), a frame's
//! lasting identity ([`FrameKey`]), and [`Analysis`] with its queries. The timeline builder
//! (`timeline.rs`) makes them.

use alloc::borrow::Cow;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::events::Events;
use super::{rules, AnalysisOptions, ConnectionSummary, Finding, Omitted, Severity};
use crate::capture::spop::FrameLayout;
use crate::capture::{Capture, Timestamp};
use crate::wire::frame::decode_frame_validated;
use crate::wire::{decode_frame, Direction, Flags, Frame, FrameHeader, FrameType, Limits, Status};
use crate::{Progress, Span};

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
    /// payloads without walking them again for that). A speed-up, not part of the model:
    /// [`FrameEntry::payload_valid`] tells surfaces what they need of it.
    pub(crate) payload: PayloadCheck,
}

/// A frame's payload, as checked when its stream was cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PayloadCheck {
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

    /// Where a span of the decoded frame (offsets as decoded with base [`Self::offset`]) lies
    /// in the stream: one span, or two for a split frame when it straddles the embedded ones.
    pub fn map_span(&self, span: Span) -> impl Iterator<Item = Span> {
        self.layout.map_span(span).into_iter().flatten()
    }

    /// Whether its payload follows its type's grammar.
    pub fn payload_valid(&self) -> bool {
        self.payload != PayloadCheck::Invalid
    }

    /// Forgets that the payload was found plain, so the rules decode the frame again instead
    /// of checking it from the entry: for tests that hold that shortcut to the full check.
    #[doc(hidden)]
    pub fn forget_plain(&mut self) {
        if self.payload == PayloadCheck::Plain {
            self.payload = PayloadCheck::Valid;
        }
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
    /// [`MAX_FINDINGS_PER_RULE`](super::MAX_FINDINGS_PER_RULE) of each rule, the first ones; the rest are counted in
    /// [`Analysis::omitted`].
    pub findings: Vec<Finding>,
    /// Findings counted but not kept in `findings`, by rule and severity (in code order):
    /// empty unless a rule fired more than [`MAX_FINDINGS_PER_RULE`](super::MAX_FINDINGS_PER_RULE) times. Counts
    /// ([`Analysis::counts`], the connections' error and warning counts) include them.
    pub omitted: Vec<Omitted>,
    /// Timeline indexes of each connection's frames, in order (so per-connection passes do
    /// not scan the whole timeline).
    pub(super) by_connection: Vec<Vec<u32>>,
    /// What the rules still need besides the frames (`None` once they ran): the stream
    /// items that are not frames (gaps, skipped bytes), by time.
    pub(super) unchecked: Option<Events>,
    /// NOTIFY and ACK frames without a pair, in timeline order: found while pairing, so the
    /// rules need not walk every entry again for them.
    pub(super) unpaired: Vec<u32>,
    /// Which TYPE bytes occur (bit per byte value), noted in the same pass.
    pub(super) types: [u64; 4],
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
