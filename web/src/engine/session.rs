//! The engine side of the page: one decoded capture and the answers to everything the page
//! asks about it (the rows of the current view, a window of the timeline, a frame's details,
//! the findings of a rule).
//!
//! It runs in the decode worker, so the page only ever holds what is on screen: a million
//! frames stay in the worker, and the page asks for the 40 rows it shows. The same code runs
//! in-thread where workers are unavailable (component tests). Everything here is rendering
//! of the engine's data: names, summaries, pairs and findings all come from `spop-codec`.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use spop_codec::analysis::{analyze_timeline, Analysis, AnalysisOptions, Finding, Severity};
use spop_codec::capture::{load_with_progress, Capture, LoadError, LoadOptions};
use spop_codec::display::Fixed;
use spop_codec::fields::{fields, Field};
use spop_codec::report::seconds;
use spop_codec::share::TIMEOUT_PROCESSING_KEY;
use spop_codec::time::HaproxyTime;
use spop_codec::wire::Direction;
use spop_codec::{Progress, Span};

/// Severity as a small number, ordered: 0 none, 1 info, 2 warning, 3 error.
pub type Level = u8;

/// The level of a severity.
pub fn level(s: Severity) -> Level {
    match s {
        Severity::Info => 1,
        Severity::Warning => 2,
        Severity::Error => 3,
    }
}

/// The name of a level (`""` for none).
pub fn level_name(l: Level) -> &'static str {
    match l {
        1 => "info",
        2 => "warning",
        3 => "error",
        _ => "",
    }
}

/// A question from the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// Apply a filter; answered with [`Response::View`].
    Filter(Filter),
    /// Rows `start..start + count` of the current view.
    Rows {
        /// First position.
        start: usize,
        /// How many.
        count: usize,
    },
    /// The timeline between two times (ns since the first frame), `bins` pixels wide.
    Timeline {
        /// Window start.
        t0: u64,
        /// Window end.
        t1: u64,
        /// Columns available.
        bins: u32,
    },
    /// A frame's details.
    Details {
        /// Timeline index.
        frame: usize,
    },
    /// Where a frame is in the current view.
    Locate {
        /// Timeline index.
        frame: usize,
    },
    /// The `count`th next (or previous) frame of the view with a finding of at least
    /// `min_level`, from a position; answered with [`Response::Found`] (the furthest found
    /// when fewer are left).
    NextFinding {
        /// Start after (or before) this position; `None` starts at an end.
        from: Option<usize>,
        /// Direction.
        forward: bool,
        /// The least severity to stop at.
        min_level: Level,
        /// How many such frames to move (quick key repeats add up); at least 1.
        count: usize,
    },
    /// A page of the findings of one rule.
    Findings {
        /// Rule code.
        code: String,
        /// First finding.
        offset: usize,
        /// How many.
        count: usize,
    },
    /// A share link's bundle: the capture (or part of it) with the page's state.
    Share {
        /// Notes, selection, filters, panel, timeline window.
        state: ShareState,
        /// Which connections go in.
        scope: Scope,
    },
    /// Frames named by their lasting keys (notes kept in local storage).
    Resolve {
        /// [`spop_codec::analysis::FrameKey`] texts.
        keys: Vec<String>,
    },
    /// The Markdown report, with the page's notes and a share link.
    Report {
        /// Notes to include.
        state: ShareState,
        /// What the capture is called.
        name: String,
        /// A share link to include.
        link: Option<String>,
    },
    /// The size of the engine's wasm memory; answered with [`Response::Memory`], with or
    /// without a capture loaded (for measuring the page, see `spopInspectorStats`).
    Memory,
    /// Run the rules (a load answers with the timeline first); answered with
    /// [`Response::Checked`].
    Check,
    /// Show the TCP events (SYN, FIN, RST …) as rows of the list, or not; answered with
    /// [`Response::View`].
    Events(bool),
    /// The row of a packet (or the nearest one); answered with [`Response::Packet`].
    GotoPacket {
        /// 1-based packet number.
        number: u32,
    },
    /// A TCP event's details, as markup; answered with [`Response::Html`].
    Event {
        /// Index among the capture's TCP events ([`crate::engine::incident`]).
        index: usize,
    },
    /// The statistics view, as markup for this many pixels' width; answered with
    /// [`Response::Html`].
    Statistics {
        /// Width available (CSS pixels).
        width: u32,
    },
    /// Findings by index (a verdict line's); answered with [`Response::FindingList`].
    FindingList {
        /// Indexes into the analysis' findings.
        ids: Vec<usize>,
    },
}

impl Request {
    /// What the engine does to answer it, for people: "the decoder ran out of memory while
    /// checking the rules".
    pub fn doing(&self) -> &'static str {
        match self {
            Request::Check => "checking the rules",
            Request::Filter(_) => "filtering the frames",
            Request::Rows { .. } => "listing the frames",
            Request::Timeline { .. } => "drawing the timeline",
            Request::Details { .. } => "decoding the frame's details",
            Request::Locate { .. } | Request::NextFinding { .. } => "looking for a frame",
            Request::Findings { .. } => "listing the findings",
            Request::Share { .. } => "making the share link",
            Request::Resolve { .. } => "finding the noted frames",
            Request::Report { .. } => "writing the report",
            Request::Memory => "measuring its memory",
            Request::Events(_) => "listing the TCP events",
            Request::GotoPacket { .. } => "looking for a packet",
            Request::Event { .. } => "decoding the TCP event's details",
            Request::Statistics { .. } => "computing the statistics",
            Request::FindingList { .. } => "listing the findings",
        }
    }
}

/// What a load is asked to do besides decoding: the page's settings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// HAProxy's `timeout processing` (ns): ACKs later than this are SPOP-X008 findings.
    pub timeout_processing: Option<u64>,
    /// A share bundle's own `timeout processing` ([`TIMEOUT_PROCESSING_KEY`]) wins over
    /// `timeout_processing` (opening a link shows what its sender saw); false when the page
    /// reloads a capture with a value the person just set.
    ///
    /// [`TIMEOUT_PROCESSING_KEY`]: spop_codec::share::TIMEOUT_PROCESSING_KEY
    pub bundle_decides: bool,
}

/// Why the decode worker failed to answer: it died (its wasm ran out of memory, or trapped),
/// or its answer could not be read. The page's side of the worker makes these; a worker never
/// sends one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FailureKind {
    /// The engine's wasm memory could not grow any further.
    OutOfMemory,
    /// An error the worker did not handle (a wasm trap, an exception), with its message.
    Crashed(String),
    /// The worker vanished without a word (terminated, closed).
    Stopped,
    /// A message from the worker could not be read (`messageerror`).
    Garbled,
}

/// A failure of the decode worker and what it was doing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// What happened.
    pub kind: FailureKind,
    /// What it was asked to do (the oldest question unanswered, which it was working on), for
    /// people ([`Request::doing`]); `None` if it was idle.
    pub doing: Option<String>,
}

impl Failure {
    /// The failure in plain words, without a capital or a full stop (the page puts the
    /// capture's name first): "the decoder ran out of memory while checking the rules".
    pub fn sentence(&self) -> String {
        let while_ = self
            .doing
            .as_deref()
            .map_or(String::new(), |d| format!(" while {d}"));
        match &self.kind {
            FailureKind::OutOfMemory => format!("the decoder ran out of memory{while_}"),
            FailureKind::Crashed(m) if m.is_empty() => format!("the decoder failed{while_}"),
            FailureKind::Crashed(m) => format!("the decoder failed{while_} ({m})"),
            FailureKind::Stopped if self.doing.is_none() => {
                "the decoder stopped unexpectedly".into()
            }
            FailureKind::Stopped => format!("the decoder stopped{while_}"),
            FailureKind::Garbled => format!("the decoder's answer could not be read{while_}"),
        }
    }
}

/// An answer to the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Response {
    /// What a load produced.
    Loaded(Box<Overview>),
    /// The overview once the rules ran: counts, findings groups, per-connection errors.
    Checked(Box<Overview>),
    /// The view after a filter.
    View(ViewInfo),
    /// Rows of the view.
    Rows {
        /// First position.
        start: usize,
        /// The rows.
        rows: Vec<Row>,
    },
    /// A timeline window.
    Timeline(Timeline),
    /// A frame's details.
    Details(Box<Details>),
    /// A position in the view.
    Position(Option<usize>),
    /// A frame found by position: (position, timeline index).
    Found(Option<(usize, usize)>),
    /// A page of findings.
    Findings {
        /// Rule code.
        code: String,
        /// First finding of the page.
        offset: usize,
        /// The findings.
        items: Vec<FindingItem>,
    },
    /// A share link's bundle.
    Shared(ShareLink),
    /// Frames found by key, in the order asked (`text` empty).
    Resolved(Vec<Option<Note>>),
    /// A Markdown report.
    Report(String),
    /// The engine's wasm memory in bytes ([`wasm_memory`]).
    Memory(Option<u64>),
    /// Where a packet is in the list.
    Packet(crate::engine::incident::PacketHit),
    /// Markup drawn in the worker from the engine's data (numbers and escaped text): a TCP
    /// event's details, the statistics view. One string crosses instead of structures, and
    /// the page only places it.
    Html(String),
    /// Findings asked for by index.
    FindingList(Vec<FindingItem>),
    /// The question made no sense (no capture loaded).
    Error(String),
    /// The decode worker failed before it answered (made by the page's side of it).
    Failed(Failure),
}

/// A person's note on a frame, or a mark: kept by the page, in local storage and in links.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    /// Timeline index.
    pub frame: usize,
    /// The frame's lasting identity ([`spop_codec::analysis::FrameKey`] text).
    pub key: String,
    /// ns since time zero, to place it on the timeline.
    pub t: u64,
    /// Frame type name.
    pub frame_type: String,
    /// What the person wrote (may be empty for a bare mark).
    pub text: String,
    /// Marked (starred).
    pub marked: bool,
}

/// What a share link restores besides the capture.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareState {
    /// Notes and marks.
    pub notes: Vec<Note>,
    /// The selected frame (timeline index).
    pub selected: Option<usize>,
    /// The filters.
    pub filter: Filter,
    /// The side panel (`details`, `findings`, `notes`).
    pub panel: String,
    /// The timeline window (ns since time zero).
    pub window: Option<(u64, u64)>,
    /// What the capture was called where the link was made (a file name), if known.
    #[serde(default)]
    pub name: String,
    /// The selected field of the selected frame: its path in the details' tree (child
    /// indexes from the root); empty for none.
    #[serde(default)]
    pub field: Vec<usize>,
}

/// Which connections a share link holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    /// The whole capture.
    All,
    /// One connection (index).
    Connection(usize),
    /// The connections with frames in the current view (the filters' selection).
    View,
}

/// A share link's bundle, measured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareLink {
    /// What it holds.
    pub scope: Scope,
    /// Connections in it.
    pub connections: usize,
    /// Frames in it.
    pub frames: usize,
    /// Notes and marks in it.
    pub notes: usize,
    /// The bundle text (base64url), for the fragment.
    pub text: String,
}

/// Which frames the view shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    /// One connection (index).
    pub connection: Option<usize>,
    /// One frame type, by name (`"NOTIFY"`).
    pub frame_type: Option<String>,
    /// One STREAM-ID.
    pub stream_id: Option<u64>,
    /// Only frames with a finding at least this severe (a [`Level`]).
    pub min_level: Level,
    /// Text in the type, summary or findings, ignoring ASCII case (protocol names, rule
    /// texts and most agents' keys are ASCII; full Unicode folding would add its tables,
    /// about 9 KB gzipped, to the page).
    pub text: String,
}

impl Filter {
    /// True when it lets every frame through.
    pub fn is_empty(&self) -> bool {
        *self == Filter::default()
    }
}

/// The current view's size.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewInfo {
    /// Rows in the view: its frames, and its TCP events when they are shown.
    pub total: usize,
    /// Of those, TCP events.
    pub events: usize,
    /// Frames in the capture.
    pub all: usize,
    /// Time of the view's first and last row, or TCP event (ns since time zero); for an
    /// input without times, the first and last frame's place in frame order
    /// ([`order_time`]): where the timeline's "Fit" goes.
    pub t0: u64,
    /// See `t0`.
    pub t1: u64,
}

/// Everything shown once a capture is loaded.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    /// Detected input format.
    pub input: String,
    /// Packets read.
    pub packets: u32,
    /// Frames decoded.
    pub frames: usize,
    /// TCP connections that were not SPOP.
    pub other_connections: usize,
    /// Findings: errors, warnings, infos.
    pub counts: [usize; 3],
    /// Capture duration, ns from time zero (the first SPOP packet) to the last frame.
    pub duration: u64,
    /// The session's view when the overview was made (every frame, for a new session): the
    /// page shows it at once instead of asking for it.
    pub view: ViewInfo,
    /// Whether the rules ran: until then counts, groups and per-connection errors are empty
    /// (see [`Request::Check`]).
    pub checked: bool,
    /// One row per connection.
    pub connections: Vec<ConnectionRow>,
    /// Findings grouped by rule, most severe first.
    pub groups: Vec<RuleGroup>,
    /// What the engine says of the findings it counted without keeping them (a rule fired
    /// more than 10,000 times), if any.
    pub omitted: Option<String>,
    /// Frame types present, in protocol order.
    pub frame_types: Vec<String>,
    /// Problems reading the input that are not findings (packets the capture layer skipped).
    pub notes: Vec<String>,
    /// Identifies the capture's SPOP content however it was read (pcap, bundle, link), for
    /// keeping notes in local storage.
    pub fingerprint: String,
    /// The state a share bundle carried, resolved against this capture.
    pub restored: Option<ShareState>,
    /// The `timeout processing` (ns) the rules use ([`Settings`], or the bundle's own).
    pub timeout_processing: Option<u64>,
    /// "What happened": the engine's verdict (empty until the rules ran).
    pub verdict: Vec<crate::engine::incident::VerdictItem>,
    /// Connection attempts without SPOP, by agent and outcome.
    pub attempts: Vec<crate::engine::incident::AttemptGroup>,
    /// TCP events in the capture (connections and attempts).
    pub tcp_events: usize,
    /// Time zero in ns since the Unix epoch (0 for inputs without times).
    pub zero: u64,
    /// Whether the input has times ([`spop_codec::analysis::Analysis::has_times`]): without
    /// them, the timeline's axis is frame order ([`order_time`]).
    pub timed: bool,
    /// Why nothing could be shown.
    pub error: Option<String>,
}

/// One connection of the overview.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConnectionRow {
    /// Index.
    pub id: usize,
    /// HAProxy's address.
    pub haproxy: String,
    /// The agent's address.
    pub agent: String,
    /// Seconds from the capture's first frame to the connection's first packet.
    pub start: f64,
    /// Seconds from first to last packet.
    pub duration: f64,
    /// Frames HAProxy → agent.
    pub to_agent: usize,
    /// Frames agent → HAProxy.
    pub to_haproxy: usize,
    /// The version the agent chose.
    pub version: String,
    /// Negotiated max-frame-size.
    pub max_frame_size: String,
    /// Capabilities both sides announced.
    pub capabilities: String,
    /// How it ended.
    pub end: String,
    /// Who closed it first at the TCP level, and how (`FIN by agent`), or `open`.
    pub closed: String,
    /// Every FIN and RST of the connection, with its packet.
    pub closes: String,
    /// Likely HAProxy generation.
    pub generation: String,
    /// Median and slowest NOTIFY→ACK latency, for people.
    pub latency: String,
    /// The same in ns (median, slowest), for sorting; `None` without answered NOTIFYs.
    pub latency_ns: Option<(u64, u64)>,
    /// A health-check connection.
    pub healthcheck: bool,
    /// Error findings.
    pub errors: usize,
    /// Warning findings.
    pub warnings: usize,
}

/// The findings of one rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleGroup {
    /// Rule code.
    pub code: String,
    /// Rule name.
    pub name: String,
    /// Most severe finding of the group.
    pub level: Level,
    /// When it fires.
    pub title: String,
    /// What it means and what HAProxy does.
    pub explanation: String,
    /// Findings listed.
    pub count: usize,
    /// Findings counted but not listed (past the engine's cap per rule).
    pub omitted: usize,
}

/// One finding, for lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingItem {
    /// Rule code.
    pub code: String,
    /// Rule name.
    pub name: String,
    /// Severity.
    pub level: Level,
    /// What happened.
    pub message: String,
    /// The frame it is shown under.
    pub frame: Option<usize>,
    /// Its connection.
    pub connection: Option<usize>,
    /// Bytes it points at in that frame's stream.
    pub spans: Vec<(usize, usize)>,
    /// Packets it points at (TCP events).
    pub packets: Vec<u32>,
}

/// One row of the frame list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Position in the view.
    pub pos: usize,
    /// Timeline index.
    pub index: usize,
    /// Connection index.
    pub connection: usize,
    /// Seconds since the first frame.
    pub time: f64,
    /// ns since the first frame.
    pub t: u64,
    /// HAProxy → agent.
    pub to_agent: bool,
    /// Frame type name.
    pub frame_type: String,
    /// The type as listed (`↳ ACK` for a frame written inside another: the engine's label).
    pub label: String,
    /// STREAM-ID/FRAME-ID.
    pub ids: String,
    /// LENGTH.
    pub length: u32,
    /// One-line summary.
    pub summary: String,
    /// Worst finding shown under it.
    pub level: Level,
    /// Codes of the findings shown under it.
    pub codes: Vec<String>,
    /// Written inside another frame's bytes (that frame's index).
    pub embedded_in: Option<usize>,
    /// NOTIFY↔ACK partner and the latency in ns (`None` for an input without times).
    pub pair: Option<(usize, Option<u64>)>,
    /// Number of the packet that completed the frame (or showed the TCP event).
    pub packet: u32,
    /// ns since the previous row of the list.
    pub delta: u64,
    /// A TCP event's row: its index ([`Request::Event`]); `index` is then `usize::MAX`.
    pub event: Option<usize>,
}

/// A timeline window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    /// Window start (ns since the first frame).
    pub t0: u64,
    /// Window end.
    pub t1: u64,
    /// Frames in the window.
    pub count: usize,
    /// Each frame, when few enough to draw one by one.
    pub marks: Vec<Mark>,
    /// Otherwise, per column: frames each way and the worst level.
    pub bins: Vec<Bin>,
    /// TCP events and attempts in the window, as SVG markup (placed by the page; marks carry
    /// `data-packet`).
    pub tcp: String,
}

/// One frame on the timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mark {
    /// Timeline index.
    pub index: usize,
    /// ns since the first frame.
    pub t: u64,
    /// HAProxy → agent.
    pub to_agent: bool,
    /// Frame type name.
    pub frame_type: String,
    /// Worst finding level.
    pub level: Level,
    /// The ACK of a NOTIFY: its index, time and the latency.
    pub ack: Option<(usize, u64)>,
}

/// A column of a dense timeline.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bin {
    /// Frames HAProxy → agent.
    pub to_agent: u32,
    /// Frames agent → HAProxy.
    pub to_haproxy: u32,
    /// Worst finding level.
    pub level: Level,
}

/// A node of a frame's field tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// What it is.
    pub label: String,
    /// Decoded value.
    pub value: String,
    /// Its bytes in the stream (more than one span when other frames were written inside).
    pub spans: Vec<(usize, usize)>,
    /// Its parts.
    pub children: Vec<Node>,
}

impl Node {
    /// Path to the deepest node whose bytes include stream offset `o`.
    pub fn path_at(tree: &[Node], o: usize) -> Option<Vec<usize>> {
        let (i, node) = tree
            .iter()
            .enumerate()
            .find(|(_, n)| n.spans.iter().any(|&(s, e)| s <= o && o < e))?;
        let mut path = vec![i];
        if let Some(rest) = Node::path_at(&node.children, o) {
            path.extend(rest);
        }
        Some(path)
    }

    /// The node at `path`.
    pub fn at<'n>(tree: &'n [Node], path: &[usize]) -> Option<&'n Node> {
        let (first, rest) = path.split_first()?;
        let node = tree.get(*first)?;
        if rest.is_empty() {
            Some(node)
        } else {
            Node::at(&node.children, rest)
        }
    }
}

/// Bytes of another frame inside this one's extent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Embedded {
    /// Stream span.
    pub start: usize,
    /// End of the span.
    pub end: usize,
    /// That frame's timeline index.
    pub frame: usize,
    /// Its type.
    pub frame_type: String,
}

/// Everything the details panel shows for a frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Details {
    /// Timeline index.
    pub index: usize,
    /// Frame type name.
    pub frame_type: String,
    /// Its lasting identity ([`spop_codec::analysis::FrameKey`] text), for notes.
    pub key: String,
    /// ns since time zero.
    pub t: u64,
    /// One line about the frame (direction, connection, size, segments).
    pub title: String,
    /// Field tree.
    pub tree: Vec<Node>,
    /// Stream offset of the first byte shown.
    pub base: usize,
    /// The bytes from the frame's first to its last byte (embedded frames included).
    pub bytes: Vec<u8>,
    /// Which packet carried which bytes: (start, end, packet number), stream offsets.
    pub packets: Vec<(usize, usize, u32)>,
    /// Other frames' bytes inside this extent.
    pub embedded: Vec<Embedded>,
    /// Findings shown under this frame.
    pub findings: Vec<FindingItem>,
    /// The frame this one was written inside, if any.
    pub embedded_in: Option<usize>,
    /// NOTIFY↔ACK partner.
    pub pair: Option<usize>,
}

/// A frame's text as the filter searches it, written part by part (type, summary, findings),
/// lowercased as it comes: the search stops at the first part that brings the needle, so a
/// frame that matches by its type is not formatted further.
struct Search<'n> {
    needle: &'n str,
    text: String,
}

impl Search<'_> {
    /// Appends one part; true once the text has the needle.
    fn has(&mut self, part: impl FnOnce(&mut String) -> std::fmt::Result) -> bool {
        // The needle may straddle the previous part: search from its length back.
        let mut from = self.text.len().saturating_sub(self.needle.len());
        while !self.text.is_char_boundary(from) {
            from -= 1;
        }
        let start = self.text.len();
        let _ = part(&mut self.text);
        if let Some(new) = self.text.get_mut(start..) {
            new.make_ascii_lowercase();
        }
        self.text
            .get(from..)
            .is_some_and(|t| t.contains(self.needle))
    }
}

/// Timeline windows with at most this many frames are drawn frame by frame.
pub const MAX_MARKS: usize = 400;

/// On the timeline of an input without times, the "time" of frame `index`: its place in the
/// capture's frame order, one [`ORDER_UNIT`] apart from the next (frame 1 at one unit), so
/// windows, zoom and panning work as they do on times.
pub fn order_time(index: usize) -> u64 {
    (index as u64).saturating_add(1).saturating_mul(ORDER_UNIT)
}

/// The distance between two frames on a timeline of frame order ([`order_time`]): the
/// timeline's narrowest window.
pub const ORDER_UNIT: u64 = 1_000;

/// Which of `n` bins over `span` ns holds a frame `d` ns into the window: `d * n / span`,
/// in u64 unless the product needs more (spans beyond about 50 days). A u128 division is a
/// library call on wasm32, and this runs for every frame in the window.
pub(crate) fn bin_of(d: u64, n: usize, span: u64) -> usize {
    let x = match d.checked_mul(n as u64) {
        Some(p) => p / span.max(1),
        None => (u128::from(d) * n as u128 / u128::from(span.max(1))) as u64,
    };
    usize::try_from(x).unwrap_or(usize::MAX)
}

/// One decoded capture and the current view of it.
pub struct Session {
    pub(crate) a: Analysis,
    /// Time zero (ns, capture clock).
    start: u64,
    /// Whether the input has times (the engine's [`Analysis::has_times`]).
    timed: bool,
    /// Worst level of the findings shown under each frame.
    pub(crate) worst: Vec<Level>,
    /// Timeline indexes of the frames in the view, in order.
    pub(crate) view: Vec<usize>,
    /// TCP events, and the list when they are shown in it.
    pub(crate) tcp: crate::engine::incident::Tcp,
    /// The filter that made `view`, if the findings have not changed since.
    viewed: Option<Filter>,
    /// Findings by rule code, in the groups' order: indexes into `a.findings`.
    by_rule: Vec<(&'static str, Vec<usize>)>,
}

impl Session {
    /// Decodes any supported input, reporting progress. An input that cannot be read gives
    /// an overview with `error` set and no session.
    pub fn load(input: &[u8], progress: &mut dyn FnMut(Progress)) -> (Option<Session>, Overview) {
        Session::load_with(input, &Settings::default(), progress)
    }

    /// [`Session::load`] with the page's settings.
    pub fn load_with(
        input: &[u8],
        settings: &Settings,
        progress: &mut dyn FnMut(Progress),
    ) -> (Option<Session>, Overview) {
        if input.iter().all(u8::is_ascii_whitespace) {
            return (
                None,
                Overview {
                    error: Some("the input is empty".into()),
                    ..Overview::default()
                },
            );
        }
        Session::from_capture_with(
            load_with_progress(input, &LoadOptions::default(), progress),
            settings,
            progress,
        )
    }

    /// A session over a loaded capture (for instance a file read in chunks through
    /// [`spop_codec::capture::Loader`]), or the overview saying why there is none.
    pub fn from_capture(
        loaded: Result<Capture, LoadError>,
        progress: &mut dyn FnMut(Progress),
    ) -> (Option<Session>, Overview) {
        Session::from_capture_with(loaded, &Settings::default(), progress)
    }

    /// [`Session::from_capture`] with the page's settings.
    pub fn from_capture_with(
        loaded: Result<Capture, LoadError>,
        settings: &Settings,
        progress: &mut dyn FnMut(Progress),
    ) -> (Option<Session>, Overview) {
        let capture = match loaded {
            Ok(c) => c,
            Err(e) => {
                return (
                    None,
                    Overview {
                        error: Some(e.to_string()),
                        ..Overview::default()
                    },
                )
            }
        };
        // The timeline first: the page shows it and then asks for the rules (Request::Check).
        // A link restores filters and findings-related state, so its rules run now.
        let carried = settings
            .bundle_decides
            .then(|| {
                let (_, v) = capture
                    .shared
                    .iter()
                    .find(|(k, _)| k == TIMEOUT_PROCESSING_KEY)?;
                v.parse::<HaproxyTime>().ok()
            })
            .flatten();
        let options = AnalysisOptions {
            slow_ack: carried
                .map(HaproxyTime::as_nanos)
                .or(settings.timeout_processing),
            ..AnalysisOptions::default()
        };
        let mut a = analyze_timeline(capture, &options, progress);
        if !a.capture.shared.is_empty() {
            a.check(progress);
        }
        let session = Session::new(a);
        let mut overview = session.overview();
        if !session.a.capture.shared.is_empty() {
            overview.restored = Some(session.restore(&session.a.capture.shared));
        }
        (Some(session), overview)
    }

    /// A session over an analysis.
    pub fn new(a: Analysis) -> Session {
        // Time zero: the engine's, as in the CLI and the Markdown report (a connection's TCP
        // handshake before it shows at 0).
        let start = a.time_zero();
        let timed = a.has_times();
        let view = (0..a.frames.len()).collect();
        let tcp = crate::engine::incident::Tcp::new(&a);
        let mut s = Session {
            a,
            start,
            timed,
            worst: Vec::new(),
            view,
            tcp,
            viewed: None,
            by_rule: Vec::new(),
        };
        s.index_findings();
        s
    }

    /// Runs the rules if they have not run, and indexes their findings.
    pub fn check(&mut self) {
        if !self.a.is_checked() {
            self.a.check(&mut |_| {});
            self.index_findings();
        }
    }

    /// The worst level under each frame and the findings by rule, from `a.findings`.
    fn index_findings(&mut self) {
        // The findings are part of what a filter matches.
        self.viewed = None;
        let a = &self.a;
        let mut worst = vec![0; a.frames.len()];
        let mut by_rule: Vec<(&'static str, Vec<usize>)> = Vec::new();
        for (i, f) in a.findings.iter().enumerate() {
            if let Some(w) = f.frames.first().and_then(|&i| worst.get_mut(i)) {
                *w = (*w).max(level(f.severity));
            }
            match by_rule.iter_mut().find(|(c, _)| *c == f.rule.code) {
                Some((_, list)) => list.push(i),
                None => by_rule.push((f.rule.code, vec![i])),
            }
        }
        // Most severe rules first, then by code.
        let group_level = |list: &[usize]| {
            list.iter()
                .filter_map(|&i| a.findings.get(i))
                .map(|f| level(f.severity))
                .max()
                .unwrap_or(0)
        };
        spop_codec::sort::sort_by(&mut by_rule, |(ca, la), (cb, lb)| {
            group_level(lb)
                .cmp(&group_level(la))
                .then_with(|| ca.cmp(cb))
        });
        self.worst = worst;
        self.by_rule = by_rule;
        self.tcp.index_findings(&self.a);
    }

    /// The analysis.
    pub fn analysis(&self) -> &Analysis {
        &self.a
    }

    pub(crate) fn rel(&self, t: u64) -> u64 {
        t.saturating_sub(self.start)
    }

    /// Where frame `index` (at capture time `t`) is on the timeline: its time since time
    /// zero, or, for an input without times, its place in frame order ([`order_time`]).
    fn timeline_time(&self, index: usize, t: u64) -> u64 {
        if self.timed {
            self.rel(t)
        } else {
            order_time(index)
        }
    }

    /// Time zero (capture clock).
    pub(crate) fn start(&self) -> u64 {
        self.start
    }

    /// Timeline indexes of the current view.
    pub(crate) fn view(&self) -> &[usize] {
        &self.view
    }

    /// The overview of the capture.
    pub fn overview(&self) -> Overview {
        let a = &self.a;
        let (e, w, i) = a.counts();
        let notes = a.capture.notes();
        let types: Vec<_> = a.frame_types().collect();
        let connections = a
            .connections
            .iter()
            .map(|c| ConnectionRow {
                id: c.id,
                haproxy: c.haproxy.map_or("?".into(), |s| s.to_string()),
                agent: c.agent.map_or("?".into(), |s| s.to_string()),
                start: seconds(self.rel(c.start)),
                duration: seconds(c.end.saturating_sub(c.start)),
                to_agent: c.frames_to_agent,
                to_haproxy: c.frames_to_haproxy,
                version: c
                    .agent_hello
                    .as_ref()
                    .and_then(|h| h.version.clone())
                    .unwrap_or_else(|| "–".into()),
                max_frame_size: c
                    .negotiated_max_frame_size
                    .map_or("–".into(), |m| m.to_string()),
                capabilities: if c.agreed_capabilities.is_empty() {
                    "–".into()
                } else {
                    c.agreed_capabilities.join(", ")
                },
                end: c.end_reason.to_string(),
                closed: self.closed_by(c.id),
                closes: self.closes_of(c.id),
                generation: c.generation.label().into(),
                latency: c.latency().map_or("–".into(), |(m, x)| {
                    format!("{} / {}", duration(m), duration(x))
                }),
                latency_ns: c.latency(),
                healthcheck: c.is_healthcheck(),
                errors: c.errors,
                warnings: c.warnings,
            })
            .collect();
        let groups = self
            .by_rule
            .iter()
            .filter_map(|(_, list)| {
                let first = a.findings.get(*list.first()?)?;
                let rule = first.rule;
                Some(RuleGroup {
                    code: rule.code.into(),
                    name: rule.name.into(),
                    level: list
                        .iter()
                        .filter_map(|&i| a.findings.get(i))
                        .map(|f| level(f.severity))
                        .max()
                        .unwrap_or(0),
                    title: rule.title.into(),
                    explanation: rule.explanation.into(),
                    count: list.len(),
                    omitted: a
                        .omitted
                        .iter()
                        .filter(|o| o.rule.code == rule.code)
                        .map(|o| o.count)
                        .sum(),
                })
            })
            .collect();
        Overview {
            input: a.capture.input.to_string(),
            packets: a.capture.packets,
            frames: a.frames.len(),
            other_connections: a.capture.other_connections,
            counts: [e, w, i],
            duration: a.frames.last().map_or(0, |f| self.rel(f.time)),
            view: self.view_info(),
            checked: a.is_checked(),
            connections,
            groups,
            omitted: spop_codec::report::markdown::omitted_line(a),
            frame_types: types.iter().map(|t| t.to_string()).collect(),
            notes,
            fingerprint: self.fingerprint(),
            restored: None,
            timeout_processing: a.options.slow_ack,
            verdict: self.verdict(),
            attempts: self.attempt_groups(),
            tcp_events: self.tcp.events.len(),
            zero: a.capture.first_packet.map_or(0, |_| self.start),
            timed: self.timed,
            // A capture of failed attempts only (the agent down all along) is shown too.
            error: a
                .capture
                .no_spop()
                .filter(|_| a.capture.attempts.is_empty()),
        }
    }

    /// Answers one question.
    pub fn handle(&mut self, req: Request) -> Response {
        // Until the rules ran (see Request::Check), only what draws the timeline and the list
        // is answered without them; anything about findings runs them first.
        let needs_findings = match &req {
            Request::Rows { .. }
            | Request::Timeline { .. }
            | Request::Details { .. }
            | Request::Locate { .. }
            | Request::Resolve { .. }
            | Request::Memory => false,
            Request::Filter(f) => f.min_level > 0 || !f.text.trim().is_empty(),
            Request::Events(_) | Request::GotoPacket { .. } | Request::Statistics { .. } => false,
            _ => true,
        };
        if needs_findings {
            self.check();
        }
        match req {
            Request::Check => Response::Checked(Box::new(self.overview())),
            Request::Filter(f) => Response::View(self.filter(&f)),
            Request::Rows { start, count } => Response::Rows {
                start,
                rows: self.rows(start, count),
            },
            Request::Timeline { t0, t1, bins } => Response::Timeline(self.timeline(t0, t1, bins)),
            Request::Details { frame } => match self.details(frame) {
                Some(d) => Response::Details(Box::new(d)),
                None => Response::Error(format!("no frame #{}", frame + 1)),
            },
            Request::Locate { frame } => Response::Position(self.locate(frame)),
            Request::NextFinding {
                from,
                forward,
                min_level,
                count,
            } => Response::Found(self.next_finding(from, forward, min_level, count)),
            Request::Findings {
                code,
                offset,
                count,
            } => {
                let items = self.findings(&code, offset, count);
                Response::Findings {
                    code,
                    offset,
                    items,
                }
            }
            Request::Share { state, scope } => Response::Shared(self.share(&state, scope)),
            Request::Resolve { keys } => Response::Resolved(self.resolve(&keys)),
            Request::Report { state, name, link } => {
                Response::Report(self.report(&state, &name, link.as_deref()))
            }
            Request::Memory => Response::Memory(wasm_memory()),
            Request::Events(on) => Response::View(self.show_events(on)),
            Request::GotoPacket { number } => Response::Packet(self.goto_packet(number)),
            Request::Event { index } => Response::Html(self.event_html(index)),
            Request::Statistics { width } => Response::Html(crate::ui::stats::html(
                &spop_codec::analysis::statistics(&self.a),
                f64::from(width),
            )),
            Request::FindingList { ids } => Response::FindingList(
                ids.iter()
                    .take(1000)
                    .filter_map(|&i| self.a.findings.get(i))
                    .map(Self::finding_item)
                    .collect(),
            ),
        }
    }

    /// Applies a filter to the view.
    pub fn filter(&mut self, f: &Filter) -> ViewInfo {
        let needle = f.text.trim().to_ascii_lowercase();
        let mut search = Search {
            needle: &needle,
            text: String::new(),
        };
        // Typing into the text filter: when only the text grew around the previous one, every
        // frame it lets through was in the previous view, so only those are searched (each is
        // formatted to be searched: about a second for 800,000 frames in the browser).
        let narrower = self.viewed.as_ref().is_some_and(|v| {
            Filter {
                text: f.text.clone(),
                ..v.clone()
            } == *f
                && needle.contains(&v.text.trim().to_ascii_lowercase())
        });
        let candidates = match narrower {
            true => core::mem::take(&mut self.view),
            false => (0..self.a.frames.len()).collect(),
        };
        self.viewed = Some(f.clone());
        let a = &self.a;
        let worst = &self.worst;
        self.view = candidates
            .into_iter()
            .filter_map(|i| a.frames.get(i))
            .filter(|e| {
                f.connection.is_none_or(|c| e.connection == c)
                    && f.stream_id.is_none_or(|s| e.stream_id == s)
                    && f.frame_type
                        .as_deref()
                        .is_none_or(|t| e.frame_type.name() == t || e.frame_type.to_string() == t)
                    && (f.min_level == 0 || worst.get(e.index).copied().unwrap_or(0) >= f.min_level)
            })
            .filter(|e| {
                if needle.is_empty() {
                    return true;
                }
                search.text.clear();
                search.has(|t| write!(t, "{} ", e.frame_type))
                    || search.has(|t| {
                        a.with_frame(e.index, |fr| write!(t, "{}", fr.summary()))
                            .unwrap_or(Ok(()))
                    })
                    || a.findings_at(e.index).iter().any(|x| {
                        search.has(|t| write!(t, " {} {} {}", x.rule.code, x.rule.name, x.message))
                    })
            })
            .map(|e| e.index)
            .collect();
        self.tcp.filter = f.clone();
        self.rebuild_list();
        self.view_info()
    }

    /// The current view's size.
    pub fn view_info(&self) -> ViewInfo {
        let t = |p: Option<&usize>| {
            p.and_then(|&i| Some((i, self.a.frames.get(i)?)))
                .map(|(i, e)| self.timeline_time(i, e.time))
        };
        // The TCP events of the view's connections count too: a capture of refused attempts
        // has its time span in them.
        let (e0, e1) = if self.timed {
            self.tcp_span()
        } else {
            (None, None)
        };
        let (f0, f1) = (t(self.view.first()), t(self.view.last()));
        let events = if self.tcp.show {
            self.tcp.list.len() - self.view.len()
        } else {
            0
        };
        ViewInfo {
            total: self.view.len() + events,
            events,
            all: self.a.frames.len(),
            t0: f0.into_iter().chain(e0).min().unwrap_or(0),
            t1: f1.into_iter().chain(e1).max().unwrap_or(0),
        }
    }

    /// Rows of the view.
    pub fn rows(&self, start: usize, count: usize) -> Vec<Row> {
        let end = start
            .saturating_add(count.min(1000))
            .min(self.view_info().total);
        (start.min(end)..end)
            .filter_map(|pos| {
                let mut row = match self.item(pos)? {
                    crate::engine::incident::Item::Frame(i) => self.frame_row(pos, i as usize)?,
                    crate::engine::incident::Item::Event(e) => self.event_row(pos, e as usize)?,
                };
                // Time since the previous row (Wireshark's "since previous displayed").
                let before = pos
                    .checked_sub(1)
                    .and_then(|p| self.item_time(p))
                    .unwrap_or(row.t);
                row.delta = row.t.saturating_sub(before);
                Some(row)
            })
            .collect()
    }

    /// The list row of frame `i` at position `pos`.
    fn frame_row(&self, pos: usize, i: usize) -> Option<Row> {
        let a = &self.a;
        let e = a.frames.get(i)?;
        let findings = a.findings_at(i);
        Some(Row {
            pos,
            index: i,
            connection: e.connection,
            time: seconds(self.rel(e.time)),
            t: self.rel(e.time),
            to_agent: e.direction == Direction::HaproxyToAgent,
            frame_type: e.frame_type.to_string(),
            label: e.type_label(),
            ids: format!("{}/{}", e.stream_id, e.frame_id),
            length: e.length,
            summary: a
                .with_frame(i, |f| f.summary().to_string())
                .unwrap_or_default(),
            level: self.worst.get(i).copied().unwrap_or(0),
            codes: findings.iter().map(|f| f.rule.code.to_string()).collect(),
            embedded_in: e.outer(),
            pair: e.paired().map(|p| (p, a.pair_latency(e))),
            packet: e.packet,
            delta: 0,
            event: None,
        })
    }

    /// The view between `t0` and `t1` (ns since the first frame).
    pub fn timeline(&self, t0: u64, t1: u64, bins: u32) -> Timeline {
        let a = &self.a;
        let time = |i: usize| a.frames.get(i).map_or(0, |e| self.timeline_time(i, e.time));
        let lo = self.view.partition_point(|&i| time(i) < t0);
        let hi = self.view.partition_point(|&i| time(i) <= t1);
        let window = self.view.get(lo..hi.max(lo)).unwrap_or(&[]);
        let mut out = Timeline {
            t0,
            t1,
            count: window.len(),
            marks: Vec::new(),
            bins: Vec::new(),
            tcp: String::new(),
        };
        // Without times, TCP events have no place on an axis of frame order.
        if self.timed {
            self.tcp_marks(&mut out, bins);
        }
        if window.len() <= MAX_MARKS {
            out.marks = window
                .iter()
                .filter_map(|&i| {
                    let e = a.frames.get(i)?;
                    let ack = e
                        .paired()
                        .filter(|_| e.frame_type == spop_codec::wire::FrameType::Notify)
                        .and_then(|p| Some((p, self.timeline_time(p, a.frames.get(p)?.time))));
                    Some(Mark {
                        index: i,
                        t: self.timeline_time(i, e.time),
                        to_agent: e.direction == Direction::HaproxyToAgent,
                        frame_type: e.frame_type.to_string(),
                        level: self.worst.get(i).copied().unwrap_or(0),
                        ack,
                    })
                })
                .collect();
        } else {
            let n = bins.clamp(1, 4096) as usize;
            let span = (t1.saturating_sub(t0)).max(1);
            out.bins = vec![Bin::default(); n];
            for &i in window {
                let Some(e) = a.frames.get(i) else { continue };
                let x = bin_of(self.timeline_time(i, e.time).saturating_sub(t0), n, span);
                if let Some(b) = out.bins.get_mut(x.min(n - 1)) {
                    if e.direction == Direction::HaproxyToAgent {
                        b.to_agent += 1;
                    } else {
                        b.to_haproxy += 1;
                    }
                    b.level = b.level.max(self.worst.get(i).copied().unwrap_or(0));
                }
            }
        }
        out
    }

    /// Where frame `frame` is in the view.
    pub fn locate(&self, frame: usize) -> Option<usize> {
        let p = self.view.binary_search(&frame).ok()?;
        Some(self.list_pos(p))
    }

    /// The next (or previous) frame of the view with an error-level finding: its position in
    /// the list (which may hold TCP events too) and its timeline index.
    pub fn next_error(&self, from: Option<usize>, forward: bool) -> Option<(usize, usize)> {
        self.next_finding(from, forward, 3, 1)
    }

    /// The `count`th next (or previous) frame of the view whose worst finding is at least
    /// `min_level` (the furthest one when fewer are left): its position in the list and its
    /// timeline index.
    pub fn next_finding(
        &self,
        from: Option<usize>,
        forward: bool,
        min_level: Level,
        count: usize,
    ) -> Option<(usize, usize)> {
        let min_level = min_level.max(1);
        let count = count.max(1);
        let stops =
            |&(_, &i): &(usize, &usize)| self.worst.get(i).copied().unwrap_or(0) >= min_level;
        let found = if forward {
            let start = from.map_or(0, |p| self.frames_through(p));
            self.view
                .iter()
                .enumerate()
                .skip(start)
                .filter(stops)
                .take(count)
                .last()
                .map(|(p, &i)| (p, i))
        } else {
            let end = from.map_or(self.view.len(), |p| self.frames_before(p));
            self.view
                .get(..end.min(self.view.len()))?
                .iter()
                .enumerate()
                .rev()
                .filter(stops)
                .take(count)
                .last()
                .map(|(p, &i)| (p, i))
        };
        found.map(|(p, i)| (self.list_pos(p), i))
    }

    pub(crate) fn finding_item(f: &Finding) -> FindingItem {
        FindingItem {
            code: f.rule.code.into(),
            name: f.rule.name.into(),
            level: level(f.severity),
            message: f.message.clone(),
            frame: f.frames.first().copied(),
            connection: f.connection,
            spans: f
                .locations
                .iter()
                .map(|l| (l.span.start, l.span.end))
                .collect(),
            packets: f.packets.clone(),
        }
    }

    /// A page of one rule's findings.
    pub fn findings(&self, code: &str, offset: usize, count: usize) -> Vec<FindingItem> {
        self.by_rule
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, list)| {
                list.iter()
                    .skip(offset)
                    .take(count.min(1000))
                    .filter_map(|&i| self.a.findings.get(i))
                    .map(Self::finding_item)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A frame's details.
    pub fn details(&self, index: usize) -> Option<Details> {
        let a = &self.a;
        let entry = *a.frames.get(index)?;
        let tree: Vec<Field> = a.with_frame(index, fields).unwrap_or_default();
        fn node(f: &Field, map: &dyn Fn(Span) -> Vec<(usize, usize)>) -> Node {
            Node {
                label: f.label.clone(),
                value: f.value.clone(),
                spans: map(f.span),
                children: f.children.iter().map(|c| node(c, map)).collect(),
            }
        }
        let map = |s: Span| {
            entry
                .map_span(s)
                .map(|s| (s.start, s.end))
                .collect::<Vec<_>>()
        };
        let data = a.stream_data(entry.connection, entry.direction)?;
        let extent = entry.extent();
        let bytes = data.get(extent.range()).unwrap_or(&[]).to_vec();
        let stream = a
            .capture
            .connections
            .get(entry.connection)
            .map(|c| c.stream(entry.direction));
        // Runs of bytes carried by one packet.
        let mut packets: Vec<(usize, usize, u32)> = Vec::new();
        for o in extent.start..extent.end {
            let p = stream.and_then(|s| s.packet_at(o)).map_or(0, |p| p.number);
            match packets.last_mut() {
                Some((_, end, q)) if *q == p && *end == o => *end = o + 1,
                _ => packets.push((o, o + 1, p)),
            }
        }
        let embedded = a
            .frames_of(entry.connection)
            .filter(|e| e.outer() == Some(index))
            .map(|e| {
                let x = e.extent();
                Embedded {
                    start: x.start,
                    end: x.end,
                    frame: e.index,
                    frame_type: e.frame_type.to_string(),
                }
            })
            .collect();
        let findings = a
            .findings_at(index)
            .iter()
            .map(Self::finding_item)
            .collect();
        Some(Details {
            index,
            frame_type: entry.frame_type.to_string(),
            key: a.key_of(index).map(|k| k.to_string()).unwrap_or_default(),
            t: self.rel(entry.time),
            title: format!(
                "{} · connection {} · {} bytes at stream offset {} · {} · {} s",
                entry.direction.label(),
                entry.connection + 1,
                extent.len(),
                extent.start,
                a.segments_phrase(index),
                Fixed::ratio(self.rel(entry.time), 9, 6)
            ),
            tree: tree.iter().map(|f| node(f, &map)).collect(),
            base: extent.start,
            bytes,
            packets,
            embedded,
            findings,
            embedded_in: entry.outer(),
            pair: entry.paired(),
        })
    }
}

/// The size in bytes of this wasm instance's memory (the worker's in the decode worker, the
/// page's in the page). Wasm memory only ever grows, so this is also its peak. `None` outside
/// wasm (native unit tests).
pub fn wasm_memory() -> Option<u64> {
    #[cfg(target_arch = "wasm32")]
    {
        // Pages of 64 KiB; read straight from the instance, no JS involved.
        Some(core::arch::wasm32::memory_size::<0>() as u64 * 65_536)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        None
    }
}

/// A duration in ns, for people: `850 µs`, `12.3 ms`, `1.20 s`.
pub fn duration(ns: u64) -> String {
    if ns < 1_000 {
        format!("{ns} ns")
    } else if ns < 1_000_000 {
        format!("{} µs", Fixed::ratio(ns, 3, 0))
    } else if ns < 1_000_000_000 {
        format!("{} ms", Fixed::ratio(ns, 6, 1))
    } else {
        format!("{} s", Fixed::ratio(ns, 9, 2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INTERLEAVED: &[u8] =
        include_bytes!("../../../tests/fixtures/haproxy26-interleaved-disconnect.pcap");
    const CLEAN34: &[u8] = include_bytes!("../../../tests/fixtures/haproxy34-clean.pcapng");
    /// An AGENT-DISCONNECT and an ACK pasted as hex, in two lines (two writes): no packets.
    const HEX_STREAM: &str = "00000038660000000100000B7374617475732D636F64650363076D6573736167650819616E20756E6B6E6F776E206572726F72206F63637572726564\n000000156700000001F3BC780101030207616C6C6F77656411";

    /// A loaded session after the page's Check: the overview with findings.
    fn session(bytes: &[u8]) -> (Session, Overview) {
        let mut steps = Vec::new();
        let (s, o) = Session::load(bytes, &mut |p| steps.push(p.fraction()));
        assert!(steps.windows(2).all(|w| w[0] <= w[1]), "{steps:?}");
        assert!(!o.checked, "a load answers before the rules run");
        let mut s = s.expect("loads");
        let Response::Checked(o) = s.handle(Request::Check) else {
            panic!("Check answers Checked")
        };
        assert!(o.checked);
        (s, *o)
    }

    #[test]
    fn the_timeline_comes_first_and_findings_on_demand() {
        let (s, first) = Session::load(INTERLEAVED, &mut |_| {});
        let mut s = s.expect("loads");
        assert!(!first.checked);
        assert_eq!(first.counts, [0, 0, 0]);
        assert!(first.groups.is_empty());
        assert_eq!(first.view.total, first.frames);
        // Drawing needs no rules.
        assert!(!s.rows(0, 10).is_empty());
        let _ = s.handle(Request::Timeline {
            t0: 0,
            t1: first.duration,
            bins: 100,
        });
        assert!(!s.analysis().is_checked());
        // A question about findings runs them.
        let Response::Found(Some(_)) = s.handle(Request::NextFinding {
            from: None,
            forward: true,
            min_level: 3,
            count: 1,
        }) else {
            panic!("the capture has an error")
        };
        assert!(s.analysis().is_checked());
        let Response::Checked(o) = s.handle(Request::Check) else {
            panic!("Checked")
        };
        assert!(o.counts[0] > 0);
        assert!(o.groups.iter().any(|g| g.code == "SPOP-F010"));
        assert_eq!(
            (o.frames, o.view, o.fingerprint.clone()),
            (first.frames, first.view, first.fingerprint.clone())
        );
    }

    /// The list counts time from the engine's time zero (the capture's first packet, as in
    /// Wireshark), as the CLI and the Markdown report do (a report pasted from "Copy as
    /// Markdown" shows the times the list showed).
    #[test]
    fn the_list_and_the_report_share_time_zero() {
        let (s, _) = session(INTERLEAVED);
        let a = s.analysis();
        let md = spop_codec::report::markdown::markdown(a, &Default::default());
        let rows = s.rows(0, a.frames.len());
        let zero = a.capture.first_packet.map(|p| p.timestamp);
        assert_eq!(zero, Some(a.time_zero()));
        // The first frame comes after the TCP handshake.
        assert_eq!(
            rows.first().map(|r| r.t),
            a.frames.first().map(|f| f.time - a.time_zero())
        );
        assert!(rows.first().is_some_and(|r| r.t > 0));
        // The report's timeline excerpts show the frames with findings.
        let with_findings: Vec<&Row> = rows
            .iter()
            .filter(|r| !s.analysis().findings_at(r.index).is_empty())
            .collect();
        assert!(with_findings.iter().any(|r| r.t > 0));
        for r in with_findings {
            let shown = format!("{}", spop_codec::display::Fixed::ratio(r.t, 9, 6));
            assert!(md.contains(&shown), "{shown} in\n{md}");
        }
    }

    #[test]
    fn overview_of_the_interleaved_capture() {
        let (s, o) = session(INTERLEAVED);
        assert_eq!(o.frames, s.analysis().frames.len());
        assert!(o.error.is_none());
        assert!(!o.connections.is_empty());
        let f010 = o
            .groups
            .iter()
            .find(|g| g.code == "SPOP-F010")
            .expect("F010");
        assert_eq!(f010.level, 3);
        assert!(!f010.explanation.is_empty());
        // Most severe groups first.
        assert!(o.groups.windows(2).all(|w| w[0].level >= w[1].level));
        assert!(o.frame_types.contains(&"AGENT-DISCONNECT".to_string()));
    }

    #[test]
    fn filters_narrow_the_view_and_rows_follow() {
        let (mut s, o) = session(CLEAN34);
        let all = s.view_info().total;
        assert_eq!(all, o.frames);
        let v = s.filter(&Filter {
            frame_type: Some("NOTIFY".into()),
            ..Filter::default()
        });
        assert!(v.total > 0 && v.total < all);
        assert!(s.rows(0, 1000).iter().all(|r| r.frame_type == "NOTIFY"));
        let rows = s.rows(0, 3);
        assert_eq!(rows.len(), 3.min(v.total));
        assert_eq!(rows[0].pos, 0);
        let first = rows[0].index;
        assert_eq!(s.locate(first), Some(0));
        let v = s.filter(&Filter {
            text: "notify".into(),
            ..Filter::default()
        });
        assert!(v.total > 0);
        let v = s.filter(&Filter {
            text: "no such thing anywhere".into(),
            ..Filter::default()
        });
        assert_eq!(v.total, 0);
        assert!(s.rows(0, 10).is_empty());
        assert_eq!(s.filter(&Filter::default()).total, all);
        // Out-of-range pages are empty, not a panic.
        assert!(s.rows(all + 5, 10).is_empty());
    }

    #[test]
    fn next_finding_stops_at_the_chosen_severity_and_counts_repeats() {
        let (s, _) = session(INTERLEAVED);
        let at_least = |l: Level| -> Vec<usize> {
            s.view
                .iter()
                .copied()
                .filter(|&i| s.worst[i] >= l)
                .collect()
        };
        let (errors, warnings) = (at_least(3), at_least(2));
        assert!(warnings.len() > errors.len(), "{warnings:?} {errors:?}");
        // Every finding frame at level 2, in order, one step at a time.
        let mut from = None;
        let mut walked = Vec::new();
        while let Some((p, i)) = s.next_finding(from, true, 2, 1) {
            walked.push(i);
            from = Some(p);
        }
        assert_eq!(walked, warnings);
        // Three presses at once land where three single steps do; too many stop at the last.
        assert_eq!(
            s.next_finding(None, true, 2, 3).map(|f| f.1),
            Some(warnings[2])
        );
        assert_eq!(
            s.next_finding(None, true, 2, 1000).map(|f| f.1),
            warnings.last().copied()
        );
        assert_eq!(
            s.next_finding(None, false, 2, 2).map(|f| f.1),
            Some(warnings[warnings.len() - 2])
        );
    }

    #[test]
    fn details_count_segments_as_the_engine_does() {
        let (s, _) = session(INTERLEAVED);
        let split = s
            .analysis()
            .frames
            .iter()
            .find(|e| e.layout.is_split())
            .expect("an interleaved frame")
            .index;
        let d = s.details(split).expect("details");
        assert!(d.title.contains(" · 2 TCP segment(s) · "), "{}", d.title);
        assert_eq!(s.analysis().segments_phrase(split), "2 TCP segment(s)");
        let (s, o) = session(HEX_STREAM.as_bytes());
        assert_eq!(o.packets, 0);
        let d = s.details(0).expect("details");
        assert!(
            d.title.contains(spop_codec::capture::NO_PACKETS),
            "{}",
            d.title
        );
    }

    #[test]
    fn next_error_walks_the_errors_both_ways() {
        let (s, _) = session(INTERLEAVED);
        let (p, i) = s.next_error(None, true).expect("an error");
        assert_eq!(s.worst[i], 3);
        assert_eq!(s.view[p], i);
        // Nothing before the first error.
        assert_eq!(s.next_error(Some(p), false), None);
        if let Some((q, _)) = s.next_error(Some(p), true) {
            assert!(q > p);
            assert_eq!(s.next_error(Some(q), false).map(|(r, _)| r), Some(p));
        }
        let (last, _) = s.next_error(None, false).expect("an error");
        assert!(last >= p);
        assert_eq!(s.next_error(Some(last), true), None);
    }

    #[test]
    fn timeline_draws_marks_or_bins() {
        let (s, o) = session(CLEAN34);
        assert!(o.timed);
        let t = s.timeline(0, o.duration, 800);
        assert_eq!(t.count, o.frames);
        assert_eq!(t.marks.len(), o.frames.min(MAX_MARKS));
        let paired = t.marks.iter().filter(|m| m.ack.is_some()).count();
        assert!(paired > 0, "NOTIFYs are linked to their ACKs");
        assert!(t
            .marks
            .iter()
            .all(|m| m.ack.is_none_or(|(_, at)| at >= m.t)));
        // A dense window is binned, and the bins hold every frame.
        let mut rng = spop_codec::synth::Rng::new(7);
        let conv = spop_codec::synth::conversation(
            &mut rng,
            spop_codec::synth::Generation::Modern,
            1,
            MAX_MARKS,
        );
        let (s, o) = session(&conv.haproxy);
        assert!(o.frames > MAX_MARKS);
        // A raw stream has no times: its window is frame order, which the view spans.
        assert!(!o.timed);
        assert_eq!(
            (o.view.t0, o.view.t1),
            (order_time(0), order_time(o.frames - 1))
        );
        let t = s.timeline(o.view.t0, o.view.t1, 100);
        assert!(t.marks.is_empty());
        assert_eq!(t.bins.len(), 100);
        let sum: u32 = t.bins.iter().map(|b| b.to_agent + b.to_haproxy).sum();
        assert_eq!(sum as usize, o.frames);
        // Frame order spreads them over the columns (times of 0 put them all in one).
        assert!(t.bins.iter().all(|b| b.to_agent + b.to_haproxy > 0));
    }

    #[test]
    fn a_growing_text_filter_searches_the_previous_view_and_finds_the_same() {
        let text = |t: &str| Filter {
            text: t.into(),
            ..Filter::default()
        };
        let notify = |t: &str| Filter {
            frame_type: Some("NOTIFY".into()),
            ..text(t)
        };
        // Each filter in turn on one session, against the same filter on a fresh one.
        let steps = [
            text("a"),
            text("ac"),
            text(" ACK "),
            text("ack s"),
            text("a"),
            notify("a"),
            text("spop-"),
            // The rules have run from here: their codes match now.
            text("spop-f"),
            text("spop-f01"),
            text("spop-f0"),
        ];
        let (mut typing, _) = Session::load(INTERLEAVED, &mut |_| {});
        let typing = typing.as_mut().expect("loads");
        for (n, f) in steps.iter().enumerate() {
            // The rules run midway: their findings are searched from then on.
            if n == 7 {
                typing.check();
            }
            let (fresh, _) = Session::load(INTERLEAVED, &mut |_| {});
            let mut fresh = fresh.expect("loads");
            if n >= 7 {
                fresh.check();
            }
            assert_eq!(typing.filter(f), fresh.filter(f), "{f:?}");
            assert_eq!(typing.view, fresh.view, "{f:?}");
        }
        assert!(!typing.view.is_empty() && typing.view.len() < typing.a.frames.len());
    }

    #[test]
    fn the_text_filter_finds_what_the_whole_text_has() {
        let (mut s, _) = session(INTERLEAVED);
        // The text of each frame as a whole, as the filter defines it.
        let a = s.analysis();
        let whole: Vec<String> = a
            .frames
            .iter()
            .map(|e| {
                let mut t = format!("{} ", e.frame_type);
                let _ = a.with_frame(e.index, |fr| write!(t, "{}", fr.summary()));
                for x in a.findings_at(e.index) {
                    let _ = write!(t, " {} {} {}", x.rule.code, x.rule.name, x.message);
                }
                t.to_ascii_lowercase()
            })
            .collect();
        // Needles within the type, across type and summary, in the summary, in findings, and
        // none.
        for needle in [
            "ACK",
            "notify ",
            "y stream",
            "K S",
            "spop-f010",
            "written",
            "zz",
        ] {
            let want: Vec<usize> = (0..whole.len())
                .filter(|&i| whole[i].contains(&needle.to_ascii_lowercase()))
                .collect();
            s.filter(&Filter {
                text: needle.into(),
                ..Filter::default()
            });
            assert_eq!(s.view, want, "{needle}");
        }
    }

    #[test]
    fn a_needle_across_parts_and_after_wide_characters_is_found() {
        let found = |parts: &[&str], needle: &str| {
            let mut s = Search {
                needle,
                text: String::new(),
            };
            parts.iter().any(|p| s.has(|t| t.write_str(p)))
        };
        assert!(found(&["NOT", "IFY"], "notify"));
        assert!(found(&["a ", "é", "X"], "éx"));
        assert!(found(&["ééé", "ab"], "éab"));
        assert!(!found(&["ab", "c"], "abd"));
    }

    #[test]
    fn bins_are_the_exact_quotient_at_any_span() {
        let exact = |d: u64, n: usize, span: u64| u128::from(d) * n as u128 / u128::from(span);
        for span in [
            1,
            999,
            1 << 40,
            u64::MAX / 4096,
            u64::MAX / 4096 + 1,
            u64::MAX,
        ] {
            for n in [1, 800, 4096] {
                for d in [0, 1, span / 3, span / 2, span - 1, span] {
                    assert_eq!(
                        bin_of(d, n, span) as u128,
                        exact(d, n, span),
                        "{d} {n} {span}"
                    );
                }
            }
        }
    }

    #[test]
    fn details_map_fields_to_stream_bytes_both_ways() {
        let (s, _) = session(INTERLEAVED);
        let a = s.analysis();
        let parent = a
            .frames
            .iter()
            .find(|e| a.frames.iter().any(|x| x.outer() == Some(e.index)))
            .expect("a frame with others written inside");
        let d = s.details(parent.index).expect("details");
        assert!(!d.embedded.is_empty());
        assert!(d.embedded.iter().all(|e| e.frame_type == "ACK"));
        assert_eq!(d.bytes.len(), parent.extent().len());
        // Every byte of the extent is carried by some packet run, in order.
        assert_eq!(d.packets.first().map(|p| p.0), Some(d.base));
        assert_eq!(d.packets.last().map(|p| p.1), Some(d.base + d.bytes.len()));
        // Field → bytes → field.
        for (i, top) in d.tree.iter().enumerate() {
            for &(s0, _) in &top.spans {
                let path = Node::path_at(&d.tree, s0).expect("a field there");
                assert_eq!(path[0], i, "{}", top.label);
            }
        }
        // Embedded bytes belong to no field of the parent.
        let e = &d.embedded[0];
        assert_eq!(Node::path_at(&d.tree, e.start), None);
        assert!(d.findings.iter().any(|f| f.code == "SPOP-F010"));
    }

    #[test]
    fn garbage_and_empty_inputs_explain_themselves() {
        let (s, o) = Session::load(b"   ", &mut |_| {});
        assert!(s.is_none() && o.error.is_some());
        let (s, o) = Session::load(&[0xde, 0xad, 0xbe, 0xef, 1, 2, 3], &mut |_| {});
        assert!(s.is_none());
        assert!(o.error.unwrap().contains("not a pcap"));
    }

    #[test]
    fn findings_pages() {
        let (s, o) = session(INTERLEAVED);
        for g in &o.groups {
            let all = s.findings(&g.code, 0, 1000);
            assert_eq!(all.len(), g.count);
            assert_eq!(s.findings(&g.code, 1, 1).len(), usize::from(g.count > 1));
        }
        assert!(s.findings("SPOP-NOPE", 0, 10).is_empty());
    }
}
