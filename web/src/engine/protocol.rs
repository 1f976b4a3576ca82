//! What the page and the decode worker say to each other: the page's questions
//! ([`Request`]), the engine's answers ([`Response`]) and what they carry. They cross the
//! worker boundary as postcard bytes ([`crate::engine::worker`]): a variant's place in its
//! enum is its tag, so new variants go last.

use serde::{Deserialize, Serialize};
use spop_codec::analysis::Severity;
use spop_codec::Span;

/// The name of a finding's severity, for classes and labels (`""` for none).
pub fn level_name(l: Option<Severity>) -> &'static str {
    l.map_or("", Severity::name)
}

/// A severity as the digit share links and the severity controls write: 0 none, 1 info,
/// 2 warning, 3 error.
pub fn level_digit(l: Option<Severity>) -> u8 {
    match l {
        None => 0,
        Some(Severity::Info) => 1,
        Some(Severity::Warning) => 2,
        Some(Severity::Error) => 3,
    }
}

/// Whether `l` is at least `min`, compared as digits: a byte each (`Option`'s own ordering
/// matches on both, in every filter and search over the frames).
pub fn at_least(l: Option<Severity>, min: Option<Severity>) -> bool {
    level_digit(l) >= level_digit(min)
}

/// The more severe of two ([`at_least`]'s comparison).
pub fn worse(a: Option<Severity>, b: Option<Severity>) -> Option<Severity> {
    if at_least(a, b) {
        a
    } else {
        b
    }
}

/// The severity a digit of [`level_digit`] names (above 3: error).
pub fn digit_level(d: u8) -> Option<Severity> {
    match d {
        0 => None,
        1 => Some(Severity::Info),
        2 => Some(Severity::Warning),
        _ => Some(Severity::Error),
    }
}

/// Severities cross the worker channel as their digit ([`level_digit`]): one byte, and no
/// code to encode the enum in the page's wasm.
pub(crate) mod level_wire {
    use serde::{Deserialize, Deserializer, Serializer};
    use spop_codec::analysis::Severity;

    pub fn serialize<S: Serializer>(l: &Option<Severity>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(super::level_digit(*l))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Severity>, D::Error> {
        u8::deserialize(d).map(super::digit_level)
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
        #[serde(with = "level_wire")]
        min_level: Option<Severity>,
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
        scope: ShareScope,
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
    /// The engine's wasm memory in bytes ([`crate::engine::session::wasm_memory`]).
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
pub enum ShareScope {
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
    pub scope: ShareScope,
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
    /// Only frames with a finding at least this severe.
    #[serde(with = "level_wire")]
    pub min_level: Option<Severity>,
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
    #[serde(with = "level_wire")]
    pub level: Option<Severity>,
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
    #[serde(with = "level_wire")]
    pub level: Option<Severity>,
    /// What happened.
    pub message: String,
    /// The frame it is shown under.
    pub frame: Option<usize>,
    /// Its connection.
    pub connection: Option<usize>,
    /// Bytes it points at in that frame's stream.
    pub spans: Vec<Span>,
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
    #[serde(with = "level_wire")]
    pub level: Option<Severity>,
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
    #[serde(with = "level_wire")]
    pub level: Option<Severity>,
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
    #[serde(with = "level_wire")]
    pub level: Option<Severity>,
}

/// A node of a frame's field tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// What it is.
    pub label: String,
    /// Decoded value.
    pub value: String,
    /// Its bytes in the stream (more than one span when other frames were written inside).
    pub spans: Vec<Span>,
    /// Its parts.
    pub children: Vec<Node>,
}

impl Node {
    /// Path to the deepest node whose bytes include stream offset `o`.
    pub fn path_at(tree: &[Node], o: usize) -> Option<Vec<usize>> {
        let (i, node) = tree
            .iter()
            .enumerate()
            .find(|(_, n)| n.spans.iter().any(|s| s.start <= o && o < s.end))?;
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

/// Bytes one packet carried (stream offsets), and its number (0: not known).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PacketRun {
    /// The bytes.
    pub bytes: Span,
    /// The packet's number.
    pub packet: u32,
}

/// Bytes of another frame inside this one's extent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Embedded {
    /// Its bytes (stream offsets).
    pub bytes: Span,
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
    /// Which packet carried which bytes, in runs.
    pub packets: Vec<PacketRun>,
    /// Other frames' bytes inside this extent.
    pub embedded: Vec<Embedded>,
    /// Findings shown under this frame.
    pub findings: Vec<FindingItem>,
    /// The frame this one was written inside, if any.
    pub embedded_in: Option<usize>,
    /// NOTIFY↔ACK partner.
    pub pair: Option<usize>,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Severities keep their order (as compared by digits too) and their link digits, and
    /// cross the worker channel as those digits.
    #[test]
    fn levels_order_digits_and_encoding() {
        let all = [
            None,
            Some(Severity::Info),
            Some(Severity::Warning),
            Some(Severity::Error),
        ];
        assert!(all.windows(2).all(|w| w[0] < w[1]));
        for (d, l) in (0..).zip(all) {
            assert_eq!(level_digit(l), d);
            assert_eq!(digit_level(d), l);
            let req = Request::NextFinding {
                from: Some(3),
                forward: false,
                min_level: l,
                count: 2,
            };
            let bytes = postcard::to_allocvec(&req).expect("encoded");
            assert_eq!(postcard::from_bytes::<Request>(&bytes), Ok(req));
            // One byte, the digit.
            let bin = Bin {
                to_agent: 1,
                to_haproxy: 2,
                level: l,
            };
            assert_eq!(postcard::to_allocvec(&bin), Ok(vec![1, 2, d]));
        }
        for (a, b) in all.into_iter().zip(all.into_iter().skip(1)) {
            assert!(at_least(b, a) && !at_least(a, b) && at_least(a, a));
            assert_eq!((worse(a, b), worse(b, a)), (b, b));
        }
        assert_eq!(digit_level(77), Some(Severity::Error));
        assert_eq!(level_name(None), "");
        assert_eq!(level_name(Some(Severity::Warning)), "warning");
    }
}
