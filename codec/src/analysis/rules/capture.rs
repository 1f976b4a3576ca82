//! Capture rules: what the capture itself shows (other traffic, lost bytes, truncation,
//! segmentation, where it starts, reconnect storms, a damaged pasted dump).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::{Cx, Location, Rule, Severity};
use crate::analysis::{ConnectionSummary, EndReason, Generation, StreamEvent};
use crate::capture::spop::{SkipReason, StreamItem};
use crate::capture::tcp::StreamStart;
use crate::capture::PacketIssue;
use crate::wire::{Direction, FrameType};

/// SPOP-C001.
pub const C001: Rule = Rule {
    code: "SPOP-C001",
    name: "not-spop",
    severity: Severity::Error,
    title: "traffic on an SPOP connection that is plainly something else",
    explanation: "The bytes where a frame should start are an HTTP request line or a TLS record header: a client talking \
HTTP or TLS to the agent's port (read as SPOP, \"GET \" is a LENGTH of 1195725856). Agents have crashed on exactly this \
(haproxy-go#16, a TLS ClientHello in haproxy-go ea665cb).",
};

/// SPOP-C002.
pub const C002: Rule = Rule {
    code: "SPOP-C002",
    name: "tcp-gap",
    severity: Severity::Warning,
    title: "bytes missing from the capture inside a stream",
    explanation: "TCP sequence numbers show bytes the capture never saw (packet loss at capture time, a full buffer, or a \
filter). Frames around the gap cannot be decoded; decoding resumes at the next plausible frame start.",
};

/// SPOP-C003.
pub const C003: Rule = Rule {
    code: "SPOP-C003",
    name: "snaplen-truncated",
    severity: Severity::Warning,
    title: "packets cut by the capture's snapshot length",
    explanation: "The capture kept only the first bytes of some packets (tcpdump -s). The rest of their payload is missing: \
capture again with `-s 0` to see whole frames.",
};

/// SPOP-C004.
pub const C004: Rule = Rule {
    code: "SPOP-C004",
    name: "agent-frame-split-after-header",
    severity: Severity::Warning,
    title: "AGENT-HELLO or AGENT-DISCONNECT whose payload came in a later TCP segment than its header",
    explanation: "HAProxy 3.1+ releases from the May-2025 demux rework until the fix for haproxy#3478 re-parse the frame header on every read while \
waiting for the AGENT-HELLO or in CLOSING: when the header (≥ 11 bytes) arrives in one read and the payload later, the \
payload is misread as a new header and the connection is reset. Agents that write length, header and \
payload with separate write() calls trigger it; write each frame at once. HAProxy ≤3.0 is not affected: it reads a \
frame only once all its LENGTH bytes are there, however many segments they came in.",
};

/// SPOP-C005.
pub const C005: Rule = Rule {
    code: "SPOP-C005",
    name: "mid-connection",
    severity: Severity::Info,
    title: "the capture starts after the connection did",
    explanation: "No SYN and no HELLO: the capture began in the middle of the connection, so the handshake (negotiated \
max-frame-size, capabilities) is unknown and the first bytes up to a frame boundary are skipped.",
};

/// SPOP-C006.
pub const C006: Rule = Rule {
    code: "SPOP-C006",
    name: "connection-churn",
    severity: Severity::Warning,
    title: "many short connections that end at the handshake",
    explanation: "Connections that never get past the HELLO exchange, over and over: HAProxy reconnecting because the agent \
refuses or breaks the handshake (wrong version, max-frame-size, capabilities), or an agent that closes after every \
exchange. Each reconnect costs a handshake and loses the requests waiting for it.",
};

/// SPOP-C007.
pub const C007: Rule = Rule {
    code: "SPOP-C007",
    name: "text-dump-damaged",
    severity: Severity::Warning,
    title: "the pasted hex dump is damaged: lines missing, out of order or edited",
    explanation: "The lines of a pasted dump do not fit together: an offset that jumps ahead (lines left out, or a line \
skipped because its offset does not read, such as `0000003g`) or goes back (lines out of order or pasted twice), an \
ASCII column that shows other bytes than the hex beside it (one of the two was edited), a `*` repeat with no offset \
after it, or an array gdb cut short (`...`). Values decoded from these bytes may be wrong. Offset dumps (xxd, \
hexdump -C, od) and packet hex (tcpdump -X, tshark -x) are read as `xxd -r` reads them: each line's bytes go where its \
offset says, so lines out of order are put back in order and bytes that no line gives are zeros; a Follow TCP Stream \
dump keeps its bytes in the order printed. The finding points at the bytes concerned: copy the dump again from its \
source.",
};

fn looks_like_other_protocol(bytes: &[u8]) -> Option<&'static str> {
    const METHODS: [&[u8]; 9] = [
        b"GET ", b"POST", b"PUT ", b"HEAD", b"DELE", b"OPTI", b"PATC", b"CONN", b"PRI ",
    ];
    if METHODS.iter().any(|m| bytes.starts_with(m)) {
        return Some("an HTTP request line");
    }
    if let [0x16, 0x03, minor, ..] = bytes {
        if *minor <= 4 {
            return Some("a TLS handshake record");
        }
    }
    None
}

pub(super) fn check_event(cx: &mut Cx<'_>, ev: &StreamEvent, item: StreamItem) {
    let c = Some(ev.connection());
    let loc = |span| {
        alloc::vec![Location {
            connection: ev.connection(),
            direction: ev.direction,
            span,
        }]
    };
    let frames: Vec<usize> = ev.after_frame().into_iter().collect();
    match item {
        StreamItem::Gap { at, missing } => cx
            .report(&C002, c)
            .frames(frames)
            .locations(loc(crate::Span::at(at, 0)))
            .emit(format!(
                "{missing} byte(s) of the {} stream are missing from the capture at {at:#x}; decoding resumes at the next frame",
                ev.direction.label()
            )),
        StreamItem::Skipped {
            span,
            reason: SkipReason::Undecodable(_),
        } => {
            let data = cx.a.capture.connections.get(ev.connection()).map(|s| &s.stream(ev.direction).data);
            let head = data.and_then(|d| d.get(span.start..span.end.min(span.start + 8))).unwrap_or(&[]);
            if let Some(what) = looks_like_other_protocol(head) {
                cx.report(&C001, c)
                    .frames(frames)
                    .locations(loc(span))
                    .emit(format!(
                        "the {} stream has {what} at {:#x}, not SPOP",
                        ev.direction.label(),
                        span.start
                    ));
            }
        }
        _ => {}
    }
}

pub(super) fn check_connection(cx: &mut Cx<'_>, conn: &ConnectionSummary) {
    let a = cx.a;
    let c = Some(conn.id);
    let Some(capture) = a.capture.connections.get(conn.id) else {
        return;
    };

    // C005: started mid-connection.
    let mid: Vec<Direction> = [Direction::HaproxyToAgent, Direction::AgentToHaproxy]
        .into_iter()
        .filter(|&d| {
            capture.stream(d).start == StreamStart::MidStream && !capture.stream(d).data.is_empty()
        })
        .collect();
    if !mid.is_empty() {
        cx.report(&C005, c)
            .emit(format!(
                "connection {} was already open when the capture started (no SYN, no HELLO): the handshake is unknown",
                conn.id + 1
            ));
    }

    // C004: AGENT-HELLO / AGENT-DISCONNECT split after ≥ 11 bytes (3.1+ bug, haproxy#3478).
    // A frame with frames written into it (SPOP-F010) is split by them: F010 tells that story.
    for e in a.frames_of(conn.id).filter(|e| !e.layout.is_split()) {
        if let Some(split) = header_split(a, conn, e) {
            cx.report(&C004, c)
                .on(e.index)
                .emit(format!(
                    "{} ({} bytes) came in {} TCP segments: the first ended {} bytes in, after its 11-byte header, and the rest of its payload followed; HAProxy 3.1+ without the fix for haproxy#3478 reads that rest as a new frame header and resets the connection",
                    e.frame_type,
                    split.len,
                    split.segments,
                    split.cut
                ));
        }
    }
}

/// How TCP split an AGENT-HELLO or AGENT-DISCONNECT once its header (≥ 11 bytes) was in
/// ([`C004`]).
pub(super) struct HeaderSplit {
    /// The frame's bytes, LENGTH included.
    pub len: usize,
    /// Segments carrying them.
    pub segments: usize,
    /// Bytes of the frame in the segments before the first cut (at least 11).
    pub cut: usize,
}

/// Where TCP split frame `e` after its header, if it is an AGENT-HELLO or AGENT-DISCONNECT
/// toward a HAProxy that may be 3.1+ (the only ones haproxy#3478 trips on).
pub(super) fn header_split(
    a: &crate::analysis::Analysis,
    conn: &ConnectionSummary,
    e: &crate::analysis::FrameEntry,
) -> Option<HeaderSplit> {
    if conn.generation == Generation::Legacy
        || !matches!(
            e.frame_type,
            FrameType::AgentHello | FrameType::AgentDisconnect
        )
    {
        return None;
    }
    let stream = a
        .capture
        .connections
        .get(conn.id)?
        .stream(Direction::AgentToHaproxy);
    let span = e.extent();
    let segs = stream.segments_in(span.start, span.end);
    // Where TCP split the frame: after each segment that ends inside it.
    let cut = segs
        .iter()
        .map(|s| s.end().min(span.end) - span.start)
        .find(|&cut| cut >= 11 && cut < span.len())?;
    Some(HeaderSplit {
        len: span.len(),
        segments: segs.len(),
        cut,
    })
}

/// C007: every damage the text parser found, at the stream bytes it concerns and under the
/// frames made of them.
fn text_damage(cx: &mut Cx<'_>) {
    let a = cx.a;
    for issue in a
        .capture
        .text_warnings
        .iter()
        .filter(|i| i.warning.kind.is_damage())
    {
        let locations: Vec<Location> = issue
            .locations
            .iter()
            .map(|l| Location {
                connection: l.connection,
                direction: l.direction,
                span: l.span,
            })
            .collect();
        let connection = locations
            .first()
            .map(|l| l.connection)
            .filter(|&c| locations.iter().all(|l| l.connection == c));
        let mut frames: Vec<usize> = Vec::new();
        for l in &locations {
            let hit = |e: &&crate::analysis::FrameEntry| {
                let x = e.extent();
                e.direction == l.direction
                    && if l.span.is_empty() {
                        x.contains(l.span.start)
                    } else {
                        x.start < l.span.end && l.span.start < x.end
                    }
            };
            frames.extend(a.frames_of(l.connection).filter(hit).map(|e| e.index));
        }
        crate::sort::sort_by_key(&mut frames, |&f| f);
        frames.dedup();
        frames.truncate(16);
        cx.report(&C007, connection)
            .frames(frames)
            .locations(locations)
            .emit(format!("pasted text, {}", issue.warning));
    }
}

pub(super) fn check_capture(cx: &mut Cx<'_>) {
    text_damage(cx);
    let a = cx.a;
    // C003: snaplen truncation, summarised.
    let cut: Vec<u32> = a
        .capture
        .notes
        .iter()
        .filter(|n| matches!(n.issue, PacketIssue::Truncated(_)))
        .map(|n| n.packet)
        .collect();
    if !cut.is_empty() {
        let first: Vec<String> = cut.iter().take(5).map(|p| format!("#{p}")).collect();
        cx.report(&C003, None)
            .emit(format!(
                "{} packet(s) were cut by the snapshot length (first: {}); capture with -s 0 to keep whole frames",
                cut.len(),
                first.join(", ")
            ));
    }

    // C006: connections ending at the handshake, many times.
    let short: Vec<&ConnectionSummary> = a
        .connections
        .iter()
        .filter(|c| {
            !c.is_healthcheck()
                && c.pairs.is_empty()
                && c.frames_to_agent + c.frames_to_haproxy <= 4
                && c.end_reason != EndReason::CaptureEnd
        })
        .collect();
    if short.len() >= a.options.churn_threshold {
        // The endings sorted, then counted run by run: statuses are read off the wire, so a
        // crafted capture may give every connection its own.
        let mut keys: Vec<String> = Vec::with_capacity(short.len());
        for s in &short {
            keys.push(match s.end_reason {
                EndReason::Disconnect {
                    by,
                    status: Some(code),
                    text,
                    ..
                } => format!(
                    "{} status {code} ({})",
                    if by == Direction::HaproxyToAgent {
                        "HAProxy"
                    } else {
                        "agent"
                    },
                    text.unwrap_or("unassigned")
                ),
                EndReason::Disconnect { .. } => "DISCONNECT without status".into(),
                EndReason::Fin { .. } => "closed without DISCONNECT".into(),
                EndReason::Rst { .. } => "reset".into(),
                EndReason::CaptureEnd => "open".into(),
            });
        }
        crate::sort::sort_by(&mut keys, |x, y| x.cmp(y));
        let mut statuses: Vec<(String, usize)> = Vec::new();
        for key in keys {
            match statuses.last_mut() {
                Some((k, n)) if *k == key => *n += 1,
                _ => statuses.push((key, 1)),
            }
        }
        // The most kinds of ending a message names; the rest are counted.
        const MAX_KINDS: usize = 10;
        let mut summary: Vec<String> = statuses
            .iter()
            .take(MAX_KINDS)
            .map(|(k, n)| format!("{n}× {k}"))
            .collect();
        if statuses.len() > MAX_KINDS {
            summary.push(format!(
                "and {} other kinds of ending",
                statuses.len() - MAX_KINDS
            ));
        }
        let frames: Vec<usize> = short
            .iter()
            .filter_map(|s| s.haproxy_hello.as_ref().map(|h| h.frame))
            .collect();
        cx.report(&C006, None).frames(frames).emit(format!(
            "{} of {} connections ended at the handshake without a single NOTIFY: {}",
            short.len(),
            a.connections.len(),
            summary.join(", ")
        ));
    }
}
