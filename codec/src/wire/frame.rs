//! The SPOP frame: `LENGTH:u32 | TYPE:u8 | FLAGS:u32 | STREAM-ID:varint | FRAME-ID:varint |
//! PAYLOAD` (docs/protocol.md §1, §3). [`Frame`] is a zero-copy view over the input; every
//! field's position is available as a [`Span`].

use core::fmt;

use super::cursor::Cursor;
use super::error::{DecodeError, ErrorKind, Field};
use super::payload::{self, Payload};
use crate::Span;

/// Size of the LENGTH prefix.
pub const LENGTH_SIZE: usize = 4;
/// Smallest legal LENGTH: type (1) + flags (4) + two one-byte ids.
pub const MIN_LENGTH: u32 = 7;
/// HAProxy's default max-frame-size (tune.bufsize 16384 − 4).
pub const DEFAULT_MAX_FRAME_SIZE: u32 = 16380;
/// The smallest max-frame-size an agent may announce.
pub const MIN_MAX_FRAME_SIZE: u32 = 256;

/// Who sent a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum Direction {
    /// HAProxy (the SPOE filter, TCP client) to the agent.
    HaproxyToAgent,
    /// The agent (SPOA, TCP server) to HAProxy.
    AgentToHaproxy,
}

impl Direction {
    /// The other direction.
    pub const fn reverse(self) -> Direction {
        match self {
            Direction::HaproxyToAgent => Direction::AgentToHaproxy,
            Direction::AgentToHaproxy => Direction::HaproxyToAgent,
        }
    }

    /// `"HAProxy → agent"` or `"agent → HAProxy"`, for people.
    pub const fn label(self) -> &'static str {
        match self {
            Direction::HaproxyToAgent => "HAProxy → agent",
            Direction::AgentToHaproxy => "agent → HAProxy",
        }
    }

    /// `"haproxy-to-agent"` or `"agent-to-haproxy"`.
    pub const fn name(self) -> &'static str {
        match self {
            Direction::HaproxyToAgent => "haproxy-to-agent",
            Direction::AgentToHaproxy => "agent-to-haproxy",
        }
    }
}

/// The frame type byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FrameType {
    /// 0: continuation fragment of a NOTIFY (HAProxy ≤3.0 fragmentation only).
    Unset,
    /// 1: HAProxy's handshake.
    HaproxyHello,
    /// 2: HAProxy closes the connection.
    HaproxyDisconnect,
    /// 3: messages for the agent to process.
    Notify,
    /// 101: the agent's handshake answer.
    AgentHello,
    /// 102: the agent closes the connection.
    AgentDisconnect,
    /// 103: the agent's answer to a NOTIFY.
    Ack,
    /// Any other value.
    Unknown(u8),
}

impl FrameType {
    /// The type for a type byte.
    pub const fn from_u8(b: u8) -> FrameType {
        match b {
            0 => FrameType::Unset,
            1 => FrameType::HaproxyHello,
            2 => FrameType::HaproxyDisconnect,
            3 => FrameType::Notify,
            101 => FrameType::AgentHello,
            102 => FrameType::AgentDisconnect,
            103 => FrameType::Ack,
            other => FrameType::Unknown(other),
        }
    }

    /// The type byte.
    pub const fn as_u8(self) -> u8 {
        match self {
            FrameType::Unset => 0,
            FrameType::HaproxyHello => 1,
            FrameType::HaproxyDisconnect => 2,
            FrameType::Notify => 3,
            FrameType::AgentHello => 101,
            FrameType::AgentDisconnect => 102,
            FrameType::Ack => 103,
            FrameType::Unknown(b) => b,
        }
    }

    /// The name used in docs/protocol.md (`"HAPROXY-HELLO"`, `"ACK"`, …; `"UNKNOWN"`).
    pub const fn name(self) -> &'static str {
        match self {
            FrameType::Unset => "UNSET",
            FrameType::HaproxyHello => "HAPROXY-HELLO",
            FrameType::HaproxyDisconnect => "HAPROXY-DISCONNECT",
            FrameType::Notify => "NOTIFY",
            FrameType::AgentHello => "AGENT-HELLO",
            FrameType::AgentDisconnect => "AGENT-DISCONNECT",
            FrameType::Ack => "ACK",
            FrameType::Unknown(_) => "UNKNOWN",
        }
    }

    /// The direction this type travels in, `None` for unknown types.
    pub const fn direction(self) -> Option<Direction> {
        match self {
            FrameType::Unset
            | FrameType::HaproxyHello
            | FrameType::HaproxyDisconnect
            | FrameType::Notify => Some(Direction::HaproxyToAgent),
            FrameType::AgentHello | FrameType::AgentDisconnect | FrameType::Ack => {
                Some(Direction::AgentToHaproxy)
            }
            FrameType::Unknown(_) => None,
        }
    }

    /// True for the connection-level frames (HELLO, DISCONNECT), which carry ids 0/0.
    pub const fn is_connection_level(self) -> bool {
        matches!(
            self,
            FrameType::HaproxyHello
                | FrameType::HaproxyDisconnect
                | FrameType::AgentHello
                | FrameType::AgentDisconnect
        )
    }
}

impl fmt::Display for FrameType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameType::Unknown(b) => write!(f, "UNKNOWN({b})"),
            t => f.write_str(t.name()),
        }
    }
}

/// The 32-bit FLAGS word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flags(pub u32);

impl Flags {
    /// Last fragment; set on every frame since fragmentation went away in HAProxy 3.1.
    pub const FIN: u32 = 0x0000_0001;
    /// Abort a fragmented frame (HAProxy ≤3.0 only).
    pub const ABORT: u32 = 0x0000_0002;
    /// What HAProxy always sends.
    pub const FIN_ONLY: Flags = Flags(Flags::FIN);

    /// FIN is set.
    pub const fn fin(self) -> bool {
        self.0 & Flags::FIN != 0
    }

    /// ABORT is set.
    pub const fn abort(self) -> bool {
        self.0 & Flags::ABORT != 0
    }

    /// Bits 2..31, reserved (HAProxy never sets them).
    pub const fn reserved(self) -> u32 {
        self.0 & !(Flags::FIN | Flags::ABORT)
    }
}

/// The decoded header fields of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FrameHeader {
    /// LENGTH: bytes after the prefix (type + flags + ids + payload).
    pub length: u32,
    /// TYPE.
    pub frame_type: FrameType,
    /// FLAGS.
    pub flags: Flags,
    /// STREAM-ID.
    pub stream_id: u64,
    /// FRAME-ID.
    pub frame_id: u64,
    stream_id_len: u8,
    frame_id_len: u8,
}

impl FrameHeader {
    /// The header that carries these fields. Every varint value has exactly one encoding, so
    /// the fields alone fix where each one lies: the analysis rebuilds headers from its
    /// timeline entries instead of decoding each frame again.
    pub const fn new(
        length: u32,
        frame_type: FrameType,
        flags: Flags,
        stream_id: u64,
        frame_id: u64,
    ) -> Self {
        FrameHeader {
            length,
            frame_type,
            flags,
            stream_id,
            frame_id,
            // At most 10 bytes.
            stream_id_len: super::varint::encoded_len(stream_id) as u8,
            frame_id_len: super::varint::encoded_len(frame_id) as u8,
        }
    }

    /// The LENGTH prefix of the frame starting at offset `start`.
    pub const fn length_span(&self, start: usize) -> Span {
        Span::at(start, LENGTH_SIZE)
    }

    /// The type byte of the frame starting at `start`.
    pub const fn type_span(&self, start: usize) -> Span {
        Span::at(start.saturating_add(LENGTH_SIZE), 1)
    }

    /// The FLAGS word of the frame starting at `start`.
    pub const fn flags_span(&self, start: usize) -> Span {
        Span::at(start.saturating_add(LENGTH_SIZE + 1), 4)
    }

    /// The STREAM-ID varint of the frame starting at `start`.
    pub const fn stream_id_span(&self, start: usize) -> Span {
        Span::at(
            start.saturating_add(LENGTH_SIZE + 5),
            self.stream_id_len as usize,
        )
    }

    /// The FRAME-ID varint of the frame starting at `start`.
    pub const fn frame_id_span(&self, start: usize) -> Span {
        Span::at(self.stream_id_span(start).end, self.frame_id_len as usize)
    }

    /// Bytes from the start of the LENGTH prefix to the payload.
    pub const fn header_len(&self) -> usize {
        LENGTH_SIZE + 5 + self.stream_id_len as usize + self.frame_id_len as usize
    }

    /// Bytes on the wire, LENGTH prefix included (saturating where usize is 32 bits wide and
    /// LENGTH is near 2^32).
    pub const fn wire_len(&self) -> usize {
        LENGTH_SIZE.saturating_add(self.length as usize)
    }

    /// Payload bytes (LENGTH minus type, flags and ids): what HAProxy 3.1+ compares with the
    /// negotiated max-frame-size. 0 for a header built with a LENGTH too small for its own
    /// fields (only [`FrameHeader::new`] can make one; decoding refuses it).
    pub const fn payload_len(&self) -> usize {
        self.wire_len().saturating_sub(self.header_len())
    }
}

/// A decoded frame: a view over the input bytes plus its header fields.
///
/// Payload grammars are validated when the frame is decoded; [`Frame::payload_error`] holds
/// the first violation, and [`Frame::payload`] iterates the payload's items (with spans)
/// without copying.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    bytes: &'a [u8],
    start: usize,
    header: FrameHeader,
    payload_error: Option<DecodeError>,
    plain: bool,
}

impl<'a> Frame<'a> {
    /// The header fields.
    pub const fn header(&self) -> &FrameHeader {
        &self.header
    }

    /// LENGTH.
    pub const fn length(&self) -> u32 {
        self.header.length
    }

    /// TYPE.
    pub const fn frame_type(&self) -> FrameType {
        self.header.frame_type
    }

    /// FLAGS.
    pub const fn flags(&self) -> Flags {
        self.header.flags
    }

    /// STREAM-ID.
    pub const fn stream_id(&self) -> u64 {
        self.header.stream_id
    }

    /// FRAME-ID.
    pub const fn frame_id(&self) -> u64 {
        self.header.frame_id
    }

    /// The frame's bytes on the wire, LENGTH prefix included.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The payload bytes.
    pub fn payload_bytes(&self) -> &'a [u8] {
        self.bytes.get(self.header.header_len()..).unwrap_or(&[])
    }

    /// The whole frame, LENGTH prefix included.
    pub const fn span(&self) -> Span {
        Span::at(self.start, self.bytes.len())
    }

    /// The LENGTH prefix.
    pub const fn length_span(&self) -> Span {
        self.header.length_span(self.start)
    }

    /// The type byte.
    pub const fn type_span(&self) -> Span {
        self.header.type_span(self.start)
    }

    /// The FLAGS word.
    pub const fn flags_span(&self) -> Span {
        self.header.flags_span(self.start)
    }

    /// The STREAM-ID varint.
    pub const fn stream_id_span(&self) -> Span {
        self.header.stream_id_span(self.start)
    }

    /// The FRAME-ID varint.
    pub const fn frame_id_span(&self) -> Span {
        self.header.frame_id_span(self.start)
    }

    /// The payload.
    pub const fn payload_span(&self) -> Span {
        Span::new(self.start + self.header.header_len(), self.span().end)
    }

    /// The payload, interpreted by the grammar of the frame's type.
    pub fn payload(&self) -> Payload<'a> {
        Payload::new(
            self.header.frame_type,
            self.header.flags,
            self.payload_bytes(),
            self.payload_span().start,
        )
    }

    /// The first violation of the payload grammar, if any: a length running past the frame
    /// end, a reserved data type, a truncated varint, or a list that does not end exactly at
    /// the frame end.
    pub const fn payload_error(&self) -> Option<&DecodeError> {
        self.payload_error.as_ref()
    }

    /// Whether the payload is valid and plainly written, nothing in it out of the ordinary:
    /// - every typed value is plainly encoded: no flag bits (beyond a BOOL's value), and
    ///   INT32/UINT32 values fit 32 bits;
    /// - every action is a SET-VAR or UNSET-VAR with its NB-ARGS, a known scope, and a name
    ///   that does not start with a control byte (as a typed STRING sent as a name does).
    ///
    /// `false` when unknown.
    pub const fn plain(&self) -> bool {
        self.plain
    }
}

impl fmt::Debug for Frame<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Frame")
            .field("span", &self.span())
            .field("type", &self.header.frame_type)
            .field("flags", &self.header.flags)
            .field("stream_id", &self.header.stream_id)
            .field("frame_id", &self.header.frame_id)
            .field("payload", &self.payload())
            .field("payload_error", &self.payload_error)
            .finish()
    }
}

/// Result of an incremental decode step (the httparse shape).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status<T> {
    /// A whole item was decoded.
    Complete(T),
    /// The input ends inside the item: at least `needed` more bytes are required.
    Partial {
        /// Bytes missing (exact once the LENGTH prefix has been read).
        needed: usize,
    },
}

/// Limits applied while decoding. The wire layer itself trusts no LENGTH for allocation; a
/// limit lets a caller reject implausible frames early (e.g. above max-frame-size).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Limits {
    /// Reject frames whose LENGTH exceeds this.
    pub max_length: Option<u32>,
}

impl Limits {
    /// Frames whose LENGTH exceeds `max_length` are rejected.
    pub const fn with_max(max_length: u32) -> Self {
        Limits {
            max_length: Some(max_length),
        }
    }
}

/// Reads the LENGTH prefix at the start of `buf`: the frame's total size on the wire.
pub fn peek_wire_len(buf: &[u8]) -> Status<usize> {
    match buf.get(..LENGTH_SIZE) {
        Some(&[a, b, c, d]) => {
            // Saturating: on 32-bit targets (wasm) LENGTH near u32::MAX plus 4 would wrap.
            Status::Complete(
                (u32::from_be_bytes([a, b, c, d]) as usize).saturating_add(LENGTH_SIZE),
            )
        }
        _ => Status::Partial {
            needed: LENGTH_SIZE - buf.len().min(LENGTH_SIZE),
        },
    }
}

/// Decodes the frame at the start of `buf`, whose first byte is at absolute stream offset
/// `base`.
///
/// * `Ok(Complete(frame))`: the whole frame was present. Payload grammar violations do not
///   fail the decode (the frame's boundaries are known); they are in
///   [`Frame::payload_error`].
/// * `Ok(Partial { needed })`: `buf` ends inside the frame.
/// * `Err(e)`: the header is unusable (runt LENGTH, LENGTH above the limit, malformed id
///   varint). The caller decides how to resynchronise.
pub fn decode_frame(
    buf: &[u8],
    base: usize,
    limits: Limits,
) -> Result<Status<Frame<'_>>, DecodeError> {
    decode(buf, base, limits, true)
}

/// [`decode_frame`] for a frame whose payload this crate has already validated (the analysis
/// records validity while cutting streams): skips the payload walk, which would otherwise be
/// repeated for every rule pass over 800 000 frames.
pub(crate) fn decode_frame_validated(
    buf: &[u8],
    base: usize,
    limits: Limits,
) -> Result<Status<Frame<'_>>, DecodeError> {
    decode(buf, base, limits, false)
}

fn decode(
    buf: &[u8],
    base: usize,
    limits: Limits,
    validate: bool,
) -> Result<Status<Frame<'_>>, DecodeError> {
    let wire_len = match peek_wire_len(buf) {
        Status::Complete(n) => n,
        Status::Partial { needed } => return Ok(Status::Partial { needed }),
    };
    let length = (wire_len - LENGTH_SIZE) as u32;
    let length_span = Span::at(base, LENGTH_SIZE);
    if length < MIN_LENGTH {
        return Err(DecodeError::new(
            Field::Length,
            ErrorKind::RuntFrame { length },
            length_span,
        ));
    }
    if let Some(limit) = limits.max_length {
        if length > limit {
            return Err(DecodeError::new(
                Field::Length,
                ErrorKind::LengthAboveLimit { length, limit },
                length_span,
            ));
        }
    }
    let Some(bytes) = buf.get(..wire_len) else {
        return Ok(Status::Partial {
            needed: wire_len - buf.len(),
        });
    };
    let body = bytes.get(LENGTH_SIZE..).unwrap_or(&[]);
    let mut c = Cursor::new(body, base + LENGTH_SIZE);
    let (type_byte, _) = c.u8(Field::FrameType)?;
    let (flags, _) = c.array::<4>(Field::Flags)?;
    let (stream_id, sid_span) = c.varint(Field::StreamId)?;
    let (frame_id, fid_span) = c.varint(Field::FrameId)?;
    let header = FrameHeader {
        length,
        frame_type: FrameType::from_u8(type_byte),
        flags: Flags(u32::from_be_bytes(flags)),
        stream_id,
        frame_id,
        // Varints are at most 10 bytes.
        stream_id_len: sid_span.len() as u8,
        frame_id_len: fid_span.len() as u8,
    };
    let (payload_error, plain) = if validate {
        match payload::validate(header.frame_type, header.flags, c.rest(), c.offset()) {
            Ok(plain) => (None, plain),
            Err(e) => (Some(e), false),
        }
    } else {
        (None, false)
    };
    Ok(Status::Complete(Frame {
        bytes,
        start: base,
        header,
        payload_error,
        plain,
    }))
}
