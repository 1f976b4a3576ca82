//! Analysis: from decoded streams to what a person debugging SPOE needs to know: per
//! connection the HELLO exchange, the HAProxy generation (with the evidence), NOTIFY↔ACK pairs
//! and their latency, how the connection ended; a timeline across connections; and findings
//! from every rule of the catalogue ([`rules::CATALOGUE`]).
//!
//! Pure: the capture goes in, the analysis comes out (no clock, no I/O). Frames are kept as
//! small entries pointing into the capture's streams and re-decoded on demand, so memory stays
//! proportional to the capture.

use crate::capture::{Capture, LoadError, LoadOptions, Loader};
use crate::Progress;

mod conversation;
mod events;
mod model;
mod rules;
mod stats;
mod timeline;
mod verdict;

pub(crate) use events::{Events, StreamEvent};
pub(crate) use model::PayloadCheck;
pub use model::{Analysis, FrameEntry, FrameKey};

pub use conversation::{AgentHello, ConnectionSummary, EndReason, Generation, HaproxyHello, Pair};
pub use rules::{
    rule, Finding, Location, Omitted, Rule, Severity, CATALOGUE, MAX_FINDINGS_PER_RULE,
};
pub use stats::{
    latency_by_message, statistics, Bin, Percentiles, Statistics, LATENCY_BUCKETS, MAX_BINS,
};
pub use verdict::{verdict, VerdictLine};

/// Tunables of the analysis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalysisOptions {
    /// Report ACKs slower than this (nanoseconds) with SPOP-X008. `None`: never (HAProxy's
    /// `timeout processing` is not in the capture, so only the user knows the threshold).
    pub slow_ack: Option<u64>,
    /// Connections ending at the handshake before SPOP-C006 calls it churn.
    pub churn_threshold: usize,
    /// Threads the analysis may use on a large capture: 0 for one per core; at most 64. The
    /// results are the same for any number. Only with the `parallel` feature (it needs std);
    /// without it, as in the browser, the analysis runs on the calling thread.
    pub threads: usize,
}

impl AnalysisOptions {
    /// The slow-ACK threshold from milliseconds, as people give it (`--slow-ack 50`,
    /// `slowAckMs: 50`): every surface converts the same way.
    pub fn slow_ack_ms(ms: Option<f64>) -> Option<u64> {
        ms.map(|ms| (ms * 1e6) as u64)
    }
}

impl Default for AnalysisOptions {
    fn default() -> Self {
        AnalysisOptions {
            slow_ack: None,
            churn_threshold: 5,
            threads: 0,
        }
    }
}

/// Analyses a capture.
pub fn analyze(capture: Capture, options: &AnalysisOptions) -> Analysis {
    analyze_with_progress(capture, options, &mut |_| {})
}

/// [`analyze`], telling `progress` where it is.
pub fn analyze_with_progress(
    capture: Capture,
    options: &AnalysisOptions,
    progress: &mut dyn FnMut(Progress),
) -> Analysis {
    let mut a = analyze_timeline(capture, options, progress);
    a.check(progress);
    a
}

/// The first half of [`analyze`]: the timeline (frames, NOTIFY↔ACK pairs, connection
/// summaries) without the rules, so a surface can show it while [`Analysis::check`] runs
/// (about a third of the analysis on a large capture). Until then `findings` is empty and
/// the connections' error and warning counts are zero.
pub fn analyze_timeline(
    capture: Capture,
    options: &AnalysisOptions,
    progress: &mut dyn FnMut(Progress),
) -> Analysis {
    timeline::timeline(capture, options, progress)
}

/// Finishes `loader` and analyses the capture: [`Loader::finish`] then [`analyze`], both
/// telling `progress` where they are.
pub fn analyze_loaded(
    loader: Loader,
    options: &AnalysisOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Analysis, LoadError> {
    let capture = loader.finish(progress)?;
    Ok(analyze_with_progress(capture, options, progress))
}

/// [`load`](crate::capture::load()) and [`analyze`] as one pipeline, for an input in memory
/// (a [`Loader`] told its size, so reassembly can spread over cores on a large file).
pub fn load_and_analyze(
    input: &[u8],
    load: &LoadOptions,
    options: &AnalysisOptions,
) -> Result<Analysis, LoadError> {
    let mut loader = Loader::new(load.clone()).with_total(input.len());
    loader.feed(input, &mut |_| {});
    analyze_loaded(loader, options, &mut |_| {})
}

pub(crate) use crate::display::needs_escape;
/// The text of a STRING value for messages and summaries ([`crate::display::text`]).
pub(crate) use crate::display::text;
