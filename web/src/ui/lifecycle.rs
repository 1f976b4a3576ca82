//! The load lifecycle: inputs chosen and decoded, decoded again (Retry, a changed setting),
//! the decoder failing under a capture, the start screen and the history entries, and the
//! performance marks of each load.

use std::collections::BTreeMap;
use std::sync::Arc;

use leptos::prelude::*;
use wasm_bindgen::prelude::*;

use crate::engine::draw::thousands;
use crate::engine::protocol::{Failure, Filter, Overview, Request, Response, Settings, ShareState};
use crate::ui::backend::Backend;
use crate::ui::selection::Selection;
use crate::ui::state::{Panel, Ui};

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

/// The capture left for the start screen, while the engine still holds it: Back (or Forward)
/// shows it again as it was, without decoding it again.
#[derive(Clone)]
pub struct Parked {
    /// Its load number ([`Lifecycle::loads`]).
    pub load: u64,
    /// The share link it was opened from, if any.
    pub link: Option<String>,
    /// What was shown.
    pub overview: Arc<Overview>,
    /// The selected frame.
    pub cursor: Option<Selection>,
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

/// The load lifecycle's state.
#[derive(Clone, Copy)]
pub struct Lifecycle {
    /// Decoding progress: fraction and stage.
    pub loading: RwSignal<Option<(f64, String)>>,
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
}

impl Lifecycle {
    /// Nothing loaded.
    pub(crate) fn new() -> Lifecycle {
        Lifecycle {
            loading: RwSignal::new(None),
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
        }
    }
}

impl Ui {
    /// Decodes an input.
    pub fn load(self, name: String, bytes: &[u8]) {
        self.input_chosen();
        self.load_array(name, js_sys::Uint8Array::from(bytes));
    }

    /// The settings a load takes; `bundle_decides`: a share bundle's own settings win (a
    /// capture opened, not one reloaded with settings the person just changed).
    pub(crate) fn settings(self, bundle_decides: bool) -> Settings {
        Settings {
            timeout_processing: self.timeout.get_untracked(),
            bundle_decides,
        }
    }

    /// Keeps the input to decode it again.
    pub(crate) fn keep_input(self, label: &str, file: web_sys::File) {
        self.lifecycle.input.set_value(Some(Input {
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
        self.lifecycle.loading.set(Some((0.0, FETCHING.into())));
        leptos::task::spawn_local(async move {
            let result = crate::ui::start::example_bytes(name).await;
            // Cancelled, or another input chosen, while the bytes were on their way.
            let still_wanted = self.source.get_untracked() == name
                && self
                    .lifecycle
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
    pub(crate) fn input_chosen(self) {
        for name in [MARK_SELECTED, MARK_TIMELINE, MARK_FINDINGS] {
            let _ = performance_clear_marks(name);
        }
        let _ = performance_mark(MARK_SELECTED);
        self.lifecycle.timeline_due.set_value(None);
        // The engine drops what it held for the new input.
        self.lifecycle.parked.set_value(None);
        self.lifecycle.link_loading.set_value(None);
        self.lifecycle.reload.set_value(None);
        self.lifecycle.restoring.set(false);
        self.lifecycle.failure.set(None);
        self.lifecycle.retry_load.set(false);
    }

    /// The timeline is about to draw frames of view generation `generation`; the first time
    /// after a load, that is [`MARK_TIMELINE`].
    pub fn timeline_drawn(self, generation: u64) {
        if self
            .lifecycle
            .timeline_due
            .get_value()
            .is_some_and(|g| generation > g)
        {
            self.lifecycle.timeline_due.set_value(None);
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
        self.lifecycle.loading.set(Some((0.0, "starting".into())));
        let settings = self.settings(true);
        self.backend.with_value(|b| {
            b.load(
                bytes,
                settings,
                move |f, stage| self.lifecycle.loading.set(Some((f, stage))),
                move |r| self.loaded(r),
            )
        });
    }

    /// Decodes the input again (Retry, a changed setting). A capture shown comes back as it
    /// was left (filters, selection, panel, window, the same history entry); otherwise this is
    /// the load that failed, once more.
    pub fn reload_input(self) {
        let Some(input) = self.lifecycle.input.get_value() else {
            return;
        };
        let keep = self.shown().map(|_| Reload {
            state: self.share_state(),
            link: self.lifecycle.link.get_value(),
        });
        let shown = keep.is_some();
        self.input_chosen();
        self.lifecycle.reload.set_value(keep);
        if !shown {
            self.lifecycle.link_loading.set_value(input.link.clone());
        }
        self.source.set(input.label.clone());
        self.lifecycle.loading.set(Some((0.0, "starting".into())));
        let settings = self.settings(!shown);
        self.backend.with_value(|b| {
            b.load_file(
                input.file,
                settings,
                move |f, stage| self.lifecycle.loading.set(Some((f, stage))),
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
    pub(crate) fn engine_failed(self, f: Failure) {
        // The engine no longer holds a capture left for the start screen.
        self.lifecycle.parked.set_value(None);
        if self.lifecycle.loading.get_untracked().is_some() {
            return;
        }
        if self.lifecycle.restoring.get_untracked() {
            self.lifecycle.restoring.set(false);
            self.lifecycle.failure.set(None);
            self.show_error(f.sentence(), true);
            return;
        }
        if self.shown().is_none() {
            return;
        }
        let rules = self
            .overview
            .with_untracked(|o| o.as_ref().is_some_and(|o| !o.checked));
        self.lifecycle.check_due.set_value(false);
        self.lifecycle.failure.set(Some(Trouble {
            message: sentence(&f.sentence()),
            rules,
        }));
        self.restore_engine(rules);
    }

    /// Decodes the capture shown again in the fresh worker, without the rules if they failed,
    /// and asks again for what the page shows.
    pub(crate) fn restore_engine(self, without_rules: bool) {
        let Some(input) = self.lifecycle.input.get_value() else {
            return;
        };
        let mut state = self.share_state();
        if without_rules {
            // Filters on findings would run the rules.
            state.filter.min_level = None;
            state.filter.text.clear();
        }
        let fingerprint = self.fingerprint.get_untracked();
        self.lifecycle.restoring.set(true);
        let settings = self.settings(false);
        self.backend.with_value(|b| {
            b.load_file(
                input.file,
                settings,
                |_, _| {},
                move |r| {
                    // Another load (a Retry, another input) took its place.
                    if !self.lifecycle.restoring.get_untracked() {
                        return;
                    }
                    self.lifecycle.restoring.set(false);
                    match r {
                        Response::Loaded(o)
                            if o.error.is_none() && o.fingerprint == fingerprint =>
                        {
                            self.restore(state);
                            if !without_rules && !o.checked {
                                self.lifecycle.check_due.set_value(true);
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
    pub(crate) fn show_error(self, error: String, retry: bool) {
        self.lifecycle.loading.set(None);
        self.selection.cursor.set(None);
        self.overview.set(Some(Arc::new(Overview {
            error: Some(error),
            ..Overview::default()
        })));
        self.lifecycle
            .retry_load
            .set(retry && self.lifecycle.input.with_value(Option::is_some));
        crate::ui::storage::plain_entry();
    }

    /// What a load answered: the new capture's first screen.
    pub(crate) fn loaded(self, r: Response) {
        self.lifecycle.loading.set(None);
        let reload = self.lifecycle.reload.get_value();
        self.lifecycle.reload.set_value(None);
        let overview = match r {
            Response::Loaded(o) => *o,
            Response::Error(e) => Overview {
                error: Some(e),
                ..Overview::default()
            },
            Response::Failed(f) => {
                self.lifecycle
                    .retry_load
                    .set(self.lifecycle.input.with_value(Option::is_some));
                Overview {
                    error: Some(f.sentence()),
                    ..Overview::default()
                }
            }
            _ => return,
        };
        self.selection.cursor.set(None);
        self.selection.hidden.set_value(None);
        self.seek.stop_at.set(None);
        self.seek.pending.set_value((0, false));
        self.seek.note.set(String::new());
        self.selection.details.set(None);
        self.conn_rows.set(crate::ui::connections::FIRST);
        self.selection.marked.set(None);
        self.share.open.set(false);
        self.panel.set(Panel::Details);
        let ok = overview.error.is_none();
        let checked = overview.checked;
        let first_error = overview.counts[0] > 0;
        let restored = overview.restored.clone();
        let fingerprint = overview.fingerprint.clone();
        let overview_timeout = overview.timeout_processing;
        let view = overview.view;
        self.overview.set(Some(Arc::new(overview)));
        self.lifecycle.check_due.set_value(ok && !checked);
        if ok && checked {
            // Counts and findings are in the overview: shown with this render.
            mark_when_painted(MARK_FINDINGS);
        }
        if ok {
            // The view (and so the timeline) comes with the next generation.
            self.lifecycle
                .timeline_due
                .set_value(Some(self.view_gen.get_untracked()));
        }
        self.fingerprint.set(fingerprint.clone());
        self.notes.set(BTreeMap::new());
        self.lifecycle.parked.set_value(None);
        if ok {
            // The value the rules run with (a share link may have brought its own).
            self.timeout.set(overview_timeout);
        }
        // A capture decoded again keeps its number, link and history entry.
        let reload = reload.filter(|_| ok);
        if ok && reload.is_none() {
            self.lifecycle.loads.update_value(|n| *n += 1);
        }
        // A link keeps its address (and the entry the browser made for it); anything else
        // gets an entry of its own, so Back returns to what was there before.
        let link = match &reload {
            Some(r) => r.link.clone(),
            None => self.lifecycle.link_loading.get_value().filter(|_| ok),
        };
        if let Some(href) = self.lifecycle.link_loading.get_value() {
            self.lifecycle.input.update_value(|i| {
                if let Some(i) = i {
                    i.link = Some(href);
                }
            });
        }
        self.lifecycle.link_loading.set_value(None);
        match (ok, &link) {
            _ if reload.is_some() => {}
            (true, None) => crate::ui::storage::enter_capture(self.lifecycle.loads.get_value()),
            (false, None) => crate::ui::storage::plain_entry(),
            (_, Some(_)) => {}
        }
        self.lifecycle.link.set_value(link);
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
        self.lifecycle
            .loading
            .set(Some((0.0, "reading the file".into())));
        let settings = self.settings(true);
        self.backend.with_value(|b| {
            b.load_file(
                file,
                settings,
                move |f, stage| self.lifecycle.loading.set(Some((f, stage))),
                move |r| self.loaded(r),
            )
        });
    }

    /// Abandons the decoding under way.
    pub fn cancel(self) {
        self.backend.with_value(Backend::cancel);
        self.lifecycle.reload.set_value(None);
        self.lifecycle.restoring.set(false);
        self.lifecycle.failure.set(None);
        self.lifecycle.loading.set(None);
        self.overview.set(Some(Arc::new(Overview {
            error: Some("Decoding cancelled.".into()),
            ..Overview::default()
        })));
    }

    /// Back to the start screen, as a new history entry: Back shows the capture again. A share
    /// link leaves the address: a reload must not reopen the capture the user just left.
    pub fn home(self) {
        self.lifecycle.failure.set(None);
        self.park();
        crate::ui::storage::enter_home();
    }

    /// The number of the capture shown, if one is.
    pub(crate) fn shown(self) -> Option<u64> {
        self.overview
            .with_untracked(|o| o.as_ref().is_some_and(|o| o.error.is_none()))
            .then(|| self.lifecycle.loads.get_value())
    }

    /// Shows the start screen, keeping the capture shown (if any) to come back to.
    pub(crate) fn park(self) {
        if let (Some(load), Some(overview)) = (self.shown(), self.overview.get_untracked()) {
            self.lifecycle.parked.set_value(Some(Parked {
                load,
                link: self.lifecycle.link.get_value(),
                overview,
                cursor: self.selection.cursor.get_untracked(),
                panel: self.panel.get_untracked(),
                window: self.timeline.window.get_untracked(),
            }));
        }
        self.overview.set(None);
        self.selection.cursor.set(None);
    }

    /// Shows the parked capture again, as it was left.
    pub(crate) fn unpark(self) {
        let Some(p) = self.lifecycle.parked.get_value() else {
            return;
        };
        self.lifecycle.parked.set_value(None);
        self.lifecycle.loads.set_value(p.load);
        self.lifecycle.link.set_value(p.link);
        self.panel.set(p.panel);
        // The timeline comes back with the window it had, not fitted to the view.
        self.timeline.window.set(p.window);
        self.timeline.pending_window.set(Some(p.window));
        let stale = p.overview.timeout_processing != self.timeout.get_untracked();
        self.overview.set(Some(p.overview));
        self.selection.cursor.set(p.cursor);
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
            .lifecycle
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
        self.shown().is_some()
            && self
                .lifecycle
                .link
                .with_value(|l| l.as_deref() == Some(link))
    }

    /// Opens a share link (a page address with `#spop=…`).
    pub fn load_link(self, href: &str) {
        self.load("share link".into(), href.as_bytes());
        self.lifecycle
            .link_loading
            .set_value(Some(href.to_string()));
    }

    /// Asks for the rules of a load that answered with the timeline only (once); their
    /// findings replace the overview and redraw the view with its levels.
    pub fn run_check(self) {
        if !self.lifecycle.check_due.get_value() {
            return;
        }
        self.lifecycle.check_due.set_value(false);
        let generation = self.view_gen.get_untracked();
        self.ask(Request::Check, move |r| {
            let o = match r {
                Response::Checked(o) => o,
                // Alive, but it would not: said under the capture.
                Response::Error(e) => {
                    self.lifecycle.failure.set(Some(Trouble {
                        message: sentence(&format!("the rules could not be checked: {e}")),
                        rules: true,
                    }));
                    return;
                }
                // The worker died: engine_failed said it.
                _ => return,
            };
            if self
                .lifecycle
                .failure
                .with_untracked(|f| f.as_ref().is_some_and(|f| f.rules))
            {
                self.lifecycle.failure.set(None);
            }
            // Gone to the start screen meanwhile: the findings wait with the capture.
            if self.overview.with_untracked(Option::is_none) {
                self.lifecycle.parked.update_value(|p| {
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
            if self.selection.cursor.get_untracked().is_none()
                && self.view_gen.get_untracked() == generation + 1
            {
                self.select_start(first_error);
            }
        });
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
