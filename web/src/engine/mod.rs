//! The decode worker's side: one decoded capture and the answers to the page's questions.
//!
//! It runs in the decode worker, so the page only ever holds what is on screen; the same code
//! answers in-thread where a worker cannot start (and in the component tests).
//!
//! Some answers are HTML drawn here (the statistics, a TCP incident's drawing): they use the
//! page's drawing code where it lives, with its views (`crate::ui::stats`, the timeline's
//! marks and lanes, the clock of `crate::ui::prefs`), so that both draw alike.

pub mod incident;
pub mod protocol;
pub mod session;
pub(crate) mod shared;
pub mod worker;
