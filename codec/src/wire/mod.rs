//! The SPOP wire format: varints, typed data, frame headers, payload grammars, incremental
//! stream decoding and the encoder.
//!
//! Modelled on smoltcp's `wire`: decoded frames are views over the input ([`Frame`]) that
//! know the span of every field; the owned description used to build frames is a separate
//! type ([`FrameRepr`]) with `emit`/`buffer_len`. Errors are data ([`DecodeError`]: field,
//! kind, span), never panics.
//!
//! The grammar is small and every field needs an absolute span and an etherparse-style error,
//! so parsing is done with a 100-line bounds-checked cursor rather than a combinator library:
//! nom would need a located-span input type plus a custom error type and would not shorten
//! the code.
//!
//! ```
//! use spop_codec::wire::{decode_frame, FrameType, Limits, Payload, Status};
//!
//! // An empty ACK for stream 1, frame 1 (docs/vectors.md §5b).
//! let bytes = [0, 0, 0, 7, 0x67, 0, 0, 0, 1, 1, 1];
//! let Ok(Status::Complete(frame)) = decode_frame(&bytes, 0, Limits::default()) else {
//!     panic!("not a frame")
//! };
//! assert_eq!(frame.frame_type(), FrameType::Ack);
//! assert_eq!((frame.stream_id(), frame.frame_id()), (1, 1));
//! assert_eq!(frame.stream_id_span(), (9..10).into());
//! let Payload::Actions(actions) = frame.payload() else { panic!() };
//! assert_eq!(actions.iter().count(), 0);
//! ```

// The submodules are how the code is organised, not how it is used: every public item has
// one path, `spop_codec::wire::Item`, except the varint functions, named by their module
// (`wire::varint::decode`). The crate-visible ones hold crate-internal helpers.
mod capability;
mod cursor;
pub(crate) mod data;
mod encode;
mod error;
pub(crate) mod frame;
pub(crate) mod payload;
pub(crate) mod scan;
mod status;
mod stream;
mod summary;
pub mod varint;

pub use capability::{capabilities, Capability};
pub use cursor::Str;
pub use data::{Data, DataType, TypedData, Value};
pub use encode::{
    ActionBodyRepr, ActionRepr, EncodeError, FrameRepr, MessageRepr, Named, PayloadRepr,
};
pub use error::{DecodeError, ErrorKind, Field, VarintError};
pub use frame::{
    decode_frame, peek_wire_len, Direction, Flags, Frame, FrameHeader, FrameType, Limits, Status,
    DEFAULT_MAX_FRAME_SIZE, LENGTH_SIZE, MIN_LENGTH, MIN_MAX_FRAME_SIZE,
};
pub use payload::{
    Action, ActionBody, ActionIter, ActionType, Actions, ArgIter, Argument, KvIter, KvList, KvPair,
    Message, MessageIter, Messages, Payload, PayloadKind, Raw, Scope, VarAction,
};
pub use scan::{find_frame_start, plausible_frame, ScanBudget};
pub use status::{status_text, StatusCode};
pub use stream::{Frames, StreamDecoder};
pub use summary::Summary;
