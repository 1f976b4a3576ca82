//! What the page keeps in the browser: notes per capture, the share-size limit and HAProxy's
//! `timeout processing` in local storage, and the share link in the address. Nothing here
//! leaves the browser.

use serde::Serialize;

use crate::engine::protocol::Note;

/// Local storage key prefix.
const PREFIX: &str = "spop-inspector.";

/// The default share-link size above which smaller shares are offered (KiB).
pub const DEFAULT_SHARE_LIMIT: u32 = 32;

/// A note as kept in local storage: by the frame's lasting key, not its index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredNote {
    /// [`spop_codec::analysis::FrameKey`] text.
    pub key: String,
    /// The note.
    pub text: String,
    /// Marked.
    pub marked: bool,
}

fn storage() -> Option<web_sys::Storage> {
    // Storage may be refused (privacy settings, file:// in some browsers): notes then last
    // as long as the page.
    web_sys::window()?.local_storage().ok().flatten()
}

pub(crate) fn get(key: &str) -> Option<String> {
    storage()?
        .get_item(&format!("{PREFIX}{key}"))
        .ok()
        .flatten()
}

pub(crate) fn set(key: &str, value: Option<&str>) {
    if let Some(s) = storage() {
        let key = format!("{PREFIX}{key}");
        let _ = match value {
            Some(v) => s.set_item(&key, v),
            None => s.remove_item(&key),
        };
    }
}

/// This browser's notes on the capture with this fingerprint, if it has any.
pub fn notes(fingerprint: &str) -> Option<Vec<StoredNote>> {
    if fingerprint.is_empty() {
        return None;
    }
    // The browser's JSON, not a JSON library in the bundle; read field by field, not through
    // a deserializer (whose error messages bring a float printer into the bundle).
    let value = js_sys::JSON::parse(&get(&format!("notes.{fingerprint}"))?).ok()?;
    let list: js_sys::Array = wasm_bindgen::JsCast::dyn_into(value).ok()?;
    list.iter()
        .map(|n| {
            let field = |k: &str| js_sys::Reflect::get(&n, &k.into()).ok();
            Some(StoredNote {
                key: field("key")?.as_string()?,
                text: field("text")?.as_string()?,
                marked: field("marked")?.as_bool()?,
            })
        })
        .collect()
}

/// Keeps the notes of the capture with this fingerprint.
pub fn save_notes(fingerprint: &str, notes: &[Note]) {
    if fingerprint.is_empty() {
        return;
    }
    let stored: Vec<StoredNote> = notes
        .iter()
        .map(|n| StoredNote {
            key: n.key.clone(),
            text: n.text.clone(),
            marked: n.marked,
        })
        .collect();
    // An empty list is kept too: deleting the notes a link brought must stick.
    let json = serde_wasm_bindgen::to_value(&stored)
        .ok()
        .and_then(|v| js_sys::JSON::stringify(&v).ok())
        .and_then(|s| s.as_string());
    if let Some(json) = json {
        set(&format!("notes.{fingerprint}"), Some(&json));
    }
}

/// The share-size limit (KiB).
pub fn share_limit() -> u32 {
    get("share-limit")
        .and_then(|v| v.parse().ok())
        .filter(|&k| k > 0)
        .unwrap_or(DEFAULT_SHARE_LIMIT)
}

/// Whether the person chose a share-size limit in this browser (else it is the default).
pub fn share_limit_set() -> bool {
    get("share-limit")
        .and_then(|v| v.parse::<u32>().ok())
        .is_some_and(|k| k > 0)
}

/// Keeps the share-size limit.
pub fn save_share_limit(kib: u32) {
    set("share-limit", Some(&kib.to_string()));
}

/// HAProxy's `timeout processing` last set in this browser (ns), if any.
pub fn timeout_processing() -> Option<u64> {
    let t: spop_codec::time::HaproxyTime = get("timeout-processing")?.parse().ok()?;
    Some(t.as_nanos())
}

/// Keeps HAProxy's `timeout processing` (ns), written as HAProxy writes it; none forgets it.
pub fn save_timeout_processing(t: Option<u64>) {
    let text = t.map(|t| spop_codec::time::HaproxyTime::from_nanos(t).to_string());
    set("timeout-processing", text.as_deref());
}

/// The page's address, if it holds a share link.
pub fn link_in_address() -> Option<String> {
    let location = web_sys::window()?.location();
    let hash = location.hash().ok()?;
    spop_codec::capture::bundle::fragment_bundle(&hash)?;
    location.href().ok()
}

/// The page's address without its fragment.
pub fn base_address() -> String {
    web_sys::window()
        .and_then(|w| w.location().href().ok())
        .map(|h| h.split('#').next().unwrap_or_default().to_string())
        .unwrap_or_default()
}

/// True when the page was opened from a file (the single-file build).
pub fn from_file() -> bool {
    web_sys::window()
        .and_then(|w| w.location().protocol().ok())
        .is_some_and(|p| p == "file:")
}

/// Makes this history entry a plain start-screen one: no share link in the address (a reload
/// must not reopen it) and no capture.
pub fn plain_entry() {
    if history_capture().is_none() && link_in_address().is_none() {
        return;
    }
    if let Some(h) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&base_address()));
    }
}

/// The capture this history entry shows, if the page made the entry for one
/// ([`enter_capture`]): its load number.
pub fn history_capture() -> Option<u64> {
    let state = web_sys::window()?.history().ok()?.state().ok()?;
    let n = state.as_f64()?;
    (n >= 1.0 && n.fract() == 0.0).then_some(n as u64)
}

/// A capture is shown: it gets a history entry of its own (plain address), so Back returns to
/// what was there before (the start screen, or the share link that was open). A capture shown
/// in place of another one replaces that one's entry: the engine keeps one capture, and Back
/// must not lead to an entry nothing can show.
pub fn enter_capture(load: u64) {
    let Some(h) = web_sys::window().and_then(|w| w.history().ok()) else {
        return;
    };
    let state = wasm_bindgen::JsValue::from_f64(load as f64);
    let base = base_address();
    let _ = if history_capture().is_some() {
        h.replace_state_with_url(&state, "", Some(&base))
    } else {
        h.push_state_with_url(&state, "", Some(&base))
    };
}

/// The start screen is shown from a capture: a new entry with the plain address, so Back
/// returns to the capture and a reload does not reopen a share link just left.
pub fn enter_home() {
    if history_capture().is_none() && link_in_address().is_none() {
        return;
    }
    if let Some(h) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = h.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&base_address()));
    }
}
