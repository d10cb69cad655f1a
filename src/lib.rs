//! # tcp-boundary
//!
//! TCP is a byte stream: one `write()` is not one `read()`. This crate teaches,
//! reproduces on demand and regression-tests that fact with an iterative echo
//! server, a naive client that assumes the opposite, and clients that frame their
//! messages correctly.
//!
//! # Layout
//!
//! The lesson, in the order a reader might take it:
//!
//! - [`reader`]: the four ways to read a reply: `naive` (the bug), `exact`, `line`
//!   and `length`. Start here.
//! - [`server`]: the iterative echo server of the seed, with its fragmenting mode.
//! - [`client`]: a client session (reader + writer) and the seed's interactive loop.
//! - [`fragment`]: cuts a buffer into writes and paces them (fixed or seeded
//!   random), the one cutter used by the server, the client and the proxy.
//!
//! Making it visible, the same way every time:
//!
//! - [`scenario`]: named lessons from `scenarios/*.toml`, run on real sockets,
//!   with a report and a verdict per reader.
//! - [`conductor`]: why those runs never vary: one side moves at a time, and
//!   every read waits until the bytes written before it are there.
//! - [`trace`]: the timeline of writes and reads, and its two-column display.
//! - [`report`]: how scenarios and their results are shown to a class.
//!
//! Tools for other people's programs:
//!
//! - [`proxy`]: reshapes the stream between any client and any server.
//! - [`bench`](mod@bench): measures any echo server beside the loopback limit.
//!
//! Plumbing:
//!
//! - [`transport`]: the stream trait the programs talk through; on a socket,
//!   pauses are sleeps, in a scenario the conductor decides them.
//! - [`net`]: sockets with TCP_NODELAY and buffer sizes set through `socket2`.
//! - [`escape`]: shows received bytes on a console without mangling them.
//! - [`mock`]: a stream whose reads follow a script, for tests.
//! - [`cli`]: switches, exit codes and the error line shared by the binaries.

pub mod bench;
pub mod cli;
pub mod client;
pub mod conductor;
pub mod escape;
pub mod fragment;
pub mod mock;
pub mod net;
pub mod proxy;
pub mod reader;
pub mod report;
pub mod scenario;
pub mod server;
pub mod trace;
pub mod transport;
