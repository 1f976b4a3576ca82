//! Filters: connection, frame type, stream id, severity, free text; and next/previous finding,
//! stopping at a chosen severity.

use leptos::either::Either;
use leptos::html::Input;
use leptos::prelude::*;

use spop_codec::analysis::Severity;

use crate::engine::draw::thousands;
use crate::engine::protocol::{digit_level, level_digit, Filter};
use crate::ui::state::Ui;

/// Up to this many connections, the connection filter is a list; beyond, a number to type.
const SELECT_MAX: usize = 5_000;

/// The 0-based connection a typed 1-based number names among `n`, if any.
fn connection_number(typed: &str, n: usize) -> Option<usize> {
    let t = typed.trim().trim_start_matches('#');
    t.parse::<usize>()
        .ok()
        .filter(|&c| (1..=n).contains(&c))
        .map(|c| c - 1)
}

/// The stream id a typed filter names: "4/1", as the list's stream/frm column shows ids,
/// means stream 4; anything else that is not a number, none.
fn stream_id(typed: &str) -> Option<u64> {
    typed
        .split('/')
        .next()
        .unwrap_or_default()
        .trim()
        .parse()
        .ok()
}

/// The filter bar.
#[component]
pub fn Toolbar() -> impl IntoView {
    let ui = expect_context::<Ui>();
    let text_ref = NodeRef::<Input>::new();
    // `/` focuses the text filter.
    Effect::new(move |_| {
        if ui.focus_filter.get() > 0 {
            if let Some(el) = text_ref.get_untracked() {
                let _ = el.focus();
                el.select();
            }
        }
    });
    let set = move |change: &dyn Fn(&mut Filter)| {
        let mut f = ui.filter.get_untracked();
        change(&mut f);
        ui.apply_filter(f, |_| {});
    };
    // Text and stream ids are filtered as one types, a little after the last key.
    // One count of keys per field: a key in one does not cancel the other's pending change.
    let typed = RwSignal::new(0u64);
    let typed_stream = RwSignal::new(0u64);
    let debounced = move |typed: RwSignal<u64>, change: Box<dyn Fn(&mut Filter)>| {
        typed.update(|n| *n += 1);
        let mine = typed.get_untracked();
        set_timeout(
            move || {
                // The toolbar may be gone by now (back to the start screen): then do nothing.
                if typed.try_get_untracked() == Some(mine) {
                    set(&*change);
                }
            },
            std::time::Duration::from_millis(250),
        );
    };
    let on_text = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        debounced(typed, Box::new(move |f| f.text = value.clone()));
    };
    let on_stream = move |ev: leptos::ev::Event| {
        let id = stream_id(&event_target_value(&ev));
        debounced(typed_stream, Box::new(move |f| f.stream_id = id));
    };
    // The stream filter shows the filter's id, but leaves what is being typed alone when it
    // means the same ("4/" or "4/1" while the filter is stream 4).
    let stream_ref = NodeRef::<Input>::new();
    let stream_value = move || {
        let id = ui.filter.with(|f| f.stream_id);
        let typed = stream_ref
            .get_untracked()
            .map(|e| e.value())
            .unwrap_or_default();
        if stream_id(&typed) == id {
            typed
        } else {
            id.map_or(String::new(), |s| s.to_string())
        }
    };
    // Next/previous: the severity they stop at, and whether there is anything to stop at.
    let stop = move || {
        ui.seek.stop_at.track();
        ui.overview.track();
        ui.stop_level()
    };
    let none_to_stop_at = move || {
        ui.seek.stop_at.track();
        ui.overview.track();
        ui.findings_to_stop_at() == 0
    };
    // An option of the stop-at control: its name, or that the capture has none at that level
    // (`worse`: how many of the counts, errors first, it stops at).
    let label = move |worse: usize, some: &'static str, none: &'static str| {
        let n: usize = ui.overview.with(|o| {
            o.as_ref()
                .map_or(0, |o| o.counts.iter().take(worse + 1).sum())
        });
        if n == 0 {
            none
        } else {
            some
        }
    };
    let stop_name = move || match stop() {
        Some(Severity::Error) => "error",
        Some(Severity::Warning) => "warning",
        _ => "finding",
    };
    // A memo: the filter control is rebuilt when the count changes, not on every new view
    // (that would rebuild thousands of options, and take the focus from the typed number).
    let connections = Memo::new(move |_| {
        ui.overview
            .with(|o| o.as_ref().map(|o| o.connections.len()).unwrap_or(0))
    });
    let types = move || {
        ui.overview.with(|o| {
            o.as_ref()
                .map(|o| o.frame_types.clone())
                .unwrap_or_default()
        })
    };
    view! {
        <div class="toolbar" role="search" aria-label="Filter frames">
            <label>
                "Connection "
                {move || if connections.get() <= SELECT_MAX {
                    Either::Left(view! {
                        <select
                            id="filter-connection"
                            prop:value=move || ui.filter.with(|f| f.connection.map_or(String::new(), |c| c.to_string()))
                            on:change=move |ev| {
                                let v = event_target_value(&ev);
                                set(&|f| f.connection = v.parse().ok());
                            }
                        >
                            <option value="">"all"</option>
                            {(0..connections.get_untracked()).map(|c| view! { <option value=c.to_string()>{format!("#{}", c + 1)}</option> }).collect_view()}
                        </select>
                    })
                } else {
                    // Too many for a list: the connection's number, as the table shows it.
                    Either::Right(view! {
                        <input
                            id="filter-connection"
                            class="narrow"
                            type="text"
                            inputmode="numeric"
                            placeholder="all"
                            title=format!("a connection number, 1 to {}", thousands(connections.get_untracked()))
                            prop:value=move || ui.filter.with(|f| f.connection.map_or(String::new(), |c| (c + 1).to_string()))
                            on:change=move |ev| {
                                let v = event_target_value(&ev);
                                let n = connections.get_untracked();
                                set(&|f| f.connection = connection_number(&v, n));
                            }
                        />
                    })
                }}
            </label>
            <label>
                "Type "
                <select
                    id="filter-type"
                    prop:value=move || ui.filter.with(|f| f.frame_type.clone().unwrap_or_default())
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        set(&|f| f.frame_type = (!v.is_empty()).then(|| v.clone()));
                    }
                >
                    <option value="">"all"</option>
                    {move || types().into_iter().map(|t| view! { <option value=t.clone()>{t.clone()}</option> }).collect_view()}
                </select>
            </label>
            <label>
                "Stream id "
                <input
                    id="filter-stream"
                    class="narrow"
                    type="text"
                    inputmode="numeric"
                    placeholder="any"
                    title="A STREAM-ID, or stream/frame as the list shows it (the frame part is ignored); empty for any"
                    node_ref=stream_ref
                    prop:value=stream_value
                    on:input=on_stream
                    // Enter (or leaving the field) applies at once and shows the id as the
                    // filter reads it.
                    on:change=move |ev| {
                        let id = stream_id(&event_target_value(&ev));
                        typed_stream.update(|n| *n += 1);
                        set(&|f| f.stream_id = id);
                        if let Some(e) = stream_ref.get_untracked() {
                            e.set_value(&id.map_or(String::new(), |s| s.to_string()));
                        }
                    }
                />
            </label>
            <label>
                "Findings "
                <select
                    id="filter-severity"
                    prop:value=move || ui.filter.with(|f| level_digit(f.min_level).to_string())
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        set(&|f| f.min_level = digit_level(v.parse().unwrap_or(0)));
                    }
                >
                    <option value="0">"any frame"</option>
                    <option value="1">"with findings"</option>
                    <option value="2">"warnings and errors"</option>
                    <option value="3">"errors"</option>
                </select>
            </label>
            <input
                id="filter"
                node_ref=text_ref
                type="search"
                class="grow"
                placeholder="Filter: text in type, summary, findings (/)"
                aria-label="Filter frames by text"
                prop:value=move || ui.filter.with(|f| f.text.clone())
                on:input=on_text
                // Escape (or the clear button) empties a search box without an input event.
                on:search=on_text
            />
            // Next/previous finding: ◀ [the severity they stop at] ▶, one item of the bar (no
            // gaps inside).
            <span class="seek" role="group" aria-label="Next and previous finding">
                <button id="prev-error" title=move || format!("Previous {} (N)", stop_name()) aria-label=move || format!("Previous {}", stop_name()) prop:disabled=none_to_stop_at on:click=move |_| ui.next_finding(false)>"◀"</button>
                " "
                <select
                    id="stop-at"
                    title="The findings next and previous (n/N) stop at"
                    aria-label="Stop at"
                    prop:value=move || level_digit(stop()).max(1).to_string()
                    // Only a capture without findings has nothing to choose.
                    prop:disabled=move || ui.overview.with(|o| o.as_ref().is_none_or(|o| o.counts == [0, 0, 0]))
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        ui.seek.note.set(String::new());
                        ui.seek.stop_at.set(v.parse().ok().and_then(digit_level));
                    }
                >
                    // Each says when the capture has none: the control itself tells.
                    <option value="3">{move || label(0, "errors", "no errors")}</option>
                    <option value="2">{move || label(1, "warnings", "no warnings")}</option>
                    <option value="1">{move || label(2, "any finding", "no findings")}</option>
                </select>
                " "
                <button id="next-error" title=move || format!("Next {} (n)", stop_name()) aria-label=move || format!("Next {}", stop_name()) prop:disabled=none_to_stop_at on:click=move |_| ui.next_finding(true)>"▶"</button>
            </span>
            <span class="view-count" id="view-count" aria-live="polite">
                {move || {
                    let v = ui.view.get();
                    // The list may hold TCP events too (crate::ui::listbar).
                    let frames = v.total - v.events;
                    let events = if v.events > 0 { format!(" + {} TCP events", thousands(v.events)) } else { String::new() };
                    if frames == v.all {
                        format!("{} frames{events}", thousands(v.all))
                    } else {
                        format!("{} of {} frames{events}", thousands(frames), thousands(v.all))
                    }
                }}
            </span>
            // What the last next/previous did not find: after the count, only while there is
            // something to say (an item of the bar, and a long one wraps alone).
            {move || ui.seek.note.with(|n| (!n.is_empty()).then(|| view! {
                <span class="muted" id="seek-note" role="status">{n.clone()}</span>
            }))}
            {move || (!ui.filter.with(Filter::is_empty)).then(|| view! {
                <button id="clear-filters" on:click=move |_| ui.apply_filter(Filter::default(), |_| {})>"Clear filters"</button>
            })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::{connection_number, stream_id};

    #[test]
    fn typed_stream_ids() {
        assert_eq!(stream_id("4"), Some(4));
        assert_eq!(stream_id(" 4/1 "), Some(4));
        assert_eq!(stream_id("4/"), Some(4));
        assert_eq!(stream_id(""), None);
        assert_eq!(stream_id("x"), None);
    }

    #[test]
    fn typed_connection_numbers() {
        assert_eq!(connection_number("1", 10), Some(0));
        assert_eq!(connection_number(" #10 ", 10), Some(9));
        assert_eq!(connection_number("11", 10), None);
        assert_eq!(connection_number("0", 10), None);
        assert_eq!(connection_number("", 10), None);
        assert_eq!(connection_number("x", 10), None);
    }
}
