//! The engine's JavaScript API (`pkg/spop_inspector.js`, the npm package `spop-inspector`):
//! [`inspect`] and [`rules`] over `spop-codec`, without the page. Its own wasm, so that the
//! page's download does not carry the API and npm users do not download the page (Leptos);
//! [`api`] does the work and holds the TypeScript types.

mod api;

use wasm_bindgen::prelude::{wasm_bindgen, JsError, JsValue};

/// Nothing to start: the module only exports functions.
fn main() {}

/// Decodes and validates a capture (pcap, pcapng, pasted text, or a raw SPOP byte stream):
/// the report of `spop-inspect --format json`, as plain objects. Throws an `Error` with the
/// engine's message when the input cannot be read, or when an option is unknown or invalid.
#[wasm_bindgen(unchecked_return_type = "InspectReport")]
pub fn inspect(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "InspectOptions")] options: Option<JsValue>,
) -> Result<JsValue, JsError> {
    api::inspect(&bytes, &options.unwrap_or_default())
}

/// Every validation rule, as `spop-inspect rules --format json` lists them.
#[wasm_bindgen(unchecked_return_type = "Rule[]")]
pub fn rules() -> Result<JsValue, JsError> {
    api::rules()
}
