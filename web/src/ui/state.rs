//! The page's state, in signals, and the actions that change it (load, filter, select, jump).
//! Every answer comes from the engine through the [`Backend`].

use std::collections::BTreeMap;
use std::sync::Arc;

use leptos::prelude::*;
use wasm_bindgen::prelude::*;

use crate::engine::protocol::{
    Details, Failure, Filter, Note, Overview, Request, Response, Settings, ShareState, ViewInfo,
};
use spop_codec::analysis::Severity;
use spop_codec::Span;

use crate::ui::backend::Backend;

// Performance marks of a load, read by tests/e2e/bench.mjs (and by anyone in the browser's
// performance panel). Permanent and harmless in production: three marks per load, the previous
// load's cleared, nothing else recorded or sent anywhere.

/// An input was chosen (file picked or dropped, text pasted, example or link opened).
pub const MARK_SELECTED: &str = "spop:file-selected";
/// The timeline first shows frames (arrows or columns) of the new capture.
pub const MARK_TIMELINE: &str = "spop:timeline";
/// The capture's findings are shown (header counts, findings tab total).
pub const MARK_FINDINGS: &str = "spop:findings";

#[wasm_bindgen]
extern "C" {
    // Looked up at call time on the global `performance`; `catch` so that a browser without
    // it costs nothing but the mark.
    #[wasm_bindgen(js_namespace = performance, js_name = mark, catch)]
    fn performance_mark(name: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = performance, js_name = clearMarks, catch)]
    fn performance_clear_marks(name: &str) -> Result<(), JsValue>;
}

/// Marks `name` just before the browser paints what the current task changed: Leptos renders
/// in microtasks, which all run before the next animation frame.
fn mark_when_painted(name: &'static str) {
    request_animation_frame(move || {
        let _ = performance_mark(name);
    });
}

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

/// The selected frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// Position in the view.
    pub pos: usize,
    /// Timeline index.
    pub frame: usize,
    /// ns since the first frame.
    pub t: u64,
    /// Its connection.
    pub connection: usize,
    /// A TCP event's row ([`crate::engine::incident`]): its index; `frame` is then `usize::MAX`.
    pub event: Option<usize>,
}

/// A finding's bytes, marked in one frame's details: the frame and stream spans.
pub type Marked = (usize, Vec<Span>);

/// The capture left for the start screen, while the engine still holds it: Back (or Forward)
/// shows it again as it was, without decoding it again.
#[derive(Clone)]
pub struct Parked {
    /// Its load number ([`Ui::loads`]).
    pub load: u64,
    /// The share link it was opened from, if any.
    pub link: Option<String>,
    /// What was shown.
    pub overview: Arc<Overview>,
    /// The selected frame.
    pub cursor: Option<Cursor>,
    /// The side panel.
    pub panel: Panel,
    /// The timeline's window.
    pub window: (u64, u64),
}

/// What was last given to decode, kept to decode it again (Retry, a changed setting): as a
/// `File` (a pasted text or fetched example is wrapped in one; the bytes themselves went to the
/// worker).
#[derive(Clone)]
pub struct Input {
    /// What it is called ([`Ui::source`]).
    pub label: String,
    /// Its bytes.
    pub file: web_sys::File,
    /// The share link it is, if it is one.
    pub link: Option<String>,
}

/// A capture shown being decoded again: the view to come back to, and its link.
#[derive(Clone)]
pub struct Reload {
    /// Filters, selection, panel, window, notes.
    pub state: ShareState,
    /// The share link it was opened from.
    pub link: Option<String>,
}

/// The decoder failed under a capture shown: what to tell the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trouble {
    /// A sentence: "The decoder ran out of memory while checking the rules."
    pub message: String,
    /// The rules did not run: the page shows the timeline without findings.
    pub rules: bool,
}

/// All of the page's state (copyable handles on signals).
#[derive(Clone, Copy)]
pub struct Ui {
    /// The engine.
    pub backend: StoredValue<Backend, LocalStorage>,
    /// The loaded capture (or why it could not be loaded).
    pub overview: RwSignal<Option<Arc<Overview>>>,
    /// What is inspected, for people.
    pub source: RwSignal<String>,
    /// Decoding progress: fraction and stage.
    pub loading: RwSignal<Option<(f64, String)>>,
    /// The paste area's text.
    pub text: RwSignal<String>,
    /// Current filter.
    pub filter: RwSignal<Filter>,
    /// Current view.
    pub view: RwSignal<ViewInfo>,
    /// Bumped whenever the view changes, so stale answers are dropped.
    pub view_gen: RwSignal<u64>,
    /// The selected frame.
    pub cursor: RwSignal<Option<Cursor>>,
    /// Side panel.
    pub panel: RwSignal<Panel>,
    /// Details of the selected frame.
    pub details: RwSignal<Option<Arc<Details>>>,
    /// Bytes to highlight in one frame's details (a finding's): the frame and stream spans.
    pub marked: RwSignal<Option<Marked>>,
    /// The position last asked for, before the engine answers: quick key repeats add up.
    pub target: RwSignal<Option<usize>>,
    /// The shortcuts dialog.
    pub help: RwSignal<bool>,
    /// Set to move keyboard focus into the details' field tree.
    pub focus_details: RwSignal<bool>,
    /// Set to move keyboard focus to the text filter.
    pub focus_filter: RwSignal<u64>,
    /// The person's notes and marks, by timeline index.
    pub notes: RwSignal<BTreeMap<usize, Note>>,
    /// The loaded capture's fingerprint (local storage key for its notes).
    pub fingerprint: RwSignal<String>,
    /// The timeline's window (ns since time zero).
    pub window: RwSignal<(u64, u64)>,
    /// A window to show once the next selection lands (restoring a share link).
    pub pending_window: RwSignal<Option<(u64, u64)>>,
    /// The share dialog.
    pub share: RwSignal<bool>,
    /// Links above this many KiB get the "share less" offers.
    pub share_limit: RwSignal<u32>,
    /// Zoom asked for by the keyboard: how many times so far, and the factor (0: fit).
    pub zoom_key: RwSignal<(u64, f64)>,
    /// Rows the connection table shows (more on request; back to the first few for each
    /// capture loaded).
    pub conn_rows: RwSignal<usize>,
    /// Set when a load's overview arrives: the view generation at that moment. The first
    /// timeline with frames from a later generation is the new capture's, and gets
    /// [`MARK_TIMELINE`] (then this is cleared).
    pub timeline_due: StoredValue<Option<u64>>,
    /// A load answered with the timeline only: the rules are still to be asked for (after the
    /// first timeline is drawn, so that they do not delay it).
    pub check_due: StoredValue<bool>,
    /// Captures shown so far: the number of the one shown (its history entry's state).
    pub loads: StoredValue<u64>,
    /// The share link the shown capture was opened from.
    pub link: StoredValue<Option<String>>,
    /// The share link being decoded, if the load under way is one.
    pub link_loading: StoredValue<Option<String>>,
    /// The capture left for the start screen, if the engine still holds it. Only while no
    /// capture is shown: showing one (a load, or this one again) clears it.
    pub parked: StoredValue<Option<Parked>, LocalStorage>,
    /// The input last given to decode.
    pub input: StoredValue<Option<Input>, LocalStorage>,
    /// The decoder failed under the capture shown (a banner offers Retry).
    pub failure: RwSignal<Option<Trouble>>,
    /// The start screen's error is the decoder failing to load the input (it offers Retry).
    pub retry_load: RwSignal<bool>,
    /// The capture shown is being decoded again, quietly, after the decoder failed.
    pub restoring: RwSignal<bool>,
    /// The load under way decodes the capture shown again ([`Ui::reload_input`]).
    pub reload: StoredValue<Option<Reload>>,
    /// HAProxy's `timeout processing` in ns (the SPOP-X008 threshold), or none.
    pub timeout: RwSignal<Option<u64>>,
    /// The least severity next/previous (n/N) stops at, as chosen; `None`: the worst the
    /// capture has ([`Ui::stop_level`]).
    pub stop_at: RwSignal<Option<Severity>>,
    /// Next/previous presses not yet sent to the engine (forward positive) and whether a
    /// search is under way: quick repeats add up instead of asking from the same place.
    pub seek: StoredValue<(isize, bool)>,
    /// What the last next/previous found nothing for ("No later warning in view."), or empty.
    pub seek_note: RwSignal<String>,
    /// The selected frame while a filter hides it: selected again when a filter shows it.
    pub hidden: StoredValue<Option<Cursor>>,
    /// The selected field: the frame (timeline index) and the field's path in its tree.
    pub field: RwSignal<Option<(usize, Vec<usize>)>>,
}

impl Ui {
    /// Fresh state over an engine.
    pub fn new(backend: Backend) -> Ui {
        let ui = Ui {
            backend: StoredValue::new_local(backend),
            overview: RwSignal::new(None),
            source: RwSignal::new(String::new()),
            loading: RwSignal::new(None),
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
            cursor: RwSignal::new(None),
            panel: RwSignal::new(Panel::Details),
            details: RwSignal::new(None),
            marked: RwSignal::new(None),
            target: RwSignal::new(None),
            help: RwSignal::new(false),
            focus_details: RwSignal::new(false),
            focus_filter: RwSignal::new(0),
            notes: RwSignal::new(BTreeMap::new()),
            fingerprint: RwSignal::new(String::new()),
            window: RwSignal::new((0, 1)),
            pending_window: RwSignal::new(None),
            share: RwSignal::new(false),
            share_limit: RwSignal::new(crate::ui::storage::share_limit()),
            conn_rows: RwSignal::new(crate::ui::connections::FIRST),
            zoom_key: RwSignal::new((0, 1.0)),
            timeline_due: StoredValue::new(None),
            check_due: StoredValue::new(false),
            loads: StoredValue::new(0),
            link: StoredValue::new(None),
            link_loading: StoredValue::new(None),
            parked: StoredValue::new_local(None),
            input: StoredValue::new_local(None),
            failure: RwSignal::new(None),
            retry_load: RwSignal::new(false),
            restoring: RwSignal::new(false),
            reload: StoredValue::new(None),
            timeout: RwSignal::new(crate::ui::storage::timeout_processing()),
            stop_at: RwSignal::new(None),
            seek: StoredValue::new((0, false)),
            seek_note: RwSignal::new(String::new()),
            hidden: StoredValue::new(None),
            field: RwSignal::new(None),
        };
        // The decoder dying under way: said in the page, and what was shown kept usable.
        ui.backend
            .with_value(|b| b.on_failure(move |f| ui.engine_failed(f)));
        // The details follow the selection.
        Effect::new(move |_| {
            // A TCP event's row has no frame to detail.
            let Some(c) = ui.cursor.get().filter(|c| c.event.is_none()) else {
                ui.details.set(None);
                return;
            };
            if ui
                .details
                .with_untracked(|d| d.as_ref().is_some_and(|d| d.index == c.frame))
            {
                return;
            }
            ui.ask(Request::Details { frame: c.frame }, move |r| {
                if let Response::Details(d) = r {
                    if ui
                        .cursor
                        .get_untracked()
                        .is_some_and(|c| c.frame == d.index)
                    {
                        ui.details.set(Some(Arc::new(*d)));
                    }
                }
            });
        });
        ui
    }

    /// Asks the engine.
    pub fn ask(self, req: Request, reply: impl FnOnce(Response) + 'static) {
        self.backend.with_value(|b| b.ask(req, reply));
    }

    /// Decodes an input.
    pub fn load(self, name: String, bytes: &[u8]) {
        self.input_chosen();
        self.load_array(name, js_sys::Uint8Array::from(bytes));
    }

    /// The settings a load takes; `bundle_decides`: a share bundle's own settings win (a
    /// capture opened, not one reloaded with settings the person just changed).
    fn settings(self, bundle_decides: bool) -> Settings {
        Settings {
            timeout_processing: self.timeout.get_untracked(),
            bundle_decides,
        }
    }

    /// Keeps the input to decode it again.
    fn keep_input(self, label: &str, file: web_sys::File) {
        self.input.set_value(Some(Input {
            label: label.to_string(),
            file,
            link: None,
        }));
    }

    /// Loads a bundled example ([`crate::ui::start::EXAMPLES`]); fetching it is part of the wait.
    pub fn open_example(self, name: &'static str) {
        const FETCHING: &str = "fetching the example";
        self.input_chosen();
        self.source.set(name.to_string());
        self.loading.set(Some((0.0, FETCHING.into())));
        leptos::task::spawn_local(async move {
            let result = crate::ui::start::example_bytes(name).await;
            // Cancelled, or another input chosen, while the bytes were on their way.
            let still_wanted = self.source.get_untracked() == name
                && self
                    .loading
                    .with_untracked(|l| l.as_ref().is_some_and(|(_, stage)| stage == FETCHING));
            if !still_wanted {
                return;
            }
            match result {
                Ok(bytes) => self.load_array(name.to_string(), bytes),
                Err(e) => self.loaded(Response::Error(e)),
            }
        });
    }

    /// A new input: the previous load's marks go, [`MARK_SELECTED`] starts this one's.
    fn input_chosen(self) {
        for name in [MARK_SELECTED, MARK_TIMELINE, MARK_FINDINGS] {
            let _ = performance_clear_marks(name);
        }
        let _ = performance_mark(MARK_SELECTED);
        self.timeline_due.set_value(None);
        // The engine drops what it held for the new input.
        self.parked.set_value(None);
        self.link_loading.set_value(None);
        self.reload.set_value(None);
        self.restoring.set(false);
        self.failure.set(None);
        self.retry_load.set(false);
    }

    /// The timeline is about to draw frames of view generation `generation`; the first time
    /// after a load, that is [`MARK_TIMELINE`].
    pub fn timeline_drawn(self, generation: u64) {
        if self
            .timeline_due
            .get_value()
            .is_some_and(|g| generation > g)
        {
            self.timeline_due.set_value(None);
            mark_when_painted(MARK_TIMELINE);
            self.run_check();
        }
    }

    /// Decodes an input held by JavaScript (pasted or dropped bytes).
    pub fn load_array(self, name: String, bytes: js_sys::Uint8Array) {
        // A copy to decode again: the bytes themselves are handed to the worker.
        if let Ok(file) =
            web_sys::File::new_with_u8_array_sequence(&js_sys::Array::of1(&bytes), &name)
        {
            self.keep_input(&name, file);
        }
        self.source.set(name);
        self.loading.set(Some((0.0, "starting".into())));
        let settings = self.settings(true);
        self.backend.with_value(|b| {
            b.load(
                bytes,
                settings,
                move |f, stage| self.loading.set(Some((f, stage))),
                move |r| self.loaded(r),
            )
        });
    }

    /// Decodes the input again (Retry, a changed setting). A capture shown comes back as it
    /// was left (filters, selection, panel, window, the same history entry); otherwise this is
    /// the load that failed, once more.
    pub fn reload_input(self) {
        let Some(input) = self.input.get_value() else {
            return;
        };
        let keep = self.shown().map(|_| Reload {
            state: self.share_state(),
            link: self.link.get_value(),
        });
        let shown = keep.is_some();
        self.input_chosen();
        self.reload.set_value(keep);
        if !shown {
            self.link_loading.set_value(input.link.clone());
        }
        self.source.set(input.label.clone());
        self.loading.set(Some((0.0, "starting".into())));
        let settings = self.settings(!shown);
        self.backend.with_value(|b| {
            b.load_file(
                input.file,
                settings,
                move |f, stage| self.loading.set(Some((f, stage))),
                move |r| self.loaded(r),
            )
        });
    }

    /// Sets HAProxy's `timeout processing` (the SPOP-X008 threshold), remembers it in this
    /// browser, and checks the capture shown again with it.
    pub fn set_timeout(self, t: Option<u64>) {
        let changed = self.timeout.get_untracked() != t;
        // Even unchanged: the field shows the value as HAProxy writes it.
        self.timeout.set(t);
        crate::ui::storage::save_timeout_processing(t);
        if changed && self.shown().is_some() {
            self.reload_input();
        }
    }

    /// The decode worker failed ([`Backend::on_failure`]). A load under way says so in its own
    /// answer. Under a capture shown: the page says what failed and decodes the capture again
    /// in a fresh worker, quietly, so that what is on screen keeps answering (without
    /// findings if the rules were what failed); should that fail too, the page goes back to the
    /// start screen with the error.
    fn engine_failed(self, f: Failure) {
        // The engine no longer holds a capture left for the start screen.
        self.parked.set_value(None);
        if self.loading.get_untracked().is_some() {
            return;
        }
        if self.restoring.get_untracked() {
            self.restoring.set(false);
            self.failure.set(None);
            self.show_error(f.sentence(), true);
            return;
        }
        if self.shown().is_none() {
            return;
        }
        let rules = self
            .overview
            .with_untracked(|o| o.as_ref().is_some_and(|o| !o.checked));
        self.check_due.set_value(false);
        self.failure.set(Some(Trouble {
            message: sentence(&f.sentence()),
            rules,
        }));
        self.restore_engine(rules);
    }

    /// Decodes the capture shown again in the fresh worker, without the rules if they failed,
    /// and asks again for what the page shows.
    fn restore_engine(self, without_rules: bool) {
        let Some(input) = self.input.get_value() else {
            return;
        };
        let mut state = self.share_state();
        if without_rules {
            // Filters on findings would run the rules.
            state.filter.min_level = None;
            state.filter.text.clear();
        }
        let fingerprint = self.fingerprint.get_untracked();
        self.restoring.set(true);
        let settings = self.settings(false);
        self.backend.with_value(|b| {
            b.load_file(
                input.file,
                settings,
                |_, _| {},
                move |r| {
                    // Another load (a Retry, another input) took its place.
                    if !self.restoring.get_untracked() {
                        return;
                    }
                    self.restoring.set(false);
                    match r {
                        Response::Loaded(o)
                            if o.error.is_none() && o.fingerprint == fingerprint =>
                        {
                            self.restore(state);
                            if !without_rules && !o.checked {
                                self.check_due.set_value(true);
                                self.run_check();
                            }
                        }
                        // Said by engine_failed.
                        Response::Failed(_) => {}
                        Response::Loaded(o) => self.show_error(
                            format!(
                                "the capture could not be decoded again: {}",
                                o.error.unwrap_or_else(|| "it changed".into())
                            ),
                            true,
                        ),
                        _ => self.show_error("the capture could not be decoded again".into(), true),
                    }
                },
            )
        });
    }

    /// Back to the start screen with an error about the input (`retry`: offering to decode it
    /// again).
    fn show_error(self, error: String, retry: bool) {
        self.loading.set(None);
        self.cursor.set(None);
        self.overview.set(Some(Arc::new(Overview {
            error: Some(error),
            ..Overview::default()
        })));
        self.retry_load
            .set(retry && self.input.with_value(Option::is_some));
        crate::ui::storage::plain_entry();
    }

    /// What a load answered: the new capture's first screen.
    fn loaded(self, r: Response) {
        self.loading.set(None);
        let reload = self.reload.get_value();
        self.reload.set_value(None);
        let overview = match r {
            Response::Loaded(o) => *o,
            Response::Error(e) => Overview {
                error: Some(e),
                ..Overview::default()
            },
            Response::Failed(f) => {
                self.retry_load.set(self.input.with_value(Option::is_some));
                Overview {
                    error: Some(f.sentence()),
                    ..Overview::default()
                }
            }
            _ => return,
        };
        self.cursor.set(None);
        self.hidden.set_value(None);
        self.stop_at.set(None);
        self.seek.set_value((0, false));
        self.seek_note.set(String::new());
        self.details.set(None);
        self.conn_rows.set(crate::ui::connections::FIRST);
        self.marked.set(None);
        self.share.set(false);
        self.panel.set(Panel::Details);
        let ok = overview.error.is_none();
        let checked = overview.checked;
        let first_error = overview.counts[0] > 0;
        let restored = overview.restored.clone();
        let fingerprint = overview.fingerprint.clone();
        let overview_timeout = overview.timeout_processing;
        let view = overview.view;
        self.overview.set(Some(Arc::new(overview)));
        self.check_due.set_value(ok && !checked);
        if ok && checked {
            // Counts and findings are in the overview: shown with this render.
            mark_when_painted(MARK_FINDINGS);
        }
        if ok {
            // The view (and so the timeline) comes with the next generation.
            self.timeline_due
                .set_value(Some(self.view_gen.get_untracked()));
        }
        self.fingerprint.set(fingerprint.clone());
        self.notes.set(BTreeMap::new());
        self.parked.set_value(None);
        if ok {
            // The value the rules run with (a share link may have brought its own).
            self.timeout.set(overview_timeout);
        }
        // A capture decoded again keeps its number, link and history entry.
        let reload = reload.filter(|_| ok);
        if ok && reload.is_none() {
            self.loads.update_value(|n| *n += 1);
        }
        // A link keeps its address (and the entry the browser made for it); anything else
        // gets an entry of its own, so Back returns to what was there before.
        let link = match &reload {
            Some(r) => r.link.clone(),
            None => self.link_loading.get_value().filter(|_| ok),
        };
        if let Some(href) = self.link_loading.get_value() {
            self.input.update_value(|i| {
                if let Some(i) = i {
                    i.link = Some(href);
                }
            });
        }
        self.link_loading.set_value(None);
        match (ok, &link) {
            _ if reload.is_some() => {}
            (true, None) => crate::ui::storage::enter_capture(self.loads.get_value()),
            (false, None) => crate::ui::storage::plain_entry(),
            (_, Some(_)) => {}
        }
        self.link.set_value(link);
        if !ok {
            return;
        }
        // Decoded again: the view it had, not the link's.
        let restored = match reload {
            Some(r) => Some(r.state),
            None => restored,
        };
        // A link names the capture it was made from.
        if let Some(name) = restored.as_ref().map(|r| r.name.clone()) {
            if !name.is_empty() && self.source.get_untracked() == "share link" {
                self.source.set(format!("{name} (share link)"));
            }
        }
        // The list's TCP events, if the person shows them: asked before anything that names a
        // position in the list (the first error, a link's selection).
        crate::ui::prefs::after_load(self);
        let stored = crate::ui::storage::notes(&fingerprint);
        match (&restored, stored) {
            // This browser's notes on this capture are newer than any link's.
            (_, Some(stored)) => self.resolve_notes(stored),
            (Some(r), None) => self.set_notes(r.notes.clone()),
            (None, None) => {}
        }
        match restored {
            Some(r) => self.restore(r),
            None => {
                // A new session views every frame: no need to ask for it.
                self.filter.set(Filter::default());
                self.show_view(view);
                if checked {
                    self.select_start(first_error);
                }
            }
        }
        if !checked {
            // The rules follow the first timeline; should it not be drawn (no frames), soon
            // anyway.
            set_timeout(
                move || self.run_check(),
                std::time::Duration::from_millis(300),
            );
        }
    }

    /// Reads a browser `File` and decodes it (in slices the worker decodes as they are read).
    pub fn open_file(self, file: web_sys::File) {
        // Reading the file counts: it is part of what the person waits for.
        self.input_chosen();
        let label = format!(
            "{} ({} bytes)",
            file.name(),
            thousands(file.size() as usize)
        );
        self.keep_input(&label, file.clone());
        self.source.set(label);
        self.loading.set(Some((0.0, "reading the file".into())));
        let settings = self.settings(true);
        self.backend.with_value(|b| {
            b.load_file(
                file,
                settings,
                move |f, stage| self.loading.set(Some((f, stage))),
                move |r| self.loaded(r),
            )
        });
    }

    /// Abandons the decoding under way.
    pub fn cancel(self) {
        self.backend.with_value(Backend::cancel);
        self.reload.set_value(None);
        self.restoring.set(false);
        self.failure.set(None);
        self.loading.set(None);
        self.overview.set(Some(Arc::new(Overview {
            error: Some("Decoding cancelled.".into()),
            ..Overview::default()
        })));
    }

    /// Back to the start screen, as a new history entry: Back shows the capture again. A share
    /// link leaves the address: a reload must not reopen the capture the user just left.
    pub fn home(self) {
        self.failure.set(None);
        self.park();
        crate::ui::storage::enter_home();
    }

    /// The number of the capture shown, if one is.
    fn shown(self) -> Option<u64> {
        self.overview
            .with_untracked(|o| o.as_ref().is_some_and(|o| o.error.is_none()))
            .then(|| self.loads.get_value())
    }

    /// Shows the start screen, keeping the capture shown (if any) to come back to.
    fn park(self) {
        if let (Some(load), Some(overview)) = (self.shown(), self.overview.get_untracked()) {
            self.parked.set_value(Some(Parked {
                load,
                link: self.link.get_value(),
                overview,
                cursor: self.cursor.get_untracked(),
                panel: self.panel.get_untracked(),
                window: self.window.get_untracked(),
            }));
        }
        self.overview.set(None);
        self.cursor.set(None);
    }

    /// Shows the parked capture again, as it was left.
    fn unpark(self) {
        let Some(p) = self.parked.get_value() else {
            return;
        };
        self.parked.set_value(None);
        self.loads.set_value(p.load);
        self.link.set_value(p.link);
        self.panel.set(p.panel);
        // The timeline comes back with the window it had, not fitted to the view.
        self.window.set(p.window);
        self.pending_window.set(Some(p.window));
        let stale = p.overview.timeout_processing != self.timeout.get_untracked();
        self.overview.set(Some(p.overview));
        self.cursor.set(p.cursor);
        // The `timeout processing` changed meanwhile: checked again with it.
        if stale {
            self.reload_input();
        }
    }

    /// The browser moved through the history (Back, Forward): show what the entry stands for.
    /// A share link's entry is opened by the `hashchange` listener, unless it is the parked
    /// capture's.
    pub fn history_moved(self) {
        let parked = self
            .parked
            .with_value(|p| p.as_ref().map(|p| (p.load, p.link.clone())));
        if let Some(link) = crate::ui::storage::link_in_address() {
            if parked.is_some_and(|(_, l)| l.as_deref() == Some(link.as_str())) {
                self.unpark();
            }
            return;
        }
        match crate::ui::storage::history_capture() {
            Some(n) if self.shown() == Some(n) => {}
            Some(n) if parked.as_ref().is_some_and(|(p, l)| *p == n && l.is_none()) => {
                self.unpark()
            }
            // The engine no longer holds that capture: the entry becomes a start screen.
            Some(_) => {
                self.park();
                crate::ui::storage::plain_entry();
            }
            None => self.park(),
        }
    }

    /// Whether `link` is what the page shows (no need to decode it again).
    pub fn showing_link(self, link: &str) -> bool {
        self.shown().is_some() && self.link.with_value(|l| l.as_deref() == Some(link))
    }

    /// Applies a filter, then calls `then`. The selected frame stays selected if the new
    /// view has it; if not, it is kept aside and selected again by the first filter that
    /// shows it (clearing the filter brings it back, and `j` goes on from it).
    pub fn apply_filter(self, f: Filter, then: impl FnOnce(Ui) + 'static) {
        self.filter.set(f.clone());
        self.seek_note.set(String::new());
        let previous = self
            .cursor
            .get_untracked()
            .filter(|c| c.event.is_none())
            .or_else(|| self.hidden.get_value());
        self.ask(Request::Filter(f), move |r| {
            let Response::View(v) = r else { return };
            self.show_view(v);
            match previous {
                Some(c) => self.ask(Request::Locate { frame: c.frame }, move |r| {
                    if let Response::Position(Some(pos)) = r {
                        self.hidden.set_value(None);
                        self.cursor.set(Some(Cursor { pos, ..c }));
                    } else {
                        self.hidden.set_value(Some(c));
                    }
                    then(self);
                }),
                None => then(self),
            }
        });
    }

    /// Selects where a new capture should open: its first error, or its first frame.
    fn select_start(self, first_error: bool) {
        if !first_error {
            self.select_pos(0);
            return;
        }
        // The first error may be on no frame (an agent that could not be reached): then the
        // first row.
        self.ask(
            Request::NextFinding {
                from: None,
                forward: true,
                min_level: Some(Severity::Error),
                count: 1,
            },
            move |r| match r {
                Response::Found(Some((pos, _))) => self.select_pos(pos),
                _ => self.select_pos(0),
            },
        );
    }

    /// Asks for the rules of a load that answered with the timeline only (once); their
    /// findings replace the overview and redraw the view with its levels.
    pub fn run_check(self) {
        if !self.check_due.get_value() {
            return;
        }
        self.check_due.set_value(false);
        let generation = self.view_gen.get_untracked();
        self.ask(Request::Check, move |r| {
            let o = match r {
                Response::Checked(o) => o,
                // Alive, but it would not: said under the capture.
                Response::Error(e) => {
                    self.failure.set(Some(Trouble {
                        message: sentence(&format!("the rules could not be checked: {e}")),
                        rules: true,
                    }));
                    return;
                }
                // The worker died: engine_failed said it.
                _ => return,
            };
            if self
                .failure
                .with_untracked(|f| f.as_ref().is_some_and(|f| f.rules))
            {
                self.failure.set(None);
            }
            // Gone to the start screen meanwhile: the findings wait with the capture.
            if self.overview.with_untracked(Option::is_none) {
                self.parked.update_value(|p| {
                    if let Some(p) = p {
                        p.overview = Arc::new(*o);
                    }
                });
                return;
            }
            let first_error = o.counts[0] > 0;
            self.overview.set(Some(Arc::new(*o)));
            mark_when_painted(MARK_FINDINGS);
            // Same frames, now with their findings' levels and codes: the list and the
            // timeline fetch them again.
            self.view_gen.update(|g| *g += 1);
            // Open on the first error unless the person went somewhere meanwhile.
            if self.cursor.get_untracked().is_none()
                && self.view_gen.get_untracked() == generation + 1
            {
                self.select_start(first_error);
            }
        });
    }

    /// A new view from the engine: lists and timeline redraw, nothing is selected.
    pub(crate) fn show_view(self, v: ViewInfo) {
        self.view.set(v);
        self.view_gen.update(|g| *g += 1);
        self.cursor.set(None);
        self.target.set(None);
    }

    /// Selects the frame at a position of the view.
    pub fn select_pos(self, pos: usize) {
        let total = self.view.get_untracked().total;
        if total == 0 {
            return;
        }
        let pos = pos.min(total - 1);
        // Another frame chosen: the one a filter hid is no longer the selection.
        self.hidden.set_value(None);
        self.target.set(Some(pos));
        self.ask(
            Request::Rows {
                start: pos,
                count: 1,
            },
            move |r| {
                if let Response::Rows { rows, .. } = r {
                    if let Some(row) = rows.first() {
                        self.cursor.set(Some(Cursor {
                            pos: row.pos,
                            frame: row.index,
                            t: row.t,
                            connection: row.connection,
                            event: row.event,
                        }));
                    }
                }
            },
        );
    }

    /// Moves the selection by `delta` rows.
    pub fn step(self, delta: isize) {
        let from = self
            .target
            .get_untracked()
            .or_else(|| self.cursor.get_untracked().map(|c| c.pos));
        let pos = match from {
            Some(p) => p.saturating_add_signed(delta),
            None => 0,
        };
        self.select_pos(pos);
    }

    /// Selects a frame by timeline index, clearing the filters if they hide it.
    pub fn select_frame(self, frame: usize) {
        self.ask(Request::Locate { frame }, move |r| match r {
            Response::Position(Some(pos)) => self.select_pos(pos),
            Response::Position(None) => self.apply_filter(Filter::default(), move |ui| {
                ui.ask(Request::Locate { frame }, move |r| {
                    if let Response::Position(Some(pos)) = r {
                        ui.select_pos(pos);
                    }
                })
            }),
            _ => {}
        });
    }

    /// Jumps to a finding: its frame, with its bytes highlighted.
    pub fn jump(self, frame: usize, spans: Vec<Span>) {
        self.marked.set(Some((frame, spans)));
        self.panel.set(Panel::Details);
        self.select_frame(frame);
    }

    /// Shows what a share link carried: filters, selection (and its field), panel and
    /// timeline window.
    fn restore(self, r: ShareState) {
        let panel = Panel::from_id(&r.panel).unwrap_or(Panel::Details);
        self.pending_window.set(r.window);
        self.field.set(
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
                .cursor
                .get_untracked()
                .filter(|c| c.event.is_none())
                .or_else(|| self.hidden.get_value())
                .map(|c| c.frame),
            filter: self.filter.get_untracked(),
            panel: self.panel.get_untracked().id().into(),
            window: Some(self.window.get_untracked()),
            name: self.capture_name(),
            field: self
                .field
                .with_untracked(|f| match (f, self.cursor.get_untracked()) {
                    (Some((frame, path)), Some(c)) if *frame == c.frame => path.clone(),
                    _ => Vec::new(),
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

    fn set_notes(self, notes: Vec<Note>) {
        // Extended, not collected: `collect` sorts first, another copy of the sort in the wasm.
        let mut by_frame = BTreeMap::new();
        by_frame.extend(notes.into_iter().map(|n| (n.frame, n)));
        self.notes.set(by_frame);
    }

    /// Notes kept in local storage, found in this capture by their frames' keys.
    fn resolve_notes(self, stored: Vec<crate::ui::storage::StoredNote>) {
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
        let Some(d) = self.details.get_untracked() else {
            return;
        };
        let (text, marked) = self.notes.with_untracked(|n| {
            n.get(&d.index)
                .map_or((String::new(), false), |n| (n.text.clone(), n.marked))
        });
        self.annotate(&d, text, !marked);
    }

    /// Opens a share link (a page address with `#spop=…`).
    pub fn load_link(self, href: &str) {
        self.load("share link".into(), href.as_bytes());
        self.link_loading.set_value(Some(href.to_string()));
    }

    /// The least severity next/previous stops at: the one chosen, else the worst the capture
    /// has (a capture of warnings only walks its warnings); none when it has no findings.
    pub fn stop_level(self) -> Option<Severity> {
        let worst = self.overview.with_untracked(|o| {
            o.as_ref().and_then(|o| match o.counts {
                [e, _, _] if e > 0 => Some(Severity::Error),
                [_, w, _] if w > 0 => Some(Severity::Warning),
                [_, _, i] if i > 0 => Some(Severity::Info),
                _ => None,
            })
        });
        match self.stop_at.get_untracked() {
            Some(l) if worst.is_some() => Some(l),
            _ => worst,
        }
    }

    /// Findings at or above the stop level ([`Ui::stop_level`]) in the capture.
    pub fn findings_to_stop_at(self) -> usize {
        let level = self.stop_level().unwrap_or(Severity::Info);
        self.overview.with_untracked(|o| {
            o.as_ref().map_or(0, |o| {
                // The counts are errors, warnings, info.
                [Severity::Error, Severity::Warning, Severity::Info]
                    .into_iter()
                    .zip(o.counts)
                    .filter(|&(s, _)| s >= level)
                    .map(|(_, n)| n)
                    .sum()
            })
        })
    }

    /// Selects the next (or previous) frame with a finding at or above the stop level. Quick
    /// repeats add up: each press moves one more finding, even before the engine answered
    /// the previous one.
    pub fn next_finding(self, forward: bool) {
        if self.findings_to_stop_at() == 0 {
            return;
        }
        self.seek
            .update_value(|(n, _)| *n = n.saturating_add(if forward { 1 } else { -1 }));
        self.seek_next();
    }

    /// Sends the presses queued by [`Ui::next_finding`], unless a search is under way (its
    /// answer sends them).
    fn seek_next(self) {
        let (n, busy) = self.seek.get_value();
        if busy || n == 0 {
            return;
        }
        self.seek.set_value((0, true));
        // From where the last press landed, even if its row has not arrived yet.
        let from = self
            .target
            .get_untracked()
            .or_else(|| self.cursor.get_untracked().map(|c| c.pos));
        let level = self.stop_level();
        let forward = n > 0;
        self.ask(
            Request::NextFinding {
                from,
                forward,
                min_level: level,
                count: n.unsigned_abs(),
            },
            move |r| {
                self.seek.update_value(|(_, busy)| *busy = false);
                match r {
                    Response::Found(Some((pos, _))) => {
                        self.seek_note.set(String::new());
                        self.marked.set(None);
                        self.select_pos(pos);
                    }
                    Response::Found(None) => {
                        let what = match level {
                            Some(Severity::Error) => "error",
                            Some(Severity::Warning) => "warning",
                            _ => "finding",
                        };
                        let filtered = !self.filter.with_untracked(Filter::is_empty);
                        self.seek_note.set(format!(
                            "No {} {what}{}.",
                            if forward { "later" } else { "earlier" },
                            if filtered { " in view" } else { "" }
                        ));
                    }
                    _ => {}
                }
                self.seek_next();
            },
        );
    }
}

/// A sentence from a clause: a capital first, a full stop last.
fn sentence(clause: &str) -> String {
    let mut chars = clause.chars();
    let first: String = chars
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    format!("{first}{}.", chars.as_str())
}

/// `1234567` → `"1,234,567"`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn typing_in(target: Option<web_sys::EventTarget>) -> bool {
    use wasm_bindgen::JsCast;
    target
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|e| matches!(e.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"))
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
    use wasm_bindgen::JsCast;
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
    use wasm_bindgen::JsCast;
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
    use wasm_bindgen::JsCast;
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

/// Keyboard shortcuts (see the help dialog) and paste-to-inspect.
pub fn install_shortcuts(ui: Ui) {
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        let key = ev.key();
        if ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
            return;
        }
        if key == "Tab" {
            trap_tab(&ev);
            return;
        }
        if key == "Escape" {
            if ui.share.get_untracked() {
                ui.share.set(false);
                focus("#share-button");
            } else if ui.help.get_untracked() {
                ui.help.set(false);
            } else if let Some(el) = leptos::prelude::document().active_element() {
                use wasm_bindgen::JsCast;
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
            return;
        }
        if typing_in(ev.target()) {
            return;
        }
        if key == "?" {
            ev.prevent_default();
            ui.help.update(|h| *h = !*h);
            return;
        }
        let loaded = ui
            .overview
            .with_untracked(|o| o.as_ref().is_some_and(|o| o.error.is_none()));
        if !loaded
            || ui.help.get_untracked()
            || ui.share.get_untracked()
            || ui.loading.get_untracked().is_some()
        {
            return;
        }
        // Keys inside the field tree and the tabs keep their own meaning.
        let in_tree = {
            use wasm_bindgen::JsCast;
            ev.target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .is_some_and(|e| e.closest(".tree, [role=tab]").ok().flatten().is_some())
        };
        // Enter belongs to the focused control (buttons, table rows) except on the page itself
        // and in the frame list.
        let enter_is_ours = {
            use wasm_bindgen::JsCast;
            match ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            {
                None => true,
                Some(e) => {
                    matches!(e.tag_name().as_str(), "BODY" | "HTML")
                        || e.closest("#frames").ok().flatten().is_some()
                }
            }
        };
        let page = 20;
        let handled = match key.as_str() {
            "ArrowDown" | "ArrowUp" if in_tree => step_in_tree(&ev, key == "ArrowDown"),
            "ArrowDown" | "j" if !in_tree => {
                ui.step(1);
                true
            }
            "ArrowUp" | "k" if !in_tree => {
                ui.step(-1);
                true
            }
            "PageDown" => {
                ui.step(page);
                true
            }
            "PageUp" => {
                ui.step(-page);
                true
            }
            "Home" => {
                ui.select_pos(0);
                true
            }
            "End" => {
                ui.select_pos(usize::MAX);
                true
            }
            "Enter" if !in_tree && enter_is_ours => {
                ui.panel.set(Panel::Details);
                if ui.cursor.get_untracked().is_none() {
                    ui.select_pos(0);
                }
                ui.focus_details.set(true);
                true
            }
            "n" => {
                ui.next_finding(true);
                true
            }
            "N" => {
                ui.next_finding(false);
                true
            }
            "/" => {
                ui.focus_filter.update(|n| *n += 1);
                true
            }
            "f" => {
                ui.panel.set(Panel::Findings);
                true
            }
            "m" => {
                ui.toggle_mark();
                true
            }
            // The timeline's zoom ("=" is "+" without Shift on most layouts).
            "+" | "=" | "-" | "0" => {
                let factor = match key.as_str() {
                    "-" => 2.0,
                    "0" => 0.0,
                    _ => 0.5,
                };
                ui.zoom_key.update(|(n, f)| {
                    *n += 1;
                    *f = factor;
                });
                true
            }
            _ => false,
        };
        if handled {
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

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(803_200), "803,200");
        assert_eq!(thousands(105_069_145), "105,069,145");
    }
}
