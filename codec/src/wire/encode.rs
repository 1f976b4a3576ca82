//! Building frames: an owned description ([`FrameRepr`]) that emits exact wire bytes. Used by
//! tests, by the interop agent and to craft repro frames; for every valid frame
//! `Frame::to_repr().emit()` gives back the decoded bytes.

use alloc::vec::Vec;
use core::fmt;

use super::data::{Data, Value};
use super::error::DecodeError;
use super::frame::{Flags, Frame, FrameType, LENGTH_SIZE};
use super::payload::{ActionBody, ActionType, Payload, Scope};
use super::varint;

/// Why a [`FrameRepr`] cannot be put on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodeError {
    /// The frame would be longer than a u32 LENGTH can say.
    FrameTooLong,
    /// A message has more than 255 arguments (NB-ARGS is one byte).
    TooManyArgs,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EncodeError::FrameTooLong => "frame longer than 2^32-1 bytes",
            EncodeError::TooManyArgs => "message with more than 255 arguments",
        })
    }
}

impl core::error::Error for EncodeError {}

/// A key/value pair or a named argument.
pub type Named<'a> = (&'a [u8], Data<'a>);

/// A NOTIFY message to encode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRepr<'a> {
    /// Message name.
    pub name: &'a [u8],
    /// Arguments (NB-ARGS is their count).
    pub args: Vec<Named<'a>>,
}

impl<'a> MessageRepr<'a> {
    /// A message from a name and `(arg name, value)` pairs.
    pub fn new(name: &'a str, args: impl IntoIterator<Item = (&'a str, Value<'a>)>) -> Self {
        MessageRepr {
            name: name.as_bytes(),
            args: args
                .into_iter()
                .map(|(n, v)| (n.as_bytes(), Data::new(v)))
                .collect(),
        }
    }
}

/// The arguments of an action to encode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionBodyRepr<'a> {
    /// Scope, name, and (set-var) value.
    Var {
        /// Scope.
        scope: Scope,
        /// Variable name.
        name: &'a [u8],
        /// Value (set-var only).
        value: Option<Data<'a>>,
    },
    /// Raw argument bytes (unknown actions).
    Raw(&'a [u8]),
}

/// An ACK action to encode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRepr<'a> {
    /// Action type.
    pub action_type: ActionType,
    /// NB-ARGS as it will be sent.
    pub nb_args: u8,
    /// Arguments.
    pub body: ActionBodyRepr<'a>,
}

impl<'a> ActionRepr<'a> {
    /// `set-var(scope, name, value)` with NB-ARGS 3.
    pub fn set_var(scope: Scope, name: &'a str, value: Value<'a>) -> Self {
        ActionRepr {
            action_type: ActionType::SetVar,
            nb_args: 3,
            body: ActionBodyRepr::Var {
                scope,
                name: name.as_bytes(),
                value: Some(Data::new(value)),
            },
        }
    }

    /// `unset-var(scope, name)` with NB-ARGS 2.
    pub fn unset_var(scope: Scope, name: &'a str) -> Self {
        ActionRepr {
            action_type: ActionType::UnsetVar,
            nb_args: 2,
            body: ActionBodyRepr::Var {
                scope,
                name: name.as_bytes(),
                value: None,
            },
        }
    }
}

/// A payload to encode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadRepr<'a> {
    /// KV-LIST (HELLO, DISCONNECT).
    KvList(Vec<Named<'a>>),
    /// LIST-OF-MESSAGES (NOTIFY).
    Messages(Vec<MessageRepr<'a>>),
    /// LIST-OF-ACTIONS (ACK).
    Actions(Vec<ActionRepr<'a>>),
    /// Bytes as they are (fragments, unknown types, deliberately malformed payloads).
    Raw(&'a [u8]),
}

/// A frame to encode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameRepr<'a> {
    /// TYPE.
    pub frame_type: FrameType,
    /// FLAGS.
    pub flags: Flags,
    /// STREAM-ID.
    pub stream_id: u64,
    /// FRAME-ID.
    pub frame_id: u64,
    /// PAYLOAD.
    pub payload: PayloadRepr<'a>,
}

fn string_len(b: &[u8]) -> usize {
    varint::encoded_len(b.len() as u64) + b.len()
}

fn write_string(b: &[u8], out: &mut Vec<u8>) {
    varint::write(b.len() as u64, out);
    out.extend_from_slice(b);
}

fn write_data(d: &Data<'_>, out: &mut Vec<u8>) {
    out.push(d.type_byte());
    match d.value {
        Value::Null | Value::Bool(_) => {}
        Value::Int32(v) | Value::Uint32(v) | Value::Int64(v) | Value::Uint64(v) => {
            varint::write(v, out)
        }
        Value::Ipv4(a) => out.extend_from_slice(&a),
        Value::Ipv6(a) => out.extend_from_slice(&a),
        Value::String(b) | Value::Binary(b) => write_string(b, out),
    }
}

impl<'a> FrameRepr<'a> {
    fn connection(frame_type: FrameType, pairs: Vec<Named<'a>>) -> Self {
        FrameRepr {
            frame_type,
            flags: Flags::FIN_ONLY,
            stream_id: 0,
            frame_id: 0,
            payload: PayloadRepr::KvList(pairs),
        }
    }

    /// HAPROXY-HELLO as HAProxy writes it (keys in HAProxy's order; `engine_id` omitted for
    /// health checks, `healthcheck` true only for them).
    pub fn haproxy_hello(
        max_frame_size: u32,
        capabilities: &'a str,
        engine_id: Option<&'a str>,
        healthcheck: bool,
    ) -> Self {
        let mut kv: Vec<Named<'a>> = Vec::with_capacity(5);
        kv.push((b"supported-versions", Data::new(Value::String(b"2.0"))));
        kv.push((
            b"max-frame-size",
            Data::new(Value::Uint32(u64::from(max_frame_size))),
        ));
        kv.push((
            b"capabilities",
            Data::new(Value::String(capabilities.as_bytes())),
        ));
        if let Some(id) = engine_id {
            kv.push((b"engine-id", Data::new(Value::String(id.as_bytes()))));
        }
        if healthcheck {
            kv.push((b"healthcheck", Data::new(Value::Bool(true))));
        }
        Self::connection(FrameType::HaproxyHello, kv)
    }

    /// AGENT-HELLO with `version`, `max-frame-size` (UINT32) and `capabilities`.
    pub fn agent_hello(version: &'a str, max_frame_size: u32, capabilities: &'a str) -> Self {
        Self::connection(
            FrameType::AgentHello,
            alloc::vec![
                (
                    &b"version"[..],
                    Data::new(Value::String(version.as_bytes()))
                ),
                (
                    &b"max-frame-size"[..],
                    Data::new(Value::Uint32(u64::from(max_frame_size))),
                ),
                (
                    &b"capabilities"[..],
                    Data::new(Value::String(capabilities.as_bytes())),
                ),
            ],
        )
    }

    /// A DISCONNECT (`frame_type` HAPROXY-DISCONNECT or AGENT-DISCONNECT) with `status-code`
    /// (UINT32) and `message`.
    pub fn disconnect(frame_type: FrameType, status_code: u64, message: &'a str) -> Self {
        Self::connection(
            frame_type,
            alloc::vec![
                (&b"status-code"[..], Data::new(Value::Uint32(status_code))),
                (
                    &b"message"[..],
                    Data::new(Value::String(message.as_bytes())),
                ),
            ],
        )
    }

    /// A NOTIFY.
    pub fn notify(stream_id: u64, frame_id: u64, messages: Vec<MessageRepr<'a>>) -> Self {
        FrameRepr {
            frame_type: FrameType::Notify,
            flags: Flags::FIN_ONLY,
            stream_id,
            frame_id,
            payload: PayloadRepr::Messages(messages),
        }
    }

    /// An ACK.
    pub fn ack(stream_id: u64, frame_id: u64, actions: Vec<ActionRepr<'a>>) -> Self {
        FrameRepr {
            frame_type: FrameType::Ack,
            flags: Flags::FIN_ONLY,
            stream_id,
            frame_id,
            payload: PayloadRepr::Actions(actions),
        }
    }

    fn payload_len(&self) -> usize {
        match &self.payload {
            PayloadRepr::KvList(kv) => kv
                .iter()
                .map(|(k, v)| string_len(k) + v.encoded_len())
                .sum(),
            PayloadRepr::Messages(ms) => ms
                .iter()
                .map(|m| {
                    string_len(m.name)
                        + 1
                        + m.args
                            .iter()
                            .map(|(k, v)| string_len(k) + v.encoded_len())
                            .sum::<usize>()
                })
                .sum(),
            PayloadRepr::Actions(acts) => acts
                .iter()
                .map(|a| {
                    2 + match &a.body {
                        ActionBodyRepr::Var { name, value, .. } => {
                            1 + string_len(name) + value.as_ref().map_or(0, Data::encoded_len)
                        }
                        ActionBodyRepr::Raw(r) => r.len(),
                    }
                })
                .sum(),
            PayloadRepr::Raw(r) => r.len(),
        }
    }

    /// Bytes on the wire, LENGTH prefix included.
    pub fn buffer_len(&self) -> usize {
        LENGTH_SIZE
            + 5
            + varint::encoded_len(self.stream_id)
            + varint::encoded_len(self.frame_id)
            + self.payload_len()
    }

    /// Appends the frame's wire bytes to `out`.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let length = u32::try_from(self.buffer_len() - LENGTH_SIZE)
            .map_err(|_| EncodeError::FrameTooLong)?;
        if let PayloadRepr::Messages(ms) = &self.payload {
            if ms.iter().any(|m| m.args.len() > usize::from(u8::MAX)) {
                return Err(EncodeError::TooManyArgs);
            }
        }
        out.reserve(self.buffer_len());
        out.extend_from_slice(&length.to_be_bytes());
        out.push(self.frame_type.as_u8());
        out.extend_from_slice(&self.flags.0.to_be_bytes());
        varint::write(self.stream_id, out);
        varint::write(self.frame_id, out);
        match &self.payload {
            PayloadRepr::KvList(kv) => {
                for (k, v) in kv {
                    write_string(k, out);
                    write_data(v, out);
                }
            }
            PayloadRepr::Messages(ms) => {
                for m in ms {
                    write_string(m.name, out);
                    out.push(m.args.len() as u8);
                    for (k, v) in &m.args {
                        write_string(k, out);
                        write_data(v, out);
                    }
                }
            }
            PayloadRepr::Actions(acts) => {
                for a in acts {
                    out.push(a.action_type.as_u8());
                    out.push(a.nb_args);
                    match &a.body {
                        ActionBodyRepr::Var { scope, name, value } => {
                            out.push(scope.as_u8());
                            write_string(name, out);
                            if let Some(v) = value {
                                write_data(v, out);
                            }
                        }
                        ActionBodyRepr::Raw(r) => out.extend_from_slice(r),
                    }
                }
            }
            PayloadRepr::Raw(r) => out.extend_from_slice(r),
        }
        Ok(())
    }

    /// The frame's wire bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::new();
        self.emit(&mut out)?;
        Ok(out)
    }
}

impl<'a> Frame<'a> {
    /// The frame as a [`FrameRepr`]; fails on the payload's first grammar error.
    pub fn to_repr(&self) -> Result<FrameRepr<'a>, DecodeError> {
        if let Some(e) = self.payload_error() {
            return Err(*e);
        }
        let payload = match self.payload() {
            Payload::KvList(l) => PayloadRepr::KvList(
                l.iter()
                    .map(|p| p.map(|p| (p.key.bytes, p.value.data)))
                    .collect::<Result<_, _>>()?,
            ),
            Payload::Messages(m) => PayloadRepr::Messages(
                m.iter()
                    .map(|m| {
                        let m = m?;
                        Ok(MessageRepr {
                            name: m.name.bytes,
                            args: m
                                .args()
                                .map(|a| a.map(|a| (a.name.bytes, a.value.data)))
                                .collect::<Result<_, DecodeError>>()?,
                        })
                    })
                    .collect::<Result<_, DecodeError>>()?,
            ),
            Payload::Actions(a) => PayloadRepr::Actions(
                a.iter()
                    .map(|a| {
                        a.map(|a| ActionRepr {
                            action_type: a.action_type,
                            nb_args: a.nb_args,
                            body: match a.body {
                                ActionBody::Var(v) => ActionBodyRepr::Var {
                                    scope: v.scope,
                                    name: v.name.bytes,
                                    value: v.value.map(|d| d.data),
                                },
                                ActionBody::Raw(r) => ActionBodyRepr::Raw(r.bytes),
                            },
                        })
                    })
                    .collect::<Result<_, _>>()?,
            ),
            Payload::Fragment(r) | Payload::Unknown(r) => PayloadRepr::Raw(r.bytes),
        };
        Ok(FrameRepr {
            frame_type: self.frame_type(),
            flags: self.flags(),
            stream_id: self.stream_id(),
            frame_id: self.frame_id(),
            payload,
        })
    }
}
