//! The report: the analysis as plain data (strings, numbers, lists) in one stable shape, for
//! the CLI's JSON output and the JS API. Deterministic: the same input gives the same report,
//! field order and all.
//!
//! Shape (with the `serde` feature, as JSON; every field is described in docs/json.md):
//!
//! ```text
//! { "input": {"format": "pcap", "label": "pcap file", "notes": [...]},
//!   "summary": {"packets", "connections", "other_connections", "attempts",
//!               "failed_attempts", "frames", "errors", "warnings", "infos"},
//!   "verdict": [{"severity", "text", "findings": [...]}],
//!   "connections": [{"id", "haproxy": "ip:port", "agent": "ip:port", "generation", ...,
//!                    "tcp_events": [{"kind", "by", "packet", "time"}]}],
//!   "attempts": [{"id", "haproxy", "agent", "outcome", "syns", "start", "end", "tcp_events"}],
//!   "frames": [{"index", "connection", "direction", "type", "stream_id", "frame_id",
//!               "length", "time", "payload": {...}, "findings": [...]}],
//!   "findings": [{"code", "name", "severity", "connection", "frames", "message",
//!                 "locations": [{"connection", "direction", "start", "end"}], "packets"}],
//!   "findings_omitted": [{"code", "name", "severity", "count"}],
//!   "stats": {"latency", "histogram", "by_message", "by_connection", "bin_width", "bins"} }
//! ```
//!
//! `findings_omitted` is there only when a rule fired more than
//! [`MAX_FINDINGS_PER_RULE`](crate::analysis::MAX_FINDINGS_PER_RULE) times: the findings
//! counted but not listed (the summary's counts include them).
//!
//! [`markdown::markdown()`] renders the same analysis as a Markdown bug report.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::analysis::{Analysis, ConnectionSummary, Finding, FrameEntry, Omitted};
use crate::wire::{ActionBody, Frame, Payload, TypedData, Value};

// Its items keep the module's name in their path (`report::markdown::size`,
// `report::markdown::rules`): one path each, and the name says which report they belong to.
pub mod markdown;

/// Converts a capture timestamp (ns since the epoch) to seconds.
pub fn seconds(ns: u64) -> f64 {
    ns as f64 / 1e9
}

/// The whole report.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Report {
    /// What the input was.
    pub input: InputReport,
    /// Counts.
    pub summary: SummaryReport,
    /// What happened, in a few ranked sentences ([`crate::analysis::verdict`]).
    pub verdict: Vec<VerdictReport>,
    /// Per connection.
    pub connections: Vec<ConnectionReport>,
    /// Connection attempts to the agents that carried no SPOP (refused, unanswered …).
    pub attempts: Vec<AttemptReport>,
    /// Every frame, by time.
    pub frames: Vec<FrameReport>,
    /// Every finding kept: at most
    /// [`MAX_FINDINGS_PER_RULE`](crate::analysis::MAX_FINDINGS_PER_RULE) per rule.
    pub findings: Vec<FindingReport>,
    /// Findings counted but not listed, by rule and severity; absent from the JSON when
    /// every finding is listed.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    pub findings_omitted: Vec<OmittedReport>,
    /// Latency and time-series statistics (times in nanoseconds).
    pub stats: crate::analysis::Statistics,
}

/// Findings of one rule and severity counted but not listed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct OmittedReport {
    /// Rule code.
    pub code: &'static str,
    /// Rule name.
    pub name: &'static str,
    /// `"error"`, `"warning"` or `"info"`.
    pub severity: &'static str,
    /// How many.
    pub count: usize,
}

impl OmittedReport {
    fn new(o: &Omitted) -> Self {
        OmittedReport {
            code: o.rule.code,
            name: o.rule.name,
            severity: o.severity.name(),
            count: o.count,
        }
    }
}

/// One sentence of the verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct VerdictReport {
    /// `"error"`, `"warning"` or `"info"`.
    pub severity: &'static str,
    /// The sentence.
    pub text: String,
    /// Indexes of the findings it sums up.
    pub findings: Vec<usize>,
}

/// A TCP event.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct TcpEventReport {
    /// `syn`, `fin`, `rst`, `retransmission`, `zero-window`, `window-open`, `window-full`.
    pub kind: &'static str,
    /// Who sent it: `haproxy` or `agent`.
    pub by: &'static str,
    /// Packet number.
    pub packet: u32,
    /// Seconds since the epoch.
    pub time: f64,
}

/// A connection attempt without SPOP.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct AttemptReport {
    /// Index among the attempts.
    pub id: usize,
    /// HAProxy's `ip:port`.
    pub haproxy: String,
    /// The agent's `ip:port`.
    pub agent: String,
    /// `refused`, `unanswered`, `closed` or `open`.
    pub outcome: &'static str,
    /// SYNs HAProxy sent.
    pub syns: usize,
    /// First packet, seconds since the epoch.
    pub start: f64,
    /// Last packet, seconds since the epoch.
    pub end: f64,
    /// Its TCP events.
    pub tcp_events: Vec<TcpEventReport>,
}

/// The detected input format.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct InputReport {
    /// Stable machine name (`pcap`, `pcapng`, `xxd/pcap`, `tshark-follow-hex`, `raw`, …).
    pub format: String,
    /// For people.
    pub label: String,
    /// What the findings do not say about the input: a file that ends badly, packets that
    /// could not be used fully ([`crate::capture::Capture::notes`]).
    pub notes: Vec<String>,
}

/// Counts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SummaryReport {
    /// Packets read (0 for stream inputs).
    pub packets: u32,
    /// SPOP connections.
    pub connections: usize,
    /// TCP connections that are not SPOP.
    pub other_connections: usize,
    /// Connection attempts to the agents without SPOP.
    pub attempts: usize,
    /// Of those, refused or unanswered.
    pub failed_attempts: usize,
    /// Frames.
    pub frames: usize,
    /// Error findings.
    pub errors: usize,
    /// Warning findings.
    pub warnings: usize,
    /// Info findings.
    pub infos: usize,
}

/// One connection.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ConnectionReport {
    /// Index (frames and findings refer to it).
    pub id: usize,
    /// HAProxy's `ip:port`, if known.
    pub haproxy: Option<String>,
    /// The agent's `ip:port`, if known.
    pub agent: Option<String>,
    /// `"<=3.0"`, `"3.1+"` or `"unknown"`.
    pub generation: &'static str,
    /// Why.
    pub generation_evidence: Vec<String>,
    /// First packet, seconds since the epoch.
    pub start: f64,
    /// Last packet, seconds since the epoch.
    pub end: f64,
    /// How it ended, for people (e.g. `AGENT-DISCONNECT status 0 "normal"`).
    pub ended: String,
    /// HAProxy's announced max-frame-size.
    pub announced_max_frame_size: Option<u64>,
    /// The agent's max-frame-size, when valid (the limit in force).
    pub negotiated_max_frame_size: Option<u64>,
    /// Capabilities HAProxy offered.
    pub capabilities_offered: Option<String>,
    /// Capabilities both announced.
    pub capabilities_agreed: Vec<String>,
    /// HAProxy's engine-id.
    pub engine_id: Option<String>,
    /// A health-check connection.
    pub healthcheck: bool,
    /// The agent's version string.
    pub agent_version: Option<String>,
    /// Frames HAProxy → agent.
    pub frames_to_agent: usize,
    /// Frames agent → HAProxy.
    pub frames_to_haproxy: usize,
    /// NOTIFYs sent.
    pub notifies: usize,
    /// NOTIFYs answered.
    pub answered: usize,
    /// Most NOTIFYs outstanding at once.
    pub max_outstanding: usize,
    /// Median NOTIFY→ACK latency, milliseconds.
    pub median_latency_ms: Option<f64>,
    /// Slowest NOTIFY→ACK latency, milliseconds.
    pub max_latency_ms: Option<f64>,
    /// Error findings.
    pub errors: usize,
    /// Warning findings.
    pub warnings: usize,
    /// Its TCP events (SYN, FIN, RST, retransmissions, zero windows).
    pub tcp_events: Vec<TcpEventReport>,
}

/// One frame.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct FrameReport {
    /// Timeline index.
    pub index: usize,
    /// Connection index.
    pub connection: usize,
    /// `"haproxy-to-agent"` or `"agent-to-haproxy"`.
    pub direction: &'static str,
    /// Frame type name (`"NOTIFY"`, `"ACK"`, `"AGENT-DISCONNECT"`, …).
    #[cfg_attr(feature = "serde", serde(rename = "type"))]
    pub frame_type: String,
    /// STREAM-ID.
    pub stream_id: u64,
    /// FRAME-ID.
    pub frame_id: u64,
    /// LENGTH.
    pub length: u32,
    /// FLAGS.
    pub flags: u32,
    /// Seconds since the epoch (of the packet that completed the frame).
    pub time: f64,
    /// That packet's number.
    pub packet: u32,
    /// TCP segments that carried the frame's own bytes ([`Analysis::segments_of`]); `None`
    /// for an input without packets.
    pub segments: Option<u32>,
    /// Offset of its first byte in its stream.
    pub offset: usize,
    /// For a frame split by others: where its bytes resume.
    pub resumes_at: Option<usize>,
    /// For a frame written into another one: that frame's index.
    pub embedded_in: Option<usize>,
    /// The matching NOTIFY/ACK.
    pub pair: Option<usize>,
    /// For an ACK: milliseconds since its NOTIFY.
    pub latency_ms: Option<f64>,
    /// One-line summary.
    pub summary: String,
    /// Decoded payload.
    pub payload: PayloadReport,
    /// Indexes of the findings shown under this frame.
    pub findings: Vec<usize>,
}

/// A decoded payload.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(tag = "kind", rename_all = "kebab-case"))]
pub enum PayloadReport {
    /// HELLO, DISCONNECT.
    Kv {
        /// Pairs in order.
        items: Vec<NamedValue>,
        /// First grammar violation.
        error: Option<String>,
    },
    /// NOTIFY.
    Messages {
        /// Messages in order.
        messages: Vec<MessageReport>,
        /// First grammar violation.
        error: Option<String>,
    },
    /// ACK.
    Actions {
        /// Actions in order.
        actions: Vec<ActionReport>,
        /// First grammar violation.
        error: Option<String>,
    },
    /// Fragments and unknown types.
    Raw {
        /// The payload bytes in hex.
        hex: String,
    },
}

/// A key or argument and its typed value.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct NamedValue {
    /// Key or argument name (lossy UTF-8).
    pub name: String,
    /// Data type name.
    #[cfg_attr(feature = "serde", serde(rename = "type"))]
    pub data_type: &'static str,
    /// The value.
    pub value: ValueReport,
}

/// A typed value as plain data.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(untagged))]
pub enum ValueReport {
    /// NULL.
    Null,
    /// BOOL.
    Bool(bool),
    /// INT32, INT64 (as HAProxy reads them).
    Signed(i64),
    /// UINT32, UINT64.
    Unsigned(u64),
    /// STRING (lossy UTF-8), IPV4/IPV6 (text form), BINARY (hex).
    Text(String),
}

impl ValueReport {
    fn from(v: &Value<'_>) -> Self {
        match *v {
            Value::Null => ValueReport::Null,
            Value::Bool(b) => ValueReport::Bool(b),
            Value::Int32(x) | Value::Int64(x) => ValueReport::Signed(x as i64),
            Value::Uint32(x) | Value::Uint64(x) => ValueReport::Unsigned(x),
            Value::String(s) => ValueReport::Text(String::from_utf8_lossy(s).into_owned()),
            Value::Binary(b) => ValueReport::Text(hex(b)),
            ref ip => ValueReport::Text(ip.to_string()),
        }
    }
}

/// A NOTIFY message.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct MessageReport {
    /// Message name.
    pub name: String,
    /// Arguments.
    pub args: Vec<NamedValue>,
}

/// An ACK action.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ActionReport {
    /// `"set-var"`, `"unset-var"` or `"unknown"`.
    pub action: &'static str,
    /// Action type byte.
    pub action_type: u8,
    /// NB-ARGS as sent.
    pub nb_args: u8,
    /// Variable scope (`"txn"` …), for set-var/unset-var.
    pub scope: Option<String>,
    /// Variable name.
    pub name: Option<String>,
    /// set-var value.
    pub value: Option<NamedValue>,
    /// Raw argument bytes of an unknown action, in hex.
    pub raw: Option<String>,
}

/// A finding.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct FindingReport {
    /// Rule code.
    pub code: &'static str,
    /// Rule name.
    pub name: &'static str,
    /// `"error"`, `"warning"` or `"info"`.
    pub severity: &'static str,
    /// Rule title.
    pub title: &'static str,
    /// Connection index.
    pub connection: Option<usize>,
    /// Frame indexes (the first is the one it is shown under).
    pub frames: Vec<usize>,
    /// What happened.
    pub message: String,
    /// Bytes it points at.
    pub locations: Vec<LocationReport>,
    /// Packets it points at (TCP events), if any.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    pub packets: Vec<u32>,
}

/// Bytes of a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct LocationReport {
    /// Connection index.
    pub connection: usize,
    /// Stream direction.
    pub direction: &'static str,
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

fn hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2);
    for byte in b {
        s.push_str(&format!("{byte:02x}"));
    }
    s
}

fn named(name: &[u8], v: &TypedData<'_>) -> NamedValue {
    NamedValue {
        name: String::from_utf8_lossy(name).into_owned(),
        data_type: v.data_type().name(),
        value: ValueReport::from(v.value()),
    }
}

/// The decoded payload of a frame as plain data.
pub fn payload(f: &Frame<'_>) -> PayloadReport {
    let error = f.payload_error().map(ToString::to_string);
    match f.payload() {
        Payload::KvList(kv) => PayloadReport::Kv {
            items: kv
                .iter()
                .map_while(Result::ok)
                .map(|p| named(p.key.bytes, &p.value))
                .collect(),
            error,
        },
        Payload::Messages(m) => PayloadReport::Messages {
            messages: m
                .iter()
                .map_while(Result::ok)
                .map(|m| MessageReport {
                    name: String::from_utf8_lossy(m.name.bytes).into_owned(),
                    args: m
                        .args()
                        .map_while(Result::ok)
                        .map(|a| named(a.name.bytes, &a.value))
                        .collect(),
                })
                .collect(),
            error,
        },
        Payload::Actions(a) => PayloadReport::Actions {
            actions: a
                .iter()
                .map_while(Result::ok)
                .map(|a| {
                    let (scope, name, value, raw) = match a.body {
                        ActionBody::Var(v) => (
                            Some(v.scope.to_string()),
                            Some(String::from_utf8_lossy(v.name.bytes).into_owned()),
                            v.value.map(|d| named(v.name.bytes, &d)),
                            None,
                        ),
                        ActionBody::Raw(r) => (None, None, None, Some(hex(r.bytes))),
                    };
                    ActionReport {
                        action: a.action_type.name(),
                        action_type: a.action_type.as_u8(),
                        nb_args: a.nb_args,
                        scope,
                        name,
                        value,
                        raw,
                    }
                })
                .collect(),
            error,
        },
        Payload::Fragment(r) | Payload::Unknown(r) => PayloadReport::Raw { hex: hex(r.bytes) },
    }
}

impl Report {
    /// Builds the report of an analysis.
    pub fn new(a: &Analysis) -> Report {
        Report {
            input: InputReport::new(a),
            summary: SummaryReport::new(a),
            verdict: VerdictReport::all(a),
            connections: a
                .connections
                .iter()
                .map(|c| ConnectionReport::new(a, c))
                .collect(),
            attempts: AttemptReport::all(a),
            frames: a.frames.iter().map(|e| FrameReport::new(a, e)).collect(),
            findings: a.findings.iter().map(FindingReport::new).collect(),
            findings_omitted: a.omitted.iter().map(OmittedReport::new).collect(),
            stats: crate::analysis::statistics(a),
        }
    }

    /// The same report, serialized item by item as it is written (with the `serde` feature):
    /// the same bytes as serializing [`Report::new`], without holding every frame's report at
    /// once (for a 100 MB capture, the difference between 2 and 12 times its size).
    #[cfg(feature = "serde")]
    pub fn streamed(a: &Analysis) -> Streamed<'_> {
        Streamed(a)
    }
}

impl InputReport {
    fn new(a: &Analysis) -> Self {
        InputReport {
            format: a.capture.input.name(),
            label: a.capture.input.to_string(),
            notes: a.capture.notes(),
        }
    }
}

impl SummaryReport {
    fn new(a: &Analysis) -> Self {
        let (errors, warnings, infos) = a.counts();
        SummaryReport {
            packets: a.capture.packets,
            connections: a.connections.len(),
            other_connections: a.capture.other_connections,
            attempts: a.capture.attempts.len(),
            failed_attempts: a
                .capture
                .attempts
                .iter()
                .filter(|t| t.outcome().failed())
                .count(),
            frames: a.frames.len(),
            errors,
            warnings,
            infos,
        }
    }
}

impl FrameReport {
    /// The report of timeline entry `e`.
    fn new(a: &Analysis, e: &FrameEntry) -> Self {
        let (summary, payload) = a
            .with_frame(e.index, |f| (f.summary().to_string(), payload(f)))
            .unwrap_or_else(|| (String::new(), PayloadReport::Raw { hex: String::new() }));
        let latency_ms = match e.frame_type {
            crate::wire::FrameType::Ack => a.pair_latency(e).map(|l| l as f64 / 1e6),
            _ => None,
        };
        FrameReport {
            index: e.index,
            connection: e.connection,
            direction: e.direction.name(),
            frame_type: e.frame_type.to_string(),
            stream_id: e.stream_id,
            frame_id: e.frame_id,
            length: e.length,
            flags: e.flags.0,
            time: seconds(e.time),
            packet: e.packet,
            segments: a
                .segments_of(e.index)
                .map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
            offset: e.offset(),
            resumes_at: e.layout.resumes_at(),
            embedded_in: e.outer(),
            pair: e.paired(),
            latency_ms,
            summary,
            payload,
            findings: a.finding_indexes_at(e.index).collect(),
        }
    }
}

impl VerdictReport {
    fn all(a: &Analysis) -> Vec<VerdictReport> {
        crate::analysis::verdict(a)
            .into_iter()
            .map(|l| VerdictReport {
                severity: l.severity.name(),
                text: l.text,
                findings: l.findings,
            })
            .collect()
    }
}

fn tcp_event(haproxy: bool, e: crate::capture::tcp::TcpEvent) -> TcpEventReport {
    TcpEventReport {
        kind: e.kind.name(),
        by: if haproxy { "haproxy" } else { "agent" },
        packet: e.packet.number,
        time: seconds(e.packet.timestamp),
    }
}

impl AttemptReport {
    fn all(a: &Analysis) -> Vec<AttemptReport> {
        a.capture
            .attempts
            .iter()
            .map(|t| AttemptReport {
                id: t.id,
                haproxy: t.haproxy.to_string(),
                agent: t.agent.to_string(),
                outcome: t.outcome().name(),
                syns: t.syns(),
                start: seconds(t.first.timestamp),
                end: seconds(t.last.timestamp),
                tcp_events: t.events().map(|(h, e)| tcp_event(h, e)).collect(),
            })
            .collect()
    }
}

impl ConnectionReport {
    fn new(a: &Analysis, c: &ConnectionSummary) -> Self {
        let latency = c.latency();
        ConnectionReport {
            id: c.id,
            haproxy: c.haproxy.map(|s| s.to_string()),
            agent: c.agent.map(|s| s.to_string()),
            generation: c.generation.label(),
            generation_evidence: c.generation_evidence.clone(),
            start: seconds(c.start),
            end: seconds(c.end),
            ended: c.end_reason.to_string(),
            announced_max_frame_size: c.haproxy_hello.as_ref().and_then(|h| h.max_frame_size),
            negotiated_max_frame_size: c.negotiated_max_frame_size,
            capabilities_offered: c
                .haproxy_hello
                .as_ref()
                .and_then(|h| h.capabilities.clone()),
            capabilities_agreed: c
                .agreed_capabilities
                .iter()
                .map(|c| c.name().into())
                .collect(),
            engine_id: c.haproxy_hello.as_ref().and_then(|h| h.engine_id.clone()),
            healthcheck: c.is_healthcheck(),
            agent_version: c.agent_hello.as_ref().and_then(|h| h.version.clone()),
            frames_to_agent: c.frames_to_agent,
            frames_to_haproxy: c.frames_to_haproxy,
            notifies: c.pairs.len(),
            answered: c.pairs.iter().filter(|p| p.ack.is_some()).count(),
            max_outstanding: c.max_outstanding,
            median_latency_ms: latency.map(|(m, _)| m as f64 / 1e6),
            max_latency_ms: latency.map(|(_, x)| x as f64 / 1e6),
            errors: c.errors,
            warnings: c.warnings,
            tcp_events: a
                .capture
                .connections
                .get(c.id)
                .map(|s| {
                    s.tcp_events()
                        .map(|(d, e)| tcp_event(d == crate::wire::Direction::HaproxyToAgent, e))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

impl FindingReport {
    fn new(f: &Finding) -> Self {
        FindingReport {
            code: f.rule.code,
            name: f.rule.name,
            severity: f.severity.name(),
            title: f.rule.title,
            connection: f.connection,
            frames: f.frames.clone(),
            message: f.message.clone(),
            locations: f
                .locations
                .iter()
                .map(|l| LocationReport {
                    connection: l.connection,
                    direction: l.direction.name(),
                    start: l.span.start,
                    end: l.span.end,
                })
                .collect(),
            packets: f.packets.clone(),
        }
    }
}

/// [`Report::streamed`]: a report serialized as it is built.
#[cfg(feature = "serde")]
pub struct Streamed<'a>(&'a Analysis);

#[cfg(feature = "serde")]
impl serde::Serialize for Streamed<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use core::cell::RefCell;
        use serde::ser::SerializeStruct;

        /// A list serialized from an iterator, once.
        struct Seq<I>(RefCell<Option<I>>);
        impl<I: Iterator<Item = T>, T: serde::Serialize> serde::Serialize for Seq<I> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                match self.0.borrow_mut().take() {
                    Some(items) => s.collect_seq(items),
                    None => s.collect_seq(core::iter::empty::<T>()),
                }
            }
        }
        fn seq<I>(items: I) -> Seq<I> {
            Seq(RefCell::new(Some(items)))
        }

        let a = self.0;
        // Field for field as `Report`'s derived serialization.
        let mut r = s.serialize_struct("Report", 8 + usize::from(!a.omitted.is_empty()))?;
        r.serialize_field("input", &InputReport::new(a))?;
        r.serialize_field("summary", &SummaryReport::new(a))?;
        r.serialize_field("verdict", &VerdictReport::all(a))?;
        r.serialize_field(
            "connections",
            &seq(a.connections.iter().map(|c| ConnectionReport::new(a, c))),
        )?;
        r.serialize_field("attempts", &AttemptReport::all(a))?;
        r.serialize_field(
            "frames",
            &seq(a.frames.iter().map(|e| FrameReport::new(a, e))),
        )?;
        r.serialize_field("findings", &seq(a.findings.iter().map(FindingReport::new)))?;
        if a.omitted.is_empty() {
            r.skip_field("findings_omitted")?;
        } else {
            r.serialize_field(
                "findings_omitted",
                &seq(a.omitted.iter().map(OmittedReport::new)),
            )?;
        }
        r.serialize_field("stats", &crate::analysis::statistics(a))?;
        r.end()
    }
}
