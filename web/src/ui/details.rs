//! The frame details: the engine's field tree and the frame's bytes, highlighted both ways
//! (select a field to light its bytes; click a byte to select the deepest field there), with
//! the packet that carried each byte and other frames' bytes written inside marked out.

use std::sync::Arc;

use leptos::html::Ul;
use leptos::prelude::*;

use crate::engine::protocol::{level_name, Details as Data, Node};
use crate::ui::state::Ui;

/// Bytes per hex row.
const WIDTH: usize = 16;

/// The details panel for the selected frame.
#[component]
pub fn Details() -> impl IntoView {
    let ui = expect_context::<Ui>();
    // A TCP event's row: its own panel.
    let event = Memo::new(move |_| {
        ui.selection
            .cursor
            .get()
            .and_then(|c| c.event)
            .unwrap_or(usize::MAX)
    });
    move || {
        if let Some(index) = Some(event.get()).filter(|&e| e != usize::MAX) {
            return view! { <crate::ui::listbar::EventPanel index=index /> }.into_any();
        }
        match ui.selection.details.get() {
        Some(d) => view! { <FrameDetails data=d /> }.into_any(),
        None => view! {
            <p class="muted hint">"Select a frame (click, or ↑/↓ then Enter) to see its fields and bytes."</p>
        }
        .into_any(),
    }
    }
}

#[component]
fn FrameDetails(data: Arc<Data>) -> impl IntoView {
    let ui = expect_context::<Ui>();
    // The selected field's path, kept in the page's state (share links carry it) for this
    // frame only.
    let index = data.index;
    let selected = Signal::derive(move || {
        ui.selection.field.with(|f| match f {
            Some((frame, path)) if *frame == index => path.clone(),
            _ => Vec::new(),
        })
    });
    let select = move |path: Vec<usize>| ui.selection.field.set(Some((index, path)));
    let tree_ref = NodeRef::<Ul>::new();
    // Enter on a frame moves focus into its fields (also once they arrive).
    Effect::new(move |_| {
        if !ui.selection.focus_details.get() {
            return;
        }
        if let Some(first) = tree_ref
            .get()
            .and_then(|t| t.query_selector("button.field").ok().flatten())
        {
            use wasm_bindgen::JsCast;
            if let Ok(b) = first.dyn_into::<web_sys::HtmlElement>() {
                let _ = b.focus();
            }
            ui.selection.focus_details.set(false);
        }
    });
    let d = data.clone();
    let lit = Memo::new(move |_| {
        selected.with(|p| {
            Node::at(&d.tree, p)
                .map(|n| n.spans.clone())
                .unwrap_or_default()
        })
    });
    let d = data.clone();
    let pick = move |o: usize| {
        if let Some(path) = Node::path_at(&d.tree, o) {
            ui.selection.marked.set(None);
            select(path);
        } else if let Some(e) = d.embedded.iter().find(|e| e.bytes.contains(o)) {
            ui.selection.marked.set(None);
            ui.select_frame(e.frame);
        }
    };
    let packet_of = {
        let d = data.clone();
        move |o: usize| {
            d.packets
                .iter()
                .enumerate()
                .find(|(_, run)| run.bytes.contains(o))
                .map(|(i, run)| (i, run.packet))
                .unwrap_or((0, 0))
        }
    };
    let embedded_at = {
        let d = data.clone();
        move |o: usize| d.embedded.iter().find(|e| e.bytes.contains(o)).cloned()
    };
    let base = data.base;
    let frame = data.index;
    let rows: Vec<(usize, Vec<(usize, u8)>)> = data
        .bytes
        .chunks(WIDTH)
        .enumerate()
        .map(|(r, chunk)| {
            let start = base + r * WIDTH;
            (
                start,
                chunk
                    .iter()
                    .enumerate()
                    .map(|(i, b)| (start + i, *b))
                    .collect(),
            )
        })
        .collect();
    let hex = rows
        .into_iter()
        .map(|(start, cells)| {
            let ascii: String = cells
                .iter()
                .map(|&(_, b)| if b.is_ascii_graphic() || b == b' ' { b as char } else { '·' })
                .collect();
            view! {
                <div class="hex-row">
                    <span class="hex-offset">{format!("{start:06x}")}</span>
                    {cells.into_iter().map(|(o, b)| {
                        let pick = pick.clone();
                        let (run, packet) = packet_of(o);
                        let foreign = embedded_at(o);
                        let title = match &foreign {
                            Some(e) => format!("offset {o:#x}, packet {packet}: byte of {} #{} written inside this frame (click to open it)", e.frame_type, e.frame + 1),
                            None => format!("offset {o:#x}, packet {packet}"),
                        };
                        let is_lit = move || lit.with(|s| s.iter().any(|s| s.start <= o && o < s.end));
                        let is_marked = move || ui.selection.marked.with(|m| m.as_ref().is_some_and(|(f, s)| *f == frame && s.iter().any(|s| s.start <= o && o < s.end)));
                        view! {
                            <span
                                class="byte"
                                class:lit=is_lit
                                class:marked=is_marked
                                class:foreign=foreign.is_some()
                                class:odd-packet=run % 2 == 1
                                data-offset=o.to_string()
                                title=title
                                on:click=move |_| pick(o)
                            >{format!("{b:02x}")}</span>
                        }
                    }).collect_view()}
                    <span class="ascii">{ascii}</span>
                </div>
            }
        })
        .collect_view();
    let packets = data
        .packets
        .iter()
        .enumerate()
        .map(|(i, run)| {
            let (s, e, p) = (run.bytes.start, run.bytes.end, run.packet);
            view! {
                <li class:odd-packet=i % 2 == 1>
                    {format!("packet {p}: bytes {:#x}–{:#x} ({} bytes)", s, e - 1, e - s)}
                </li>
            }
        })
        .collect_view();
    let embedded = data
        .embedded
        .iter()
        .map(|e| {
            let frame = e.frame;
            view! {
                <li>
                    <button class="link" on:click=move |_| ui.select_frame(frame)>
                        {format!("{} #{}", e.frame_type, e.frame + 1)}
                    </button>
                    {format!(" was written inside this frame's bytes ({:#x}–{:#x}), struck through below.", e.bytes.start, e.bytes.end - 1)}
                </li>
            }
        })
        .collect_view();
    let findings = data
        .findings
        .iter()
        .map(|f| {
            let spans = f.spans.clone();
            let frame = data.index;
            view! {
                <li class=format!("finding sev-{}", level_name(f.level))>
                    <button class="link" title="Highlight its bytes" on:click=move |_| ui.jump(frame, spans.clone())>
                        <span class="sev">{level_name(f.level)}</span>" "<code>{f.code.clone()}</code>" "{f.name.clone()}
                    </button>
                    ": "{f.message.clone()}
                </li>
            }
        })
        .collect_view();
    let relations = {
        let parent = data.embedded_in.map(|p| {
            view! {
                <button class="link" on:click=move |_| ui.select_frame(p)>{format!("written inside #{}", p + 1)}</button>
            }
        });
        let pair = data.pair.map(|p| {
            view! {
                <button class="link" on:click=move |_| ui.select_frame(p)>{format!("partner #{}", p + 1)}</button>
            }
        });
        view! { {parent}" "{pair} }
    };
    let annotation = {
        let d = data.clone();
        let note = move || {
            ui.notes
                .with(|n| n.get(&frame).map(|n| (n.text.clone(), n.marked)))
                .unwrap_or_default()
        };
        let d2 = d.clone();
        let on_mark = move |_| {
            let (text, marked) = note();
            ui.annotate(&d2, text, !marked);
        };
        let on_note = move |ev: leptos::ev::Event| {
            let (_, marked) = note();
            ui.annotate(&d, event_target_value(&ev), marked);
        };
        view! {
            <div class="annotation">
                <button id="mark" class="mark-button" title="Mark this frame (m)"
                    aria-pressed=move || note().1.to_string()
                    on:click=on_mark
                >{move || if note().1 { "★ Marked" } else { "☆ Mark" }}</button>
                <textarea id="note" rows="2" aria-label="Note on this frame"
                    placeholder="Note on this frame: kept in this browser, included in share links and reports"
                    prop:value=move || note().0
                    on:input=on_note
                ></textarea>
            </div>
        }
    };
    view! {
        <section class="details" aria-label="Frame details" id="details">
            <h2>{format!("Frame #{} · {}", data.index + 1, data.frame_type)}</h2>
            <p class="muted">{data.title.clone()}" "{relations}</p>
            {annotation}
            <ul class="findings" hidden=data.findings.is_empty()>{findings}</ul>
            <ul class="embedded-note" hidden=data.embedded.is_empty()>{embedded}</ul>
            <h3>"Bytes"</h3>
            <div class="hex" role="group" aria-label="Frame bytes">{hex}</div>
            <details class="packets">
                <summary>{format!("Carried by {} packet run(s) (alternate shading in the bytes)", data.packets.len())}</summary>
                <ul>{packets}</ul>
            </details>
            <h3>"Fields"</h3>
            <ul class="tree" role="tree" aria-label="Fields" node_ref=tree_ref>
                {data.tree.iter().enumerate().map(|(i, n)| field_view(n.clone(), vec![i], selected, ui, index)).collect_view()}
            </ul>
        </section>
    }
}

fn field_view(
    n: Node,
    path: Vec<usize>,
    selected: Signal<Vec<usize>>,
    ui: Ui,
    index: usize,
) -> AnyView {
    let here = path.clone();
    let is_selected = move || selected.with(|p| *p == here);
    let aria = is_selected.clone();
    let click_path = path.clone();
    let children = n.children.clone();
    view! {
        <li role="treeitem" aria-selected=move || aria().to_string()>
            <button class="field" class:selected=is_selected on:click=move |_| ui.selection.field.set(Some((index, click_path.clone())))>
                <span class="field-label">{n.label.clone()}</span>" "
                <span class="field-value">{n.value.clone()}</span>
            </button>
            {(!children.is_empty()).then(|| view! {
                <ul role="group">
                    {children.into_iter().enumerate().map(|(i, c)| {
                        let mut p = path.clone();
                        p.push(i);
                        field_view(c, p, selected, ui, index)
                    }).collect_view()}
                </ul>
            })}
        </li>
    }
    .into_any()
}
