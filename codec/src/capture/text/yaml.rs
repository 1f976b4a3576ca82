//! tshark `-q -z follow,tcp,yaml,N`: the one Follow mode with timestamps and packet numbers.
//!
//! ```text
//! peers:
//!   - peer: 0
//!     host: 127.0.0.1
//!     port: 51484
//! packets:
//!   - packet: 4
//!     peer: 0
//!     timestamp: 1795448222.296000004
//!     data: !!binary |
//!       AAAAewEAAAAB…
//! ```
//!
//! Read line by line for exactly this shape (not a general YAML parser). Each `peers:` starts
//! a new connection.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::b64;
use super::lines::{self, Line};
use super::time;
use super::{
    PeerInfo, StreamChunk, TextConnection, TextError, TextErrorKind, TextWarningKind, Warnings,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    None,
    Peers,
    Packets,
}

#[derive(Debug, Default)]
struct Item {
    line: usize,
    peer: Option<u8>,
    host: Option<String>,
    port: Option<String>,
    packet: Option<u32>,
    timestamp: Option<u64>,
    data: String,
    /// Line and column where the base64 data starts (for errors).
    data_at: (usize, usize),
    has_data: bool,
}

struct State {
    connections: Vec<TextConnection>,
    current: TextConnection,
    section: Section,
    item: Option<Item>,
    /// Indentation of the `data:` key while reading its block.
    data_indent: Option<usize>,
}

impl State {
    fn finish_item(&mut self) -> Result<(), TextError> {
        let Some(item) = self.item.take() else {
            return Ok(());
        };
        match self.section {
            Section::Peers => {
                if let Some(slot) = item
                    .peer
                    .and_then(|p| self.current.peers.get_mut(usize::from(p)))
                {
                    let address = match (&item.host, &item.port) {
                        (Some(h), Some(p)) if h.contains(':') => Some(format!("[{h}]:{p}")),
                        (Some(h), Some(p)) => Some(format!("{h}:{p}")),
                        (Some(h), None) => Some(h.clone()),
                        _ => None,
                    };
                    *slot = Some(PeerInfo {
                        address,
                        name: None,
                    });
                }
            }
            Section::Packets if item.has_data => {
                let data = b64::decode(&item.data).map_err(|(_, kind)| {
                    let kind = match kind {
                        TextErrorKind::Expected { .. } => TextErrorKind::InvalidBase64,
                        other => other,
                    };
                    TextError::new(item.data_at.0, item.data_at.1, kind)
                })?;
                self.current.chunks.push(StreamChunk {
                    peer: item.peer.filter(|p| *p <= 1),
                    data,
                    line: item.line,
                    timestamp: item.timestamp,
                    packet: item.packet,
                });
            }
            _ => {}
        }
        Ok(())
    }

    fn finish_connection(&mut self) {
        let conn = core::mem::take(&mut self.current);
        if !conn.chunks.is_empty() || conn.peers.iter().any(Option::is_some) {
            self.connections.push(conn);
        }
    }
}

pub(crate) fn parse(text: &str, warnings: &mut Warnings) -> Result<Vec<TextConnection>, TextError> {
    let mut st = State {
        connections: Vec::new(),
        current: TextConnection::default(),
        section: Section::None,
        item: None,
        data_indent: None,
    };
    for line in lines::lines(text) {
        let trimmed = line.text.trim();
        let indent = line.text.len() - line.text.trim_start().len();
        if let Some(data_indent) = st.data_indent {
            if !trimmed.is_empty() && indent > data_indent {
                if let Some(item) = st.item.as_mut() {
                    if item.data.is_empty() {
                        item.data_at = (line.no, indent + 1);
                    }
                    item.data.push_str(trimmed);
                }
                continue;
            }
            st.data_indent = None;
        }
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("===") {
            continue;
        }
        match trimmed {
            "peers:" => {
                st.finish_item()?;
                st.finish_connection();
                st.section = Section::Peers;
                continue;
            }
            "packets:" => {
                st.finish_item()?;
                st.section = Section::Packets;
                continue;
            }
            _ => {}
        }
        let (entry, item_start) = match trimmed.strip_prefix("- ") {
            Some(rest) => (rest, true),
            None => (trimmed, false),
        };
        if item_start {
            st.finish_item()?;
            st.item = Some(Item {
                line: line.no,
                ..Item::default()
            });
        }
        let Some((key, value)) = entry.split_once(':') else {
            warnings.push(line.no, TextWarningKind::IgnoredLine);
            continue;
        };
        let value = value.trim();
        let Some(item) = st.item.as_mut() else {
            warnings.push(line.no, TextWarningKind::IgnoredLine);
            continue;
        };
        match key.trim() {
            "peer" => item.peer = value.parse().ok(),
            "host" => item.host = Some(String::from(value)),
            "port" => item.port = Some(String::from(value)),
            "packet" => item.packet = value.parse().ok(),
            "timestamp" => {
                item.timestamp = time::epoch(value.as_bytes(), 0)
                    .filter(|(_, end)| *end == value.len())
                    .map(|(ts, _)| ts);
                if item.timestamp.is_none() {
                    return Err(expected_at(line, value, "a timestamp (seconds.fraction)"));
                }
            }
            "data" => {
                item.has_data = true;
                let inline = value.strip_prefix("!!binary").unwrap_or(value).trim();
                if inline == "|" || inline.is_empty() {
                    st.data_indent = Some(indent);
                } else {
                    item.data_at = (
                        line.no,
                        lines::column(line.text, line.text.len() - inline.len()),
                    );
                    item.data.push_str(inline);
                }
            }
            _ => {}
        }
    }
    st.finish_item()?;
    st.finish_connection();
    Ok(st.connections)
}

fn expected_at(line: Line<'_>, value: &str, what: &'static str) -> TextError {
    let byte = line.text.find(value).unwrap_or(0);
    TextError::expected(line, byte, what)
}
