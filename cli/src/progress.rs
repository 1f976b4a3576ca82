//! A progress bar on standard error while a capture takes more than a moment to read and
//! analyse, fed by the engine's [`Progress`] callbacks. Only when standard error is a
//! terminal: never in a pipe, a file or a CI log, and never on standard output, whatever the
//! format. It appears after [`DELAY`] (a small capture is done before then and shows none) and
//! is cleared before the report is written.

use std::io::{self, IsTerminal};
use std::time::{Duration, Instant};

use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};
use spop_codec::Progress;

/// How long a run goes without a bar.
const DELAY: Duration = Duration::from_millis(400);
/// Steps of the bar (the engine's fraction, in thousandths).
const STEPS: u64 = 1000;

/// The bar of one run, drawn once [`DELAY`] has passed; cleared when dropped.
pub(crate) struct Bar {
    /// When to draw it, or `None` when standard error is not a terminal.
    from: Option<Instant>,
    /// Whether the input's size is known (a file), so that reading has a fraction; a pipe's
    /// reading shows the bytes read instead.
    sized: bool,
    bar: Option<ProgressBar>,
    /// The style drawn: a spinner (`true`) or a bar.
    spinning: Option<bool>,
}

impl Bar {
    /// A bar for an input whose size is known (`sized`) or not (a pipe).
    pub(crate) fn new(sized: bool) -> Self {
        // For the tests, which cannot make a run slow enough on demand.
        let delay = std::env::var("SPOP_INSPECT_PROGRESS_DELAY_MS")
            .ok()
            .and_then(|ms| ms.parse().ok())
            .map_or(DELAY, Duration::from_millis);
        Bar {
            from: io::stderr().is_terminal().then(|| Instant::now() + delay),
            sized,
            bar: None,
            spinning: None,
        }
    }

    /// Shows where the engine is.
    pub(crate) fn update(&mut self, p: Progress) {
        let Some(from) = self.from else { return };
        if self.bar.is_none() && Instant::now() < from {
            return;
        }
        let spin = matches!(p, Progress::Packets { .. }) && !self.sized;
        // Drawn from its first update in the style of its first stage.
        let new = self.bar.is_none();
        let bar = self.bar.get_or_insert_with(|| {
            ProgressBar::with_draw_target(Some(STEPS), ProgressDrawTarget::hidden())
        });
        if self.spinning != Some(spin) {
            self.spinning = Some(spin);
            bar.set_style(if spin { spinner() } else { fraction() });
        }
        match p {
            Progress::Packets { done, .. } if spin => {
                bar.set_message(format!("{}: {}", p.stage(), HumanBytes(done as u64)));
            }
            _ => {
                bar.set_position((p.fraction() * STEPS as f64) as u64);
                bar.set_message(p.stage());
            }
        }
        if new {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            bar.tick();
            bar.enable_steady_tick(Duration::from_millis(120));
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

fn fraction() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} {msg:<36} [{wide_bar}] {percent:>3}% {elapsed}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

fn spinner() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} {msg} {elapsed}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}
