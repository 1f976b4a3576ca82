//! Probe rules: what only a probe session supports. `spop-inspect probe` plays HAProxy against
//! an agent and records the session; it knows that every NOTIFY it sent is well-formed and
//! within the max-frame-size the agent announced, and that it gave up (closed without a
//! DISCONNECT) only after waiting its whole timeout. So when the agent fails, the NOTIFY it
//! failed on is the agent's fault and can be named, with the types and values it carried.
//!
//! These rules run only on a probe session: a capture whose input is
//! [`Container::Probe`](crate::capture::Container::Probe), or a share bundle that carries the
//! [`PROBE_SESSION_KEY`](crate::capture::PROBE_SESSION_KEY) state (what the probe writes into its `--bundle` and `--link`).

use alloc::format;
use alloc::string::String;

use super::{Cx, Finding, Rule, Severity};
use crate::analysis::{ConnectionSummary, EndReason, FrameEntry};
use crate::capture::tcp::TcpEventKind;
use crate::wire::{status_text, Direction, FrameType, Payload};

/// SPOP-P001.
pub const P001: Rule = Rule {
    code: "SPOP-P001",
    name: "probe-agent-closed",
    severity: Severity::Error,
    title: "the agent closed the connection without a DISCONNECT, leaving the probe's HELLO or NOTIFY unanswered",
    explanation: "The probe sent a well-formed HELLO or NOTIFY within the agent's max-frame-size and the agent closed (FIN) \
or reset (RST) the connection instead of answering it, without an AGENT-DISCONNECT saying why. This is how an agent \
library crashes on a value it does not expect (a non-ASCII STRING, a negative INT32, a BINARY with NUL bytes, an IPv6 \
address): the finding names the NOTIFY and every argument it carried, so the value the agent broke on can be sent \
again. Behind HAProxy every stream waiting on that connection fails at once (3.1+) or at `timeout processing` (≤3.0), \
and the next events pay for a new connection.",
};

/// SPOP-P002.
pub const P002: Rule = Rule {
    code: "SPOP-P002",
    name: "probe-no-answer",
    severity: Severity::Error,
    title: "the agent never answered the probe's HELLO or NOTIFY within the probe's timeout",
    explanation: "The probe waited its whole timeout (`--timeout`) for an AGENT-HELLO or an ACK and got nothing, then closed \
the connection. The agent is stuck (a dead worker, a lock, a read loop that waits for more bytes than the frame has: \
frames arriving in small TCP writes or byte by byte show that), or it dropped the frame silently. Behind HAProxy the \
stream goes on without the agent's variables at `timeout processing`, and a health check marks the agent down.",
};

/// SPOP-P003.
pub const P003: Rule = Rule {
    code: "SPOP-P003",
    name: "probe-notify-rejected",
    severity: Severity::Error,
    title: "the agent answered a well-formed NOTIFY with an AGENT-DISCONNECT error",
    explanation: "The probe's NOTIFY was valid SPOP, within the negotiated max-frame-size, yet the agent ended the \
connection with an error status (invalid frame, bad types, frame too big …) while the NOTIFY waited. The agent's \
decoder disagrees with the protocol on the value or layout this NOTIFY carried (named in the finding). Behind HAProxy \
every stream waiting on that connection fails.",
};

/// SPOP-P004.
pub const P004: Rule = Rule {
    code: "SPOP-P004",
    name: "probe-max-frame-size",
    severity: Severity::Error,
    title: "the agent failed on a NOTIFY near the max-frame-size it announced itself",
    explanation: "The agent announced a max-frame-size in its AGENT-HELLO, and failed (closed, reset, disconnected with an \
error or never answered) on a NOTIFY whose LENGTH is within that size but close to it. HAProxy fills frames up to the \
negotiated size (large headers, bodies, many messages per frame), so such an agent fails on real traffic. Announce \
only what the agent's buffers hold, or size them to what it announces.",
};

/// SPOP-P005.
pub const P005: Rule = Rule {
    code: "SPOP-P005",
    name: "probe-unsolicited-frames",
    severity: Severity::Error,
    title: "the agent sent HELLO or DISCONNECT frames the probe never asked for",
    explanation: "An agent answers HAProxy's HELLO with one AGENT-HELLO and ends with at most one AGENT-DISCONNECT; every other frame it sends is an ACK. This agent sent more connection frames than that: a HELLO repeated, or a DISCONNECT after its DISCONNECT, possibly without end (the probe stops reading a connection past a cap of bytes and opens no new one after it). HAProxy closes a connection on the first unexpected frame (3.1+: status 4 \"invalid frame received\"), so every stream waiting on it fails.",
};

/// Whether the analysed capture is a probe session.
pub(crate) fn is_probe(cx: &Cx<'_>) -> bool {
    cx.a.capture.is_probe_session()
}

/// The NOTIFY's messages, argument names, types and values, for people (bounded).
fn describe(cx: &Cx<'_>, e: &FrameEntry) -> String {
    const MAX_VALUE: usize = 48;
    const MAX_TOTAL: usize = 600;
    let described = cx.a.with_frame(e.index, |f| {
        let Payload::Messages(messages) = f.payload() else {
            return String::new();
        };
        let mut out = String::new();
        // Names and values are cut, and the whole stops past MAX_TOTAL characters: a replayed
        // capture's NOTIFY may carry 255 arguments with long names.
        let cut = |text: String, max: usize| -> String {
            if text.chars().count() > max {
                let mut t: String = text.chars().take(max).collect();
                t.push('…');
                t
            } else {
                text
            }
        };
        'messages: for m in messages.iter().flatten() {
            if out.len() > MAX_TOTAL {
                out.push_str(" …");
                break;
            }
            if !out.is_empty() {
                out.push_str("; ");
            }
            let name = cut(crate::analysis::text(m.name.bytes), MAX_VALUE);
            out.push_str(&format!("message \"{name}\""));
            let mut first = true;
            for a in m.args().flatten() {
                if out.len() > MAX_TOTAL {
                    out.push_str(" …");
                    break 'messages;
                }
                out.push_str(if first { ": " } else { ", " });
                first = false;
                let value = cut(format!("{}", a.value.value()), MAX_VALUE);
                out.push_str(&format!(
                    "{}={} {}",
                    cut(crate::analysis::text(a.name.bytes), MAX_VALUE),
                    a.value.data_type().name(),
                    crate::display::escape(&value)
                ));
            }
        }
        out
    });
    described.unwrap_or_default()
}

/// P005: the agent's connection frames beyond its first HELLO and first DISCONNECT.
fn unsolicited(cx: &mut Cx<'_>, conn: &ConnectionSummary) {
    let (mut hellos, mut bye, mut extra, mut first_extra) = (0usize, 0usize, 0usize, None);
    for e in cx.a.frames_of(conn.id) {
        if e.direction != Direction::AgentToHaproxy {
            continue;
        }
        let n = match e.frame_type {
            FrameType::AgentHello => &mut hellos,
            FrameType::AgentDisconnect => &mut bye,
            _ => continue,
        };
        *n += 1;
        if *n > 1 {
            extra += 1;
            first_extra.get_or_insert(e.index);
        }
    }
    if let Some(index) = first_extra {
        cx.report(&P005, Some(conn.id)).on(index).emit(format!(
            "the agent sent {extra} connection frame(s) nobody asked for ({hellos} AGENT-HELLO, {bye} AGENT-DISCONNECT in all)"
        ));
    }
}

/// P001–P005 for one connection of a probe session.
pub(super) fn check_connection(cx: &mut Cx<'_>, conn: &ConnectionSummary) {
    unsolicited(cx, conn);
    let a = cx.a;
    let Some(spop) = a.capture.connections.get(conn.id) else {
        return;
    };
    let c = Some(conn.id);
    // Who ended the connection first, and when (packet number).
    let first_close = spop.first_close();
    let end = match conn.end_reason {
        EndReason::Disconnect {
            by, status, frame, ..
        } => a
            .frames
            .get(frame)
            .map(|f| (by, f.packet, Some(status), Some(frame))),
        EndReason::Fin { by } | EndReason::Rst { by } => first_close
            .filter(|(d, _)| *d == by)
            .map(|(d, ev)| (d, ev.packet.number, None, None)),
        EndReason::CaptureEnd => None,
    };
    let Some((by, at_packet, status, disconnect)) = end else {
        return;
    };
    // What the agent left unanswered when the connection ended: the first NOTIFY without an
    // ACK sent before the end, else a HELLO without an AGENT-HELLO.
    let pending = conn
        .pairs
        .iter()
        .filter(|p| p.ack.is_none())
        .filter_map(|p| a.frames.get(p.notify as usize))
        .find(|n| n.packet <= at_packet);
    let hello = conn
        .haproxy_hello
        .as_ref()
        .filter(|_| conn.agent_hello.is_none())
        .and_then(|h| a.frames.get(h.frame))
        .filter(|h| h.packet <= at_packet);
    let Some(culprit) = pending.or(hello) else {
        return;
    };
    let is_hello = culprit.frame_type == FrameType::HaproxyHello;
    let what = if is_hello {
        String::from("HAPROXY-HELLO")
    } else {
        format!(
            "NOTIFY {}/{} ({} bytes; {})",
            culprit.stream_id,
            culprit.frame_id,
            culprit.length,
            describe(cx, culprit)
        )
    };
    let (rule, message) = match (by, status) {
        (Direction::AgentToHaproxy, None) => {
            let how = match first_close.map(|(_, ev)| ev.kind) {
                Some(TcpEventKind::Rst) => "reset",
                _ => "closed",
            };
            (
                &P001,
                format!("the agent {how} the connection without a DISCONNECT and left {what} unanswered"),
            )
        }
        (Direction::AgentToHaproxy, Some(Some(s))) if s != 0 && !is_hello => (
            &P003,
            format!(
                "the agent ended the connection with AGENT-DISCONNECT status {s}{} while {what} waited",
                status_text(s)
                    .map(|t| format!(" \"{t}\""))
                    .unwrap_or_default()
            ),
        ),
        // The probe closes without a DISCONNECT only when its timeout ran out.
        (Direction::HaproxyToAgent, None) => (
            &P002,
            format!("the agent never answered {what}: the probe gave up after its timeout and closed"),
        ),
        _ => return,
    };
    let mut frames = alloc::vec![culprit.index];
    frames.extend(disconnect);
    let locations = cx.frame(culprit.index);
    cx.report(rule, c)
        .frames(frames.clone())
        .locations(locations.clone())
        .emit(message);
    // P004: the NOTIFY failed on was within the agent's max-frame-size, but near it.
    let limit = conn.negotiated_max_frame_size.unwrap_or(0);
    let length = u64::from(culprit.length);
    if !is_hello && limit > 0 && length <= limit && length >= limit - limit / 4 {
        cx.report(&P004, c).frames(frames).locations(locations).emit(format!(
                "NOTIFY {}/{} has LENGTH {length}, within the max-frame-size of {limit} the agent announced, and the agent failed on it",
                culprit.stream_id, culprit.frame_id
            ));
    }
}

/// In a probe session some findings of the capture rules describe what the probe does on
/// purpose (HAProxy's side): it disconnects with NOTIFYs in flight, as a reloading HAProxy
/// ≤3.0 does, to see how the agent copes. The agent's answers racing that DISCONNECT, and its
/// AGENT-DISCONNECT answering it, are not faults either. Those findings stay, as information.
pub(super) fn soften(cx: &Cx<'_>, findings: &mut [Finding]) {
    if !is_probe(cx) {
        return;
    }
    for f in findings.iter_mut() {
        // The probe's deliberate DISCONNECT is its status 0 "normal" one; after an agent's
        // broken frame it disconnects with an error status, and nothing is softened.
        let normal = f
            .connection
            .and_then(|c| cx.a.connections.get(c))
            .is_some_and(|c| {
                matches!(
                    c.end_reason,
                    EndReason::Disconnect {
                        by: Direction::HaproxyToAgent,
                        status: Some(0),
                        ..
                    }
                )
            });
        let by_probe = normal
            && match f.rule.code {
                // A DISCONNECT with NOTIFYs in flight: the probe's, and the agent's answer to
                // it (the probe disconnected first); ACKs racing it; NOTIFYs it left
                // unanswered.
                "SPOP-T003" | "SPOP-T002" | "SPOP-X004" => true,
                _ => false,
            };
        if by_probe && f.severity > Severity::Info {
            f.severity = Severity::Info;
            f.message
                .push_str(" (the probe disconnected with NOTIFYs in flight on purpose)");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_rules_are_in_the_catalogue() {
        for r in [&P001, &P002, &P003, &P004, &P005] {
            assert!(super::super::rule(r.code).is_some(), "{}", r.code);
            assert!(r.code.starts_with("SPOP-P"), "{}", r.code);
        }
    }
}
