//! The page's side of the decode worker: sends questions, routes answers and progress back to
//! callbacks. Decoding a 100 MB capture takes seconds; in the worker the page stays responsive
//! and "cancel" is simply terminating the worker.
//!
//! Where a module worker cannot start (or in component tests), the same [`Session`] answers
//! in-thread through the worker's own [`crate::engine::worker`] code, so both paths share
//! every line of protocol logic.
//!
//! A file goes to the worker in slices the page reads while the worker decodes the previous
//! ones (the worker waited for its own synchronous reads: about a quarter of a 100 MB load).
//!
//! The page starts the worker through [`WORKER_FACTORY`], handing it the wasm module it
//! already compiled: the served page from `pkg/worker.js` (`pkg/wasm.js`), the single file
//! (`scripts/single_file.py`) from a Blob URL of its own.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, Worker};

use crate::engine::protocol::{Failure, FailureKind, Request, Response, Settings};
use crate::engine::session::Session;
use crate::engine::worker::{answer, decode, encode, locks_request, SLICE};

type Reply = Box<dyn FnOnce(Response)>;
type ProgressFn = Rc<dyn Fn(f64, String)>;
type FailureFn = Rc<dyn Fn(Failure)>;

/// The global the page sets to start a decode worker: a function taking no argument and
/// returning a started `Worker` that speaks the same messages as `worker.js` (its first one
/// `{ready: true}`), which it has handed the page's compiled module (`pkg/wasm.js` for the
/// served page, the single file's own boot script). Without it, the engine runs in-thread.
pub const WORKER_FACTORY: &str = "spopStartWorker";

/// Slices posted ahead of the worker's loader: one being read while one waits to be decoded
/// (with one, reading and decoding took turns).
const UNFED: u32 = 2;

enum Transport {
    Worker {
        worker: Worker,
        ready: bool,
        queue: Vec<JsValue>,
        // Kept alive as long as the worker.
        _on_message: Closure<dyn FnMut(MessageEvent)>,
        _on_error: Closure<dyn FnMut(web_sys::Event)>,
        _on_message_error: Closure<dyn FnMut(web_sys::Event)>,
    },
    Local(Box<Option<Session>>),
}

struct Inner {
    transport: RefCell<Transport>,
    next_id: Cell<u64>,
    /// Questions awaiting their answer, by id: a handful at a time, so a list (a map would
    /// bring its own hashing code into the wasm).
    pending: RefCell<Pending>,
    progress: RefCell<Option<ProgressFn>>,
    /// Told once per worker that dies under way, before the questions it leaves unanswered
    /// get their [`Response::Failed`].
    on_failure: RefCell<Option<FailureFn>>,
    /// The current worker's panic message, if its engine panicked.
    panic: RefCell<Option<String>>,
    use_worker: bool,
    /// File slices posted to the worker and not yet fed to its loader.
    unfed: Cell<u32>,
    /// Wakes the file reader waiting for the worker to take a slice.
    fed: RefCell<Option<js_sys::Function>>,
}

/// Questions sent and not answered yet, oldest first: id, what answering it is
/// ([`Request::doing`]), and who waits for the answer.
#[derive(Default)]
struct Pending(Vec<(u64, &'static str, Reply)>);

impl Pending {
    fn remove(&mut self, id: u64) -> Option<Reply> {
        let at = self.0.iter().position(|(i, _, _)| *i == id)?;
        Some(self.0.remove(at).2)
    }
}

/// What a load does, for people ([`Failure::doing`]).
const LOADING: &str = "reading the capture";

/// A handle on the engine (cheap to clone).
#[derive(Clone)]
pub struct Backend(Rc<Inner>);

impl Backend {
    /// The engine in a Web Worker, or in-thread if the worker cannot start.
    pub fn new() -> Backend {
        Backend::build(true)
    }

    /// The engine in this thread (component tests, browsers without module workers).
    pub fn local() -> Backend {
        Backend::build(false)
    }

    fn build(use_worker: bool) -> Backend {
        let b = Backend(Rc::new(Inner {
            transport: RefCell::new(Transport::Local(Box::new(None))),
            next_id: Cell::new(1),
            pending: RefCell::new(Pending::default()),
            progress: RefCell::new(None),
            on_failure: RefCell::new(None),
            panic: RefCell::new(None),
            use_worker,
            unfed: Cell::new(0),
            fed: RefCell::new(None),
        }));
        b.restart();
        b
    }

    /// Calls `f` whenever the decode worker dies or garbles an answer while it holds a capture
    /// or works on a question (a fresh worker is started at once, holding nothing): once per
    /// failure, with what it was doing, before each question it leaves unanswered is answered
    /// [`Response::Failed`].
    pub fn on_failure(&self, f: impl Fn(Failure) + 'static) {
        *self.0.on_failure.borrow_mut() = Some(Rc::new(f));
    }

    /// True when decoding happens in a worker.
    pub fn in_worker(&self) -> bool {
        matches!(*self.0.transport.borrow(), Transport::Worker { .. })
    }

    /// Starts a fresh engine (dropping the current one, with any work under way).
    fn restart(&self) {
        if let Transport::Worker { worker, .. } = &*self.0.transport.borrow() {
            worker.terminate();
        }
        self.0.pending.borrow_mut().0.clear();
        *self.0.panic.borrow_mut() = None;
        // A file reader waiting on the old worker wakes, finds it gone and stops.
        self.0.unfed.set(0);
        self.slice_fed();
        let transport = if self.0.use_worker {
            match self.spawn_worker() {
                Some(t) => t,
                None => Transport::Local(Box::new(None)),
            }
        } else {
            Transport::Local(Box::new(None))
        };
        *self.0.transport.borrow_mut() = transport;
    }

    fn spawn_worker(&self) -> Option<Transport> {
        let worker = match page_worker_factory() {
            Some(factory) => factory
                .call0(&JsValue::NULL)
                .ok()?
                .dyn_into::<Worker>()
                .ok()?,
            None => return None,
        };
        let weak = Rc::downgrade(&self.0);
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            if let Some(inner) = weak.upgrade() {
                Backend(inner).on_message(ev.data());
            }
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        let weak = Rc::downgrade(&self.0);
        let failed = worker.clone();
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |ev: web_sys::Event| {
            // Handled here: the page says what happened (or decodes in-thread instead).
            ev.prevent_default();
            let message = Reflect::get(&ev, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
                .unwrap_or_default();
            if let Some(inner) = weak.upgrade() {
                Backend(inner).worker_failed_later(&failed, FailureKind::Crashed(message));
            }
        });
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        // An answer that could not be read is lost, and someone waits for it: as a death.
        let weak = Rc::downgrade(&self.0);
        let failed = worker.clone();
        let on_message_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            if let Some(inner) = weak.upgrade() {
                Backend(inner).worker_failed_later(&failed, FailureKind::Garbled);
            }
        });
        worker.set_onmessageerror(Some(on_message_error.as_ref().unchecked_ref()));
        Some(Transport::Worker {
            worker,
            ready: false,
            queue: Vec::new(),
            _on_message: on_message,
            _on_error: on_error,
            _on_message_error: on_message_error,
        })
    }

    /// [`Self::worker_failed`] on a later turn: not from inside the worker's own handlers,
    /// which belong to the transport it replaces.
    fn worker_failed_later(&self, failed: &Worker, kind: FailureKind) {
        let (backend, failed) = (self.clone(), failed.clone());
        leptos::task::spawn_local(async move { backend.worker_failed(&failed, kind) });
    }

    /// Learns of `worker`'s end, however it comes (killed by the browser, closed, terminated
    /// from outside), through the Web Lock it holds while it lives
    /// ([`crate::engine::worker::run_worker`]): the page's request for the same lock is
    /// granted only once it is released. Browsers without Web Locks learn of a death by the
    /// worker's `error` event only.
    fn watch(&self, worker: &Worker, lock: &str) {
        let Some(request) = locks_request() else {
            return;
        };
        let (weak, watched) = (Rc::downgrade(&self.0), worker.clone());
        let granted = Closure::once_into_js(move |_: JsValue| {
            // A worker this engine let go itself is not current any more: nothing to do.
            if let Some(inner) = weak.upgrade() {
                Backend(inner).worker_failed_later(&watched, FailureKind::Stopped);
            }
        });
        let (request, locks) = request;
        if let Ok(Ok(p)) = request
            .call2(&locks, &lock.into(), &granted)
            .map(|p| p.dyn_into::<js_sys::Promise>())
        {
            // Refused (no lock for this page): nothing to watch, and nothing to report.
            let ignore = Closure::<dyn FnMut(JsValue)>::new(|_| {});
            let _ = p.catch(&ignore);
            ignore.forget();
        }
    }

    /// The worker failed. Before its ready message it never started (a script or wasm it
    /// could not load, a browser refusing it): this engine decodes in-thread instead, starting
    /// with what was queued for the worker. After, it died under way (or lost an answer): a
    /// fresh worker takes the next questions, [`Self::on_failure`] hears what happened, and
    /// every question asked fails with the reason.
    fn worker_failed(&self, failed: &Worker, kind: FailureKind) {
        let queued = {
            let mut t = self.0.transport.borrow_mut();
            let Transport::Worker {
                worker,
                ready,
                queue,
                ..
            } = &mut *t
            else {
                return;
            };
            if worker != failed {
                return;
            }
            worker.terminate();
            if *ready {
                None
            } else {
                leptos::logging::warn!(
                    "the decode worker could not start ({kind:?}); decoding in the page instead"
                );
                let queue = std::mem::take(queue);
                *t = Transport::Local(Box::new(None));
                Some(queue)
            }
        };
        // A file reader waiting for this worker finds it gone.
        self.slice_fed();
        match queued {
            Some(queue) => {
                for message in queue {
                    let id = Reflect::get(&message, &"id".into())
                        .ok()
                        .and_then(|v| v.as_f64());
                    if let Some(id) = id {
                        self.answer_locally(id as u64, &message);
                    }
                }
            }
            None => {
                let pending = std::mem::take(&mut *self.0.pending.borrow_mut());
                self.restart();
                // The oldest question is the one it was working on.
                let failure = Failure {
                    kind,
                    doing: pending.0.first().map(|(_, doing, _)| doing.to_string()),
                };
                let told = self.0.on_failure.borrow().clone();
                if let Some(told) = told {
                    told(failure.clone());
                }
                for (_, _, reply) in pending.0 {
                    reply(Response::Failed(failure.clone()));
                }
            }
        }
    }

    fn on_message(&self, data: JsValue) {
        let get =
            |k: &str| Reflect::get(&data, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED);
        if get("ready").is_truthy() {
            if let (Some(lock), Some(worker)) = (get("lock").as_string(), self.worker()) {
                self.watch(&worker, &lock);
            }
            let queued = match &mut *self.0.transport.borrow_mut() {
                Transport::Worker {
                    ready,
                    queue,
                    worker,
                    ..
                } => {
                    *ready = true;
                    let q = std::mem::take(queue);
                    q.into_iter()
                        .map(|m| (worker.clone(), m))
                        .collect::<Vec<_>>()
                }
                Transport::Local(_) => Vec::new(),
            };
            for (w, m) in queued {
                post(&w, &m);
            }
            return;
        }
        // The engine panicked: its message comes just before the failure it ends in.
        if let Some(message) = get("panic").as_string() {
            *self.0.panic.borrow_mut() = Some(message);
            return;
        }
        // Its boot script caught the engine failing (see worker.js): what it was.
        if let Some(message) = get("failed").as_string() {
            if let Some(worker) = self.worker() {
                let panic = self.0.panic.borrow_mut().take();
                self.worker_failed_later(&worker, failure_kind(message, panic));
            }
            return;
        }
        if get("fed").is_truthy() {
            self.0.unfed.set(self.0.unfed.get().saturating_sub(1));
            self.slice_fed();
            return;
        }
        if let Some(fraction) = get("progress").as_f64() {
            let progress = self.0.progress.borrow().clone();
            if let Some(p) = progress {
                p(fraction, get("stage").as_string().unwrap_or_default());
            }
            return;
        }
        let Some(id) = get("id").as_f64() else { return };
        let response = match decode::<Response>(&get("reply")) {
            Ok(r) => r,
            Err(e) => Response::Error(format!("bad answer from the decode worker: {e}")),
        };
        let reply = self.0.pending.borrow_mut().remove(id as u64);
        if let Some(reply) = reply {
            reply(response);
        }
    }

    fn send(&self, message: JsValue, doing: &'static str, reply: Reply) {
        let id = self.0.next_id.get();
        self.0.next_id.set(id + 1);
        let _ = Reflect::set(&message, &"id".into(), &JsValue::from_f64(id as f64));
        self.0.pending.borrow_mut().0.push((id, doing, reply));
        if let Err(message) = self.to_worker(message) {
            // Answer on a later turn, like the worker does, so callers see one behaviour.
            let this = self.clone();
            leptos::task::spawn_local(async move {
                this.answer_locally(id, &message);
            });
        }
    }

    /// Posts `message` to the worker (queued until it is ready); gives it back in-thread.
    fn to_worker(&self, message: JsValue) -> Result<(), JsValue> {
        match &mut *self.0.transport.borrow_mut() {
            Transport::Worker {
                worker,
                ready: true,
                ..
            } => post(worker, &message),
            Transport::Worker { queue, .. } => queue.push(message),
            Transport::Local(_) => return Err(message),
        }
        Ok(())
    }

    /// The worker took a file slice: a reader waiting for room goes on.
    fn slice_fed(&self) {
        let wake = self.0.fed.borrow_mut().take();
        if let Some(wake) = wake {
            let _ = wake.call0(&JsValue::NULL);
        }
    }

    /// The worker this engine talks to, if any.
    fn worker(&self) -> Option<Worker> {
        match &*self.0.transport.borrow() {
            Transport::Worker { worker, .. } => Some(worker.clone()),
            Transport::Local(_) => None,
        }
    }

    /// Reads `file` slice by slice and posts the slices to `worker`, at most [`UNFED`] ahead
    /// of its loader: the browser reads one while the worker decodes another, and the page
    /// holds at most that many. Stops when the engine has moved on to another worker (a
    /// cancel, a new input, a worker that died).
    async fn send_slices(self, worker: Worker, file: web_sys::File) {
        let current = |b: &Backend| b.worker().is_some_and(|w| w == worker);
        let size = file.size();
        let mut at = 0.0;
        loop {
            while self.0.unfed.get() >= UNFED && current(&self) {
                let wait = js_sys::Promise::new(&mut |wake, _| {
                    *self.0.fed.borrow_mut() = Some(wake);
                });
                let _ = wasm_bindgen_futures::JsFuture::from(wait).await;
            }
            if !current(&self) {
                return;
            }
            let (key, value) = if at < size {
                let read = match file.slice_with_f64_and_f64(at, (at + SLICE).min(size)) {
                    Ok(slice) => wasm_bindgen_futures::JsFuture::from(slice.array_buffer())
                        .await
                        .ok(),
                    Err(_) => None,
                };
                match read.map(|b| Uint8Array::new(&b)).filter(|b| b.length() > 0) {
                    Some(bytes) => {
                        at += f64::from(bytes.length());
                        ("slice", bytes.into())
                    }
                    // Unreadable, or shorter than it said (changed while read): the load
                    // ends here, as unreadable.
                    None => ("end", file.name().into()),
                }
            } else {
                ("end", JsValue::TRUE)
            };
            if !current(&self) {
                return;
            }
            let message = Object::new();
            let _ = Reflect::set(&message, &key.into(), &value);
            let _ = self.to_worker(message.into());
            if key == "end" {
                return;
            }
            // Counted once posted: a reader stopped by a restart leaves nothing counted for
            // the next worker.
            self.0.unfed.set(self.0.unfed.get() + 1);
        }
    }

    fn answer_locally(&self, id: u64, message: &JsValue) {
        // In the page a File is read asynchronously first, then decoded like any bytes.
        let file = Reflect::get(message, &"load_file".into()).unwrap_or(JsValue::UNDEFINED);
        if let Some(file) = file.dyn_ref::<web_sys::File>() {
            let (this, file) = (self.clone(), file.clone());
            let settings = Reflect::get(message, &"settings".into()).unwrap_or(JsValue::UNDEFINED);
            leptos::task::spawn_local(async move {
                let message = Object::new();
                let _ = Reflect::set(&message, &"settings".into(), &settings);
                match wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
                    Ok(buffer) => {
                        let _ = Reflect::set(&message, &"load".into(), &Uint8Array::new(&buffer));
                    }
                    Err(_) => {
                        let _ = Reflect::set(&message, &"unreadable".into(), &file.name().into());
                    }
                }
                this.answer_locally(id, &message.into());
            });
            return;
        }
        let response = {
            let mut t = self.0.transport.borrow_mut();
            let Transport::Local(session) = &mut *t else {
                return;
            };
            let progress = self.0.progress.borrow().clone();
            answer(session, message, &mut |p| {
                if let Some(f) = &progress {
                    f(p.fraction(), p.stage().to_string());
                }
            })
        };
        let reply = self.0.pending.borrow_mut().remove(id);
        if let Some(reply) = reply {
            reply(response);
        }
    }

    /// Decodes `input`, calling `progress` on the way and `done` with the overview. Any load
    /// or question under way is abandoned.
    /// The bytes are handed to the worker without a copy (the array's buffer is transferred,
    /// so it is empty afterwards).
    pub fn load(
        &self,
        input: Uint8Array,
        settings: Settings,
        progress: impl Fn(f64, String) + 'static,
        done: impl FnOnce(Response) + 'static,
    ) {
        self.start_load("load", &input, settings, Rc::new(progress), Box::new(done));
    }

    /// [`Self::load`] for a file. A worker gets it in slices the page reads meanwhile (the
    /// page never holds the whole file); in-thread, the page reads it first.
    pub fn load_file(
        &self,
        file: web_sys::File,
        settings: Settings,
        progress: impl Fn(f64, String) + 'static,
        done: impl FnOnce(Response) + 'static,
    ) {
        self.start_load(
            "load_file",
            &file,
            settings,
            Rc::new(progress),
            Box::new(done),
        );
        // After the `load_file` that opens the load (queued in order if the worker is not
        // ready yet). Should the worker fail to start, the queued `load_file` is answered
        // in-thread and these slices are dropped.
        if let Some(worker) = self.worker() {
            leptos::task::spawn_local(self.clone().send_slices(worker, file));
        }
    }

    fn start_load(
        &self,
        key: &str,
        input: &JsValue,
        settings: Settings,
        progress: ProgressFn,
        done: Reply,
    ) {
        self.restart_if_busy();
        *self.0.progress.borrow_mut() = Some(progress);
        let message = Object::new();
        let _ = Reflect::set(&message, &key.into(), input);
        if let Ok(settings) = encode(&settings) {
            let _ = Reflect::set(&message, &"settings".into(), &settings);
        }
        self.send(message.into(), LOADING, done);
    }

    /// Asks the loaded session a question.
    pub fn ask(&self, req: Request, reply: impl FnOnce(Response) + 'static) {
        let message = Object::new();
        match encode(&req) {
            Ok(v) => {
                let _ = Reflect::set(&message, &"req".into(), &v);
                self.send(message.into(), req.doing(), Box::new(reply));
            }
            Err(e) => reply(Response::Error(e)),
        }
    }

    /// Abandons whatever is under way: the worker is terminated and a fresh one started.
    pub fn cancel(&self) {
        self.restart();
    }

    fn restart_if_busy(&self) {
        if !self.0.pending.borrow().0.is_empty() && self.in_worker() {
            self.restart();
        }
    }
}

impl Default for Backend {
    fn default() -> Self {
        Backend::new()
    }
}

/// What the worker's engine failing with `message` (an uncaught error: a wasm trap, an
/// exception) was. Rust on wasm ends both a panic and a failed allocation with an `unreachable`
/// trap; a panic says so first (its hook posts the message, see
/// [`crate::engine::worker::run_worker`]), so an `unreachable` without one is memory that
/// could not grow.
fn failure_kind(message: String, panic: Option<String>) -> FailureKind {
    match panic {
        Some(p) => FailureKind::Crashed(p),
        None if message.contains("RuntimeError: unreachable") => FailureKind::OutOfMemory,
        None => FailureKind::Crashed(message),
    }
}

/// The page's [`WORKER_FACTORY`], if it set one.
fn page_worker_factory() -> Option<js_sys::Function> {
    Reflect::get(&js_sys::global(), &JsValue::from_str(WORKER_FACTORY))
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()
}

fn post(worker: &Worker, message: &JsValue) {
    // Hand the input's buffer over instead of copying it.
    let get = |k: &str| Reflect::get(message, &k.into()).unwrap_or(JsValue::UNDEFINED);
    let bytes = get("load")
        .dyn_into::<Uint8Array>()
        .or(get("slice").dyn_into());
    if let Ok(bytes) = &bytes {
        let transfer = js_sys::Array::of1(&bytes.buffer());
        let _ = worker.post_message_with_transfer(message, &transfer);
    } else {
        let _ = worker.post_message(message);
    }
}
