//! The spop-inspector web UI: a Leptos client-side app over the `spop-codec` engine.
//!
//! Everything runs in the browser: the input never leaves the page.

mod decode;

use leptos::prelude::*;

pub use decode::{decode_input, Decoded, FindingRow, FrameRow};

/// A small example: HAProxy-go's AGENT-DISCONNECT followed by an ACK (spop/VECTORS.md §8),
/// the shape of the haproxy#2490 incident.
const EXAMPLE: &str = "00000038660000000100000B7374617475732D636F64650363076D6573736167650819616E20756E6B6E6F776E206572726F72206F63637572726564\n000000156700000001F3BC780101030207616C6C6F77656411";

/// The application root.
#[component]
pub fn App() -> impl IntoView {
    let (input, set_input) = signal(String::new());
    let decoded = Memo::new(move |_| input.with(|i| decode_input(i.as_bytes())));

    view! {
        <header class="bar">
            <h1>"spop-inspector"</h1>
            <span class="tagline">"SPOP frames, decoded in your browser. Nothing leaves the page."</span>
        </header>
        <main>
            <section class="input" aria-label="Input">
                <label for="input">"Paste SPOP bytes (hex, xxd, hexdump -C, od, base64, tshark Follow TCP Stream …)"</label>
                <textarea
                    id="input"
                    spellcheck="false"
                    placeholder="00 00 00 07 67 00 00 00 01 01 01"
                    prop:value=input
                    on:input:target=move |ev| set_input.set(ev.target().value())
                ></textarea>
                <div class="actions">
                    <button on:click=move |_| set_input.set(EXAMPLE.to_string())>
                        "Load example: DISCONNECT followed by an ACK"
                    </button>
                    <button on:click=move |_| set_input.set(String::new())>"Clear"</button>
                </div>
            </section>
            <Results decoded=decoded />
        </main>
    }
}

#[component]
fn Results(decoded: Memo<Decoded>) -> impl IntoView {
    view! {
        <section class="results" aria-label="Decoded frames">
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
                                view! {
                                <tr class=format!("frame {}", worst.map_or(String::new(), |w| format!("has-{w}")))>
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
