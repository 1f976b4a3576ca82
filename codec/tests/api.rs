//! The public API's promises that are not about decoding itself: every error type is a
//! `core::error::Error` (so callers can box it or put it behind `?` with `anyhow`), and
//! values a caller builds by hand cannot make an accessor panic.

use core::error::Error;

use spop_codec::capture::bundle::ShareError;
use spop_codec::capture::text::{TextError, TextErrorKind};
use spop_codec::capture::{load, GzipError, LoadError, LoadOptions};
use spop_codec::time::TimeError;
use spop_codec::wire::{
    decode_frame, EncodeError, Flags, FrameHeader, FrameType, Limits, VarintError, LENGTH_SIZE,
};
use spop_codec::Span;

/// The message a boxed error gives: it compiles only for an `Error`.
fn boxed(e: impl Error + 'static) -> String {
    let b: Box<dyn Error> = Box::new(e);
    b.to_string()
}

#[test]
fn every_error_type_is_a_core_error() {
    // A runt frame: LENGTH 1, below the 7-byte minimum.
    let decode = decode_frame(&[0, 0, 0, 1, 1], 0, Limits::default()).unwrap_err();
    let Err(load_error) = load(&[], &LoadOptions::default()) else {
        panic!("an empty input loaded")
    };
    assert!(matches!(load_error, LoadError::Empty));
    let text = TextError {
        format: None,
        line: 1,
        column: 1,
        kind: TextErrorKind::Empty,
    };
    for message in [
        boxed(decode),
        boxed(EncodeError::TooManyArgs),
        boxed(VarintError::Truncated { available: 1 }),
        boxed(VarintError::TooLong),
        boxed(VarintError::Overflow),
        boxed(load_error),
        boxed(GzipError::Damaged),
        boxed(ShareError::NotABundle),
        boxed(text),
        boxed(TimeError::Empty),
    ] {
        assert!(!message.is_empty());
    }
}

#[test]
fn a_header_built_with_a_length_too_small_for_its_fields_has_no_payload() {
    // Stream and frame ids of 10 bytes each need LENGTH 25; LENGTH 7 cannot hold them.
    let h = FrameHeader::new(7, FrameType::Notify, Flags(Flags::FIN), u64::MAX, u64::MAX);
    assert_eq!(h.payload_len(), 0);
    assert_eq!(h.wire_len(), LENGTH_SIZE + 7);
    // A header at the very end of the address space: its spans saturate.
    assert_eq!(h.frame_id_span(usize::MAX).end, usize::MAX);
    let max = FrameHeader::new(u32::MAX, FrameType::Notify, Flags(0), 1, 1);
    assert_eq!(max.payload_len(), max.wire_len() - max.header_len());
}

#[test]
fn an_inverted_span_has_length_zero() {
    let s = Span { start: 9, end: 3 };
    assert_eq!((s.len(), s.is_empty()), (0, true));
}
