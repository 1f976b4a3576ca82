//! Sizes the person sets by dragging: column widths (a handle on a header's edge) and the
//! split between the frames and the side panel. They are kept in local storage
//! ([`crate::ui::prefs::keep_widths`]), so the layout is as it was left on the next visit.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::ui::prefs::{keep_widths, widths_kept};

/// Column widths (CSS px), kept under a storage key.
#[derive(Clone, Copy)]
pub struct Widths {
    key: &'static str,
    /// The widths.
    pub w: RwSignal<Vec<f64>>,
    /// Whether the person set them (else the stylesheet's, which follow the window's width,
    /// may be used instead).
    pub custom: RwSignal<bool>,
    /// The header cell without a width of its own (it takes the rest), if any.
    flexible: Option<usize>,
}

impl Widths {
    /// The widths kept under `key`, or `defaults`; header cell `flexible` has none.
    pub fn new(key: &'static str, defaults: &[f64], flexible: Option<usize>) -> Widths {
        let kept = widths_kept(key, defaults.len());
        Widths {
            key,
            custom: RwSignal::new(kept.is_some()),
            w: RwSignal::new(kept.unwrap_or_else(|| defaults.to_vec())),
            flexible,
        }
    }

    /// Takes the widths the header cells have on screen (the row of `cell`), so the first
    /// drag starts from what the person sees.
    fn adopt(self, cell: &web_sys::Element) {
        if self.custom.get_untracked() {
            return;
        }
        let Some(row) = cell.parent_element() else {
            return;
        };
        let cells = row.children();
        let w: Vec<f64> = (0..cells.length())
            .filter(|&i| Some(i as usize) != self.flexible)
            .filter_map(|i| cells.item(i))
            .map(|c| c.get_bounding_client_rect().width().round())
            .collect();
        if w.len() == self.w.with_untracked(Vec::len) {
            self.w.set(w);
        }
        self.custom.set(true);
    }

    /// Width of column `i` (tracked).
    pub fn get(self, i: usize) -> f64 {
        self.w.with(|w| w.get(i).copied().unwrap_or(60.0))
    }

    fn get_untracked(self, i: usize) -> f64 {
        self.w.with_untracked(|w| w.get(i).copied().unwrap_or(60.0))
    }

    fn set(self, i: usize, width: f64) {
        self.w.update(|w| {
            if let Some(c) = w.get_mut(i) {
                *c = width;
            }
        });
    }

    fn keep(self) {
        self.w.with_untracked(|w| keep_widths(self.key, w));
    }
}

/// A drag handle on the right edge of a header (`sign` 1.0), or on its left edge for a column
/// whose header is to its right (`sign` -1.0): dragging sets column `col`'s width, at least
/// `min` px. It takes the pointer, so the header's own click (sorting) does not fire.
pub fn resize_handle(
    widths: Widths,
    col: usize,
    sign: f64,
    min: f64,
    label: String,
) -> impl IntoView {
    let start = StoredValue::new(None::<(f64, f64)>);
    let handle = |ev: &web_sys::PointerEvent| {
        ev.current_target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
    };
    view! {
        <span
            class="col-resize"
            class:left-edge=sign < 0.0
            role="separator"
            aria-orientation="vertical"
            aria-label=label
            on:pointerdown=move |ev: web_sys::PointerEvent| {
                ev.prevent_default();
                ev.stop_propagation();
                if let Some(el) = handle(&ev) {
                    let _ = el.set_pointer_capture(ev.pointer_id());
                    if let Some(cell) = el.parent_element() {
                        widths.adopt(&cell);
                    }
                }
                start.set_value(Some((f64::from(ev.client_x()), widths.get_untracked(col))));
            }
            on:pointermove=move |ev: web_sys::PointerEvent| {
                if let Some((x0, w0)) = start.get_value() {
                    let w = (w0 + sign * (f64::from(ev.client_x()) - x0)).max(min).min(2000.0);
                    widths.set(col, w.round());
                }
            }
            on:pointerup=move |ev: web_sys::PointerEvent| {
                if start.get_value().is_some() {
                    start.set_value(None);
                    if let Some(el) = handle(&ev) {
                        let _ = el.release_pointer_capture(ev.pointer_id());
                    }
                    widths.keep();
                }
            }
            // A click on the handle is not a click on its header.
            on:click=move |ev: web_sys::MouseEvent| ev.stop_propagation()
        ></span>
    }
}

/// Storage key of the side panel's width.
const SIDE_KEY: &str = "layout.side";
/// The side panel's narrowest and the frames' narrowest (px).
const SIDE_MIN: f64 = 280.0;
const FRAMES_MIN: f64 = 420.0;

/// The side panel's width as kept (`None`: the stylesheet's default).
pub fn side_kept() -> RwSignal<Option<f64>> {
    RwSignal::new(widths_kept(SIDE_KEY, 1).and_then(|w| w.first().copied()))
}

/// The splitter between the frames (left) and the side panel (right): drag it, or focus it
/// and press ←/→ (Home: back to the default).
#[component]
pub fn Splitter(side: RwSignal<Option<f64>>) -> impl IntoView {
    let dragging = StoredValue::new(false);
    // The workspace's right edge and width, from the splitter's parent.
    let bounds = |el: &web_sys::Element| {
        el.parent_element().map(|p| {
            let r = p.get_bounding_client_rect();
            (r.right(), r.width())
        })
    };
    let set = move |el: &web_sys::Element, width: f64| {
        if let Some((_, total)) = bounds(el) {
            let max = (total - FRAMES_MIN).max(SIDE_MIN);
            side.set(Some(width.max(SIDE_MIN).min(max).round()));
        }
    };
    let keep = move || match side.get_untracked() {
        Some(w) => keep_widths(SIDE_KEY, &[w]),
        None => crate::ui::storage::set(SIDE_KEY, None),
    };
    let target = |ev: &web_sys::Event| {
        ev.current_target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
    };
    // The side panel's width now (its element follows the splitter).
    let current = |el: &web_sys::Element| {
        el.next_element_sibling()
            .map_or(SIDE_MIN, |s| s.get_bounding_client_rect().width())
    };
    view! {
        <div
            class="splitter"
            role="separator"
            aria-orientation="vertical"
            aria-label="Resize the frames and the side panel (← →)"
            aria-controls="side-panel"
            tabindex="0"
            aria-valuenow=move || side.get().map(|w| (w as i64).to_string())
            on:pointerdown=move |ev: web_sys::PointerEvent| {
                ev.prevent_default();
                if let Some(el) = target(&ev) {
                    let _ = el.set_pointer_capture(ev.pointer_id());
                }
                dragging.set_value(true);
            }
            on:pointermove=move |ev: web_sys::PointerEvent| {
                if !dragging.get_value() {
                    return;
                }
                if let Some(el) = target(&ev) {
                    if let Some((right, _)) = bounds(&el) {
                        set(&el, right - f64::from(ev.client_x()));
                    }
                }
            }
            on:pointerup=move |ev: web_sys::PointerEvent| {
                if dragging.get_value() {
                    dragging.set_value(false);
                    if let Some(el) = target(&ev) {
                        let _ = el.release_pointer_capture(ev.pointer_id());
                    }
                    keep();
                }
            }
            on:keydown=move |ev: web_sys::KeyboardEvent| {
                let Some(el) = target(&ev) else { return };
                let step = if ev.shift_key() { 96.0 } else { 24.0 };
                match ev.key().as_str() {
                    // The splitter moves left: the side panel grows.
                    "ArrowLeft" => set(&el, current(&el) + step),
                    "ArrowRight" => set(&el, current(&el) - step),
                    "Home" => side.set(None),
                    _ => return,
                }
                ev.prevent_default();
                ev.stop_propagation();
                keep();
            }
        ></div>
    }
}
