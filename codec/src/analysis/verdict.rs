//! "What happened": a few ranked sentences in plain words that sum up a capture for the
//! person who opened it, each with the findings it rests on. Every surface shows the same
//! sentences at the top (the page's overview, the CLI's text and Markdown reports, the JSON's
//! `verdict`).

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::{Analysis, EndReason, Severity};
use crate::display::Fixed;
use crate::wire::Direction;

/// One sentence of the verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct VerdictLine {
    /// The most serious finding it rests on (`Info` for a clean capture's line).
    pub severity: Severity,
    /// The sentence.
    pub text: String,
    /// Indexes into [`Analysis::findings`] of the findings it sums up (the first few
    /// hundred at most: enough to step through, bounded however many there are).
    pub findings: Vec<usize>,
}

/// Findings a line links to, at most.
const MAX_LINKS: usize = 256;

/// A slowest ACK from which the verdict reminds that `timeout processing` decides whether
/// it was in time (HAProxy's own examples use 100 ms to a few seconds).
const SLOW_WITHOUT_TIMEOUT: u64 = 100_000_000;

/// Lines in a verdict, at most: it is a summary.
const MAX_LINES: usize = 6;

/// Who sent a DISCONNECT (0 HAProxy, 1 the agent), its status and its text.
type StatusKey = (u8, u64, &'static str);

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// The verdict of an analysis whose rules have run ([`Analysis::check`]), most serious first.
pub fn verdict(a: &Analysis) -> Vec<VerdictLine> {
    let secs = |t: u64| Fixed::ratio(t.saturating_sub(a.time_zero()), 9, 1);
    // Findings by rule code, in code order. A list, not a map: a few dozen codes at most, and
    // the map's code for this key type was only here.
    let mut by_code: Vec<(&'static str, Vec<usize>)> = Vec::new();
    for (i, f) in a.findings.iter().enumerate() {
        match by_code.iter_mut().find(|(c, _)| *c == f.rule.code) {
            Some((_, ids)) => ids.push(i),
            None => by_code.push((f.rule.code, alloc::vec![i])),
        }
    }
    crate::sort::sort_by_key(&mut by_code, |(c, _)| *c);
    let ids_of = |code: &str| {
        by_code
            .iter()
            .find(|(c, _)| *c == code)
            .map_or(&[][..], |(_, ids)| ids.as_slice())
    };
    let take = |code: &str| ids_of(code).to_vec();
    let worst = |ids: &[usize]| {
        ids.iter()
            .filter_map(|&i| a.findings.get(i))
            .map(|f| f.severity)
            .max()
            .unwrap_or(Severity::Info)
    };
    let mut lines: Vec<(u8, VerdictLine)> = Vec::new();
    // `floor`: the least severity the sentence has, whatever its findings' levels.
    let mut push = |rank: u8, text: String, mut ids: Vec<usize>, floor: Severity| {
        let severity = worst(&ids).max(floor);
        ids.truncate(MAX_LINKS);
        lines.push((
            rank,
            VerdictLine {
                severity,
                text,
                findings: ids,
            },
        ));
    };
    let mut covered: Vec<&'static str> = Vec::new();

    // The agent could not be reached.
    for (agent, (refused, unanswered, first, last)) in super::rules::incident::unreached(a) {
        let n = refused + unanswered;
        let when = if n == 1 {
            format!("at {} s", secs(first.timestamp))
        } else {
            format!(
                "from {} s to {} s",
                secs(first.timestamp),
                secs(last.timestamp)
            )
        };
        push(
            0,
            format!(
                "The agent at {agent} could not be reached: {} {when}.",
                plural(n, "connection attempt failed", "connection attempts failed")
            ),
            take("SPOP-N001"),
            Severity::Info,
        );
    }
    covered.push("SPOP-N001");

    // Requests that got no answer.
    let unanswered = take("SPOP-X004");
    if !unanswered.is_empty() {
        push(
            1,
            format!(
                "{} never answered.",
                plural(unanswered.len(), "NOTIFY was", "NOTIFYs were")
            ),
            unanswered,
            Severity::Info,
        );
    }
    covered.push("SPOP-X004");
    let timeouts = take("SPOP-N003");
    if !timeouts.is_empty() {
        push(
            1,
            format!(
                "HAProxy gave up waiting on {} (timeout processing) and sent the next one.",
                plural(timeouts.len(), "NOTIFY", "NOTIFYs")
            ),
            timeouts,
            Severity::Info,
        );
    }
    covered.push("SPOP-N003");
    let late = take("SPOP-N002");
    if !late.is_empty() {
        push(
            1,
            format!(
                "{} sent after the other side had closed the connection, so never read.",
                plural(late.len(), "frame was", "frames were")
            ),
            late,
            Severity::Info,
        );
    }
    covered.push("SPOP-N002");
    let dropped = take("SPOP-N004");
    if !dropped.is_empty() {
        let by_agent = dropped
            .iter()
            .filter_map(|&i| a.connections.get(a.findings.get(i)?.connection?))
            .filter(|c| {
                matches!(
                    c.end_reason,
                    EndReason::Fin {
                        by: Direction::AgentToHaproxy
                    } | EndReason::Rst {
                        by: Direction::AgentToHaproxy
                    }
                )
            })
            .count();
        let text = match (by_agent, dropped.len() - by_agent) {
            (n, 0) => format!(
                "The agent closed or reset {} with NOTIFYs in flight, without a DISCONNECT.",
                plural(n, "connection", "connections")
            ),
            (0, n) => format!(
                "HAProxy closed or reset {} with NOTIFYs in flight, without a DISCONNECT.",
                plural(n, "connection", "connections")
            ),
            (x, y) => format!(
                "{} closed or reset with NOTIFYs in flight, without a DISCONNECT ({x} by the agent, {y} by HAProxy).",
                plural(x + y, "connection was", "connections were")
            ),
        };
        push(1, text, dropped, Severity::Info);
    }
    covered.push("SPOP-N004");
    if let Some(limit) = a.options.slow_ack {
        let slow = take("SPOP-X008");
        if !slow.is_empty() {
            push(
                1,
                format!(
                    "{} came later than timeout processing ({} ms): HAProxy had stopped waiting and ignored them.",
                    plural(slow.len(), "ACK", "ACKs"),
                    Fixed::ratio(limit, 6, 0)
                ),
                slow, Severity::Warning);
        }
    }
    covered.push("SPOP-X008");

    // Connections ended by a DISCONNECT with an error status.
    // By (side, status, text), in that order: the connections' keys sorted, then grouped run
    // by run (statuses are read off the wire, so each connection may bring its own).
    let mut keyed: Vec<(StatusKey, usize)> = Vec::new();
    for c in &a.connections {
        if let EndReason::Disconnect {
            by,
            status: Some(status),
            text,
            ..
        } = c.end_reason
        {
            if status != 0 {
                let who = u8::from(by == Direction::AgentToHaproxy);
                keyed.push(((who, status, text.unwrap_or("")), c.id));
            }
        }
    }
    crate::sort::sort_by_key(&mut keyed, |(k, _)| *k);
    let mut by_status: Vec<(StatusKey, Vec<usize>)> = Vec::new();
    for (key, id) in keyed {
        match by_status.last_mut() {
            Some((k, conns)) if *k == key => conns.push(id),
            _ => by_status.push((key, alloc::vec![id])),
        }
    }
    // Statuses are read off the wire: one pass over the findings, whatever their number.
    let mut t004: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for &i in ids_of("SPOP-T004") {
        if let Some(c) = a.findings.get(i).and_then(|f| f.connection) {
            t004.entry(c).or_default().push(i);
        }
    }
    for ((who, status, text), conns) in by_status.into_iter().take(MAX_LINES) {
        let ids: Vec<usize> = conns
            .iter()
            .filter_map(|c| t004.get(c))
            .flatten()
            .copied()
            .collect();
        let named = if text.is_empty() {
            String::new()
        } else {
            format!(" ({text})")
        };
        push(
            2,
            format!(
                "{} closed {} with status {status}{named}.",
                if who == 0 { "HAProxy" } else { "The agent" },
                plural(conns.len(), "connection", "connections")
            ),
            // A DISCONNECT with an error status is never routine.
            ids,
            Severity::Warning,
        );
    }
    covered.push("SPOP-T004");

    // The other errors and warnings, by rule, most frequent first.
    let mut rest: Vec<(&'static str, Vec<usize>)> = by_code
        .iter()
        .filter(|(code, _)| !covered.contains(code))
        .filter(|(_, ids)| worst(ids) >= Severity::Warning)
        .map(|(c, ids)| (*c, ids.clone()))
        .collect();
    crate::sort::sort_by_key(&mut rest, |(_, ids)| {
        (
            core::cmp::Reverse(worst(ids)),
            core::cmp::Reverse(ids.len()),
        )
    });
    for (code, ids) in rest {
        let Some(rule) = super::rules::rule(code) else {
            continue;
        };
        let rank = if worst(&ids) == Severity::Error { 1 } else { 3 };
        let mut title = String::from(rule.title);
        if let Some(first) = title.get(..1).map(str::to_ascii_uppercase) {
            title.replace_range(..1, &first);
        }
        push(
            rank,
            format!("{title}: {}× {code} {}.", ids.len(), rule.name),
            ids,
            Severity::Info,
        );
    }

    // Latency, always: the one number everybody asks for.
    let mut latencies: Vec<u64> = a
        .connections
        .iter()
        .flat_map(|c| &c.pairs)
        .filter_map(|p| p.latency)
        .collect();
    let notifies: usize = a.connections.iter().map(|c| c.pairs.len()).sum();
    if let Some(q) = super::stats::Percentiles::of(&mut latencies) {
        let (median, max) = (q.p50, q.max);
        let slow = take("SPOP-N005");
        let mut text = format!(
            "{} answered: median {} ms, slowest {} ms",
            plural(q.count, "NOTIFY", "NOTIFYs"),
            Fixed::ratio(median, 6, 1),
            Fixed::ratio(max, 6, 1),
        );
        if !slow.is_empty() {
            text.push_str(&format!(
                "; {} far slower than usual",
                plural(slow.len(), "ACK was", "ACKs were")
            ));
        }
        // HAProxy's `timeout processing` is not on the wire: say when it matters.
        if a.options.slow_ack.is_none() && max >= SLOW_WITHOUT_TIMEOUT {
            text.push_str(
                "; if HAProxy's timeout processing is shorter, it ignored the late answers: tell the inspector your timeout processing to check",
            );
        }
        text.push('.');
        push(4, text, slow, Severity::Info);
    } else if notifies == 0 && !a.connections.is_empty() {
        push(
            4,
            format!(
                "{}, no NOTIFY.",
                plural(a.connections.len(), "SPOP connection", "SPOP connections")
            ),
            Vec::new(),
            Severity::Info,
        );
    }

    let (errors, warnings, _) = a.counts();
    let alarmed = lines.iter().any(|(_, l)| l.severity >= Severity::Warning);
    if errors == 0 && warnings == 0 && !alarmed && !a.connections.is_empty() {
        lines.push((
            5,
            VerdictLine {
                severity: Severity::Info,
                text: String::from("No protocol error and no warning: every rule passed."),
                findings: Vec::new(),
            },
        ));
    }
    crate::sort::sort_by_key(&mut lines, |(rank, l)| {
        (core::cmp::Reverse(l.severity), *rank)
    });
    lines.truncate(MAX_LINES);
    lines.into_iter().map(|(_, l)| l).collect()
}
