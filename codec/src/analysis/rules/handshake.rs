//! Handshake rules: who speaks first, what the AGENT-HELLO must contain and how HAProxy
//! reads it (docs/protocol.md §5, §9).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::{Cx, Rule, Severity};
use crate::analysis::conversation::capability_tokens;
use crate::analysis::{text, ConnectionSummary, FrameEntry, Generation};
use crate::capture::tcp::StreamStart;
use crate::wire::{Capability, DataType, Direction, FrameType, Payload, Value};

/// SPOP-H001.
pub const H001: Rule = Rule {
    code: "SPOP-H001",
    name: "hello-not-first",
    severity: Severity::Error,
    title: "a side's first frame is not its HELLO",
    explanation: "HAProxy opens with HAPROXY-HELLO and the agent must answer AGENT-HELLO before anything else. HAProxy 3.1+ \
closes the connection at once on any other first agent frame, AGENT-DISCONNECT included (status 4, no DISCONNECT sent); \
≤3.0 accepts an AGENT-DISCONNECT there as a refusal.",
};

/// SPOP-H002.
pub const H002: Rule = Rule {
    code: "SPOP-H002",
    name: "frame-before-handshake",
    severity: Severity::Error,
    title: "NOTIFY or ACK before both HELLOs",
    explanation: "No NOTIFY may be sent before the AGENT-HELLO arrived, and no ACK before the agent sent its HELLO. HAProxy \
in its AGENT_HELLO state rejects anything but an AGENT-HELLO (status 4).",
};

/// SPOP-H003.
pub const H003: Rule = Rule {
    code: "SPOP-H003",
    name: "hello-missing-key",
    severity: Severity::Error,
    title: "AGENT-HELLO without version, max-frame-size or capabilities",
    explanation: "`version` is required (status 5 \"version value not found\"). HAProxy ≤3.0 also requires `max-frame-size` \
(status 6) while 3.1+ silently keeps its own value; only the health check requires `capabilities` (status 7), and \
without it 3.1+ assumes no pipelining.",
};

/// SPOP-H004.
pub const H004: Rule = Rule {
    code: "SPOP-H004",
    name: "unsupported-version",
    severity: Severity::Error,
    title: "agent version is not 2.0",
    explanation: "HAProxy parses `[spaces]MAJOR.MINOR[spaces]` and requires exactly 2.0 (\"2.0\", \"2.00\" and \"02.0\" all \
match); anything else is status 8 \"unsupported version\". 1.0 is rejected on purpose (it had a flag byte-order bug).",
};

/// SPOP-H005.
pub const H005: Rule = Rule {
    code: "SPOP-H005",
    name: "max-frame-size-range",
    severity: Severity::Error,
    title: "agent max-frame-size outside [256, HAProxy's announced value]",
    explanation: "The agent must answer a max-frame-size between 256 and what HAProxy announced; HAProxy answers status 9 \
\"max-frame-size too big or too small\" otherwise. The agent's value becomes the limit for both directions.",
};

/// SPOP-H006.
pub const H006: Rule = Rule {
    code: "SPOP-H006",
    name: "hello-key-type",
    severity: Severity::Error,
    title: "a HELLO value with the wrong data type",
    explanation: "`version`, `capabilities`, `supported-versions` and `engine-id` are STRING; `max-frame-size` must be an \
integer type (INT32/UINT32/INT64/UINT64). HAProxy rejects an AGENT-HELLO with a mistyped value (status 4).",
};

/// SPOP-H007.
pub const H007: Rule = Rule {
    code: "SPOP-H007",
    name: "capabilities",
    severity: Severity::Warning,
    title: "malformed capability list, unknown tokens, or obsolete capabilities toward 3.1+",
    explanation: "`capabilities` is a comma-separated list (spaces ignored). HAProxy knows `pipelining` (and ≤3.0 also \
`async` and `fragmentation`) and ignores the rest. An agent claiming `async` or `fragmentation` toward HAProxy 3.1+ is \
ignored there but suggests it still assumes the old engine (e.g. ACKs on another connection).",
};

/// SPOP-H008.
pub const H008: Rule = Rule {
    code: "SPOP-H008",
    name: "healthcheck-traffic",
    severity: Severity::Warning,
    title: "NOTIFY/ACK on a health-check connection",
    explanation: "A HAPROXY-HELLO with `healthcheck` true opens a health check: the agent answers AGENT-HELLO and the \
connection closes. No NOTIFY or ACK belongs there.",
};

/// SPOP-H009.
pub const H009: Rule = Rule {
    code: "SPOP-H009",
    name: "hello-refused",
    severity: Severity::Info,
    title: "the agent answered the HELLO with AGENT-DISCONNECT",
    explanation: "The spec lets an agent refuse the handshake with AGENT-DISCONNECT. HAProxy ≤3.0 honours it; 3.1+ treats \
any first agent frame other than AGENT-HELLO as invalid (status 4) and logs it that way.",
};

/// One AGENT-HELLO pair, as facts the checks need.
struct KvFact {
    key: Vec<u8>,
    ty: DataType,
    int: Option<u64>,
    string: Option<Vec<u8>>,
    span: crate::Span,
}

/// HAProxy's version parse: `[spaces]MAJOR.MINOR[spaces]`, major ≠ 0, minor ≤ 999.
fn parse_version(s: &[u8]) -> Option<u32> {
    let s = core::str::from_utf8(s).ok()?.trim_matches(' ');
    let (maj, min) = s.split_once('.')?;
    let all_digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(maj) || !all_digits(min) {
        return None;
    }
    let maj: u32 = maj.parse().ok()?;
    let min: u32 = min.parse().ok()?;
    (maj != 0 && min <= 999).then(|| maj.saturating_mul(1000).saturating_add(min))
}

pub(super) fn check(cx: &mut Cx<'_>, conn: &ConnectionSummary) {
    let a = cx.a;
    let frames: Vec<&FrameEntry> = a.frames_of(conn.id).collect();
    let Some(capture) = a.capture.connections.get(conn.id) else {
        return;
    };
    let c = Some(conn.id);
    let first = |d: Direction| {
        frames
            .iter()
            .find(|e| e.direction == d && e.embedded_in.is_none())
            .copied()
    };

    // H001 / H009: first frames (only when the capture saw the stream start).
    if capture.stream(Direction::HaproxyToAgent).start == StreamStart::Syn {
        if let Some(e) = first(Direction::HaproxyToAgent) {
            if e.frame_type != FrameType::HaproxyHello && e.offset() == 0 {
                cx.report(&H001, c).on(e.index).emit(format!(
                    "HAProxy's first frame is {}, not HAPROXY-HELLO",
                    e.frame_type
                ));
            }
        }
    }
    if capture.stream(Direction::AgentToHaproxy).start == StreamStart::Syn {
        if let Some(e) = first(Direction::AgentToHaproxy) {
            match e.frame_type {
                FrameType::AgentHello => {}
                // Without a HAPROXY-HELLO there was no handshake to refuse: the DISCONNECT
                // answers whatever came instead (reported on HAProxy's side).
                FrameType::AgentDisconnect if conn.haproxy_hello.is_none() => {}
                FrameType::AgentDisconnect => {
                    cx.report(&H009, c).on(e.index).emit(
                        "the agent refused the handshake: its first frame is AGENT-DISCONNECT"
                            .into(),
                    );
                    if conn.generation == Generation::Modern {
                        cx.report(&H001, c)
                            .on(e.index)
                            .emit("AGENT-DISCONNECT as the first agent frame: HAProxy 3.1+ rejects it as invalid (status 4)".into());
                    }
                }
                t if e.offset() == 0 => cx
                    .report(&H001, c)
                    .on(e.index)
                    .emit(format!("the agent's first frame is {t}, not AGENT-HELLO")),
                _ => {}
            }
        }
    }

    // H002: NOTIFY/ACK before the handshake completed.
    let agent_hello_time = conn
        .agent_hello
        .as_ref()
        .and_then(|h| a.frames.get(h.frame))
        .map(|e| (e.time, e.packet));
    if conn.haproxy_hello.is_some() || agent_hello_time.is_some() {
        for e in frames
            .iter()
            .filter(|e| matches!(e.frame_type, FrameType::Notify | FrameType::Ack))
        {
            let early = match agent_hello_time {
                // No AGENT-HELLO: early, unless the agent's side is not in the input at all.
                None => !a.side_absent(conn.id, Direction::AgentToHaproxy),
                // The timeline never goes back in (time, packet): none after this is early.
                Some(t) if (e.time, e.packet) >= t => break,
                Some(_) => true,
            };
            if early && capture.stream(e.direction).start == StreamStart::Syn {
                cx.report(&H002, c).on(e.index).emit(format!(
                    "{} stream {}/frame {} before the AGENT-HELLO",
                    e.frame_type, e.stream_id, e.frame_id
                ));
            }
        }
    }

    // H008: traffic on a health-check connection.
    if conn.is_healthcheck() {
        for e in frames
            .iter()
            .filter(|e| matches!(e.frame_type, FrameType::Notify | FrameType::Ack))
        {
            cx.report(&H008, c)
                .on(e.index)
                .emit(format!("{} on a health-check connection", e.frame_type));
        }
    }

    // HELLO contents.
    if let Some(h) = &conn.haproxy_hello {
        check_haproxy_hello(cx, conn, h.frame);
    }
    if let Some(h) = &conn.agent_hello {
        check_agent_hello(cx, conn, h.frame);
    }
}

fn check_haproxy_hello(cx: &mut Cx<'_>, conn: &ConnectionSummary, index: usize) {
    let a = cx.a;
    let c = Some(conn.id);
    let problems: Vec<(String, crate::Span)> = a
        .with_frame(index, |f| {
            let Payload::KvList(kv) = f.payload() else {
                return Vec::new();
            };
            kv.iter()
                .map_while(Result::ok)
                .filter_map(|p| {
                    let t = p.value.data_type();
                    let ok = match p.key.bytes {
                        b"supported-versions" | b"capabilities" | b"engine-id" => {
                            t == DataType::String
                        }
                        b"max-frame-size" => t.is_integer(),
                        b"healthcheck" => t == DataType::Bool,
                        _ => true,
                    };
                    (!ok).then(|| {
                        (
                            format!("HAPROXY-HELLO \"{}\" is {}", text(p.key.bytes), t.name()),
                            p.value.span(),
                        )
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    for (msg, span) in problems {
        cx.report(&H006, c).at(index, span).emit(msg);
    }
}

fn check_agent_hello(cx: &mut Cx<'_>, conn: &ConnectionSummary, index: usize) {
    let a = cx.a;
    let c = Some(conn.id);
    let announced = conn.haproxy_hello.as_ref().and_then(|h| h.max_frame_size);
    let healthcheck = conn.is_healthcheck();
    // The pairs, read once.
    let pairs: Vec<KvFact> = a
        .with_frame(index, |f| {
            let Payload::KvList(kv) = f.payload() else {
                return Vec::new();
            };
            kv.iter()
                .map_while(Result::ok)
                .map(|p| {
                    let v = p.value.value();
                    let s = match v {
                        Value::String(b) => Some(b.to_vec()),
                        _ => None,
                    };
                    KvFact {
                        key: p.key.bytes.to_vec(),
                        ty: p.value.data_type(),
                        int: v.as_u64(),
                        string: s,
                        span: p.value.span(),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let find = |k: &[u8]| {
        pairs
            .iter()
            .find(|p| p.key == k)
            .map(|p| (&p.key, &p.ty, &p.int, &p.string, &p.span))
    };

    match find(b"version") {
        None => cx.report(&H003, c).on(index).emit(
            "AGENT-HELLO has no \"version\" (HAProxy: status 5 \"version value not found\")".into(),
        ),
        Some((_, t, _, s, span)) => match s {
            None => cx.report(&H006, c).at(index, *span).emit(format!(
                "AGENT-HELLO \"version\" is {}, not STRING (HAProxy: status 4)",
                t.name()
            )),
            Some(s) if parse_version(s) != Some(2000) => {
                cx.report(&H004, c).at(index, *span).emit(format!(
                "AGENT-HELLO version \"{}\" is not 2.0 (HAProxy: status 8 \"unsupported version\")",
                text(s)
            ))
            }
            Some(_) => {}
        },
    }
    match find(b"max-frame-size") {
        None => {
            let severity = match conn.generation {
                Generation::Legacy => Severity::Error,
                _ => Severity::Warning,
            };
            cx.report(&H003, c)
                .on(index)
                .severity(severity)
                .emit("AGENT-HELLO has no \"max-frame-size\" (HAProxy ≤3.0: status 6; 3.1+ keeps its own value)".into());
        }
        Some((_, t, v, _, span)) => match (t.is_integer(), v) {
            (false, _) | (_, None) => cx.report(&H006, c).at(index, *span).emit(format!(
                "AGENT-HELLO \"max-frame-size\" is {}, not an integer (HAProxy: status 4)",
                t.name()
            )),
            (true, Some(v)) => {
                let max = announced.unwrap_or(u64::MAX);
                if !(256..=max).contains(v) {
                    let bound =
                        announced.map_or(String::new(), |m| format!(", HAProxy announced {m}"));
                    cx.report(&H005, c)
                        .at(index, *span)
                        .emit(format!(
                            "AGENT-HELLO max-frame-size {v} is outside [256, announced]{bound} (HAProxy: status 9)"
                        ));
                }
            }
        },
    }
    match find(b"capabilities") {
        None => {
            let (severity, why) = if healthcheck {
                (
                    Severity::Error,
                    "the health check answers status 7 \"capabilities value not found\"",
                )
            } else {
                (Severity::Warning, "HAProxy then assumes no pipelining")
            };
            cx.report(&H003, c)
                .on(index)
                .severity(severity)
                .emit(format!("AGENT-HELLO has no \"capabilities\": {why}"));
        }
        Some((_, t, _, s, span)) => match s {
            None => cx.report(&H006, c).at(index, *span).emit(format!(
                "AGENT-HELLO \"capabilities\" is {}, not STRING (HAProxy: status 4)",
                t.name()
            )),
            Some(s) => {
                let s = text(s);
                let empty_token = !s.trim().is_empty() && s.split(',').any(|t| t.trim().is_empty());
                let listed: Vec<Capability> = capability_tokens(&s).collect();
                let unknown: Vec<&str> = listed
                    .iter()
                    .filter(|t| !t.is_known())
                    .map(Capability::name)
                    .collect();
                let obsolete: Vec<&str> = listed
                    .iter()
                    .filter(|t| t.is_obsolete())
                    .map(Capability::name)
                    .collect();
                let mut problems = Vec::new();
                if empty_token {
                    problems.push(String::from("an empty item in the list"));
                }
                if !unknown.is_empty() {
                    problems.push(format!(
                        "unknown capabilities {} (ignored by HAProxy)",
                        unknown.join(", ")
                    ));
                }
                if !obsolete.is_empty() && conn.generation == Generation::Modern {
                    problems.push(format!(
                        "{} claimed toward HAProxy 3.1+, which removed and ignores them",
                        obsolete.join(", ")
                    ));
                }
                if !problems.is_empty() {
                    cx.report(&H007, c).at(index, *span).emit(format!(
                        "AGENT-HELLO capabilities \"{s}\": {}",
                        problems.join("; ")
                    ));
                }
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::parse_version;

    #[test]
    fn versions_as_haproxy_reads_them() {
        assert_eq!(parse_version(b"2.0"), Some(2000));
        assert_eq!(parse_version(b" 2.00 "), Some(2000));
        assert_eq!(parse_version(b"02.0"), Some(2000));
        assert_eq!(parse_version(b"1.0"), Some(1000));
        assert_eq!(parse_version(b"0.9"), None);
        assert_eq!(parse_version(b"2.1000"), None);
        assert_eq!(parse_version(b"two"), None);
    }
}
