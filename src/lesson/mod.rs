//! The lesson a student reads: the book's iterative echo server, its client, and
//! the five ways to read a reply side by side.
//!
//! - [`reader`]: `naive` (one read per message, the bug), `exact`, `line`,
//!   `length` and `book` (the book's fix, with its two flaws). Start here.
//! - [`server`]: the iterative echo server: accept, echo until end of stream,
//!   close, next client.
//! - [`client`]: a client session (a writer and a reader) and the book's
//!   interactive loop.

pub mod client;
pub mod reader;
pub mod server;
