//! Views: how runs are shown to people.
//!
//! - [`console`]: the echo server's console text, as the book prints it.
//! - [`file`](mod@file): files written where a user points, never through a link.
//! - [`page`]: lesson pages, a run drawn for a browser.
//! - [`pager`]: long reports through `$PAGER`, colours kept.
//! - [`timeline`]: the two-column timeline of writes and reads.
//! - [`report`]: scenarios, rounds and verdicts for a class.

pub mod console;
pub mod file;
pub mod keys;
pub mod page;
pub mod pager;
pub mod report;
pub mod timeline;
