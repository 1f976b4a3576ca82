//! The capture layer's entry point: any supported input (pcap, pcapng, pasted text, a raw
//! SPOP byte stream) → the SPOP connections in it, with everything noteworthy about the
//! packets along the way.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use super::spop::{classify, direction_of, Detection, SpopConnection, FALLBACK_MAX_LENGTH};
use super::tcp::{PacketRef, Reassembler, SegmentRecord, Stream, StreamStart};
use super::text::{self, TextContent, TextFormat};
use super::{pcap, pcapng, tcp_segment, CaptureError, Packet, PacketIssue};
use crate::wire::{Direction, FrameType, Frames, Limits};
use crate::Progress;

/// What the input turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum Container {
    /// A classic pcap file.
    Pcap,
    /// A pcapng file.
    Pcapng,
    /// Packets printed as text (tcpdump -X/-XX).
    TextPackets,
    /// TCP payload printed as text, per peer (Follow TCP Stream, VTest, agent debug log).
    TextStreams,
    /// SPOP bytes with no packet or TCP framing.
    RawStream,
    /// An spop-inspector share bundle (`.spop` file or link).
    Bundle,
}

/// The detected input format: the container, and the text format it was pasted as, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct InputKind {
    /// What carried the SPOP bytes.
    pub container: Container,
    /// The text format, for pasted input.
    pub text: Option<TextFormat>,
}

impl InputKind {
    /// Stable machine name, e.g. `pcap`, `pcapng`, `xxd/pcap`, `tshark-follow-hex`, `raw`.
    pub fn name(&self) -> String {
        let container = match self.container {
            Container::Pcap => "pcap",
            Container::Pcapng => "pcapng",
            Container::TextPackets | Container::TextStreams => "",
            Container::RawStream => "raw",
            Container::Bundle => "bundle",
        };
        match (self.text, container) {
            (Some(t), "") => String::from(t.name()),
            (Some(t), c) => alloc::format!("{}/{c}", t.name()),
            (None, c) => String::from(c),
        }
    }
}

impl fmt::Display for InputKind {
    /// For people: "pcap file", "pcap file (pasted as xxd hex dump)", "tshark Follow TCP
    /// Stream (hex)".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let container = match self.container {
            Container::Pcap => "pcap file",
            Container::Pcapng => "pcapng file",
            Container::RawStream => "raw SPOP byte stream",
            Container::Bundle => "spop-inspector share bundle",
            Container::TextPackets | Container::TextStreams => "",
        };
        match self.text {
            Some(t) if container.is_empty() => f.write_str(t.label()),
            Some(t) => write!(f, "{container} (pasted as {})", t.label()),
            None => f.write_str(container),
        }
    }
}

/// Options for [`load`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Ports that carry SPOP (the agent's). Empty: detect SPOP by its HAPROXY-HELLO or its
    /// frames, on any port.
    pub ports: Vec<u16>,
}

/// A packet the capture layer could not use, or used partly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketNote {
    /// 1-based packet number.
    pub packet: u32,
    /// What happened.
    pub issue: PacketIssue,
}

/// Most packet notes kept; the rest are only counted (a capture may hold millions).
pub const MAX_NOTES: usize = 1000;

/// Everything the capture layer found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    /// What the input was.
    pub input: InputKind,
    /// Packets read (0 for stream inputs).
    pub packets: u32,
    /// The SPOP connections, in order of their first packet.
    pub connections: Vec<SpopConnection>,
    /// TCP connections that are not SPOP (other traffic in the capture).
    pub other_connections: usize,
    /// Packets that were not TCP (ARP, UDP, ICMP …): skipped.
    pub non_tcp_packets: u32,
    /// Packets worth reporting (IP fragments, snaplen truncation, malformed headers), the
    /// first [`MAX_NOTES`] of them.
    pub notes: Vec<PacketNote>,
    /// How many notes there were in all.
    pub note_count: usize,
    /// The file could not be read to its end: the error, after which reading stopped.
    pub file_error: Option<CaptureError>,
    /// For a share bundle, the state the surface that made it saved (annotations, selection,
    /// filters); empty for every other input.
    pub shared: Vec<(String, String)>,
}

/// Why an input could not be loaded at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// Nothing to read.
    Empty,
    /// A capture file whose header is unusable.
    Capture(CaptureError),
    /// Text that matches no supported format, or is malformed.
    Text(text::TextError),
    /// A share bundle that cannot be read.
    Bundle(crate::share::ShareError),
    /// Binary data that is not a capture file and not SPOP.
    Unrecognized {
        /// The first bytes, for the message.
        magic: [u8; 4],
    },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Empty => f.write_str("the input is empty"),
            LoadError::Capture(e) => write!(f, "{e}"),
            LoadError::Text(e) => write!(f, "{e}"),
            LoadError::Bundle(e) => write!(f, "{e}"),
            LoadError::Unrecognized { magic } => write!(
                f,
                "not a pcap or pcapng file, not text, and no SPOP frame found (starts with {:02x} {:02x} {:02x} {:02x})",
                magic[0], magic[1], magic[2], magic[3]
            ),
        }
    }
}

/// Loads any supported input: detects its format, reads packets, reassembles TCP and keeps
/// the SPOP connections.
pub fn load(input: &[u8], options: &LoadOptions) -> Result<Capture, LoadError> {
    load_with_progress(input, options, &mut |_| {})
}

/// [`load`], telling `progress` where it is every few thousand packets and every connection.
pub fn load_with_progress(
    input: &[u8],
    options: &LoadOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Capture, LoadError> {
    if input.is_empty() {
        return Err(LoadError::Empty);
    }
    if pcap::is_pcap(input) || pcapng::is_pcapng(input) {
        return load_binary(input, options, None, progress);
    }
    if crate::share::is_bundle(input) {
        return crate::share::Bundle::from_bytes(input)
            .map(|b| b.to_capture())
            .map_err(LoadError::Bundle);
    }
    // A share link or its bundle text, pasted or taken from the page's address.
    if let Some(text) = crate::share::bundle_text(input) {
        return crate::share::Bundle::from_text(text)
            .map(|b| b.to_capture())
            .map_err(LoadError::Bundle);
    }
    if text::looks_like_text(input) {
        let s = core::str::from_utf8(input).map_err(|_| LoadError::Unrecognized {
            magic: magic(input),
        })?;
        return load_text(s, options, progress);
    }
    load_raw(input, None).ok_or(LoadError::Unrecognized {
        magic: magic(input),
    })
}

fn magic(input: &[u8]) -> [u8; 4] {
    let mut m = [0u8; 4];
    for (d, s) in m.iter_mut().zip(input) {
        *d = *s;
    }
    m
}

fn load_text(
    s: &str,
    options: &LoadOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Capture, LoadError> {
    let parsed = text::parse(s).map_err(LoadError::Text)?;
    let format = Some(parsed.format);
    match parsed.content {
        TextContent::Bytes(bytes) => {
            if pcap::is_pcap(&bytes) || pcapng::is_pcapng(&bytes) {
                load_binary(&bytes, options, format, progress)
            } else {
                load_raw(&bytes, format).ok_or(LoadError::Unrecognized {
                    magic: magic(&bytes),
                })
            }
        }
        TextContent::Packets(packets) => {
            let mut acc = Accumulator::new(InputKind {
                container: Container::TextPackets,
                text: format,
            });
            for p in &packets {
                acc.packet(&p.as_packet());
            }
            Ok(acc.finish(options))
        }
        TextContent::Connections(conns) => {
            let mut connections = Vec::new();
            for conn in &conns {
                let mut streams = [Stream::default(), Stream::default()];
                for (i, chunk) in conn.chunks.iter().enumerate() {
                    let Some(peer) = chunk.peer else { continue };
                    let Some(stream) = streams.get_mut(usize::from(peer)) else {
                        continue;
                    };
                    let packet = PacketRef {
                        number: chunk.packet.unwrap_or(i as u32 + 1),
                        timestamp: chunk.timestamp.unwrap_or(0),
                    };
                    stream.segments.push(SegmentRecord {
                        offset: stream.data.len(),
                        len: chunk.data.len(),
                        packet,
                    });
                    stream.data.extend_from_slice(&chunk.data);
                }
                for s in &mut streams {
                    s.start = paste_start(&s.data);
                }
                let [s0, s1] = streams;
                // Peer 0 is the connection's opener, normally HAProxy; the frames decide.
                let haproxy_is_peer0 = !matches!(
                    (direction_of(&s0.data), direction_of(&s1.data)),
                    (Some(Direction::AgentToHaproxy), _) | (_, Some(Direction::HaproxyToAgent))
                );
                let addr = |p: usize| {
                    conn.peers
                        .get(p)
                        .and_then(Option::as_ref)
                        .and_then(|i| i.socket_addr())
                };
                let (h, a, streams) = if haproxy_is_peer0 {
                    (addr(0), addr(1), [s0, s1])
                } else {
                    (addr(1), addr(0), [s1, s0])
                };
                let first = streams
                    .iter()
                    .filter_map(|s| s.segments.first())
                    .map(|s| s.packet)
                    .min_by_key(|p| (p.timestamp, p.number))
                    .unwrap_or_default();
                let last = streams
                    .iter()
                    .filter_map(|s| s.segments.last())
                    .map(|s| s.packet)
                    .max_by_key(|p| (p.timestamp, p.number))
                    .unwrap_or_default();
                connections.push(SpopConnection {
                    id: connections.len(),
                    haproxy: h,
                    agent: a,
                    detection: Detection::Given,
                    streams,
                    first,
                    last,
                });
            }
            Ok(Capture {
                input: InputKind {
                    container: Container::TextStreams,
                    text: format,
                },
                packets: 0,
                connections,
                other_connections: 0,
                non_tcp_packets: 0,
                notes: Vec::new(),
                note_count: 0,
                file_error: None,
                shared: Vec::new(),
            })
        }
    }
}

/// A raw SPOP byte stream: one direction, decided by its first frame's type; or, when the
/// bytes are cleanly a sequence of frames of both directions (pasted from a debugger or a log),
/// the frames split by their type, since one TCP direction never carries both.
fn load_raw(bytes: &[u8], text: Option<TextFormat>) -> Option<Capture> {
    let dir = direction_of(bytes)?;
    let streams = split_by_type(bytes).unwrap_or_else(|| {
        let stream = Stream {
            data: bytes.to_vec(),
            segments: vec![SegmentRecord {
                offset: 0,
                len: bytes.len(),
                packet: PacketRef {
                    number: 1,
                    timestamp: 0,
                },
            }],
            start: paste_start(bytes),
            ..Stream::default()
        };
        match dir {
            Direction::HaproxyToAgent => [stream, Stream::default()],
            Direction::AgentToHaproxy => [Stream::default(), stream],
        }
    });
    let first = PacketRef {
        number: 1,
        timestamp: 0,
    };
    let last = streams
        .iter()
        .filter_map(|s| s.segments.last())
        .map(|s| s.packet)
        .max_by_key(|p| p.number)
        .unwrap_or(first);
    Some(Capture {
        input: InputKind {
            container: Container::RawStream,
            text,
        },
        packets: 0,
        connections: vec![SpopConnection {
            id: 0,
            haproxy: None,
            agent: None,
            detection: Detection::Given,
            streams,
            first,
            last,
        }],
        other_connections: 0,
        non_tcp_packets: 0,
        notes: Vec::new(),
        note_count: 0,
        file_error: None,
        shared: Vec::new(),
    })
}

/// Frames of both directions back to back, each valid: one stream per direction, each frame
/// its own "packet" numbered in paste order. `None` unless the bytes are exactly that.
fn split_by_type(bytes: &[u8]) -> Option<[Stream; 2]> {
    let limits = Limits {
        max_length: Some(FALLBACK_MAX_LENGTH),
    };
    let mut streams = [Stream::default(), Stream::default()];
    let mut frames = Frames::new(bytes, 0, limits);
    for (i, f) in frames.by_ref().enumerate() {
        let f = f.ok().filter(|f| f.payload_error().is_none())?;
        let ft = f.frame_type();
        let d = match ft.direction() {
            Some(_) if ft == FrameType::Unset => return None,
            Some(Direction::HaproxyToAgent) => 0,
            Some(Direction::AgentToHaproxy) => 1,
            None => return None,
        };
        let stream = streams.get_mut(d)?;
        stream.segments.push(SegmentRecord {
            offset: stream.data.len(),
            len: f.as_bytes().len(),
            packet: PacketRef {
                number: i as u32 + 1,
                timestamp: 0,
            },
        });
        stream.data.extend_from_slice(f.as_bytes());
    }
    let both = streams.iter().all(|s| !s.data.is_empty());
    if !frames.rest().is_empty() || !both {
        return None;
    }
    for s in &mut streams {
        s.start = paste_start(&s.data);
    }
    Some(streams)
}

/// Where a pasted stream starts: at the connection's start when it opens with its side's
/// HELLO; otherwise it is an excerpt (the handshake is not in the input, and the first bytes
/// may be the middle of a frame).
fn paste_start(data: &[u8]) -> StreamStart {
    let hello = matches!(
        data.get(4).map(|&t| FrameType::from_u8(t)),
        Some(FrameType::HaproxyHello | FrameType::AgentHello)
    );
    if hello {
        StreamStart::Syn
    } else {
        StreamStart::MidStream
    }
}

fn load_binary(
    bytes: &[u8],
    options: &LoadOptions,
    text: Option<TextFormat>,
    progress: &mut dyn FnMut(Progress),
) -> Result<Capture, LoadError> {
    let total = bytes.len();
    // Coarse enough to cost nothing, fine enough for a smooth bar on 100 MB.
    let mut tick = |n: u32, offset: usize| {
        if n % PROGRESS_EVERY == 0 {
            progress(Progress::Packets {
                done: offset,
                total,
            });
        }
    };
    if pcap::is_pcap(bytes) {
        let reader = pcap::PcapReader::new(bytes).map_err(LoadError::Capture)?;
        let mut acc = Accumulator::new(InputKind {
            container: Container::Pcap,
            text,
        });
        for p in reader {
            match p {
                Ok(p) => {
                    tick(p.number, p.file_offset);
                    acc.packet(&p)
                }
                Err(e) => {
                    acc.file_error = Some(e);
                    break;
                }
            }
        }
        progress(Progress::Packets { done: total, total });
        Ok(acc.finish_with_progress(options, progress))
    } else {
        let reader = pcapng::PcapngReader::new(bytes).map_err(LoadError::Capture)?;
        let mut acc = Accumulator::new(InputKind {
            container: Container::Pcapng,
            text,
        });
        for p in reader {
            match p {
                Ok(p) => {
                    tick(p.number, p.file_offset);
                    acc.packet(&p)
                }
                // Errors inside a block are reported and reading goes on; the reader ends by
                // itself when the file's framing is broken.
                Err(e) => {
                    acc.file_error.get_or_insert(e);
                }
            }
        }
        progress(Progress::Packets { done: total, total });
        Ok(acc.finish_with_progress(options, progress))
    }
}

/// Packets between two progress reports.
const PROGRESS_EVERY: u32 = 4096;

/// Packets → TCP reassembly, collecting notes on the way.
struct Accumulator<'a> {
    input: InputKind,
    reassembler: Reassembler<'a>,
    packets: u32,
    non_tcp: u32,
    notes: Vec<PacketNote>,
    note_count: usize,
    file_error: Option<CaptureError>,
}

impl<'a> Accumulator<'a> {
    fn new(input: InputKind) -> Self {
        Accumulator {
            input,
            reassembler: Reassembler::new(),
            packets: 0,
            non_tcp: 0,
            notes: Vec::new(),
            note_count: 0,
            file_error: None,
        }
    }

    fn note(&mut self, packet: u32, issue: PacketIssue) {
        self.note_count += 1;
        if self.notes.len() < MAX_NOTES {
            self.notes.push(PacketNote { packet, issue });
        }
    }

    fn packet(&mut self, p: &Packet<'a>) {
        self.packets += 1;
        let at = PacketRef {
            number: p.number,
            timestamp: p.timestamp,
        };
        match tcp_segment(p) {
            Ok(seg) => {
                if seg.payload.len() < seg.payload_len as usize {
                    self.note(
                        p.number,
                        PacketIssue::Truncated(super::error::Truncated {
                            layer: super::error::Layer::Tcp,
                            offset: seg.payload_offset,
                            needed: seg.payload_len as usize,
                            available: seg.payload.len(),
                        }),
                    );
                }
                self.reassembler.push(&seg, at);
            }
            Err(PacketIssue::NotTcp(_)) => self.non_tcp += 1,
            Err(issue) => self.note(p.number, issue),
        }
    }

    fn finish(self, options: &LoadOptions) -> Capture {
        self.finish_with_progress(options, &mut |_| {})
    }

    fn finish_with_progress(
        self,
        options: &LoadOptions,
        progress: &mut dyn FnMut(Progress),
    ) -> Capture {
        let mut connections = Vec::new();
        let mut other = 0;
        progress(Progress::Connections { done: 0, total: 1 });
        let tcp = self.reassembler.finish();
        let total = tcp.len();
        for (done, mut conn) in tcp.into_iter().enumerate() {
            if done % 8 == 0 {
                progress(Progress::Connections { done, total });
            }
            match classify(&conn, &options.ports) {
                Some((detection, haproxy_is_client)) => {
                    if !haproxy_is_client {
                        conn.swap_roles();
                    }
                    connections.push(SpopConnection::from_tcp(connections.len(), conn, detection));
                }
                None => other += 1,
            }
        }
        Capture {
            input: self.input,
            packets: self.packets,
            connections,
            other_connections: other,
            non_tcp_packets: self.non_tcp,
            notes: self.notes,
            note_count: self.note_count,
            file_error: self.file_error,
            shared: Vec::new(),
        }
    }
}
