//! From the input to rows for the frame table, through the engine's analysis. Rendering only:
//! frame names, summaries and findings all come from `spop-codec`.

use std::sync::Arc;

use spop_codec::analysis::{analyze, Analysis, AnalysisOptions, Finding};
use spop_codec::capture::{load, LoadOptions};
use spop_codec::report::seconds;

/// A finding as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingRow {
    /// `"error"`, `"warning"` or `"info"`.
    pub severity: &'static str,
    /// Rule code.
    pub code: &'static str,
    /// Rule name.
    pub name: &'static str,
    /// What happened.
    pub message: String,
}

impl From<&Finding> for FindingRow {
    fn from(f: &Finding) -> Self {
        FindingRow {
            severity: f.severity.name(),
            code: f.rule.code,
            name: f.rule.name,
            message: f.message.clone(),
        }
    }
}

/// One row of the frame table.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameRow {
    /// Position in the timeline (1-based).
    pub index: usize,
    /// Connection number (1-based).
    pub connection: usize,
    /// Seconds since the first frame.
    pub time: f64,
    /// `HAProxy → agent` or `agent → HAProxy`.
    pub direction: &'static str,
    /// Frame type name (marked when written into another frame's bytes).
    pub frame_type: String,
    /// STREAM-ID/FRAME-ID.
    pub ids: String,
    /// LENGTH.
    pub length: u32,
    /// One-line decoded summary.
    pub summary: String,
    /// Findings shown under this frame.
    pub findings: Vec<FindingRow>,
}

/// The result of decoding the input.
#[derive(Debug, Clone, Default)]
pub struct Decoded {
    /// The analysis itself, for the details view.
    pub analysis: Option<Arc<Analysis>>,
    /// Detected input format, for people.
    pub format: Option<String>,
    /// SPOP connections found.
    pub connections: usize,
    /// Finding counts: errors, warnings, infos.
    pub counts: (usize, usize, usize),
    /// Findings about the whole capture or a connection rather than one frame.
    pub general: Vec<FindingRow>,
    /// Rows in timeline order.
    pub rows: Vec<FrameRow>,
    /// Why the input could not be read.
    pub error: Option<String>,
}

/// Decodes and analyses any supported input (capture file bytes or pasted text).
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
    let a = analyze(capture, &AnalysisOptions::default());
    let start = a.frames.first().map_or(0, |f| f.time);
    let rows = a
        .frames
        .iter()
        .map(|e| FrameRow {
            index: e.index + 1,
            connection: e.connection + 1,
            time: seconds(e.time.saturating_sub(start)),
            direction: e.direction.label(),
            frame_type: if e.embedded_in.is_some() {
                format!("↳ {}", e.frame_type)
            } else {
                e.frame_type.to_string()
            },
            ids: format!("{}/{}", e.stream_id, e.frame_id),
            length: e.length,
            summary: a
                .with_frame(e.index, |f| f.summary().to_string())
                .unwrap_or_default(),
            findings: a
                .findings_at(e.index)
                .iter()
                .map(FindingRow::from)
                .collect(),
        })
        .collect();
    let error = a.connections.is_empty().then(|| {
        format!(
            "no SPOP connection found ({} packet(s), {} other TCP connection(s))",
            a.capture.packets, a.capture.other_connections
        )
    });
    Decoded {
        format: Some(a.capture.input.to_string()),
        connections: a.connections.len(),
        counts: a.counts(),
        general: a
            .findings
            .iter()
            .filter(|f| f.frames.is_empty())
            .map(FindingRow::from)
            .collect(),
        rows,
        error,
        analysis: Some(Arc::new(a)),
    }
}

impl PartialEq for Decoded {
    fn eq(&self, other: &Self) -> bool {
        let same_analysis = match (&self.analysis, &other.analysis) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        same_analysis && self.error == other.error && self.format == other.format
    }
}
