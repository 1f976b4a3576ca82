//! Teardown rules: what may follow a DISCONNECT, and what a DISCONNECT says.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::{Cx, Rule, Severity};
use crate::analysis::conversation::disconnect_status;
use crate::analysis::{ConnectionSummary, FrameEntry};
use crate::wire::{status_text, DataType, Direction, FrameType, Payload, Value};

/// SPOP-T001.
pub const T001: Rule = Rule {
    code: "SPOP-T001",
    name: "after-agent-disconnect",
    severity: Severity::Error,
    title: "the agent sent something after its AGENT-DISCONNECT",
    explanation: "AGENT-DISCONNECT must be the agent's last frame, followed by closing the connection. HAProxy 3.1+ drops \
whatever follows (those streams fail); ≤2.9.6 never drained such bytes and could spin (haproxy#2490, the seed incident: \
ACKs still flowing after the DISCONNECT). Agents that answer in-flight NOTIFYs from worker threads while another thread \
writes the DISCONNECT produce this.",
};

/// SPOP-T002.
pub const T002: Rule = Rule {
    code: "SPOP-T002",
    name: "ack-after-haproxy-disconnect",
    severity: Severity::Warning,
    title: "ACK after HAProxy's DISCONNECT",
    explanation: "After HAPROXY-DISCONNECT the agent should stop answering and send its AGENT-DISCONNECT. HAProxy 3.1+ still \
processes ACKs it can read in its CLOSING state; ≤3.0 drops them, so those requests lose the agent's variables.",
};

/// SPOP-T003.
pub const T003: Rule = Rule {
    code: "SPOP-T003",
    name: "disconnect-with-outstanding",
    severity: Severity::Warning,
    title: "a DISCONNECT while NOTIFYs are still unanswered",
    explanation: "Closing with work in flight fails those streams. The reload symptom: HAProxy ≤3.0's old worker closes its \
SPOE connections with status 0 \"normal\" while NOTIFYs wait, and the streams are logged with `st=256` (haproxy#1340, \
#2868). HAProxy 3.1+ does not disconnect while NOTIFYs wait, even on reload: they get their ACK or time out (`st=1`), \
and only idle connections are closed; a 3.1+ DISCONNECT with work in flight is an error, named by its status.",
};

/// SPOP-T004.
pub const T004: Rule = Rule {
    code: "SPOP-T004",
    name: "disconnect-status",
    severity: Severity::Info,
    title: "a DISCONNECT, its status and what usually causes it",
    explanation: "Every DISCONNECT carries a status-code; HAProxy sends the matching text from its table as `message`. The \
code tells which side gave up and why; SPOE logs show agent and HAProxy codes as `st=256+code`.",
};

/// SPOP-T005.
pub const T005: Rule = Rule {
    code: "SPOP-T005",
    name: "disconnect-malformed",
    severity: Severity::Error,
    title: "DISCONNECT without an integer status-code or a string message",
    explanation: "A DISCONNECT carries `status-code` (an integer) and `message` (a STRING). HAProxy ≤3.0 rejects an agent \
DISCONNECT whose message is not a STRING or is longer than 255 bytes (status 4, the frame is ignored); 3.1+ does not read \
the message at all but still requires an integer status-code.",
};

/// What a DISCONNECT's payload says.
#[derive(Default)]
struct DisconnectFacts {
    status: Option<u64>,
    status_ok: bool,
    /// The message bytes, or the type it wrongly has.
    message: Option<Result<Vec<u8>, DataType>>,
}

/// What usually causes each status (the codes HAProxy uses, docs/protocol.md §5).
fn usual_cause(code: u64) -> &'static str {
    match code {
        0 => "a graceful close: idle connection expired, reload or soft-stop",
        1 => "≤3.0: the SPOE applet was released without a more specific reason",
        2 => "≤3.0: a hello, idle or processing timeout",
        3 => "a frame above max-frame-size (often a misaligned read of interleaved frames)",
        4 => "a malformed frame or a frame not allowed in the connection's state",
        5 => "the AGENT-HELLO has no version",
        6 => "≤3.0: the AGENT-HELLO has no max-frame-size",
        7 => "the health check: the AGENT-HELLO has no capabilities",
        8 => "the agent's version is not 2.0",
        9 => "the agent's max-frame-size is out of range, or a frame exceeded it (3.1+)",
        10 => "a frame without FIN (3.1+ has no fragmentation; usually a misaligned read)",
        11 => "defined but never raised by HAProxy",
        12 => "an ACK for an id HAProxy never sent",
        13 => "HAProxy ran out of memory",
        99 => "an unspecified error (≤3.0 also maps codes ≥100 to 99)",
        _ => "an agent-specific code",
    }
}

pub(super) fn check(cx: &mut Cx<'_>, conn: &ConnectionSummary) {
    let a = cx.a;
    let c = Some(conn.id);
    let frames: Vec<&FrameEntry> = a.frames_of(conn.id).collect();

    // T003 looks at the first DISCONNECT of each side only: it is the one that ends that side
    // (later ones are frames after a DISCONNECT), and comparing every DISCONNECT with every
    // NOTIFY would be quadratic on a hostile capture.
    let (mut haproxy_first, mut agent_first) = (true, true);
    for d in frames.iter().filter(|e| {
        matches!(
            e.frame_type,
            FrameType::HaproxyDisconnect | FrameType::AgentDisconnect
        )
    }) {
        let first_of_side = match d.direction {
            Direction::HaproxyToAgent => &mut haproxy_first,
            Direction::AgentToHaproxy => &mut agent_first,
        };
        let first = core::mem::replace(first_of_side, false);
        let who = match d.direction {
            Direction::HaproxyToAgent => "HAProxy",
            Direction::AgentToHaproxy => "the agent",
        };
        // T004 and T005 from the payload.
        let DisconnectFacts {
            status,
            status_ok,
            message,
        } = a
            .with_frame(d.index, |f| {
                let Payload::KvList(kv) = f.payload() else {
                    return DisconnectFacts::default();
                };
                let status = kv.get(b"status-code");
                let message = kv.get(b"message").map(|p| match p.value.value() {
                    Value::String(s) => Ok(s.to_vec()),
                    _ => Err(p.value.data_type()),
                });
                let ok = status.is_some_and(|p| p.value.data_type().is_integer());
                DisconnectFacts {
                    status: status.and_then(|p| p.value.value().as_u64()),
                    status_ok: ok,
                    message,
                }
            })
            .unwrap_or_default();
        let status = status
            .filter(|_| status_ok)
            .or_else(|| disconnect_status(a, d.index));
        if let Some(code) = status {
            cx.report(&T004, c).on(d.index).emit(format!(
                "{who} disconnects with status {code} \"{}\": {}",
                status_text(code).unwrap_or("unassigned"),
                usual_cause(code)
            ));
        }
        let mut problems: Vec<String> = Vec::new();
        if !status_ok {
            problems.push("no integer \"status-code\"".into());
        }
        match &message {
            None => problems.push("no \"message\"".into()),
            Some(Err(t)) => problems.push(format!("\"message\" is {}, not STRING", t.name())),
            Some(Ok(m)) if m.len() > 255 && d.direction == Direction::AgentToHaproxy => problems
                .push(format!(
                    "\"message\" is {} bytes (HAProxy ≤3.0 rejects more than 255)",
                    m.len()
                )),
            Some(Ok(_)) => {}
        }
        if !problems.is_empty() {
            cx.report(&T005, c).on(d.index).emit(format!(
                "{} with {}",
                d.frame_type,
                problems.join(", ")
            ));
        }

        // T003: NOTIFYs outstanding at this DISCONNECT.
        if !first {
            continue;
        }
        let waiting: Vec<usize> = conn
            .pairs
            .iter()
            .filter(|p| {
                let sent_before = a
                    .frames
                    .get(p.notify as usize)
                    .is_some_and(|n| (n.time, n.packet) <= (d.time, d.packet));
                let acked_before = p
                    .ack
                    .and_then(|i| a.frames.get(i as usize))
                    .is_some_and(|ack| (ack.time, ack.packet) <= (d.time, d.packet));
                sent_before && !acked_before
            })
            .map(|p| p.notify as usize)
            .collect();
        if !waiting.is_empty() {
            let reload = if status == Some(0) && d.direction == Direction::HaproxyToAgent {
                " — status 0 with work in flight: the reload symptom, those streams log st=256"
            } else {
                ""
            };
            let mut fr = alloc::vec![d.index];
            fr.extend(waiting.iter().copied());
            cx.report(&T003, c).on(d.index).frames(fr).emit(format!(
                "{} while {} NOTIFY(s) are unanswered{reload}",
                d.frame_type,
                waiting.len()
            ));
        }
    }

    // T001: anything the agent sent after its AGENT-DISCONNECT (in stream order, frames
    // written into the DISCONNECT's bytes included).
    if let Some(d) = frames
        .iter()
        .find(|e| e.frame_type == FrameType::AgentDisconnect)
    {
        let after: Vec<&&FrameEntry> = frames
            .iter()
            .filter(|e| e.direction == Direction::AgentToHaproxy && e.offset() > d.offset())
            .collect();
        if !after.is_empty() {
            // The first few by name: a hostile capture may send thousands.
            const NAMED: usize = 20;
            let mut kinds: Vec<String> = after
                .iter()
                .take(NAMED)
                .map(|e| format!("{} {}/{}", e.frame_type, e.stream_id, e.frame_id))
                .collect();
            if after.len() > NAMED {
                kinds.push(format!("and {} more", after.len() - NAMED));
            }
            let inside = after.iter().filter(|e| e.outer() == Some(d.index)).count();
            let note = if inside > 0 {
                format!(" ({inside} of them written into the DISCONNECT's own bytes)")
            } else {
                String::new()
            };
            let mut fr = alloc::vec![d.index];
            fr.extend(after.iter().map(|e| e.index));
            let mut locs = Vec::new();
            for e in &after {
                locs.extend(cx.frame(e.index));
            }
            cx.report(&T001, c).frames(fr).locations(locs).emit(format!(
                "the agent sent {} frame(s) after its AGENT-DISCONNECT: {}{note}",
                after.len(),
                kinds.join(", ")
            ));
        }
    }

    // T002: ACKs after HAProxy's DISCONNECT.
    if let Some(d) = frames
        .iter()
        .find(|e| e.frame_type == FrameType::HaproxyDisconnect)
    {
        for e in frames
            .iter()
            .filter(|e| e.frame_type == FrameType::Ack && (e.time, e.packet) > (d.time, d.packet))
        {
            cx.report(&T002, c).on(e.index).also(d.index).emit(format!(
                "ACK stream {}/frame {} after HAPROXY-DISCONNECT (≤3.0 drops it)",
                e.stream_id, e.frame_id
            ));
        }
    }
}
