//! Per-connection conversation model: the HELLO exchange, what was negotiated, the HAProxy
//! generation, NOTIFY↔ACK pairs, and how the connection ended.

use alloc::string::String;
use alloc::vec::Vec;
use core::net::SocketAddr;

use super::{text, Analysis, FrameEntry};
use crate::capture::spop::{Detection, SpopConnection};
use crate::capture::Timestamp;
use crate::wire::{capabilities, status_text, Capability, Direction, FrameType, Payload, Value};

/// Which HAProxy the capture was most likely made with: the protocol engine was rewritten in
/// 3.1, and several rules read differently before and after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum Generation {
    /// HAProxy ≤3.0 (SPOE applets: async, fragmentation, global stream ids).
    Legacy,
    /// HAProxy 3.1+ (the SPOP multiplexer: odd per-connection stream ids, frame-id 1).
    Modern,
    /// Not enough evidence.
    Unknown,
}

impl Generation {
    /// `"<=3.0"`, `"3.1+"` or `"unknown"`.
    pub const fn label(self) -> &'static str {
        match self {
            Generation::Legacy => "<=3.0",
            Generation::Modern => "3.1+",
            Generation::Unknown => "unknown",
        }
    }
}

/// What HAProxy announced.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct HaproxyHello {
    /// Timeline index of the frame.
    pub frame: usize,
    /// `supported-versions`.
    pub supported_versions: Option<String>,
    /// `max-frame-size` (integer-typed).
    pub max_frame_size: Option<u64>,
    /// `capabilities`, as sent.
    pub capabilities: Option<String>,
    /// `engine-id`.
    pub engine_id: Option<String>,
    /// `healthcheck` = true: a health check, not a real connection.
    pub healthcheck: bool,
}

/// What the agent answered.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct AgentHello {
    /// Timeline index of the frame.
    pub frame: usize,
    /// `version`, as sent (if a string).
    pub version: Option<String>,
    /// `max-frame-size` (if integer-typed).
    pub max_frame_size: Option<u64>,
    /// `capabilities`, as sent (if a string).
    pub capabilities: Option<String>,
}

/// A NOTIFY and its ACK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Pair {
    /// ACK time − NOTIFY time, in nanoseconds (`None` without an ACK, or without times:
    /// [`Analysis::pair_latency`]).
    pub latency: Option<u64>,
    /// Timeline index of its ACK, if it came.
    pub ack: Option<u32>,
    /// Timeline index of the NOTIFY (u32 like the timeline's own links: one per NOTIFY adds
    /// up on a large capture).
    pub notify: u32,
    /// NOTIFYs outstanding on the connection right after this one was sent (itself included).
    pub outstanding: u32,
}

/// How a connection ended in the capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case", tag = "kind"))]
pub enum EndReason {
    /// A DISCONNECT frame (the first one sent).
    Disconnect {
        /// Who sent it.
        by: Direction,
        /// Its status-code, if readable.
        status: Option<u64>,
        /// HAProxy's text for the status.
        text: Option<&'static str>,
        /// Timeline index of the frame.
        frame: usize,
    },
    /// A TCP FIN without a DISCONNECT.
    Fin {
        /// Who closed first.
        by: Direction,
    },
    /// A TCP RST without a DISCONNECT.
    Rst {
        /// Who reset.
        by: Direction,
    },
    /// Still open when the capture ended.
    CaptureEnd,
}

/// Everything about one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ConnectionSummary {
    /// Index.
    pub id: usize,
    /// HAProxy's address.
    pub haproxy: Option<SocketAddr>,
    /// The agent's address.
    pub agent: Option<SocketAddr>,
    /// How it was recognised as SPOP.
    pub detection: Detection,
    /// First packet time.
    pub start: Timestamp,
    /// Last packet time.
    pub end: Timestamp,
    /// How it ended.
    pub end_reason: EndReason,
    /// HAPROXY-HELLO, if captured.
    pub haproxy_hello: Option<HaproxyHello>,
    /// AGENT-HELLO, if captured.
    pub agent_hello: Option<AgentHello>,
    /// The max-frame-size in force after the handshake (the agent's, when valid).
    pub negotiated_max_frame_size: Option<u64>,
    /// Capabilities both sides announced.
    pub agreed_capabilities: Vec<Capability>,
    /// Likely HAProxy generation.
    pub generation: Generation,
    /// Why: the facts the guess rests on.
    pub generation_evidence: Vec<String>,
    /// Frames HAProxy → agent.
    pub frames_to_agent: usize,
    /// Frames agent → HAProxy.
    pub frames_to_haproxy: usize,
    /// NOTIFYs and their ACKs, in NOTIFY order.
    pub pairs: Vec<Pair>,
    /// Most NOTIFYs outstanding at once.
    pub max_outstanding: usize,
    /// Error findings on this connection.
    pub errors: usize,
    /// Warning findings on this connection.
    pub warnings: usize,
}

impl core::fmt::Display for EndReason {
    /// For people: `AGENT-DISCONNECT status 0 "normal"`, `FIN from HAProxy (no DISCONNECT)`.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let who = |d: Direction| match d {
            Direction::HaproxyToAgent => "HAProxy",
            Direction::AgentToHaproxy => "the agent",
        };
        match *self {
            EndReason::Disconnect {
                by, status, text, ..
            } => {
                let frame = match by {
                    Direction::HaproxyToAgent => "HAPROXY-DISCONNECT",
                    Direction::AgentToHaproxy => "AGENT-DISCONNECT",
                };
                match (status, text) {
                    (Some(s), Some(t)) => write!(f, "{frame} status {s} \"{t}\""),
                    (Some(s), None) => write!(f, "{frame} status {s}"),
                    _ => f.write_str(frame),
                }
            }
            EndReason::Fin { by } => write!(f, "FIN from {} (no DISCONNECT)", who(by)),
            EndReason::Rst { by } => write!(f, "RST from {} (no DISCONNECT)", who(by)),
            EndReason::CaptureEnd => f.write_str("still open at the end of the capture"),
        }
    }
}

impl ConnectionSummary {
    /// Median and slowest NOTIFY→ACK latency (ns), over the answered NOTIFYs. With an even
    /// number of them the median is the mean of the two middle ones (rounded down).
    pub fn latency(&self) -> Option<(u64, u64)> {
        let mut l: Vec<u64> = self.pairs.iter().filter_map(|p| p.latency).collect();
        let max = l.iter().copied().max()?;
        // Selecting the median is linear; sorting every connection's latencies is not.
        let middle = l.len() / 2;
        let (below, &mut upper, _) = l.select_nth_unstable(middle);
        let median = match below.iter().copied().max() {
            Some(lower) if l.len().is_multiple_of(2) => lower + (upper - lower) / 2,
            _ => upper,
        };
        Some((median, max))
    }

    /// Whether a capability was announced by both sides.
    pub fn agreed(&self, cap: &Capability) -> bool {
        self.agreed_capabilities.contains(cap)
    }

    /// True for a health-check connection.
    pub fn is_healthcheck(&self) -> bool {
        self.haproxy_hello.as_ref().is_some_and(|h| h.healthcheck)
    }
}

/// The capabilities of a list kept as text (its spans would be offsets in the text).
pub(crate) fn capability_tokens(s: &str) -> impl Iterator<Item = Capability> + '_ {
    capabilities(s.as_bytes(), 0).map(|(c, _)| c)
}

fn string_value(v: &Value<'_>) -> Option<String> {
    match v {
        Value::String(s) => Some(text(s)),
        _ => None,
    }
}

/// Every connection's summary, in order; on `threads` threads for a large capture, each
/// summarizing a range of connections.
pub(super) fn summarize(a: &Analysis, threads: usize) -> Vec<ConnectionSummary> {
    let conns = &a.capture.connections;
    let parts = crate::parallel::parts(threads, a.frames.len());
    if parts <= 1 {
        return summarize_some(a, conns);
    }
    let some = |p| summarize_some(a, crate::parallel::part(conns, p, parts));
    let done = crate::parallel::join(parts, || some(0), some);
    done.into_iter().flatten().collect()
}

/// What a connection's NOTIFY ids say about the HAProxy generation, gathered in order.
struct NotifyIds {
    /// The first NOTIFY's stream-id.
    first: Option<u64>,
    /// Every stream-id odd and above the previous one, every frame-id 1 (3.1+).
    odd_increasing: bool,
    /// Some stream-id is even (≤3.0's process-wide counter).
    any_even: bool,
    last: Option<u64>,
}

impl Default for NotifyIds {
    fn default() -> Self {
        NotifyIds {
            first: None,
            odd_increasing: true,
            any_even: false,
            last: None,
        }
    }
}

impl NotifyIds {
    fn add(&mut self, e: &FrameEntry) {
        let sid = e.stream_id;
        self.first.get_or_insert(sid);
        self.odd_increasing &=
            !sid.is_multiple_of(2) && e.frame_id == 1 && self.last.is_none_or(|last| sid > last);
        self.any_even |= sid.is_multiple_of(2);
        self.last = Some(sid);
    }
}

fn summarize_some(a: &Analysis, conns: &[SpopConnection]) -> Vec<ConnectionSummary> {
    let mut out = Vec::with_capacity(conns.len());
    for conn in conns {
        let frames: Vec<&FrameEntry> = a.frames_of(conn.id).collect();
        let first_of = |dir: Direction, ty: FrameType| {
            frames
                .iter()
                .find(|e| e.direction == dir && e.frame_type == ty)
                .map(|e| e.index)
        };
        let haproxy_hello =
            first_of(Direction::HaproxyToAgent, FrameType::HaproxyHello).and_then(|i| {
                a.with_frame(i, |f| {
                    let Payload::KvList(kv) = f.payload() else {
                        return None;
                    };
                    let mut h = HaproxyHello {
                        frame: i,
                        ..HaproxyHello::default()
                    };
                    for p in kv.iter().map_while(Result::ok) {
                        let v = p.value.value();
                        match p.key.bytes {
                            b"supported-versions" => h.supported_versions = string_value(v),
                            b"max-frame-size" if p.value.data_type().is_integer() => {
                                h.max_frame_size = v.as_u64()
                            }
                            b"capabilities" => h.capabilities = string_value(v),
                            b"engine-id" => h.engine_id = string_value(v),
                            b"healthcheck" => h.healthcheck = *v == Value::Bool(true),
                            _ => {}
                        }
                    }
                    Some(h)
                })
                .flatten()
            });
        let agent_hello =
            first_of(Direction::AgentToHaproxy, FrameType::AgentHello).and_then(|i| {
                a.with_frame(i, |f| {
                    let Payload::KvList(kv) = f.payload() else {
                        return None;
                    };
                    let mut h = AgentHello {
                        frame: i,
                        ..AgentHello::default()
                    };
                    for p in kv.iter().map_while(Result::ok) {
                        let v = p.value.value();
                        match p.key.bytes {
                            b"version" => h.version = string_value(v),
                            b"max-frame-size" if p.value.data_type().is_integer() => {
                                h.max_frame_size = v.as_u64()
                            }
                            b"capabilities" => h.capabilities = string_value(v),
                            _ => {}
                        }
                    }
                    Some(h)
                })
                .flatten()
            });
        let announced = haproxy_hello.as_ref().and_then(|h| h.max_frame_size);
        let negotiated = match (
            agent_hello.as_ref().and_then(|h| h.max_frame_size),
            announced,
        ) {
            (Some(m), Some(ann)) if (256..=ann).contains(&m) => Some(m),
            (Some(m), None) if m >= 256 => Some(m),
            (None, ann) if agent_hello.is_some() => ann,
            _ => None,
        };
        let agreed_capabilities = match (&haproxy_hello, &agent_hello) {
            (Some(h), Some(g)) => {
                let offered: Vec<Capability> = h
                    .capabilities
                    .as_deref()
                    .map(|c| capability_tokens(c).collect())
                    .unwrap_or_default();
                g.capabilities
                    .as_deref()
                    .map(|c| {
                        capability_tokens(c)
                            .filter(|t| offered.contains(t))
                            .collect()
                    })
                    .unwrap_or_default()
            }
            _ => Vec::new(),
        };

        // Generation, from what each version does differently.
        let mut legacy = Vec::new();
        let mut modern = Vec::new();
        if let Some(h) = &haproxy_hello {
            if let Some(caps) = &h.capabilities {
                if capability_tokens(caps).any(|t| t.is_obsolete()) {
                    legacy.push(alloc::format!("HAProxy announced capabilities \"{caps}\" (async and fragmentation were removed in 3.1)"));
                } else if h.engine_id.is_some()
                    && capability_tokens(caps).any(|t| t == Capability::Pipelining)
                {
                    modern.push(alloc::format!(
                        "HAProxy announced capabilities \"{caps}\" without async (3.1+ default)"
                    ));
                }
            }
        }
        // One pass over the connection's frames for what the summary counts.
        let mut notify_ids = NotifyIds::default();
        let mut unset = false;
        let (mut to_agent, mut to_haproxy) = (0, 0);
        let mut pairs = Vec::new();
        let mut outstanding = 0usize;
        let mut max_outstanding = 0usize;
        for e in &frames {
            match e.direction {
                Direction::HaproxyToAgent => to_agent += 1,
                Direction::AgentToHaproxy => to_haproxy += 1,
            }
            match e.frame_type {
                FrameType::Notify => {
                    notify_ids.add(e);
                    outstanding += 1;
                    max_outstanding = max_outstanding.max(outstanding);
                    pairs.push(Pair {
                        notify: e.index as u32,
                        ack: e.pair,
                        latency: a.pair_latency(e),
                        outstanding: u32::try_from(outstanding).unwrap_or(u32::MAX),
                    });
                }
                FrameType::Ack if e.pair.is_some() => outstanding = outstanding.saturating_sub(1),
                FrameType::Unset => unset = true,
                _ => {}
            }
        }
        if unset {
            legacy.push(
                "fragmented NOTIFY (UNSET frames): fragmentation only exists before 3.1".into(),
            );
        }
        if let Some(first) = notify_ids.first {
            if notify_ids.odd_increasing && first == 1 {
                modern.push("NOTIFY stream-ids are odd and increasing from 1 with frame-id 1 (3.1+ per-connection ids)".into());
            } else if notify_ids.any_even {
                legacy.push("NOTIFY stream-ids include even values (≤3.0 takes them from a process-wide stream counter)".into());
            }
        }
        let (generation, generation_evidence) = match (legacy.is_empty(), modern.is_empty()) {
            (false, true) => (Generation::Legacy, legacy),
            (true, false) => (Generation::Modern, modern),
            (false, false) if legacy.len() >= modern.len() => (Generation::Legacy, legacy),
            (false, false) => (Generation::Modern, modern),
            (true, true) => (Generation::Unknown, Vec::new()),
        };

        let end_reason = end_reason(a, conn, &frames);
        out.push(ConnectionSummary {
            id: conn.id,
            haproxy: conn.haproxy,
            agent: conn.agent,
            detection: conn.detection,
            start: conn.first.timestamp,
            end: conn.last.timestamp,
            end_reason,
            haproxy_hello,
            agent_hello,
            negotiated_max_frame_size: negotiated,
            agreed_capabilities,
            generation,
            generation_evidence,
            frames_to_agent: to_agent,
            frames_to_haproxy: to_haproxy,
            pairs,
            max_outstanding,
            errors: 0,
            warnings: 0,
        });
    }
    out
}

/// The status-code of a DISCONNECT frame, if integer-typed.
pub(crate) fn disconnect_status(a: &Analysis, index: usize) -> Option<u64> {
    a.with_frame(index, |f| match f.payload() {
        Payload::KvList(kv) => kv
            .get(b"status-code")
            .filter(|p| p.value.data_type().is_integer())
            .and_then(|p| p.value.value().as_u64()),
        _ => None,
    })
    .flatten()
}

fn end_reason(
    a: &Analysis,
    conn: &crate::capture::spop::SpopConnection,
    frames: &[&FrameEntry],
) -> EndReason {
    if let Some(d) = frames.iter().find(|e| {
        matches!(
            e.frame_type,
            FrameType::HaproxyDisconnect | FrameType::AgentDisconnect
        )
    }) {
        let status = disconnect_status(a, d.index);
        return EndReason::Disconnect {
            by: d.direction,
            status,
            text: status.and_then(status_text),
            frame: d.index,
        };
    }
    let first = |f: fn(&crate::capture::tcp::Stream) -> Option<crate::capture::tcp::PacketRef>| {
        [Direction::HaproxyToAgent, Direction::AgentToHaproxy]
            .into_iter()
            .filter_map(|d| f(conn.stream(d)).map(|p| (p.number, d)))
            .min()
            .map(|(_, d)| d)
    };
    if let Some(by) = first(|s| s.rst) {
        return EndReason::Rst { by };
    }
    if let Some(by) = first(|s| s.fin) {
        return EndReason::Fin { by };
    }
    EndReason::CaptureEnd
}
