//! Typed-data rules: type nibbles and flag nibbles HAProxy reads differently from what the
//! sender meant, and integers outside their declared width.

use alloc::format;
use alloc::string::String;

use super::{Cx, Rule, Severity};
use crate::analysis::{text, FrameEntry};
use crate::wire::{ActionBody, DataType, ErrorKind, Frame, Payload, TypedData, Value};

/// SPOP-D001.
pub const D001: Rule = Rule {
    code: "SPOP-D001",
    name: "unknown-data-type",
    severity: Severity::Error,
    title: "typed data with a reserved type (10..15)",
    explanation: "Only types 0..9 exist. HAProxy's decoder consumes just the type byte of an unknown type and then misreads \
everything after it; the value and the rest of the frame are lost.",
};

/// SPOP-D002.
pub const D002: Rule = Rule {
    code: "SPOP-D002",
    name: "bool-flags",
    severity: Severity::Warning,
    title: "BOOL with flag bits other than the value bit",
    explanation: "A BOOL's value is bit 0 of the flag nibble, but HAProxy tests `(byte & 0xF0) == 0x10`: a BOOL sent as \
0x31 or 0x51 reads as false in HAProxy although the sender meant true.",
};

/// SPOP-D003.
pub const D003: Rule = Rule {
    code: "SPOP-D003",
    name: "null-with-flags",
    severity: Severity::Warning,
    title: "NULL with flag bits (0x10: the old bool-false bug)",
    explanation: "0x10 is NULL with a flag bit: the exact signature of negasus/haproxy-spoe-go's old bool-false encoding \
(fixed by PR #22). HAProxy reads a NULL set-var value as \"unset the variable\", so the variable disappears instead of \
becoming false.",
};

/// SPOP-D004.
pub const D004: Rule = Rule {
    code: "SPOP-D004",
    name: "int32-range",
    severity: Severity::Warning,
    title: "INT32/UINT32 value outside 32 bits",
    explanation: "HAProxy does not range-check INT32/UINT32: it reads every integer into an int64. An agent that encodes \
int32 −1 as the unsigned 4294967295 makes HAProxy store +4294967295; to deliver −1 it must send the 10-byte 64-bit form.",
};

/// SPOP-D005.
pub const D005: Rule = Rule {
    code: "SPOP-D005",
    name: "stray-type-flags",
    severity: Severity::Warning,
    title: "flag bits on a type that has none",
    explanation: "Only BOOL uses the flag nibble. HAProxy ignores stray flags by looking at the low nibble only, except in \
one place: a STRING sent as 0x18 is compared to 8 as a whole byte and becomes a BINARY sample.",
};

/// Whether any typed-data rule could fire on `v` (cheap: lets the common case skip building
/// the description of where the value is).
fn suspicious(v: &TypedData<'_>) -> bool {
    let flags_off = match v.data_type() {
        DataType::Bool => v.flags() > 1,
        _ => v.flags() != 0,
    };
    let out_of_range = match *v.value() {
        Value::Int32(raw) => i32::try_from(raw as i64).is_err(),
        Value::Uint32(raw) => u32::try_from(raw).is_err(),
        _ => false,
    };
    flags_off || out_of_range
}

fn check_value(cx: &mut Cx<'_>, e: &FrameEntry, what: &str, v: &TypedData<'_>) {
    let c = Some(e.connection);
    let flags = v.flags();
    let byte = v.data.type_byte();
    match v.data_type() {
        DataType::Bool if flags > 1 => cx.report(&D002, c).at(e.index, v.type_span).emit(format!(
            "{what}: BOOL type byte {byte:#04x}; HAProxy reads it as {}",
            if flags & 1 == 1 {
                "false although bit 0 says true"
            } else {
                "false"
            }
        )),
        DataType::Null if flags != 0 => cx.report(&D003, c).at(e.index, v.type_span).emit(format!(
            "{what}: NULL with flags (type byte {byte:#04x}){}",
            if byte == 0x10 {
                "; likely a bool false encoded wrong: HAProxy unsets the variable instead"
            } else {
                ""
            }
        )),
        DataType::Bool | DataType::Null => {}
        t if flags != 0 => cx.report(&D005, c).at(e.index, v.type_span).emit(format!(
            "{what}: {} with flag nibble {flags:#x} (type byte {byte:#04x})",
            t.name()
        )),
        _ => {}
    }
    match *v.value() {
        Value::Int32(raw) if i32::try_from(raw as i64).is_err() => {
            cx.report(&D004, c).at(e.index, v.value_span).emit(format!(
                "{what}: INT32 value {} does not fit 32 bits (HAProxy stores {} as is)",
                raw as i64, raw as i64
            ))
        }
        Value::Uint32(raw) if u32::try_from(raw).is_err() => cx
            .report(&D004, c)
            .at(e.index, v.value_span)
            .emit(format!("{what}: UINT32 value {raw} does not fit 32 bits")),
        _ => {}
    }
}

pub(super) fn check_frame(cx: &mut Cx<'_>, e: &FrameEntry, f: &Frame<'_>) {
    if let Some(err) = f.payload_error() {
        if let ErrorKind::ReservedDataType { type_byte } = err.kind {
            cx.report(&D001, Some(e.connection))
                .at(e.index, err.span)
                .emit(format!(
                    "{} {}: type byte {type_byte:#04x} is reserved type {} at {:#x}",
                    e.frame_type.name(),
                    err.field.name(),
                    type_byte & 0x0F,
                    err.span.start
                ));
        }
    }
    match f.payload() {
        Payload::KvList(kv) => {
            for p in kv
                .iter()
                .map_while(Result::ok)
                .filter(|p| suspicious(&p.value))
            {
                let what = format!("{} key \"{}\"", e.frame_type.name(), text(p.key.bytes));
                check_value(cx, e, &what, &p.value);
            }
        }
        Payload::Messages(m) => {
            for msg in m.iter().map_while(Result::ok) {
                for a in msg
                    .args()
                    .map_while(Result::ok)
                    .filter(|a| suspicious(&a.value))
                {
                    let what = format!(
                        "message {} argument \"{}\"",
                        text(msg.name.bytes),
                        text(a.name.bytes)
                    );
                    check_value(cx, e, &what, &a.value);
                }
            }
        }
        Payload::Actions(acts) => {
            for a in acts.iter().map_while(Result::ok) {
                if let ActionBody::Var(v) = a.body {
                    if let Some(value) = v.value.as_ref().filter(|d| suspicious(d)) {
                        let what: String = format!(
                            "{}({}.{})",
                            a.action_type.name(),
                            v.scope,
                            text(v.name.bytes)
                        );
                        check_value(cx, e, &what, value);
                    }
                }
            }
        }
        Payload::Fragment(_) | Payload::Unknown(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{decode_frame, varint, Limits, Status};
    use alloc::vec::Vec;

    /// A HAPROXY-HELLO whose one KV pair has the given type byte and value bytes.
    fn hello_with(type_byte: u8, value: &[u8]) -> Vec<u8> {
        let mut body = alloc::vec![1, 0, 0, 0, 1, 0, 0, 1, b'k', type_byte];
        body.extend_from_slice(value);
        let mut frame = (body.len() as u32).to_be_bytes().to_vec();
        frame.extend_from_slice(&body);
        frame
    }

    /// The validator's `plain` (which lets the rules skip this module) must be exactly
    /// "no value the data rules would look at", for every type byte and the range edges.
    #[test]
    fn plain_agrees_with_suspicious() {
        let int = |v: u64| {
            let (b, n) = varint::encode(v);
            b.get(..n).unwrap_or(&[]).to_vec()
        };
        let mut checked = 0;
        for type_byte in 0..=0xFFu8 {
            let values: Vec<Vec<u8>> = match type_byte & 0x0F {
                0 | 1 => alloc::vec![Vec::new()],
                2..=5 => [
                    0,
                    1,
                    i32::MAX as u64,
                    (i32::MIN as i64) as u64,
                    u32::MAX as u64,
                    1 << 32,
                    u64::MAX,
                ]
                .into_iter()
                .map(int)
                .collect(),
                6 => alloc::vec![alloc::vec![127, 0, 0, 1]],
                7 => alloc::vec![alloc::vec![0; 16]],
                8 | 9 => alloc::vec![alloc::vec![2, b'h', b'i']],
                _ => continue,
            };
            for v in values {
                let bytes = hello_with(type_byte, &v);
                let Ok(Status::Complete(f)) = decode_frame(&bytes, 0, Limits::default()) else {
                    panic!("type byte {type_byte:#04x} did not decode");
                };
                let Payload::KvList(kv) = f.payload() else {
                    panic!("not a KV-LIST")
                };
                let any = kv
                    .iter()
                    .map_while(Result::ok)
                    .any(|p| suspicious(&p.value));
                assert_eq!(f.plain(), !any, "type byte {type_byte:#04x} value {v:?}");
                checked += 1;
            }
        }
        assert!(checked > 400);
    }
}
