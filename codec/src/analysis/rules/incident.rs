//! Incident rules: what happened around the frames, read from the TCP events of the capture
//! (connects refused, closes and resets, a receiver that stopped reading) and from timing
//! (answers too late, HAProxy giving up, latencies out of line, stream-ids that jumped).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::net::SocketAddr;

use super::{Cx, Rule, Severity};
use crate::analysis::{ConnectionSummary, EndReason, FrameEntry, Generation};
use crate::capture::tcp::{PacketRef, TcpEventKind};
use crate::capture::AttemptOutcome;
use crate::display::Fixed;
use crate::wire::{Direction, FrameType};

/// SPOP-N001.
pub const N001: Rule = Rule {
    code: "SPOP-N001",
    name: "agent-unreachable",
    severity: Severity::Error,
    title: "connection attempts to the agent refused or unanswered",
    explanation: "HAProxy tried to connect to the agent and got a RST to its SYN (nothing listened: the agent was down or \
restarting) or no answer at all (a firewall, a dead host, a full accept queue). Every event that needed the agent meanwhile \
waited for a connection until `timeout processing` and went on without the agent's variables (≤3.0 logs it as an \
error, `st=2`/`st=1`; 3.1+ as a processing timeout). HAProxy keeps retrying at the rate new events arrive, so a burst of \
refused attempts with a time range is the footprint of an agent that was down.",
};

/// SPOP-N002.
pub const N002: Rule = Rule {
    code: "SPOP-N002",
    name: "frame-after-close",
    severity: Severity::Warning,
    title: "a NOTIFY or ACK sent after the peer closed or reset the connection",
    explanation: "The peer had already sent its FIN or RST: it will not read this frame. For an ACK, HAProxy had closed \
the connection (its idle or processing timers ran out, a reload, an error) and the request it answers got no answer \
from the agent; the agent is too slow or answered a connection it should consider gone. For a NOTIFY, the agent had \
gone and HAProxy had not noticed yet: the request waits until `timeout processing`.",
};

/// SPOP-N003.
pub const N003: Rule = Rule {
    code: "SPOP-N003",
    name: "processing-timeout",
    severity: Severity::Warning,
    title: "HAProxy gave up on a NOTIFY (timeout processing), inferred from the wire",
    explanation: "Without pipelining a connection carries one NOTIFY at a time, so a NOTIFY sent while an earlier one is \
unanswered means HAProxy stopped waiting for the earlier one: its `timeout processing` ran out, the stream went on \
without the agent's variables (logged `st=1` on 3.1+) and an ACK that still comes is ignored. The wait shown is a lower \
bound of that timeout. HAProxy 3.1+ reuses the connection for the next NOTIFY right away; ≤3.0 normally keeps a \
connection without pipelining blocked until an ACK or `timeout idle`. When `timeout processing` is given (the setting, \
or `--timeout-processing`), a second NOTIFY sooner than it is a real pipelining violation instead (SPOP-X005).",
};

/// SPOP-N004.
pub const N004: Rule = Rule {
    code: "SPOP-N004",
    name: "closed-with-notifies-pending",
    severity: Severity::Warning,
    title: "a connection closed or reset with NOTIFYs unanswered, without a DISCONNECT",
    explanation: "The TCP connection ended (FIN or RST) while NOTIFYs sent on it still waited for their ACKs, and no \
DISCONNECT frame said why. When the agent closed, it crashed or was killed, or a library closed on an error it did not \
report; the waiting streams fail at once (3.1+) or at `timeout processing` (≤3.0). When HAProxy closed, its timers ran \
out or it was stopping (reload): the agent's answers are no longer read.",
};

/// SPOP-N005.
pub const N005: Rule = Rule {
    code: "SPOP-N005",
    name: "latency-outlier",
    severity: Severity::Info,
    title: "an ACK far slower than the capture's usual latency",
    explanation: "The NOTIFY→ACK latency is far outside this capture's own distribution (above the third quartile plus \
three times the interquartile range, and over four times the median). The agent stalled on this request: a slow \
back-end call, a lock, a garbage-collection pause. Requests near `timeout processing` risk going on without the agent's \
answer.",
};

/// SPOP-N006.
pub const N006: Rule = Rule {
    code: "SPOP-N006",
    name: "stream-id-jump",
    severity: Severity::Info,
    title: "HAProxy ≤3.0's process-wide stream-id counter jumped far",
    explanation: "HAProxy ≤3.0 uses its stream's unique id as the SPOP stream-id: one counter for the whole process, \
counting every stream, also those that send no NOTIFY (other frontends, requests the SPOE conditions skip, health \
checks). A jump far larger than the NOTIFYs seen means that many streams never reached the agent. Steady traffic \
that bypasses SPOE explains thousands; tens of millions within seconds is the signature of a HAProxy spinning on a \
broken applet (haproxy#2490).",
};

/// SPOP-N007.
pub const N007: Rule = Rule {
    code: "SPOP-N007",
    name: "zero-window",
    severity: Severity::Warning,
    title: "a side stopped reading (TCP zero window)",
    explanation: "The receiver announced a zero TCP window: its buffer is full because it does not read. An agent that \
stops reading blocks HAProxy's NOTIFYs on that connection (requests wait until `timeout processing`); HAProxy that \
stops reading (overloaded, or a bug) leaves the agent's ACKs unread. When the other side filled the window before it \
(a TCP window-full event, Wireshark's `tcp.analysis.window_full`, since the receiver last read), the finding says \
so: the sender reached the edge of what the receiver offered and had to stop, the classic sign of a receiver that \
stopped reading.",
};

/// The capture's time `t`, in seconds since time zero, for messages.
fn at(cx: &Cx<'_>, t: u64) -> Fixed {
    Fixed::ratio(t.saturating_sub(cx.a.time_zero()), 9, 3)
}

fn side(d: Direction) -> &'static str {
    match d {
        Direction::HaproxyToAgent => "HAProxy",
        Direction::AgentToHaproxy => "the agent",
    }
}

/// (refused, unanswered, first SYN, last SYN) per agent address: the connection attempts that
/// did not reach it (N001, and the verdict's line on them).
/// In address order: the failed attempts sorted by address, then folded run by run (linear
/// after the sort, however many addresses a crafted bundle names).
pub(crate) fn unreached(
    a: &crate::analysis::Analysis,
) -> Vec<(SocketAddr, (usize, usize, PacketRef, PacketRef))> {
    let mut failed: Vec<_> = a
        .capture
        .attempts
        .iter()
        .filter(|t| t.outcome().failed())
        .collect();
    crate::sort::sort_by_key(&mut failed, |t| t.agent);
    let mut by_agent: Vec<(SocketAddr, (usize, usize, PacketRef, PacketRef))> = Vec::new();
    for t in failed {
        if by_agent.last().is_none_or(|(agent, _)| *agent != t.agent) {
            by_agent.push((t.agent, (0, 0, t.first, t.first)));
        }
        let Some((_, e)) = by_agent.last_mut() else {
            continue;
        };
        match t.outcome() {
            AttemptOutcome::Refused => e.0 += 1,
            _ => e.1 += 1,
        }
        if (t.first.timestamp, t.first.number) < (e.2.timestamp, e.2.number) {
            e.2 = t.first;
        }
        if (t.first.timestamp, t.first.number) > (e.3.timestamp, e.3.number) {
            e.3 = t.first;
        }
    }
    by_agent
}

/// N001: per agent address, the attempts that did not reach it.
pub(super) fn check_attempts(cx: &mut Cx<'_>) {
    let a = cx.a;
    for (agent, (refused, unanswered, first, last)) in unreached(a) {
        let total = refused + unanswered;
        let what = match (refused, unanswered) {
            (_, 0) => String::from("refused (RST to SYN)"),
            (0, _) => String::from("never answered"),
            (r, u) => format!("refused (RST to SYN) {r} time(s) and never answered {u} time(s)"),
        };
        let attempts = if total == 1 {
            String::from("1 connection attempt")
        } else {
            format!("{total} connection attempts")
        };
        let when = if total == 1 {
            format!("at {} s", at(cx, first.timestamp))
        } else {
            format!(
                "between {} s and {} s",
                at(cx, first.timestamp),
                at(cx, last.timestamp)
            )
        };
        let served = a
            .connections
            .iter()
            .filter(|c| c.agent == Some(agent))
            .count();
        let mut message = format!(
            "{attempts} to {agent} {} {what} {when} (packets #{}–#{})",
            if total == 1 { "was" } else { "were" },
            first.number,
            last.number
        );
        if served > 0 {
            message.push_str(&format!(
                "; {served} SPOP connection(s) to it worked in the capture"
            ));
        }
        cx.report(&N001, None)
            .packets(alloc::vec![first.number, last.number])
            .emit(message);
    }
}

/// N002, N004 and N007 for one connection.
pub(super) fn check_connection(cx: &mut Cx<'_>, conn: &ConnectionSummary) {
    let a = cx.a;
    let Some(spop) = a.capture.connections.get(conn.id) else {
        return;
    };
    let c = Some(conn.id);
    // The first close (FIN or RST) of each side: after it, the side reads nothing more.
    let closed = |d: Direction| {
        let s = spop.stream(d);
        match (s.fin, s.rst) {
            (Some(f), Some(r)) => Some(if r.number < f.number {
                (r, "RST")
            } else {
                (f, "FIN")
            }),
            (Some(f), None) => Some((f, "FIN")),
            (None, Some(r)) => Some((r, "RST")),
            (None, None) => None,
        }
    };
    // N002: NOTIFYs and ACKs sent after the peer closed; one pass, no copy of the frames
    // (this runs on every connection of every capture).
    let (haproxy_closed, agent_closed) = (
        closed(Direction::HaproxyToAgent),
        closed(Direction::AgentToHaproxy),
    );
    let peer_closed = |d: Direction| match d {
        Direction::HaproxyToAgent => agent_closed,
        Direction::AgentToHaproxy => haproxy_closed,
    };
    for e in a.frames_of(conn.id) {
        let Some((close, how)) = peer_closed(e.direction) else {
            continue;
        };
        if e.packet <= close.number || !matches!(e.frame_type, FrameType::Notify | FrameType::Ack) {
            continue;
        }
        let mut message = format!(
            "{} {}/{} sent {} s after {} closed the connection ({how} at {} s, packet #{}): it is never read",
            e.frame_type,
            e.stream_id,
            e.frame_id,
            Fixed::ratio(e.time.saturating_sub(close.timestamp), 9, 3),
            side(e.direction.reverse()),
            at(cx, close.timestamp),
            close.number
        );
        if e.frame_type == FrameType::Ack {
            match e.paired().and_then(|n| a.frames.get(n)) {
                Some(n) => message.push_str(&format!(
                    ", so NOTIFY {}/{} (sent at {} s) got no answer",
                    n.stream_id,
                    n.frame_id,
                    at(cx, n.time)
                )),
                None => message.push_str(", so the request it answers got no answer"),
            }
        }
        let mut fr = alloc::vec![e.index];
        fr.extend(e.paired());
        cx.report(&N002, c).on(e.index).frames(fr).emit(message);
    }
    // N004: NOTIFYs unanswered when the connection closed without a DISCONNECT.
    if matches!(
        conn.end_reason,
        EndReason::Fin { .. } | EndReason::Rst { .. }
    ) {
        if let Some((by, ev)) = spop.first_close() {
            let (close, how) = match ev.kind {
                TcpEventKind::Rst => (ev.packet, "RST"),
                _ => (ev.packet, "FIN"),
            };
            let pending: Vec<&FrameEntry> = a
                .frames_of(conn.id)
                .filter(|e| e.frame_type == FrameType::Notify && e.packet <= close.number)
                .filter(|e| {
                    e.paired()
                        .and_then(|n| a.frames.get(n))
                        .is_none_or(|ack| ack.packet > close.number)
                })
                .collect();
            if let Some(first) = pending.first() {
                let ids: Vec<String> = pending
                    .iter()
                    .take(5)
                    .map(|e| format!("{}/{}", e.stream_id, e.frame_id))
                    .collect();
                let more = if pending.len() > 5 {
                    format!(" and {} more", pending.len() - 5)
                } else {
                    String::new()
                };
                let message = format!(
                    "{} {} the connection ({how} at {} s, packet #{}) with {} NOTIFY(s) unanswered ({}{more}), without a DISCONNECT",
                    side(by),
                    if how == "RST" { "reset" } else { "closed" },
                    at(cx, close.timestamp),
                    close.number,
                    pending.len(),
                    ids.join(", ")
                );
                let fr: Vec<usize> = pending.iter().map(|e| e.index).collect();
                cx.report(&N004, c)
                    .on(first.index)
                    .frames(fr)
                    .packets(alloc::vec![close.number])
                    .emit(message);
            }
        }
    }
    // N007: zero windows, with how long each lasted and the full window the other side sent
    // just before, if any (one pass over each side's events, and one over the other's).
    for dir in [Direction::HaproxyToAgent, Direction::AgentToHaproxy] {
        let sent = &spop.stream(dir.reverse()).events;
        let mut next_sent = 0;
        let mut last_full: Option<PacketRef> = None;
        // The other side's latest full window before packet `p` and after packet `since`.
        let mut full_between = |since: u32, p: PacketRef| {
            while let Some(e) = sent.get(next_sent).filter(|e| e.packet.number < p.number) {
                if e.kind == TcpEventKind::WindowFull {
                    last_full = Some(e.packet);
                }
                next_sent += 1;
            }
            last_full.filter(|f| f.number > since)
        };
        let mut closed_at: Option<(PacketRef, Option<PacketRef>)> = None;
        let mut opened_at = 0;
        for ev in &spop.stream(dir).events {
            match ev.kind {
                TcpEventKind::ZeroWindow if closed_at.is_none() => {
                    closed_at = Some((ev.packet, full_between(opened_at, ev.packet)));
                }
                TcpEventKind::WindowOpen => {
                    opened_at = ev.packet.number;
                    if let Some(z) = closed_at.take() {
                        zero_window(cx, c, dir, z, Some(ev.packet));
                    }
                }
                _ => {}
            }
        }
        if let Some(z) = closed_at {
            zero_window(cx, c, dir, z, None);
        }
    }
}

/// N007 for a zero window from `z` until `opened` (`None`: never again); `full`: the other
/// side's full window just before it.
fn zero_window(
    cx: &mut Cx<'_>,
    c: Option<usize>,
    dir: Direction,
    (z, full): (PacketRef, Option<PacketRef>),
    opened: Option<PacketRef>,
) {
    let how_long = match opened {
        Some(o) => format!(
            "for {} s, until packet #{}",
            Fixed::ratio(o.timestamp.saturating_sub(z.timestamp), 9, 3),
            o.number
        ),
        None => String::from("and never read again in the capture"),
    };
    let mut message = format!(
        "{} stopped reading at {} s (zero window, packet #{}) {how_long}",
        side(dir),
        at(cx, z.timestamp),
        z.number
    );
    if let Some(f) = full {
        message.push_str(&format!(
            ", after {} had filled its window (window full, packet #{})",
            side(dir.reverse()),
            f.number
        ));
    }
    cx.report(&N007, c)
        .packets(alloc::vec![z.number])
        .emit(message);
}

/// N005 (latency outliers) and N006 (≤3.0 stream-id jumps), over the whole capture.
pub(super) fn check_capture(cx: &mut Cx<'_>) {
    let a = cx.a;
    // N005: quartiles by selection (linear), not a sort: this runs on every capture.
    let mut lat: Vec<u64> = a
        .connections
        .iter()
        .flat_map(|c| c.pairs.iter())
        .filter_map(|p| p.latency)
        .collect();
    if lat.len() >= 20 {
        let n = lat.len();
        let mut nth = |k: usize| -> u64 { *lat.select_nth_unstable(k.min(n - 1)).1 };
        let (q1, median, q3, p99) = (nth(n / 4), nth(n / 2), nth(3 * n / 4), nth(n * 99 / 100));
        let limit = q3
            .saturating_add(q3.saturating_sub(q1).saturating_mul(3))
            .max(median.saturating_mul(4))
            // Below a millisecond, scheduling noise is not an incident.
            .max(1_000_000);
        for conn in &a.connections {
            for p in &conn.pairs {
                let (Some(l), Some(ack)) = (p.latency, p.ack) else {
                    continue;
                };
                if l <= limit {
                    continue;
                }
                let (Some(ack), Some(notify)) =
                    (a.frames.get(ack as usize), a.frames.get(p.notify as usize))
                else {
                    continue;
                };
                let message = format!(
                    "ACK {}/{} came {} ms after its NOTIFY; in this capture the median is {} ms and 99 % of ACKs came within {} ms",
                    ack.stream_id,
                    ack.frame_id,
                    Fixed::ratio(l, 6, 1),
                    Fixed::ratio(median, 6, 3),
                    Fixed::ratio(p99, 6, 3)
                );
                cx.report(&N005, Some(conn.id))
                    .on(ack.index)
                    .also(notify.index)
                    .emit(message);
            }
        }
    }
    // N006: consecutive NOTIFYs of ≤3.0 connections, in time order.
    let legacy: Vec<bool> = a
        .connections
        .iter()
        .map(|c| c.generation == Generation::Legacy)
        .collect();
    // One pass: jumps above the least threshold are kept, then held against the count.
    let mut count = 0u64;
    let mut jumps: Vec<(&FrameEntry, &FrameEntry)> = Vec::new();
    let mut prev: Option<&FrameEntry> = None;
    for e in a.frames.iter().filter(|e| {
        e.frame_type == FrameType::Notify && legacy.get(e.connection).copied().unwrap_or(false)
    }) {
        count += 1;
        if let Some(p) = prev {
            if e.stream_id.saturating_sub(p.stream_id) > MIN_JUMP {
                jumps.push((p, e));
            }
        }
        prev = Some(e);
    }
    let threshold = count.saturating_mul(100).max(MIN_JUMP);
    for (p, e) in jumps {
        let jump = e.stream_id.saturating_sub(p.stream_id);
        if jump <= threshold {
            continue;
        }
        let dt = e.time.saturating_sub(p.time);
        let message = format!(
            "the stream-id went from {} (connection {}, {} s) to {} (connection {}, {} s): {} streams in {} s never reached the agent, against {count} NOTIFYs in the whole capture",
            p.stream_id,
            p.connection + 1,
            at(cx, p.time),
            e.stream_id,
            e.connection + 1,
            at(cx, e.time),
            jump - 1,
            Fixed::ratio(dt, 9, 3)
        );
        cx.report(&N006, Some(e.connection))
            .on(e.index)
            .also(p.index)
            .emit(message);
    }
}

/// The least stream-id jump N006 reports (thousands are normal traffic that bypasses SPOE).
const MIN_JUMP: u64 = 10_000;
