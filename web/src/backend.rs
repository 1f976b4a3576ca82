//! The page's side of the decode worker: sends questions, routes answers and progress back to
//! callbacks. Decoding a 100 MB capture takes seconds; in the worker the page stays responsive
//! and "cancel" is simply terminating the worker.
//!
//! Where a module worker cannot start (or in component tests), the same [`Session`] answers
//! in-thread, so both paths share every line of protocol logic.
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
        let mut t = self.0.transport.borrow_mut();
        match &mut *t {
            Transport::Worker {
                worker,
                ready,
                queue,
                ..
            } => {
                if *ready {
                    post(worker, &message);
                } else {
                    queue.push(message);
                }
            }
            Transport::Local(_) => {
                drop(t);
                // Answer on a later turn, like the worker does, so callers see one behaviour.
                let this = self.clone();
                leptos::task::spawn_local(async move {
                    this.answer_locally(id, &message);
                });
            }
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

    /// [`Self::load`] for a file. A worker reads it itself, in chunks (the page never holds
    /// the whole file); in-thread, the page reads it first.
    pub fn load_file(
        &self,
        file: web_sys::File,
        progress: impl Fn(f64, String) + 'static,
        done: impl FnOnce(Response) + 'static,
    ) {
        self.start_load("load_file", &file, Rc::new(progress), Box::new(done));
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
    let load = Reflect::get(message, &"load".into()).unwrap_or(JsValue::UNDEFINED);
    if let Some(bytes) = load.dyn_ref::<Uint8Array>() {
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
    if let Some(file) = get("load_file").dyn_ref::<web_sys::File>() {
        *session = None;
        let Some(loaded) = read_file(file, progress) else {
            return unreadable(&file.name());
        };
        let (s, overview) = Session::from_capture(loaded, progress);
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

/// Reads and loads a file in the worker (FileReaderSync exists only there), slice by slice
/// through one reused buffer into [`Loader`]: neither the page nor the engine ever holds the
/// whole file, only what reassembly keeps. `None`: the browser could not read it.
fn read_file(
    file: &web_sys::File,
    progress: &mut dyn FnMut(spop_codec::Progress),
) -> Option<Result<spop_codec::capture::Capture, spop_codec::capture::LoadError>> {
    // Larger slices read faster (4 MiB: 480 ms for 100 MB, 32 MiB: 380 ms) but the buffer
    // stays in wasm memory for good.
    const CHUNK: usize = 8 << 20;
    let reader = web_sys::FileReaderSync::new().ok()?;
    let size = file.size();
    let mut loader = Loader::new(LoadOptions::default()).with_total(size as usize);
    let mut buf = vec![0u8; CHUNK.min(size as usize)];
    let mut at = 0.0;
    while at < size {
        let end = (at + CHUNK as f64).min(size);
        let slice = file.slice_with_f64_and_f64(at, end).ok()?;
        let chunk = Uint8Array::new(&reader.read_as_array_buffer(&slice).ok()?.into());
        let n = (chunk.length() as usize).min(buf.len());
        // A file that shrank while being read ends here rather than looping.
        if n == 0 {
            break;
        }
        let part = buf.get_mut(..n)?;
        chunk.copy_to(part);
        loader.feed(part, progress);
        at += n as f64;
    }
    Some(loader.finish(progress))
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
    let post_scope = scope.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        let data = ev.data();
        let id = Reflect::get(&data, &"id".into()).unwrap_or(JsValue::UNDEFINED);
        let mut last = -1.0;
        let response = answer(&mut session.borrow_mut(), &data, &mut |p| {
            let f = p.fraction();
            // About 200 messages for a whole load, whatever its size.
            if f - last >= 0.005 {
                last = f;
                let m = Object::new();
                let _ = Reflect::set(&m, &"progress".into(), &JsValue::from_f64(f));
                let _ = Reflect::set(&m, &"stage".into(), &JsValue::from_str(p.stage()));
                let _ = post_scope.post_message(&m);
            }
        });
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
