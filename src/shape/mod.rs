//! Shaping the stream: how writes are cut and paced, so that TCP's missing
//! boundaries show on demand.
//!
//! - [`fragment`]: the one cutter, used by the server, the client and the proxy.

pub mod fragment;
