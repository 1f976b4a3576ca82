//! The statistics view (Wireshark's Service Response Time and I/O graphs are the model):
//! NOTIFY→ACK latency as a histogram and as percentiles per message name and per connection,
//! and over time the NOTIFYs outstanding, the connections open, the failed attempts and the
//! frames per second. The engine computes the numbers (`spop_codec::analysis::statistics`)
//! and the worker draws them as they are, in inline SVG markup: the page only places it (one
//! string to send, and much less code in the wasm than the same drawing in components).

use leptos::html::Section;
use leptos::prelude::*;

use crate::engine::protocol::{Request, Response};
use crate::ui::state::Ui;

/// The view: the worker draws it for the width available (again when that changes).
#[component]
pub fn Statistics() -> impl IntoView {
    let ui = expect_context::<Ui>();
    let host = NodeRef::<Section>::new();
    let html = RwSignal::new(String::new());
    let asked = StoredValue::new(0u32);
    let measure = move || {
        let Some(el) = host.get_untracked() else {
            return;
        };
        // Less the padding; no narrower than a phone.
        let width = (el.client_width() - 32).max(280) as u32;
        if width == asked.get_value() {
            return;
        }
        asked.set_value(width);
        ui.ask(Request::Statistics { width }, move |r| {
            if let Response::Html(h) = r {
                html.set(h);
            }
        });
    };
    let resize = window_event_listener(leptos::ev::resize, move |_| measure());
    on_cleanup(move || resize.remove());
    Effect::new(move |_| {
        if host.get().is_some() {
            request_animation_frame(measure);
        }
    });
    view! {
        <section class="stats" id="stats" aria-label="Statistics" node_ref=host>
            {move || html.with(String::is_empty).then(|| view! { <p class="muted hint">"Computing the statistics…"</p> })}
            <div inner_html=move || html.get()></div>
        </section>
    }
}
