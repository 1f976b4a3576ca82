//! From the input to rows for the frame table, through the engine. Rendering only: every
//! protocol fact (frame names, summaries, errors) comes from `spop-codec`.

use spop_codec::capture::spop::StreamItem;
use spop_codec::capture::{load, LoadOptions};
use spop_codec::wire::{decode_frame, Direction, Limits, Status};

/// One row of the frame table: a frame, or bytes that are not one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameRow {
    /// Position in the table (1-based).
    pub index: usize,
    /// Connection number (1-based).
    pub connection: usize,
    /// Offset in its byte stream.
    pub offset: usize,
    /// `HAProxy → agent` or `agent → HAProxy`.
    pub direction: &'static str,
    /// Frame type name (empty for non-frame rows).
    pub frame_type: String,
    /// STREAM-ID and FRAME-ID, for frames.
    pub ids: Option<(u64, u64)>,
    /// LENGTH, for frames.
    pub length: Option<u32>,
    /// One-line decoded summary.
    pub summary: String,
    /// What is wrong, if anything.
    pub problem: Option<String>,
    /// Capture time in ns and packet number (for ordering).
    time: (u64, u32),
}

/// The result of decoding the input.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Decoded {
    /// Detected input format, for people.
    pub format: Option<String>,
    /// SPOP connections found.
    pub connections: usize,
    /// Rows in capture order.
    pub rows: Vec<FrameRow>,
    /// Why the input could not be read.
    pub error: Option<String>,
}

/// Decodes any supported input (capture file bytes or pasted text).
pub fn decode_input(input: &[u8]) -> Decoded {
    if input.iter().all(u8::is_ascii_whitespace) {
        return Decoded::default();
    }
    let capture = match load(input, &LoadOptions::default()) {
        Ok(c) => c,
        Err(e) => {
            return Decoded {
                error: Some(e.to_string()),
                ..Decoded::default()
            }
        }
    };
    let mut rows = Vec::new();
    for conn in &capture.connections {
        for dir in [Direction::HaproxyToAgent, Direction::AgentToHaproxy] {
            let data = &conn.stream(dir).data;
            for item in conn.items(dir) {
                let packet = item.packet(conn.stream(dir));
                let time = (packet.timestamp, packet.number);
                let mut row = FrameRow {
                    index: 0,
                    connection: conn.id + 1,
                    offset: 0,
                    direction: dir.label(),
                    frame_type: String::new(),
                    ids: None,
                    length: None,
                    summary: String::new(),
                    problem: None,
                    time,
                };
                let bytes = item.frame_bytes(data);
                let frame = bytes.as_deref().and_then(|b| {
                    match decode_frame(b, item.offset(), Limits::default()) {
                        Ok(Status::Complete(f)) => Some(f),
                        _ => None,
                    }
                });
                row.offset = item.offset();
                match frame {
                    Some(f) => {
                        row.frame_type = f.frame_type().to_string();
                        row.ids = Some((f.stream_id(), f.frame_id()));
                        row.length = Some(f.length());
                        row.summary = f.summary().to_string();
                        row.problem = match item {
                            StreamItem::Split(_) => Some(item.to_string()),
                            _ => f.payload_error().map(ToString::to_string),
                        };
                    }
                    None => row.problem = Some(item.to_string()),
                }
                rows.push(row);
            }
        }
    }
    // Stable: within one instant, rows keep stream order.
    rows.sort_by_key(|r| (r.time, r.connection));
    for (i, r) in rows.iter_mut().enumerate() {
        r.index = i + 1;
    }
    let error = (capture.connections.is_empty()).then(|| {
        format!(
            "no SPOP connection found ({} packet(s), {} other TCP connection(s))",
            capture.packets, capture.other_connections
        )
    });
    Decoded {
        format: Some(capture.input.to_string()),
        connections: capture.connections.len(),
        rows,
        error,
    }
}
