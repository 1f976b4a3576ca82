//! "What happened", at the top of the workspace: the engine's verdict, a few ranked sentences,
//! each linking to the findings it rests on. A click on a sentence selects its first finding
//! (again: the next one) and shows its findings alone in the findings panel.

use core::fmt::Write as _;

use leptos::prelude::*;

use crate::engine::incident::esc;
use spop_codec::analysis::Severity;

use crate::engine::protocol::{level_name, FindingItem, Request, Response};
use crate::ui::prefs::{goto_packet, Prefs};
use crate::ui::state::{Panel, Ui};

/// Selects what a finding points at, without leaving the panel shown: its frame (bytes
/// marked), or its first packet.
pub fn select_finding(ui: Ui, prefs: Prefs, f: &FindingItem) {
    if let Some(frame) = f.frame {
        ui.selection.marked.set(Some((frame, f.spans.clone())));
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
    // Another capture (or the same one checked): no line's findings are shown alone any more.
    Effect::new(move |_| {
        ui.overview.track();
        prefs.verdict.set(None);
    });
    let open_line = move |n: usize| {
        let ids = ui.overview.with_untracked(|o| {
            o.as_ref()
                .and_then(|o| o.verdict.get(n))
                .map(|l| l.findings.clone())
                .unwrap_or_default()
        });
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
    // The lines as markup (escaped), one click handler for them all (`data-line`).
    let markup = move || {
        let mut html = String::new();
        ui.overview.with(|o| {
            for (n, l) in o.iter().flat_map(|o| o.verdict.iter()).enumerate() {
                let level = level_name(l.level);
                let icon = if l.level >= Some(Severity::Warning) { "!" } else { "i" };
                let _ = write!(
                    html,
                    r#"<li class="verdict-line sev-{level}"><span class="sev-icon" role="img" aria-label="{level}">{icon}</span>"#
                );
                let text = esc(&l.text);
                let _ = match l.findings.len() {
                    0 => write!(html, r#"<span class="verdict-text">{text}</span>"#),
                    count => write!(
                        html,
                        r#"<button class="link verdict-text" data-line="{n}" title="Show its findings (again: the next one)">{text}</button><span class="muted verdict-count">{count} finding(s)</span>"#
                    ),
                };
                html.push_str("</li>");
            }
        });
        html
    };
    let on_click = move |ev: web_sys::MouseEvent| {
        use wasm_bindgen::JsCast;
        let line = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.get_attribute("data-line"))
            .and_then(|n| n.parse::<usize>().ok());
        if let Some(n) = line {
            open_line(n);
        }
    };
    let shown = move || {
        ui.overview
            .with(|o| o.as_ref().is_some_and(|o| !o.verdict.is_empty()))
    };
    // Closed, the summary says the most serious sentence; open, every sentence. Open at first
    // on a tall enough window (on a short one the frames need the room).
    let first = move || {
        ui.overview.with(|o| {
            let v = o.as_ref().map(|o| &o.verdict[..]).unwrap_or_default();
            match v {
                [] => String::new(),
                [one] => one.text.clone(),
                [one, rest @ ..] => format!("{} (and {} more)", one.text, rest.len()),
            }
        })
    };
    let tall = window()
        .inner_height()
        .ok()
        .and_then(|h| h.as_f64())
        .unwrap_or(0.0)
        >= 900.0;
    view! {
        <details class="verdict" open=tall hidden=move || !shown()>
            <summary>"What happened"<span class="verdict-first">{first}</span></summary>
            <ol aria-label="What happened" inner_html=markup on:click=on_click></ol>
        </details>
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
                {move || items.get().into_iter().map(|f| crate::ui::findings::item_view(ui, f)).collect_view()}
            </ul>
        </div>
    }
}
