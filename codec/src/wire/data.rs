//! Typed data (docs/protocol.md §4): one type byte `(FLAGS << 4) | TYPE`, then a
//! type-dependent body. The flag nibble is kept as decoded, so rules can see a BOOL with
//! flags 0x3 or a NULL with flags 0x1 (the old Go library's bool-false bug).

use core::fmt;

use super::cursor::{Cursor, Str};
use super::error::{DecodeError, ErrorKind, Field};
use crate::Span;

/// The ten SPOP data types (the low nibble of the type byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[repr(u8)]
pub enum DataType {
    /// No value (a failed sample fetch); as a set-var value it unsets the variable.
    Null = 0,
    /// A boolean carried in flag bit 0.
    Bool = 1,
    /// Signed 32-bit integer (varint; not range-checked by HAProxy).
    Int32 = 2,
    /// Unsigned 32-bit integer (varint).
    Uint32 = 3,
    /// Signed 64-bit integer (varint of the two's complement value).
    Int64 = 4,
    /// Unsigned 64-bit integer (varint).
    Uint64 = 5,
    /// IPv4 address, 4 bytes in network order.
    Ipv4 = 6,
    /// IPv6 address, 16 bytes in network order.
    Ipv6 = 7,
    /// Length-prefixed bytes, conventionally text (no UTF-8 requirement).
    String = 8,
    /// Length-prefixed bytes.
    Binary = 9,
}

impl DataType {
    /// The type for a type nibble, or `None` for the reserved values 10..=15.
    pub const fn from_nibble(n: u8) -> Option<DataType> {
        Some(match n {
            0 => DataType::Null,
            1 => DataType::Bool,
            2 => DataType::Int32,
            3 => DataType::Uint32,
            4 => DataType::Int64,
            5 => DataType::Uint64,
            6 => DataType::Ipv4,
            7 => DataType::Ipv6,
            8 => DataType::String,
            9 => DataType::Binary,
            _ => return None,
        })
    }

    /// The protocol's name for the type.
    pub const fn name(self) -> &'static str {
        match self {
            DataType::Null => "NULL",
            DataType::Bool => "BOOL",
            DataType::Int32 => "INT32",
            DataType::Uint32 => "UINT32",
            DataType::Int64 => "INT64",
            DataType::Uint64 => "UINT64",
            DataType::Ipv4 => "IPV4",
            DataType::Ipv6 => "IPV6",
            DataType::String => "STRING",
            DataType::Binary => "BINARY",
        }
    }

    /// True for the four integer types.
    pub const fn is_integer(self) -> bool {
        matches!(
            self,
            DataType::Int32 | DataType::Uint32 | DataType::Int64 | DataType::Uint64
        )
    }
}

/// A decoded value. Integers keep the raw unsigned varint value: HAProxy reads every integer
/// type into an int64 by casting, and rules need the raw value to spot an INT32 sent as
/// 4294967295. Use [`Value::as_i64`] for HAProxy's signed reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Value<'a> {
    /// NULL.
    Null,
    /// BOOL (flag bit 0, as the spec defines it).
    Bool(bool),
    /// INT32, raw varint value.
    Int32(u64),
    /// UINT32, raw varint value.
    Uint32(u64),
    /// INT64, raw varint value (two's complement).
    Int64(u64),
    /// UINT64.
    Uint64(u64),
    /// IPv4 address bytes.
    Ipv4([u8; 4]),
    /// IPv6 address bytes.
    Ipv6([u8; 16]),
    /// STRING bytes, borrowed.
    String(&'a [u8]),
    /// BINARY bytes, borrowed.
    Binary(&'a [u8]),
}

impl Value<'_> {
    /// The value's data type.
    pub const fn data_type(&self) -> DataType {
        match self {
            Value::Null => DataType::Null,
            Value::Bool(_) => DataType::Bool,
            Value::Int32(_) => DataType::Int32,
            Value::Uint32(_) => DataType::Uint32,
            Value::Int64(_) => DataType::Int64,
            Value::Uint64(_) => DataType::Uint64,
            Value::Ipv4(_) => DataType::Ipv4,
            Value::Ipv6(_) => DataType::Ipv6,
            Value::String(_) => DataType::String,
            Value::Binary(_) => DataType::Binary,
        }
    }

    /// The raw unsigned value of an integer type.
    pub const fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::Int32(v) | Value::Uint32(v) | Value::Int64(v) | Value::Uint64(v) => Some(v),
            _ => None,
        }
    }

    /// An integer as HAProxy stores it: the varint value cast to int64.
    pub const fn as_i64(&self) -> Option<i64> {
        match self.as_u64() {
            Some(v) => Some(v as i64),
            None => None,
        }
    }

    /// The bytes of a STRING or BINARY.
    pub const fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::String(b) | Value::Binary(b) => Some(b),
            _ => None,
        }
    }
}

impl fmt::Display for Value<'_> {
    /// A compact, human-readable rendering (strings quoted and escaped, binaries in hex).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int32(v) | Value::Int64(v) => write!(f, "{}", v as i64),
            Value::Uint32(v) | Value::Uint64(v) => write!(f, "{v}"),
            Value::Ipv4(a) => write!(f, "{}.{}.{}.{}", a[0], a[1], a[2], a[3]),
            Value::Ipv6(a) => fmt_ipv6(f, &a),
            Value::String(s) => write!(f, "\"{}\"", crate::display::Text(s)),
            Value::Binary(b) => {
                f.write_str("0x")?;
                for byte in b {
                    write!(f, "{byte:02x}")?;
                }
                Ok(())
            }
        }
    }
}

/// RFC 5952 text form (longest run of zero groups compressed).
fn fmt_ipv6(f: &mut fmt::Formatter<'_>, a: &[u8; 16]) -> fmt::Result {
    let mut groups = [0u16; 8];
    for (g, pair) in groups.iter_mut().zip(a.chunks_exact(2)) {
        if let [hi, lo] = *pair {
            *g = u16::from_be_bytes([hi, lo]);
        }
    }
    // Find the longest run (length ≥ 2) of zero groups.
    let (mut best, mut best_len, mut cur, mut cur_len) = (0usize, 0usize, 0usize, 0usize);
    for (i, &g) in groups.iter().enumerate() {
        if g == 0 {
            if cur_len == 0 {
                cur = i;
            }
            cur_len += 1;
            if cur_len > best_len {
                best = cur;
                best_len = cur_len;
            }
        } else {
            cur_len = 0;
        }
    }
    let write_groups = |f: &mut fmt::Formatter<'_>, gs: &[u16]| -> fmt::Result {
        for (i, g) in gs.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{g:x}")?;
        }
        Ok(())
    };
    if best_len >= 2 {
        write_groups(f, groups.get(..best).unwrap_or(&[]))?;
        f.write_str("::")?;
        write_groups(f, groups.get(best + best_len..).unwrap_or(&[]))
    } else {
        write_groups(f, &groups)
    }
}

/// A typed value with its flag nibble: what goes on the wire, minus positions. Used to build
/// frames ([`FrameRepr`](super::FrameRepr)) and as the decoded value of a [`TypedData`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Data<'a> {
    /// The high nibble of the type byte (0..=15). For BOOL, bit 0 is the value and is kept in
    /// sync with it by the encoder.
    pub flags: u8,
    /// The value.
    pub value: Value<'a>,
}

impl<'a> Data<'a> {
    /// A value with no stray flag bits (BOOL's value bit set as needed).
    pub const fn new(value: Value<'a>) -> Self {
        let flags = match value {
            Value::Bool(true) => 1,
            _ => 0,
        };
        Data { flags, value }
    }

    /// The type byte as it goes on the wire. For BOOL, flag bit 0 follows the value.
    pub const fn type_byte(&self) -> u8 {
        let flags = match self.value {
            Value::Bool(b) => (self.flags & 0x0E) | b as u8,
            _ => self.flags & 0x0F,
        };
        (flags << 4) | self.value.data_type() as u8
    }

    /// Number of bytes the encoding takes.
    pub fn encoded_len(&self) -> usize {
        use super::varint::encoded_len;
        1 + match self.value {
            Value::Null | Value::Bool(_) => 0,
            Value::Int32(v) | Value::Uint32(v) | Value::Int64(v) | Value::Uint64(v) => {
                encoded_len(v)
            }
            Value::Ipv4(_) => 4,
            Value::Ipv6(_) => 16,
            Value::String(b) | Value::Binary(b) => encoded_len(b.len() as u64) + b.len(),
        }
    }
}

impl<'a> From<Value<'a>> for Data<'a> {
    fn from(value: Value<'a>) -> Self {
        Data::new(value)
    }
}

/// A typed value decoded from the wire, with the spans of its parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TypedData<'a> {
    /// Flags and value.
    pub data: Data<'a>,
    /// The type byte.
    pub type_span: Span,
    /// The value's own bytes (varint, address, string bytes); empty for NULL and BOOL, whose
    /// value lives in the type byte.
    pub value_span: Span,
}

impl<'a> TypedData<'a> {
    /// Span of the whole encoding.
    pub fn span(&self) -> Span {
        self.type_span.join(self.value_span)
    }

    /// For STRING and BINARY, the length varint (between the type byte and the bytes).
    pub fn len_span(&self) -> Option<Span> {
        match self.data.value {
            Value::String(_) | Value::Binary(_) => {
                Some(Span::new(self.type_span.end, self.value_span.start))
            }
            _ => None,
        }
    }

    /// The value.
    pub const fn value(&self) -> &Value<'a> {
        &self.data.value
    }

    /// The flag nibble as read.
    pub const fn flags(&self) -> u8 {
        self.data.flags
    }

    /// The data type.
    pub const fn data_type(&self) -> DataType {
        self.data.value.data_type()
    }
}

/// Decodes one typed value; `field` names it in errors.
pub(crate) fn decode<'a>(c: &mut Cursor<'a>, field: Field) -> Result<TypedData<'a>, DecodeError> {
    let (type_byte, type_span) = c.u8(field)?;
    let flags = type_byte >> 4;
    let Some(ty) = DataType::from_nibble(type_byte & 0x0F) else {
        return Err(DecodeError::new(
            field,
            ErrorKind::ReservedDataType { type_byte },
            type_span,
        ));
    };
    let at_type_end = Span::at(type_span.end, 0);
    let (value, value_span) = match ty {
        DataType::Null => (Value::Null, at_type_end),
        DataType::Bool => (Value::Bool(flags & 1 == 1), at_type_end),
        DataType::Int32 | DataType::Uint32 | DataType::Int64 | DataType::Uint64 => {
            let (v, span) = c.varint(field)?;
            let value = match ty {
                DataType::Int32 => Value::Int32(v),
                DataType::Uint32 => Value::Uint32(v),
                DataType::Int64 => Value::Int64(v),
                _ => Value::Uint64(v),
            };
            (value, span)
        }
        DataType::Ipv4 => {
            let (a, span) = c.array::<4>(field)?;
            (Value::Ipv4(a), span)
        }
        DataType::Ipv6 => {
            let (a, span) = c.array::<16>(field)?;
            (Value::Ipv6(a), span)
        }
        DataType::String | DataType::Binary => {
            let Str {
                bytes, bytes_span, ..
            } = c.string(field)?;
            let value = if ty == DataType::String {
                Value::String(bytes)
            } else {
                Value::Binary(bytes)
            };
            (value, bytes_span)
        }
    };
    Ok(TypedData {
        data: Data { flags, value },
        type_span,
        value_span,
    })
}
