//! The timeline: two lanes (HAProxy above, the agent below) on a time axis. Each frame is an
//! arrow in its direction; a NOTIFY and its ACK are linked along the agent's lane with the
//! latency; findings color the arrows by severity. Dense windows are drawn as per-pixel
//! columns (the worker bins them); wheel or the buttons zoom, dragging pans.

use core::fmt::Write as _;

use leptos::html::Div;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use spop_codec::display::Fixed;

use crate::engine::draw::thousands;
use crate::engine::draw::{clock, coord, tick_step, ATTEMPTS_Y, LANE_A, LANE_H, LEFT};
use crate::engine::protocol::{
    digit_level, level_digit, level_name, order_time, Request, Response, Timeline as Window,
    ORDER_UNIT,
};
use crate::engine::session::duration;
use crate::ui::prefs::{goto_packet, Prefs, TimeMode};
use crate::ui::selection::Selection;
use crate::ui::state::Ui;

/// The timeline's window and zoom, as the rest of the page sets them.
#[derive(Clone, Copy)]
pub struct TimelineView {
    /// The timeline's window (ns since time zero).
    pub window: RwSignal<(u64, u64)>,
    /// A window to show once the next selection lands (restoring a share link).
    pub pending_window: RwSignal<Option<(u64, u64)>>,
    /// Zoom asked for by the keyboard: how many times so far, and the factor (0: fit).
    pub zoom_key: RwSignal<(u64, f64)>,
}

impl TimelineView {
    /// A window to be fitted to the first view.
    pub(crate) fn new() -> TimelineView {
        TimelineView {
            window: RwSignal::new((0, 1)),
            pending_window: RwSignal::new(None),
            zoom_key: RwSignal::new((0, 1.0)),
        }
    }
}

const HEIGHT: f64 = 156.0;
const RIGHT: f64 = 14.0;
const AXIS: f64 = 144.0;
/// Top of the note flags, above the HAProxy lane.
const FLAG_Y: f64 = 5.0;
/// NOTIFY→ACK arcs hang below the agent's lane, overlapping pairs one below the other: the
/// depth of the first arc's apex, and the room the deepest may take.
const ARC_TOP: f64 = 7.0;
const ARC_ROOM: f64 = 24.0;
/// The baseline of the latency labels, below the deepest arc.
const ARC_LABEL_Y: f64 = LANE_A + 4.0 + ARC_TOP + ARC_ROOM + 11.0;
/// Width of a character of the timeline's monospace labels (11 px), a little generous: what
/// decides whether a label fits.
const CHAR_W: f64 = 6.9;

/// Lanes for NOTIFY→ACK arcs `[x1, x2]` given in order of `x1`: the first lane whose last
/// arc ended before this one starts, so overlapping pairs are never drawn on one line.
/// Returns each arc's lane and the number of lanes.
pub fn arc_lanes(arcs: &[(f64, f64)]) -> (Vec<usize>, usize) {
    let mut ends: Vec<f64> = Vec::new();
    let lanes = arcs
        .iter()
        .map(
            |&(x1, x2)| match ends.iter_mut().enumerate().find(|(_, e)| **e < x1) {
                Some((k, e)) => {
                    *e = x2;
                    k
                }
                None => {
                    ends.push(x2);
                    ends.len() - 1
                }
            },
        )
        .collect();
    (lanes, ends.len())
}

/// Labels centred at `x` that can be drawn without overlapping each other, within
/// `[lo, hi]`: the shift of each label's centre (to keep it inside) or `None` where it
/// does not fit. `labels` are (centre, width), in the order they have priority.
pub fn fit_labels(labels: &[(f64, f64)], lo: f64, hi: f64) -> Vec<Option<f64>> {
    let mut placed: Vec<(f64, f64)> = Vec::new();
    labels
        .iter()
        .map(|&(x, w)| {
            let left = (x - w / 2.0).max(lo).min(hi - w);
            let right = left + w;
            if left < lo - 0.5
                || placed
                    .iter()
                    .any(|&(l, r)| left < r + 4.0 && right + 4.0 > l)
            {
                return None;
            }
            placed.push((left, right));
            Some(left + w / 2.0)
        })
        .collect()
}
/// What the attempts' lane adds below.
const ATTEMPTS_H: f64 = 22.0;

/// The TCP marks' legend, as SVG text spans (none without TCP events).
fn legend(tcp: bool, attempts: bool) -> &'static str {
    match (tcp, attempts) {
        (false, _) => "",
        (true, false) => {
            r#"<tspan class="lg syn">○</tspan> SYN <tspan class="lg fin">■</tspan> FIN <tspan class="lg rst">✕</tspan> RST <tspan class="lg zero-window">‖</tspan> zero window"#
        }
        (true, true) => {
            r#"<tspan class="lg syn">○</tspan> SYN <tspan class="lg fin">■</tspan> FIN <tspan class="lg rst">✕</tspan> RST <tspan class="lg zero-window">‖</tspan> zero window · attempts: <tspan class="lg rst">✕</tspan> refused <tspan class="lg zero-window">○</tspan> unanswered"#
        }
    }
}

/// The ticks of the window `t0..=t1`, every `step` ns from the first multiple of it: at most
/// 40, none past `t1`, and none past `u64::MAX` (a window near it, as a shared link or a
/// pcapng file can give, wrapped its labels around to 0).
fn tick_times(t0: u64, t1: u64, step: u64) -> impl Iterator<Item = u64> {
    let step = step.max(1);
    let first = t0.div_ceil(step).checked_mul(step);
    (0..40u64)
        .map_while(move |k| first?.checked_add(k.checked_mul(step)?))
        .take_while(move |&t| t <= t1)
}

fn tick_label(t: u64, step: u64) -> String {
    let decimals = if step >= 1_000_000_000 {
        0
    } else {
        (9 - (step as f64).log10().floor() as i32).clamp(0, 9) as u8
    };
    Fixed::ratio(t, 9, decimals).to_string()
}

/// An SVG coordinate as an attribute value.
fn px(v: f64) -> String {
    coord(v).to_string()
}

/// The timeline panel.
#[component]
pub fn Timeline() -> impl IntoView {
    let ui = expect_context::<Ui>();
    let prefs = expect_context::<Prefs>();
    let host = NodeRef::<Div>::new();
    // The capture's time zero (ns since the epoch) and whether it has attempts without SPOP
    // (their lane) or TCP events at all (the legend).
    let zero = move || ui.overview.with(|o| o.as_ref().map_or(0, |o| o.zero));
    let attempts = Memo::new(move |_| {
        ui.overview
            .with(|o| o.as_ref().is_some_and(|o| !o.attempts.is_empty()))
    });
    let tcp = Memo::new(move |_| {
        ui.overview
            .with(|o| o.as_ref().is_some_and(|o| o.tcp_events > 0))
    });
    // The engine's word on whether the input has times: without them, the axis is frame
    // order (the worker places frames at `order_time`).
    let timed = Memo::new(move |_| ui.overview.with(|o| o.as_ref().is_none_or(|o| o.timed)));
    // Where the selected row is on the axis (a TCP event has no place on frame order).
    let at_of = move |c: &Selection| {
        if timed.get_untracked() {
            Some(c.t)
        } else {
            c.event.is_none().then(|| order_time(c.frame))
        }
    };
    let extra = move || if attempts.get() { ATTEMPTS_H } else { 0.0 };
    let clock_mode = move || prefs.mode() == TimeMode::Clock && zero() > 0;
    // None until the plot is measured: asking with a guessed width would draw the capture
    // twice (once per width) before its first frame is on screen.
    let measured = RwSignal::new(None::<f64>);
    let width = Signal::derive(move || measured.get().unwrap_or(800.0));
    let window = ui.timeline.window;
    let data = RwSignal::new(None::<Window>);
    let drag = RwSignal::new(None::<(f64, (u64, u64))>);
    // The pointer's x in the plot, while over it.
    let hover = RwSignal::new(None::<f64>);
    let measure = move || {
        if let Some(el) = host.get_untracked() {
            measured.set(Some(f64::from(el.client_width()).max(200.0)));
        }
    };
    let resize = window_event_listener(leptos::ev::resize, move |_| measure());
    on_cleanup(move || resize.remove());
    // Measured again when shown again (hidden behind the statistics, it has no width).
    Effect::new(move |_| {
        if host.get().is_some() && !prefs.stats.get() {
            request_animation_frame(measure);
        }
    });
    let fit = move || {
        let v = ui.view.get_untracked();
        // Half a frame's room each side on frame order (ORDER_UNIT is also the narrowest
        // window on times).
        let pad = ((v.t1 - v.t0) / 50).max(ORDER_UNIT);
        window.set((v.t0.saturating_sub(pad), v.t1 + pad));
    };
    // A new view shows all of it (unless a share link says which part).
    Effect::new(move |_| {
        ui.view_gen.track();
        if ui.timeline.pending_window.get_untracked().is_none() {
            fit();
        }
    });
    // Keep the selected frame in the window.
    Effect::new(move |_| {
        let Some(c) = ui.selection.cursor.get() else {
            return;
        };
        if let Some(w) = ui.timeline.pending_window.get_untracked() {
            ui.timeline.pending_window.set(None);
            window.set(w);
            return;
        }
        let Some(at) = at_of(&c) else { return };
        let (t0, t1) = window.get_untracked();
        if at < t0 || at > t1 {
            let half = (t1 - t0) / 2;
            let start = at.saturating_sub(half);
            window.set((start, start.saturating_add(2 * half)));
        }
    });
    Effect::new(move |_| {
        let (t0, t1) = window.get();
        let Some(w) = measured.get() else { return };
        let bins = (w - LEFT - RIGHT).max(1.0) as u32;
        let generation = ui.view_gen.get();
        ui.ask(Request::Timeline { t0, t1, bins }, move |r| {
            if let Response::Timeline(t) = r {
                if ui.view_gen.get_untracked() == generation
                    && window.get_untracked() == (t.t0, t.t1)
                {
                    if t.count > 0 {
                        // Arrows or columns are drawn from this (the load's performance mark).
                        ui.timeline_drawn(generation);
                    }
                    data.set(Some(t));
                }
            }
        });
    });
    let x_of = move |t: u64| {
        let (t0, t1) = window.get();
        let plot = width.get() - LEFT - RIGHT;
        LEFT + (t.saturating_sub(t0) as f64 / (t1 - t0).max(1) as f64) * plot
    };
    // Zooms around the pointer (`at`, the wheel), else around the selected frame when it is
    // in the window (it stays where it is on screen, however often one zooms), else around
    // the middle.
    let zoom = move |factor: f64, at: Option<f64>| {
        let (t0, t1) = window.get_untracked();
        let span = (t1 - t0) as f64;
        let plot = width.get_untracked() - LEFT - RIGHT;
        let selected = ui
            .selection
            .cursor
            .get_untracked()
            .and_then(|c| at_of(&c))
            .filter(|t| (t0..=t1).contains(t))
            .map(|t| (t - t0) as f64 / span.max(1.0));
        let anchor = at.map_or(selected.unwrap_or(0.5), |x| {
            ((x - LEFT) / plot).max(0.0).min(1.0)
        });
        let centre = t0 as f64 + span * anchor;
        let new_span = (span * factor).max(ORDER_UNIT as f64).min(1e16);
        let n0 = (centre - new_span * anchor).max(0.0);
        window.set((n0 as u64, (n0 + new_span) as u64));
    };
    // Zoom keys (+, -, 0): those pressed from now on (the count at mount is old news).
    let keys_seen = StoredValue::new(ui.timeline.zoom_key.get_untracked().0);
    Effect::new(move |_| {
        let (n, factor) = ui.timeline.zoom_key.get();
        if n == keys_seen.get_value() {
            return;
        }
        keys_seen.set_value(n);
        if factor == 0.0 {
            fit();
        } else {
            zoom(factor, None);
        }
    });
    let on_wheel = move |ev: web_sys::WheelEvent| {
        ev.prevent_default();
        let factor = if ev.delta_y() > 0.0 { 1.25 } else { 0.8 };
        zoom(factor, Some(f64::from(ev.offset_x())));
    };
    let on_down = move |ev: web_sys::MouseEvent| {
        drag.set(Some((f64::from(ev.client_x()), window.get_untracked())));
    };
    let on_move = move |ev: web_sys::MouseEvent| {
        let Some((x0, (t0, t1))) = drag.get_untracked() else {
            let x = ev
                .current_target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .map(|el| f64::from(ev.client_x()) - el.get_bounding_client_rect().left());
            hover.set(x);
            return;
        };
        hover.set(None);
        let plot = width.get_untracked() - LEFT - RIGHT;
        let dt = ((x0 - f64::from(ev.client_x())) / plot * (t1 - t0) as f64) as i64;
        let n0 = t0.saturating_add_signed(dt);
        window.set((n0, n0.saturating_add(t1 - t0)));
    };
    let marks = move || {
        let Some(t) = data.get() else {
            return ().into_any();
        };
        let selected = ui.selection.cursor.get().map(|c| c.frame);
        if !t.bins.is_empty() {
            let n = t.bins.len() as f64;
            let plot = width.get() - LEFT - RIGHT;
            let max = t
                .bins
                .iter()
                .map(|b| b.to_agent.max(b.to_haproxy))
                .max()
                .unwrap_or(1)
                .max(1);
            let h = |c: u32| {
                if c == 0 {
                    0.0
                } else {
                    3.0 + 25.0 * (f64::from(c).ln_1p() / f64::from(max).ln_1p())
                }
            };
            let mid = (LANE_H + LANE_A) / 2.0;
            let w = (plot / n).max(1.0);
            // One path per level and direction, not a few nodes per pixel column: a large
            // capture fills every column, and thousands of nodes cost more to build than the
            // rest of the page before its first timeline is on screen. Levels (by `level_digit`: 0 none …
            // 3 error) are drawn in order, the worst on top; the column under the pointer is
            // read out by `hovered` instead of a title per column.
            let mut levels: [(String, String); 4] = Default::default();
            for (i, b) in t.bins.iter().enumerate() {
                if b.to_agent + b.to_haproxy == 0 {
                    continue;
                }
                let Some((to_agent, to_haproxy)) =
                    levels.get_mut(usize::from(level_digit(b.level)))
                else {
                    continue;
                };
                let x = LEFT + i as f64 / n * plot;
                // A column `h` tall from `top`, added to `path`.
                let column = |path: &mut String, top: f64, h: f64| {
                    let (x, top, w, h) = (coord(x), coord(top), coord(w), coord(h));
                    let _ = write!(path, "M{x},{top}h{w}v{h}h-{w}z");
                };
                if b.to_agent > 0 {
                    let h = h(b.to_agent);
                    column(to_agent, mid - h, h);
                }
                if b.to_haproxy > 0 {
                    column(to_haproxy, mid, h(b.to_haproxy));
                }
            }
            return (0..)
                .map(digit_level)
                .zip(levels)
                .filter(|(_, (to_agent, to_haproxy))| {
                    !to_agent.is_empty() || !to_haproxy.is_empty()
                })
                .map(|(level, (to_agent, to_haproxy))| {
                    view! {
                        <g class=format!("bin lvl-{}", level_name(level))>
                            <path d=to_agent></path>
                            <path class="back" d=to_haproxy></path>
                        </g>
                    }
                })
                .collect_view()
                .into_any();
        }
        // NOTIFY→ACK arcs: overlapping pairs in lanes, one below the other; a latency label
        // only where it fits under its arc, clear of the others (every arc says its latency
        // on hover).
        let timed = timed.get();
        let pairs: Vec<(usize, usize, u64, u64)> = t
            .marks
            .iter()
            .filter_map(|m| m.ack.map(|(ack, at)| (m.index, ack, m.t, at)))
            .collect();
        let spans: Vec<(f64, f64)> = pairs
            .iter()
            .map(|&(_, _, t1, t2)| (x_of(t1), x_of(t2)))
            .collect();
        let (lanes, count) = arc_lanes(&spans);
        let step = if count > 1 {
            (ARC_ROOM / (count - 1) as f64).min(6.0)
        } else {
            0.0
        };
        let texts: Vec<String> = pairs
            .iter()
            .map(|&(_, _, t1, t2)| {
                if timed {
                    duration(t2.saturating_sub(t1))
                } else {
                    String::new()
                }
            })
            .collect();
        let wanted: Vec<(f64, f64)> = spans
            .iter()
            .zip(&texts)
            .map(|(&(x1, x2), l)| {
                let w = l.chars().count() as f64 * CHAR_W * 10.5 / 11.0;
                // Too wide for its arc: not drawn (an impossible width).
                (
                    (x1 + x2) / 2.0,
                    if l.is_empty() || w + 4.0 > x2 - x1 {
                        f64::INFINITY
                    } else {
                        w
                    },
                )
            })
            .collect();
        let placed = fit_labels(&wanted, LEFT, width.get() - RIGHT);
        let y = LANE_A + 4.0;
        let links = pairs
            .iter()
            .zip(spans)
            .zip(lanes)
            .zip(texts)
            .zip(placed)
            .map(|(((((notify, ack, _, _), (x1, x2)), lane), text), at)| {
                let mid = (x1 + x2) / 2.0;
                // A quadratic curve's apex is halfway to its control point.
                let depth = 2.0 * (ARC_TOP + lane as f64 * step);
                let title = if timed {
                    format!("NOTIFY #{} → ACK #{}: {}", notify + 1, ack + 1, text)
                } else {
                    format!("NOTIFY #{} → ACK #{}", notify + 1, ack + 1)
                };
                view! {
                    <g class="link" data-lane=lane.to_string()>
                        <path d=format!("M{},{y} Q{},{} {},{y}", coord(x1), coord(mid), coord(y + depth), coord(x2), y = coord(y))><title>{title}</title></path>
                        {at.map(|x| view! { <text x=px(x) y=px(ARC_LABEL_Y) text-anchor="middle">{text}</text> })}
                    </g>
                }
            })
            .collect_view();
        let arrows = t
            .marks
            .iter()
            .map(|m| {
                let x = x_of(m.t);
                let (y1, y2) = if m.to_agent {
                    (LANE_H, LANE_A - 6.0)
                } else {
                    (LANE_A, LANE_H + 6.0)
                };
                let index = m.index;
                let class = format!(
                    "mark t-{} lvl-{}{}",
                    m.frame_type.to_ascii_lowercase(),
                    level_name(m.level),
                    if selected == Some(index) {
                        " selected"
                    } else {
                        ""
                    }
                );
                let head = if m.to_agent {
                    format!("M{},{} l-4,-7 h8 z", coord(x), coord(LANE_A - 1.0))
                } else {
                    format!("M{},{} l-4,7 h8 z", coord(x), coord(LANE_H + 1.0))
                };
                let title = format!(
                    "#{} {} {} at {} s",
                    index + 1,
                    m.frame_type,
                    if m.to_agent {
                        "HAProxy → agent"
                    } else {
                        "agent → HAProxy"
                    },
                    Fixed::ratio(m.t, 9, 6)
                );
                let (x, y1, y2) = (px(x), px(y1), px(y2));
                view! {
                    <g class=class data-frame=index.to_string() on:click=move |ev| {
                        ev.stop_propagation();
                        ui.selection.marked.set(None);
                        ui.select_frame(index);
                    }>
                        <title>{title}</title>
                        <line class="hit" x1=x.clone() y1=y1.clone() x2=x.clone() y2=y2.clone()></line>
                        <line x1=x.clone() y1=y1 x2=x y2=y2></line>
                        <path d=head></path>
                    </g>
                }
            })
            .collect_view();
        view! { {links}{arrows} }.into_any()
    };
    // The column under the pointer, when columns are shown: its frame counts.
    let hovered = move || {
        let x = hover.get()?;
        let plot = width.get() - LEFT - RIGHT;
        data.with(|d| {
            let bins = &d.as_ref()?.bins;
            let n = bins.len() as f64;
            let i = ((x - LEFT) / plot * n).floor();
            let b = bins.get(usize::try_from(i as i64).ok()?)?;
            if b.to_agent + b.to_haproxy == 0 {
                return None;
            }
            let at = LEFT + (i + 0.5) / n * plot;
            let right_half = at > LEFT + plot / 2.0;
            let label = format!(
                "{} HAProxy → agent · {} agent → HAProxy",
                thousands(b.to_agent as usize),
                thousands(b.to_haproxy as usize)
            );
            Some(view! {
                <g class="bin-hover">
                    <line x1=px(at) y1=px(LANE_H - 6.0) x2=px(at) y2=px(LANE_A + 6.0)></line>
                    <text
                        x=px(if right_half { at - 6.0 } else { at + 6.0 })
                        y=px(FLAG_Y + 8.0)
                        text-anchor=if right_half { "end" } else { "start" }
                    >
                        {label}
                    </text>
                </g>
            })
        })
    };
    // The person's notes and marks: a flag above the lanes at the frame's time.
    let flags = move || {
        let (t0, t1) = window.get();
        ui.notes.with(|notes| {
            notes
                .values()
                .filter(|n| n.t >= t0 && n.t <= t1)
                .map(|n| {
                    let x = px(x_of(n.t));
                    let frame = n.frame;
                    let title = format!(
                        "#{} {}{}{}",
                        frame + 1,
                        n.frame_type,
                        if n.marked { " ★" } else { "" },
                        if n.text.is_empty() { String::new() } else { format!(": {}", n.text) }
                    );
                    view! {
                        <g class="flag" class:marked=n.marked data-frame=frame.to_string() on:click=move |ev| {
                            ev.stop_propagation();
                            ui.selection.marked.set(None);
                            ui.select_frame(frame);
                        }>
                            <title>{title}</title>
                            <line x1=x.clone() y1=px(FLAG_Y) x2=x.clone() y2=px(LANE_H - 2.0)></line>
                            <path d=format!("M{x},{} h9 l-3,3.5 l3,3.5 h-9 z", coord(FLAG_Y))></path>
                        </g>
                    }
                })
                .collect_view()
        })
    };
    // TCP events (on the lane of the side that sent them) and attempts (on theirs): markup
    // from the worker, one click handler for all (it reads the packet from the mark).
    let tcp_marks = move || data.with(|d| d.as_ref().map(|t| t.tcp.clone()).unwrap_or_default());
    let on_tcp_click = move |ev: web_sys::MouseEvent| {
        let packet = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.closest("[data-packet]").ok().flatten())
            .and_then(|el| el.get_attribute("data-packet"))
            .and_then(|p| p.parse::<u32>().ok());
        if let Some(p) = packet {
            ev.stop_propagation();
            goto_packet(ui, prefs, p, true);
        }
    };
    let axis_name = move || {
        if !timed.get() {
            "order"
        } else if clock_mode() {
            "time of day"
        } else {
            "time (s)"
        }
    };
    let ticks = move || {
        let (t0, t1) = window.get();
        let w = width.get();
        let ticks: Vec<(u64, String)> = if timed.get() {
            // Times of day are wider than seconds.
            let room = if clock_mode() { 150.0 } else { 110.0 };
            let step = tick_step(t1 - t0, ((w - LEFT) / room) as u64);
            tick_times(t0, t1, step)
                .map(|t| {
                    let label = if clock_mode() {
                        let decimals = tick_label(t, step)
                            .split('.')
                            .nth(1)
                            .map_or(0, |d| d.len() as u8);
                        clock(zero() + t, decimals)
                    } else {
                        tick_label(t, step)
                    };
                    (t, label)
                })
                .collect()
        } else {
            // Frame order: a round number of frames between ticks, far enough apart for the
            // widest label ("frame 1000").
            let frames = ui.overview.with(|o| o.as_ref().map_or(0, |o| o.frames)) as u64;
            let widest = format!("frame {frames}").len() as f64 * CHAR_W + 12.0;
            let per_frame = (w - LEFT - RIGHT) / ((t1 - t0) as f64 / ORDER_UNIT as f64).max(1.0);
            let step = tick_step((widest / per_frame).ceil().max(1.0) as u64, 1);
            // The first frame, then round numbers a step past it.
            let first = (t0..=t1).contains(&ORDER_UNIT).then_some(1);
            first
                .into_iter()
                .chain(tick_times(t0, t1, step.saturating_mul(ORDER_UNIT)).map(|t| t / ORDER_UNIT))
                .filter(|&n| n == 1 || (n > step && n <= frames))
                .scan(0, |last, n| {
                    let new = n > *last;
                    *last = (*last).max(n);
                    Some(new.then_some(n))
                })
                .flatten()
                .map(|n| (n * ORDER_UNIT, format!("frame {n}")))
                .collect()
        };
        // Labels stay inside the plot, clear of the axis' name and of each other.
        let lo = 8.0 + axis_name().len() as f64 * CHAR_W + 6.0;
        let wanted: Vec<(f64, f64)> = ticks
            .iter()
            .map(|(t, l)| (x_of(*t), l.chars().count() as f64 * CHAR_W))
            .collect();
        let placed = fit_labels(&wanted, lo, w - 2.0);
        ticks
            .into_iter()
            .zip(wanted)
            .zip(placed)
            .map(|(((_, label), (x, _)), at)| {
                let x = px(x);
                view! {
                    <line class="tick" x1=x.clone() y1=px(LANE_H - 8.0) x2=x y2=px(AXIS + extra() - 10.0)></line>
                    {at.map(|at| view! { <text class="tick-label" x=px(at) y=px(AXIS + extra()) text-anchor="middle">{label}</text> })}
                }
            })
            .collect_view()
    };
    view! {
        <section class="timeline" aria-label="Timeline">
            <div class="timeline-bar">
                <strong>"Timeline"</strong>
                <span class="muted" id="timeline-info">{move || data.get().map(|t| format!(
                    "{} frame(s) {} · {}",
                    thousands(t.count),
                    if timed.get() { format!("in {}", duration(t.t1 - t.t0)) } else { "in frame order (no times)".to_string() },
                    if t.bins.is_empty() { "arrows: frames, arcs: NOTIFY→ACK latency" } else { "columns: frames per pixel (zoom in for arrows)" }
                ))}</span>
                <span class="spacer"></span>
                <button class="icon" aria-label="Zoom out" on:click=move |_| zoom(2.0, None)>"−"</button>
                <button class="icon" aria-label="Zoom in" on:click=move |_| zoom(0.5, None)>"+"</button>
                <button aria-label="Fit (show the whole view)" on:click=move |_| fit()>"Fit"</button>
            </div>
            <div class="timeline-plot" node_ref=host>
                <svg
                    width=move || px(width.get())
                    height=move || px(HEIGHT + extra())
                    role="img"
                    aria-label="Frames over time: HAProxy above, the agent below"
                    on:wheel=on_wheel
                    on:mousedown=on_down
                    on:mousemove=on_move
                    on:mouseup=move |_| drag.set(None)
                    on:mouseleave=move |_| {
                        drag.set(None);
                        hover.set(None);
                    }
                    class:dragging=move || drag.get().is_some()
                >
                    <text class="lane-label" x="8" y=px(LANE_H + 4.0)>"HAProxy"</text>
                    <text class="lane-label" x="8" y=px(LANE_A + 4.0)>"agent"</text>
                    <text class="tick-label axis-name" x="8" y=move || px(AXIS + extra())>{axis_name}</text>
                    {move || attempts.get().then(|| view! {
                        <text class="lane-label" x="8" y=px(ATTEMPTS_Y + 4.0)>"attempts"</text>
                        <line class="lane attempts-lane" x1=px(LEFT) y1=px(ATTEMPTS_Y) x2=move || px(width.get() - RIGHT) y2=px(ATTEMPTS_Y)></line>
                    })}
                    <line class="lane" x1=px(LEFT) y1=px(LANE_H) x2=move || px(width.get() - RIGHT) y2=px(LANE_H)></line>
                    <line class="lane" x1=px(LEFT) y1=px(LANE_A) x2=move || px(width.get() - RIGHT) y2=px(LANE_A)></line>
                    <text class="tcp-legend" x=move || px(width.get() - RIGHT) y="12" text-anchor="end" aria-hidden="true" inner_html=move || legend(tcp.get(), attempts.get())></text>
                    {ticks}
                    {marks}
                    <g class="tcp-marks" inner_html=tcp_marks on:click=on_tcp_click></g>
                    {flags}
                    {hovered}
                </svg>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_about_as_many_as_asked() {
        assert_eq!(tick_step(10_000_000_000, 10), 1_000_000_000);
        assert_eq!(tick_step(3_000_000, 10), 500_000);
        assert_eq!(tick_step(1, 10), 1);
        for span in [7u64, 999, 123_456_789, 86_400_000_000_000] {
            let s = tick_step(span, 8);
            assert!(span / s <= 8 && span / s >= 3, "{span}: {s}");
        }
        assert_eq!(tick_label(1_500_000_000, 500_000_000), "1.5");
        assert_eq!(tick_label(2_000_000_000, 1_000_000_000), "2");
    }

    #[test]
    fn overlapping_arcs_get_lanes_of_their_own() {
        // Three overlapping pairs, then one after them all: back to the first lane.
        let (lanes, n) = arc_lanes(&[(0.0, 50.0), (10.0, 30.0), (20.0, 60.0), (70.0, 90.0)]);
        assert_eq!(lanes, [0, 1, 2, 0]);
        assert_eq!(n, 3);
        // A pair that starts after one lane's arc ended takes that lane.
        let (lanes, n) = arc_lanes(&[(0.0, 10.0), (5.0, 40.0), (12.0, 20.0)]);
        assert_eq!(lanes, [0, 1, 0]);
        assert_eq!(n, 2);
        assert_eq!(arc_lanes(&[]), (vec![], 0));
    }

    #[test]
    fn labels_that_do_not_fit_are_left_out() {
        // The second overlaps the first; the third is clear of it; the fourth is pushed
        // inside the right edge; an infinite width never fits.
        let placed = fit_labels(
            &[
                (100.0, 50.0),
                (120.0, 50.0),
                (200.0, 50.0),
                (395.0, 40.0),
                (300.0, f64::INFINITY),
            ],
            0.0,
            400.0,
        );
        assert_eq!(placed, [Some(100.0), None, Some(200.0), Some(380.0), None]);
        // Nothing is moved left of `lo`'s side when it has no room.
        assert_eq!(fit_labels(&[(10.0, 60.0)], 0.0, 40.0), [None]);
    }

    #[test]
    fn ticks_near_u64_max_do_not_wrap() {
        let t1 = u64::MAX;
        let t0 = t1 - 10_000_000_000;
        let step = tick_step(t1 - t0, 8);
        let ticks: Vec<u64> = tick_times(t0, t1, step).collect();
        assert!(!ticks.is_empty());
        assert!(ticks.iter().all(|&t| (t0..=t1).contains(&t)), "{ticks:?}");
        assert!(ticks.windows(2).all(|w| w[0] < w[1]), "{ticks:?}");
        assert_eq!(
            tick_times(0, 10, 3).collect::<Vec<_>>(),
            [0, 3, 6, 9],
            "as before away from the edge"
        );
    }
}
