//! Decode errors as data, in the etherparse style: which field, where, what was expected and
//! what was found. A caller can report one and keep going (the analysis layer resynchronises).

use core::fmt;

use crate::Span;

/// Why a byte sequence is not a valid varint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum VarintError {
    /// The input ended where a continuation byte was expected (after a first byte ≥ 0xF0 or a
    /// byte with its high bit set). `available` bytes were present.
    Truncated {
        /// Bytes of the varint that were present.
        available: usize,
    },
    /// The 10th byte still has its continuation bit set: the varint would need an 11th byte,
    /// which HAProxy would shift by 67 bits (undefined behaviour in C).
    TooLong,
    /// Ten bytes whose sum exceeds 2^64−1 (HAProxy silently wraps these).
    Overflow,
}

impl fmt::Display for VarintError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VarintError::Truncated { available } => {
                write!(f, "varint truncated after {available} byte(s)")
            }
            VarintError::TooLong => f.write_str("varint longer than 10 bytes"),
            VarintError::Overflow => f.write_str("varint value overflows 64 bits"),
        }
    }
}

impl core::error::Error for VarintError {}

/// The protocol element that was being decoded when an error occurred.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum Field {
    /// The 4-byte LENGTH prefix.
    Length,
    /// The frame-type byte.
    FrameType,
    /// The 4-byte FLAGS word.
    Flags,
    /// The STREAM-ID varint.
    StreamId,
    /// The FRAME-ID varint.
    FrameId,
    /// A key of a KV-LIST (HELLO, DISCONNECT).
    Key,
    /// A value of a KV-LIST.
    KeyValue,
    /// A NOTIFY message name.
    MessageName,
    /// A NOTIFY message's NB-ARGS byte.
    MessageNbArgs,
    /// A NOTIFY argument name.
    ArgName,
    /// A NOTIFY argument value.
    ArgValue,
    /// An ACK action-type byte.
    ActionType,
    /// An ACK action's NB-ARGS byte.
    ActionNbArgs,
    /// An ACK action's scope byte.
    ActionScope,
    /// An ACK action's variable name.
    VarName,
    /// An ACK set-var value.
    VarValue,
}

impl Field {
    /// Human-readable name, in the protocol's words.
    pub const fn name(self) -> &'static str {
        match self {
            Field::Length => "frame length",
            Field::FrameType => "frame type",
            Field::Flags => "flags",
            Field::StreamId => "stream-id",
            Field::FrameId => "frame-id",
            Field::Key => "key",
            Field::KeyValue => "value",
            Field::MessageName => "message name",
            Field::MessageNbArgs => "message NB-ARGS",
            Field::ArgName => "argument name",
            Field::ArgValue => "argument value",
            Field::ActionType => "action type",
            Field::ActionNbArgs => "action NB-ARGS",
            Field::ActionScope => "variable scope",
            Field::VarName => "variable name",
            Field::VarValue => "variable value",
        }
    }
}

/// What went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case", tag = "kind"))]
pub enum ErrorKind {
    /// The field needs `needed` bytes but only `available` remain before the end of the frame
    /// (or of the input, for the LENGTH prefix).
    Truncated {
        /// Bytes the field needs.
        needed: u64,
        /// Bytes that were there.
        available: usize,
    },
    /// A malformed varint.
    Varint(VarintError),
    /// A typed-data type nibble in the reserved range 10..=15. The byte is kept here so
    /// nothing is lost.
    ReservedDataType {
        /// The whole type byte (flags nibble included).
        type_byte: u8,
    },
    /// LENGTH is smaller than the 7 bytes every frame needs (type, flags, two 1-byte ids).
    RuntFrame {
        /// The LENGTH read.
        length: u32,
    },
    /// LENGTH is above the limit the caller set (e.g. the negotiated max-frame-size).
    LengthAboveLimit {
        /// The LENGTH read.
        length: u32,
        /// The limit in force.
        limit: u32,
    },
}

/// A decode error: the field being decoded, what went wrong, and the bytes at fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct DecodeError {
    /// The element being decoded.
    pub field: Field,
    /// What went wrong.
    pub kind: ErrorKind,
    /// The bytes at fault (absolute stream offsets). For truncation, from the start of the
    /// field to the end of what was available.
    pub span: Span,
}

impl DecodeError {
    pub(crate) const fn new(field: Field, kind: ErrorKind, span: Span) -> Self {
        DecodeError { field, kind, span }
    }

    /// Absolute stream offset where the faulty element starts.
    pub const fn offset(&self) -> usize {
        self.span.start
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let field = self.field.name();
        let at = self.span.start;
        match self.kind {
            ErrorKind::Truncated { needed, available } => write!(
                f,
                "{field} at offset {at:#x}: expected {needed} byte(s), found {available} before the end of the frame"
            ),
            ErrorKind::Varint(VarintError::Truncated { available }) => write!(
                f,
                "{field} at offset {at:#x}: varint truncated after {available} byte(s) by the end of the frame"
            ),
            ErrorKind::Varint(VarintError::TooLong) => write!(
                f,
                "{field} at offset {at:#x}: varint longer than 10 bytes"
            ),
            ErrorKind::Varint(VarintError::Overflow) => write!(
                f,
                "{field} at offset {at:#x}: varint value overflows 64 bits"
            ),
            ErrorKind::ReservedDataType { type_byte } => write!(
                f,
                "{field} at offset {at:#x}: expected a data type 0..=9, found reserved type {} (byte {type_byte:#04x})",
                type_byte & 0x0F
            ),
            ErrorKind::RuntFrame { length } => write!(
                f,
                "frame at offset {at:#x}: LENGTH {length} is below the 7-byte minimum (type, flags, stream-id, frame-id)"
            ),
            ErrorKind::LengthAboveLimit { length, limit } => write!(
                f,
                "frame at offset {at:#x}: LENGTH {length} is above the limit of {limit}"
            ),
        }
    }
}

impl core::error::Error for DecodeError {}
