//! The connection overview: one row per connection; selecting one filters every view.

use core::cmp::Ordering;
use core::fmt::Write as _;

use leptos::prelude::*;
use spop_codec::display::Fixed;

use crate::engine::protocol::ConnectionRow;
use crate::ui::layout::{resize_handle, Widths};
use crate::ui::prefs::{goto_packet, time_text, Prefs, TimeMode};
use crate::ui::state::Ui;

/// The columns, what diagnoses first: heading, hover text, default width (px), and whether
/// the first click sorts it largest first.
const COLUMNS: [(&str, &str, f64, bool); 13] = [
    ("#", "Connection number", 52.0, false),
    (
        "findings",
        "Errors (E) and warnings (W) of the connection",
        84.0,
        true,
    ),
    ("ended", "How the SPOP conversation ended", 200.0, false),
    (
        "closed",
        "Who closed the connection first at the TCP level, and how",
        124.0,
        false,
    ),
    (
        "latency median/max",
        "NOTIFY→ACK latency: median and slowest",
        168.0,
        true,
    ),
    ("HAProxy", "Likely HAProxy generation", 100.0, false),
    (
        "frames →/←",
        "Frames HAProxy → agent / agent → HAProxy",
        100.0,
        true,
    ),
    ("HAProxy → agent", "Addresses", 250.0, false),
    ("start", "Start of the connection", 104.0, false),
    ("duration", "First to last packet", 92.0, true),
    ("version", "SPOP version the agent chose", 68.0, false),
    ("max-frame-size", "Negotiated max-frame-size", 128.0, true),
    (
        "capabilities",
        "Capabilities both sides announced",
        200.0,
        false,
    ),
];

/// Storage key of the table's column widths.
const WIDTHS_KEY: &str = "layout.connections";

/// Orders two connections by column `col`.
fn compare(a: &ConnectionRow, b: &ConnectionRow, col: usize) -> Ordering {
    let size = |m: &str| m.parse::<u64>().ok();
    match col {
        1 => (a.errors, a.warnings).cmp(&(b.errors, b.warnings)),
        2 => a.end.cmp(&b.end),
        3 => a.closed.cmp(&b.closed),
        4 => a.latency_ns.cmp(&b.latency_ns),
        5 => a.generation.cmp(&b.generation),
        6 => (a.to_agent + a.to_haproxy).cmp(&(b.to_agent + b.to_haproxy)),
        7 => (&a.haproxy, &a.agent).cmp(&(&b.haproxy, &b.agent)),
        8 => a.start.total_cmp(&b.start),
        9 => a.duration.total_cmp(&b.duration),
        10 => a.version.cmp(&b.version),
        11 => size(&a.max_frame_size).cmp(&size(&b.max_frame_size)),
        12 => a.capabilities.cmp(&b.capabilities),
        _ => a.id.cmp(&b.id),
    }
}

/// Sorts connections by column `col`, descending or not (ties by number, ascending).
pub fn sort_rows(rows: &mut [ConnectionRow], col: usize, descending: bool) {
    rows.sort_by(|a, b| {
        let o = compare(a, b, col);
        if descending { o.reverse() } else { o }.then(a.id.cmp(&b.id))
    });
}

/// Rows shown at first: a large capture's first screen should not wait on hundreds of table
/// rows (they cost a noticeable part of the time to the first timeline).
pub const FIRST: usize = 50;
/// Rows each "show more" adds.
const MORE: usize = 200;

/// Keys on a connection row: Enter or Space picks it; ↓/↑ move to the next or previous row
/// (a grid's rows, one Tab stop each), instead of the frame list's ↓/↑.
fn row_key(ev: &web_sys::KeyboardEvent, pick: impl FnOnce()) {
    use wasm_bindgen::JsCast;
    match ev.key().as_str() {
        "Enter" | " " => {
            ev.prevent_default();
            pick();
        }
        key @ ("ArrowDown" | "ArrowUp") => {
            ev.prevent_default();
            ev.stop_propagation();
            let row = ev
                .current_target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok());
            let next = row.and_then(|r| {
                if key == "ArrowDown" {
                    r.next_element_sibling()
                } else {
                    r.previous_element_sibling()
                }
            });
            if let Some(el) = next
                .filter(|el| el.class_list().contains("conn"))
                .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
            {
                let _ = el.focus();
            }
        }
        _ => {}
    }
}

/// A row's tabindex: the table is one Tab stop, its selected row (↓/↑ reach the others).
fn tab_stop(selected: bool) -> &'static str {
    if selected {
        "0"
    } else {
        "-1"
    }
}

/// The connection table.
#[component]
pub fn Connections() -> impl IntoView {
    let ui = expect_context::<Ui>();
    let prefs = expect_context::<Prefs>();
    let shown_rows = ui.conn_rows;
    // Start times as the list shows them (since the previous row makes no sense here); read
    // where the rows are made, so the rows follow the setting.
    let start = move |ns: u64| {
        let zero = ui.overview.with(|o| o.as_ref().map_or(0, |o| o.zero));
        let mode = match prefs.mode() {
            TimeMode::Clock => TimeMode::Clock,
            _ => TimeMode::Since,
        };
        time_text(mode, ns, 0, zero)
    };
    let attempts = move || {
        ui.overview
            .with(|o| o.as_ref().map(|o| o.attempts.clone()).unwrap_or_default())
    };
    let attempt_rows = move || {
        let mut html = String::new();
        for g in attempts() {
            let (first, last) = (g.first, g.last);
            let _ = write!(
                html,
                r#"<tr class="attempts outcome-{}{}" tabindex="-1" data-packet="{}" title="Connection attempts without SPOP to {}: packets #{} to #{} (click: the first one)"><td>–</td><td class="counts">{}</td><td><strong>{} attempt(s) {}</strong> · no SPOP byte</td><td class="closed">{}</td><td colspan="3"></td><td class="mono">HAProxy → {}</td><td class="mono num">{}</td><td class="mono num">{} s</td><td colspan="3"></td></tr>"#,
                g.outcome,
                if g.failed { " has-error" } else { "" },
                first.1,
                g.agent,
                first.1,
                last.1,
                if g.failed {
                    r#"<span class="sev-error">failed</span>"#
                } else {
                    ""
                },
                g.count,
                g.outcome,
                g.closed,
                g.agent,
                start(first.0),
                Fixed::ratio(last.0 - first.0, 9, 3),
            );
        }
        html
    };
    let packet_of = |ev: &web_sys::Event| {
        use wasm_bindgen::JsCast;
        ev.target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.closest("[data-packet]").ok().flatten())
            .and_then(|el| el.get_attribute("data-packet"))
            .and_then(|p| p.parse::<u32>().ok())
    };
    let on_attempt = move |ev: web_sys::MouseEvent| {
        if let Some(p) = packet_of(&ev) {
            goto_packet(ui, prefs, p, true);
        }
    };
    let on_attempt_key = move |ev: web_sys::KeyboardEvent| {
        if matches!(ev.key().as_str(), "Enter" | " ") {
            if let Some(p) = packet_of(&ev) {
                ev.prevent_default();
                goto_packet(ui, prefs, p, true);
            }
        }
    };
    let pick = move |c: Option<usize>| {
        let mut f = ui.filter.get_untracked();
        f.connection = c;
        ui.apply_filter(f, |ui| ui.select_pos(0));
    };
    // Sorted by a column (and descending), or in capture order.
    let sort = RwSignal::new(None::<(usize, bool)>);
    let widths = Widths::new(WIDTHS_KEY, &COLUMNS.map(|c| c.2), None);
    let rows = move || {
        let mut rows = ui.overview.with(|o| {
            o.as_ref()
                .map(|o| o.connections.clone())
                .unwrap_or_default()
        });
        if let Some((col, descending)) = sort.get() {
            sort_rows(&mut rows, col, descending);
        }
        rows
    };
    let count = move || {
        ui.overview
            .with(|o| o.as_ref().map_or(0, |o| o.connections.len()))
    };
    let header = move |i: usize| {
        let (label, title, _, big_first) = COLUMNS[i];
        let state = move || sort.get().filter(|(c, _)| *c == i).map(|(_, d)| d);
        view! {
            <th
                aria-sort=move || match state() {
                    None => "none",
                    Some(true) => "descending",
                    Some(false) => "ascending",
                }
                title=title
            >
                <button
                    class="sort"
                    on:click=move |_| sort.update(|s| {
                        *s = Some(match *s {
                            Some((c, d)) if c == i => (i, !d),
                            _ => (i, big_first),
                        });
                    })
                >
                    {move || if i == 8 && prefs.mode() != TimeMode::Clock { "start (s)" } else { label }}
                    <span class="sort-mark" aria-hidden="true">{move || match state() {
                        None => "",
                        Some(true) => " ▼",
                        Some(false) => " ▲",
                    }}</span>
                </button>
                {resize_handle(widths, i, 1.0, 32.0, format!("Resize the {label} column"))}
            </th>
        }
    };
    let table_width = move || {
        widths
            .w
            .with(|w| format!("{}px", w.iter().sum::<f64>().round() as i64))
    };
    view! {
        <details class="connections" open>
            <summary>{move || format!("Connections ({})", count())}</summary>
            <div class="table-wrap">
                <table class="conn-table" role="grid" aria-readonly="true" aria-label="Connections: pick one to look at it alone (sort by a column with its heading)" style:width=table_width>
                    <colgroup>
                        {(0..COLUMNS.len()).map(|i| view! { <col style:width=move || format!("{}px", widths.get(i) as i64) /> }).collect_view()}
                    </colgroup>
                    <thead>
                        <tr>{(0..COLUMNS.len()).map(header).collect_view()}</tr>
                    </thead>
                    <tbody>
                        <tr
                            class="conn all"
                            class:selected=move || ui.filter.with(|f| f.connection.is_none())
                            aria-selected=move || ui.filter.with(|f| f.connection.is_none()).to_string()
                            tabindex=move || {
                                // Also the Tab stop when the selected connection's row is not shown.
                                let limit = shown_rows.get();
                                tab_stop(ui.filter.with(|f| f.connection.is_none_or(|c| c >= limit)))
                            }
                            on:click=move |_| pick(None)
                            on:keydown=move |ev| row_key(&ev, || pick(None))
                        >
                            <td colspan="13">"All connections"</td>
                        </tr>
                        {move || {
                            let all = rows();
                            // Until the rules ran, a connection's counts are not known yet.
                            let checked = ui.overview.with(|o| o.as_ref().is_some_and(|o| o.checked));
                            let limit = shown_rows.get();
                            let more = all.len().saturating_sub(limit);
                            let shown: Vec<_> = all.into_iter().take(limit).collect();
                            view! {
                                {shown.into_iter().map(|c| {
                                    let id = c.id;
                                    let trouble = if c.errors > 0 { "has-error" } else if c.warnings > 0 { "has-warning" } else { "" };
                                    view! {
                                        <tr
                                            class=format!("conn {trouble}")
                                            class:selected=move || ui.filter.with(|f| f.connection == Some(id))
                                            aria-selected=move || ui.filter.with(|f| f.connection == Some(id)).to_string()
                                            tabindex=move || tab_stop(ui.filter.with(|f| f.connection == Some(id)))
                                            on:click=move |_| pick(Some(id))
                                            on:keydown=move |ev| row_key(&ev, || pick(Some(id)))
                                        >
                                            <td>{id + 1}{c.healthcheck.then_some(" ♥")}</td>
                                            <td class="counts">
                                                {(c.errors > 0).then(|| view! { <span class="sev-error">{format!("{} E", c.errors)}</span> })}
                                                {(c.warnings > 0).then(|| view! { <span class="sev-warning">{format!("{} W", c.warnings)}</span> })}
                                                {(checked && c.errors + c.warnings == 0).then_some("–")}
                                                {(!checked).then_some("…")}
                                            </td>
                                            <td title=c.end.clone()>{c.end.clone()}</td>
                                            <td class="closed" title=c.closes>{c.closed}</td>
                                            <td class="num">{c.latency}</td>
                                            <td>{c.generation}</td>
                                            <td class="num">{format!("{} / {}", c.to_agent, c.to_haproxy)}</td>
                                            <td class="mono">{format!("{} → {}", c.haproxy, c.agent)}</td>
                                            <td class="mono num">{start((c.start * 1e9) as u64)}</td>
                                            <td class="mono num">{format!("{} s", Fixed::of(c.duration, 3))}</td>
                                            <td>{c.version}</td>
                                            <td class="num">{c.max_frame_size}</td>
                                            <td title=c.capabilities.clone()>{c.capabilities.clone()}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                                {(more > 0).then(|| view! {
                                    <tr class="more">
                                        <td colspan="13" class="muted">
                                            {format!("… and {more} more: ")}
                                            <button class="link" on:click=move |_| shown_rows.update(|n| *n += MORE)>
                                                {format!("show {}", more.min(MORE))}
                                            </button>
                                            ", or pick one with the connection filter"
                                        </td>
                                    </tr>
                                })}
                            }
                        }}
                    </tbody>
                    // Attempts without SPOP (by agent and outcome): markup, and one handler
                    // that goes to the first one's packet (`data-packet`).
                    <tbody class="attempt-rows" inner_html=attempt_rows on:click=on_attempt on:keydown=on_attempt_key></tbody>
                </table>
            </div>
        </details>
    }
}
