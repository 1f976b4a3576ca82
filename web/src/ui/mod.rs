//! The page's side: its state in signals, the handle on the decode worker, the keyboard, and
//! one module per view. It holds only what is on screen and asks the [`crate::engine`] for
//! the rest.

pub mod backend;
pub(crate) mod connections;
pub(crate) mod details;
pub(crate) mod findings;
pub mod inspector;
pub(crate) mod keyboard;
pub(crate) mod layout;
pub mod lifecycle;
pub mod list;
pub(crate) mod listbar;
pub(crate) mod notes;
pub mod prefs;
pub mod selection;
pub(crate) mod settings;
pub mod share_dialog;
pub mod start;
pub mod state;
pub(crate) mod stats;
pub(crate) mod storage;
pub mod timeline;
pub(crate) mod toolbar;
pub(crate) mod verdict;
