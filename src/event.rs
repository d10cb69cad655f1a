//! Typed events: what the programs did, in the order they did it.
//!
//! The server, the clients, the proxy and the scenario conductor record these;
//! every view (the terminal timeline, the JSON report) renders them. No view
//! reads another view's text.

use serde::Serialize;

use crate::view::escape::escape;

/// Which program did something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase", tag = "side", content = "client")]
pub enum Side {
    /// Client number N (counting from 1).
    Client(usize),
    /// The echo server.
    Server,
    /// The proxy's socket towards the server, for connection N (the proxy's
    /// timeline puts it in the right-hand column).
    Upstream(usize),
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum What {
    /// A client's connect returned: the kernel completed the handshake.
    Connect,
    /// A client's connect was refused.
    Refused,
    /// The server accepted a connection.
    Accept,
    /// One `write` call and the bytes it wrote.
    Write {
        /// The bytes, escaped for display.
        #[serde(serialize_with = "as_escaped")]
        bytes: Vec<u8>,
    },
    /// One `read` call and the bytes it returned.
    Read {
        /// The bytes, escaped for display.
        #[serde(serialize_with = "as_escaped")]
        bytes: Vec<u8>,
    },
    /// A `read` returned 0: the peer will send no more.
    Eof,
    /// The write side was shut down (FIN sent).
    Shutdown,
    /// The socket was closed.
    Close,
    /// A socket call failed.
    Error {
        /// The error, in words.
        message: String,
    },
    /// A reply as a client's reader understood it, compared with what was sent.
    Reply {
        /// The round number for that client (1, 2, …).
        round: usize,
        /// Whether the reply equals the message sent.
        ok: bool,
        /// The reply, escaped.
        #[serde(serialize_with = "as_escaped")]
        got: Vec<u8>,
        /// The message sent, escaped.
        #[serde(serialize_with = "as_escaped")]
        sent: Vec<u8>,
    },
    /// A remark from the runner (a stall, a pause, a quit).
    Note {
        /// The remark.
        text: String,
        /// True when it reports something that went wrong.
        bad: bool,
    },
}

fn as_escaped<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&escape(bytes))
}

/// One row of the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// Position in the timeline, from 1.
    pub seq: usize,
    /// Who did it.
    #[serde(flatten)]
    pub side: Side,
    /// What it did.
    #[serde(flatten)]
    pub what: What,
}
