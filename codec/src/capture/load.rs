//! The capture layer's entry point: any supported input (pcap, pcapng, pasted text, a raw
//! SPOP byte stream) → the SPOP connections in it, with everything noteworthy about the
//! packets along the way.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use super::attempt::Attempt;
use super::spop::{classify, direction_of, Detection, SpopConnection, FALLBACK_MAX_LENGTH};
use super::tcp::{PacketRef, Reassembler, SegmentRecord, Stream, StreamStart};
use super::text::{self, TextContent, TextFormat};
use super::{pcap, pcapng, tcp_segment, CaptureError, Packet, PacketIssue};
use crate::wire::{Direction, FrameType, Frames, Limits};
use crate::{Progress, Span};

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
    /// A session recorded by `spop-inspect probe`, which played HAProxy against an agent.
    Probe,
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
            Container::Probe => "probe",
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
            Container::Probe => "probe session",
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
    /// Threads for TCP reassembly of a pcap or pcapng file, with the `parallel` feature: 0
    /// picks one per core for a file of known size ([`Loader::with_total`]) large enough to
    /// gain from it, else one; 1 or 2 keep it on the calling thread (with two, handing the
    /// payloads to a worker costs about what it saves); at most 64.
    /// The result is the same for any number.
    pub threads: usize,
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
    /// Connections and attempts to an agent that carried no SPOP byte: refused, unanswered,
    /// closed at once ([`Attempt`]). An agent's address is known from its SPOP connections,
    /// from [`LoadOptions::ports`], or, in a capture of attempts only, from their being all to
    /// one address.
    pub attempts: Vec<Attempt>,
    /// The capture's first packet, if it has packets: time zero, as in Wireshark.
    pub first_packet: Option<PacketRef>,
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
    /// For pasted text, what its parser skipped, guessed or found damaged, with the stream
    /// bytes each concerns; empty for every other input.
    pub text_warnings: Vec<TextIssue>,
}

/// A warning of the text parser ([`text::TextWarning`]) and where the bytes it concerns
/// ([`text::TextWarning::bytes`]) ended up in the capture's SPOP streams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextIssue {
    /// The warning.
    pub warning: text::TextWarning,
    /// The stream bytes: none when the warning concerns no bytes, or bytes in no SPOP stream
    /// (a pcap file pasted as hex: its bytes are a file, not a stream; a packet that carried
    /// no SPOP). For tcpdump's packets, the whole TCP payload of the packet.
    pub locations: Vec<StreamBytes>,
}

/// Bytes of one direction's stream of one SPOP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamBytes {
    /// Connection index.
    pub connection: usize,
    /// Which stream of the connection.
    pub direction: Direction,
    /// The bytes (empty: the place between two bytes).
    pub span: Span,
}

/// What an input without packets (a pasted byte stream, a raw SPOP stream) says where a
/// capture would count packets or TCP segments.
pub const NO_PACKETS: &str = "no packets (a byte stream)";

/// The share-bundle state key that marks a bundle as a probe session (its value: the HAProxy
/// generation the probe spoke as, `3.1+` or `<=3.0`).
pub const PROBE_SESSION_KEY: &str = "probe.session";

impl Capture {
    /// Whether this is a session recorded by `spop-inspect probe`: read from the probe
    /// itself, or from a share bundle that carries [`PROBE_SESSION_KEY`].
    pub fn is_probe_session(&self) -> bool {
        self.input.container == Container::Probe
            || self.shared.iter().any(|(k, _)| k == PROBE_SESSION_KEY)
    }

    /// Whether the input had packets (a pcap or pcapng file, a packet dump pasted as text,
    /// a bundle of either); a byte stream has none, and so no TCP segments either.
    pub fn has_packets(&self) -> bool {
        self.packets > 0
    }

    /// The input's packets, for people: "1,234 packet(s)", or [`NO_PACKETS`].
    pub fn packets_phrase(&self) -> String {
        if self.has_packets() {
            alloc::format!("{} packet(s)", self.packets)
        } else {
            String::from(NO_PACKETS)
        }
    }

    /// What a reader of any report must know about the input beyond its findings, for
    /// people: the file ending before its last record (reading stopped there, so later
    /// traffic is missing) and the packets that could not be used fully (IP fragments,
    /// snapshot-length cuts, malformed headers: their bytes are missing from the streams),
    /// and for pasted text what its parser found damaged (see rule SPOP-C007), skipped or
    /// guessed. Empty for a capture read whole.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        let (damage, other): (Vec<&TextIssue>, Vec<&TextIssue>) = self
            .text_warnings
            .iter()
            .partition(|i| i.warning.kind.is_damage());
        if !damage.is_empty() {
            notes.push(listed(
                "the pasted text is damaged (lines missing, out of order or edited; SPOP-C007 shows where)",
                &damage,
            ));
        }
        if !other.is_empty() {
            notes.push(listed("reading the pasted text", &other));
        }
        if let Some(e) = &self.file_error {
            notes.push(alloc::format!(
                "the file ends badly, so what follows is missing: {e}"
            ));
        }
        if self.note_count > 0 {
            let mut s = alloc::format!("{} packet(s) could not be used fully", self.note_count);
            for n in self.notes.iter().take(5) {
                let _ = fmt::Write::write_fmt(
                    &mut s,
                    format_args!("; packet {}: {}", n.packet, n.issue),
                );
            }
            if self.note_count > 5 {
                let _ =
                    fmt::Write::write_fmt(&mut s, format_args!("; {} more", self.note_count - 5));
            }
            notes.push(s);
        }
        notes
    }

    /// The stream bytes of text warnings that concern bytes, for pasted text.
    fn locate_text(&mut self, warnings: Vec<text::TextWarning>, content: &TextPlaces<'_>) {
        let places = match content {
            TextPlaces::File => Vec::new(),
            TextPlaces::Raw => raw_runs(self),
            TextPlaces::Packets(numbers) => packet_runs(self, numbers, &warnings),
            TextPlaces::Connections(peer0_is_haproxy) => peer0_is_haproxy
                .iter()
                .enumerate()
                .flat_map(|(c, &h)| {
                    [(0u8, h), (1u8, !h)].map(|(peer, h)| Run {
                        part: c,
                        peer: Some(peer),
                        from: 0,
                        to: usize::MAX,
                        whole: false,
                        at: StreamBytes {
                            connection: c,
                            direction: if h {
                                Direction::HaproxyToAgent
                            } else {
                                Direction::AgentToHaproxy
                            },
                            span: Span::new(0, usize::MAX),
                        },
                    })
                })
                .collect(),
        };
        self.text_warnings = warnings
            .into_iter()
            .map(|warning| {
                let locations = warning
                    .bytes
                    .map(|b| locate(&places, &b))
                    .unwrap_or_default();
                TextIssue { warning, locations }
            })
            .collect();
    }

    /// For a capture with no SPOP connection, why, for people: what was read, and the first
    /// packets the decoder could not use (an unsupported link type says so here). `None` when
    /// there is SPOP to inspect.
    pub fn no_spop(&self) -> Option<String> {
        if !self.connections.is_empty() {
            return None;
        }
        let mut s = alloc::format!(
            "no SPOP connection found ({} packet(s), {} other TCP connection(s), {} not TCP)",
            self.packets,
            self.other_connections,
            self.non_tcp_packets
        );
        for note in self.notes() {
            s.push_str("; ");
            s.push_str(&note);
        }
        Some(s)
    }
}

/// A note listing the first warnings of `issues` after `title`.
fn listed(title: &str, issues: &[&TextIssue]) -> String {
    let mut s = String::from(title);
    let mut total = 0usize;
    for (n, i) in issues.iter().enumerate() {
        total += match i.warning.kind {
            text::TextWarningKind::Suppressed { count } => count,
            _ => 1,
        };
        if n < 5 {
            let _ = fmt::Write::write_fmt(
                &mut s,
                format_args!("{} {}", if n == 0 { ":" } else { ";" }, i.warning),
            );
        }
    }
    if total > 5 {
        let _ = fmt::Write::write_fmt(&mut s, format_args!("; {} more", total - 5));
    }
    s
}

/// What the parts of a text parse result ([`text::TextBytes::part`]) became.
enum TextPlaces<'a> {
    /// A capture file: no part is in a stream as it is.
    File,
    /// A raw SPOP stream (split by direction if it held frames of both).
    Raw,
    /// Packets, with their numbers by position.
    Packets(&'a [u32]),
    /// Connections, by position, each with whether its peer 0 is HAProxy.
    Connections(&'a [bool]),
}

/// Bytes `from..to` of a part (and peer) of a text parse result, and where they are in a
/// stream (`at.span` starts where `from` is); `whole`: any bytes of the part are all of `at`.
struct Run {
    part: usize,
    peer: Option<u8>,
    from: usize,
    to: usize,
    whole: bool,
    at: StreamBytes,
}

/// The stream bytes of `b`.
fn locate(runs: &[Run], b: &text::TextBytes) -> Vec<StreamBytes> {
    let mut out = Vec::new();
    for r in runs.iter().filter(|r| r.part == b.part && r.peer == b.peer) {
        if r.whole {
            out.push(r.at);
            continue;
        }
        let lo = b.span.start.max(r.from);
        let hi = b.span.end.min(r.to);
        let inside = if b.span.is_empty() {
            r.from <= b.span.start && b.span.start <= r.to && out.is_empty()
        } else {
            lo < hi
        };
        if inside {
            let start = r.at.span.start.saturating_add(lo - r.from);
            out.push(StreamBytes {
                span: Span::new(start, start.saturating_add(hi.max(lo) - lo)),
                ..r.at
            });
        }
    }
    out
}

/// A raw stream's runs: its frames in input order (the stream of one direction, or the
/// frames split by direction, each its own "packet" in input order).
fn raw_runs(capture: &Capture) -> Vec<Run> {
    let Some(conn) = capture.connections.first() else {
        return Vec::new();
    };
    let mut segments: Vec<(u32, Direction, &SegmentRecord)> =
        [Direction::HaproxyToAgent, Direction::AgentToHaproxy]
            .into_iter()
            .flat_map(|d| {
                conn.stream(d)
                    .segments
                    .iter()
                    .map(move |s| (s.packet.number, d, s))
            })
            .collect();
    crate::sort::sort_by_key(&mut segments, |&(n, _, _)| n);
    let mut from = 0usize;
    segments
        .into_iter()
        .map(|(_, direction, seg)| {
            let run = Run {
                part: 0,
                peer: None,
                from,
                to: from + seg.len,
                whole: false,
                at: StreamBytes {
                    connection: conn.id,
                    direction,
                    span: Span::at(seg.offset, seg.len),
                },
            };
            from += seg.len;
            run
        })
        .collect()
}

/// The runs of the packets `warnings` concern: every TCP payload they carried into a stream.
fn packet_runs(capture: &Capture, numbers: &[u32], warnings: &[text::TextWarning]) -> Vec<Run> {
    // Keyed by usize, not u32: the map type the rules use too (one copy of its code).
    let mut parts: alloc::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for part in warnings.iter().filter_map(|w| w.bytes).map(|b| b.part) {
        if let Some(&n) = numbers.get(part) {
            let list = parts.entry(n as usize).or_default();
            if !list.contains(&part) {
                list.push(part);
            }
        }
    }
    let mut runs = Vec::new();
    if parts.is_empty() {
        return runs;
    }
    for conn in &capture.connections {
        for direction in [Direction::HaproxyToAgent, Direction::AgentToHaproxy] {
            for seg in &conn.stream(direction).segments {
                for &part in parts
                    .get(&(seg.packet.number as usize))
                    .into_iter()
                    .flatten()
                {
                    runs.push(Run {
                        part,
                        peer: None,
                        from: 0,
                        to: usize::MAX,
                        whole: true,
                        at: StreamBytes {
                            connection: conn.id,
                            direction,
                            span: Span::at(seg.offset, seg.len),
                        },
                    });
                }
            }
        }
    }
    runs
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
    Bundle(super::bundle::ShareError),
    /// A file of a known kind that is not a capture (an archive, an image, a document).
    NotACapture(KnownFile),
    /// A gzip-compressed input that cannot be inflated.
    Gzip(GzipError),
    /// Binary data that is not a capture file and not SPOP.
    Unrecognized {
        /// The first bytes, for the message.
        magic: [u8; 4],
        /// How many of `magic` the input has (fewer than 4 for a tiny input).
        len: u8,
        /// The text format the bytes were written in, when they came as text (a hex dump
        /// of something that is not SPOP).
        text: Option<TextFormat>,
    },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Empty => f.write_str("the input is empty"),
            LoadError::Capture(e) => write!(f, "{e}"),
            LoadError::Text(e) => write!(f, "{e}"),
            LoadError::Bundle(e) => write!(f, "{e}"),
            LoadError::NotACapture(k) => write!(f, "{k}"),
            LoadError::Gzip(e) => write!(f, "{e}"),
            LoadError::Unrecognized { magic, len, text } => {
                let bytes = magic.get(..usize::from(*len)).unwrap_or(&[]);
                let too_few = text.is_some() && bytes.len() < 4;
                match text {
                    Some(t) if too_few => write!(
                        f,
                        "the {} decodes to {} byte(s) (",
                        t.label(),
                        bytes.len()
                    )?,
                    Some(t) => write!(
                        f,
                        "the {} decodes to bytes that are neither a capture file nor SPOP frames (they start with ",
                        t.label()
                    )?,
                    None => f.write_str(
                        "not a pcap or pcapng file, not text, and no SPOP frame found (starts with ",
                    )?,
                }
                for (i, b) in bytes.iter().enumerate() {
                    write!(f, "{}{b:02x}", if i == 0 { "" } else { " " })?;
                }
                f.write_str(if too_few {
                    "): too few for a capture file or an SPOP frame"
                } else {
                    ")"
                })
            }
        }
    }
}

// The message already quotes the inner error's, so `source` stays `None`: a chain printed
// by a caller would say it twice.
impl core::error::Error for LoadError {}

/// Files people attach instead of a capture, told by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KnownFile {
    /// A ZIP archive (`PK\x03\x04`).
    Zip,
    /// A JPEG image.
    Jpeg,
    /// A PNG image.
    Png,
    /// A GIF image.
    Gif,
    /// A PDF document.
    Pdf,
    /// A gzip file whose content is not a capture either.
    GzipOfOther,
}

impl KnownFile {
    /// The kind `input` starts as, if it is one of these.
    pub fn of(input: &[u8]) -> Option<KnownFile> {
        const KINDS: [(&[u8], KnownFile); 6] = [
            (b"PK\x03\x04", KnownFile::Zip),
            (b"PK\x05\x06", KnownFile::Zip),
            (b"\xff\xd8\xff", KnownFile::Jpeg),
            (b"\x89PNG\r\n\x1a\n", KnownFile::Png),
            (b"GIF8", KnownFile::Gif),
            (b"%PDF-", KnownFile::Pdf),
        ];
        KINDS
            .iter()
            .find(|(magic, _)| input.starts_with(magic))
            .map(|&(_, k)| k)
    }
}

impl fmt::Display for KnownFile {
    /// What the file is and what to do instead.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const IMAGE: &str = "a picture of traffic cannot be decoded: open the .pcap or .pcapng file itself, or paste its bytes as hex (tcpdump -XX, tshark -x, xxd)";
        match self {
            KnownFile::Zip => f.write_str("a ZIP archive, not a capture: unzip it and open the .pcap or .pcapng file inside"),
            KnownFile::Jpeg => write!(f, "a JPEG image, not a capture: {IMAGE}"),
            KnownFile::Png => write!(f, "a PNG image, not a capture: {IMAGE}"),
            KnownFile::Gif => write!(f, "a GIF image, not a capture: {IMAGE}"),
            KnownFile::Pdf => write!(f, "a PDF document, not a capture: {IMAGE}"),
            KnownFile::GzipOfOther => f.write_str("a gzip file that holds neither a capture nor SPOP bytes: gunzip it and look at what it holds"),
        }
    }
}

/// Largest size a gzip-compressed input may inflate to: a small file cannot become a huge
/// allocation (a gzip bomb), and a capture this large is better opened uncompressed.
pub const GZIP_MAX_INFLATED: usize = 256 << 20;

/// Why a gzip-compressed input could not be inflated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GzipError {
    /// It would inflate past the cap.
    TooLarge {
        /// The cap, in bytes.
        limit: usize,
    },
    /// The header or the compressed data is damaged or cut short.
    Damaged,
}

impl fmt::Display for GzipError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GzipError::TooLarge { limit } => write!(
                f,
                "a gzip file that inflates past {} MiB (a gzip bomb, or a capture too large to open compressed): gunzip it and open the capture itself",
                limit >> 20
            ),
            GzipError::Damaged => f.write_str(
                "a gzip file whose compressed data is damaged or cut short: gunzip it to see what is left",
            ),
        }
    }
}

impl core::error::Error for GzipError {}

/// Whether `input` starts as a gzip file (RFC 1952: magic `1f 8b`, method 8 = deflate).
pub fn is_gzip(input: &[u8]) -> bool {
    input.starts_with(&[0x1f, 0x8b, 0x08])
}

/// The content of a gzip file (its first member), inflating at most `limit` bytes.
pub fn gunzip(input: &[u8], limit: usize) -> Result<Vec<u8>, GzipError> {
    const FHCRC: u8 = 0x02;
    const FEXTRA: u8 = 0x04;
    const FNAME: u8 = 0x08;
    const FCOMMENT: u8 = 0x10;
    if !is_gzip(input) {
        return Err(GzipError::Damaged);
    }
    let flags = *input.get(3).ok_or(GzipError::Damaged)?;
    // Magic, method, flags, mtime (4), extra flags, OS.
    let mut at = 10usize;
    if flags & FEXTRA != 0 {
        let (&lo, &hi) = input
            .get(at)
            .zip(input.get(at + 1))
            .ok_or(GzipError::Damaged)?;
        at += 2 + usize::from(u16::from_le_bytes([lo, hi]));
    }
    // The original name and a comment: zero-terminated.
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            let rest = input.get(at..).ok_or(GzipError::Damaged)?;
            let end = rest
                .iter()
                .position(|&b| b == 0)
                .ok_or(GzipError::Damaged)?;
            at += end + 1;
        }
    }
    if flags & FHCRC != 0 {
        at += 2;
    }
    let deflated = input.get(at..).ok_or(GzipError::Damaged)?;
    miniz_oxide::inflate::decompress_to_vec_with_limit(deflated, limit).map_err(|e| {
        match e.status {
            miniz_oxide::inflate::TINFLStatus::HasMoreOutput => GzipError::TooLarge { limit },
            _ => GzipError::Damaged,
        }
    })
}

/// Loads any supported input: detects its format, reads packets, reassembles TCP and keeps
/// the SPOP connections. A gzip-compressed input (`.pcap.gz`, `.pcapng.gz`) is read as what
/// it holds, inflating at most [`GZIP_MAX_INFLATED`] bytes.
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
    if is_gzip(input) {
        let inner = gunzip(input, GZIP_MAX_INFLATED).map_err(LoadError::Gzip)?;
        // One level: a gzip inside a gzip is not how captures travel.
        if is_gzip(&inner) {
            return Err(LoadError::NotACapture(KnownFile::GzipOfOther));
        }
        return match load_with_progress(&inner, options, progress) {
            Err(LoadError::Unrecognized { text: None, .. }) => {
                Err(LoadError::NotACapture(KnownFile::GzipOfOther))
            }
            other => other,
        };
    }
    if pcap::is_pcap(input) || pcapng::is_pcapng(input) {
        return load_binary(input, options, None, progress);
    }
    if let Some(known) = KnownFile::of(input) {
        return Err(LoadError::NotACapture(known));
    }
    if super::bundle::is_bundle(input) {
        return super::bundle::Bundle::from_bytes(input)
            .map(super::bundle::Bundle::into_capture)
            .map_err(LoadError::Bundle);
    }
    // A share link or its bundle text, pasted or taken from the page's address.
    if let Some(text) = super::bundle::bundle_text(input) {
        return super::bundle::Bundle::from_text(text)
            .map(super::bundle::Bundle::into_capture)
            .map_err(LoadError::Bundle);
    }
    if text::looks_like_text(input) {
        let s = core::str::from_utf8(input).map_err(|_| unrecognized(input, None))?;
        return load_text(s, options, progress);
    }
    load_raw(input, None).ok_or_else(|| unrecognized(input, None))
}

/// [`LoadError::Unrecognized`] for `input`, read as `text` if it came as text.
fn unrecognized(input: &[u8], text: Option<TextFormat>) -> LoadError {
    let mut magic = [0u8; 4];
    for (d, s) in magic.iter_mut().zip(input) {
        *d = *s;
    }
    LoadError::Unrecognized {
        magic,
        len: input.len().min(4) as u8,
        text,
    }
}

fn load_text(
    s: &str,
    options: &LoadOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Capture, LoadError> {
    let parsed = text::parse(s).map_err(LoadError::Text)?;
    let format = Some(parsed.format);
    let warnings = parsed.warnings;
    match parsed.content {
        TextContent::Bytes(bytes) => {
            let (mut capture, places) = if pcap::is_pcap(&bytes) || pcapng::is_pcapng(&bytes) {
                (
                    load_binary(&bytes, options, format, progress)?,
                    TextPlaces::File,
                )
            } else {
                let raw = load_raw(&bytes, format).ok_or_else(|| unrecognized(&bytes, format))?;
                (raw, TextPlaces::Raw)
            };
            capture.locate_text(warnings, &places);
            Ok(capture)
        }
        TextContent::Packets(packets) => {
            let mut acc = Accumulator::new(InputKind {
                container: Container::TextPackets,
                text: format,
            });
            for p in &packets {
                acc.packet(&p.as_packet());
            }
            let mut capture = acc.finish(options);
            let numbers: Vec<u32> = packets.iter().map(|p| p.number).collect();
            capture.locate_text(warnings, &TextPlaces::Packets(&numbers));
            Ok(capture)
        }
        TextContent::Connections(conns) => {
            let mut connections = Vec::new();
            let mut peer0_is_haproxy = Vec::new();
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
                peer0_is_haproxy.push(haproxy_is_peer0);
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
            let mut capture = Capture {
                input: InputKind {
                    container: Container::TextStreams,
                    text: format,
                },
                packets: 0,
                connections,
                attempts: Vec::new(),
                first_packet: None,
                other_connections: 0,
                non_tcp_packets: 0,
                notes: Vec::new(),
                note_count: 0,
                file_error: None,
                shared: Vec::new(),
                text_warnings: Vec::new(),
            };
            capture.locate_text(warnings, &TextPlaces::Connections(&peer0_is_haproxy));
            Ok(capture)
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
        attempts: Vec::new(),
        first_packet: None,
        other_connections: 0,
        non_tcp_packets: 0,
        notes: Vec::new(),
        note_count: 0,
        file_error: None,
        shared: Vec::new(),
        text_warnings: Vec::new(),
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
    let mut loader = Loader::new(options.clone()).with_total(bytes.len());
    loader.text = text;
    loader.feed(bytes, progress);
    loader.finish(progress)
}

/// Loads an input that arrives in chunks (a file read piece by piece, in a browser or from
/// disk), so a pcap or pcapng file is never held whole: what is kept is what reassembly keeps
/// (the streams' bytes), plus the one record or block a chunk boundary cuts. Any other input
/// (text, a share bundle, raw SPOP) is kept until [`Loader::finish`] and then read as
/// [`load`] reads it. Feeding a whole input at once is [`load`]: one code path.
///
/// ```
/// # use spop_codec::capture::{load, Loader, LoadOptions};
/// # let file = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/haproxy34-clean.pcap")).unwrap();
/// let mut loader = Loader::new(LoadOptions::default()).with_total(file.len());
/// for chunk in file.chunks(4096) {
///     loader.feed(chunk, &mut |_| {});
/// }
/// let capture = loader.finish(&mut |_| {}).unwrap();
/// assert_eq!(capture, load(&file, &LoadOptions::default()).unwrap());
/// ```
pub struct Loader {
    options: LoadOptions,
    /// The input's size, if known: progress is reported against it.
    total: Option<usize>,
    text: Option<TextFormat>,
    /// Input not consumed yet: the start of the file until its format is known; then a
    /// record or block cut off by the end of the last chunk; for other inputs, all of it.
    window: Vec<u8>,
    /// File offset of `window[0]`.
    base: usize,
    state: LoaderState,
}

enum LoaderState {
    /// Too few bytes to tell the format.
    Start,
    /// Reading a pcap file.
    Pcap(Accumulator, pcap::PcapState),
    /// Reading a pcapng file.
    Pcapng(Accumulator, pcapng::PcapngState),
    /// A pcap or pcapng file whose records can no longer be framed: the rest is skipped.
    Stopped(Accumulator),
    /// Not a capture file: read whole at the end.
    Other,
    /// A capture file whose header is unusable.
    Failed(LoadError),
}

/// Bytes of a new chunk copied to complete a record cut by the previous one (records above
/// this, rare, make the loader keep the whole chunk).
const BRIDGE: usize = 64 * 1024;

impl Loader {
    /// A loader for an input of unknown size.
    pub fn new(options: LoadOptions) -> Self {
        Loader {
            options,
            total: None,
            text: None,
            window: Vec::new(),
            base: 0,
            state: LoaderState::Start,
        }
    }

    /// Reports progress against `total` bytes.
    pub fn with_total(mut self, total: usize) -> Self {
        self.total = Some(total);
        self
    }

    /// Takes the input's next bytes.
    pub fn feed(&mut self, chunk: &[u8], progress: &mut dyn FnMut(Progress)) {
        self.consume(chunk, true, progress);
    }

    /// Ends the input: the capture, or why it cannot be read.
    pub fn finish(mut self, progress: &mut dyn FnMut(Progress)) -> Result<Capture, LoadError> {
        self.consume(&[], false, progress);
        let total = self.total.unwrap_or(self.base + self.window.len());
        match core::mem::replace(&mut self.state, LoaderState::Other) {
            LoaderState::Pcap(acc, _) | LoaderState::Pcapng(acc, _) | LoaderState::Stopped(acc) => {
                progress(Progress::Packets { done: total, total });
                Ok(acc.finish_with_progress(&self.options, progress))
            }
            LoaderState::Failed(e) => Err(e),
            // Never a capture file (or too short to be one): the whole-input path.
            LoaderState::Start | LoaderState::Other => {
                load_with_progress(&self.window, &self.options, progress)
            }
        }
    }

    /// Reads what `chunk` completes; keeps what it leaves incomplete (`more`: bytes follow).
    fn consume(&mut self, chunk: &[u8], more: bool, progress: &mut dyn FnMut(Progress)) {
        // A first chunk may be the whole file ([`load`] feeds it so): the format is told from
        // its first bytes, taken a bridge's worth at a time, and the rest is read in place
        // like any later chunk rather than copied whole into the window.
        let mut chunk = chunk;
        while matches!(self.state, LoaderState::Start) && chunk.len() > BRIDGE {
            let (head, rest) = chunk.split_at(BRIDGE);
            self.consume(head, true, progress);
            chunk = rest;
        }
        if matches!(self.state, LoaderState::Start) {
            self.window.extend_from_slice(chunk);
            self.start(more);
            if matches!(self.state, LoaderState::Pcap(..) | LoaderState::Pcapng(..)) {
                // The window holds the file's start: read what it has.
                let at = self.read(None, more, progress);
                self.keep_from(at);
            }
            return;
        }
        if matches!(self.state, LoaderState::Other | LoaderState::Failed(_)) {
            if matches!(self.state, LoaderState::Other) {
                self.window.extend_from_slice(chunk);
            }
            return;
        }
        let mut chunk_base = self.base + self.window.len();
        if !self.window.is_empty() {
            // Complete the record the last chunk cut, with the start of this one.
            let take = chunk.len().min(BRIDGE);
            self.window
                .extend_from_slice(chunk.get(..take).unwrap_or_default());
            let bridged_all = take == chunk.len();
            let at = self.read(None, more || !bridged_all, progress);
            if at < chunk_base || bridged_all {
                // Still cut (a record above BRIDGE), or nothing of the chunk is left.
                if !bridged_all {
                    self.window
                        .extend_from_slice(chunk.get(take..).unwrap_or_default());
                    let at = self.read(None, more, progress);
                    self.keep_from(at);
                } else {
                    self.keep_from(at);
                }
                return;
            }
            self.window.clear();
            chunk = chunk.get(at - chunk_base..).unwrap_or_default();
            chunk_base = at;
            self.base = at;
        }
        let at = self.read(Some((chunk, chunk_base)), more, progress);
        self.window.extend_from_slice(
            chunk
                .get(at.saturating_sub(chunk_base)..)
                .unwrap_or_default(),
        );
        self.base = at.max(chunk_base);
    }

    /// Drops the window's bytes before file offset `at`.
    fn keep_from(&mut self, at: usize) {
        let n = at.saturating_sub(self.base).min(self.window.len());
        self.window.drain(..n);
        self.base += n;
    }

    /// Decides the format once the window's first bytes allow it.
    fn start(&mut self, more: bool) {
        let w = &self.window;
        if w.len() < 4 && more {
            return;
        }
        let input = |container| InputKind {
            container,
            text: self.text,
        };
        let file = |container| Accumulator::for_file(input(container), &self.options, self.total);
        let cut = |e: &CaptureError| more && e.kind.is_cut_off();
        if pcap::is_pcap(w) {
            self.state = match pcap::PcapReader::new(w) {
                Ok(r) => LoaderState::Pcap(file(Container::Pcap), r.state()),
                Err(e) if cut(&e) => return,
                Err(e) => LoaderState::Failed(LoadError::Capture(e)),
            };
        } else if pcapng::is_pcapng(w) {
            self.state = match pcapng::PcapngReader::new(w) {
                Ok(r) => LoaderState::Pcapng(file(Container::Pcapng), r.state()),
                Err(e) if cut(&e) => return,
                Err(e) => LoaderState::Failed(LoadError::Capture(e)),
            };
        } else {
            self.state = LoaderState::Other;
        }
    }

    /// Reads the records available in `data` (file offset `base`; default: the window) into
    /// the reassembly; returns the file offset reading stopped at.
    fn read(
        &mut self,
        data: Option<(&[u8], usize)>,
        more: bool,
        progress: &mut dyn FnMut(Progress),
    ) -> usize {
        let (data, base) = data.unwrap_or((&self.window, self.base));
        let total = self.total.unwrap_or(0);
        // Coarse enough to cost nothing, fine enough for a smooth bar on 100 MB.
        let mut tick = |p: &Packet<'_>| {
            if p.number.is_multiple_of(PROGRESS_EVERY) {
                progress(Progress::Packets {
                    done: p.file_offset,
                    total: total.max(p.file_offset),
                });
            }
        };
        match core::mem::replace(&mut self.state, LoaderState::Other) {
            LoaderState::Pcap(mut acc, state) => {
                let mut reader = pcap::PcapReader::resume(data, base, state, more);
                // A pcap error is the end of the file's framing.
                drain(reader.by_ref(), &mut acc, &mut tick, true);
                let at = reader.state().offset;
                self.state = if acc.file_error.is_some() {
                    LoaderState::Stopped(acc)
                } else {
                    LoaderState::Pcap(acc, reader.state())
                };
                at
            }
            LoaderState::Pcapng(mut acc, state) => {
                let mut reader = pcapng::PcapngReader::resume(data, base, state, more);
                // Errors inside a block are reported and reading goes on; the reader ends by
                // itself when the file's framing is broken.
                drain(reader.by_ref(), &mut acc, &mut tick, false);
                let ended = reader.finished();
                let state = reader.state();
                let at = state.offset;
                self.state = if ended && more {
                    LoaderState::Stopped(acc)
                } else {
                    LoaderState::Pcapng(acc, state)
                };
                at
            }
            other => {
                self.state = other;
                base + data.len()
            }
        }
    }
}

/// Feeds a reader's packets to the reassembly, keeping the first error; `stop` ends at it.
fn drain<'p>(
    packets: impl Iterator<Item = Result<Packet<'p>, CaptureError>>,
    acc: &mut Accumulator,
    tick: &mut impl FnMut(&Packet<'_>),
    stop: bool,
) {
    for p in packets {
        match p {
            Ok(p) => {
                tick(&p);
                acc.packet(&p);
            }
            Err(e) => {
                acc.file_error.get_or_insert(e);
                if stop {
                    break;
                }
            }
        }
    }
}

/// Where TCP segments go.
enum Reassembly {
    /// This thread.
    One(Reassembler),
    /// Worker threads, by connection.
    #[cfg(feature = "parallel")]
    Shards(super::shards::Shards),
}

/// Packets between two progress reports.
const PROGRESS_EVERY: u32 = 4096;

/// Packets → TCP reassembly, collecting notes on the way.
struct Accumulator {
    input: InputKind,
    reassembly: Reassembly,
    packets: u32,
    /// The first packet read.
    first: Option<PacketRef>,
    non_tcp: u32,
    notes: Vec<PacketNote>,
    note_count: usize,
    file_error: Option<CaptureError>,
}

impl Accumulator {
    fn new(input: InputKind) -> Self {
        Accumulator {
            input,
            reassembly: Reassembly::One(Reassembler::new()),
            packets: 0,
            first: None,
            non_tcp: 0,
            notes: Vec::new(),
            note_count: 0,
            file_error: None,
        }
    }

    /// For a capture file of `total` bytes (if known): reassembly on as many threads as
    /// `options.threads` asks for ([`LoadOptions::threads`]). Packet numbers grow through a
    /// file, which the threads' merge relies on; pasted packets (numbered by the text) stay on
    /// one.
    fn for_file(input: InputKind, options: &LoadOptions, total: Option<usize>) -> Self {
        // Work in units of 256 file bytes; an unknown size counts as small.
        let parts = crate::parallel::parts(options.threads, total.unwrap_or(0) / 256);
        // This thread copies every payload into the workers' batches: with two cores the copy
        // costs about what the second thread saves, and at times more (docs/performance.md),
        // so reassembly goes to workers only from three cores.
        #[cfg(feature = "parallel")]
        if parts > 2 {
            if let Some(s) = super::shards::Shards::new(parts) {
                return Accumulator {
                    reassembly: Reassembly::Shards(s),
                    ..Accumulator::new(input)
                };
            }
        }
        #[cfg(not(feature = "parallel"))]
        let _ = parts;
        Accumulator::new(input)
    }

    fn note(&mut self, packet: u32, issue: PacketIssue) {
        self.note_count += 1;
        if self.notes.len() < MAX_NOTES {
            self.notes.push(PacketNote { packet, issue });
        }
    }

    fn packet(&mut self, p: &Packet<'_>) {
        self.packets += 1;
        let at = PacketRef {
            number: p.number,
            timestamp: p.timestamp,
        };
        self.first.get_or_insert(at);
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
                match &mut self.reassembly {
                    Reassembly::One(r) => r.push(&seg, at),
                    #[cfg(feature = "parallel")]
                    Reassembly::Shards(s) => s.push(&seg, at),
                }
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
        // Connections without a payload byte: attempts, if to an agent's address.
        let mut empty = Vec::new();
        progress(Progress::Connections { done: 0, total: 1 });
        let tcp = match self.reassembly {
            Reassembly::One(r) => r.finish(),
            #[cfg(feature = "parallel")]
            Reassembly::Shards(s) => s.finish(),
        };
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
                None if conn.streams.iter().all(|s| s.data.is_empty()) => empty.push(conn),
                None => other += 1,
            }
        }
        let attempts = attempts_of(empty, &connections, &options.ports, &mut other);
        Capture {
            input: self.input,
            packets: self.packets,
            connections,
            attempts,
            first_packet: self.first,
            other_connections: other,
            non_tcp_packets: self.non_tcp,
            notes: self.notes,
            note_count: self.note_count,
            file_error: self.file_error,
            shared: Vec::new(),
            text_warnings: Vec::new(),
        }
    }
}

/// The connections of `empty` (no payload byte either way) that went to an agent: to the
/// address of an SPOP connection's agent or to a port given as SPOP; in a capture with no SPOP
/// connection and no port given, all of them when they all went to one address (a capture of
/// an agent that was down the whole time). The others are counted in `other`.
fn attempts_of(
    empty: Vec<super::tcp::Connection>,
    connections: &[SpopConnection],
    ports: &[u16],
    other: &mut usize,
) -> Vec<Attempt> {
    // Sorted by the short lists' sort and searched: no set type of its own in the wasm.
    let mut agents: Vec<core::net::SocketAddr> =
        connections.iter().filter_map(|c| c.agent).collect();
    crate::sort::sort_by(&mut agents, Ord::cmp);
    agents.dedup();
    let lone = connections.is_empty()
        && ports.is_empty()
        && empty
            .first()
            .is_some_and(|f| empty.iter().all(|c| c.server == f.server));
    let mut attempts = Vec::new();
    for mut conn in empty {
        // An attempt seen only from the server's side (its SYN-ACK first) has its roles right;
        // one seen mid-way may have them swapped: the agent is the known address.
        if agents.binary_search(&conn.client).is_ok() || ports.contains(&conn.client.port()) {
            conn.swap_roles();
        }
        if lone || agents.binary_search(&conn.server).is_ok() || ports.contains(&conn.server.port())
        {
            attempts.push(Attempt::from_tcp(attempts.len(), conn));
        } else {
            *other += 1;
        }
    }
    attempts
}
