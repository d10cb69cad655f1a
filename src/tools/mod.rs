//! Tools for other people's programs.
//!
//! - [`proxy`]: reshapes the stream between any client and any server.
//! - [`check`]: runs anyone's client under every shape of fragmentation.
//! - [`bench`](mod@bench): measures any echo server beside the loopback limit.
//! - [`trace`]: runs anyone's program traced and shows its socket calls.
//! - [`spawned`]: the echo server on a thread of this process, for the bench
//!   and for tests.
//! - [`command`]: another person's command line, its address filled in.
//! - [`group`]: the program a tool runs now, ended whole on an interrupt.
//! - [`echo`](mod@echo): a throwaway echo on threads, for `check` and the bench.

pub mod bench;
pub mod check;
pub mod command;
pub mod echo;
pub mod group;
pub mod proxy;
pub mod spawned;
pub mod trace;
