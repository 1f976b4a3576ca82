//! The findings panel (Wireshark's Expert Info): findings grouped by rule, most severe first,
//! each group with the rule's explanation; a finding jumps to its frame and lights its bytes.

use leptos::prelude::*;

use crate::engine::protocol::{level_name, FindingItem, Request, Response, RuleGroup};
use crate::ui::state::Ui;

/// Findings fetched per "more".
const PAGE: usize = 100;

/// The panel.
#[component]
pub fn Findings() -> impl IntoView {
    let ui = expect_context::<Ui>();
    let groups = move || {
        ui.overview
            .with(|o| o.as_ref().map(|o| o.groups.clone()).unwrap_or_default())
    };
    let checked = move || ui.overview.with(|o| o.as_ref().is_some_and(|o| o.checked));
    let omitted = move || {
        ui.overview
            .with(|o| o.as_ref().and_then(|o| o.omitted.clone()))
    };
    let prefs = expect_context::<crate::ui::prefs::Prefs>();
    let list = move || {
        // A verdict line's findings alone (crate::ui::verdict).
        if let Some(line) = prefs.verdict.get() {
            return view! { <crate::ui::verdict::LineFindings line=line /> }.into_any();
        }
        let g = groups();
        if !checked() {
            return match ui.lifecycle.failure.get().filter(|f| f.rules) {
                Some(f) => view! { <p class="muted hint">{format!("No findings: the rules did not run. {}", f.message)}</p> }.into_any(),
                None => view! { <p class="muted hint">"Checking the rules…"</p> }.into_any(),
            };
        }
        if g.is_empty() {
            return view! { <p class="muted hint">"No findings: every rule passed."</p> }
                .into_any();
        }
        view! {
            {omitted().map(|line| view! { <p class="muted hint omitted">{line}</p> })}
            <ul class="groups" aria-label="Findings by rule">
                {g.into_iter().map(|g| view! { <Group group=g /> }).collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <crate::ui::settings::TimeoutProcessing id="findings-timeout-processing" />
        {list}
    }
}

#[component]
fn Group(group: RuleGroup) -> impl IntoView {
    let ui = expect_context::<Ui>();
    let items = RwSignal::new(Vec::<FindingItem>::new());
    let open = RwSignal::new(false);
    let code = group.code.clone();
    let fetch = move |offset: usize| {
        let code = code.clone();
        ui.ask(
            Request::Findings {
                code,
                offset,
                count: PAGE,
            },
            move |r| {
                if let Response::Findings {
                    items: page,
                    offset,
                    ..
                } = r
                {
                    items.update(|v| {
                        v.truncate(offset);
                        v.extend(page);
                    });
                }
            },
        );
    };
    let toggle = {
        let fetch = fetch.clone();
        move |_| {
            open.update(|o| *o = !*o);
            if open.get_untracked() && items.with_untracked(Vec::is_empty) {
                fetch(0);
            }
        }
    };
    let count = group.count;
    let omitted = group.omitted;
    let level = level_name(group.level);
    view! {
        <li class=format!("group sev-{level}") data-code=group.code.clone()>
            <button class="group-head" aria-expanded=move || open.get().to_string() on:click=toggle>
                <span class="chev">{move || if open.get() { "▾" } else { "▸" }}</span>
                <span class="sev">{level}</span>
                <code>{group.code.clone()}</code>
                <span class="name">{group.name.clone()}</span>
                <span class="count">{count + omitted}</span>
            </button>
            <p class="title">{group.title.clone()}</p>
            {move || open.get().then(|| {
                let fetch = fetch.clone();
                view! {
                    <p class="explanation">{group.explanation.clone()}</p>
                    <ul class="items">
                        <For
                            each=move || items.get().into_iter().enumerate()
                            key=|(i, _)| *i
                            children=move |(_, f)| item_view(ui, f)
                        />
                    </ul>
                    {move || {
                        let have = items.with(Vec::len);
                        let fetch = fetch.clone();
                        (have < count && have > 0).then(|| view! {
                            <button class="more" on:click=move |_| fetch(have)>{format!("Show more ({} left)", count - have)}</button>
                        })
                    }}
                    {(omitted > 0).then(|| view! {
                        <p class="muted omitted">{format!("… and {omitted} more findings of this kind, counted but not listed")}</p>
                    })}
                }
            })}
        </li>
    }
}

/// One finding: where (a link to its frame, or its first packet), and what.
pub(crate) fn item_view(ui: Ui, f: FindingItem) -> impl IntoView {
    let where_ = match (f.frame, f.connection, f.packets.first().copied()) {
        (Some(frame), _, _) => {
            let spans = f.spans.clone();
            view! {
                <button class="link jump" on:click=move |_| ui.jump(frame, spans.clone())>{format!("frame #{}", frame + 1)}</button>
            }
            .into_any()
        }
        // About packets only (TCP events): the first one.
        (None, c, Some(p)) => {
            let prefs = expect_context::<crate::ui::prefs::Prefs>();
            let at = c.map_or(String::new(), |c| format!("connection {}, ", c + 1));
            view! {
                <button class="link jump" on:click=move |_| crate::ui::prefs::goto_packet(ui, prefs, p, true)>{format!("{at}packet #{p}")}</button>
            }
            .into_any()
        }
        (None, Some(c), None) => {
            view! { <span class="muted">{format!("connection {}", c + 1)}</span> }.into_any()
        }
        (None, None, None) => view! { <span class="muted">"capture"</span> }.into_any(),
    };
    view! {
        <li class=format!("finding sev-{}", level_name(f.level))>
            {where_}": "{f.message}
        </li>
    }
}
