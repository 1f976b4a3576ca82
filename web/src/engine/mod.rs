//! The decode worker's side: one decoded capture and the answers to the page's questions.
//!
//! It runs in the decode worker, so the page only ever holds what is on screen; the same code
//! answers in-thread where a worker cannot start (and in the component tests).
//!
//! Some answers are HTML drawn here (the statistics, [`stats`]; a TCP incident's drawing,
//! [`incident`]), with what the page's own views draw with too ([`draw`]): the page imports
//! from this side, never the other way.

pub mod draw;
pub mod incident;
pub mod protocol;
pub mod session;
pub(crate) mod shared;
pub mod stats;
pub mod worker;
