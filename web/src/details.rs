//! The frame details: the engine's field tree and the frame's bytes, highlighted both ways:
//! selecting a field highlights its bytes, clicking a byte selects the deepest field there.

use std::sync::Arc;

use leptos::prelude::*;
use spop_codec::analysis::Analysis;
use spop_codec::fields::{fields, Field};
use spop_codec::Span;

/// One byte of the hex view: where it is in the stream, its value, the packet that carried it.
struct HexCell {
    offset: usize,
    byte: u8,
    packet: u32,
}

/// The field at `path` in a tree.
fn at<'f>(tree: &'f [Field], path: &[usize]) -> Option<&'f Field> {
    let (first, rest) = path.split_first()?;
    let node = tree.get(*first)?;
    if rest.is_empty() {
        Some(node)
    } else {
        at(&node.children, rest)
    }
}

/// The details of frame `index`.
#[component]
pub fn Details(analysis: Arc<Analysis>, index: usize) -> impl IntoView {
    let Some(entry) = analysis.frames.get(index).copied() else {
        return view! { <p>"No such frame."</p> }.into_any();
    };
    let tree: Vec<Field> = analysis.with_frame(index, fields).unwrap_or_default();
    let data = analysis
        .stream_data(entry.connection, entry.direction)
        .unwrap_or(&[]);
    let extent = entry.extent();
    let bytes: Vec<u8> = data.get(extent.range()).unwrap_or(&[]).to_vec();
    // Which packet carried each byte (the TCP segments of the frame).
    let stream = analysis
        .capture
        .connections
        .get(entry.connection)
        .map(|c| c.stream(entry.direction));
    let packets: Vec<u32> = (extent.start..extent.end)
        .map(|o| stream.and_then(|s| s.packet_at(o)).map_or(0, |p| p.number))
        .collect();
    let segments = stream.map_or(0, |s| s.segments_in(extent.start, extent.end).len());
    let decoded_offset = move |o: usize| entry.decoded_offset(o);
    let selected = RwSignal::new(Vec::<usize>::new());
    let tree = Arc::new(tree);
    let highlight = {
        let tree = tree.clone();
        Memo::new(move |_| {
            selected.with(|p| {
                at(&tree, p)
                    .map(|f| entry.map_span(f.span).collect::<Vec<Span>>())
                    .unwrap_or_default()
            })
        })
    };
    let pick_byte = {
        let tree = tree.clone();
        move |o: usize| {
            let Some(d) = decoded_offset(o) else { return };
            for (i, top) in tree.iter().enumerate() {
                if let Some(mut path) = top.deepest_at(d) {
                    path.insert(0, i);
                    selected.set(path);
                    return;
                }
            }
        }
    };
    let rows: Vec<(usize, Vec<HexCell>)> = bytes
        .chunks(16)
        .enumerate()
        .map(|(r, chunk)| {
            let base = extent.start + r * 16;
            (
                base,
                chunk
                    .iter()
                    .enumerate()
                    .map(|(i, b)| HexCell {
                        offset: base + i,
                        byte: *b,
                        packet: packets.get(r * 16 + i).copied().unwrap_or(0),
                    })
                    .collect(),
            )
        })
        .collect();
    let title = format!(
        "Frame #{} · {} · {} · connection {} · {} bytes at {:#x} · {} TCP segment(s)",
        index + 1,
        entry.frame_type,
        entry.direction.label(),
        entry.connection + 1,
        extent.len(),
        extent.start,
        segments
    );
    view! {
        <section class="details" aria-label="Frame details">
            <h2>{title}</h2>
            <div class="details-body">
                <ul class="tree" role="tree" aria-label="Fields">
                    {tree.iter().enumerate().map(|(i, f)| field_view(f.clone(), vec![i], selected)).collect_view()}
                </ul>
                <div class="hex" role="grid" aria-label="Frame bytes">
                    {rows.into_iter().map(|(base, cells)| {
                        let pick = pick_byte.clone();
                        view! {
                            <div class="hex-row">
                                <span class="hex-offset">{format!("{base:06x}")}</span>
                                {cells.into_iter().map(|HexCell { offset: o, byte: b, packet }| {
                                    let pick = pick.clone();
                                    let lit = move || highlight.with(|spans| spans.iter().any(|s| s.contains(o)));
                                    let foreign = decoded_offset(o).is_none();
                                    view! {
                                        <span
                                            class="byte"
                                            class:lit=lit
                                            class:foreign=foreign
                                            class:odd-packet=packet % 2 == 1
                                            title=format!("offset {o:#x}, packet {packet}")
                                            on:click=move |_| pick(o)
                                        >{format!("{b:02x}")}</span>
                                    }
                                }).collect_view()}
                            </div>
                        }
                    }).collect_view()}
                </div>
            </div>
        </section>
    }
    .into_any()
}

fn field_view(f: Field, path: Vec<usize>, selected: RwSignal<Vec<usize>>) -> AnyView {
    let here = path.clone();
    let is_selected = move || selected.with(|p| *p == here);
    let aria = is_selected.clone();
    let click_path = path.clone();
    let children = f.children.clone();
    view! {
        <li role="treeitem" aria-selected=move || aria().to_string()>
            <button class="field" class:selected=is_selected on:click=move |_| selected.set(click_path.clone())>
                <span class="field-label">{f.label.clone()}</span>" "
                <span class="field-value">{f.value.clone()}</span>
            </button>
            {(!children.is_empty()).then(|| view! {
                <ul role="group">
                    {children.into_iter().enumerate().map(|(i, c)| {
                        let mut p = path.clone();
                        p.push(i);
                        field_view(c, p, selected)
                    }).collect_view()}
                </ul>
            })}
        </li>
    }
    .into_any()
}
