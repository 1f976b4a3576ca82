//! The page's side of the decode worker: sends questions, routes answers and progress back to
//! callbacks. Decoding a 100 MB capture takes seconds; in the worker the page stays responsive
//! and "cancel" is simply terminating the worker.
//!
//! Where a module worker cannot start (or in component tests), the same [`Session`] answers
//! in-thread, so both paths share every line of protocol logic.
//!
//! A file goes to the worker in slices the page reads while the worker decodes the previous
//! ones (the worker waited for its own synchronous reads: about a quarter of a 100 MB load).
//!
//! A page may start the worker its own way by setting [`WORKER_FACTORY`]: the single-file
//! build (`scripts/single_file.py`) has no `pkg/worker.js` to point at, so it makes the worker
//! from a Blob URL and hands it the wasm module it already compiled.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, Worker, WorkerOptions, WorkerType};

use crate::session::{Request, Response, Session};
use spop_codec::capture::{LoadOptions, Loader};

type Reply = Box<dyn FnOnce(Response)>;
type ProgressFn = Rc<dyn Fn(f64, String)>;

/// Where the worker script is, relative to the page (works from any sub-path).
pub const WORKER_URL: &str = "./pkg/worker.js";

/// The global a page sets, if it starts the decode worker itself: a function taking no
/// argument and returning a started `Worker` that speaks the same messages as `worker.js`
/// (its first one `{ready: true}`). Without it the worker is the module worker at
/// [`WORKER_URL`].
pub const WORKER_FACTORY: &str = "spopStartWorker";

/// File slices are this large: fewer, larger reads are faster, but the worker's copy of one
/// stays in its wasm memory for good and the page holds up to [`UNFED`] of them.
const SLICE: f64 = (8 << 20) as f64;
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
    use_worker: bool,
    /// File slices posted to the worker and not yet fed to its loader.
    unfed: Cell<u32>,
    /// Wakes the file reader waiting for the worker to take a slice.
    fed: RefCell<Option<js_sys::Function>>,
}

#[derive(Default)]
struct Pending(Vec<(u64, Reply)>);

impl Pending {
    fn remove(&mut self, id: u64) -> Option<Reply> {
        let at = self.0.iter().position(|(i, _)| *i == id)?;
        Some(self.0.remove(at).1)
    }
}

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
            use_worker,
            unfed: Cell::new(0),
            fed: RefCell::new(None),
        }));
        b.restart();
        b
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
            // The page's own way, or none: its default URL would not exist either.
            Some(factory) => factory
                .call0(&JsValue::NULL)
                .ok()?
                .dyn_into::<Worker>()
                .ok()?,
            None => {
                let options = WorkerOptions::new();
                options.set_type(WorkerType::Module);
                Worker::new_with_options(WORKER_URL, &options).ok()?
            }
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
                let (backend, failed) = (Backend(inner), failed.clone());
                // Not from inside the handler: this closure belongs to the transport replaced.
                leptos::task::spawn_local(async move { backend.worker_failed(&failed, message) });
            }
        });
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Some(Transport::Worker {
            worker,
            ready: false,
            queue: Vec::new(),
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    /// The worker reported an error. Before its ready message it never started (a script or
    /// wasm it could not load, a browser refusing it): this engine decodes in-thread instead,
    /// starting with what was queued for the worker. After, it died under way: what was asked
    /// fails with the reason, and a fresh worker takes the next questions.
    fn worker_failed(&self, failed: &Worker, message: String) {
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
                    "the decode worker could not start ({message}); decoding in the page instead"
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
                let reason = if message.is_empty() {
                    "the decode worker stopped".to_string()
                } else {
                    format!("the decode worker stopped: {message}")
                };
                for (_, reply) in pending.0 {
                    reply(Response::Error(reason.clone()));
                }
            }
        }
    }

    fn on_message(&self, data: JsValue) {
        let get =
            |k: &str| Reflect::get(&data, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED);
        if get("ready").is_truthy() {
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

    fn send(&self, message: JsValue, reply: Reply) {
        let id = self.0.next_id.get();
        self.0.next_id.set(id + 1);
        let _ = Reflect::set(&message, &"id".into(), &JsValue::from_f64(id as f64));
        self.0.pending.borrow_mut().0.push((id, reply));
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
            leptos::task::spawn_local(async move {
                let message = Object::new();
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
        progress: impl Fn(f64, String) + 'static,
        done: impl FnOnce(Response) + 'static,
    ) {
        self.start_load("load", &input, Rc::new(progress), Box::new(done));
    }

    /// [`Self::load`] for a file. A worker gets it in slices the page reads meanwhile (the
    /// page never holds the whole file); in-thread, the page reads it first.
    pub fn load_file(
        &self,
        file: web_sys::File,
        progress: impl Fn(f64, String) + 'static,
        done: impl FnOnce(Response) + 'static,
    ) {
        self.start_load("load_file", &file, Rc::new(progress), Box::new(done));
        // After the `load_file` that opens the load (queued in order if the worker is not
        // ready yet). Should the worker fail to start, the queued `load_file` is answered
        // in-thread and these slices are dropped.
        if let Some(worker) = self.worker() {
            leptos::task::spawn_local(self.clone().send_slices(worker, file));
        }
    }

    fn start_load(&self, key: &str, input: &JsValue, progress: ProgressFn, done: Reply) {
        self.restart_if_busy();
        *self.0.progress.borrow_mut() = Some(progress);
        let message = Object::new();
        let _ = Reflect::set(&message, &key.into(), input);
        self.send(message.into(), done);
    }

    /// Asks the loaded session a question.
    pub fn ask(&self, req: Request, reply: impl FnOnce(Response) + 'static) {
        let message = Object::new();
        match encode(&req) {
            Ok(v) => {
                let _ = Reflect::set(&message, &"req".into(), &v);
                self.send(message.into(), Box::new(reply));
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

/// One message, answered by a session (the worker's and the in-thread path share this): a
/// `load` replaces the session, a `req` asks it.
fn answer(
    session: &mut Option<Session>,
    message: &JsValue,
    progress: &mut dyn FnMut(spop_codec::Progress),
) -> Response {
    let get = |k: &str| Reflect::get(message, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED);
    if let Some(bytes) = get("load").dyn_ref::<Uint8Array>() {
        let (s, overview) = Session::load(&bytes.to_vec(), progress);
        *session = s;
        return Response::Loaded(Box::new(overview));
    }
    if let Some(name) = get("unreadable").as_string() {
        *session = None;
        return unreadable(&name);
    }
    match (session.as_mut(), decode::<Request>(&get("req"))) {
        // Answered with no capture loaded too: it is about the engine, not a capture.
        (_, Ok(Request::Memory)) => Response::Memory(crate::session::wasm_memory()),
        (Some(s), Ok(req)) => s.handle(req),
        (None, _) => Response::Error("no capture loaded".into()),
        (_, Err(e)) => Response::Error(e),
    }
}

// Questions and answers cross to and from the worker as postcard bytes, not as JS objects
// (serde-wasm-bindgen): one byte array to clone instead of a tree of objects built and read
// field by field through JS calls, and 15 KB less wasm (gzipped).

/// A message's bytes, as a `Uint8Array` to post.
fn encode<T: serde::Serialize>(value: &T) -> Result<JsValue, String> {
    let bytes = postcard::to_allocvec(value).map_err(|e| e.to_string())?;
    Ok(Uint8Array::from(bytes.as_slice()).into())
}

/// A message read back from its bytes.
fn decode<T: serde::de::DeserializeOwned>(value: &JsValue) -> Result<T, String> {
    let bytes = value
        .dyn_ref::<Uint8Array>()
        .ok_or("the message is not a byte array")?
        .to_vec();
    postcard::from_bytes(&bytes).map_err(|e| e.to_string())
}

/// A file load under way in the worker: the `load_file` message's id (answered at the end),
/// the loader, and one slice-sized buffer in wasm memory that every slice is copied into.
struct FileLoad {
    id: JsValue,
    loader: Loader,
    buffer: Vec<u8>,
}

/// What a message did to the worker's file load.
enum FileStep {
    /// Not a file load message.
    Other,
    /// Nothing to answer now: `load_file` opened a load (or an `end` came for none).
    Quiet,
    /// A slice was fed to it.
    Fed,
    /// `end` finished it: the answer to `load_file`'s id.
    Done(JsValue, Response),
}

/// The worker's part of a file load (see [`Backend::load_file`]): `load_file` opens it,
/// `slice`s feed it, `end` answers `load_file`'s id.
fn file_load(
    session: &mut Option<Session>,
    load: &mut Option<FileLoad>,
    message: &JsValue,
    progress: &mut dyn FnMut(spop_codec::Progress),
) -> FileStep {
    let get = |k: &str| Reflect::get(message, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED);
    if let Some(file) = get("load_file").dyn_ref::<web_sys::File>() {
        // The previous capture goes first: its memory is needed for this one.
        *session = None;
        let size = file.size() as usize;
        *load = Some(FileLoad {
            id: get("id"),
            loader: Loader::new(LoadOptions::default()).with_total(size),
            buffer: vec![0; size.min(SLICE as usize)],
        });
        return FileStep::Quiet;
    }
    if let Some(bytes) = get("slice").dyn_ref::<Uint8Array>() {
        if let Some(l) = load {
            let n = (bytes.length() as usize).min(l.buffer.len());
            if let Some(part) = l.buffer.get_mut(..n) {
                bytes.subarray(0, n as u32).copy_to(part);
                l.loader.feed(part, progress);
            }
        }
        return FileStep::Fed;
    }
    let end = get("end");
    if end.is_undefined() {
        return FileStep::Other;
    }
    let Some(l) = load.take() else {
        return FileStep::Quiet;
    };
    let response = match end.as_string() {
        Some(name) => unreadable(&name),
        None => {
            let (s, overview) = Session::from_capture(l.loader.finish(progress), progress);
            *session = s;
            Response::Loaded(Box::new(overview))
        }
    };
    FileStep::Done(l.id, response)
}

fn unreadable(name: &str) -> Response {
    Response::Loaded(Box::new(crate::session::Overview {
        error: Some(format!("{name}: the browser could not read this file")),
        ..crate::session::Overview::default()
    }))
}

/// The worker's side: answers the page's messages with one [`Session`]. Called by the
/// `worker.js` boot script once the wasm module is initialised.
pub fn run_worker() {
    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let session: Rc<RefCell<Option<Session>>> = Rc::new(RefCell::new(None));
    let load: RefCell<Option<FileLoad>> = RefCell::new(None);
    let post_scope = scope.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        let data = ev.data();
        let mut last = -1.0;
        let mut progress = |p: spop_codec::Progress| {
            let f = p.fraction();
            // About 200 messages for a whole load, whatever its size.
            if f - last >= 0.005 {
                last = f;
                let m = Object::new();
                let _ = Reflect::set(&m, &"progress".into(), &JsValue::from_f64(f));
                let _ = Reflect::set(&m, &"stage".into(), &JsValue::from_str(p.stage()));
                let _ = post_scope.post_message(&m);
            }
        };
        let mut session = session.borrow_mut();
        let (id, response) =
            match file_load(&mut session, &mut load.borrow_mut(), &data, &mut progress) {
                FileStep::Done(id, response) => (id, response),
                FileStep::Fed => {
                    // Taken: the page may read another slice.
                    let m = Object::new();
                    let _ = Reflect::set(&m, &"fed".into(), &JsValue::TRUE);
                    let _ = post_scope.post_message(&m);
                    return;
                }
                FileStep::Quiet => return,
                FileStep::Other => (
                    Reflect::get(&data, &"id".into()).unwrap_or(JsValue::UNDEFINED),
                    answer(&mut session, &data, &mut progress),
                ),
            };
        let m = Object::new();
        let _ = Reflect::set(&m, &"id".into(), &id);
        let reply = encode(&response)
            .unwrap_or_else(|e| encode(&Response::Error(e)).unwrap_or(JsValue::UNDEFINED));
        let _ = Reflect::set(&m, &"reply".into(), &reply);
        // The answer's bytes are handed over, not copied.
        match reply.dyn_ref::<Uint8Array>() {
            Some(bytes) => {
                let _ =
                    post_scope.post_message_with_transfer(&m, &js_sys::Array::of1(&bytes.buffer()));
            }
            None => {
                let _ = post_scope.post_message(&m);
            }
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let ready = Object::new();
    let _ = Reflect::set(&ready, &"ready".into(), &JsValue::TRUE);
    let _ = scope.post_message(&ready);
}
