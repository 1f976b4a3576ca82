//! The start screen: a large paste area, "open file", drag-and-drop anywhere, and the bundled
//! example captures one click away. Input errors are shown here, in the page.

use leptos::prelude::*;

use crate::state::Ui;

/// Real captures from the shared corpus, one click away.
pub const EXAMPLES: [(&str, &str, &str, &[u8]); 3] = [
    (
        "An agent writing ACKs into its DISCONNECT",
        "HAProxy 2.6 and a Go-style agent with concurrent writers (haproxy#2490)",
        "haproxy26-interleaved-disconnect.pcap",
        include_bytes!("../../tests/fixtures/haproxy26-interleaved-disconnect.pcap"),
    ),
    (
        "A clean HAProxy 3.4 capture",
        "The SPOP multiplexer: HELLO, NOTIFY/ACK pairs, DISCONNECT",
        "haproxy34-clean.pcapng",
        include_bytes!("../../tests/fixtures/haproxy34-clean.pcapng"),
    ),
    (
        "A Python agent (haproxyspoa)",
        "HAProxy 2.6 with a third-party agent library",
        "haproxy26-pyagent.pcap",
        include_bytes!("../../tests/fixtures/haproxy26-pyagent.pcap"),
    ),
];

/// A pasted example: HAProxy-go's AGENT-DISCONNECT followed by an ACK (spop/VECTORS.md §8).
const HEX_EXAMPLE: &str = "00000038660000000100000B7374617475732D636F64650363076D6573736167650819616E20756E6B6E6F776E206572726F72206F63637572726564\n000000156700000001F3BC780101030207616C6C6F77656411";

/// The start screen.
#[component]
pub fn Start() -> impl IntoView {
    let ui = expect_context::<Ui>();
    // Typing is debounced; a paste or an example decodes at once.
    let typed = RwSignal::new(0u64);
    let decode_text = move || {
        let t = ui.text.get_untracked();
        if !t.trim().is_empty() {
            ui.load("pasted text".into(), t.as_bytes());
        }
    };
    let on_input = move |ev: leptos::ev::Event| {
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
    let error = move || {
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
                            ui.text.set(t);
                            typed.update(|n| *n += 1);
                            decode_text();
                        }
                    }
                ></textarea>
                {move || error().map(|e| view! {
                    <p class="input-error" role="alert">
                        {(!ui.source.get().is_empty()).then(|| format!("{}: ", ui.source.get()))}
                        {e}
                    </p>
                })}
                <div class="actions">
                    <label class="button primary">
                        "Open a capture file…"
                        <input
                            type="file"
                            id="file"
                            accept=".pcap,.pcapng,.cap,.txt,.hex,application/vnd.tcpdump.pcap"
                            aria-label="Open a capture file"
                            on:change:target=move |ev| {
                                if let Some(file) = ev.target().files().and_then(|f| f.get(0)) {
                                    ui.open_file(file);
                                }
                                ev.target().set_value("");
                            }
                        />
                    </label>
                    <button on:click=move |_| decode_text()>"Inspect the text"</button>
                    <span class="muted">"or drop a file anywhere"</span>
                </div>
            </section>
            <section class="examples" aria-label="Examples">
                <h2>"Examples"</h2>
                <ul>
                    {EXAMPLES
                        .into_iter()
                        .map(|(label, about, name, bytes)| view! {
                            <li>
                                <button class="example" on:click=move |_| ui.load(name.to_string(), bytes)>
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
