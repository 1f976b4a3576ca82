//! The incident views' settings and actions on the page: how times are shown (since time
//! zero, the capture's first packet as in Wireshark; time of day; since the previous row),
//! whether the list shows TCP events, "go to packet", and which view the left side shows. The
//! settings are kept in local storage like the share limit.

use leptos::prelude::*;
use spop_codec::display::Fixed;

use crate::engine::draw::clock;
use crate::engine::protocol::{Request, Response};
use crate::ui::selection::Selection;
use crate::ui::state::Ui;

/// How times are shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TimeMode {
    /// Seconds since time zero (the capture's first packet).
    #[default]
    Since,
    /// Time of day (the browser's time zone).
    Clock,
    /// Seconds since the previous row of the list.
    Delta,
}

impl TimeMode {
    /// For storage and the setting's options.
    pub fn id(self) -> &'static str {
        match self {
            TimeMode::Since => "since",
            TimeMode::Clock => "clock",
            TimeMode::Delta => "delta",
        }
    }

    /// Every mode, in the setting's order.
    pub const ALL: [TimeMode; 3] = [TimeMode::Since, TimeMode::Clock, TimeMode::Delta];

    /// The mode an id names (the default for none).
    pub fn from_id(id: &str) -> TimeMode {
        TimeMode::ALL
            .into_iter()
            .find(|m| m.id() == id)
            .unwrap_or_default()
    }

    /// The list's time column heading.
    pub fn heading(self) -> &'static str {
        match self {
            TimeMode::Since => "time (s)",
            TimeMode::Clock => "time of day",
            TimeMode::Delta => "Δt (s)",
        }
    }
}

/// The settings and the state of the incident views (in the page's context).
#[derive(Clone, Copy)]
pub struct Prefs {
    /// How times are shown: a [`TimeMode`] by its position in [`TimeMode::ALL`] (read it with
    /// [`Prefs::mode`]; a signal of a type the page has already costs no code).
    pub time: RwSignal<u32>,
    /// The list shows TCP events.
    pub events: RwSignal<bool>,
    /// The left side shows the statistics instead of the connections, timeline and list.
    pub stats: RwSignal<bool>,
    /// The findings panel shows only the findings of this verdict line.
    pub verdict: RwSignal<Option<usize>>,
    /// What "go to packet" has to say (not found exactly, and why).
    pub packet_note: RwSignal<Option<String>>,
}

const TIME_KEY: &str = "time";
const EVENTS_KEY: &str = "list.tcp";

impl Prefs {
    /// The settings as last kept.
    pub fn new() -> Prefs {
        Prefs {
            time: RwSignal::new(TimeMode::from_id(
                &crate::ui::storage::get(TIME_KEY).unwrap_or_default(),
            ) as u32),
            events: RwSignal::new(events_kept()),
            stats: RwSignal::new(false),
            verdict: RwSignal::new(None),
            packet_note: RwSignal::new(None),
        }
    }

    /// How times are shown (tracked).
    pub fn mode(self) -> TimeMode {
        TimeMode::ALL
            .get(self.time.get() as usize)
            .copied()
            .unwrap_or_default()
    }

    /// How times are shown (untracked).
    pub fn mode_untracked(self) -> TimeMode {
        TimeMode::ALL
            .get(self.time.get_untracked() as usize)
            .copied()
            .unwrap_or_default()
    }

    /// Sets and keeps the time display.
    pub fn set_time(self, mode: TimeMode) {
        self.time.set(mode as u32);
        crate::ui::storage::set(TIME_KEY, Some(mode.id()));
    }
}

impl Default for Prefs {
    fn default() -> Self {
        Prefs::new()
    }
}

fn events_kept() -> bool {
    crate::ui::storage::get(EVENTS_KEY).is_some_and(|v| v == "1")
}

/// A new capture is shown: its list gets the TCP events too if the person shows them.
pub fn after_load(ui: Ui) {
    if !events_kept() {
        return;
    }
    ui.ask(Request::Events(true), move |r| {
        if let Response::View(v) = r {
            ui.view.set(v);
            ui.view_gen.update(|g| *g += 1);
        }
    });
}

/// Shows (or hides) the TCP events in the list, keeps the setting, keeps the selected frame
/// selected; then calls `then`.
pub fn set_events(ui: Ui, prefs: Prefs, on: bool, then: impl FnOnce() + 'static) {
    prefs.events.set(on);
    crate::ui::storage::set(EVENTS_KEY, Some(if on { "1" } else { "0" }));
    let previous = ui.selection.cursor.get_untracked();
    ui.ask(Request::Events(on), move |r| {
        let Response::View(v) = r else { return };
        ui.show_view(v);
        match previous.filter(|c| c.event.is_none()) {
            Some(c) => ui.ask(Request::Locate { frame: c.frame }, move |r| {
                if let Response::Position(Some(pos)) = r {
                    ui.selection.cursor.set(Some(Selection { pos, ..c }));
                }
                then();
            }),
            None => then(),
        }
    });
}

/// Selects the row of packet `number` (or the nearest one, saying so). `show` first shows the
/// TCP events in the list if they are hidden (a TCP mark was clicked).
pub fn goto_packet(ui: Ui, prefs: Prefs, number: u32, show: bool) {
    if show && !prefs.events.get_untracked() {
        set_events(ui, prefs, true, move || {
            goto_packet(ui, prefs, number, false)
        });
        return;
    }
    ui.ask(Request::GotoPacket { number }, move |r| {
        let Response::Packet(hit) = r else { return };
        prefs
            .packet_note
            .set((!hit.note.is_empty()).then_some(hit.note));
        if let Some(pos) = hit.pos {
            ui.selection.marked.set(None);
            ui.select_pos(pos);
        }
    });
}

/// A time for people in the chosen mode: `t` and `delta` in ns (since time zero, since the
/// previous row), `zero` time zero in ns since the epoch (0: the input has no times).
pub fn time_text(mode: TimeMode, t: u64, delta: u64, zero: u64) -> String {
    match mode {
        TimeMode::Delta => Fixed::ratio(delta, 9, 6).to_string(),
        TimeMode::Clock if zero > 0 => clock(zero.saturating_add(t), 6),
        _ => Fixed::ratio(t, 9, 6).to_string(),
    }
}

/// Column widths (CSS px) as last kept under `key`, if `n` of them were kept.
pub fn widths_kept(key: &str, n: usize) -> Option<Vec<f64>> {
    let kept = crate::ui::storage::get(key)?;
    let widths: Vec<f64> = kept
        .split(',')
        // Whole pixels, read as integers (no float parser in the bundle for this).
        .filter_map(|w| w.parse::<u32>().ok())
        .filter(|&w| w > 0 && w < 10_000)
        .map(f64::from)
        .collect();
    (widths.len() == n).then_some(widths)
}

/// Keeps column widths (whole CSS px) under `key`.
pub fn keep_widths(key: &str, widths: &[f64]) {
    let text = widths
        .iter()
        .map(|w| (w.round() as i64).to_string())
        .collect::<Vec<_>>()
        .join(",");
    crate::ui::storage::set(key, Some(&text));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_day() {
        // 2023-11-14T22:13:20.000123456Z
        let ns = 1_700_000_000_000_123_456;
        assert_eq!(time_text(TimeMode::Since, 1_500_000, 7, ns), "0.001500");
        assert_eq!(time_text(TimeMode::Delta, 1_500_000, 7, ns), "0.000000");
        // Without times, time of day falls back to seconds.
        assert_eq!(time_text(TimeMode::Clock, 2_000_000_000, 0, 0), "2.000000");
    }
}
