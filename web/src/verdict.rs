//! "What happened", at the top of the workspace: the engine's verdict, a few ranked sentences,
//! each linking to the findings it rests on. A click on a sentence selects its first finding
//! (again: the next one) and shows its findings alone in the findings panel.

use leptos::prelude::*;

use crate::prefs::{goto_packet, Prefs};
use crate::session::{level_name, FindingItem, Request, Response};
use crate::state::{Panel, Ui};

/// Selects what a finding points at, without leaving the panel shown: its frame (bytes
/// marked), or its first packet.
pub fn select_finding(ui: Ui, prefs: Prefs, f: &FindingItem) {
    if let Some(frame) = f.frame {
        ui.marked.set(Some((frame, f.spans.clone())));
        ui.select_frame(frame);
    } else if let Some(&p) = f.packets.first() {
        goto_packet(ui, prefs, p, true);
    }
}

/// The verdict box.
#[component]
pub fn Verdict() -> impl IntoView {
    let ui = expect_context::<Ui>();
    let prefs = expect_context::<Prefs>();
    // (line, step) of the last click: clicking the same line again steps to its next finding.
    let step = StoredValue::new((usize::MAX, 0usize));
    let lines = move || {
        ui.overview
            .with(|o| o.as_ref().map(|o| o.verdict.clone()).unwrap_or_default())
    };
    // Another capture (or the same one checked): no line's findings are shown alone any more.
    Effect::new(move |_| {
        ui.overview.track();
        prefs.verdict.set(None);
    });
    let open_line = move |n: usize, ids: Vec<usize>| {
        let k = step.with_value(|&(line, k)| if line == n { k + 1 } else { 0 });
        let k = if k >= ids.len() { 0 } else { k };
        step.set_value((n, k));
        let Some(&id) = ids.get(k) else { return };
        prefs.verdict.set(Some(n));
        ui.panel.set(Panel::Findings);
        ui.ask(Request::FindingList { ids: vec![id] }, move |r| {
            if let Response::FindingList(items) = r {
                if let Some(f) = items.first() {
                    select_finding(ui, prefs, f);
                }
            }
        });
    };
    move || {
        let lines = lines();
        (!lines.is_empty()).then(|| {
            view! {
                <details class="verdict" open>
                    <summary>"What happened"</summary>
                    <ol aria-label="What happened">
                        {lines.into_iter().enumerate().map(|(n, l)| {
                            let level = level_name(l.level);
                            let count = l.findings.len();
                            let ids = l.findings.clone();
                            view! {
                                <li class=format!("verdict-line sev-{level}")>
                                    <span class="sev-icon" role="img" aria-label=level>{if l.level >= 2 { "!" } else { "i" }}</span>
                                    {if count == 0 {
                                        view! { <span class="verdict-text">{l.text}</span> }.into_any()
                                    } else {
                                        view! {
                                            <button
                                                class="link verdict-text"
                                                title="Show its findings (again: the next one)"
                                                on:click=move |_| open_line(n, ids.clone())
                                            >{l.text}</button>
                                            <span class="muted verdict-count">{format!("{count} finding(s)")}</span>
                                        }.into_any()
                                    }}
                                </li>
                            }
                        }).collect_view()}
                    </ol>
                </details>
            }
        })
    }
}

/// The findings panel while it shows one verdict line's findings.
#[component]
pub fn LineFindings(line: usize) -> impl IntoView {
    let ui = expect_context::<Ui>();
    let prefs = expect_context::<Prefs>();
    let (text, ids) = ui.overview.with_untracked(|o| {
        o.as_ref()
            .and_then(|o| o.verdict.get(line))
            .map(|l| (l.text.clone(), l.findings.clone()))
            .unwrap_or_default()
    });
    let items = RwSignal::new(Vec::<FindingItem>::new());
    let count = ids.len();
    ui.ask(Request::FindingList { ids }, move |r| {
        if let Response::FindingList(list) = r {
            items.set(list);
        }
    });
    view! {
        <div class="line-findings">
            <p class="line-head">
                <strong>{text}</strong>
                " "
                <span class="muted">{format!("{count} finding(s)")}</span>
                " "
                <button class="link" id="all-findings" on:click=move |_| prefs.verdict.set(None)>"all findings"</button>
            </p>
            <ul class="items">
                {move || items.get().into_iter().map(|f| crate::findings::item_view(ui, f)).collect_view()}
            </ul>
        </div>
    }
}
