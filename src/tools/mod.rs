//! Tools for other people's programs.
//!
//! - [`proxy`]: reshapes the stream between any client and any server.
//! - [`check`]: runs anyone's client under every shape of fragmentation.
//! - [`bench`](mod@bench): measures any echo server beside the loopback limit.
//! - [`spawned`]: the echo server on a thread of this process, for the bench
//!   and for tests.

pub mod bench;
pub mod check;
pub mod proxy;
pub mod spawned;
