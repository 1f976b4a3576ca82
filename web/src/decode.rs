//! From pasted text to rows for the frame table, through the engine. Rendering only: every
//! protocol fact (frame names, summaries, errors) comes from `spop-codec`.

use spop_codec::capture::text::{self, TextContent};
use spop_codec::wire::{Frames, Limits};

/// One decoded frame, ready to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameRow {
    /// Position in the table (1-based).
    pub index: usize,
    /// Offset of the frame in its byte stream.
    pub offset: usize,
    /// `HAProxy → agent` or `agent → HAProxy`, from the frame type.
    pub direction: &'static str,
    /// Frame type name.
    pub frame_type: String,
    /// STREAM-ID.
    pub stream_id: u64,
    /// FRAME-ID.
    pub frame_id: u64,
    /// LENGTH.
    pub length: u32,
    /// One-line decoded summary.
    pub summary: String,
    /// Grammar violation, if any.
    pub problem: Option<String>,
}

/// The result of decoding the input box.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Decoded {
    /// Detected input format (human label).
    pub format: Option<String>,
    /// Frames, in stream order.
    pub rows: Vec<FrameRow>,
    /// Why decoding stopped early, or why the input was not understood.
    pub error: Option<String>,
}

/// Decodes pasted text: detects its format, then reads each byte stream as SPOP frames.
pub fn decode_input(input: &str) -> Decoded {
    if input.trim().is_empty() {
        return Decoded::default();
    }
    let parsed = match text::parse(input) {
        Ok(p) => p,
        Err(e) => {
            return Decoded {
                error: Some(e.to_string()),
                ..Decoded::default()
            }
        }
    };
    let mut out = Decoded {
        format: Some(parsed.format.label().to_string()),
        ..Decoded::default()
    };
    let streams: Vec<Vec<u8>> = match parsed.content {
        TextContent::Bytes(b) => vec![b],
        TextContent::Connections(conns) => conns
            .iter()
            .flat_map(|c| [c.peer_bytes(0), c.peer_bytes(1)])
            .filter(|b| !b.is_empty())
            .collect(),
        TextContent::Packets(_) => {
            out.error = Some(
                "this is packet-level output (tcpdump): paste the TCP payload instead, e.g. \
                 tshark -q -z follow,tcp,hex,0"
                    .to_string(),
            );
            return out;
        }
    };
    for stream in &streams {
        let mut frames = Frames::new(stream, 0, Limits::default());
        for frame in frames.by_ref() {
            match frame {
                Ok(f) => out.rows.push(FrameRow {
                    index: out.rows.len() + 1,
                    offset: f.span().start,
                    direction: f.frame_type().direction().map_or("?", |d| d.label()),
                    frame_type: f.frame_type().to_string(),
                    stream_id: f.stream_id(),
                    frame_id: f.frame_id(),
                    length: f.length(),
                    summary: f.summary().to_string(),
                    problem: f.payload_error().map(ToString::to_string),
                }),
                Err(e) => {
                    out.error = Some(e.to_string());
                    break;
                }
            }
        }
        let rest = frames.rest();
        if out.error.is_none() && !rest.is_empty() {
            out.error = Some(format!(
                "the input ends inside a frame at offset {:#x} ({} byte(s) present)",
                frames.offset(),
                rest.len()
            ));
        }
    }
    if out.rows.is_empty() && out.error.is_none() {
        out.error = Some("no SPOP frame found in the input".to_string());
    }
    out
}
