//! # tcp-boundary
//!
//! TCP is a byte stream: one `write()` is not one `read()`. This crate teaches,
//! reproduces on demand and regression-tests that fact with an iterative echo
//! server, a naive client that assumes the opposite, and clients that frame their
//! messages correctly.
//!
//! # Layout
//!
//! - [`escape`]: shows received bytes on a console without mangling them.
//! - [`fragment`]: cuts a buffer into writes and paces them (fixed, seeded random),
//!   the one cutter used by the server, the client and the proxy.
//! - [`transport`]: the stream trait the programs talk through; on a socket,
//!   pauses are sleeps.
//! - [`net`]: sockets with TCP_NODELAY and buffer sizes set through `socket2`.
//! - [`server`]: the iterative echo server of the seed, with its fragmenting mode.
//! - [`reader`]: the four ways to read a reply: `naive` (the bug), `exact`, `line`
//!   and `length`.
//! - [`client`]: a client session (reader + writer) and the seed's interactive loop.
//! - [`mock`]: a stream whose reads follow a script, for tests.
//! - [`cli`]: exit codes and error lines shared by the binaries.

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
