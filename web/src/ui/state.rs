//! The page's state, in signals: [`Ui`], made of the parts each concern keeps
//! ([`crate::ui::selection`], [`crate::ui::lifecycle`], the timeline's and the share dialog's),
//! with the notes and share state. Every answer comes from the engine through the [`Backend`].

use std::collections::BTreeMap;
use std::sync::Arc;

use leptos::prelude::*;
use wasm_bindgen::prelude::*;

use crate::engine::protocol::{
    Details, Filter, Note, Overview, Request, Response, ShareState, ViewInfo,
};

use crate::ui::backend::Backend;
use crate::ui::lifecycle::Lifecycle;
use crate::ui::selection::{FindingSeek, SelectionState};
use crate::ui::share_dialog::ShareDialogState;
use crate::ui::timeline::TimelineView;

/// Which side panel is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Panel {
    /// The selected frame's fields and bytes.
    Details,
    /// Findings by rule.
    Findings,
    /// The person's notes and marks.
    Notes,
}

impl Panel {
    /// For element ids (and share links).
    pub fn id(self) -> &'static str {
        match self {
            Panel::Details => "details",
            Panel::Findings => "findings",
            Panel::Notes => "notes",
        }
    }

    /// The panel an id names.
    pub fn from_id(id: &str) -> Option<Panel> {
        [Panel::Details, Panel::Findings, Panel::Notes]
            .into_iter()
            .find(|p| p.id() == id)
    }
}

/// All of the page's state (copyable handles on signals), in parts by concern: what is shown
/// (here), the selection and the finding search ([`crate::ui::selection`]), the timeline's
/// window ([`TimelineView`]), the share dialog ([`ShareDialogState`]) and the loads
/// ([`Lifecycle`]).
#[derive(Clone, Copy)]
pub struct Ui {
    /// The engine.
    pub backend: StoredValue<Backend, LocalStorage>,
    /// The loaded capture (or why it could not be loaded).
    pub overview: RwSignal<Option<Arc<Overview>>>,
    /// What is inspected, for people.
    pub source: RwSignal<String>,
    /// The paste area's text.
    pub text: RwSignal<String>,
    /// Current filter.
    pub filter: RwSignal<Filter>,
    /// Current view.
    pub view: RwSignal<ViewInfo>,
    /// Bumped whenever the view changes, so stale answers are dropped.
    pub view_gen: RwSignal<u64>,
    /// Side panel.
    pub panel: RwSignal<Panel>,
    /// The shortcuts dialog.
    pub help: RwSignal<bool>,
    /// Set to move keyboard focus to the text filter.
    pub focus_filter: RwSignal<u64>,
    /// The person's notes and marks, by timeline index.
    pub notes: RwSignal<BTreeMap<usize, Note>>,
    /// The loaded capture's fingerprint (local storage key for its notes).
    pub fingerprint: RwSignal<String>,
    /// Rows the connection table shows (more on request; back to the first few for each
    /// capture loaded).
    pub conn_rows: RwSignal<usize>,
    /// HAProxy's `timeout processing` in ns (the SPOP-X008 threshold), or none.
    pub timeout: RwSignal<Option<u64>>,
    /// The selected frame, its details and its marked bytes.
    pub selection: SelectionState,
    /// Next/previous finding (n/N).
    pub seek: FindingSeek,
    /// The timeline's window and zoom.
    pub timeline: TimelineView,
    /// The share dialog.
    pub share: ShareDialogState,
    /// Loads, reloads, the decoder's failures and the history entries.
    pub lifecycle: Lifecycle,
}

impl Ui {
    /// Fresh state over an engine.
    pub fn new(backend: Backend) -> Ui {
        let ui = Ui {
            backend: StoredValue::new_local(backend),
            overview: RwSignal::new(None),
            source: RwSignal::new(String::new()),
            text: RwSignal::new(String::new()),
            filter: RwSignal::new(Filter::default()),
            view: RwSignal::new(ViewInfo {
                total: 0,
                events: 0,
                all: 0,
                t0: 0,
                t1: 0,
            }),
            view_gen: RwSignal::new(0),
            panel: RwSignal::new(Panel::Details),
            help: RwSignal::new(false),
            focus_filter: RwSignal::new(0),
            notes: RwSignal::new(BTreeMap::new()),
            fingerprint: RwSignal::new(String::new()),
            conn_rows: RwSignal::new(crate::ui::connections::FIRST),
            timeout: RwSignal::new(crate::ui::storage::timeout_processing()),
            selection: SelectionState::new(),
            seek: FindingSeek::new(),
            timeline: TimelineView::new(),
            share: ShareDialogState::new(),
            lifecycle: Lifecycle::new(),
        };
        // The decoder dying under way: said in the page, and what was shown kept usable.
        ui.backend
            .with_value(|b| b.on_failure(move |f| ui.engine_failed(f)));
        ui.selection.follow(ui);
        ui
    }

    /// Asks the engine.
    pub fn ask(self, req: Request, reply: impl FnOnce(Response) + 'static) {
        self.backend.with_value(|b| b.ask(req, reply));
    }

    /// Shows what a share link carried: filters, selection (and its field), panel and
    /// timeline window.
    pub(crate) fn restore(self, r: ShareState) {
        let panel = Panel::from_id(&r.panel).unwrap_or(Panel::Details);
        self.timeline.pending_window.set(r.window);
        self.selection.field.set(
            r.selected
                .filter(|_| !r.field.is_empty())
                .map(|f| (f, r.field.clone())),
        );
        self.apply_filter(r.filter, move |ui| {
            ui.panel.set(panel);
            match r.selected {
                Some(frame) => ui.select_frame(frame),
                None => ui.select_pos(0),
            }
        });
    }

    /// The page's state, for share links and reports.
    pub fn share_state(self) -> ShareState {
        ShareState {
            notes: self.notes.with_untracked(|n| n.values().cloned().collect()),
            selected: self
                .selection
                .cursor
                .get_untracked()
                .filter(|c| c.event.is_none())
                .or_else(|| self.selection.hidden.get_value())
                .map(|c| c.frame),
            filter: self.filter.get_untracked(),
            panel: self.panel.get_untracked().id().into(),
            window: Some(self.timeline.window.get_untracked()),
            name: self.capture_name(),
            field: self.selection.field.with_untracked(|f| {
                match (f, self.selection.cursor.get_untracked()) {
                    (Some((frame, path)), Some(c)) if *frame == c.frame => path.clone(),
                    _ => Vec::new(),
                }
            }),
        }
    }

    /// What the capture shown is called: the file's name without its size ("capture.pcap"),
    /// a link's original name; empty for pasted text and unnamed links.
    pub fn capture_name(self) -> String {
        let source = self.source.get_untracked();
        let name = source.split(" (").next().unwrap_or_default().trim();
        match name {
            "pasted text" | "share link" => String::new(),
            n => n.to_string(),
        }
    }

    pub(crate) fn set_notes(self, notes: Vec<Note>) {
        // Extended, not collected: `collect` sorts first, another copy of the sort in the wasm.
        let mut by_frame = BTreeMap::new();
        by_frame.extend(notes.into_iter().map(|n| (n.frame, n)));
        self.notes.set(by_frame);
    }

    /// Notes kept in local storage, found in this capture by their frames' keys.
    pub(crate) fn resolve_notes(self, stored: Vec<crate::ui::storage::StoredNote>) {
        let keys = stored.iter().map(|n| n.key.clone()).collect();
        self.ask(Request::Resolve { keys }, move |r| {
            let Response::Resolved(found) = r else { return };
            let notes = found
                .into_iter()
                .zip(stored)
                .filter_map(|(n, s)| {
                    Some(Note {
                        text: s.text,
                        marked: s.marked,
                        ..n?
                    })
                })
                .collect();
            self.set_notes(notes);
        });
    }

    /// Sets the note and mark of the frame `d` shows (both empty: removed), and keeps them
    /// in local storage.
    pub fn annotate(self, d: &Details, text: String, marked: bool) {
        self.notes.update(|notes| {
            if text.is_empty() && !marked {
                notes.remove(&d.index);
            } else {
                notes.insert(
                    d.index,
                    Note {
                        frame: d.index,
                        key: d.key.clone(),
                        t: d.t,
                        frame_type: d.frame_type.clone(),
                        text,
                        marked,
                    },
                );
            }
        });
        let notes = self
            .notes
            .with_untracked(|n| n.values().cloned().collect::<Vec<_>>());
        crate::ui::storage::save_notes(&self.fingerprint.get_untracked(), &notes);
    }

    /// Marks or unmarks the selected frame.
    pub fn toggle_mark(self) {
        let Some(d) = self.selection.details.get_untracked() else {
            return;
        };
        let (text, marked) = self.notes.with_untracked(|n| {
            n.get(&d.index)
                .map_or((String::new(), false), |n| (n.text.clone(), n.marked))
        });
        self.annotate(&d, text, !marked);
    }
}

/// The global function measuring tools call (tests/e2e/bench.mjs): `spopInspectorStats()`
/// returns a Promise of `{ inWorker, engineMemory, pageMemory }`: whether the engine runs in
/// the decode worker, its wasm memory in bytes (`null` if it could not answer) and the page's
/// own wasm memory. Wasm memory never shrinks, so these are peaks.
pub const STATS_FUNCTION: &str = "spopInspectorStats";

/// Installs [`STATS_FUNCTION`] for as long as the inspector is mounted.
pub fn install_stats(ui: Ui) {
    use js_sys::{Object, Promise, Reflect};
    let stats = Closure::<dyn Fn() -> Promise>::new(move || {
        Promise::new(&mut |resolve, _reject| {
            let in_worker = ui.backend.with_value(Backend::in_worker);
            ui.ask(Request::Memory, move |r| {
                let engine = match r {
                    Response::Memory(Some(bytes)) => JsValue::from_f64(bytes as f64),
                    _ => JsValue::NULL,
                };
                let page = crate::engine::session::wasm_memory()
                    .map_or(JsValue::NULL, |b| JsValue::from_f64(b as f64));
                let out = Object::new();
                let _ = Reflect::set(&out, &"inWorker".into(), &JsValue::from_bool(in_worker));
                let _ = Reflect::set(&out, &"engineMemory".into(), &engine);
                let _ = Reflect::set(&out, &"pageMemory".into(), &page);
                let _ = resolve.call1(&JsValue::NULL, &out);
            });
        })
    });
    let _ = Reflect::set(&js_sys::global(), &STATS_FUNCTION.into(), stats.as_ref());
    let stats = StoredValue::new_local(stats);
    on_cleanup(move || {
        // Only if it is still ours (another inspector may have been mounted since).
        let ours = stats
            .try_with_value(|f| {
                Reflect::get(&js_sys::global(), &STATS_FUNCTION.into())
                    .is_ok_and(|g| g == *f.as_ref())
            })
            .unwrap_or(false);
        if ours {
            let _ = Reflect::delete_property(&js_sys::global(), &STATS_FUNCTION.into());
        }
    });
}
