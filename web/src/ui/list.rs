//! The dense frame list, virtualised: only the rows on screen exist in the page, fetched from
//! the worker as the list scrolls, so a million frames scroll as smoothly as ten.
//!
//! Browsers cap an element's height (about 17.9 million pixels in Firefox, 33.5 million in
//! Chromium), so above [`MAX_SCROLL_HEIGHT`] the scrollbar is scaled: its position maps to a
//! row proportionally instead of one pixel per pixel.

use leptos::html::Div;
use leptos::prelude::*;
use spop_codec::display::Fixed;

use crate::engine::incident::NO_CONNECTION;
use crate::engine::protocol::{level_name, Request, Response, Row};
use crate::ui::layout::{resize_handle, Widths};
use crate::ui::prefs::{time_text, Prefs};
use crate::ui::state::Ui;

/// Height of a row, in CSS pixels (kept in step with `.row` in index.html).
pub const ROW_HEIGHT: f64 = 24.0;
/// Tallest scroll area used.
pub const MAX_SCROLL_HEIGHT: f64 = 8_000_000.0;
/// Rows fetched beyond the visible ones, each side.
const OVERSCAN: usize = 30;

/// The columns but the summary (which takes the rest): heading, hover text and default
/// width (px), in order; the summary comes before the last.
const COLUMNS: [(&str, &str, f64); 9] = [
    ("#", "Frame number", 40.0),
    ("conn", "Connection", 40.0),
    ("", "", 76.0),
    ("dir", "Direction", 24.0),
    ("type", "Frame type", 136.0),
    ("stream/frm", "Stream and frame ids", 76.0),
    ("len", "Length", 40.0),
    ("pkt", "Packet number", 48.0),
    ("findings", "Findings", 84.0),
];
/// Storage key of the list's column widths.
const WIDTHS_KEY: &str = "layout.frames";
/// The time column's narrowest in time of day.
const CLOCK_W: f64 = 118.0;

fn content_height(total: usize) -> f64 {
    (total as f64 * ROW_HEIGHT).min(MAX_SCROLL_HEIGHT)
}

/// The (fractional) row at the top of the viewport for a scroll position.
pub fn first_row(scroll_top: f64, viewport: f64, total: usize) -> f64 {
    let full = total as f64 * ROW_HEIGHT;
    let visible = viewport / ROW_HEIGHT;
    let max_first = (total as f64 - visible).max(0.0);
    let r = if full <= MAX_SCROLL_HEIGHT {
        scroll_top / ROW_HEIGHT
    } else {
        let range = (MAX_SCROLL_HEIGHT - viewport).max(1.0);
        scroll_top / range * max_first
    };
    r.max(0.0).min(max_first)
}

/// The scroll position that puts row `row` at the top (the inverse of [`first_row`]).
pub fn scroll_top_for(row: f64, viewport: f64, total: usize) -> f64 {
    let full = total as f64 * ROW_HEIGHT;
    let visible = viewport / ROW_HEIGHT;
    let max_first = (total as f64 - visible).max(0.0);
    let row = row.max(0.0).min(max_first);
    if full <= MAX_SCROLL_HEIGHT {
        row * ROW_HEIGHT
    } else if max_first == 0.0 {
        0.0
    } else {
        row / max_first * (MAX_SCROLL_HEIGHT - viewport).max(1.0)
    }
}

/// The frame list.
#[component]
pub fn FrameList() -> impl IntoView {
    let ui = expect_context::<Ui>();
    let prefs = expect_context::<Prefs>();
    let scroller = NodeRef::<Div>::new();
    let scroll_top = RwSignal::new(0.0f64);
    let viewport = RwSignal::new(600.0f64);
    // Rows fetched: (view generation, rows by position).
    let cache = RwSignal::new((0u64, Vec::<Row>::new()));
    let measure = move || {
        if let Some(el) = scroller.get_untracked() {
            viewport.set(f64::from(el.client_height()).max(ROW_HEIGHT));
            scroll_top.set(f64::from(el.scroll_top()));
        }
    };
    let resize = window_event_listener(leptos::ev::resize, move |_| measure());
    on_cleanup(move || resize.remove());
    // Measured again when shown again (hidden behind the statistics, it has no height).
    Effect::new(move |_| {
        if scroller.get().is_some() && !prefs.stats.get() {
            request_animation_frame(measure);
        }
    });
    let first =
        Memo::new(move |_| first_row(scroll_top.get(), viewport.get(), ui.view.get().total));
    let visible = Memo::new(move |_| (viewport.get() / ROW_HEIGHT).ceil() as usize + 1);
    // Fetch what is on screen (and a margin) when it is not cached yet.
    Effect::new(move |_| {
        let generation = ui.view_gen.get();
        let total = ui.view.get().total;
        let top = first.get().floor() as usize;
        let want_start = top.saturating_sub(OVERSCAN);
        let want_end = (top + visible.get() + OVERSCAN).min(total);
        let covered = cache.with_untracked(|(g, rows)| {
            *g == generation
                && rows.first().is_some_and(|r| r.pos <= top)
                && rows
                    .last()
                    .is_some_and(|r| r.pos + 1 >= (top + visible.get()).min(total))
        });
        if covered || want_end <= want_start {
            if total == 0 {
                cache.set((generation, Vec::new()));
            }
            return;
        }
        ui.ask(
            Request::Rows {
                start: want_start,
                count: want_end - want_start,
            },
            move |r| {
                if let Response::Rows { rows, .. } = r {
                    if ui.view_gen.get_untracked() == generation {
                        cache.set((generation, rows));
                    }
                }
            },
        );
    });
    // Keep the selected row on screen.
    Effect::new(move |_| {
        let Some(c) = ui.selection.cursor.get() else {
            return;
        };
        let Some(el) = scroller.get_untracked() else {
            return;
        };
        let total = ui.view.get_untracked().total;
        // The list's height now: what is above it (the verdict, the timeline's legend) may
        // have changed since it was last measured.
        let vp = f64::from(el.client_height()).max(ROW_HEIGHT);
        if vp != viewport.get_untracked() {
            viewport.set(vp);
        }
        let top = first.get_untracked();
        let rows_visible = (vp / ROW_HEIGHT).floor().max(1.0);
        let pos = c.pos as f64;
        let target = if pos < top {
            Some(pos)
        } else if pos + 1.0 > top + rows_visible {
            Some(pos + 1.0 - rows_visible)
        } else {
            None
        };
        if let Some(t) = target {
            let st = scroll_top_for(t, vp, total);
            el.set_scroll_top(st.round() as i32);
            scroll_top.set(st);
        }
    });
    let shown = move || {
        let top = first.get();
        let from = top.floor() as usize;
        let to = from + visible.get();
        // The time display is part of the key: rows are drawn again when it changes.
        let mode = prefs.time.get() as u64;
        cache.with(|(g, rows)| {
            if *g != ui.view_gen.get() {
                return Vec::new();
            }
            rows.iter()
                .filter(|r| r.pos >= from && r.pos < to)
                // Generation and time display in one number (the display is 0 to 2).
                .map(|r| (*g * 4 + mode, r.clone()))
                .collect::<Vec<_>>()
        })
    };
    // The columns as the person left them; times of day need a wider column.
    let widths = Widths::new(WIDTHS_KEY, &COLUMNS.map(|c| c.2), Some(8));
    // Until the person sets them, the stylesheet's (narrower in narrower windows).
    let cols = move || {
        if !widths.custom.get() {
            return None;
        }
        let clock = prefs.mode() == crate::ui::prefs::TimeMode::Clock;
        widths.w.with(|w| {
            let mut t = String::new();
            for (i, c) in w.iter().enumerate() {
                let c = if i == 2 && clock { c.max(CLOCK_W) } else { *c };
                if i + 1 == w.len() {
                    t.push_str("minmax(0, 1fr) ");
                }
                t.push_str(&(c.round() as i64).to_string());
                t.push_str("px ");
            }
            Some(t)
        })
    };
    // The narrowest layouts' own columns (index.html) take the width of times of day.
    let time_w = move || (prefs.mode() == crate::ui::prefs::TimeMode::Clock).then_some("7.4rem");
    let head = move |i: usize| {
        let (label, title, _) = COLUMNS[i];
        view! {
            <span title=title>
                {move || if i == 2 { prefs.mode().heading() } else { label }}
                {resize_handle(widths, i, 1.0, 16.0, format!("Resize the {} column", if i == 2 { "time" } else { label }))}
            </span>
        }
    };
    view! {
        <div class="list-head" aria-hidden="true" style:--list-cols=cols style:--time-w=time_w>
            {(0..8).map(head).collect_view()}
            <span>"summary"</span>
            <span title="Findings">
                {resize_handle(widths, 8, -1.0, 24.0, "Resize the findings column".into())}
                "findings"
            </span>
        </div>
        <div
            class="list"
            style:--list-cols=cols
            style:--time-w=time_w
            id="frames"
            node_ref=scroller
            role="grid"
            aria-label="Frames"
            aria-rowcount=move || ui.view.get().total.to_string()
            tabindex="0"
            on:scroll=move |_| measure()
        >
            <div class="spacer" style:height=move || format!("{}px", Fixed::of(content_height(ui.view.get().total), 2))>
                <For
                    each=shown
                    // A frame by its index, a TCP event from the top of the range down (the
                    // key type the list always had: no map code of its own in the wasm).
                    key=|(g, r)| (*g, r.event.map_or(r.index, |e| usize::MAX - e))
                    children=move |(_, r)| {
                        let pos = r.pos as f64;
                        // Relative to the scroll position: exact when the scrollbar is scaled.
                        let top = Signal::derive(move || scroll_top.get() + (pos - first.get()) * ROW_HEIGHT);
                        row_view(ui, prefs, r, top)
                    }
                />
            </div>
            {move || (ui.view.get().total == 0).then(|| view! {
                <p class="empty">"No frame matches the filters."</p>
            })}
        </div>
    }
}

fn row_view(ui: Ui, prefs: Prefs, r: Row, top: Signal<f64>) -> impl IntoView {
    let index = r.index;
    let pos = r.pos;
    let event = r.event;
    // A TCP event's row is selected by its event, a frame's by its frame.
    let selected = move || {
        ui.selection
            .cursor
            .get()
            .is_some_and(|c| c.event == event && (event.is_some() || c.frame == index))
    };
    let zero = ui
        .overview
        .with_untracked(|o| o.as_ref().map_or(0, |o| o.zero));
    let time = time_text(prefs.mode_untracked(), r.t, r.delta, zero);
    let level = level_name(r.level);
    let dir = if r.to_agent { "→" } else { "←" };
    let dir_title = if r.to_agent {
        "HAProxy → agent"
    } else {
        "agent → HAProxy"
    };
    let type_class = format!("type t-{}", r.frame_type.to_ascii_lowercase());
    let frame_type = r.label.clone();
    let pair = r.pair.map(|(p, ns)| {
        format!(
            " · {} #{}{}",
            if r.to_agent { "ACK" } else { "NOTIFY" },
            p + 1,
            ns.map_or(String::new(), |ns| format!(
                " in {}",
                crate::engine::session::duration(ns)
            ))
        )
    });
    let summary_title = match r.embedded_in {
        Some(p) => format!("written inside frame #{}: {}", p + 1, r.summary),
        None => r.summary.clone(),
    };
    view! {
        <div
            class=format!("row lvl-{level}")
            class:embedded=r.embedded_in.is_some()
            class:selected=selected
            role="row"
            aria-rowindex=(pos + 1).to_string()
            aria-selected=move || selected().to_string()
            data-frame=event.is_none().then(|| index.to_string())
            data-event=event.map(|e| e.to_string())
            data-packet=r.packet.to_string()
            class:tcp=event.is_some()
            style:top=move || format!("{}px", Fixed::of(top.get(), 2))
            on:click=move |_| {
                ui.selection.marked.set(None);
                ui.select_pos(pos);
            }
            on:dblclick=move |_| ui.selection.focus_details.set(true)
        >
            <span role="gridcell" class="num">{event.is_none().then(|| index + 1)}</span>
            <span role="gridcell" class="num">{(r.connection != NO_CONNECTION).then(|| r.connection + 1)}</span>
            <span role="gridcell" class="mono num">{time}</span>
            <span role="gridcell" class="dir" title=dir_title>{dir}</span>
            <span role="gridcell" class=type_class>{frame_type}</span>
            <span role="gridcell" class="mono">{r.ids}</span>
            <span role="gridcell" class="mono num">{event.is_none().then_some(r.length)}</span>
            <span role="gridcell" class="mono num pkt">{r.packet}</span>
            <span role="gridcell" class="mono summary" title=summary_title>
                {move || ui.notes.with(|n| n.get(&index).map(|n| {
                    let badge = match (n.marked, n.text.is_empty()) {
                        (true, true) => "★",
                        (true, false) => "★✎",
                        _ => "✎",
                    };
                    let title = if n.text.is_empty() { "marked".to_string() } else { n.text.clone() };
                    view! { <span class="note-badge" title=title>{badge}</span> }
                }))}
                {r.summary}{pair}
            </span>
            <span role="gridcell" class="codes" title=r.codes.join(" ")>{r.codes.join(" ")}</span>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scroll_maps_both_ways_and_stays_in_bounds() {
        for total in [0usize, 1, 10, 1_000, 1_000_000, 5_000_000] {
            let vp = 600.0;
            let h = content_height(total);
            assert!(h <= MAX_SCROLL_HEIGHT);
            let max_top = (h - vp).max(0.0);
            for frac in [0.0, 0.25, 0.5, 1.0] {
                let st = max_top * frac;
                let r = first_row(st, vp, total);
                assert!(r >= 0.0 && r <= total as f64, "{total} {frac}");
                let back = scroll_top_for(r, vp, total);
                assert!(
                    (back - st).abs() < 1.0,
                    "{total} {frac}: {st} → {r} → {back}"
                );
            }
            // The bottom of the scroll area shows the last row.
            if total as f64 * ROW_HEIGHT > vp {
                let last = first_row(max_top, vp, total) + vp / ROW_HEIGHT;
                assert!((last - total as f64).abs() < 1.0, "{total}: {last}");
            }
        }
    }
}
