//! The spop-inspector web UI: a Leptos client-side app over the `spop-codec` engine.
//!
//! Everything runs in the browser: the input never leaves the page.

mod decode;
mod details;
pub mod session;

use std::sync::Arc;

use leptos::prelude::*;

pub use decode::{decode_input, Decoded, FindingRow, FrameRow};

/// A small example: HAProxy-go's AGENT-DISCONNECT followed by an ACK (spop/VECTORS.md §8),
/// the shape of the haproxy#2490 incident.
const EXAMPLE: &str = "00000038660000000100000B7374617475732D636F64650363076D6573736167650819616E20756E6B6E6F776E206572726F72206F63637572726564\n000000156700000001F3BC780101030207616C6C6F77656411";

/// Real captures from the shared corpus, one click away.
const EXAMPLES: [(&str, &str, &[u8]); 3] = [
    (
        "Agent writing ACKs into its DISCONNECT",
        "haproxy26-interleaved-disconnect.pcap",
        include_bytes!("../../tests/fixtures/haproxy26-interleaved-disconnect.pcap"),
    ),
    (
        "Clean HAProxy 3.4 capture",
        "haproxy34-clean.pcapng",
        include_bytes!("../../tests/fixtures/haproxy34-clean.pcapng"),
    ),
    (
        "Python agent (haproxyspoa)",
        "haproxy26-pyagent.pcap",
        include_bytes!("../../tests/fixtures/haproxy26-pyagent.pcap"),
    ),
];

/// What is being inspected.
#[derive(Debug, Clone, PartialEq)]
enum Source {
    /// Pasted text.
    Text(String),
    /// A file (opened, dropped, or a bundled example).
    File { name: String, bytes: Arc<Vec<u8>> },
}

/// Reads a browser `File` into the source signal.
fn read_file(file: web_sys::File, source: RwSignal<Source>, error: RwSignal<Option<String>>) {
    let name = file.name();
    leptos::task::spawn_local(async move {
        match wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
            Ok(buffer) => {
                error.set(None);
                source.set(Source::File {
                    name,
                    bytes: Arc::new(js_sys::Uint8Array::new(&buffer).to_vec()),
                });
            }
            Err(_) => error.set(Some(format!(
                "{name}: the browser could not read this file"
            ))),
        }
    });
}

/// The application root.
#[component]
pub fn App() -> impl IntoView {
    let source = RwSignal::new(Source::Text(String::new()));
    let read_error = RwSignal::new(None::<String>);
    let decoded = Memo::new(move |_| {
        source.with(|s| match s {
            Source::Text(t) => decode_input(t.as_bytes()),
            Source::File { bytes, .. } => decode_input(bytes),
        })
    });
    let text = move || match source.get() {
        Source::Text(t) => t,
        Source::File { .. } => String::new(),
    };
    let loaded = move || match source.get() {
        Source::File { name, bytes } => Some(format!("{name} ({} bytes)", bytes.len())),
        Source::Text(_) => None,
    };
    let on_drop = move |ev: web_sys::DragEvent| {
        ev.prevent_default();
        if let Some(file) = ev
            .data_transfer()
            .and_then(|d| d.files())
            .and_then(|f| f.get(0))
        {
            read_file(file, source, read_error);
        }
    };

    view! {
        <header class="bar">
            <h1>"spop-inspector"</h1>
            <span class="tagline">"SPOP frames, decoded in your browser. Nothing leaves the page."</span>
        </header>
        <main on:dragover=|ev: web_sys::DragEvent| ev.prevent_default() on:drop=on_drop>
            <section class="input" aria-label="Input">
                <label for="input">"Paste a capture or SPOP bytes (hex, xxd, hexdump -C, od, tcpdump -X, tshark Follow TCP Stream, base64 …), or open or drop a pcap/pcapng file"</label>
                <textarea
                    id="input"
                    spellcheck="false"
                    placeholder=move || loaded().map_or("00 00 00 07 67 00 00 00 01 01 01".to_string(), |l| format!("Inspecting {l}; paste here to inspect text instead"))
                    prop:value=text
                    on:input:target=move |ev| source.set(Source::Text(ev.target().value()))
                ></textarea>
                <div class="actions">
                    <label class="button">
                        "Open file…"
                        <input
                            type="file"
                            id="file"
                            aria-label="Open a capture file"
                            on:change:target=move |ev| {
                                if let Some(file) = ev.target().files().and_then(|f| f.get(0)) {
                                    read_file(file, source, read_error);
                                }
                            }
                        />
                    </label>
                    <span class="examples">"Examples:"</span>
                    {EXAMPLES
                        .into_iter()
                        .map(|(label, name, bytes)| {
                            view! {
                                <button on:click=move |_| source.set(Source::File { name: name.to_string(), bytes: Arc::new(bytes.to_vec()) })>
                                    {label}
                                </button>
                            }
                        })
                        .collect_view()}
                    <button on:click=move |_| source.set(Source::Text(EXAMPLE.to_string()))>"DISCONNECT then ACK (hex)"</button>
                    <button on:click=move |_| source.set(Source::Text(String::new()))>"Clear"</button>
                </div>
                {move || loaded().map(|l| view! { <p class="loaded">"Inspecting " <strong>{l}</strong></p> })}
                {move || read_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            </section>
            <Results decoded=decoded />
        </main>
    }
}

#[component]
fn Results(decoded: Memo<Decoded>) -> impl IntoView {
    let selected = RwSignal::new(None::<usize>);
    // A new input starts with nothing selected.
    Effect::new(move |_| {
        decoded.track();
        selected.set(None);
    });
    let details = move || {
        let d = decoded.get();
        let index = selected.get()?;
        let analysis = d.analysis?;
        Some(view! { <details::Details analysis=analysis index=index /> })
    };
    view! {
        <section class="results" aria-label="Decoded frames">
            {details}
            {move || {
                let d = decoded.get();
                let status = (d.format.is_some() || d.error.is_some()).then(|| {
                    let (e, w, i) = d.counts;
                    view! {
                        <p class="status" role="status">
                            {d.format.clone().map(|f| format!("Detected: {f}. "))}
                            {format!("{} connection(s), {} frame(s). ", d.connections, d.rows.len())}
                            {d.format.is_some().then(|| view! {
                                <span class="counts">
                                    <span class="sev error">{format!("{e} error(s)")}</span>", "
                                    <span class="sev warning">{format!("{w} warning(s)")}</span>", "
                                    <span class="sev info">{format!("{i} info")}</span>
                                </span>
                            })}
                            {d.error.clone().map(|e| view! { <span class="error">" " {e}</span> })}
                        </p>
                    }
                });
                let general = d.general.clone();
                let no_general = general.is_empty();
                let rows = d.rows.clone();
                let empty = rows.is_empty();
                view! {
                    {status}
                    <ul class="findings general" hidden=no_general>
                        {general.into_iter().map(finding_view).collect_view()}
                    </ul>
                    <table class="frames" hidden=empty>
                        <thead>
                            <tr>
                                <th>"#"</th><th>"conn"</th><th>"time (s)"</th><th>"dir"</th><th>"type"</th>
                                <th>"stream/frame"</th><th>"length"</th><th>"summary"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {rows.into_iter().map(|r| {
                                let no_findings = r.findings.is_empty();
                                let worst = r.findings.iter().map(|f| f.severity).find(|s| *s == "error")
                                    .or_else(|| r.findings.iter().map(|f| f.severity).find(|s| *s == "warning"));
                                let i = r.index - 1;
                                let is_selected = move || selected.get() == Some(i);
                                view! {
                                <tr
                                    class=format!("frame {}", worst.map_or(String::new(), |w| format!("has-{w}")))
                                    class:selected=is_selected
                                    aria-selected=move || is_selected().to_string()
                                    tabindex="0"
                                    on:click=move |_| selected.set(Some(i))
                                    on:keydown=move |ev| if ev.key() == "Enter" { selected.set(Some(i)) }
                                >
                                    <td>{r.index}</td>
                                    <td>{r.connection}</td>
                                    <td class="mono">{format!("{:.6}", r.time)}</td>
                                    <td>{r.direction}</td>
                                    <td class="type">{r.frame_type}</td>
                                    <td class="mono">{r.ids}</td>
                                    <td class="mono">{r.length}</td>
                                    <td class="summary">
                                        {r.summary}
                                        <ul class="findings" hidden=no_findings>
                                            {r.findings.into_iter().map(finding_view).collect_view()}
                                        </ul>
                                    </td>
                                </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }
            }}
        </section>
    }
}

fn finding_view(f: FindingRow) -> impl IntoView {
    view! {
        <li class=format!("finding sev-{}", f.severity)>
            <span class="sev">{f.severity}</span>" "
            <code>{f.code}</code>" "{f.name}": "{f.message}
        </li>
    }
}
