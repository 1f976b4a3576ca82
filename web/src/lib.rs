//! The spop-inspector web UI: a Leptos client-side app over the `spop-codec` engine.
//!
//! Everything runs in the browser: the input never leaves the page. Two runtimes share this
//! one wasm module:
//! - [`engine`], the decode worker's side: the decoded capture that answers the page's
//!   questions ([`engine::session`]), TCP incidents, share bundles and reports;
//! - [`ui`], the page's side: its state ([`ui::state`]), the handle on the worker
//!   ([`ui::backend`]) and one module per view.

// `x.max(lo).min(hi)` rather than f64::clamp, whose panic message (it asserts lo <= hi)
// brings a float printer (about 14 KB) into the wasm.
#![allow(clippy::manual_clamp)]

pub mod api;
pub mod engine;
pub mod ui;

pub use ui::backend::Backend;
pub use ui::inspector::{App, Inspector};
pub use ui::list::{first_row, scroll_top_for, MAX_SCROLL_HEIGHT, ROW_HEIGHT};
pub use ui::selection::Cursor;
pub use ui::start::EXAMPLE_BLOCK;
pub use ui::state::{thousands, Panel, Ui};

/// Where the `app` binary finds the decode worker's entry point.
pub mod backend {
    pub use crate::engine::worker::run_worker;
}
