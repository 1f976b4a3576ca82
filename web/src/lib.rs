//! The spop-inspector web UI: a Leptos client-side app over the `spop-codec` engine.
//!
//! Everything runs in the browser: the input never leaves the page. Two runtimes share this
//! one wasm module:
//! - [`engine`], the decode worker's side: what the page and the worker say to each other
//!   ([`engine::protocol`]), the decoded capture that answers ([`engine::session`]), its TCP
//!   incidents, share bundles and reports, and the worker's message loop ([`engine::worker`]);
//! - [`ui`], the page's side: its state ([`ui::state`], in parts by concern), the handle on
//!   the worker ([`ui::backend`]), the keyboard and one module per view.

// `x.max(lo).min(hi)` rather than f64::clamp, whose panic message (it asserts lo <= hi)
// brings a float printer (about 14 KB) into the wasm.
#![allow(clippy::manual_clamp)]

pub mod engine;
pub mod ui;

pub use engine::draw::thousands;
pub use ui::backend::Backend;
pub use ui::inspector::{App, Inspector};
pub use ui::list::{first_row, scroll_top_for, MAX_SCROLL_HEIGHT, ROW_HEIGHT};
pub use ui::selection::Selection;
pub use ui::start::EXAMPLE_BLOCK;
pub use ui::state::{Panel, Ui};
