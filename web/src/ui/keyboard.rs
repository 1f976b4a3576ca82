//! The keyboard: shortcuts (see the help dialog) by concern (dialogs, the selection, the
//! panels and views), focus moves, and paste-to-inspect.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::ui::state::{Panel, Ui};

fn typing_in(target: Option<web_sys::EventTarget>) -> bool {
    target
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|e| matches!(e.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"))
}

/// Focuses the element `selector` finds, if any.
pub(crate) fn focus(selector: &str) {
    if let Some(e) = html_elements(&leptos::prelude::document().query_selector_all(selector))
        .into_iter()
        .next()
    {
        let _ = e.focus();
    }
}

/// The HTML elements of a `querySelectorAll` answer, in document order.
fn html_elements(
    list: &Result<web_sys::NodeList, wasm_bindgen::JsValue>,
) -> Vec<web_sys::HtmlElement> {
    let Ok(list) = list else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.get(i)?.dyn_into().ok())
        .collect()
}

/// Keeps the keyboard inside an open modal dialog (share, help): Tab and Shift+Tab cycle
/// through its controls, and from outside it (the dialog just opened) Tab enters it.
fn trap_tab(ev: &web_sys::KeyboardEvent) {
    let doc = leptos::prelude::document();
    let Some(dialog) = doc
        .query_selector("[role=dialog][aria-modal=true]")
        .ok()
        .flatten()
    else {
        return;
    };
    let items =
        html_elements(&dialog.query_selector_all("button, input, textarea, select, a[href]"));
    let (Some(first), Some(last)) = (items.first(), items.last()) else {
        return;
    };
    let active = doc.active_element();
    let is = |e: &web_sys::HtmlElement| {
        active
            .as_ref()
            .is_some_and(|a| a == e.unchecked_ref::<web_sys::Element>())
    };
    let inside = active.as_ref().is_some_and(|a| dialog.contains(Some(a)));
    let back = ev.shift_key();
    let to = match (inside, back) {
        (false, false) => Some(first),
        (false, true) => Some(last),
        (true, true) if is(first) => Some(last),
        (true, false) if is(last) => Some(first),
        _ => None,
    };
    if let Some(to) = to {
        ev.prevent_default();
        let _ = to.focus();
    }
}

/// ↓/↑ in the frame's field tree: the next or previous field, focused and selected (its bytes
/// lit), in the order the tree shows them. False when the key is not on a field (a tab).
fn step_in_tree(ev: &web_sys::KeyboardEvent, down: bool) -> bool {
    let Some(at) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
    else {
        return false;
    };
    let fields = html_elements(
        &leptos::prelude::document().query_selector_all("#details ul.tree button.field"),
    );
    let Some(here) = fields
        .iter()
        .position(|f| f.unchecked_ref::<web_sys::Element>() == &at)
    else {
        return false;
    };
    let next = if down {
        here.saturating_add(1)
    } else {
        here.saturating_sub(1)
    };
    if let Some(f) = fields.get(next) {
        let _ = f.focus();
        f.click();
    }
    true
}

/// Tab and Escape, which work everywhere: Tab stays in an open dialog; Escape closes it, or
/// leaves the control (from the frame's details, back to the frame list). True if the key was
/// one of them.
fn dialog_key(ui: Ui, ev: &web_sys::KeyboardEvent, key: &str) -> bool {
    match key {
        "Tab" => trap_tab(ev),
        "Escape" => {
            if ui.share.open.get_untracked() {
                ui.share.open.set(false);
                focus("#share-button");
            } else if ui.help.get_untracked() {
                ui.help.set(false);
            } else if let Some(el) = leptos::prelude::document().active_element() {
                // From the frame's details (its field tree, its note), back to the frame list
                // that opened them; from anywhere else, out of the control.
                let in_details = el.closest("#details").ok().flatten().is_some();
                if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
                    let _ = el.blur();
                }
                if in_details {
                    focus("#frames");
                }
            }
        }
        _ => return false,
    }
    true
}

/// Whether the workspace takes shortcuts: a capture shown, no dialog open, no load under way.
fn workspace_ready(ui: Ui) -> bool {
    let loaded = ui
        .overview
        .with_untracked(|o| o.as_ref().is_some_and(|o| o.error.is_none()));
    loaded
        && !ui.help.get_untracked()
        && !ui.share.open.get_untracked()
        && ui.lifecycle.loading.get_untracked().is_none()
}

/// Keys that move the selection: rows (↓/↑, j/k, PageDown/PageUp, Home/End), fields in the
/// field tree, the frame's details (Enter) and findings (n/N). True if handled.
fn selection_key(ui: Ui, ev: &web_sys::KeyboardEvent, key: &str) -> bool {
    let element = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok());
    // Keys inside the field tree and the tabs keep their own meaning.
    let in_tree = element
        .as_ref()
        .is_some_and(|e| e.closest(".tree, [role=tab]").ok().flatten().is_some());
    // Enter belongs to the focused control (buttons, table rows) except on the page itself
    // and in the frame list.
    let enter_is_ours = match element {
        None => true,
        Some(e) => {
            matches!(e.tag_name().as_str(), "BODY" | "HTML")
                || e.closest("#frames").ok().flatten().is_some()
        }
    };
    let page = 20;
    match key {
        "ArrowDown" | "ArrowUp" if in_tree => return step_in_tree(ev, key == "ArrowDown"),
        "ArrowDown" | "j" if !in_tree => ui.step(1),
        "ArrowUp" | "k" if !in_tree => ui.step(-1),
        "PageDown" => ui.step(page),
        "PageUp" => ui.step(-page),
        "Home" => ui.select_pos(0),
        "End" => ui.select_pos(usize::MAX),
        "Enter" if !in_tree && enter_is_ours => {
            ui.panel.set(Panel::Details);
            if ui.selection.cursor.get_untracked().is_none() {
                ui.select_pos(0);
            }
            ui.selection.focus_details.set(true);
        }
        "n" => ui.next_finding(true),
        "N" => ui.next_finding(false),
        _ => return false,
    }
    true
}

/// Keys for the panels and views: the text filter (/), the findings panel (f), the frame's
/// mark (m) and the timeline's zoom (− + 0). True if handled.
fn view_key(ui: Ui, key: &str) -> bool {
    match key {
        "/" => ui.focus_filter.update(|n| *n += 1),
        "f" => ui.panel.set(Panel::Findings),
        "m" => ui.toggle_mark(),
        // The timeline's zoom ("=" is "+" without Shift on most layouts).
        "+" | "=" | "-" | "0" => {
            let factor = match key {
                "-" => 2.0,
                "0" => 0.0,
                _ => 0.5,
            };
            ui.timeline.zoom_key.update(|(n, f)| {
                *n += 1;
                *f = factor;
            });
        }
        _ => return false,
    }
    true
}

/// Keyboard shortcuts (see the help dialog) and paste-to-inspect.
pub fn install_shortcuts(ui: Ui) {
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        let key = ev.key();
        if ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
            return;
        }
        if dialog_key(ui, &ev, &key) || typing_in(ev.target()) {
            return;
        }
        if key == "?" {
            ev.prevent_default();
            ui.help.update(|h| *h = !*h);
            return;
        }
        if workspace_ready(ui) && (selection_key(ui, &ev, &key) || view_key(ui, &key)) {
            ev.prevent_default();
        }
    });
    let paste = window_event_listener(leptos::ev::paste, move |ev| {
        if typing_in(ev.target()) {
            return;
        }
        let Some(text) = ev.clipboard_data().and_then(|d| d.get_data("text").ok()) else {
            return;
        };
        if text.trim().is_empty() {
            return;
        }
        ev.prevent_default();
        ui.text.set(text.clone());
        ui.load("pasted text".into(), text.as_bytes());
    });
    on_cleanup(move || {
        keys.remove();
        paste.remove();
    });
}
