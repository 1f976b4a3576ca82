//! Framing rules: LENGTH, type, flags, ids, payload grammar, frames written into each other,
//! and bytes that are not frames.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::{Cx, Rule, Severity};
use crate::analysis::{FrameEntry, Generation, StreamEvent};
use crate::capture::spop::{SkipReason, StreamItem, FALLBACK_MAX_LENGTH};
use crate::wire::{Capability, DecodeError, Direction, ErrorKind, FrameType, PayloadKind};

/// SPOP-F001.
pub const F001: Rule = Rule {
    code: "SPOP-F001",
    name: "runt-frame",
    severity: Severity::Error,
    title: "LENGTH below 7: smaller than the frame header it must contain",
    explanation: "Every frame carries at least a type byte, 4 flag bytes and two 1-byte ids, so LENGTH is at least 7. \
HAProxy up to 2.9.6 did not consume a LENGTH of 0 or 1 and woke the SPOE applet forever (haproxy#2490, the watchdog \
aborts the process); later ≤3.0 versions answer status 4 \"invalid frame received\", 3.1+ status 9. A runt LENGTH \
usually means the reader is misaligned: two writers interleaved their output, or bytes were lost.",
};

/// SPOP-F002.
pub const F002: Rule = Rule {
    code: "SPOP-F002",
    name: "frame-too-big",
    severity: Severity::Error,
    title: "LENGTH above the negotiated max-frame-size",
    explanation: "After the handshake both sides must keep frames within the max-frame-size the agent answered (before it, \
within what HAProxy announced). HAProxy ≤3.0 compares the whole LENGTH and answers status 3 \"frame is too big\"; 3.1+ \
compares only the payload (tolerating up to about 25 header bytes more) and answers status 9. HAProxy 3.1.x up to 3.1.6 \
itself sent NOTIFYs above the agent's limit with large tune.bufsize (spoa-mirror#40, fixed by ce8c2d359). A frame too \
large to believe while cutting the stream is still decoded and listed when all its bytes are there and form a frame; \
when they do not, it is reported here if a valid frame header follows its LENGTH, and its bytes are skipped (SPOP-F012).",
};

/// SPOP-F003.
pub const F003: Rule = Rule {
    code: "SPOP-F003",
    name: "bad-frame-type",
    severity: Severity::Error,
    title: "frame type not valid for its direction",
    explanation: "HAProxy sends HAPROXY-HELLO (1), HAPROXY-DISCONNECT (2) and NOTIFY (3), plus UNSET (0) continuation \
fragments only when ≤3.0 negotiated fragmentation; the agent sends AGENT-HELLO (101), AGENT-DISCONNECT (102) and ACK \
(103). A type byte 0x00 where an agent frame should start is the classic sign of a misaligned read: the reader took \
the first byte of another frame's LENGTH as a type. Before the handshake HAProxy answers a wrong type with status 4 \
(≤3.0 with a HAPROXY-DISCONNECT, 3.1+ by closing); after it, ≤3.0 skips the frame silently, and 3.1+ answers status 4 \
when its stream-id is 0, else checks its ids as for an ACK (SPOP-X001) and skips it.",
};

/// SPOP-F004.
pub const F004: Rule = Rule {
    code: "SPOP-F004",
    name: "missing-fin",
    severity: Severity::Error,
    title: "FIN flag clear",
    explanation: "Fragmentation was removed in HAProxy 3.1: every frame must carry FIN (flags 0x00000001). 3.1+ answers a \
frame without FIN with status 10 \"fragmentation not supported\" (the \"disconnect frame with code 10\" agents log under \
load, usually a misaligned read). Only HAProxy ≤3.0 with negotiated fragmentation sends NOTIFY fragments without FIN.",
};

/// SPOP-F005.
pub const F005: Rule = Rule {
    code: "SPOP-F005",
    name: "reserved-flags",
    severity: Severity::Warning,
    title: "reserved flag bits set, or ABORT where it means nothing",
    explanation: "Only FIN (bit 0) and ABORT (bit 1) are defined; HAProxy never sets the others and ignores them, but its \
3.1+ health check requires flags to be exactly 1. ABORT only meant something with ≤3.0 fragmentation; 3.1+ never sets \
and never checks it.",
};

/// SPOP-F006.
pub const F006: Rule = Rule {
    code: "SPOP-F006",
    name: "bad-varint",
    severity: Severity::Error,
    title: "malformed varint: longer than 10 bytes, overflowing 64 bits, or truncated by the frame end",
    explanation: "HAProxy's varint decoder has no length cap and no overflow check: a sum above 2^64−1 wraps silently and an \
11th byte is shifted by 67 bits (undefined behaviour in C). A varint cut by the frame end makes HAProxy reject the frame \
(status 4). Either way the sender's encoder is broken.",
};

/// SPOP-F007.
pub const F007: Rule = Rule {
    code: "SPOP-F007",
    name: "connection-frame-ids",
    severity: Severity::Error,
    title: "HELLO or DISCONNECT with stream-id or frame-id not 0",
    explanation: "Connection-level frames carry ids 0/0 (bytes 00 00). HAProxy 3.1+ closes the connection on an AGENT-HELLO \
or AGENT-DISCONNECT with other ids (status 4); ≤3.0 answers status 4 too.",
};

/// SPOP-F008.
pub const F008: Rule = Rule {
    code: "SPOP-F008",
    name: "zero-stream-ids",
    severity: Severity::Error,
    title: "ACK with stream-id 0, or NOTIFY/ACK with frame-id 0",
    explanation: "An ACK repeats its NOTIFY's ids, and those are never 0/x for 3.1+ (stream-ids start at 1, frame-id is \
always 1). HAProxy 3.1+ marks the connection in error on an ACK with stream-id 0 or frame-id 0 (status 4). HAProxy ≤3.0 \
legitimately sends NOTIFY stream-id 0 for its very first stream.",
};

/// SPOP-F009.
pub const F009: Rule = Rule {
    code: "SPOP-F009",
    name: "payload-mismatch",
    severity: Severity::Error,
    title: "payload grammar does not end exactly at the frame end",
    explanation: "KV lists, messages and actions run to the end of the frame; a length inside them that runs past it, or a \
list that stops early, means the sender computed LENGTH or a field wrong (or the bytes are misaligned). HAProxy rejects \
such HELLO and DISCONNECT frames with status 4.",
};

/// SPOP-F010.
pub const F010: Rule = Rule {
    code: "SPOP-F010",
    name: "interleaved-frames",
    severity: Severity::Error,
    title: "frames written into each other (concurrent writers)",
    explanation: "The bytes of one frame contain other complete frames: two threads or goroutines wrote to the same \
connection without a lock, so one frame's bytes were split by another's (haproxy#2490, where ACKs landed inside an \
AGENT-DISCONNECT and HAProxy 2.9.6 spun on the garbage). HAProxy cannot parse this: ≤3.0 answers status 3 or 4, 3.1+ \
status 4, 9 or 10 depending on where its reader lands. Fix the agent: write each frame with one call under a \
per-connection lock.",
};

/// SPOP-F011.
pub const F011: Rule = Rule {
    code: "SPOP-F011",
    name: "truncated-frame",
    severity: Severity::Warning,
    title: "the stream ends inside a frame",
    explanation: "The capture stops before the frame's last byte: the capture ended (or the connection was cut) mid-frame. \
When the connection was closed this way, HAProxy 3.1+ reports status 4 for the partial frame; ≤3.0 does not tell it \
from a close between frames: status 1 \"I/O error\", and the waiting streams are logged `st=257`.",
};

/// SPOP-F012.
pub const F012: Rule = Rule {
    code: "SPOP-F012",
    name: "resync",
    severity: Severity::Error,
    title: "bytes between frames that are not a frame",
    explanation: "At a position where a frame should start, the bytes do not form one (implausible LENGTH, wrong type, \
no FIN). The inspector skipped to the next plausible frame start to keep decoding; HAProxy cannot, and drops the \
connection. The usual cause is interleaved writes, a lost write, or a length computed wrong earlier in the stream.",
};

fn ids(e: &FrameEntry) -> String {
    format!("stream {}/frame {}", e.stream_id, e.frame_id)
}

/// The framing rules on frame `e`, whose payload error (for an invalid payload) is
/// `payload_error`: everything else comes from the entry, so plain frames need no decoding.
pub(super) fn check_frame(cx: &mut Cx<'_>, e: &FrameEntry, payload_error: Option<&DecodeError>) {
    // Built only to report: its varint lengths cost a loop per frame.
    let (h, start) = (|| e.header(), e.offset());
    let conn = cx.conn(e.connection);
    let generation = conn.map_or(Generation::Unknown, |c| c.generation);
    let fragmentation = conn.is_some_and(|c| c.agreed(&Capability::Fragmentation));
    let name = e.frame_type.name();
    let c = Some(e.connection);
    let here = || alloc::vec![e.index];

    // F003: type for the direction.
    let valid = match (e.direction, e.frame_type) {
        (Direction::HaproxyToAgent, FrameType::Unset) => fragmentation,
        (d, t) => t.direction() == Some(d),
    };
    if !valid {
        let what = match e.frame_type {
            FrameType::Unknown(b) => format!("unknown frame type {b}"),
            FrameType::Unset if e.direction == Direction::AgentToHaproxy => {
                "type 0x00: probably the first byte of another frame's LENGTH (misaligned read)"
                    .into()
            }
            FrameType::Unset => "UNSET (0) continuation without negotiated fragmentation".into(),
            t => format!("{} travels the other way", t.name()),
        };
        cx.report(&F003, c)
            .at(e.index, h().type_span(start))
            .emit(format!(
                "{} frame at {:#x}: {what}",
                e.direction.label(),
                e.offset()
            ));
    }

    // F004: FIN.
    let fragment_ok = fragmentation
        && e.direction == Direction::HaproxyToAgent
        && matches!(e.frame_type, FrameType::Notify | FrameType::Unset);
    if !e.flags.fin() && !fragment_ok {
        cx.report(&F004, c)
            .at(e.index, h().flags_span(start))
            .emit(format!(
                "{name} at {:#x} has flags {:#010x}: FIN is clear (HAProxy 3.1+ answers status 10)",
                e.offset(),
                e.flags.0
            ));
    }

    // F005: reserved bits, ABORT toward 3.1+.
    if e.flags.reserved() != 0 {
        cx.report(&F005, c)
            .at(e.index, h().flags_span(start))
            .emit(format!(
                "{name} has reserved flag bits set ({:#010x})",
                e.flags.0
            ));
    } else if e.flags.abort()
        && e.direction == Direction::AgentToHaproxy
        && generation != Generation::Legacy
    {
        cx.report(&F005, c)
            .at(e.index, h().flags_span(start))
            .emit(format!("{name} sets ABORT, which HAProxy 3.1+ ignores"));
    }

    // F007 / F008: ids.
    if e.frame_type.is_connection_level() && (e.stream_id != 0 || e.frame_id != 0) {
        let span = h().stream_id_span(start).join(h().frame_id_span(start));
        cx.report(&F007, c)
            .at(e.index, span)
            .emit(format!("{name} carries {} (must be 0/0)", ids(e)));
    }
    // HAProxy ≤3.0 numbers streams from 0, so its first NOTIFY (and the ACK answering it)
    // legitimately carry stream-id 0.
    let sid0_ok = generation != Generation::Modern
        && match e.frame_type {
            FrameType::Notify => true,
            _ => e.pair.is_some(),
        };
    if matches!(e.frame_type, FrameType::Notify | FrameType::Ack) {
        if e.stream_id == 0 && !sid0_ok && e.frame_id != 0 {
            cx.report(&F008, c)
                .at(e.index, h().stream_id_span(start))
                .emit(format!("{name} with stream-id 0 (HAProxy 3.1+: status 4)"));
        }
        if e.frame_id == 0 {
            cx.report(&F008, c)
                .at(e.index, h().frame_id_span(start))
                .emit(format!(
                    "{name} {} has frame-id 0 (HAProxy 3.1+: status 4)",
                    ids(e)
                ));
        }
    }

    // F002: size against what was negotiated (or announced, before the handshake completed).
    if let Some(conn) = conn {
        let after_handshake = conn.agent_hello.as_ref().is_some_and(|h| e.index > h.frame);
        let limit = if after_handshake {
            conn.negotiated_max_frame_size
        } else if e.frame_type == FrameType::AgentHello {
            conn.haproxy_hello.as_ref().and_then(|h| h.max_frame_size)
        } else {
            None
        };
        if let Some(limit) = limit {
            if u64::from(e.length) > limit {
                let payload = h().payload_len();
                let modern = if payload as u64 <= limit {
                    format!("; HAProxy 3.1+ compares only the payload ({payload} bytes) and would accept it")
                } else {
                    format!("; its payload alone ({payload} bytes) is over it too (3.1+: status 9)")
                };
                cx.report(&F002, c)
                    .at(e.index, h().length_span(start))
                    .emit(format!(
                        "{name} LENGTH {} is above the {} max-frame-size {limit} (≤3.0: status 3){modern}",
                        e.length,
                        if after_handshake { "negotiated" } else { "announced" }
                    ));
            }
        }
    }

    // F006 / F009: payload grammar (ACK actions are X007, reserved types D001).
    if let Some(err) = payload_error {
        let kind = PayloadKind::of(e.frame_type, e.flags);
        match err.kind {
            ErrorKind::Varint(_) => cx
                .report(&F006, c)
                .at(e.index, err.span)
                .emit(format!("{name}: {err}")),
            ErrorKind::ReservedDataType { .. } => {}
            _ if kind == PayloadKind::Actions => {}
            _ => cx
                .report(&F009, c)
                .at(e.index, err.span)
                .emit(format!("{name}: {err}")),
        }
    }

    // F010: frames written into this one.
    if e.layout.is_split() {
        let r = e.layout;
        let embedded: Vec<&FrameEntry> = cx
            .embedded_in(e.index)
            .iter()
            .filter_map(|&i| cx.a.frames.get(i))
            .collect();
        let list: Vec<String> = embedded
            .iter()
            .map(|x| format!("{} at +{}", ids(x), x.offset() - e.offset()))
            .collect();
        let kinds: Vec<&str> = {
            let mut k: Vec<&str> = embedded.iter().map(|x| x.frame_type.name()).collect();
            k.dedup();
            k
        };
        let mut message = format!(
            "{name} ({} bytes, offset {:#x}) contains {} complete {} frame{} ({}); the {}'s own bytes resume at +{} — two writers interleaved their output",
            e.length,
            e.offset(),
            embedded.len(),
            kinds.join("/"),
            if embedded.len() == 1 { "" } else { "s" },
            list.join(", "),
            name.rsplit('-').next().unwrap_or(name),
            r.tail.start - r.head.start,
        );
        // Interleaved bytes also come in several TCP segments: the split haproxy#3478 trips on
        // (SPOP-C004) is a side effect here, told as part of this story.
        if let Some(split) = conn.and_then(|conn| super::capture::header_split(cx.a, conn, e)) {
            message.push_str(&format!(
                "; the interleaving also split it across {} TCP segments {} bytes in, which HAProxy 3.1+ without the fix for haproxy#3478 misreads as well (a side effect, not a second problem)",
                split.segments, split.cut
            ));
        }
        let mut frames = here();
        frames.extend(embedded.iter().map(|x| x.index));
        let mut locations = cx.frame(e.index);
        for x in &embedded {
            locations.extend(cx.frame(x.index));
        }
        cx.report(&F010, c)
            .frames(frames)
            .locations(locations)
            .emit(message);
    }
}

/// The type of the frame header at `at` in the event's stream, if the bytes after the LENGTH
/// look like one (a type the sender uses, FIN and no reserved flag) and the LENGTH is one a
/// real max-frame-size could be near. A LENGTH like "rred" (0x72726564) followed by a frame
/// body is another frame's body after a misaligned read (SPOP-F012), not an oversized frame.
fn oversized_frame_type(
    cx: &Cx<'_>,
    ev: &StreamEvent,
    at: usize,
    length: u32,
) -> Option<FrameType> {
    if length > FALLBACK_MAX_LENGTH {
        return None;
    }
    let data = cx.a.stream_data(ev.connection(), ev.direction)?;
    let header = data.get(at.checked_add(4)?..at.checked_add(9)?)?;
    let (&ty, flags) = header.split_first()?;
    let t = FrameType::from_u8(ty);
    let flags: [u8; 4] = flags.try_into().ok()?;
    (t != FrameType::Unset
        && t.direction() == Some(ev.direction)
        && u32::from_be_bytes(flags) == crate::wire::Flags::FIN)
        .then_some(t)
}

pub(super) fn check_event(cx: &mut Cx<'_>, ev: &StreamEvent, item: StreamItem) {
    let c = Some(ev.connection());
    let frames: Vec<usize> = ev.after_frame().into_iter().collect();
    let loc = |span| {
        alloc::vec![super::Location {
            connection: ev.connection(),
            direction: ev.direction,
            span,
        }]
    };
    match item {
        StreamItem::Skipped {
            span,
            reason: SkipReason::Undecodable(err),
        } => {
            match err.kind {
                ErrorKind::RuntFrame { length } => cx
                    .report(&F001, c)
                    .frames(frames.clone())
                    .locations(loc(err.span))
                    .emit(format!(
                        "{} LENGTH {length} at {:#x}: below the 7-byte minimum{}",
                        ev.direction.label(),
                        err.span.start,
                        if length <= 1 {
                            " (HAProxy ≤2.9.6 spun forever on exactly this)"
                        } else {
                            ""
                        }
                    )),
                ErrorKind::Varint(_) => cx
                    .report(&F006, c)
                    .frames(frames.clone())
                    .locations(loc(err.span))
                    .emit(format!("{}: {err}", ev.direction.label())),
                ErrorKind::LengthAboveLimit { length, .. } => {
                    // Too big to believe while cutting the stream, but if a real frame header
                    // follows the LENGTH it is an oversized frame, not garbage.
                    if let Some(t) = oversized_frame_type(cx, ev, err.span.start, length) {
                        let conn = cx.conn(ev.connection());
                        let (which, limit) = match (
                            conn.and_then(|c| c.negotiated_max_frame_size),
                            conn.and_then(|c| c.haproxy_hello.as_ref())
                                .and_then(|h| h.max_frame_size),
                        ) {
                            (Some(m), _) => ("negotiated", Some(m)),
                            (None, Some(m)) => ("announced", Some(m)),
                            (None, None) => ("", None),
                        };
                        let limit = limit
                            .map_or(String::from("any plausible max-frame-size"), |m| {
                                format!("the {which} max-frame-size {m}")
                            });
                        cx.report(&F002, c)
                            .frames(frames.clone())
                            .locations(loc(err.span))
                            .emit(format!(
                                "{t} LENGTH {length} at {:#x} is above {limit} (≤3.0: status 3, 3.1+: status 9); too big to decode, its bytes are skipped",
                                err.span.start
                            ));
                    }
                }
                _ => {}
            }
            let why = match err.kind {
                ErrorKind::LengthAboveLimit { length, limit } => {
                    let bytes = length.to_be_bytes();
                    let ascii = if bytes.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
                        format!(
                            " (\"{}\": text where a LENGTH should be)",
                            String::from_utf8_lossy(&bytes)
                        )
                    } else {
                        String::new()
                    };
                    format!(
                        "LENGTH {length} ({length:#010x}){ascii} is implausible (limit {limit})"
                    )
                }
                _ => format!("{err}"),
            };
            cx.report(&F012, c)
                .frames(frames)
                .locations(loc(span))
                .emit(format!(
                    "{} byte(s) at {:#x} of the {} stream are not a frame ({why}); decoding resumes at the next plausible frame start, {:#x}",
                    span.len(),
                    span.start,
                    ev.direction.label(),
                    span.end
                ));
        }
        StreamItem::Truncated { span, needed } => cx
            .report(&F011, c)
            .frames(frames)
            .locations(loc(span))
            .emit(format!(
                "the {} stream ends inside a frame at {:#x}: {} byte(s) present, {needed} missing",
                ev.direction.label(),
                span.start,
                span.len()
            )),
        _ => {}
    }
}
