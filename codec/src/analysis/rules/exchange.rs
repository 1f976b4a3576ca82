//! Exchange rules: NOTIFY↔ACK matching, pipelining limits, id patterns and ACK actions.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::{Cx, Rule, Severity};
use crate::analysis::{text, ConnectionSummary, FrameEntry, Generation};
use crate::capture::tcp::StreamStart;
use crate::display::Fixed;
use crate::wire::{
    varint, ActionBody, ActionType, Capability, Direction, ErrorKind, Field, Frame, FrameType,
    Payload, Scope,
};

/// SPOP-X001.
pub const X001: Rule = Rule {
    code: "SPOP-X001",
    name: "ack-unknown-id",
    severity: Severity::Error,
    title: "ACK for a stream-id/frame-id never sent on this connection",
    explanation: "An ACK must repeat the ids of a NOTIFY sent on the same connection. If the stream-id is above the highest \
one HAProxy allocated, or the frame-id is above that of the NOTIFY still waiting on its stream, 3.1+ kills the connection \
with status 12 \"frame-id not found\"; if it is an old id whose stream already gave up (timeout processing), the ACK is \
silently ignored and its actions are lost. HAProxy ≤3.0 only looks for a waiting NOTIFY with those ids: without \
pipelining or async, an unmatched ACK while a NOTIFY waits ends the connection with status 12; otherwise (async included) \
it is silently ignored. When the capture misses part of HAProxy's stream (it started mid-connection, \
or packets were lost) the NOTIFY may just not be in it, and the finding is only informational.",
};

/// SPOP-X002.
pub const X002: Rule = Rule {
    code: "SPOP-X002",
    name: "duplicate-ack",
    severity: Severity::Warning,
    title: "a second ACK for the same NOTIFY",
    explanation: "Each NOTIFY gets exactly one ACK. HAProxy has already finished the stream when the second one arrives and \
skips it; a duplicate usually means the agent retried a write or two workers answered the same NOTIFY.",
};

/// SPOP-X003.
pub const X003: Rule = Rule {
    code: "SPOP-X003",
    name: "ack-other-connection",
    severity: Severity::Warning,
    title: "ACK on a different connection than its NOTIFY",
    explanation: "Only HAProxy ≤3.0 with `async` agreed on both sides routes an ACK arriving on another connection of the \
same engine to its stream. HAProxy 3.1+ removed async: the ACK is unknown there and its NOTIFY times out.",
};

/// SPOP-X004.
pub const X004: Rule = Rule {
    code: "SPOP-X004",
    name: "unanswered-notify",
    severity: Severity::Warning,
    title: "NOTIFY without an ACK before the connection or capture ended",
    explanation: "The stream waits for the ACK until `timeout processing`, then continues without the agent's variables \
(logged as a processing error, `st=1`). On HAProxy ≤3.0 without pipelining the connection stays blocked after that: \
no NOTIFY goes out on it until an ACK arrives or `timeout idle` ends it with status 2; 3.1+ releases the stream and \
reuses the connection. Agents that stop answering some NOTIFYs (unusual methods, large payloads) or connections \
closed with work in flight both show up here. An ACK that came on another connection counts only for HAProxy ≤3.0 with \
async agreed (SPOP-X003); when bytes of the agent's stream are missing from the capture the ACK may be among them, and \
the finding is only informational.",
};

/// SPOP-X005.
pub const X005: Rule = Rule {
    code: "SPOP-X005",
    name: "pipelining-not-agreed",
    severity: Severity::Error,
    title: "more than one NOTIFY outstanding without pipelining",
    explanation: "Without `pipelining` announced by both sides, a connection carries one NOTIFY at a time: the ACK must come \
before the next NOTIFY. Several outstanding NOTIFYs here mean one side assumed pipelining the other did not agree to.",
};

/// SPOP-X006.
pub const X006: Rule = Rule {
    code: "SPOP-X006",
    name: "too-many-outstanding",
    severity: Severity::Warning,
    title: "more NOTIFYs outstanding than HAProxy allows (20)",
    explanation: "HAProxy 3.1+ opens at most 20 concurrent streams per pipelined connection (≤3.0: max-waiting-frames, \
default 20). More outstanding NOTIFYs than that means the capture misses ACKs or ids are being reused.",
};

/// SPOP-X007.
pub const X007: Rule = Rule {
    code: "SPOP-X007",
    name: "bad-action",
    severity: Severity::Error,
    title: "malformed ACK action",
    explanation: "Actions are set-var (type 1, NB-ARGS exactly 3: scope, name, value) and unset-var (type 2, NB-ARGS exactly \
2), with scope 0..4 (proc, sess, txn, req, res). On an unknown action, a wrong NB-ARGS, a bad scope or a malformed name or \
value, HAProxy silently stops processing the ACK: that action and every later one are dropped, with no error anywhere.",
};

/// SPOP-X008.
pub const X008: Rule = Rule {
    code: "SPOP-X008",
    name: "slow-ack",
    severity: Severity::Info,
    title: "ACK latency above the timeout processing you set",
    explanation: "The time from NOTIFY to ACK in the capture exceeded the threshold you set: your SPOE engine's \
`timeout processing` (the CLI's --timeout-processing, alias --slow-ack; the web inspector's setting). HAProxy's \
`timeout processing` is not visible on the wire; set it to your configuration's value (or a little below) to see \
which requests risk timing out.",
};

/// SPOP-X009.
pub const X009: Rule = Rule {
    code: "SPOP-X009",
    name: "id-pattern",
    severity: Severity::Info,
    title: "NOTIFY ids that do not follow the detected generation's pattern",
    explanation: "HAProxy 3.1+ allocates stream-ids per connection as odd, strictly increasing numbers (1, 3, 5, …) with \
frame-id 1; ≤3.0 takes stream-ids from a process-wide counter. Ids outside the pattern suggest a different HAProxy \
version than the one detected, a proxy in between, or a crafted capture.",
};

/// SPOP-X010.
pub const X010: Rule = Rule {
    code: "SPOP-X010",
    name: "typed-var-name",
    severity: Severity::Info,
    title: "variable name sent as typed STRING",
    explanation: "A set-var/unset-var name is a bare length-prefixed string; some agent libraries send it as typed data \
(a 0x08 STRING type byte first). HAProxy reads that 0x08 as an 8-byte name length, fails to decode the action and \
silently ignores it and the rest of the ACK. When the name is exactly 7 bytes the lengths line up instead: HAProxy \
decodes the 8-byte name \"\\x07name\", so the intended variable is never touched. Seen with the Python `haproxyspoa` \
library's unset-var.",
};

/// Whether the bytes at `at` (the name position) are a typed STRING ending exactly at the end
/// of the payload: the typed-name quirk.
fn typed_name(payload: &[u8], at: usize) -> bool {
    let Some((&0x08, rest)) = payload.get(at..).and_then(|b| b.split_first()) else {
        return false;
    };
    match varint::decode(rest) {
        Ok((len, n)) => (n as u64).saturating_add(len) == rest.len() as u64,
        Err(_) => false,
    }
}

/// The typed-name quirk when the lengths happen to line up: a 7-byte name sent as typed
/// data (`08 07 …`) decodes as an 8-byte name whose first byte is its own length. Returns the
/// name the agent meant.
fn typed_name_decoded(name: &[u8]) -> Option<&[u8]> {
    match name.split_first() {
        Some((&7, meant)) if meant.len() == 7 && meant.iter().all(u8::is_ascii_graphic) => {
            Some(meant)
        }
        _ => None,
    }
}

pub(super) fn check_actions(cx: &mut Cx<'_>, e: &FrameEntry, f: &Frame<'_>) {
    let Payload::Actions(actions) = f.payload() else {
        return;
    };
    let c = Some(e.connection);
    for a in actions.iter() {
        match a {
            Ok(a) => {
                let problem = match (a.action_type, a.body) {
                    (ActionType::Unknown(t), _) => Some(format!("unknown action type {t}")),
                    (t, ActionBody::Var(v)) => {
                        let expected = t.expected_nb_args().unwrap_or(0);
                        if a.nb_args != expected {
                            Some(format!(
                                "{} with NB-ARGS {} (must be {expected})",
                                t.name(),
                                a.nb_args
                            ))
                        } else if let Scope::Unknown(s) = v.scope {
                            Some(format!(
                                "{} {} with scope {s} (must be 0..4)",
                                t.name(),
                                text(v.name.bytes)
                            ))
                        } else {
                            None
                        }
                    }
                    (_, ActionBody::Raw(_)) => None,
                };
                if let Some(p) = problem {
                    cx.report(&X007, c)
                        .at(e.index, a.span())
                        .emit(format!(
                            "ACK stream {}/frame {}: {p}; HAProxy stops processing this ACK's actions here",
                            e.stream_id,
                            e.frame_id
                        ));
                    return;
                }
                if let ActionBody::Var(v) = a.body {
                    if let Some(meant) = typed_name_decoded(v.name.bytes) {
                        let meant = text(meant);
                        let (action, done) = match a.action_type {
                            ActionType::SetVar => ("set-var", "set"),
                            _ => ("unset-var", "unset"),
                        };
                        cx.report(&X010, c)
                            .at(e.index, v.name.span())
                            .emit(format!(
                                "ACK stream {}/frame {}: the {action} name is sent as a typed STRING (08 07 \"{meant}\"); HAProxy reads 0x08 as an 8-byte name, \"\\x07{meant}\", so {}.{meant} is never {done}",
                                e.stream_id,
                                e.frame_id,
                                v.scope
                            ));
                    }
                }
            }
            Err(err) => {
                let payload = f.payload_bytes();
                let at = err.span.start.saturating_sub(f.payload_span().start);
                if err.field == Field::VarName && typed_name(payload, at) {
                    cx.report(&X010, c)
                        .at(e.index, crate::Span::new(err.span.start, f.payload_span().end))
                        .emit(format!(
                            "ACK stream {}/frame {}: the variable name is sent as a typed STRING (0x08 …); HAProxy reads 0x08 as an 8-byte length and ignores this action",
                            e.stream_id,
                            e.frame_id
                        ));
                } else if !matches!(
                    err.kind,
                    ErrorKind::ReservedDataType { .. } | ErrorKind::Varint(_)
                ) {
                    cx.report(&X007, c)
                        .at(e.index, err.span)
                        .emit(format!(
                            "ACK stream {}/frame {}: {err}; HAProxy silently drops this action and the rest of the ACK",
                            e.stream_id,
                            e.frame_id
                        ));
                }
                return;
            }
        }
    }
}

pub(super) fn check(cx: &mut Cx<'_>, conn: &ConnectionSummary) {
    let a = cx.a;
    let c = Some(conn.id);
    let frames: Vec<&FrameEntry> = a.frames_of(conn.id).collect();
    let pipelining = conn.agreed(&Capability::Pipelining);
    let mut sent: BTreeMap<(u64, u64), usize> = BTreeMap::new();
    // The ids of `sent` not `answered`: the NOTIFYs still waiting, by stream-id (with their
    // index: the same map type as `sent`, one copy of its code in the wasm).
    let mut waiting_ids: BTreeMap<(u64, u64), usize> = BTreeMap::new();
    // (STREAM-ID, FRAME-ID) as one 128-bit word: one hashing step instead of two buffered ones.
    let mut answered: hashbrown::HashSet<u128> = hashbrown::HashSet::new();
    let word = |(sid, fid): (u64, u64)| u128::from(sid) << 64 | u128::from(fid);
    let mut outstanding = 0usize;
    let mut highest_sid: Option<u64> = None;
    let mut reported_x005 = false;
    // Without pipelining: the NOTIFY HAProxy waits on, if any.
    let mut waiting: Option<usize> = None;
    let mut reported_x006 = false;
    let mut last_sid: Option<u64> = None;
    // What the capture may be missing: a NOTIFY sent before it started or lost in a gap
    // explains an unmatched ACK, an ACK lost in a gap explains an unanswered NOTIFY.
    let stream = |d: Direction| a.capture.connections.get(conn.id).map(|s| s.stream(d));
    // One side pasted alone: what the other said (the agent's HELLO with what it agreed to,
    // its ACKs; HAProxy's NOTIFYs) is unknown, not missing.
    let agent_absent = a.side_absent(conn.id, Direction::AgentToHaproxy);
    let notifies_missing = stream(Direction::HaproxyToAgent).and_then(|s| {
        let lost = lost_bytes(s);
        if a.side_absent(conn.id, Direction::HaproxyToAgent) {
            Some(String::from("HAProxy's side is not in the input"))
        } else if s.start == StreamStart::MidStream {
            Some(String::from("the capture started after the connection did"))
        } else if lost > 0 {
            Some(format!(
                "{lost} byte(s) of the HAProxy → agent stream are missing from the capture"
            ))
        } else {
            None
        }
    });
    let acks_lost = stream(Direction::AgentToHaproxy).map_or(0, lost_bytes);
    // `sent` and `answered` only explain unpaired ACKs: a connection without one (most of
    // them) skips a map insert per frame.
    let track = frames
        .iter()
        .any(|e| e.frame_type == FrameType::Ack && e.pair.is_none());

    let (wrong_ids, answered_wrongly) = if track {
        wrong_id_pairs(&frames)
    } else {
        (BTreeMap::new(), BTreeMap::new())
    };

    for e in &frames {
        let key = (e.stream_id, e.frame_id);
        match e.frame_type {
            FrameType::Notify => {
                // X009: 3.1+ id pattern.
                if conn.generation == Generation::Modern {
                    let odd_up = e.stream_id % 2 == 1 && last_sid.is_none_or(|l| e.stream_id > l);
                    if !odd_up || e.frame_id != 1 {
                        cx.report(&X009, c)
                            .on(e.index)
                            .emit(format!(
                                "NOTIFY stream {}/frame {} breaks HAProxy 3.1+'s pattern (odd increasing stream-ids, frame-id 1)",
                                e.stream_id,
                                e.frame_id
                            ));
                    }
                }
                last_sid = Some(e.stream_id);
                highest_sid = Some(highest_sid.map_or(e.stream_id, |h| h.max(e.stream_id)));
                if track {
                    sent.insert(key, e.index);
                    if !answered.contains(&word(key)) {
                        waiting_ids.insert(key, e.index);
                    }
                }
                outstanding += 1;
                if !pipelining {
                    // Without pipelining HAProxy waits on one NOTIFY at a time: sending another
                    // means it gave up on the one it waited on (or pipelined, if too soon).
                    if let Some(w) = waiting
                        .and_then(|n| a.frames.get(n))
                        .filter(|_| !agent_absent)
                    {
                        let wait = e.time.saturating_sub(w.time);
                        // Without times (pasted streams) or sooner than the timeout the user
                        // gave, HAProxy cannot have given up: pipelining it was.
                        let timed_out = e.time != w.time
                            && a.options.slow_ack.is_none_or(|limit| wait >= limit);
                        if timed_out {
                            let answer = match w.paired().and_then(|n| a.frames.get(n)) {
                                Some(ack) => format!(
                                    "; its ACK came {} ms after it, too late",
                                    Fixed::ratio(ack.time.saturating_sub(w.time), 6, 1)
                                ),
                                None => String::from("; no ACK for it came"),
                            };
                            cx.report(&super::incident::N003, c)
                                .on(e.index)
                                .also(w.index)
                                .emit(format!(
                                    "NOTIFY {}/{} sent while NOTIFY {}/{} had waited {} ms unanswered on a connection without pipelining: HAProxy gave up on it (timeout processing){answer}",
                                    e.stream_id,
                                    e.frame_id,
                                    w.stream_id,
                                    w.frame_id,
                                    Fixed::ratio(wait, 6, 1)
                                ));
                            // HAProxy no longer waits for it.
                            outstanding = outstanding.saturating_sub(1);
                        } else if !reported_x005 {
                            reported_x005 = true;
                            cx.report(&X005, c)
                                .on(e.index)
                                .emit(format!(
                                    "{outstanding} NOTIFYs outstanding on a connection that did not agree on pipelining"
                                ));
                        }
                    }
                    waiting = Some(e.index);
                }
                if outstanding > 20 && !reported_x006 {
                    reported_x006 = true;
                    cx.report(&X006, c).on(e.index).emit(format!(
                        "{outstanding} NOTIFYs outstanding (HAProxy allows 20 per connection)"
                    ));
                }
                let elsewhere = e
                    .pair
                    .is_none()
                    .then(|| other_connection_ack(cx, e))
                    .flatten();
                // ≤3.0 with async agreed routes an ACK from another connection: answered.
                let async_answered = elsewhere.is_some()
                    && conn.agreed(&Capability::Async)
                    && conn.generation != Generation::Modern;
                if e.pair.is_none() && !async_answered {
                    let why = match conn.end_reason {
                        crate::analysis::EndReason::CaptureEnd => "before the capture ended",
                        _ => "before the connection ended",
                    };
                    let mut message = format!(
                        "NOTIFY stream {}/frame {} got no ACK {why}",
                        e.stream_id, e.frame_id
                    );
                    if let Some(other) = elsewhere {
                        message.push_str(&format!(" on this connection; its ACK came on connection {}, where HAProxy does not look for it without async", other.connection + 1));
                    } else if let Some(ack) = answered_wrongly
                        .get(&e.index)
                        .and_then(|&k| a.frames.get(k))
                    {
                        message.push_str(&format!(
                            "; probably answered by ACK {}/{}{}, with wrong ids",
                            ack.stream_id,
                            ack.frame_id,
                            apart(ack.time.saturating_sub(e.time), "later")
                        ));
                    }
                    let severity = if agent_absent {
                        message.push_str(" (the agent's side is not in the input)");
                        Severity::Info
                    } else if acks_lost > 0 {
                        message.push_str(&format!(" ({acks_lost} byte(s) of the agent → HAProxy stream are missing from the capture: the ACK may be among them)"));
                        Severity::Info
                    } else {
                        X004.severity
                    };
                    cx.report(&X004, c)
                        .on(e.index)
                        .severity(severity)
                        .emit(message);
                }
            }
            FrameType::Ack => {
                if let Some(n) = e.paired() {
                    // An ACK for a NOTIFY HAProxy gave up on no longer counts.
                    if pipelining || waiting == Some(n) {
                        outstanding = outstanding.saturating_sub(1);
                    }
                    if waiting == Some(n) {
                        waiting = None;
                    }
                    if track {
                        answered.insert(word(key));
                        waiting_ids.remove(&key);
                    }
                    if let (Some(limit), Some(notify)) = (a.options.slow_ack, a.frames.get(n)) {
                        let latency = e.time.saturating_sub(notify.time);
                        if latency > limit {
                            cx.report(&X008, c)
                                .on(e.index)
                                .also(n)
                                .emit(format!(
                                    "ACK stream {}/frame {} came {} ms after its NOTIFY (threshold {} ms)",
                                    e.stream_id,
                                    e.frame_id,
                                    Fixed::ratio(latency, 6, 3),
                                    Fixed::ratio(limit, 6, 3)
                                ));
                        }
                    }
                } else if answered.contains(&word(key)) {
                    let first = sent
                        .get(&key)
                        .and_then(|&n| a.frames.get(n))
                        .and_then(|n| n.paired());
                    let mut fr = alloc::vec![e.index];
                    fr.extend(first);
                    cx.report(&X002, c).on(e.index).frames(fr).emit(format!(
                        "second ACK for NOTIFY stream {}/frame {}",
                        e.stream_id, e.frame_id
                    ));
                } else if let Some(other) = other_connection_notify(cx, conn, e) {
                    cx.report(&X003, c).on(e.index).also(other.index).emit(format!(
                            "ACK stream {}/frame {} on connection {} answers a NOTIFY sent on connection {} (only ≤3.0 with async agreed routes it)",
                            e.stream_id,
                            e.frame_id,
                            conn.id + 1,
                            other.connection + 1
                        ));
                } else if e.stream_id != 0 && e.frame_id != 0 {
                    // The NOTIFY of this stream still waiting for its ACK (3.1+: one per
                    // stream), if any: the highest frame-id. A lookup, not a scan of the
                    // stream's NOTIFYs: many unmatched ACKs on a stream-id of many NOTIFYs
                    // must stay linear.
                    let waiting = waiting_ids
                        .range((e.stream_id, 0)..=(e.stream_id, u64::MAX))
                        .next_back()
                        .map(|(k, _)| k.1);
                    let why = match (highest_sid, waiting) {
                        // ≤3.0 only looks for a match (its stream ids are process-wide).
                        _ if conn.generation == Generation::Legacy => String::from("HAProxy ≤3.0 ignores it and its actions are lost, unless neither pipelining nor async was agreed and a NOTIFY is waiting: then it ends the connection with status 12 \"frame-id not found\""),
                        (_, Some(fid)) if e.frame_id > fid => format!("its frame-id is above the NOTIFY's ({fid}) on that stream, which is still waiting: HAProxy 3.1+ kills the connection with status 12 \"frame-id not found\""),
                        (Some(h), _) if e.stream_id <= h => String::from("a late or expired id: HAProxy ignores it and its actions are lost"),
                        _ => String::from("above every stream-id HAProxy sent: HAProxy 3.1+ kills the connection with status 12 \"frame-id not found\""),
                    };
                    let mut message = format!(
                        "ACK stream {}/frame {} matches no NOTIFY on this connection: {why}",
                        e.stream_id, e.frame_id
                    );
                    if let Some(n) = wrong_ids.get(&e.index).and_then(|&n| a.frames.get(n)) {
                        message.push_str(&format!(
                            "; probably the answer to NOTIFY {}/{} (sent{} and never answered), with wrong ids",
                            n.stream_id,
                            n.frame_id,
                            apart(e.time.saturating_sub(n.time), "before")
                        ));
                    }
                    let severity = match &notifies_missing {
                        Some(gap) => {
                            message.push_str(&format!(
                                " — unless its NOTIFY is not in the capture ({gap})"
                            ));
                            Severity::Info
                        }
                        None => X001.severity,
                    };
                    cx.report(&X001, c)
                        .on(e.index)
                        .severity(severity)
                        .emit(message);
                }
            }
            _ => {}
        }
    }
}

/// " 1.5 ms later": how far apart two frames are, or nothing when the input has no times
/// (a pasted stream).
fn apart(ns: u64, which: &str) -> String {
    if ns == 0 {
        String::new()
    } else {
        format!(" {} ms {which}", Fixed::ratio(ns, 6, 1))
    }
}

/// ACKs that match no NOTIFY paired with the one NOTIFY they most plausibly answer, with
/// wrong ids: an ACK is paired when, at its time, exactly one NOTIFY of the connection was
/// sent before it and is never answered, and no earlier unmatched ACK took that NOTIFY.
/// Returns the pairs both ways (ACK → NOTIFY, NOTIFY → ACK), by timeline index.
fn wrong_id_pairs(frames: &[&FrameEntry]) -> (BTreeMap<usize, usize>, BTreeMap<usize, usize>) {
    let mut by_ack = BTreeMap::new();
    let mut by_notify = BTreeMap::new();
    // NOTIFYs sent so far that never get an ACK and no unmatched ACK took yet.
    let mut orphans: alloc::collections::BTreeSet<usize> = alloc::collections::BTreeSet::new();
    // ACKs are paired by ids; the same ids on an earlier NOTIFY mean a duplicate, not this.
    let mut sent: alloc::collections::BTreeSet<(u64, u64)> = alloc::collections::BTreeSet::new();
    for e in frames {
        match e.frame_type {
            FrameType::Notify => {
                sent.insert((e.stream_id, e.frame_id));
                if e.pair.is_none() {
                    orphans.insert(e.index);
                }
            }
            FrameType::Ack if e.pair.is_none() && !sent.contains(&(e.stream_id, e.frame_id)) => {
                let mut it = orphans.iter();
                if let (Some(&n), None) = (it.next(), it.next()) {
                    orphans.clear();
                    by_ack.insert(e.index, n);
                    by_notify.insert(n, e.index);
                } else {
                    // Several candidates: no pairing is the only plausible one, now or later.
                    orphans.clear();
                }
            }
            _ => {}
        }
    }
    (by_ack, by_notify)
}

/// Bytes missing from a stream, over all its gaps. Gap sizes come from the input (a bundle
/// may claim any): the sum saturates instead of wrapping (a wrapped sum of 0 read as "nothing
/// missing" and made an info an error).
fn lost_bytes(s: &crate::capture::tcp::Stream) -> u64 {
    s.gaps.iter().fold(0u64, |n, g| n.saturating_add(g.missing))
}

/// An ACK with the NOTIFY's ids on another connection, unmatched there, after the NOTIFY.
fn other_connection_ack<'a>(cx: &Cx<'a>, notify: &FrameEntry) -> Option<&'a FrameEntry> {
    cx.unmatched_elsewhere(
        FrameType::Ack,
        (notify.stream_id, notify.frame_id),
        notify.connection,
        Some(notify.time),
        None,
    )
}

/// A NOTIFY with the ACK's ids on another connection, still unanswered there.
fn other_connection_notify<'a>(
    cx: &Cx<'a>,
    conn: &ConnectionSummary,
    ack: &FrameEntry,
) -> Option<&'a FrameEntry> {
    cx.unmatched_elsewhere(
        FrameType::Notify,
        (ack.stream_id, ack.frame_id),
        conn.id,
        None,
        Some(ack.time),
    )
}
