//! One-line, human-readable frame summaries shared by every surface (CLI lines, the web
//! frame list), so no surface re-derives how a frame reads.

use core::fmt;

use super::data::Value;
use super::frame::{Frame, FrameType};
use super::payload::{ActionBody, Payload};
use super::status::status_text;
use crate::display::Text;

/// Longest string value shown in full; longer ones are cut with their length noted.
const MAX_SHOWN: usize = 48;

/// A frame's one-line summary: `Display` it.
///
/// * HELLO: `supported-versions="2.0" max-frame-size=16380 capabilities="pipelining" …`
/// * NOTIFY: `check-client-ip(ip=127.0.0.1 port=443 …) check-headers(…)`
/// * ACK: `set-var(sess.score=42) unset-var(txn.tag)` or `(no actions)`
/// * DISCONNECT: `status-code=3 (frame is too big) message="frame is too big"`
///
/// A payload that violates its grammar shows the items decoded before the violation, then
/// `…` (the violation itself is [`Frame::payload_error`]).
#[derive(Clone, Copy)]
pub struct Summary<'f, 'a>(pub &'f Frame<'a>);

impl<'a> Frame<'a> {
    /// The frame's one-line summary (see [`Summary`]).
    pub fn summary(&self) -> Summary<'_, 'a> {
        Summary(self)
    }
}

/// A value, with long strings and binaries shortened.
struct Short<'v, 'a>(&'v Value<'a>);

impl fmt::Display for Short<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self.0 {
            Value::String(s) if s.len() > MAX_SHOWN => write!(
                f,
                "\"{}…\" ({} bytes)",
                Text(s.get(..MAX_SHOWN).unwrap_or(s)),
                s.len()
            ),
            Value::Binary(b) if b.len() > MAX_SHOWN / 2 => {
                f.write_str("0x")?;
                for byte in b.get(..MAX_SHOWN / 2).unwrap_or(b) {
                    write!(f, "{byte:02x}")?;
                }
                write!(f, "… ({} bytes)", b.len())
            }
            ref v => write!(f, "{v}"),
        }
    }
}

impl fmt::Display for Summary<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let frame = self.0;
        let is_disconnect = matches!(
            frame.frame_type(),
            FrameType::HaproxyDisconnect | FrameType::AgentDisconnect
        );
        match frame.payload() {
            Payload::KvList(l) => {
                let mut first = true;
                for p in l.iter() {
                    let Ok(p) = p else {
                        f.write_str(if first { "…" } else { " …" })?;
                        return Ok(());
                    };
                    if !first {
                        f.write_str(" ")?;
                    }
                    first = false;
                    write!(f, "{}={}", Text(p.key.bytes), Short(p.value.value()))?;
                    if is_disconnect && p.key.bytes == b"status-code" {
                        if let Some(text) = p.value.value().as_u64().and_then(status_text) {
                            write!(f, " ({text})")?;
                        }
                    }
                }
                if first {
                    f.write_str("(empty)")?;
                }
                Ok(())
            }
            Payload::Messages(m) => {
                let mut first = true;
                for msg in m.iter() {
                    let Ok(msg) = msg else {
                        f.write_str(if first { "…" } else { " …" })?;
                        return Ok(());
                    };
                    if !first {
                        f.write_str(" ")?;
                    }
                    first = false;
                    write!(f, "{}(", Text(msg.name.bytes))?;
                    for (i, a) in msg.args().flatten().enumerate() {
                        if i > 0 {
                            f.write_str(" ")?;
                        }
                        write!(f, "{}={}", Text(a.name.bytes), Short(a.value.value()))?;
                    }
                    f.write_str(")")?;
                }
                if first {
                    f.write_str("(no messages)")?;
                }
                Ok(())
            }
            Payload::Actions(a) => {
                let mut first = true;
                for act in a.iter() {
                    let Ok(act) = act else {
                        f.write_str(if first { "…" } else { " …" })?;
                        return Ok(());
                    };
                    if !first {
                        f.write_str(" ")?;
                    }
                    first = false;
                    match act.body {
                        ActionBody::Var(v) => {
                            write!(
                                f,
                                "{}({}.{}",
                                act.action_type.name(),
                                v.scope,
                                Text(v.name.bytes)
                            )?;
                            if let Some(d) = v.value {
                                write!(f, "={}", Short(d.value()))?;
                            }
                            f.write_str(")")?;
                        }
                        ActionBody::Raw(r) => write!(
                            f,
                            "action-{}({} raw bytes)",
                            act.action_type.as_u8(),
                            r.bytes.len()
                        )?,
                    }
                }
                if first {
                    f.write_str("(no actions)")?;
                }
                Ok(())
            }
            Payload::Fragment(r) => write!(f, "fragment, {} bytes", r.bytes.len()),
            Payload::Unknown(r) => write!(f, "{} payload bytes", r.bytes.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{decode_frame, ActionRepr, FrameRepr, FrameType, Limits, Scope, Status};
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;

    fn summary_of(repr: &FrameRepr<'_>) -> alloc::string::String {
        let bytes = repr.to_bytes().unwrap();
        let Ok(Status::Complete(f)) = decode_frame(&bytes, 0, Limits::default()) else {
            panic!()
        };
        f.summary().to_string()
    }

    #[test]
    fn summaries() {
        assert_eq!(
            summary_of(&FrameRepr::disconnect(
                FrameType::AgentDisconnect,
                3,
                "frame is too big"
            )),
            "status-code=3 (frame is too big) message=\"frame is too big\""
        );
        assert_eq!(
            summary_of(&FrameRepr::ack(
                1,
                1,
                vec![
                    ActionRepr::set_var(Scope::Sess, "score", Value::Int64(42)),
                    ActionRepr::unset_var(Scope::Txn, "tag"),
                ]
            )),
            "set-var(sess.score=42) unset-var(txn.tag)"
        );
        assert_eq!(summary_of(&FrameRepr::ack(1, 1, vec![])), "(no actions)");
        // A malformed action after a good one.
        let mut bytes = FrameRepr::ack(
            1,
            1,
            vec![ActionRepr::set_var(Scope::Sess, "score", Value::Int64(42))],
        )
        .to_bytes()
        .unwrap();
        bytes.extend_from_slice(&[2, 2, 2, 8, 3, b'f', b'o', b'o']);
        bytes[3] += 8;
        let Ok(Status::Complete(f)) = decode_frame(&bytes, 0, Limits::default()) else {
            panic!()
        };
        assert_eq!(f.summary().to_string(), "set-var(sess.score=42) …");
        let long = "x".repeat(100);
        assert_eq!(
            summary_of(&FrameRepr::agent_hello(&long, 256, "")),
            alloc::format!(
                "version=\"{}…\" (100 bytes) max-frame-size=256 capabilities=\"\"",
                "x".repeat(48)
            )
        );
    }
}
