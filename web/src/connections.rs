//! The connection overview: one row per connection; selecting one filters every view.

use leptos::prelude::*;
use spop_codec::display::Fixed;

use crate::state::Ui;

/// Rows shown at first: a large capture's first screen should not wait on hundreds of table
/// rows (for 800 connections, 200 rows cost about 75 ms of the 1.4 s to the first timeline).
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
    let shown_rows = ui.conn_rows;
    let pick = move |c: Option<usize>| {
        let mut f = ui.filter.get_untracked();
        f.connection = c;
        ui.apply_filter(f, |ui| ui.select_pos(0));
    };
    let rows = move || {
        ui.overview.with(|o| {
            o.as_ref()
                .map(|o| o.connections.clone())
                .unwrap_or_default()
        })
    };
    view! {
        <details class="connections" open>
            <summary>{move || format!("Connections ({})", rows().len())}</summary>
            <div class="table-wrap">
                <table class="conn-table" role="grid" aria-readonly="true" aria-label="Connections: pick one to look at it alone">
                    <thead>
                        <tr>
                            <th>"#"</th><th>"HAProxy → agent"</th><th>"start (s)"</th><th>"duration"</th>
                            <th>"frames →/←"</th><th>"version"</th><th>"max-frame-size"</th><th>"capabilities"</th>
                            <th>"HAProxy"</th><th>"latency median/max"</th><th>"ended"</th><th>"findings"</th>
                        </tr>
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
                            <td colspan="12">"All connections"</td>
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
                                            <td class="mono">{format!("{} → {}", c.haproxy, c.agent)}</td>
                                            <td class="mono num">{Fixed::of(c.start, 6).to_string()}</td>
                                            <td class="mono num">{format!("{} s", Fixed::of(c.duration, 3))}</td>
                                            <td class="num">{format!("{} / {}", c.to_agent, c.to_haproxy)}</td>
                                            <td>{c.version}</td>
                                            <td class="num">{c.max_frame_size}</td>
                                            <td>{c.capabilities}</td>
                                            <td>{c.generation}</td>
                                            <td class="num">{c.latency}</td>
                                            <td>{c.end}</td>
                                            <td class="counts">
                                                {(c.errors > 0).then(|| view! { <span class="sev-error">{format!("{} E", c.errors)}</span> })}
                                                {(c.warnings > 0).then(|| view! { <span class="sev-warning">{format!("{} W", c.warnings)}</span> })}
                                                {(checked && c.errors + c.warnings == 0).then_some("–")}
                                                {(!checked).then_some("…")}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                                {(more > 0).then(|| view! {
                                    <tr class="more">
                                        <td colspan="12" class="muted">
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
                </table>
            </div>
        </details>
    }
}
