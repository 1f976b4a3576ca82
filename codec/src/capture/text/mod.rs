//! Pasted text: hex dumps and friends, auto-detected.
//!
//! Users paste whatever their tools printed: a hex dump of a stream, tcpdump's packet hex, a
//! Wireshark "Follow TCP Stream", frames from an agent's debug log, a gdb array, a VTest
//! script, base64. [`detect`] recognises the format, [`parse`] (or [`parse_as`] to force one)
//! turns the text into one of three shapes ([`TextContent`]):
//!
//! | format ([`TextFormat::name`]) | what it is | content |
//! |---|---|---|
//! | `tshark-follow-hex` | `tshark -q -z follow,tcp,hex,N` | [`TextContent::Connections`] |
//! | `tshark-follow-raw` | `tshark -q -z follow,tcp,raw,N` | [`TextContent::Connections`] |
//! | `tshark-follow-yaml` | `tshark -q -z follow,tcp,yaml,N` (with timestamps) | [`TextContent::Connections`] |
//! | `wireshark-follow-hex` | Wireshark GUI Follow TCP Stream → Show as Hex Dump | [`TextContent::Connections`] |
//! | `wireshark-follow-c-arrays` | Wireshark GUI Follow TCP Stream → Show as C Arrays | [`TextContent::Connections`] |
//! | `tcpdump` | `tcpdump -X`, `-XX`, `-x`, `-xx` (any `-t…` option) | [`TextContent::Packets`] |
//! | `packet-hex-dump` | `tshark -x` (with or without `-P`), Wireshark "Copy as Hex Dump", text2pcap input | [`TextContent::Packets`] |
//! | `xxd` | `xxd`, `xxd -g1`, `xxd -a`, `xxd -c N` | [`TextContent::Bytes`] |
//! | `hexdump-c` | `hexdump -C`, `hd` | [`TextContent::Bytes`] |
//! | `od` | `od -Ax -tx1`, `od -A x -t x1z` (also octal/decimal offsets) | [`TextContent::Bytes`] |
//! | `xxd-include` | `xxd -i` C array | [`TextContent::Bytes`] |
//! | `gdb` | gdb `p/x buf` arrays (`$1 = {0x0, …}`, `<repeats N times>`, strings), `x/Nxb` | [`TextContent::Bytes`] |
//! | `vtest-sendhex` | HAProxy VTest `sendhex "…"` lines | [`TextContent::Connections`] |
//! | `agent-debug` | log lines with a frame body in angle brackets: `<0100000001…>` | [`TextContent::Connections`] |
//! | `plain-hex` | hex digits with any spacing, `0x`/`\x` prefixes, commas, `#` comments | [`TextContent::Bytes`] |
//! | `base64` | standard or URL-safe alphabet, wrapped or not, padding optional | [`TextContent::Bytes`] |
//!
//! Detection goes from the most specific format to the least: tshark header, YAML follow,
//! tcpdump hex lines, xxd, hexdump -C, Follow hex lines, packet hex dumps, od, Follow C arrays,
//! `xxd -i`, gdb, VTest, angle-bracket frames, plain hex, base64. Text that is nothing but hex digits (and
//! separators) is plain hex even though it is also valid base64.
//!
//! ## Conventions
//!
//! * Lines and columns are 1-based; columns count characters. A line may end in `\n` or
//!   `\r\n`; a leading byte-order mark is ignored.
//! * Peer 0 is the side that opened the connection (tshark's `Node 0`, the unindented side of a
//!   Follow dump, a VTest `client` block, frames of HAProxy types 0–3); for SPOP that is
//!   HAProxy. Peer 1 is the other side (the agent).
//! * Timestamps are nanoseconds since the Unix epoch, read as UTC (tcpdump prints local
//!   time; the text does not say which zone). A time of day without a date (tcpdump's default)
//!   is placed on 1970-01-01; relative times (`-ttt`, `-ttttt`) count from 1970-01-01 00:00:00.
//!   Both cases are reported with a warning.
//! * Lines that belong to no part of the format (a shell prompt, a `$ xxd file` command line)
//!   are skipped with a [`TextWarningKind::IgnoredLine`] warning; a line that does belong to
//!   the format but is malformed (a bad hex digit in a dump line) is an error.
//! * Offsets are believed, never silently spliced over: in offset dumps (xxd, hexdump, od)
//!   and packet hex (tcpdump, tshark -x) each line's bytes are written where its offset says,
//!   as `xxd -r` does. Lines out of order go back in order, a line given twice overwrites the
//!   first copy, bytes no line gives (lines left out, a line skipped because its offset does
//!   not read, such as `0000003g`) are zeros. Follow dumps keep the bytes in the order printed
//!   (tshark prints each segment once, in order). Every such place is a
//!   [`TextWarningKind::OffsetGap`] that says which bytes it concerns
//!   ([`TextWarning::bytes`]); the capture layer reports them (notes, rule SPOP-C007).
//!
//! ## Panic and resource contract
//!
//! Nothing here panics. Parsing is a pass over the lines (linear in the text; offset dumps
//! take a second, to find their first offset). Output is bounded by the bytes present in the
//! text, except for the two notations that stand for repeated bytes — hexdump/od/xxd `*`
//! lines and gdb `<repeats N times>` — and the zeros where offsets jump, whose expansion is
//! capped in total at [`MAX_EXPANSION`] bytes.

mod agent;
mod b64;
mod detect;
mod dump;
mod follow;
mod gdb;
mod hex;
mod lines;
mod tcpdump;
mod time;
mod vtest;
mod yaml;

#[cfg(test)]
mod tests;

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::net::SocketAddr;

use super::{LinkType, Packet, Timestamp};
use crate::display::Escaped;

pub use detect::{detect, looks_like_text};

/// Upper bound, in bytes, on what repeat notations (`*` lines of hexdump/od/xxd, gdb's
/// `<repeats N times>`) and the zeros of offset jumps may add to one parse result. These are
/// the only places where the output can be larger than the hex present in the text; a larger
/// expansion is an error ([`TextErrorKind::TooLarge`]).
pub const MAX_EXPANSION: usize = 16 * 1024 * 1024;

/// At most this many warnings are kept; the rest are counted in a final
/// [`TextWarningKind::Suppressed`].
pub const MAX_WARNINGS: usize = 100;

/// A pasted-text format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum TextFormat {
    /// `tshark -q -z follow,tcp,hex,N`: header with `Node 0/1` addresses, hex-dump lines, the
    /// second peer's lines indented with a tab.
    TsharkFollowHex,
    /// `tshark -q -z follow,tcp,raw,N`: one line of hex per TCP segment, second peer indented.
    TsharkFollowRaw,
    /// `tshark -q -z follow,tcp,yaml,N`: peers and base64 packets with timestamps.
    TsharkFollowYaml,
    /// Wireshark's Follow TCP Stream dialog, "Show as Hex Dump": like tshark's hex output
    /// without the header, the second peer indented with 4 spaces.
    WiresharkFollowHex,
    /// Wireshark's Follow TCP Stream dialog, "Show as C Arrays": `char peer0_0[] = { … };`
    /// per segment.
    WiresharkFollowCArrays,
    /// `tcpdump -X`/`-XX`/`-x`/`-xx` output: a summary line per packet, then `0x0000:` lines.
    Tcpdump,
    /// Packet bytes as `tshark -x` or Wireshark's "Copy as Hex Dump" print them
    /// (`0000  00 00 … 08 00 45 00   ......E.`), one block per packet.
    PacketHexDump,
    /// `xxd` hex dump (`00000000: 0000 007b …  ...{`).
    Xxd,
    /// `hexdump -C` canonical dump (`00000000  00 00 00 7b …  |...{|`).
    HexdumpC,
    /// `od -Ax -tx1` dump, with or without the `z` ASCII column.
    Od,
    /// `xxd -i` C include file (`unsigned char x[] = { 0x00, … };`).
    XxdInclude,
    /// gdb output: `$1 = {0x0, 0x7b, …}` arrays (with `<repeats N times>` and string parts)
    /// or `x/Nxb` examine lines.
    Gdb,
    /// HAProxy VTest script lines `sendhex "…"` inside `client`/`server` blocks.
    VtestSendhex,
    /// Agent debug log: one SPOP frame body per `<…>` (type byte first, no LENGTH prefix).
    AgentDebug,
    /// Hex digits with any spacing, optional `0x`/`\x` prefixes, commas, `#` comments.
    PlainHex,
    /// Base64, standard or URL-safe alphabet, line-wrapped or not, padding optional.
    Base64,
}

impl TextFormat {
    /// Every format, in detection order.
    pub const ALL: [TextFormat; 16] = [
        TextFormat::TsharkFollowHex,
        TextFormat::TsharkFollowRaw,
        TextFormat::TsharkFollowYaml,
        TextFormat::Tcpdump,
        TextFormat::Xxd,
        TextFormat::HexdumpC,
        TextFormat::WiresharkFollowHex,
        TextFormat::PacketHexDump,
        TextFormat::Od,
        TextFormat::WiresharkFollowCArrays,
        TextFormat::XxdInclude,
        TextFormat::Gdb,
        TextFormat::VtestSendhex,
        TextFormat::AgentDebug,
        TextFormat::PlainHex,
        TextFormat::Base64,
    ];

    /// Stable machine name (kebab-case; the serde name too).
    pub const fn name(self) -> &'static str {
        match self {
            TextFormat::TsharkFollowHex => "tshark-follow-hex",
            TextFormat::TsharkFollowRaw => "tshark-follow-raw",
            TextFormat::TsharkFollowYaml => "tshark-follow-yaml",
            TextFormat::WiresharkFollowHex => "wireshark-follow-hex",
            TextFormat::WiresharkFollowCArrays => "wireshark-follow-c-arrays",
            TextFormat::Tcpdump => "tcpdump",
            TextFormat::PacketHexDump => "packet-hex-dump",
            TextFormat::Xxd => "xxd",
            TextFormat::HexdumpC => "hexdump-c",
            TextFormat::Od => "od",
            TextFormat::XxdInclude => "xxd-include",
            TextFormat::Gdb => "gdb",
            TextFormat::VtestSendhex => "vtest-sendhex",
            TextFormat::AgentDebug => "agent-debug",
            TextFormat::PlainHex => "plain-hex",
            TextFormat::Base64 => "base64",
        }
    }

    /// Human label, for "detected: …" messages.
    pub const fn label(self) -> &'static str {
        match self {
            TextFormat::TsharkFollowHex => "tshark Follow TCP Stream (hex)",
            TextFormat::TsharkFollowRaw => "tshark Follow TCP Stream (raw)",
            TextFormat::TsharkFollowYaml => "tshark Follow TCP Stream (YAML)",
            TextFormat::WiresharkFollowHex => "Wireshark Follow TCP Stream hex dump",
            TextFormat::WiresharkFollowCArrays => "Wireshark Follow TCP Stream C arrays",
            TextFormat::Tcpdump => "tcpdump -X/-XX hex output",
            TextFormat::PacketHexDump => "packet bytes hex dump (tshark -x)",
            TextFormat::Xxd => "xxd hex dump",
            TextFormat::HexdumpC => "hexdump -C dump",
            TextFormat::Od => "od -t x1 dump",
            TextFormat::XxdInclude => "xxd -i C array",
            TextFormat::Gdb => "gdb byte array",
            TextFormat::VtestSendhex => "VTest sendhex script",
            TextFormat::AgentDebug => "agent debug log (<hex> frames)",
            TextFormat::PlainHex => "plain hex",
            TextFormat::Base64 => "base64",
        }
    }

    /// The format with this [`name`](Self::name).
    pub fn from_name(name: &str) -> Option<TextFormat> {
        TextFormat::ALL.into_iter().find(|f| f.name() == name)
    }
}

impl fmt::Display for TextFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The result of parsing pasted text.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct TextCapture {
    /// The format the text was read as (detected, or forced with [`parse_as`]).
    pub format: TextFormat,
    /// What the text contains.
    pub content: TextContent,
    /// Things that were skipped or guessed, in line order (at most [`MAX_WARNINGS`] plus a
    /// final [`TextWarningKind::Suppressed`]).
    pub warnings: Vec<TextWarning>,
}

/// What a pasted text contains, by how much of the network stack the tool already removed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum TextContent {
    /// Opaque bytes (plain hex, xxd, hexdump, od, C arrays, gdb, base64). They may be a pcap or
    /// pcapng file or a raw SPOP byte stream: the caller detects which, as for a dropped file.
    Bytes(Vec<u8>),
    /// TCP payload already reassembled by the tool, in chunks with their sender (Follow
    /// outputs, VTest scripts, agent debug frames). One entry per TCP connection, in the order
    /// the text lists them.
    Connections(Vec<TextConnection>),
    /// Packets for the link/IP/TCP layers (tcpdump and tshark packet hex), in text order.
    Packets(Vec<TextPacket>),
}

/// One TCP connection's payload as it appears in the text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct TextConnection {
    /// What the text says about peer 0 (the connection's opener) and peer 1, if anything.
    pub peers: [Option<PeerInfo>; 2],
    /// Payload chunks in text order, both directions interleaved as the tool printed them.
    pub chunks: Vec<StreamChunk>,
}

impl TextConnection {
    /// All bytes one peer sent, concatenated in order (`peer` 0 or 1; chunks whose sender is
    /// unknown are not included).
    pub fn peer_bytes(&self, peer: u8) -> Vec<u8> {
        let mut out = Vec::new();
        for chunk in self.chunks.iter().filter(|c| c.peer == Some(peer)) {
            out.extend_from_slice(&chunk.data);
        }
        out
    }
}

/// What the text says about one end of a connection.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct PeerInfo {
    /// Address and port as the tool printed them (`127.0.0.1:42636`, `[::1]:12345`).
    pub address: Option<String>,
    /// A name the text gives the peer (VTest `c1`/`s1`, `haproxy`/`agent` for debug frames).
    pub name: Option<String>,
}

impl PeerInfo {
    /// The address as a socket address, if it is one (also accepts an unbracketed IPv6
    /// address followed by `:port`).
    pub fn socket_addr(&self) -> Option<SocketAddr> {
        let text = self.address.as_deref()?;
        if let Ok(addr) = text.parse::<SocketAddr>() {
            return Some(addr);
        }
        let (ip, port) = text.rsplit_once(':')?;
        let ip = ip.parse::<core::net::IpAddr>().ok()?;
        let port = port.parse::<u16>().ok()?;
        Some(SocketAddr::new(ip, port))
    }
}

/// A run of payload bytes one peer sent (usually one TCP segment, or one write).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct StreamChunk {
    /// Sender: 0 = the connection's opener (HAProxy), 1 = the other side (agent), `None` when
    /// the text does not say.
    pub peer: Option<u8>,
    /// The payload bytes.
    pub data: Vec<u8>,
    /// 1-based source line where the chunk starts.
    pub line: usize,
    /// Capture time, when the text has one (tshark YAML).
    pub timestamp: Option<Timestamp>,
    /// Packet (frame) number in the original capture, when the text has one (tshark YAML,
    /// Wireshark C arrays); for a VTest script, the chunk's place in the order a run of the
    /// script sends them (its blocks list each side apart).
    pub packet: Option<u32>,
}

/// A packet printed by tcpdump or tshark.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct TextPacket {
    /// 1-based packet number: tcpdump's `-#` or tshark's frame number when printed, else the
    /// position in the text.
    pub number: u32,
    /// Capture time (see the module docs for dates and time zones); 0 when the text has none
    /// (`tcpdump -t`, `tshark -x` without `-P`).
    pub timestamp: Timestamp,
    /// Where `data` starts: [`LinkType::RAW`] when the bytes start with an IP header (`-X`/`-x`),
    /// else the link type of the capture (`-XX`/`-xx`, `tshark -x`), from tcpdump's
    /// `link-type` line or inferred from the first bytes.
    pub link_type: LinkType,
    /// The bytes tcpdump printed.
    pub data: Vec<u8>,
    /// 1-based line of the packet's summary line (or of its first hex line).
    pub line: usize,
}

impl TextPacket {
    /// The packet in the shape the pcap readers produce (`orig_len` = printed length,
    /// `file_offset` = 0: there is no file).
    pub fn as_packet(&self) -> Packet<'_> {
        Packet {
            number: self.number,
            timestamp: self.timestamp,
            link_type: self.link_type,
            data: &self.data,
            orig_len: u32::try_from(self.data.len()).unwrap_or(u32::MAX),
            file_offset: 0,
        }
    }
}

/// Something the parser skipped or guessed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct TextWarning {
    /// 1-based line it refers to.
    pub line: usize,
    /// What happened.
    pub kind: TextWarningKind,
    /// The bytes of the result it concerns, when it concerns bytes (see
    /// [`TextWarningKind::is_damage`]).
    pub bytes: Option<TextBytes>,
}

/// Bytes of a parse result ([`TextContent`]) that a warning concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct TextBytes {
    /// Which part of the content: 0 for [`TextContent::Bytes`], the connection's index for
    /// [`TextContent::Connections`], the packet's index for [`TextContent::Packets`].
    pub part: usize,
    /// For a connection, the peer whose bytes ([`TextConnection::peer_bytes`]) `span` is in.
    pub peer: Option<u8>,
    /// The bytes (in the bytes, the peer's bytes or the packet's data); empty for a place
    /// between two bytes (where bytes are missing).
    pub span: crate::Span,
}

/// The kinds of [`TextWarning`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case", tag = "kind"))]
pub enum TextWarningKind {
    /// A line that is not part of the format was skipped.
    IgnoredLine,
    /// A dump line's offset is not where the previous line ended: lines are missing, out of
    /// order or repeated (or a line whose offset could not be read was skipped). In offset
    /// dumps (xxd, hexdump, od) and packet hex (tcpdump, tshark -x) the line's bytes go where
    /// its offset says and missing bytes are zeros, as `xxd -r` writes them; in Follow dumps
    /// the bytes stay in the order printed. [`TextWarning::bytes`] has the line's bytes and
    /// the zeros before them.
    OffsetGap {
        /// Offset the line should have had.
        expected: u64,
        /// Offset it has.
        found: u64,
    },
    /// The ASCII column does not show the bytes of the hex columns; the hex was used.
    AsciiMismatch,
    /// A `*` repeat line is not followed by an offset, so the repeat count is unknown; nothing
    /// was repeated.
    RepeatWithoutEnd,
    /// A `*` repeat covers a byte count that is not a whole number of the repeated line.
    RepeatPartialLine,
    /// tcpdump printed no `link-type` line and the first bytes did not tell; this link type
    /// was assumed.
    LinkTypeGuessed {
        /// The link type used.
        link_type: LinkType,
    },
    /// Timestamps are times of day without a date: they were placed on 1970-01-01 (UTC).
    TimeOfDayOnly,
    /// Timestamps are relative (`tcpdump -ttt`/`-ttttt`): they count from 1970-01-01.
    RelativeTimestamps,
    /// Packets carry no timestamp (`tcpdump -t`): 0 was used.
    NoTimestamps,
    /// Hex lines without a preceding summary line: they were taken as a packet of their own.
    MissingPacketHeader,
    /// An agent debug frame whose type byte is neither HAProxy's nor the agent's: its sender
    /// is unknown.
    UnknownFrameType {
        /// The type byte.
        frame_type: u8,
    },
    /// gdb stopped printing (`...`, its `print elements` limit): the bytes are incomplete.
    Truncated,
    /// More warnings than [`MAX_WARNINGS`]; this many were dropped.
    Suppressed {
        /// Number of dropped warnings.
        count: usize,
    },
}

impl TextWarningKind {
    /// Whether the bytes may not be what the tool printed: lines missing, out of order or
    /// edited (offset gaps, an ASCII column that shows other bytes), repeats that could not be
    /// expanded as written, an array cut short. The other warnings are about what the text
    /// does not say (dates, the link type, the sender of a frame) or lines left out that held
    /// no bytes.
    pub const fn is_damage(&self) -> bool {
        matches!(
            self,
            TextWarningKind::OffsetGap { .. }
                | TextWarningKind::AsciiMismatch
                | TextWarningKind::RepeatWithoutEnd
                | TextWarningKind::RepeatPartialLine
                | TextWarningKind::Truncated
        )
    }
}

impl fmt::Display for TextWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: ", self.line)?;
        match &self.kind {
            TextWarningKind::IgnoredLine => f.write_str("line skipped: not part of the format"),
            TextWarningKind::OffsetGap { expected, found } if found > expected => write!(
                f,
                "offset {found:#x} where {expected:#x} was expected: {} byte(s) skipped (lines \
                 left out or out of order, or a line whose offset could not be read)",
                found - expected
            ),
            TextWarningKind::OffsetGap { expected, found } => write!(
                f,
                "offset {found:#x} where {expected:#x} was expected: the offsets go back (lines \
                 out of order or repeated)"
            ),
            TextWarningKind::AsciiMismatch => {
                f.write_str("the ASCII column does not match the hex bytes; the hex was used")
            }
            TextWarningKind::RepeatWithoutEnd => {
                f.write_str("`*` repeat line with no offset after it: nothing was repeated")
            }
            TextWarningKind::RepeatPartialLine => {
                f.write_str("`*` repeat does not cover a whole number of lines")
            }
            TextWarningKind::LinkTypeGuessed { link_type } => write!(
                f,
                "no link-type line and the bytes do not tell: assumed link type {}",
                link_type.0
            ),
            TextWarningKind::TimeOfDayOnly => {
                f.write_str("timestamps have no date: placed on 1970-01-01 (UTC)")
            }
            TextWarningKind::RelativeTimestamps => {
                f.write_str("relative timestamps: counted from 1970-01-01 00:00:00")
            }
            TextWarningKind::NoTimestamps => f.write_str("packets have no timestamps"),
            TextWarningKind::MissingPacketHeader => {
                f.write_str("hex lines without a packet summary line: taken as a new packet")
            }
            TextWarningKind::UnknownFrameType { frame_type } => write!(
                f,
                "frame type {frame_type} is neither HAProxy's nor the agent's: sender unknown"
            ),
            TextWarningKind::Truncated => {
                f.write_str("gdb truncated the array (`...`): bytes are missing")
            }
            TextWarningKind::Suppressed { count } => write!(f, "{count} more warnings"),
        }
    }
}

/// Why a text could not be parsed, and where. Its message ([`fmt::Display`]) quotes the text
/// [`escape`](crate::display::escape)d: an excerpt of a paste may hold terminal controls.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct TextError {
    /// The format the text was being read as, if one was recognised.
    pub format: Option<TextFormat>,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// What was wrong.
    pub kind: TextErrorKind,
}

/// The kinds of [`TextError`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case", tag = "kind"))]
pub enum TextErrorKind {
    /// The text is empty or only whitespace.
    Empty,
    /// The text is in none of the supported formats.
    UnknownFormat,
    /// The format was recognised but the text holds no bytes.
    NoData,
    /// Something else was expected here.
    Expected {
        /// What was expected, in words (`"a hex digit"`).
        expected: &'static str,
        /// What was there (a short excerpt as written, escaped in the message; empty at the
        /// end of a line).
        found: String,
    },
    /// A hex number has an odd count of digits, so it is not a whole number of bytes.
    OddHexDigits {
        /// The digits found (as written, escaped in the message).
        digits: String,
    },
    /// A number in an array is not a byte (-128..=255).
    ByteOutOfRange {
        /// The number as written (escaped in the message).
        value: String,
    },
    /// Repeat notations or offset jumps would expand beyond [`MAX_EXPANSION`] bytes.
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// A tshark Follow mode whose output cannot be turned back into bytes (`ascii`,
    /// `ebcdic`, …).
    UnsupportedFollowMode {
        /// The mode as printed (escaped in the message).
        mode: String,
    },
    /// Base64 text that mixes the standard (`+/`) and URL-safe (`-_`) alphabets.
    MixedBase64Alphabets,
    /// Base64 text whose length or last symbol is not a valid encoding.
    InvalidBase64,
}

impl fmt::Display for TextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(format) = self.format {
            write!(f, "{}: ", format.label())?;
        }
        match &self.kind {
            TextErrorKind::Empty => return f.write_str("the text is empty"),
            TextErrorKind::UnknownFormat => {
                return f.write_str(
                    "text, but not a format I know (hex, hex dumps, tcpdump -X, Wireshark/tshark \
                     Follow Stream, gdb arrays, VTest sendhex, <hex> debug frames, base64): \
                     paste the capture's bytes as hex (tcpdump -XX, tshark -x, xxd) or open the \
                     .pcap or .pcapng file itself",
                )
            }
            _ => {}
        }
        write!(f, "line {}, column {}: ", self.line, self.column)?;
        match &self.kind {
            TextErrorKind::Empty | TextErrorKind::UnknownFormat => Ok(()),
            TextErrorKind::NoData => f.write_str("no bytes found"),
            TextErrorKind::Expected { expected, found } => {
                if found.is_empty() {
                    write!(f, "expected {expected}, found the end of the line")
                } else {
                    write!(f, "expected {expected}, found `{}`", Escaped(found))
                }
            }
            TextErrorKind::OddHexDigits { digits } => write!(
                f,
                "odd number of hex digits in `{}` (each byte needs two digits)",
                Escaped(digits)
            ),
            TextErrorKind::ByteOutOfRange { value } => {
                write!(f, "`{}` is not a byte value (0 to 255)", Escaped(value))
            }
            TextErrorKind::TooLarge { limit } => write!(
                f,
                "repeated bytes or an offset jump would make the data larger than the \
                 {limit}-byte limit"
            ),
            TextErrorKind::UnsupportedFollowMode { mode } => write!(
                f,
                "Follow mode `{}` does not keep the bytes; use `hex`, `raw` or `yaml`",
                Escaped(mode)
            ),
            TextErrorKind::MixedBase64Alphabets => {
                f.write_str("base64 mixes the standard (+/) and URL-safe (-_) alphabets")
            }
            TextErrorKind::InvalidBase64 => {
                f.write_str("base64 is cut short or has a bad last character")
            }
        }
    }
}

impl core::error::Error for TextError {}

/// Detects the format of `text` and parses it.
///
/// Errors: [`TextErrorKind::Empty`] for blank text, [`TextErrorKind::UnknownFormat`] when no
/// format matches, otherwise whatever the detected format's parser reports.
pub fn parse(text: &str) -> Result<TextCapture, TextError> {
    let body = strip_bom(text);
    if body.trim().is_empty() {
        return Err(TextError::new(1, 1, TextErrorKind::Empty));
    }
    match detect(body) {
        Some(format) => parse_as(body, format),
        None => {
            let line = lines::lines(body)
                .find(|l| !l.text.trim().is_empty())
                .map_or(1, |l| l.no);
            Err(TextError::new(line, 1, TextErrorKind::UnknownFormat))
        }
    }
}

/// Parses `text` as `format`, without detection (for a user who picked the format).
pub fn parse_as(text: &str, format: TextFormat) -> Result<TextCapture, TextError> {
    let text = strip_bom(text);
    let mut warnings = Warnings::default();
    let result = match format {
        TextFormat::TsharkFollowHex
        | TextFormat::TsharkFollowRaw
        | TextFormat::WiresharkFollowHex => {
            follow::parse(text, format, &mut warnings).map(TextContent::Connections)
        }
        TextFormat::TsharkFollowYaml => {
            yaml::parse(text, &mut warnings).map(TextContent::Connections)
        }
        TextFormat::WiresharkFollowCArrays => {
            follow::parse_c_arrays(text, &mut warnings).map(TextContent::Connections)
        }
        TextFormat::Tcpdump => tcpdump::parse(text, &mut warnings).map(TextContent::Packets),
        TextFormat::PacketHexDump => {
            tcpdump::parse_packet_dump(text, &mut warnings).map(TextContent::Packets)
        }
        TextFormat::Xxd | TextFormat::HexdumpC | TextFormat::Od => {
            dump::parse(text, format, &mut warnings).map(TextContent::Bytes)
        }
        TextFormat::XxdInclude | TextFormat::Gdb => {
            gdb::parse(text, &mut warnings).map(TextContent::Bytes)
        }
        TextFormat::VtestSendhex => vtest::parse(text, &mut warnings).map(TextContent::Connections),
        TextFormat::AgentDebug => agent::parse(text, &mut warnings).map(TextContent::Connections),
        TextFormat::PlainHex => hex::parse_plain(text).map(TextContent::Bytes),
        TextFormat::Base64 => b64::parse(text).map(TextContent::Bytes),
    };
    let content = result.map_err(|e| e.with_format(format))?;
    if content_is_empty(&content) {
        let line = lines::lines(text)
            .find(|l| !l.text.trim().is_empty())
            .map_or(1, |l| l.no);
        return Err(TextError::new(line, 1, TextErrorKind::NoData).with_format(format));
    }
    Ok(TextCapture {
        format,
        content,
        warnings: warnings.finish(),
    })
}

fn content_is_empty(content: &TextContent) -> bool {
    match content {
        TextContent::Bytes(bytes) => bytes.is_empty(),
        TextContent::Connections(conns) => conns.iter().all(|c| c.chunks.is_empty()),
        TextContent::Packets(packets) => packets.is_empty(),
    }
}

fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

impl TextError {
    pub(crate) fn new(line: usize, column: usize, kind: TextErrorKind) -> Self {
        TextError {
            format: None,
            line,
            column,
            kind,
        }
    }

    /// An error at byte index `byte` of `line`.
    pub(crate) fn at(line: lines::Line<'_>, byte: usize, kind: TextErrorKind) -> Self {
        TextError::new(line.no, lines::column(line.text, byte), kind)
    }

    /// "expected X, found <excerpt at byte>".
    pub(crate) fn expected(line: lines::Line<'_>, byte: usize, expected: &'static str) -> Self {
        let found = lines::excerpt(line.text, byte);
        TextError::at(line, byte, TextErrorKind::Expected { expected, found })
    }

    /// A C/gdb array element that does not fit a byte, quoted up to its `,` or `}`.
    pub(crate) fn element_out_of_range(line: lines::Line<'_>, byte: usize) -> Self {
        let value = lines::excerpt(line.text, byte)
            .trim_end_matches([',', '}'])
            .into();
        TextError::at(line, byte, TextErrorKind::ByteOutOfRange { value })
    }

    fn with_format(mut self, format: TextFormat) -> Self {
        self.format = Some(format);
        self
    }
}

/// Collects warnings, keeping at most [`MAX_WARNINGS`].
#[derive(Debug, Default)]
pub(crate) struct Warnings {
    list: Vec<TextWarning>,
    suppressed: usize,
    last_line: usize,
}

impl Warnings {
    pub(crate) fn push(&mut self, line: usize, kind: TextWarningKind) {
        self.push_at(line, kind, None);
    }

    /// A warning about `bytes` of the result.
    pub(crate) fn push_at(&mut self, line: usize, kind: TextWarningKind, bytes: Option<TextBytes>) {
        if self.list.len() < MAX_WARNINGS {
            self.list.push(TextWarning { line, kind, bytes });
        } else {
            self.suppressed = self.suppressed.saturating_add(1);
            self.last_line = line;
        }
    }

    /// Gives the warnings of `line` pushed last that have no bytes yet (those a line reader
    /// such as [`dump::hex_area`] pushed before the line's bytes had their place) the bytes
    /// `at` returns for their kind.
    pub(crate) fn locate(
        &mut self,
        line: usize,
        mut at: impl FnMut(&TextWarningKind) -> Option<TextBytes>,
    ) {
        for w in self.list.iter_mut().rev().take_while(|w| w.line == line) {
            if w.bytes.is_none() {
                w.bytes = at(&w.kind);
            }
        }
    }

    fn finish(mut self) -> Vec<TextWarning> {
        if self.suppressed > 0 {
            self.list.push(TextWarning {
                line: self.last_line,
                kind: TextWarningKind::Suppressed {
                    count: self.suppressed,
                },
                bytes: None,
            });
        }
        self.list
    }
}

/// Budget for repeat expansions (`*` lines, gdb repeats) across one parse.
#[derive(Debug)]
pub(crate) struct Expansion {
    left: usize,
}

impl Default for Expansion {
    fn default() -> Self {
        Expansion {
            left: MAX_EXPANSION,
        }
    }
}

impl Expansion {
    /// Appends `count` bytes repeating `pattern` (cyclically) to `out`, or fails with
    /// [`TextErrorKind::TooLarge`] (reported at `line`, column 1) when over budget.
    pub(crate) fn repeat(
        &mut self,
        out: &mut Vec<u8>,
        pattern: &[u8],
        count: u64,
        line: usize,
    ) -> Result<(), TextError> {
        let count = usize::try_from(count).unwrap_or(usize::MAX);
        if count > self.left {
            return Err(TextError::new(
                line,
                1,
                TextErrorKind::TooLarge {
                    limit: MAX_EXPANSION,
                },
            ));
        }
        if pattern.is_empty() {
            return Ok(());
        }
        self.left -= count;
        out.reserve(count);
        out.extend(pattern.iter().copied().cycle().take(count));
        Ok(())
    }
}
