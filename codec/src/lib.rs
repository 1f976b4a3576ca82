//! # spop-codec
//!
//! The engine of spop-inspector: it turns bytes into SPOP frames and, later in the pipeline,
//! into conversations and findings. It is `#![no_std]` (with `alloc`) so the very same code
//! runs natively (CLI, tests, benchmarks) and in the browser (wasm).
//!
//! Layers, each a pure function of its input (no clocks, no I/O), each using only the ones
//! before it (`wire ← capture ← analysis ← report/share ← surfaces`):
//!
//! * [`wire`]: SPOP framing, varints, typed data and payload grammars, the encoder. Frames are
//!   zero-copy views over the input, every field knows its byte [`Span`].
//! * [`capture`]: what users have (pcap, pcapng, pasted text, `.spop` share bundles in
//!   [`capture::bundle`]) turned into SPOP byte streams: TCP reassembly, SPOP detection, the
//!   streams cut into frames ([`capture::spop::FrameLayout`]), the chunked [`capture::Loader`].
//! * [`analysis`]: the timeline ([`analysis::FrameEntry`], [`analysis::Analysis`]),
//!   conversations, the rules and their findings, the verdict and the statistics;
//!   [`analysis::analyze_loaded`] and [`analysis::load_and_analyze`] run loader and analysis
//!   as one pipeline.
//! * [`report`] (the JSON report's data and the Markdown report), [`share`] (share links) and
//!   [`fields`] (a frame as a tree of fields with their bytes): what surfaces show.
//!
//! Beside them, used by every layer and using none: [`display`] (numbers and input text as
//! people see them), [`time`] (HAProxy's time syntax), [`sort`], [`Progress`] (reports to a
//! surface's bar) and [`Span`]; `synth` (feature `synth`) generates SPOP traffic for tests and
//! benchmarks.
//!
//! ## Panic contract
//!
//! No function of this crate panics, loops without consuming input, or allocates an amount
//! derived from a length read off the wire. Every length is checked against the bytes actually
//! present. Property tests and fuzz targets (`fuzz/`) hold the crate to this.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic,
        clippy::unreachable
    )
)]

extern crate alloc;
#[cfg(any(test, feature = "parallel"))]
extern crate std;

pub mod analysis;
pub mod capture;
pub mod display;
pub mod fields;
mod parallel;
mod progress;
pub mod report;
pub mod share;
pub mod sort;
mod span;
#[cfg(any(test, feature = "synth"))]
pub mod synth;
pub mod time;
pub mod wire;

pub use progress::Progress;
pub use span::Span;
