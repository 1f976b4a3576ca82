//! Above the frames' views: frames or statistics; how times are shown, whether the list shows
//! TCP events, and "go to packet"; and the details of a TCP event's row.

use leptos::prelude::*;

use crate::engine::draw::thousands;
use crate::engine::protocol::{Request, Response};
use crate::ui::prefs::{goto_packet, set_events, Prefs, TimeMode};
use crate::ui::state::Ui;

/// The bar.
#[component]
pub fn ListBar() -> impl IntoView {
    let ui = expect_context::<Ui>();
    let prefs = expect_context::<Prefs>();
    let events = move || ui.overview.with(|o| o.as_ref().map_or(0, |o| o.tcp_events));
    let go = move |text: String| {
        let n = text.trim().trim_start_matches('#').parse::<u32>();
        match n {
            Ok(n) => goto_packet(ui, prefs, n, false),
            Err(_) => prefs.packet_note.set(Some(
                "A packet number, as Wireshark numbers them (from 1)".into(),
            )),
        }
    };
    let tab = move |on: bool, id: &'static str, label: &'static str| {
        view! {
            <button
                id=id
                aria-pressed=move || (prefs.stats.get() == on).to_string()
                class:active=move || prefs.stats.get() == on
                on:click=move |_| prefs.stats.set(on)
            >{label}</button>
        }
    };
    view! {
        <div class="list-bar">
            <div class="tabs view-tabs" role="group" aria-label="View">
                {tab(false, "view-frames", "Frames")}
                {tab(true, "view-stats", "Statistics")}
            </div>
            <div class="list-settings" hidden=move || prefs.stats.get()>
            <label>
                "Time "
                <select
                    id="time-mode"
                    prop:value=move || prefs.mode().id()
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        prefs.set_time(TimeMode::from_id(&v));
                    }
                >
                    <option value="since">"since the first packet"</option>
                    <option value="clock">"time of day"</option>
                    <option value="delta">"since the previous row"</option>
                </select>
            </label>
            <label title="SYN, FIN, RST, retransmissions, zero windows of the connections and of the attempts without SPOP, as rows of the list">
                <input
                    type="checkbox"
                    id="show-tcp"
                    prop:checked=move || prefs.events.get()
                    on:change=move |ev| set_events(ui, prefs, event_target_checked(&ev), || {})
                />
                {move || format!(" TCP events ({})", thousands(events()))}
            </label>
            <label>
                "Go to packet "
                <input
                    id="goto-packet"
                    class="narrow"
                    type="text"
                    inputmode="numeric"
                    placeholder="#"
                    title="Selects the row of that packet (frame or TCP event), or the nearest one"
                    on:keydown=move |ev| {
                        if ev.key() == "Enter" {
                            go(event_target_value(&ev));
                        }
                    }
                    on:change=move |ev| go(event_target_value(&ev))
                />
            </label>
            <span class="muted packet-note" id="packet-note" aria-live="polite">
                {move || prefs.packet_note.get()}
            </span>
            </div>
        </div>
    }
}

/// The details of the selected TCP event's row (markup from the worker).
#[component]
pub fn EventPanel(index: usize) -> impl IntoView {
    let ui = expect_context::<Ui>();
    let html = RwSignal::new(String::new());
    ui.ask(Request::Event { index }, move |r| {
        if let Response::Html(h) = r {
            html.set(h);
        }
    });
    view! { <section class="details" id="details" aria-label="TCP event details" inner_html=move || html.get()></section> }
}
