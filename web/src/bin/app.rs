//! The browser entry point (`pkg/app.js`): mounts the inspector into the page, or, in the
//! decode worker (no `window`), waits for `worker.js` to call [`worker_main`]. The engine's
//! JavaScript API is another binary (`src/bin/spop_inspector/`), so that the page does not
//! carry it and npm users do not download the page.

use wasm_bindgen::prelude::wasm_bindgen;

fn main() {
    console_error_panic_hook::set_once();
    if web_sys::window().is_some() {
        leptos::mount::mount_to_body(spop_web::App);
    }
}

/// The decode worker's entry point (called by `worker.js`).
#[wasm_bindgen]
pub fn worker_main() {
    spop_web::engine::worker::run_worker();
}
