//! Payload grammars (docs/protocol.md §3, §5, §6), as zero-copy views with iterators:
//!
//! ```text
//! KV-LIST          = *( KEY:STRING-BODY  VALUE:TYPED-DATA )                  HELLO, DISCONNECT
//! LIST-OF-MESSAGES = *( NAME:STRING-BODY  NB-ARGS:u8  NB-ARGS × ( NAME:STRING-BODY  TYPED-DATA ) )
//! LIST-OF-ACTIONS  = *( ACTION-TYPE:u8  NB-ARGS:u8  ACTION-ARGS )            ACK
//! ```
//!
//! Lists have no count: they run to the end of the frame. Every iterator yields
//! `Result<item, DecodeError>` and stops after the first error, so iteration always ends.

use core::fmt;

use super::cursor::{Cursor, Str};
use super::data::{self, TypedData};
use super::error::{DecodeError, Field};
use super::frame::{Flags, FrameType};
use crate::Span;

/// Which grammar a payload follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PayloadKind {
    /// HELLO and DISCONNECT frames.
    KvList,
    /// A NOTIFY with FIN.
    Messages,
    /// An ACK.
    Actions,
    /// Part of a fragmented NOTIFY (HAProxy ≤3.0): a NOTIFY without FIN, or an UNSET frame.
    /// Its bytes only parse once the fragments are joined.
    Fragment,
    /// An unknown frame type.
    Unknown,
}

impl PayloadKind {
    /// The grammar for a frame of type `ft` with `flags`.
    pub const fn of(ft: FrameType, flags: Flags) -> PayloadKind {
        match ft {
            FrameType::HaproxyHello
            | FrameType::HaproxyDisconnect
            | FrameType::AgentHello
            | FrameType::AgentDisconnect => PayloadKind::KvList,
            FrameType::Notify if flags.fin() => PayloadKind::Messages,
            FrameType::Notify | FrameType::Unset => PayloadKind::Fragment,
            FrameType::Ack => PayloadKind::Actions,
            FrameType::Unknown(_) => PayloadKind::Unknown,
        }
    }
}

/// A frame's payload, interpreted by its grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload<'a> {
    /// Key/value pairs (HELLO, DISCONNECT).
    KvList(KvList<'a>),
    /// Messages (NOTIFY).
    Messages(Messages<'a>),
    /// Actions (ACK).
    Actions(Actions<'a>),
    /// A fragment of a NOTIFY (≤3.0 fragmentation).
    Fragment(Raw<'a>),
    /// Payload of an unknown frame type.
    Unknown(Raw<'a>),
}

impl<'a> Payload<'a> {
    pub(crate) fn new(ft: FrameType, flags: Flags, bytes: &'a [u8], base: usize) -> Self {
        let raw = Raw {
            bytes,
            span: Span::at(base, bytes.len()),
        };
        match PayloadKind::of(ft, flags) {
            PayloadKind::KvList => Payload::KvList(KvList { raw }),
            PayloadKind::Messages => Payload::Messages(Messages { raw }),
            PayloadKind::Actions => Payload::Actions(Actions { raw }),
            PayloadKind::Fragment => Payload::Fragment(raw),
            PayloadKind::Unknown => Payload::Unknown(raw),
        }
    }

    /// The payload bytes and their span, whatever the grammar.
    pub const fn raw(&self) -> Raw<'a> {
        match *self {
            Payload::KvList(KvList { raw })
            | Payload::Messages(Messages { raw })
            | Payload::Actions(Actions { raw })
            | Payload::Fragment(raw)
            | Payload::Unknown(raw) => raw,
        }
    }
}

/// Validates a payload against its grammar; the first error, if any.
///
/// The common case (a valid payload) takes a lean skip-only pass that builds no spans or
/// items, like HAProxy's own `spoe_skip_data`; only when it fails does the span-building
/// iterator run again to describe the error precisely.
/// `Ok(plain)`: the payload follows its grammar, and `plain` tells whether every typed value
/// is plainly encoded and every action is an ordinary one (see [`crate::wire::Frame::plain`]).
pub(crate) fn validate(
    ft: FrameType,
    flags: Flags,
    bytes: &[u8],
    base: usize,
) -> Result<bool, DecodeError> {
    let kind = PayloadKind::of(ft, flags);
    let mut plain = true;
    if skip::payload(kind, bytes, &mut plain).is_some() {
        return Ok(plain);
    }
    match Payload::new(ft, flags, bytes, base) {
        Payload::KvList(l) => l.iter().try_for_each(|r| r.map(drop)),
        Payload::Messages(m) => m
            .iter()
            .try_for_each(|r| r.and_then(|msg| msg.args().try_for_each(|a| a.map(drop)))),
        Payload::Actions(a) => a.iter().try_for_each(|r| r.map(drop)),
        Payload::Fragment(_) | Payload::Unknown(_) => Ok(()),
    }
    // The fast path failed, so this one finds the error; should it not, say "not plain" so
    // that callers look at the values themselves.
    .map(|()| false)
}

/// The skip-only fast path: `Some(())` iff the payload follows its grammar exactly. Every
/// step advances `pos`, and every length is checked against the bytes present.
mod skip {
    use super::PayloadKind;
    use crate::wire::varint;

    #[inline(always)]
    fn byte(b: &[u8], pos: &mut usize) -> Option<u8> {
        let v = *b.get(*pos)?;
        *pos += 1;
        Some(v)
    }

    #[inline(always)]
    fn varint(b: &[u8], pos: &mut usize) -> Option<u64> {
        let first = *b.get(*pos)?;
        if first < 0xF0 {
            *pos += 1;
            return Some(u64::from(first));
        }
        let (v, n) = varint::decode(b.get(*pos..)?).ok()?;
        *pos += n;
        Some(v)
    }

    #[inline(always)]
    fn bytes(b: &[u8], pos: &mut usize, n: u64) -> Option<()> {
        if n > (b.len() - (*pos).min(b.len())) as u64 {
            return None;
        }
        *pos += n as usize;
        Some(())
    }

    #[inline(always)]
    fn string(b: &[u8], pos: &mut usize) -> Option<()> {
        let n = varint(b, pos)?;
        bytes(b, pos, n)
    }

    /// Skips one typed value; clears `plain` for flag bits on it (beyond a BOOL's value) or
    /// an INT32/UINT32 that does not fit 32 bits.
    #[inline(always)]
    fn data(b: &[u8], pos: &mut usize, plain: &mut bool) -> Option<()> {
        let type_byte = byte(b, pos)?;
        let flags = type_byte >> 4;
        match type_byte & 0x0F {
            0 => *plain &= flags == 0,
            1 => *plain &= flags <= 1,
            t @ 2..=5 => {
                let v = varint(b, pos)?;
                let fits = match t {
                    2 => i32::try_from(v as i64).is_ok(),
                    3 => u32::try_from(v).is_ok(),
                    _ => true,
                };
                *plain &= flags == 0 && fits;
            }
            6 => bytes(b, pos, 4)?,
            7 => bytes(b, pos, 16)?,
            8 | 9 => string(b, pos)?,
            _ => return None,
        }
        if type_byte & 0x0F >= 6 {
            *plain &= flags == 0;
        }
        Some(())
    }

    /// Length of `nb_args` NOTIFY arguments at the start of `b`, if they are well-formed.
    #[inline]
    pub(super) fn args(b: &[u8], nb_args: u8) -> Option<usize> {
        let mut pos = 0;
        for _ in 0..nb_args {
            string(b, &mut pos)?;
            data(b, &mut pos, &mut true)?;
        }
        Some(pos)
    }

    pub(super) fn payload(kind: PayloadKind, b: &[u8], plain: &mut bool) -> Option<()> {
        let mut pos = 0;
        while pos < b.len() {
            match kind {
                PayloadKind::KvList => {
                    string(b, &mut pos)?;
                    data(b, &mut pos, plain)?;
                }
                PayloadKind::Messages => {
                    string(b, &mut pos)?;
                    for _ in 0..byte(b, &mut pos)? {
                        string(b, &mut pos)?;
                        data(b, &mut pos, plain)?;
                    }
                }
                PayloadKind::Actions => {
                    let action = byte(b, &mut pos)?;
                    let nb_args = byte(b, &mut pos)?;
                    match action {
                        1 | 2 => {
                            let scope = byte(b, &mut pos)?;
                            let name_len = varint(b, &mut pos)?;
                            let start = pos;
                            bytes(b, &mut pos, name_len)?;
                            let first = b.get(start..pos).and_then(<[u8]>::first);
                            *plain &= nb_args == if action == 1 { 3 } else { 2 }
                                && scope <= 4
                                && first.is_none_or(|&c| c >= 0x20);
                            if action == 1 {
                                data(b, &mut pos, plain)?;
                            }
                        }
                        // Unknown action: the rest of the payload is its raw arguments.
                        _ => {
                            *plain = false;
                            return Some(());
                        }
                    }
                }
                PayloadKind::Fragment | PayloadKind::Unknown => return Some(()),
            }
        }
        Some(())
    }
}

/// Uninterpreted bytes with their span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Raw<'a> {
    /// The bytes, borrowed.
    pub bytes: &'a [u8],
    /// Their position in the stream.
    pub span: Span,
}

/// Runs `step` until the cursor is empty or a step fails; fused after an error. Every step
/// reads at least one byte (a key, a name or a type byte), so the loop always ends.
struct ListIter<'a> {
    c: Cursor<'a>,
    failed: bool,
}

impl<'a> ListIter<'a> {
    fn new(raw: Raw<'a>) -> Self {
        ListIter {
            c: Cursor::new(raw.bytes, raw.span.start),
            failed: false,
        }
    }

    fn next_with<T>(
        &mut self,
        step: impl FnOnce(&mut Cursor<'a>) -> Result<T, DecodeError>,
    ) -> Option<Result<T, DecodeError>> {
        if self.failed || self.c.is_empty() {
            return None;
        }
        let r = step(&mut self.c);
        self.failed = r.is_err();
        Some(r)
    }
}

// ---------------------------------------------------------------------------------------------
// KV-LIST

/// A KV-LIST payload (HELLO, DISCONNECT).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KvList<'a> {
    raw: Raw<'a>,
}

/// One key and its typed value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KvPair<'a> {
    /// The key (a STRING-BODY: no type byte).
    pub key: Str<'a>,
    /// The value.
    pub value: TypedData<'a>,
}

impl KvPair<'_> {
    /// Span of key and value.
    pub fn span(&self) -> Span {
        self.key.span().join(self.value.span())
    }
}

impl<'a> KvList<'a> {
    /// The pairs, in wire order.
    pub fn iter(&self) -> KvIter<'a> {
        KvIter(ListIter::new(self.raw))
    }

    /// The first pair whose key is exactly `key` (before any malformed pair).
    pub fn get(&self, key: &[u8]) -> Option<KvPair<'a>> {
        self.iter()
            .map_while(Result::ok)
            .find(|p| p.key.bytes == key)
    }

    /// The payload bytes.
    pub const fn raw(&self) -> Raw<'a> {
        self.raw
    }
}

/// Iterator over the pairs of a [`KvList`].
pub struct KvIter<'a>(ListIter<'a>);

impl<'a> Iterator for KvIter<'a> {
    type Item = Result<KvPair<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next_with(|c| {
            let key = c.string(Field::Key)?;
            let value = data::decode(c, Field::KeyValue)?;
            Ok(KvPair { key, value })
        })
    }
}

// ---------------------------------------------------------------------------------------------
// LIST-OF-MESSAGES

/// A LIST-OF-MESSAGES payload (NOTIFY).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Messages<'a> {
    raw: Raw<'a>,
}

impl<'a> Messages<'a> {
    /// The messages, in wire order.
    pub fn iter(&self) -> MessageIter<'a> {
        MessageIter(ListIter::new(self.raw))
    }

    /// The payload bytes.
    pub const fn raw(&self) -> Raw<'a> {
        self.raw
    }
}

/// One NOTIFY message: a name and its arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    /// The message name (as configured in `spoe-message`).
    pub name: Str<'a>,
    /// NB-ARGS as sent.
    pub nb_args: u8,
    /// The NB-ARGS byte.
    pub nb_args_span: Span,
    args: Raw<'a>,
}

impl<'a> Message<'a> {
    /// The arguments, in wire order.
    pub fn args(&self) -> ArgIter<'a> {
        ArgIter(ListIter::new(self.args))
    }

    /// Span of the whole message.
    pub fn span(&self) -> Span {
        self.name.span().join(self.args.span)
    }
}

/// One NOTIFY argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argument<'a> {
    /// The argument name (empty for unnamed arguments).
    pub name: Str<'a>,
    /// The value.
    pub value: TypedData<'a>,
}

impl Argument<'_> {
    /// Span of name and value.
    pub fn span(&self) -> Span {
        self.name.span().join(self.value.span())
    }
}

fn decode_arg<'a>(c: &mut Cursor<'a>) -> Result<Argument<'a>, DecodeError> {
    let name = c.string(Field::ArgName)?;
    let value = data::decode(c, Field::ArgValue)?;
    Ok(Argument { name, value })
}

/// Iterator over the messages of a NOTIFY.
pub struct MessageIter<'a>(ListIter<'a>);

impl<'a> Iterator for MessageIter<'a> {
    type Item = Result<Message<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next_with(|c| {
            let name = c.string(Field::MessageName)?;
            let (nb_args, nb_args_span) = c.u8(Field::MessageNbArgs)?;
            let args_start = c.offset();
            let rest = c.rest();
            // Find where the arguments end with the skip-only path; build spans only to
            // describe an error.
            let len = match skip::args(rest, nb_args) {
                Some(len) => {
                    c.advance(len);
                    len
                }
                None => {
                    for _ in 0..nb_args {
                        decode_arg(c)?;
                    }
                    c.offset() - args_start
                }
            };
            let args = Raw {
                bytes: rest.get(..len).unwrap_or(&[]),
                span: Span::at(args_start, len),
            };
            Ok(Message {
                name,
                nb_args,
                nb_args_span,
                args,
            })
        })
    }
}

/// Iterator over the arguments of a [`Message`].
pub struct ArgIter<'a>(ListIter<'a>);

impl<'a> Iterator for ArgIter<'a> {
    type Item = Result<Argument<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next_with(decode_arg)
    }
}

// ---------------------------------------------------------------------------------------------
// LIST-OF-ACTIONS

/// A LIST-OF-ACTIONS payload (ACK); may be empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actions<'a> {
    raw: Raw<'a>,
}

impl<'a> Actions<'a> {
    /// The actions, in wire order.
    pub fn iter(&self) -> ActionIter<'a> {
        ActionIter(ListIter::new(self.raw))
    }

    /// The payload bytes.
    pub const fn raw(&self) -> Raw<'a> {
        self.raw
    }
}

/// The action-type byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionType {
    /// 1: set a variable (3 arguments: scope, name, value).
    SetVar,
    /// 2: unset a variable (2 arguments: scope, name).
    UnsetVar,
    /// Any other value (HAProxy stops processing the ACK's actions there).
    Unknown(u8),
}

impl ActionType {
    /// The type for a byte.
    pub const fn from_u8(b: u8) -> Self {
        match b {
            1 => ActionType::SetVar,
            2 => ActionType::UnsetVar,
            other => ActionType::Unknown(other),
        }
    }

    /// The byte.
    pub const fn as_u8(self) -> u8 {
        match self {
            ActionType::SetVar => 1,
            ActionType::UnsetVar => 2,
            ActionType::Unknown(b) => b,
        }
    }

    /// `"set-var"`, `"unset-var"` or `"unknown"`.
    pub const fn name(self) -> &'static str {
        match self {
            ActionType::SetVar => "set-var",
            ActionType::UnsetVar => "unset-var",
            ActionType::Unknown(_) => "unknown",
        }
    }

    /// The NB-ARGS HAProxy requires for this action, if it knows the action.
    pub const fn expected_nb_args(self) -> Option<u8> {
        match self {
            ActionType::SetVar => Some(3),
            ActionType::UnsetVar => Some(2),
            ActionType::Unknown(_) => None,
        }
    }
}

/// A variable scope byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// 0: process-wide.
    Proc,
    /// 1: session.
    Sess,
    /// 2: transaction.
    Txn,
    /// 3: request.
    Req,
    /// 4: response.
    Res,
    /// Outside 0..=4 (HAProxy stops processing the ACK's actions there).
    Unknown(u8),
}

impl Scope {
    /// The scope for a byte.
    pub const fn from_u8(b: u8) -> Self {
        match b {
            0 => Scope::Proc,
            1 => Scope::Sess,
            2 => Scope::Txn,
            3 => Scope::Req,
            4 => Scope::Res,
            other => Scope::Unknown(other),
        }
    }

    /// The byte.
    pub const fn as_u8(self) -> u8 {
        match self {
            Scope::Proc => 0,
            Scope::Sess => 1,
            Scope::Txn => 2,
            Scope::Req => 3,
            Scope::Res => 4,
            Scope::Unknown(b) => b,
        }
    }

    /// HAProxy's variable prefix: `"proc"`, `"sess"`, `"txn"`, `"req"`, `"res"` (`"?"` if
    /// unknown).
    pub const fn name(self) -> &'static str {
        match self {
            Scope::Proc => "proc",
            Scope::Sess => "sess",
            Scope::Txn => "txn",
            Scope::Req => "req",
            Scope::Res => "res",
            Scope::Unknown(_) => "?",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Unknown(b) => write!(f, "scope({b})"),
            s => f.write_str(s.name()),
        }
    }
}

/// The arguments of a set-var or unset-var action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VarAction<'a> {
    /// The scope.
    pub scope: Scope,
    /// The scope byte.
    pub scope_span: Span,
    /// The variable name (a STRING-BODY).
    pub name: Str<'a>,
    /// The value (set-var only).
    pub value: Option<TypedData<'a>>,
}

/// What follows an action's NB-ARGS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionBody<'a> {
    /// set-var / unset-var arguments.
    Var(VarAction<'a>),
    /// An unknown action: its arguments have no known grammar, so the rest of the payload is
    /// kept as bytes (HAProxy stops processing the ACK here too).
    Raw(Raw<'a>),
}

/// One ACK action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Action<'a> {
    /// The action type.
    pub action_type: ActionType,
    /// The action-type byte.
    pub type_span: Span,
    /// NB-ARGS as sent (the arguments are decoded by the action type's grammar, so a wrong
    /// NB-ARGS is visible here rather than derailing the decode).
    pub nb_args: u8,
    /// The NB-ARGS byte.
    pub nb_args_span: Span,
    /// The arguments.
    pub body: ActionBody<'a>,
}

impl Action<'_> {
    /// Span of the whole action.
    pub fn span(&self) -> Span {
        let end = match &self.body {
            ActionBody::Var(v) => v.value.map_or(v.name.span(), |d| d.span()),
            ActionBody::Raw(r) => r.span,
        };
        self.type_span.join(end)
    }
}

/// Iterator over the actions of an ACK.
pub struct ActionIter<'a>(ListIter<'a>);

impl<'a> Iterator for ActionIter<'a> {
    type Item = Result<Action<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next_with(|c| {
            let (ty, type_span) = c.u8(Field::ActionType)?;
            let action_type = ActionType::from_u8(ty);
            let (nb_args, nb_args_span) = c.u8(Field::ActionNbArgs)?;
            let body = match action_type {
                ActionType::SetVar | ActionType::UnsetVar => {
                    let (scope, scope_span) = c.u8(Field::ActionScope)?;
                    let name = c.string(Field::VarName)?;
                    let value = match action_type {
                        ActionType::SetVar => Some(data::decode(c, Field::VarValue)?),
                        _ => None,
                    };
                    ActionBody::Var(VarAction {
                        scope: Scope::from_u8(scope),
                        scope_span,
                        name,
                        value,
                    })
                }
                ActionType::Unknown(_) => {
                    let n = c.remaining() as u64;
                    let (bytes, span) = c.take(n, Field::ActionType)?;
                    ActionBody::Raw(Raw { bytes, span })
                }
            };
            Ok(Action {
                action_type,
                type_span,
                nb_args,
                nb_args_span,
                body,
            })
        })
    }
}
