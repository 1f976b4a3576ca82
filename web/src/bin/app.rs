//! The browser entry point: mounts the inspector into the page, or, in the decode worker
//! (no `window`), waits for `worker.js` to call [`worker_main`]. It also exports the engine's
//! JavaScript API ([`inspect`], [`rules`]), so that what `pkg/app.js` exports is declared in
//! one place; `spop_web::api` does the work (and holds the TypeScript types).

use wasm_bindgen::prelude::{wasm_bindgen, JsError, JsValue};

fn main() {
    console_error_panic_hook::set_once();
    if web_sys::window().is_some() {
        leptos::mount::mount_to_body(spop_web::App);
    }
}

/// The decode worker's entry point (called by `worker.js`).
#[wasm_bindgen]
pub fn worker_main() {
    spop_web::backend::run_worker();
}

/// Decodes and validates a capture (pcap, pcapng, pasted text, or a raw SPOP byte stream):
/// the report of `spop-inspect --format json`, as plain objects. Throws an `Error` with the
/// engine's message when the input cannot be read, or when an option is unknown or invalid.
#[wasm_bindgen(unchecked_return_type = "InspectReport")]
pub fn inspect(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "InspectOptions")] options: Option<JsValue>,
) -> Result<JsValue, JsError> {
    spop_web::api::inspect(&bytes, &options.unwrap_or_default())
}

/// Every validation rule, as `spop-inspect rules --format json` lists them.
#[wasm_bindgen(unchecked_return_type = "Rule[]")]
pub fn rules() -> Result<JsValue, JsError> {
    spop_web::api::rules()
}
