//! # tcp-boundary
//!
//! TCP is a byte stream: one `write()` is not one `read()`. This crate teaches,
//! reproduces on demand and regression-tests that fact with an iterative echo
//! server, a naive client that assumes the opposite, and clients that frame their
//! messages correctly.
//!
//! # Layout
//!
//! The folders say what each part is for.
//!
//! The lesson, in the order a student might read it:
//!
//! - [`lesson`]: the book's programs. [`lesson::reader`] holds the five ways to
//!   read a reply: `naive` (the bug), `exact`, `line`, `length` and `book`
//!   (the book's own fix, with its two flaws). Start there, then [`lesson::server`] (the iterative echo server) and
//!   [`lesson::client`]; [`lesson::book_c`] compiles the book's own C
//!   programs, which a scenario can run in place of ours.
//! - [`shape`]: how a stream is split and paced so the missing boundaries show:
//!   the one fragmenter used by the server, the client and the proxy, and the
//!   server's connection with its shape applied, outside the book's loop.
//!
//! Making it visible, the same way every time:
//!
//! - [`scenario`]: named lessons from `scenarios/*.toml`, run on real sockets
//!   by a conductor that moves one side at a time, with a report and a verdict
//!   per reader.
//! - [`event`]: the typed events every run records (accept, read, write,
//!   close, …), and [`event::flow`]: which write's bytes went into which read.
//! - [`view`]: how events and reports are shown: the terminal timeline, the
//!   report and the lesson pages for a browser.
//! - [`lang`]: the class's language: every word the views show comes from a
//!   catalogue in `locales/` (English, Korean).
//! - [`text`]: what every layer words the same way: received bytes escaped
//!   for a console, JSON or a page, and counts of bytes.
//!
//! Tools for other people's programs:
//!
//! - [`tools`]: the shaping proxy, `check` (any client under every shape of
//!   fragmentation), the bench, `trace` (anyone's program, its socket calls
//!   shown), and the echo server on a thread of this process.
//!
//! Plumbing:
//!
//! - [`transport`]: the stream trait the programs talk through, sockets with
//!   their options, their queues as the kernel counts them, another
//!   program's sockets measured as it lets go of them ([`transport::trace`]),
//!   and a scripted stream for tests.
//! - [`cli`]: switches, exit codes and the error line shared by the binaries.
//!
//! # Layers
//!
//! Each module uses only the modules below it, never one above (the test
//! `tests/layers.rs` reads `src/` and holds the code to this list), from the
//! bottom up:
//!
//! 1. [`lang`]: the catalogues, which use nothing else;
//! 2. [`text`]: escapes and counts of bytes, worded with [`lang`];
//! 3. [`transport`]: the streams;
//! 4. [`event`]: what the programs did, errors worded the way verdicts are;
//! 5. [`shape`]: the fragmenter, the pacing and the shaped connection;
//! 6. [`lesson`]: the book's server and client and the readers;
//! 7. [`scenario`]: lessons run by the conductor;
//! 8. [`view`]: timelines, reports, consoles and pages;
//! 9. [`tools`]: proxy, check, bench, and the echo server on a thread;
//! 10. [`cli`]: the binaries' switches, and above it `src/bin/`.

pub mod cli;
pub mod event;
pub mod lang;
pub mod lesson;
pub mod scenario;
pub mod shape;
pub mod text;
pub mod tools;
pub mod transport;
pub mod view;
