//! The decode worker's message loop: it answers the page's messages ([`crate::ui::backend`])
//! with one [`Session`]. The page's in-thread fallback answers through the same code.
//!
//! Messages are plain objects: `load` (bytes), `load_file` then `slice`s and `end` (a file
//! read by the page as the worker decodes), `req` (a [`crate::engine::protocol::Request`]);
//! the worker posts `ready`, `progress`, `fed`, `panic` and each answer's `reply` under the
//! question's `id`.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::MessageEvent;

use crate::engine::protocol::{Request, Response, Settings};
use crate::engine::session::Session;
use spop_codec::capture::{LoadOptions, Loader};

/// File slices are this large: fewer, larger reads are faster, but the worker's copy of one
/// stays in its wasm memory for good and the page holds a few of them.
pub(crate) const SLICE: f64 = (8 << 20) as f64;

/// One message, answered by a session (the worker's and the in-thread path share this): a
/// `load` replaces the session, a `req` asks it.
pub(crate) fn answer(
    session: &mut Option<Session>,
    message: &JsValue,
    progress: &mut dyn FnMut(spop_codec::Progress),
) -> Response {
    let get = |k: &str| Reflect::get(message, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED);
    if let Some(bytes) = get("load").dyn_ref::<Uint8Array>() {
        let settings = decode::<Settings>(&get("settings")).unwrap_or_default();
        let (s, overview) = Session::load_with(&bytes.to_vec(), &settings, progress);
        *session = s;
        return Response::Loaded(Box::new(overview));
    }
    if let Some(name) = get("unreadable").as_string() {
        *session = None;
        return unreadable(&name);
    }
    match (session.as_mut(), decode::<Request>(&get("req"))) {
        // Answered with no capture loaded too: it is about the engine, not a capture.
        (_, Ok(Request::Memory)) => Response::Memory(crate::engine::session::wasm_memory()),
        (Some(s), Ok(req)) => s.handle(req),
        (None, _) => Response::Error("no capture loaded".into()),
        (_, Err(e)) => Response::Error(e),
    }
}

// Questions and answers cross to and from the worker as postcard bytes, not as JS objects
// (serde-wasm-bindgen): one byte array to clone instead of a tree of objects built and read
// field by field through JS calls, and 15 KB less wasm (gzipped).

/// A message's bytes, as a `Uint8Array` to post.
pub(crate) fn encode<T: serde::Serialize>(value: &T) -> Result<JsValue, String> {
    let bytes = postcard::to_allocvec(value).map_err(|e| e.to_string())?;
    Ok(Uint8Array::from(bytes.as_slice()).into())
}

/// A message read back from its bytes.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(value: &JsValue) -> Result<T, String> {
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
    settings: Settings,
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

/// The worker's part of a file load (see [`crate::ui::backend::Backend::load_file`]):
/// `load_file` opens it, `slice`s feed it, `end` answers `load_file`'s id.
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
            settings: decode::<Settings>(&get("settings")).unwrap_or_default(),
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
            let (s, overview) =
                Session::from_capture_with(l.loader.finish(progress), &l.settings, progress);
            *session = s;
            Response::Loaded(Box::new(overview))
        }
    };
    FileStep::Done(l.id, response)
}

fn unreadable(name: &str) -> Response {
    Response::Loaded(Box::new(crate::engine::protocol::Overview {
        error: Some(format!("{name}: the browser could not read this file")),
        ..crate::engine::protocol::Overview::default()
    }))
}

/// The worker's side: answers the page's messages with one [`Session`]. Called by the
/// `worker.js` boot script once the wasm module is initialised.
pub fn run_worker() {
    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    // A panic tells the page what it was before the trap it ends in (the page's `failure_kind`).
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        let m = Object::new();
        let _ = Reflect::set(&m, &"panic".into(), &info.to_string().into());
        let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
        let _ = scope.post_message(&m);
    }));
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
    hold_life_lock(scope);
}

/// Says the worker is ready, once it holds a Web Lock of its own for as long as it lives,
/// named in the message: the page watches that lock to learn of the worker's end, whatever
/// ends it (the page's `Backend::watch`). Without Web Locks (or refused one), ready all the same.
fn hold_life_lock(scope: web_sys::DedicatedWorkerGlobalScope) {
    let ready = move |lock: Option<&str>| {
        let m = Object::new();
        let _ = Reflect::set(&m, &"ready".into(), &JsValue::TRUE);
        if let Some(lock) = lock {
            let _ = Reflect::set(&m, &"lock".into(), &lock.into());
        }
        let _ = scope.post_message(&m);
    };
    let Some((request, locks)) = locks_request() else {
        ready(None);
        return;
    };
    let name = format!(
        "spop-decode-worker-{:016x}",
        (js_sys::Math::random() * 2f64.powi(53)) as u64
    );
    let once = Rc::new(RefCell::new(Some(ready)));
    let say_ready = move |lock: Option<&str>| {
        if let Some(ready) = once.borrow_mut().take() {
            ready(lock);
        }
    };
    let (granted_ready, lock) = (say_ready.clone(), name.clone());
    // Held until the worker ends: the callback's promise never settles.
    let granted = Closure::once_into_js(move |_: JsValue| -> js_sys::Promise {
        granted_ready(Some(&lock));
        js_sys::Promise::new(&mut |_, _| {})
    });
    let refused_ready = say_ready.clone();
    let refused = Closure::<dyn FnMut(JsValue)>::new(move |_| refused_ready(None));
    match request
        .call2(&locks, &name.into(), &granted)
        .map(|p| p.dyn_into::<js_sys::Promise>())
    {
        Ok(Ok(p)) => {
            let _ = p.catch(&refused);
        }
        _ => say_ready(None),
    }
    // Called at most once, and it lives as long as the worker anyway.
    refused.forget();
}

/// `navigator.locks.request` and `navigator.locks` of this global (a page or a worker), if it
/// has Web Locks.
pub(crate) fn locks_request() -> Option<(js_sys::Function, JsValue)> {
    let navigator = Reflect::get(&js_sys::global(), &"navigator".into()).ok()?;
    let locks = Reflect::get(&navigator, &"locks".into()).ok()?;
    if locks.is_undefined() || locks.is_null() {
        return None;
    }
    let request = Reflect::get(&locks, &"request".into())
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()?;
    Some((request, locks))
}
