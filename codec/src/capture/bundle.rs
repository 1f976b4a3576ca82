//! Share bundles, a capture format of this project's own: a capture's SPOP conversations in a
//! compact, versioned form that travels in a URL fragment or a `.spop` file, so a bug report
//! can carry exactly what its author saw. The loader reads them like any other capture
//! ([`load`](super::load())), pasted share links included; building the links is left to the
//! layer above (`spop_codec::share`).
//!
//! A bundle keeps what the analysis needs and nothing else: per SPOP connection the addresses,
//! both reassembled byte streams with the packet number and time of every segment, the gaps,
//! SYN/FIN/RST and the TCP counters. Packet headers and non-SPOP traffic are dropped. Surfaces
//! add their own state (annotations, selection, filters) as key/value pairs.
//!
//! Layout: the magic `SPOPB`, a version byte, then a deflate stream (miniz_oxide) of the body.
//! In text form it is base64url without padding. Decoding is bounded: the body never inflates
//! past a cap, and every length read is checked against the bytes present.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use core::net::SocketAddr;
use core::str::FromStr;

use base64::Engine as _;

use super::attempt::Attempt;
use super::load::{StreamBytes, TextIssue};
use super::spop::{Detection, SpopConnection};
use super::tcp::{Gap, PacketRef, SegmentRecord, Stream, StreamStart, TcpEvent, TcpEventKind};
use super::text::{TextWarning, TextWarningKind};
use super::LinkType;
use super::{Capture, Container, InputKind, PROBE_SESSION_KEY};
use crate::wire::varint;
use crate::wire::Direction;
use crate::Span;

/// First bytes of every bundle.
pub const MAGIC: &[u8; 5] = b"SPOPB";
/// The version this engine writes (and the newest it reads).
pub const VERSION: u8 = 2;
/// Largest body a bundle may inflate to unless the caller says otherwise: a small link cannot
/// become a large allocation.
pub const DEFAULT_MAX_BODY: usize = 64 << 20;

/// Most SPOP connections a bundle may describe. A connection takes 25 bytes of body and
/// about a kilobyte once read and analysed: 64 MiB of them would take 2.3 GB.
pub const MAX_CONNECTIONS: usize = 1 << 20;

/// The fragment parameter a share link carries its bundle in: `BASE#spop=<bundle text>`. The
/// fragment never reaches a server, so neither does the capture.
pub const FRAGMENT_KEY: &str = "spop";

/// The bundle text in a link's fragment (with or without its `#`), if it is a share link's.
/// The fragment may hold other `&`-separated parameters.
pub fn fragment_bundle(fragment: &str) -> Option<&str> {
    let f = fragment.strip_prefix('#').unwrap_or(fragment);
    f.split('&').find_map(|p| {
        p.strip_prefix(FRAGMENT_KEY)
            .and_then(|r| r.strip_prefix('='))
    })
}

/// The bundle text in an input that is a share link (or a page address holding one), or a
/// bundle's bare text: what a person pastes from a bug report. `None` for anything else.
pub fn bundle_text(input: &[u8]) -> Option<&str> {
    // base64url of `SPOPB`: no hex dump or other text format starts like this.
    const TEXT_MAGIC: &str = "U1BPUEI";
    let s = core::str::from_utf8(input).ok()?.trim();
    if s.is_empty() || s.contains(char::is_whitespace) {
        return None;
    }
    if s.starts_with(TEXT_MAGIC) {
        return Some(s);
    }
    let (_, fragment) = s.split_once('#')?;
    fragment_bundle(fragment)
}

/// Why a bundle could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShareError {
    /// Not a bundle (no `SPOPB` magic, or not base64url text).
    NotABundle,
    /// Written by a newer spop-inspector.
    FutureVersion(u8),
    /// The body would inflate past the cap.
    TooLarge {
        /// The cap, in bytes.
        limit: usize,
    },
    /// The body describes more connections than [`MAX_CONNECTIONS`].
    TooManyConnections {
        /// How many it describes.
        count: usize,
    },
    /// The compressed body is damaged or cut short.
    Damaged,
    /// The body's structure is wrong at this offset.
    Malformed {
        /// What was being read.
        what: &'static str,
        /// Offset in the inflated body.
        offset: usize,
    },
}

impl fmt::Display for ShareError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShareError::NotABundle => f.write_str("not an spop-inspector share bundle"),
            ShareError::FutureVersion(v) => write!(
                f,
                "this bundle is format version {v}, newer than this spop-inspector reads ({VERSION}); open it with a newer version"
            ),
            ShareError::TooLarge { limit } => write!(
                f,
                "this bundle expands to more than {} MiB, the most accepted",
                limit >> 20
            ),
            ShareError::TooManyConnections { count } => write!(
                f,
                "this bundle describes {count} connections, more than the {MAX_CONNECTIONS} accepted"
            ),
            ShareError::Damaged => {
                f.write_str("this bundle is damaged or cut short (was the link copied whole?)")
            }
            ShareError::Malformed { what, offset } => {
                write!(f, "this bundle is malformed: bad {what} at body offset {offset}")
            }
        }
    }
}

impl core::error::Error for ShareError {}

/// The state that marks a probe session's bundle (empty for any other capture).
fn probe_state(c: &Capture) -> Vec<(String, String)> {
    let carried = c
        .shared
        .iter()
        .find(|(k, _)| k == PROBE_SESSION_KEY)
        .cloned();
    match carried {
        Some(kv) => alloc::vec![kv],
        None if c.input.container == Container::Probe => {
            alloc::vec![(PROBE_SESSION_KEY.to_string(), String::new())]
        }
        None => Vec::new(),
    }
}

/// A capture's SPOP conversations plus a surface's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    /// What the capture was read from, for people (`"pcap file"`).
    pub origin: String,
    /// Packets in the original capture.
    pub packets: u32,
    /// TCP connections that were not SPOP (dropped).
    pub other_connections: usize,
    /// The SPOP connections.
    pub connections: Vec<SpopConnection>,
    /// Attempts to reach the agents that carried no SPOP (refused, unanswered …).
    pub attempts: Vec<Attempt>,
    /// The original capture's first packet (time zero).
    pub first_packet: Option<PacketRef>,
    /// What the text parser found damaged or guessed, for pasted input (SPOP-C007 and the
    /// notes rest on it).
    pub text_warnings: Vec<TextIssue>,
    /// A surface's state, e.g. `("selected", "12")`, `("note:12", "ACKs start here")`.
    pub state: Vec<(String, String)>,
}

impl Bundle {
    /// The SPOP part of a capture. A probe session stays one: its state carries
    /// [`PROBE_SESSION_KEY`], so the probe rules run
    /// wherever the bundle is opened.
    pub fn from_capture(c: &Capture) -> Bundle {
        Bundle {
            origin: c.input.to_string(),
            packets: c.packets,
            other_connections: c.other_connections,
            connections: c.connections.clone(),
            attempts: c.attempts.clone(),
            first_packet: c.first_packet,
            text_warnings: c.text_warnings.clone(),
            state: probe_state(c),
        }
    }

    /// The SPOP part of a capture, only connections `keep` (indexes, in the order given),
    /// renumbered from 0: what "share only this connection" sends.
    pub fn from_capture_connections(c: &Capture, keep: &[usize]) -> Bundle {
        Bundle {
            origin: c.input.to_string(),
            packets: c.packets,
            other_connections: c.other_connections,
            connections: pick(&c.connections, keep),
            attempts: attempts_to(&c.connections, &c.attempts, keep),
            first_packet: c.first_packet,
            text_warnings: warnings_of(&c.text_warnings, keep),
            state: probe_state(c),
        }
    }

    /// The same capture with only connections `keep` (indexes, in the order given); they are
    /// renumbered from 0. Surface state is not carried over: its keys may name connections.
    pub fn subset(&self, keep: &[usize]) -> Bundle {
        Bundle {
            origin: self.origin.clone(),
            packets: self.packets,
            other_connections: self.other_connections,
            connections: pick(&self.connections, keep),
            attempts: attempts_to(&self.connections, &self.attempts, keep),
            first_packet: self.first_packet,
            text_warnings: warnings_of(&self.text_warnings, keep),
            state: Vec::new(),
        }
    }

    /// The value of state key `key`, if set.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.state
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A capture to analyse (its input kind says it came from a bundle).
    pub fn to_capture(&self) -> Capture {
        self.clone().into_capture()
    }

    /// [`Bundle::to_capture`], taking the bundle: its streams move into the capture instead
    /// of being copied (a bundle's 64 MiB may describe millions of segments and gaps).
    pub fn into_capture(self) -> Capture {
        Capture {
            input: InputKind {
                container: Container::Bundle,
                text: None,
            },
            packets: self.packets,
            connections: self.connections,
            attempts: self.attempts,
            first_packet: self.first_packet,
            other_connections: self.other_connections,
            non_tcp_packets: 0,
            notes: Vec::new(),
            note_count: 0,
            file_error: None,
            shared: self.state,
            text_warnings: self.text_warnings,
        }
    }

    /// The bundle's bytes (what a `.spop` file holds).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut body = Writer::default();
        body.text(&self.origin);
        body.u(u64::from(self.packets));
        body.u(self.other_connections as u64);
        // Times are written relative to the earliest one: small varints.
        let base = self
            .connections
            .iter()
            .flat_map(|c| packets_of(&c.streams, c.first, c.last))
            .chain(
                self.attempts
                    .iter()
                    .flat_map(|a| packets_of(&a.streams, a.first, a.last)),
            )
            .chain(self.first_packet)
            .map(|p| p.timestamp)
            .min()
            .unwrap_or(0);
        body.u(base);
        body.u(self.connections.len() as u64);
        for c in &self.connections {
            body.addr(c.haproxy);
            body.addr(c.agent);
            match c.detection {
                Detection::Port(p) => {
                    body.u(0);
                    body.u(u64::from(p));
                }
                Detection::Hello => body.u(1),
                Detection::Frames => body.u(2),
                Detection::Given => body.u(3),
            }
            body.packet(c.first, base);
            body.packet(c.last, base);
            for s in &c.streams {
                body.stream(s, base);
            }
        }
        body.u(self.attempts.len() as u64);
        for a in &self.attempts {
            body.addr(Some(a.haproxy));
            body.addr(Some(a.agent));
            body.packet(a.first, base);
            body.packet(a.last, base);
            for s in &a.streams {
                body.stream(s, base);
            }
        }
        body.opt_packet(self.first_packet, base);
        body.u(self.text_warnings.len() as u64);
        for t in &self.text_warnings {
            body.text_warning(t);
        }
        body.u(self.state.len() as u64);
        for (k, v) in &self.state {
            body.text(k);
            body.text(v);
        }
        let mut out = Vec::with_capacity(body.0.len() / 3 + 16);
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        // Links are small and every byte counts: the best compression. A whole 100 MB capture
        // (a file, not a link) takes a third of the time at level 6 for 1.5 % more bytes.
        let level = if body.0.len() <= 4 << 20 { 9 } else { 6 };
        out.extend_from_slice(&miniz_oxide::deflate::compress_to_vec(&body.0, level));
        out
    }

    /// The bundle as URL-safe text (base64url, no padding), for a link's fragment.
    pub fn to_text(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.to_bytes())
    }

    /// Reads a bundle's bytes, inflating at most [`DEFAULT_MAX_BODY`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Bundle, ShareError> {
        Bundle::from_bytes_with_limit(bytes, DEFAULT_MAX_BODY)
    }

    /// Reads a bundle's bytes, inflating at most `limit` bytes.
    pub fn from_bytes_with_limit(bytes: &[u8], limit: usize) -> Result<Bundle, ShareError> {
        let rest = bytes.strip_prefix(MAGIC).ok_or(ShareError::NotABundle)?;
        let (&version, deflated) = rest.split_first().ok_or(ShareError::Damaged)?;
        if version > VERSION {
            return Err(ShareError::FutureVersion(version));
        }
        if version == 0 {
            return Err(ShareError::NotABundle);
        }
        let body = miniz_oxide::inflate::decompress_to_vec_with_limit(deflated, limit).map_err(
            |e| match e.status {
                miniz_oxide::inflate::TINFLStatus::HasMoreOutput => ShareError::TooLarge { limit },
                _ => ShareError::Damaged,
            },
        )?;
        Reader {
            buf: &body,
            pos: 0,
            version,
        }
        .bundle()
    }

    /// Reads a bundle's text form (base64url; padding and surrounding whitespace tolerated).
    pub fn from_text(text: &str) -> Result<Bundle, ShareError> {
        let t = text.trim().trim_end_matches('=');
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(t)
            .map_err(|e| match e {
                // Good characters, bad length: the text was cut.
                base64::DecodeError::InvalidLength(_)
                | base64::DecodeError::InvalidLastSymbol { .. }
                    if t.starts_with("U1BPUEI") =>
                {
                    ShareError::Damaged
                }
                _ => ShareError::NotABundle,
            })?;
        Bundle::from_bytes(&bytes)
    }
}

/// Connections `keep` of `all` (unknown indexes skipped), renumbered from 0.
fn pick(all: &[SpopConnection], keep: &[usize]) -> Vec<SpopConnection> {
    keep.iter()
        .filter_map(|&i| all.get(i))
        .enumerate()
        .map(|(id, c)| SpopConnection { id, ..c.clone() })
        .collect()
}

/// The attempts to the agents of connections `keep` of `all`, renumbered from 0.
fn attempts_to(all: &[SpopConnection], attempts: &[Attempt], keep: &[usize]) -> Vec<Attempt> {
    let agents: Vec<SocketAddr> = keep.iter().filter_map(|&i| all.get(i)?.agent).collect();
    attempts
        .iter()
        .filter(|a| agents.contains(&a.agent))
        .enumerate()
        .map(|(id, a)| Attempt { id, ..a.clone() })
        .collect()
}

/// The text warnings about connections `keep` (or about none), renumbered as `keep` is.
fn warnings_of(all: &[TextIssue], keep: &[usize]) -> Vec<TextIssue> {
    all.iter()
        .filter_map(|t| {
            let mut t = t.clone();
            let had = t.locations.len();
            t.locations.retain_mut(|l| {
                keep.iter()
                    .position(|&k| k == l.connection)
                    .is_some_and(|n| {
                        l.connection = n;
                        true
                    })
            });
            (had == 0 || !t.locations.is_empty()).then_some(t)
        })
        .collect()
}

/// Every packet a connection refers to (for the time base: the earliest of them all).
fn packets_of(
    streams: &[Stream; 2],
    first: PacketRef,
    last: PacketRef,
) -> impl Iterator<Item = PacketRef> + '_ {
    let streams = streams.iter().flat_map(|s| {
        s.segments
            .iter()
            .map(|g| g.packet)
            .chain(s.gaps.iter().map(|g| g.resumed_by))
            .chain(s.fin)
            .chain(s.rst)
            .chain(s.events.iter().map(|e| e.packet))
    });
    [first, last].into_iter().chain(streams)
}

/// True if `bytes` start like a bundle.
pub fn is_bundle(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

#[derive(Default)]
struct Writer(Vec<u8>);

impl Writer {
    fn u(&mut self, x: u64) {
        let (b, n) = varint::encode(x);
        self.0.extend_from_slice(b.get(..n).unwrap_or(&[]));
    }

    fn blob(&mut self, b: &[u8]) {
        self.u(b.len() as u64);
        self.0.extend_from_slice(b);
    }

    fn text(&mut self, s: &str) {
        self.blob(s.as_bytes());
    }

    fn addr(&mut self, a: Option<SocketAddr>) {
        match a {
            Some(a) => self.text(&a.to_string()),
            None => self.u(0),
        }
    }

    fn packet(&mut self, p: PacketRef, base: u64) {
        self.u(u64::from(p.number));
        self.u(p.timestamp.saturating_sub(base));
    }

    fn opt_packet(&mut self, p: Option<PacketRef>, base: u64) {
        match p {
            Some(p) => {
                self.u(1);
                self.packet(p, base);
            }
            None => self.u(0),
        }
    }

    fn text_warning(&mut self, t: &TextIssue) {
        self.u(t.warning.line as u64);
        match t.warning.kind {
            TextWarningKind::IgnoredLine => self.u(0),
            TextWarningKind::OffsetGap { expected, found } => {
                self.u(1);
                self.u(expected);
                self.u(found);
            }
            TextWarningKind::AsciiMismatch => self.u(2),
            TextWarningKind::RepeatWithoutEnd => self.u(3),
            TextWarningKind::RepeatPartialLine => self.u(4),
            TextWarningKind::LinkTypeGuessed { link_type } => {
                self.u(5);
                self.u(u64::from(link_type.0));
            }
            TextWarningKind::TimeOfDayOnly => self.u(6),
            TextWarningKind::RelativeTimestamps => self.u(7),
            TextWarningKind::NoTimestamps => self.u(8),
            TextWarningKind::MissingPacketHeader => self.u(9),
            TextWarningKind::UnknownFrameType { frame_type } => {
                self.u(10);
                self.u(u64::from(frame_type));
            }
            TextWarningKind::Truncated => self.u(11),
            TextWarningKind::Suppressed { count } => {
                self.u(12);
                self.u(count as u64);
            }
        }
        self.u(t.locations.len() as u64);
        for l in &t.locations {
            self.u(l.connection as u64);
            self.u(u64::from(l.direction == Direction::AgentToHaproxy));
            self.u(l.span.start as u64);
            self.u(l.span.end as u64);
        }
    }

    fn stream(&mut self, s: &Stream, base: u64) {
        self.blob(&s.data);
        self.u(s.segments.len() as u64);
        // Segments tile the data in order: their lengths are enough to place them.
        for seg in &s.segments {
            self.u(seg.offset as u64);
            self.u(seg.len as u64);
            self.packet(seg.packet, base);
        }
        self.u(s.gaps.len() as u64);
        for g in &s.gaps {
            self.u(g.at as u64);
            self.u(g.missing);
            self.packet(g.resumed_by, base);
        }
        self.u(match s.start {
            StreamStart::Syn => 1,
            StreamStart::MidStream => 0,
        });
        self.opt_packet(s.fin, base);
        self.opt_packet(s.rst, base);
        self.u(u64::from(s.retransmissions));
        self.u(u64::from(s.conflicting_overlaps));
        self.u(s.truncated_bytes);
        self.u(s.events.len() as u64);
        for e in &s.events {
            self.u(match e.kind {
                TcpEventKind::Syn => 0,
                TcpEventKind::Fin => 1,
                TcpEventKind::Rst => 2,
                TcpEventKind::Retransmission => 3,
                TcpEventKind::ZeroWindow => 4,
                TcpEventKind::WindowOpen => 5,
                // Added within format 2: older bundles never hold it, so they read as before.
                TcpEventKind::WindowFull => 6,
            });
            self.packet(e.packet, base);
        }
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// The bundle's format version (1 has no TCP events, attempts or first packet).
    version: u8,
}

impl Reader<'_> {
    fn err(&self, what: &'static str) -> ShareError {
        ShareError::Malformed {
            what,
            offset: self.pos,
        }
    }

    fn u(&mut self, what: &'static str) -> Result<u64, ShareError> {
        let rest = self.buf.get(self.pos..).unwrap_or(&[]);
        let (x, n) = varint::decode(rest).map_err(|_| self.err(what))?;
        self.pos += n;
        Ok(x)
    }

    /// A count, offset or length: at most `u32::MAX` on every platform, so that a bundle
    /// reads the same natively and in the browser (where `usize` has 32 bits). Nothing a
    /// body of at most a few hundred MiB describes needs more; `other_connections` (TCP
    /// connections of a capture of at most `u32::MAX` packets) neither.
    fn small(&mut self, what: &'static str) -> Result<usize, ShareError> {
        let x = self.u(what)?;
        u32::try_from(x)
            .ok()
            .and_then(|x| usize::try_from(x).ok())
            .ok_or_else(|| self.err(what))
    }

    /// A count of items that each take at least one byte: bounded by the bytes left, so a
    /// forged count cannot reserve memory.
    fn count(&mut self, what: &'static str) -> Result<usize, ShareError> {
        let n = self.small(what)?;
        if n > self.buf.len().saturating_sub(self.pos) {
            return Err(self.err(what));
        }
        Ok(n)
    }

    fn blob(&mut self, what: &'static str) -> Result<&[u8], ShareError> {
        let n = self.small(what)?;
        let end = self.pos.checked_add(n).ok_or_else(|| self.err(what))?;
        let b = self.buf.get(self.pos..end).ok_or_else(|| self.err(what))?;
        self.pos = end;
        Ok(b)
    }

    fn text(&mut self, what: &'static str) -> Result<String, ShareError> {
        let at = self.pos;
        let b = self.blob(what)?;
        core::str::from_utf8(b)
            .map(String::from)
            .map_err(|_| ShareError::Malformed { what, offset: at })
    }

    fn addr(&mut self) -> Result<Option<SocketAddr>, ShareError> {
        let at = self.pos;
        let t = self.text("address")?;
        if t.is_empty() {
            return Ok(None);
        }
        SocketAddr::from_str(&t)
            .map(Some)
            .map_err(|_| ShareError::Malformed {
                what: "address",
                offset: at,
            })
    }

    fn packet(&mut self, base: u64) -> Result<PacketRef, ShareError> {
        let number =
            u32::try_from(self.u("packet number")?).map_err(|_| self.err("packet number"))?;
        let t = self.u("time")?;
        Ok(PacketRef {
            number,
            timestamp: base.checked_add(t).ok_or_else(|| self.err("time"))?,
        })
    }

    fn opt_packet(&mut self, base: u64) -> Result<Option<PacketRef>, ShareError> {
        match self.u("flag")? {
            0 => Ok(None),
            1 => self.packet(base).map(Some),
            _ => Err(self.err("flag")),
        }
    }

    /// A text warning whose locations must lie in `connections`' streams.
    fn text_warning(&mut self, connections: &[SpopConnection]) -> Result<TextIssue, ShareError> {
        let line = self.small("text warning line")?;
        let kind = match self.u("text warning")? {
            0 => TextWarningKind::IgnoredLine,
            1 => TextWarningKind::OffsetGap {
                expected: self.u("offset")?,
                found: self.u("offset")?,
            },
            2 => TextWarningKind::AsciiMismatch,
            3 => TextWarningKind::RepeatWithoutEnd,
            4 => TextWarningKind::RepeatPartialLine,
            5 => TextWarningKind::LinkTypeGuessed {
                link_type: LinkType(
                    u32::try_from(self.u("link type")?).map_err(|_| self.err("link type"))?,
                ),
            },
            6 => TextWarningKind::TimeOfDayOnly,
            7 => TextWarningKind::RelativeTimestamps,
            8 => TextWarningKind::NoTimestamps,
            9 => TextWarningKind::MissingPacketHeader,
            10 => TextWarningKind::UnknownFrameType {
                frame_type: u8::try_from(self.u("frame type")?)
                    .map_err(|_| self.err("frame type"))?,
            },
            11 => TextWarningKind::Truncated,
            12 => TextWarningKind::Suppressed {
                count: self.small("count")?,
            },
            _ => return Err(self.err("text warning")),
        };
        let n = self.count("location count")?;
        let mut locations = Vec::with_capacity(n);
        for _ in 0..n {
            let connection = self.small("location connection")?;
            let direction = match self.u("location direction")? {
                0 => Direction::HaproxyToAgent,
                1 => Direction::AgentToHaproxy,
                _ => return Err(self.err("location direction")),
            };
            let (start, end) = (self.small("location")?, self.small("location")?);
            let len = connections
                .get(connection)
                .map(|c| c.stream(direction).data.len())
                .ok_or_else(|| self.err("location connection"))?;
            if start > end || end > len {
                return Err(self.err("location"));
            }
            locations.push(StreamBytes {
                connection,
                direction,
                span: Span::new(start, end),
            });
        }
        Ok(TextIssue {
            warning: TextWarning {
                line,
                kind,
                bytes: None,
            },
            locations,
        })
    }

    fn stream(&mut self, base: u64) -> Result<Stream, ShareError> {
        let data = self.blob("stream bytes")?.to_vec();
        let n = self.count("segment count")?;
        let mut segments = Vec::with_capacity(n);
        let mut end = 0usize;
        for _ in 0..n {
            let offset = self.small("segment offset")?;
            let len = self.small("segment length")?;
            // In order, within the data: the lookups by offset rely on it.
            let seg_end = offset.checked_add(len).ok_or_else(|| self.err("segment"))?;
            if offset < end || seg_end > data.len() {
                return Err(self.err("segment"));
            }
            end = seg_end;
            let packet = self.packet(base)?;
            segments.push(SegmentRecord {
                offset,
                len,
                packet,
            });
        }
        let n = self.count("gap count")?;
        let mut gaps = Vec::with_capacity(n);
        for _ in 0..n {
            let at = self.small("gap offset")?;
            if at > data.len() {
                return Err(self.err("gap offset"));
            }
            let missing = self.u("gap size")?;
            let resumed_by = self.packet(base)?;
            gaps.push(Gap {
                at,
                missing,
                resumed_by,
            });
        }
        let start = match self.u("stream start")? {
            0 => StreamStart::MidStream,
            1 => StreamStart::Syn,
            _ => return Err(self.err("stream start")),
        };
        let fin = self.opt_packet(base)?;
        let rst = self.opt_packet(base)?;
        let counter = |r: &mut Self, what| {
            let x = r.u(what)?;
            u32::try_from(x).map_err(|_| r.err(what))
        };
        let retransmissions = counter(self, "retransmissions")?;
        let conflicting_overlaps = counter(self, "overlaps")?;
        let truncated_bytes = self.u("truncated bytes")?;
        let events = if self.version >= 2 {
            let n = self.count("event count")?;
            let mut events = Vec::with_capacity(n);
            for _ in 0..n {
                let kind = match self.u("event")? {
                    0 => TcpEventKind::Syn,
                    1 => TcpEventKind::Fin,
                    2 => TcpEventKind::Rst,
                    3 => TcpEventKind::Retransmission,
                    4 => TcpEventKind::ZeroWindow,
                    5 => TcpEventKind::WindowOpen,
                    6 => TcpEventKind::WindowFull,
                    _ => return Err(self.err("event")),
                };
                events.push(TcpEvent {
                    kind,
                    packet: self.packet(base)?,
                });
            }
            events
        } else {
            // Version 1 kept the first FIN and RST only.
            let mut events: Vec<TcpEvent> = [(TcpEventKind::Fin, fin), (TcpEventKind::Rst, rst)]
                .into_iter()
                .filter_map(|(kind, p)| Some(TcpEvent { kind, packet: p? }))
                .collect();
            crate::sort::sort_by_key(&mut events, |e| e.packet.number);
            events
        };
        Ok(Stream {
            data,
            segments,
            gaps,
            start,
            fin,
            rst,
            retransmissions,
            conflicting_overlaps,
            truncated_bytes,
            events,
        })
    }

    fn bundle(mut self) -> Result<Bundle, ShareError> {
        let origin = self.text("origin")?;
        let packets = u32::try_from(self.u("packets")?).map_err(|_| self.err("packets"))?;
        let other_connections = self.small("other connections")?;
        let base = self.u("time base")?;
        let n = self.count("connection count")?;
        if n > MAX_CONNECTIONS {
            return Err(ShareError::TooManyConnections { count: n });
        }
        let mut connections = Vec::with_capacity(n);
        for id in 0..n {
            let haproxy = self.addr()?;
            let agent = self.addr()?;
            let detection = match self.u("detection")? {
                0 => Detection::Port(u16::try_from(self.u("port")?).map_err(|_| self.err("port"))?),
                1 => Detection::Hello,
                2 => Detection::Frames,
                3 => Detection::Given,
                _ => return Err(self.err("detection")),
            };
            let first = self.packet(base)?;
            let last = self.packet(base)?;
            let streams = [self.stream(base)?, self.stream(base)?];
            connections.push(SpopConnection {
                id,
                haproxy,
                agent,
                detection,
                streams,
                first,
                last,
            });
        }
        let mut attempts = Vec::new();
        let mut first_packet = None;
        let mut text_warnings = Vec::new();
        if self.version >= 2 {
            let n = self.count("attempt count")?;
            attempts.reserve(n);
            for id in 0..n {
                let (Some(haproxy), Some(agent)) = (self.addr()?, self.addr()?) else {
                    return Err(self.err("attempt address"));
                };
                let first = self.packet(base)?;
                let last = self.packet(base)?;
                let streams = [self.stream(base)?, self.stream(base)?];
                attempts.push(Attempt {
                    id,
                    haproxy,
                    agent,
                    streams,
                    first,
                    last,
                });
            }
            first_packet = self.opt_packet(base)?;
            let n = self.count("text warning count")?;
            text_warnings.reserve(n);
            for _ in 0..n {
                text_warnings.push(self.text_warning(&connections)?);
            }
        }
        let n = self.count("state count")?;
        let mut state = Vec::with_capacity(n);
        for _ in 0..n {
            let k = self.text("state key")?;
            let v = self.text("state value")?;
            state.push((k, v));
        }
        if self.pos != self.buf.len() {
            return Err(self.err("trailing bytes"));
        }
        Ok(Bundle {
            origin,
            packets,
            other_connections,
            connections,
            attempts,
            first_packet,
            text_warnings,
            state,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    use alloc::vec;

    /// A bundle with a bit of everything.
    pub(crate) fn sample() -> Bundle {
        let stream = |data: &[u8]| Stream {
            data: data.to_vec(),
            segments: vec![SegmentRecord {
                offset: 0,
                len: data.len(),
                packet: PacketRef {
                    number: 4,
                    timestamp: 1_700_000_000_000_000_123,
                },
            }],
            start: StreamStart::Syn,
            events: vec![
                TcpEvent {
                    kind: TcpEventKind::Syn,
                    packet: PacketRef {
                        number: 1,
                        timestamp: 1_700_000_000_000_000_000,
                    },
                },
                TcpEvent {
                    kind: TcpEventKind::ZeroWindow,
                    packet: PacketRef {
                        number: 5,
                        timestamp: 1_700_000_000_000_000_200,
                    },
                },
            ],
            ..Stream::default()
        };
        let refused = |number: u32, kind| Stream {
            events: vec![TcpEvent {
                kind,
                packet: PacketRef {
                    number,
                    timestamp: 1_700_000_000_600_000_000 + u64::from(number),
                },
            }],
            start: if kind == TcpEventKind::Syn {
                StreamStart::Syn
            } else {
                StreamStart::MidStream
            },
            rst: (kind == TcpEventKind::Rst).then_some(PacketRef {
                number,
                timestamp: 1_700_000_000_600_000_000 + u64::from(number),
            }),
            ..Stream::default()
        };
        Bundle {
            origin: "pcap file".into(),
            packets: 9,
            other_connections: 1,
            connections: vec![SpopConnection {
                id: 0,
                haproxy: SocketAddr::from_str("127.0.0.1:5000").ok(),
                agent: SocketAddr::from_str("[::1]:12345").ok(),
                detection: Detection::Port(12345),
                streams: [
                    stream(&[0, 0, 0, 7, 3, 0, 0, 0, 1, 1, 1]),
                    stream(&[0, 0, 0, 7, 0x67, 0, 0, 0, 1, 1, 1]),
                ],
                first: PacketRef {
                    number: 1,
                    timestamp: 1_700_000_000_000_000_000,
                },
                last: PacketRef {
                    number: 9,
                    timestamp: 1_700_000_000_500_000_000,
                },
            }],
            attempts: vec![Attempt {
                id: 0,
                haproxy: SocketAddr::from_str("127.0.0.1:5002").unwrap(),
                agent: SocketAddr::from_str("[::1]:12345").unwrap(),
                streams: [
                    refused(10, TcpEventKind::Syn),
                    refused(11, TcpEventKind::Rst),
                ],
                first: PacketRef {
                    number: 10,
                    timestamp: 1_700_000_000_600_000_010,
                },
                last: PacketRef {
                    number: 11,
                    timestamp: 1_700_000_000_600_000_011,
                },
            }],
            first_packet: Some(PacketRef {
                number: 1,
                timestamp: 1_699_999_999_000_000_000,
            }),
            text_warnings: vec![TextIssue {
                warning: TextWarning {
                    line: 3,
                    kind: TextWarningKind::OffsetGap {
                        expected: 0x20,
                        found: 0x30,
                    },
                    bytes: None,
                },
                locations: vec![StreamBytes {
                    connection: 0,
                    direction: Direction::AgentToHaproxy,
                    span: Span::new(2, 5),
                }],
            }],
            state: vec![("note:1".into(), "the ACK".into())],
        }
    }

    #[test]
    fn attempts_and_tcp_events_travel() {
        let b = sample();
        let back = Bundle::from_bytes(&b.to_bytes()).unwrap();
        assert_eq!(
            back.attempts[0].outcome(),
            crate::capture::AttemptOutcome::Refused
        );
        assert_eq!(back.connections[0].streams[0].events.len(), 2);
        assert_eq!(back.first_packet, b.first_packet);
        // A subset keeps the attempts to its agents only.
        assert_eq!(b.subset(&[0]).attempts.len(), 1);
        assert_eq!(b.subset(&[]).attempts.len(), 0);
    }

    #[test]
    fn every_tcp_event_kind_travels() {
        use TcpEventKind::*;
        let mut b = sample();
        let kinds = [
            Syn,
            Fin,
            Rst,
            Retransmission,
            ZeroWindow,
            WindowOpen,
            WindowFull,
        ];
        b.connections[0].streams[1].events = (0..)
            .zip(kinds)
            .map(|(number, kind)| TcpEvent {
                kind,
                packet: PacketRef {
                    number: 10 + number,
                    timestamp: 1_700_000_000_000_001_000 + u64::from(number),
                },
            })
            .collect();
        let back = Bundle::from_bytes(&b.to_bytes()).unwrap();
        let got: Vec<TcpEventKind> = back.connections[0].streams[1]
            .events
            .iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(got, kinds);
    }

    #[test]
    fn round_trip_bytes_and_text() {
        let b = sample();
        assert_eq!(Bundle::from_bytes(&b.to_bytes()), Ok(b.clone()));
        let t = b.to_text();
        assert!(t
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_eq!(Bundle::from_text(&t), Ok(b));
    }

    #[test]
    fn hostile_bundles_are_refused_clearly() {
        let bytes = sample().to_bytes();
        assert_eq!(Bundle::from_bytes(b"hello"), Err(ShareError::NotABundle));
        let mut future = bytes.clone();
        future[5] = VERSION + 1;
        assert_eq!(
            Bundle::from_bytes(&future),
            Err(ShareError::FutureVersion(VERSION + 1))
        );
        // Cut anywhere: an error, never a panic.
        for n in 0..bytes.len() {
            assert!(Bundle::from_bytes(&bytes[..n]).is_err(), "cut at {n}");
        }
        // A bomb: a megabyte of zeros compresses to a few hundred bytes.
        let mut bomb = MAGIC.to_vec();
        bomb.push(VERSION);
        bomb.extend(miniz_oxide::deflate::compress_to_vec(
            &vec![0u8; 1 << 20],
            9,
        ));
        assert!(bomb.len() < 2048);
        assert_eq!(
            Bundle::from_bytes_with_limit(&bomb, 64 << 10),
            Err(ShareError::TooLarge { limit: 64 << 10 })
        );
        // A body that inflates fine but lies about its counts.
        let mut liar = MAGIC.to_vec();
        liar.push(VERSION);
        liar.extend(miniz_oxide::deflate::compress_to_vec(
            &[0, 0, 0, 0, 0xff, 0xff, 0xff, 0x0f],
            9,
        ));
        assert!(matches!(
            Bundle::from_bytes(&liar),
            Err(ShareError::Malformed { .. })
        ));
        assert!(Bundle::from_text("not base64 at all!").is_err());
    }

    /// A connection takes 25 bytes of body and about a kilobyte once analysed: past
    /// MAX_CONNECTIONS a bundle is refused before any is read ("Hostile input, round two").
    #[test]
    fn too_many_connections_are_refused() {
        let body = |n: usize| {
            let mut w = Writer::default();
            w.text("pcap file");
            w.u(0);
            w.u(0);
            w.u(0);
            w.u(n as u64);
            w.0.resize(w.0.len() + n, 0);
            let mut b = MAGIC.to_vec();
            b.push(VERSION);
            b.extend(miniz_oxide::deflate::compress_to_vec(&w.0, 6));
            b
        };
        assert_eq!(
            Bundle::from_bytes(&body(MAX_CONNECTIONS + 1)),
            Err(ShareError::TooManyConnections {
                count: MAX_CONNECTIONS + 1
            })
        );
        // At the cap, the connections are read (and these are malformed).
        assert!(matches!(
            Bundle::from_bytes(&body(MAX_CONNECTIONS)),
            Err(ShareError::Malformed { .. })
        ));
    }

    #[test]
    fn the_inflation_cap_is_exact() {
        let b = sample();
        let bytes = b.to_bytes();
        let body = miniz_oxide::inflate::decompress_to_vec(&bytes[6..]).unwrap_or_default();
        assert!(!body.is_empty());
        assert_eq!(Bundle::from_bytes_with_limit(&bytes, body.len()), Ok(b));
        assert_eq!(
            Bundle::from_bytes_with_limit(&bytes, body.len() - 1),
            Err(ShareError::TooLarge {
                limit: body.len() - 1
            })
        );
    }

    #[test]
    fn subsets_renumber_and_drop_state() {
        let mut b = sample();
        let mut second = b.connections[0].clone();
        second.id = 1;
        second.agent = SocketAddr::from_str("10.0.0.2:9000").ok();
        b.connections.push(second.clone());
        let s = b.subset(&[1, 7]);
        assert_eq!(s.connections.len(), 1);
        assert_eq!(s.connections[0].id, 0);
        assert_eq!(s.connections[0].agent, second.agent);
        assert!(s.state.is_empty());
        assert_eq!(b.get("note:1"), Some("the ACK"));
        assert_eq!(b.get("nope"), None);
    }
}
