//! The selection: the selected frame (or TCP event) and its details, the bytes a finding
//! marks in them, moving through the view, and the search for the next or previous finding.

use std::sync::Arc;

use leptos::prelude::*;
use spop_codec::analysis::Severity;
use spop_codec::Span;

use crate::engine::protocol::{level_digit, Details, Filter, Request, Response, ViewInfo};
use crate::ui::state::{Panel, Ui};

/// The selected frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selection {
    /// Position in the view.
    pub pos: usize,
    /// Timeline index.
    pub frame: usize,
    /// ns since the first frame.
    pub t: u64,
    /// Its connection.
    pub connection: usize,
    /// A TCP event's row ([`crate::engine::incident`]): its index; `frame` is then `usize::MAX`.
    pub event: Option<usize>,
}

/// A finding's bytes, marked in one frame's details: the frame and stream spans.
pub type Marked = (usize, Vec<Span>);

/// What is selected, and how the selection moves.
#[derive(Clone, Copy)]
pub struct SelectionState {
    /// The selected frame.
    pub cursor: RwSignal<Option<Selection>>,
    /// Details of the selected frame.
    pub details: RwSignal<Option<Arc<Details>>>,
    /// Bytes to highlight in one frame's details (a finding's): the frame and stream spans.
    pub marked: RwSignal<Option<Marked>>,
    /// The position last asked for, before the engine answers: quick key repeats add up.
    pub target: RwSignal<Option<usize>>,
    /// The selected frame while a filter hides it: selected again when a filter shows it.
    pub hidden: StoredValue<Option<Selection>>,
    /// The selected field: the frame (timeline index) and the field's path in its tree.
    pub field: RwSignal<Option<(usize, Vec<usize>)>>,
    /// Set to move keyboard focus into the details' field tree.
    pub focus_details: RwSignal<bool>,
}

impl SelectionState {
    /// Nothing selected.
    pub(crate) fn new() -> SelectionState {
        SelectionState {
            cursor: RwSignal::new(None),
            details: RwSignal::new(None),
            marked: RwSignal::new(None),
            target: RwSignal::new(None),
            hidden: StoredValue::new(None),
            field: RwSignal::new(None),
            focus_details: RwSignal::new(false),
        }
    }

    /// The details follow the selection.
    pub(crate) fn follow(self, ui: Ui) {
        Effect::new(move |_| {
            // A TCP event's row has no frame to detail.
            let Some(c) = self.cursor.get().filter(|c| c.event.is_none()) else {
                self.details.set(None);
                return;
            };
            if self
                .details
                .with_untracked(|d| d.as_ref().is_some_and(|d| d.index == c.frame))
            {
                return;
            }
            ui.ask(Request::Details { frame: c.frame }, move |r| {
                if let Response::Details(d) = r {
                    if self
                        .cursor
                        .get_untracked()
                        .is_some_and(|c| c.frame == d.index)
                    {
                        self.details.set(Some(Arc::new(*d)));
                    }
                }
            });
        });
    }
}

/// Next/previous finding (n/N): where it stops and the presses not answered yet.
#[derive(Clone, Copy)]
pub struct FindingSeek {
    /// The least severity next/previous (n/N) stops at, as chosen; `None`: the worst the
    /// capture has ([`Ui::stop_level`]).
    pub stop_at: RwSignal<Option<Severity>>,
    /// Next/previous presses not yet sent to the engine (forward positive) and whether a
    /// search is under way: quick repeats add up instead of asking from the same place.
    pub pending: StoredValue<(isize, bool)>,
    /// What the last next/previous found nothing for ("No later warning in view."), or empty.
    pub note: RwSignal<String>,
}

impl FindingSeek {
    /// Stopping at the worst the capture has, nothing pending.
    pub(crate) fn new() -> FindingSeek {
        FindingSeek {
            stop_at: RwSignal::new(None),
            pending: StoredValue::new((0, false)),
            note: RwSignal::new(String::new()),
        }
    }
}

impl Ui {
    /// Applies a filter, then calls `then`. The selected frame stays selected if the new
    /// view has it; if not, it is kept aside and selected again by the first filter that
    /// shows it (clearing the filter brings it back, and `j` goes on from it).
    pub fn apply_filter(self, f: Filter, then: impl FnOnce(Ui) + 'static) {
        self.filter.set(f.clone());
        self.seek.note.set(String::new());
        let previous = self
            .selection
            .cursor
            .get_untracked()
            .filter(|c| c.event.is_none())
            .or_else(|| self.selection.hidden.get_value());
        self.ask(Request::Filter(f), move |r| {
            let Response::View(v) = r else { return };
            self.show_view(v);
            match previous {
                Some(c) => self.ask(Request::Locate { frame: c.frame }, move |r| {
                    if let Response::Position(Some(pos)) = r {
                        self.selection.hidden.set_value(None);
                        self.selection.cursor.set(Some(Selection { pos, ..c }));
                    } else {
                        self.selection.hidden.set_value(Some(c));
                    }
                    then(self);
                }),
                None => then(self),
            }
        });
    }

    /// Selects where a new capture should open: its first error, or its first frame.
    pub(crate) fn select_start(self, first_error: bool) {
        if !first_error {
            self.select_pos(0);
            return;
        }
        // The first error may be on no frame (an agent that could not be reached): then the
        // first row.
        self.ask(
            Request::NextFinding {
                from: None,
                forward: true,
                min_level: Some(Severity::Error),
                count: 1,
            },
            move |r| match r {
                Response::Found(Some((pos, _))) => self.select_pos(pos),
                _ => self.select_pos(0),
            },
        );
    }

    /// A new view from the engine: lists and timeline redraw, nothing is selected.
    pub(crate) fn show_view(self, v: ViewInfo) {
        self.view.set(v);
        self.view_gen.update(|g| *g += 1);
        self.selection.cursor.set(None);
        self.selection.target.set(None);
    }

    /// Selects the frame at a position of the view.
    pub fn select_pos(self, pos: usize) {
        let total = self.view.get_untracked().total;
        if total == 0 {
            return;
        }
        let pos = pos.min(total - 1);
        // Another frame chosen: the one a filter hid is no longer the selection.
        self.selection.hidden.set_value(None);
        self.selection.target.set(Some(pos));
        self.ask(
            Request::Rows {
                start: pos,
                count: 1,
            },
            move |r| {
                if let Response::Rows { rows, .. } = r {
                    if let Some(row) = rows.first() {
                        self.selection.cursor.set(Some(Selection {
                            pos: row.pos,
                            frame: row.index,
                            t: row.t,
                            connection: row.connection,
                            event: row.event,
                        }));
                    }
                }
            },
        );
    }

    /// Moves the selection by `delta` rows.
    pub fn step(self, delta: isize) {
        let from = self
            .selection
            .target
            .get_untracked()
            .or_else(|| self.selection.cursor.get_untracked().map(|c| c.pos));
        let pos = match from {
            Some(p) => p.saturating_add_signed(delta),
            None => 0,
        };
        self.select_pos(pos);
    }

    /// Selects a frame by timeline index, clearing the filters if they hide it.
    pub fn select_frame(self, frame: usize) {
        self.ask(Request::Locate { frame }, move |r| match r {
            Response::Position(Some(pos)) => self.select_pos(pos),
            Response::Position(None) => self.apply_filter(Filter::default(), move |ui| {
                ui.ask(Request::Locate { frame }, move |r| {
                    if let Response::Position(Some(pos)) = r {
                        ui.select_pos(pos);
                    }
                })
            }),
            _ => {}
        });
    }

    /// Jumps to a finding: its frame, with its bytes highlighted.
    pub fn jump(self, frame: usize, spans: Vec<Span>) {
        self.selection.marked.set(Some((frame, spans)));
        self.panel.set(Panel::Details);
        self.select_frame(frame);
    }

    /// The least severity next/previous stops at: the one chosen, else the worst the capture
    /// has (a capture of warnings only walks its warnings); none when it has no findings.
    pub fn stop_level(self) -> Option<Severity> {
        let worst = self.overview.with_untracked(|o| {
            o.as_ref().and_then(|o| match o.counts {
                [e, _, _] if e > 0 => Some(Severity::Error),
                [_, w, _] if w > 0 => Some(Severity::Warning),
                [_, _, i] if i > 0 => Some(Severity::Info),
                _ => None,
            })
        });
        match self.seek.stop_at.get_untracked() {
            Some(l) if worst.is_some() => Some(l),
            _ => worst,
        }
    }

    /// Findings at or above the stop level ([`Ui::stop_level`]) in the capture.
    pub fn findings_to_stop_at(self) -> usize {
        let level = level_digit(self.stop_level()).max(1);
        self.overview.with_untracked(|o| {
            // The counts are errors, warnings, info: the first three (info and up), two or one.
            o.as_ref()
                .map_or(0, |o| o.counts.iter().take(usize::from(4 - level)).sum())
        })
    }

    /// Selects the next (or previous) frame with a finding at or above the stop level. Quick
    /// repeats add up: each press moves one more finding, even before the engine answered
    /// the previous one.
    pub fn next_finding(self, forward: bool) {
        if self.findings_to_stop_at() == 0 {
            return;
        }
        self.seek
            .pending
            .update_value(|(n, _)| *n = n.saturating_add(if forward { 1 } else { -1 }));
        self.seek_next();
    }

    /// Sends the presses queued by [`Ui::next_finding`], unless a search is under way (its
    /// answer sends them).
    pub(crate) fn seek_next(self) {
        let (n, busy) = self.seek.pending.get_value();
        if busy || n == 0 {
            return;
        }
        self.seek.pending.set_value((0, true));
        // From where the last press landed, even if its row has not arrived yet.
        let from = self
            .selection
            .target
            .get_untracked()
            .or_else(|| self.selection.cursor.get_untracked().map(|c| c.pos));
        let level = self.stop_level();
        let forward = n > 0;
        self.ask(
            Request::NextFinding {
                from,
                forward,
                min_level: level,
                count: n.unsigned_abs(),
            },
            move |r| {
                self.seek.pending.update_value(|(_, busy)| *busy = false);
                match r {
                    Response::Found(Some((pos, _))) => {
                        self.seek.note.set(String::new());
                        self.selection.marked.set(None);
                        self.select_pos(pos);
                    }
                    Response::Found(None) => {
                        let what = match level {
                            Some(Severity::Error) => "error",
                            Some(Severity::Warning) => "warning",
                            _ => "finding",
                        };
                        let filtered = !self.filter.with_untracked(Filter::is_empty);
                        self.seek.note.set(format!(
                            "No {} {what}{}.",
                            if forward { "later" } else { "earlier" },
                            if filtered { " in view" } else { "" }
                        ));
                    }
                    _ => {}
                }
                self.seek_next();
            },
        );
    }
}
