//! The start screen: a large paste area, "open file", drag-and-drop anywhere, and the bundled
//! example captures one click away. Input errors are shown here, in the page.

use leptos::prelude::*;

use crate::ui::state::Ui;

/// Real captures from the shared corpus, one click away: (label, what it shows, file name).
///
/// The captures are not in the wasm: they are needed on a click, not to start, and would add
/// 4.4 KB gzipped to every first load. `scripts/lib.sh` (build_web) puts the files in
/// [`EXAMPLES_URL`] and the single file carries them in data blocks ([`example_bytes`]).
pub const EXAMPLES: [(&str, &str, &str); 3] = [
    (
        "An agent writing ACKs into its DISCONNECT",
        "HAProxy 2.6 and a Go-style agent with concurrent writers (haproxy#2490)",
        "haproxy26-interleaved-disconnect.pcap",
    ),
    (
        "A clean HAProxy 3.4 capture",
        "The SPOP multiplexer: HELLO, NOTIFY/ACK pairs, DISCONNECT",
        "haproxy34-clean.pcapng",
    ),
    (
        "A Python agent (haproxyspoa)",
        "HAProxy 2.6 with a third-party agent library",
        "haproxy26-pyagent.pcap",
    ),
];

/// Where a served page finds the example captures, relative to the page.
pub const EXAMPLES_URL: &str = "./pkg/examples/";

/// The prefix of the id of the data block holding an example's bytes (base64) in the single
/// file (`scripts/single_file.py`), which cannot fetch anything.
pub const EXAMPLE_BLOCK: &str = "spop-example-";

/// An example capture's bytes: from its data block if the page has one, else fetched.
pub async fn example_bytes(name: &str) -> Result<js_sys::Uint8Array, String> {
    use base64::Engine as _;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;

    let failed = |_| format!("the example {name} could not be fetched");
    if let Some(block) = document().get_element_by_id(&format!("{EXAMPLE_BLOCK}{name}")) {
        let text = block.text_content().unwrap_or_default();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|_| format!("the example {name} is damaged (not base64)"))?;
        return Ok(js_sys::Uint8Array::from(bytes.as_slice()));
    }
    let response: web_sys::Response =
        JsFuture::from(window().fetch_with_str(&format!("{EXAMPLES_URL}{name}")))
            .await
            .map_err(failed)?
            .dyn_into()
            .map_err(failed)?;
    if !response.ok() {
        return Err(format!(
            "the example {name} could not be fetched (HTTP {})",
            response.status()
        ));
    }
    let buffer = JsFuture::from(response.array_buffer().map_err(failed)?)
        .await
        .map_err(failed)?;
    Ok(js_sys::Uint8Array::new(&buffer))
}

/// A pasted example: HAProxy-go's AGENT-DISCONNECT followed by an ACK (docs/vectors.md §8).
const HEX_EXAMPLE: &str = "00000038660000000100000B7374617475732D636F64650363076D6573736167650819616E20756E6B6E6F776E206572726F72206F63637572726564\n000000156700000001F3BC780101030207616C6C6F77656411";

/// The start screen.
#[component]
pub fn Start() -> impl IntoView {
    let ui = expect_context::<Ui>();
    // Typing is debounced; a paste or an example decodes at once.
    let typed = RwSignal::new(0u64);
    // "Inspect the text" pressed with nothing to inspect: said under the paste area.
    let empty = RwSignal::new(false);
    let decode_text = move || {
        let t = ui.text.get_untracked();
        if !t.trim().is_empty() {
            ui.load("pasted text".into(), t.as_bytes());
        }
    };
    let on_input = move |ev: leptos::ev::Event| {
        empty.set(false);
        ui.text.set(event_target_value(&ev));
        typed.update(|n| *n += 1);
        let mine = typed.get_untracked();
        set_timeout(
            move || {
                // The screen may be gone by now (an example was clicked): then do nothing.
                if typed.try_get_untracked() == Some(mine) {
                    decode_text();
                }
            },
            std::time::Duration::from_millis(500),
        );
    };
    // Not while the next input decodes: the error is the previous input's, and the label
    // already names the new one.
    let error = move || {
        ui.lifecycle.loading.with(Option::is_none).then_some(())?;
        (!empty.get()).then_some(())?;
        ui.overview
            .with(|o| o.as_ref().and_then(|o| o.error.clone()))
    };
    view! {
        <main class="start">
            <section class="paste" aria-label="Input">
                <h2>"Inspect an SPOP conversation"</h2>
                <p class="muted">
                    "Paste a capture or SPOP bytes — hex, xxd, hexdump -C, od, tcpdump -X, tshark “Follow TCP Stream”, Wireshark “Copy as hex”, gdb x/…, base64 — or open or drop a pcap/pcapng file anywhere on the page. Nothing leaves your browser."
                </p>
                <textarea
                    id="input"
                    aria-label="Capture or SPOP bytes as text"
                    spellcheck="false"
                    placeholder="00 00 00 07 67 00 00 00 01 01 01"
                    prop:value=move || ui.text.get()
                    on:input=on_input
                    on:paste=move |ev: leptos::ev::ClipboardEvent| {
                        if let Some(t) = ev.clipboard_data().and_then(|d| d.get_data("text").ok()) {
                            ev.prevent_default();
                            empty.set(false);
                            ui.text.set(t);
                            typed.update(|n| *n += 1);
                            decode_text();
                        }
                    }
                ></textarea>
                {move || empty.get().then(|| view! {
                    <p class="input-error" id="input-empty" role="alert">
                        "The paste area is empty: paste a capture or SPOP bytes as text (hex, a hex dump, tcpdump -X …) first, or open a capture file."
                    </p>
                })}
                {move || error().map(|e| view! {
                    <p class="input-error" role="alert">
                        {(!ui.source.get().is_empty()).then(|| format!("{}: ", ui.source.get()))}
                        {e}
                    </p>
                    // The decoder failed on it (not an input it cannot read): once more.
                    {ui.lifecycle.retry_load.get().then(|| view! {
                        <div class="actions">
                            <button id="retry" class="primary" on:click=move |_| ui.reload_input()>"Retry"</button>
                            <span class="muted">"or inspect something else"</span>
                        </div>
                    })}
                })}
                <div class="actions">
                    <label class="button primary">
                        "Open a capture file…"
                        <input
                            type="file"
                            id="file"
                            accept=".pcap,.pcapng,.cap,.gz,.txt,.hex,application/vnd.tcpdump.pcap,application/gzip"
                            aria-label="Open a capture file"
                            on:change:target=move |ev| {
                                if let Some(file) = ev.target().files().and_then(|f| f.get(0)) {
                                    ui.open_file(file);
                                }
                                ev.target().set_value("");
                            }
                        />
                    </label>
                    <button id="inspect-text" on:click=move |_| {
                        empty.set(ui.text.with_untracked(|t| t.trim().is_empty()));
                        decode_text();
                    }>"Inspect the text"</button>
                    <span class="muted">"or drop a file anywhere"</span>
                </div>
                <crate::ui::settings::TimeoutProcessing id="timeout-processing" />
            </section>
            <section class="examples" aria-label="Examples">
                <h2>"Examples"</h2>
                <ul>
                    {EXAMPLES
                        .into_iter()
                        .map(|(label, about, name)| view! {
                            <li>
                                <button class="example" on:click=move |_| ui.open_example(name)>
                                    <strong>{label}</strong>
                                    <span class="muted">{about}</span>
                                    <code>{name}</code>
                                </button>
                            </li>
                        })
                        .collect_view()}
                    <li>
                        <button class="example" on:click=move |_| {
                            ui.text.set(HEX_EXAMPLE.to_string());
                            decode_text();
                        }>
                            <strong>"AGENT-DISCONNECT, then an ACK"</strong>
                            <span class="muted">"Two frames pasted as hex: the agent keeps talking after saying goodbye"</span>
                            <code>"hex"</code>
                        </button>
                    </li>
                </ul>
            </section>
        </main>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The build ships exactly the examples the start screen offers.
    #[test]
    fn the_build_ships_every_example() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
        let lib = std::fs::read_to_string(format!("{root}/scripts/lib.sh")).expect("lib.sh");
        let listed = lib
            .lines()
            .find_map(|l| l.strip_prefix("EXAMPLE_CAPTURES=("))
            .and_then(|l| l.strip_suffix(')'))
            .expect("EXAMPLE_CAPTURES=(...) in scripts/lib.sh");
        let listed: Vec<&str> = listed.split_whitespace().collect();
        let offered: Vec<&str> = EXAMPLES.iter().map(|e| e.2).collect();
        assert_eq!(listed, offered);
        for name in offered {
            let path = format!("{root}/tests/fixtures/{name}");
            assert!(std::path::Path::new(&path).is_file(), "{path}");
        }
    }
}
