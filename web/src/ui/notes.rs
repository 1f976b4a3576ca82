//! The notes panel: every frame the person annotated or marked, in timeline order; a click
//! selects the frame.

use leptos::prelude::*;
use spop_codec::display::Fixed;

use crate::ui::state::Ui;

/// The notes panel.
#[component]
pub fn Notes() -> impl IntoView {
    let ui = expect_context::<Ui>();
    move || {
        let notes = ui.notes.with(|n| n.values().cloned().collect::<Vec<_>>());
        if notes.is_empty() {
            return view! {
                <p class="muted hint" id="notes-empty">
                    "No notes yet. Select a frame and write a note above its bytes, or press m to mark it. Notes stay in this browser and travel in share links and Markdown reports."
                </p>
            }
            .into_any();
        }
        view! {
            <ul class="notes-list" id="notes-list" aria-label="Notes and marks">
                {notes.into_iter().map(|n| {
                    let frame = n.frame;
                    view! {
                        <li>
                            <button class="link note-item" data-frame=frame.to_string() on:click=move |_| {
                                ui.selection.marked.set(None);
                                ui.select_frame(frame);
                            }>
                                <span class="note-star">{if n.marked { "★" } else { "✎" }}</span>
                                {format!(" #{} {} · {} s", frame + 1, n.frame_type, Fixed::ratio(n.t, 9, 6))}
                            </button>
                            {(!n.text.is_empty()).then(|| view! { <p class="note-text">{n.text.clone()}</p> })}
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
        .into_any()
    }
}
