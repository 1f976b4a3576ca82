//! The validation rules: every finding the inspector reports carries one of these stable codes
//! (catalogue: docs/rules.md). Each rule is a small documented unit, a [`Rule`] constant next
//! to the code that fires it, in one module per family. [`CATALOGUE`] lists them all: the CLI
//! and the UI show it, so there is no second, hand-kept list.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::wire::Direction;
use crate::Span;

pub mod capture;
pub mod data;
pub mod exchange;
pub mod framing;
pub mod handshake;
pub mod incident;
pub mod probe;
pub mod teardown;

/// How serious a finding is (Wireshark's Expert Info spirit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
// From 1, in order: no severity (`None` of an `Option<Severity>`) is then 0, and comparing two
// optional severities is comparing two bytes (the web page does it for every frame).
#[repr(u8)]
pub enum Severity {
    /// Worth knowing when reading the timeline.
    Info = 1,
    /// Legal but suspicious, or a known cause of trouble.
    Warning = 2,
    /// A protocol violation: HAProxy rejects it, or it breaks the connection.
    Error = 3,
}

impl Severity {
    /// `"error"`, `"warning"` or `"info"`.
    pub const fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A rule's stable description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Rule {
    /// Stable code, e.g. `SPOP-F010`. Never changes meaning once released.
    pub code: &'static str,
    /// Short kebab-case name, e.g. `interleaved-frames`.
    pub name: &'static str,
    /// Default severity (a finding may say otherwise where HAProxy versions differ).
    pub severity: Severity,
    /// One line: when it fires.
    pub title: &'static str,
    /// What went wrong, why it matters, and what HAProxy (≤3.0 and 3.1+) does about it.
    pub explanation: &'static str,
}

/// Every rule, by family and code.
pub static CATALOGUE: &[&Rule] = &[
    &framing::F001,
    &framing::F002,
    &framing::F003,
    &framing::F004,
    &framing::F005,
    &framing::F006,
    &framing::F007,
    &framing::F008,
    &framing::F009,
    &framing::F010,
    &framing::F011,
    &framing::F012,
    &data::D001,
    &data::D002,
    &data::D003,
    &data::D004,
    &data::D005,
    &handshake::H001,
    &handshake::H002,
    &handshake::H003,
    &handshake::H004,
    &handshake::H005,
    &handshake::H006,
    &handshake::H007,
    &handshake::H008,
    &handshake::H009,
    &exchange::X001,
    &exchange::X002,
    &exchange::X003,
    &exchange::X004,
    &exchange::X005,
    &exchange::X006,
    &exchange::X007,
    &exchange::X008,
    &exchange::X009,
    &exchange::X010,
    &teardown::T001,
    &teardown::T002,
    &teardown::T003,
    &teardown::T004,
    &teardown::T005,
    &capture::C001,
    &capture::C002,
    &capture::C003,
    &capture::C004,
    &capture::C005,
    &capture::C006,
    &capture::C007,
    &incident::N001,
    &incident::N002,
    &incident::N003,
    &incident::N004,
    &incident::N005,
    &incident::N006,
    &incident::N007,
    &probe::P001,
    &probe::P002,
    &probe::P003,
    &probe::P004,
    &probe::P005,
];

/// The rule with this code.
pub fn rule(code: &str) -> Option<&'static Rule> {
    CATALOGUE.iter().copied().find(|r| r.code == code)
}

/// Most findings of one rule an analysis keeps; past it, they are counted
/// ([`super::Analysis::omitted`]). A broken frame of 12 bytes can carry four findings of a few
/// hundred bytes each: an input of tens of MB of them (a pasted dump with `*`, a share link)
/// took gigabytes. Every surface lists the findings kept and says how many more there are.
pub const MAX_FINDINGS_PER_RULE: usize = 10_000;

/// Findings of one rule and severity that were counted but not kept (past
/// [`MAX_FINDINGS_PER_RULE`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Omitted {
    /// The rule.
    pub rule: &'static Rule,
    /// Their severity.
    pub severity: Severity,
    /// How many.
    pub count: usize,
}

/// What the rules counted without keeping.
#[derive(Debug, Default)]
pub(crate) struct Omissions {
    /// By rule and severity, in the order first omitted.
    pub by_rule: Vec<Omitted>,
    /// Error and warning findings omitted, by connection index (a dense list: connection
    /// indexes are small and known).
    pub by_connection: Vec<(usize, usize)>,
}

impl Omissions {
    fn add(&mut self, f: &Finding, n: usize) {
        match self
            .by_rule
            .iter_mut()
            .find(|o| o.rule.code == f.rule.code && o.severity == f.severity)
        {
            Some(o) => o.count += n,
            None => self.by_rule.push(Omitted {
                rule: f.rule,
                severity: f.severity,
                count: n,
            }),
        }
        if let Some(c) = f.connection {
            let (e, w) = match f.severity {
                Severity::Error => (n, 0),
                Severity::Warning => (0, n),
                Severity::Info => return,
            };
            self.add_to(c, e, w);
        }
    }

    fn add_to(&mut self, c: usize, errors: usize, warnings: usize) {
        if self.by_connection.len() <= c {
            self.by_connection.resize(c.saturating_add(1), (0, 0));
        }
        if let Some((e, w)) = self.by_connection.get_mut(c) {
            *e += errors;
            *w += warnings;
        }
    }

    fn merge(&mut self, other: Omissions) {
        for o in other.by_rule {
            match self
                .by_rule
                .iter_mut()
                .find(|x| x.rule.code == o.rule.code && x.severity == o.severity)
            {
                Some(x) => x.count += o.count,
                None => self.by_rule.push(o),
            }
        }
        for (c, (e, w)) in other.by_connection.into_iter().enumerate() {
            self.add_to(c, e, w);
        }
    }
}

/// Bytes a finding points at: a span of one direction's stream of one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Location {
    /// Connection index.
    pub connection: usize,
    /// Which stream of the connection.
    pub direction: Direction,
    /// The bytes.
    pub span: Span,
}

/// One finding: a rule that fired, where, and a message in the capture's own terms.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Finding {
    /// The rule.
    pub rule: &'static Rule,
    /// Severity of this finding (the rule's default unless the HAProxy generation changes it).
    pub severity: Severity,
    /// The connection it concerns, if one.
    pub connection: Option<usize>,
    /// Timeline indexes of the frames it concerns (first = the frame it is shown under).
    pub frames: Vec<usize>,
    /// The bytes it points at.
    pub locations: Vec<Location>,
    /// Numbers of the packets it points at, for what happened outside the SPOP bytes (TCP
    /// events: a refused SYN, a RST, a zero window).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    pub packets: Vec<u32>,
    /// What happened here, in one or two sentences.
    pub message: String,
}

impl Finding {
    /// The rule's code.
    pub fn code(&self) -> &'static str {
        self.rule.code
    }
}

/// Collects findings while the rules run.
pub(crate) struct Cx<'a> {
    pub a: &'a super::Analysis,
    pub out: Vec<Finding>,
    /// Findings kept so far, by rule code.
    kept: Vec<(&'static str, usize)>,
    /// Findings past [`MAX_FINDINGS_PER_RULE`].
    omitted: Omissions,
    /// NOTIFYs and ACKs without a partner on their connection, by (type, stream-id, frame-id):
    /// looking for a partner elsewhere stays cheap however many there are. Built once, shared
    /// by the threads the rules run on.
    unmatched: &'a UnmatchedMap,
    /// The frames written into each split frame, in timeline order (built once, like
    /// `unmatched`: looking them up per split frame among all of a connection's frames made
    /// a stream of split frames quadratic).
    embedded: &'a EmbeddedMap,
}

type EmbeddedMap = alloc::collections::BTreeMap<usize, Vec<usize>>;

/// [`Cx::embedded`] for analysis `a`.
fn embedded(a: &super::Analysis) -> EmbeddedMap {
    let mut map = EmbeddedMap::new();
    for e in &a.frames {
        if let Some(outer) = e.outer() {
            map.entry(outer).or_default().push(e.index);
        }
    }
    map
}

/// Unpaired NOTIFYs and ACKs in one flat list sorted by (type, stream-id, frame-id), then
/// timeline order, with for each the position of the next one with the same type and ids on a
/// different connection (so "the first one elsewhere" is one step, even when thousands on the
/// same connection come first). 28 bytes a frame: a map of lists per ids took about 170, and
/// millions of unpaired frames with distinct ids are an input of some tens of MB.
struct UnmatchedMap {
    /// (stream-id, frame-id, timeline index, type), sorted by (type, stream-id, frame-id,
    /// index).
    frames: Vec<(u64, u64, u32, u8)>,
    /// For each, the position of the next one with its ids on another connection, or the end
    /// of its ids' run.
    next_other: Vec<u32>,
    /// The connection of every one of them, when they are all on one: asked from that
    /// connection, there is never one elsewhere (spares a search per unpaired frame of a
    /// capture of one connection).
    only: Option<usize>,
}

/// An entry's ids as [`UnmatchedMap`] sorts them.
const fn ids_of(x: &(u64, u64, u32, u8)) -> (u8, u64, u64) {
    (x.3, x.0, x.1)
}

/// [`Cx::unmatched`] for analysis `a`.
fn unmatched(a: &super::Analysis) -> UnmatchedMap {
    let mut frames: Vec<(u64, u64, u32, u8)> = a
        .unpaired()
        .map(|e| {
            (
                e.stream_id,
                e.frame_id,
                e.index as u32,
                e.frame_type.as_u8(),
            )
        })
        .collect();
    frames.sort_unstable_by_key(|x| (ids_of(x), x.2));
    let conn = |p: usize| {
        frames
            .get(p)
            .and_then(|x| a.frames.get(x.2 as usize))
            .map(|e| e.connection)
    };
    let n = frames.len();
    let mut next_other = alloc::vec![n as u32; n];
    let first = conn(0);
    let only = (0..n).all(|p| conn(p) == first).then_some(first).flatten();
    for p in (0..n.saturating_sub(1)).rev() {
        let same_ids = frames.get(p).map(ids_of) == frames.get(p + 1).map(ids_of);
        let next = if !same_ids || conn(p + 1) != conn(p) {
            (p + 1) as u32
        } else {
            next_other.get(p + 1).copied().unwrap_or(n as u32)
        };
        if let Some(slot) = next_other.get_mut(p) {
            *slot = next;
        }
    }
    UnmatchedMap {
        frames,
        next_other,
        only,
    }
}

impl<'a> Cx<'a> {
    fn new(a: &'a super::Analysis, unmatched: &'a UnmatchedMap, embedded: &'a EmbeddedMap) -> Self {
        Cx {
            a,
            out: Vec::new(),
            kept: Vec::new(),
            omitted: Omissions::default(),
            unmatched,
            embedded,
        }
    }

    /// The frames written into split frame `outer`, in timeline order.
    pub fn embedded_in(&self, outer: usize) -> &'a [usize] {
        self.embedded.get(&outer).map_or(&[], Vec::as_slice)
    }

    /// The first unpaired frame of type `t` with these ids on a connection other than
    /// `connection`, among those from time `from` on (`None`: from the start) — or, with
    /// `until`, the first one at or before that time.
    pub fn unmatched_elsewhere(
        &self,
        t: crate::wire::FrameType,
        (stream_id, frame_id): (u64, u64),
        connection: usize,
        from: Option<u64>,
        until: Option<u64>,
    ) -> Option<&'a super::FrameEntry> {
        let u = self.unmatched;
        if u.only == Some(connection) {
            return None;
        }
        let key = (t.as_u8(), stream_id, frame_id);
        let lo = u.frames.partition_point(|x| ids_of(x) < key);
        let rest = u.frames.get(lo..)?;
        // The run's end, galloping from its start: most runs are one frame long.
        let mut step = 1;
        while rest.get(step).is_some_and(|x| ids_of(x) == key) {
            step *= 2;
        }
        let probe = rest.get(step / 2..rest.len().min(step + 1))?;
        let len = step / 2 + probe.partition_point(|x| ids_of(x) == key);
        let run = rest.get(..len)?;
        let entry = |p: usize| run.get(p).and_then(|x| self.a.frames.get(x.2 as usize));
        let start = from.map_or(0, |t0| {
            run.partition_point(|x| self.a.frames.get(x.2 as usize).is_some_and(|e| e.time < t0))
        });
        let here = entry(start)?;
        let found = if here.connection != connection {
            here
        } else {
            let next = u.next_other.get(lo + start).copied()? as usize;
            entry(next.checked_sub(lo)?)?
        };
        until.is_none_or(|t1| found.time <= t1).then_some(found)
    }

    /// Starts a finding of `rule` on `connection`: its default severity, no frame, no bytes,
    /// no packet until the [`Report`] says otherwise; [`Report::emit`] keeps it.
    pub fn report(&mut self, rule: &'static Rule, connection: Option<usize>) -> Report<'_, 'a> {
        Report {
            finding: Finding {
                rule,
                severity: rule.severity,
                connection,
                frames: Vec::new(),
                locations: Vec::new(),
                packets: Vec::new(),
                message: String::new(),
            },
            cx: self,
        }
    }

    /// Keeps `f`, or counts it when its rule has [`MAX_FINDINGS_PER_RULE`] kept already.
    fn keep(&mut self, f: Finding) {
        let kept = match self.kept.iter_mut().find(|(code, _)| *code == f.rule.code) {
            Some((_, n)) => n,
            None => {
                self.kept.push((f.rule.code, 0));
                match self.kept.last_mut() {
                    Some((_, n)) => n,
                    None => return,
                }
            }
        };
        if *kept < MAX_FINDINGS_PER_RULE {
            *kept += 1;
            self.out.push(f);
        } else {
            self.omitted.add(&f, 1);
        }
    }

    /// The locations of a span of frame `index` (as decoded), mapped to its stream.
    pub fn at(&self, index: usize, span: Span) -> Vec<Location> {
        self.a
            .frames
            .get(index)
            .map(|e| {
                e.map_span(span)
                    .map(|span| Location {
                        connection: e.connection,
                        direction: e.direction,
                        span,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The whole frame `index` (both parts of a split frame).
    pub fn frame(&self, index: usize) -> Vec<Location> {
        let Some(e) = self.a.frames.get(index) else {
            return Vec::new();
        };
        let loc = |span| Location {
            connection: e.connection,
            direction: e.direction,
            span,
        };
        if e.layout.is_split() {
            alloc::vec![loc(e.layout.head), loc(e.layout.tail)]
        } else {
            alloc::vec![loc(e.layout.head)]
        }
    }

    /// The connection summary.
    pub fn conn(&self, c: usize) -> Option<&'a super::ConnectionSummary> {
        self.a.connections.get(c)
    }
}

/// A finding being described ([`Cx::report`]): one call chain per emission, so a rule says
/// where and what in one statement rather than through five positional arguments.
#[must_use = "a report is only kept by `emit`"]
pub(crate) struct Report<'c, 'a> {
    cx: &'c mut Cx<'a>,
    finding: Finding,
}

impl Report<'_, '_> {
    /// Shown under frame `index`, pointing at the whole of it (both parts of a split frame).
    pub fn on(mut self, index: usize) -> Self {
        self.finding.frames = alloc::vec![index];
        self.finding.locations = self.cx.frame(index);
        self
    }

    /// Shown under frame `index`, pointing at `span` of it (as decoded).
    pub fn at(mut self, index: usize, span: Span) -> Self {
        self.finding.frames = alloc::vec![index];
        self.finding.locations = self.cx.at(index, span);
        self
    }

    /// Also concerns frame `index` (after those given so far).
    pub fn also(mut self, index: usize) -> Self {
        self.finding.frames.push(index);
        self
    }

    /// Concerns these frames instead (the first is the one it is shown under).
    pub fn frames(mut self, frames: Vec<usize>) -> Self {
        self.finding.frames = frames;
        self
    }

    /// Points at these bytes instead.
    pub fn locations(mut self, locations: Vec<Location>) -> Self {
        self.finding.locations = locations;
        self
    }

    /// Points at these packets (what happened outside the SPOP bytes).
    pub fn packets(mut self, packets: Vec<u32>) -> Self {
        self.finding.packets = packets;
        self
    }

    /// A severity chosen for this case instead of the rule's default.
    pub fn severity(mut self, severity: Severity) -> Self {
        self.finding.severity = severity;
        self
    }

    /// Keeps the finding with this message (or counts it past [`MAX_FINDINGS_PER_RULE`]).
    pub fn emit(mut self, message: String) {
        self.finding.message = message;
        self.cx.keep(self.finding);
    }
}

/// The per-frame rules over `frames`, one part of `parts` (progress is reported as if every
/// part were as far as this one).
fn frame_rules(
    cx: &mut Cx<'_>,
    frames: &[super::FrameEntry],
    parts: usize,
    progress: &mut dyn FnMut(crate::Progress),
) {
    let (a, total) = (cx.a, cx.a.frames.len());
    for (done, e) in frames.iter().enumerate() {
        if done % 16384 == 0 {
            progress(crate::Progress::Rules {
                done: (done * parts).min(total),
                total,
            });
        }
        // A plain frame (most of them) is checked from its entry: decoding 800 000 frames
        // again only to find nothing in their payloads was half the rules' time.
        if e.payload == super::PayloadCheck::Plain {
            framing::check_frame(cx, e, None);
            continue;
        }
        a.with_frame(e.index, |f| {
            framing::check_frame(cx, e, f.payload_error());
            data::check_frame(cx, e, f);
            exchange::check_actions(cx, e, f);
        });
    }
}

/// The per-connection rules over `conns`.
fn connection_rules(cx: &mut Cx<'_>, conns: &[super::ConnectionSummary]) {
    // Once, not per connection: a bundle's state list may be long.
    let probe = probe::is_probe(cx);
    for c in conns {
        handshake::check(cx, c);
        exchange::check(cx, c);
        teardown::check(cx, c);
        capture::check_connection(cx, c);
        incident::check_connection(cx, c);
        if probe {
            probe::check_connection(cx, c);
        }
    }
}

/// Runs every rule; findings sorted by the frame they are shown under (capture-wide first),
/// at most [`MAX_FINDINGS_PER_RULE`] of each rule (the first ones emitted), and the rest
/// counted.
///
/// On a large capture the per-frame and per-connection rules run on `threads` threads (see
/// [`super::parallel`]), each on a range of frames and a range of connections. Rules only
/// emit findings, so putting the parts' findings together in range order gives exactly what
/// one thread emits. Each part keeps at most as many of a rule's findings as the whole does,
/// from its own first ones: what the whole keeps of a part's findings is among those, and
/// putting them together keeps the same ones as one thread.
pub(crate) fn run(
    a: &super::Analysis,
    events: &super::Events,
    threads: usize,
    progress: &mut dyn FnMut(crate::Progress),
) -> (Vec<Finding>, Omissions) {
    let unmatched = unmatched(a);
    let embedded = embedded(a);
    let total = a.frames.len();
    let parts = crate::parallel::parts(threads, total);
    let mut cx = Cx::new(a, &unmatched, &embedded);
    // Emitted in this order, as one thread does it: by frame, the stream events, by
    // connection, capture-wide.
    let by_connection = if parts <= 1 {
        frame_rules(&mut cx, &a.frames, 1, progress);
        None
    } else {
        let part = |p: usize, progress: &mut dyn FnMut(crate::Progress)| {
            let mut cx = Cx::new(a, &unmatched, &embedded);
            let frames = crate::parallel::part(&a.frames, p, parts);
            frame_rules(&mut cx, frames, parts, progress);
            let by_frame = core::mem::take(&mut cx.out);
            connection_rules(&mut cx, crate::parallel::part(&a.connections, p, parts));
            (by_frame, cx.out, cx.omitted)
        };
        let done = crate::parallel::join(parts, || part(0, progress), |p| part(p, &mut |_| {}));
        let mut by_connection = Vec::new();
        for (by_frame, by_conn, omitted) in done {
            for f in by_frame {
                cx.keep(f);
            }
            by_connection.push(by_conn);
            cx.omitted.merge(omitted);
        }
        Some(by_connection)
    };
    for ev in &events.list {
        let item = events.item(ev, a);
        framing::check_event(&mut cx, ev, item);
        capture::check_event(&mut cx, ev, item);
    }
    match by_connection {
        Some(found) => {
            for f in found.into_iter().flatten() {
                cx.keep(f);
            }
        }
        None => connection_rules(&mut cx, &a.connections),
    }
    capture::check_capture(&mut cx);
    incident::check_attempts(&mut cx);
    incident::check_capture(&mut cx);
    progress(crate::Progress::Rules { done: total, total });
    let mut out = core::mem::take(&mut cx.out);
    probe::soften(&cx, &mut out);
    crate::sort::sort_by(&mut out, |x, y| {
        (x.frames.first().map_or((0, 0), |&f| (1, f)), x.rule.code)
            .cmp(&(y.frames.first().map_or((0, 0), |&f| (1, f)), y.rule.code))
    });
    let mut omitted = cx.omitted;
    crate::sort::sort_by_key(&mut omitted.by_rule, |o| {
        (o.rule.code, core::cmp::Reverse(o.severity))
    });
    (out, omitted)
}
