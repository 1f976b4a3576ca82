//! What the timeline scan finds in a stream besides frames, kept small for the rules.

use alloc::vec::Vec;

use super::Analysis;
use crate::capture::spop::{SkipReason, StreamItem};
use crate::capture::Timestamp;
use crate::wire::{DecodeError, Direction};
use crate::Span;

/// Things in a stream that are not frames (gaps, skipped bytes, a truncated end), for the
/// capture and framing rules ([`Events::item`] gives the stream item back). 40 bytes, where a
/// [`StreamItem`] takes 80: an input can hold millions of them (a share bundle claims a gap
/// in 4 bytes of its body).
#[derive(Debug, Clone, Copy)]
pub(crate) struct StreamEvent {
    /// When it happened (the time of [`StreamItem::packet`]).
    pub time: Timestamp,
    /// Where the item starts in its stream.
    start: u64,
    /// Skipped bytes: where they end; a gap: the bytes missing; a truncated end: the bytes
    /// missing to complete its frame (it ends where its stream's bytes do).
    value: u64,
    connection: u32,
    /// The frame just before it in its stream (timeline index), or `u32::MAX`.
    after_frame: u32,
    /// Undecodable bytes: the index of their decode error in [`Events`].
    error: u32,
    kind: EventKind,
    /// Which stream.
    pub direction: Direction,
}

/// What a [`StreamEvent`] is: a [`StreamItem`] that is not a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EventKind {
    MidStreamStart,
    AfterGap,
    CutByGap,
    Undecodable,
    Gap,
    Truncated,
}

impl StreamEvent {
    /// The connection.
    pub fn connection(&self) -> usize {
        self.connection as usize
    }

    /// The frame just before it in its stream, if any (timeline index).
    pub fn after_frame(&self) -> Option<usize> {
        (self.after_frame != u32::MAX).then_some(self.after_frame as usize)
    }

    pub(super) fn map_after_frame(&mut self, f: impl FnOnce(usize) -> usize) {
        if let Some(i) = self.after_frame() {
            self.after_frame = f(i) as u32;
        }
    }
}

/// Stream events, with the decode errors of the undecodable bytes among them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Events {
    /// The events.
    pub list: Vec<StreamEvent>,
    errors: Vec<DecodeError>,
}

impl Events {
    /// Adds `item` (nothing for a frame) of stream `direction` of `connection`.
    pub(super) fn push(
        &mut self,
        connection: usize,
        direction: Direction,
        item: StreamItem,
        time: Timestamp,
        after_frame: Option<usize>,
    ) {
        let mut error = 0;
        let (kind, start, value) = match item {
            StreamItem::Frame(_) | StreamItem::Split(_) => return,
            StreamItem::Skipped { span, reason } => {
                let kind = match reason {
                    SkipReason::MidStreamStart => EventKind::MidStreamStart,
                    SkipReason::AfterGap => EventKind::AfterGap,
                    SkipReason::CutByGap => EventKind::CutByGap,
                    SkipReason::Undecodable(e) => {
                        error = self.errors.len() as u32;
                        self.errors.push(e);
                        EventKind::Undecodable
                    }
                };
                (kind, span.start as u64, span.end as u64)
            }
            StreamItem::Gap { at, missing } => (EventKind::Gap, at as u64, missing),
            StreamItem::Truncated { span, needed } => {
                (EventKind::Truncated, span.start as u64, needed as u64)
            }
        };
        self.list.push(StreamEvent {
            time,
            start,
            value,
            connection: connection as u32,
            after_frame: after_frame.map_or(u32::MAX, |i| i as u32),
            error,
            kind,
            direction,
        });
    }

    /// The stream item `ev` (one of these events) stands for, in analysis `a`.
    pub fn item(&self, ev: &StreamEvent, a: &Analysis) -> StreamItem {
        let (start, value) = (ev.start as usize, ev.value);
        let skipped = |reason| StreamItem::Skipped {
            span: Span::new(start, value as usize),
            reason,
        };
        match ev.kind {
            EventKind::MidStreamStart => skipped(SkipReason::MidStreamStart),
            EventKind::AfterGap => skipped(SkipReason::AfterGap),
            EventKind::CutByGap => skipped(SkipReason::CutByGap),
            EventKind::Undecodable => match self.errors.get(ev.error as usize) {
                Some(&e) => skipped(SkipReason::Undecodable(e)),
                None => skipped(SkipReason::AfterGap),
            },
            EventKind::Gap => StreamItem::Gap {
                at: start,
                missing: value,
            },
            EventKind::Truncated => StreamItem::Truncated {
                span: Span::new(
                    start,
                    a.stream_data(ev.connection(), ev.direction)
                        .map_or(start, <[u8]>::len),
                ),
                needed: value as usize,
            },
        }
    }

    /// Appends `other`, made apart, shifting its error indexes.
    pub(super) fn append(&mut self, other: &mut Events) {
        let shift = self.errors.len() as u32;
        for ev in &mut other.list {
            if ev.kind == EventKind::Undecodable {
                ev.error += shift;
            }
        }
        self.list.append(&mut other.list);
        self.errors.append(&mut other.errors);
    }
}
