//! The lesson a student reads: the book's iterative echo server, its client, and
//! the five ways to read a reply side by side.
//!
//! - [`reader`]: `naive` (one read per message, the bug), `exact`, `line`,
//!   `length` and `book` (the book's fix, with its two flaws). Start here.
//! - [`server`]: the iterative echo server: accept, echo until end of stream,
//!   close, next client.
//! - [`client`]: a client session (a writer and a reader) and the book's
//!   interactive loop.
//! - [`book_c`]: the book's own C programs (`book/echo_client.c`,
//!   `book/echo_server.c`), compiled as they are printed, for a class that
//!   runs the real thing.

pub mod book_c;
pub mod client;
pub mod reader;
pub mod server;
