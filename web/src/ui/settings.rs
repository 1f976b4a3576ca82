//! The page's settings: HAProxy's `timeout processing`, the threshold of SPOP-X008
//! (slow-ack), typed as the SPOE configuration writes it (`500ms`, `2s`, `1m`; a bare number is
//! milliseconds, as in HAProxy). It is remembered in this browser, carried in share links and
//! stated in the Markdown report; changing it checks the capture shown again.

use leptos::prelude::*;
use spop_codec::time::HaproxyTime;

use crate::ui::state::Ui;

/// The `timeout processing` field. `id` tells apart the copies the page shows (the start
/// screen's and the findings panel's).
#[component]
pub fn TimeoutProcessing(id: &'static str) -> impl IntoView {
    let ui = expect_context::<Ui>();
    let error = RwSignal::new(None::<String>);
    let shown = move || {
        ui.timeout
            .get()
            .map(|t| HaproxyTime::from_nanos(t).to_string())
            .unwrap_or_default()
    };
    let apply = move |text: String| {
        let text = text.trim();
        let parsed = if text.is_empty() {
            Ok(None)
        } else {
            text.parse::<HaproxyTime>().map(|t| Some(t.as_nanos()))
        };
        match parsed {
            Ok(t) => {
                error.set(None);
                ui.set_timeout(t);
            }
            Err(e) => error.set(Some(format!("{text:?}: {e}"))),
        }
    };
    let about = format!("{id}-about");
    let error_id = format!("{id}-error");
    view! {
        <div class="setting">
            <label for=id>
                <code>"timeout processing"</code>
            </label>
            <input
                id=id
                type="text"
                class="narrow"
                spellcheck="false"
                autocomplete="off"
                placeholder="off"
                prop:value=shown
                aria-invalid=move || error.with(Option::is_some).to_string()
                aria-describedby=format!("{about} {error_id}")
                on:change=move |ev| apply(event_target_value(&ev))
            />
            <span id=about class="muted">
                "Your SPOE engine's value (500ms, 2s, 1m; a bare number is ms): ACKs later than this after their NOTIFY are flagged as SPOP-X008."
            </span>
            <p id=error_id class="setting-error" role="alert">{move || error.get()}</p>
        </div>
    }
}
