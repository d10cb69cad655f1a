//! Typed events: what the programs did, in the order they did it.
//!
//! The programs record what they do as values, never as text: the scenario
//! conductor records every socket call of both sides ([`Event`]), the echo server
//! reports its sessions ([`ServerEvent`]), and the proxy records what it
//! forwards. Every view (the terminal timeline, the JSON report, the echo
//! server's console) renders these values. No view reads another view's text.
//!
//! [`flow`] lines the calls' bytes up: which write's bytes went into which read.

pub mod flow;
pub mod measure;

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use serde::{Serialize, Serializer};

use crate::lang::{Lang, Msg};
use crate::text::escape::escape;

/// What went wrong in a socket call, as a kind a view can word and a test can
/// match, not a sentence to be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Nothing listens at the address (the peer answered the SYN with a reset).
    Refused,
    /// The peer reset the connection (RST): it closed with data unread, or aborted.
    Reset,
    /// A write to a connection the peer had already closed.
    BrokenPipe,
    /// The connection was aborted on this side.
    Aborted,
    /// A timeout ran out.
    TimedOut,
    /// Anything else.
    Other,
}

impl ErrorKind {
    /// The kind of an I/O error.
    pub fn of(e: &io::Error) -> Self {
        match e.kind() {
            io::ErrorKind::ConnectionRefused => ErrorKind::Refused,
            io::ErrorKind::ConnectionReset => ErrorKind::Reset,
            io::ErrorKind::BrokenPipe => ErrorKind::BrokenPipe,
            io::ErrorKind::ConnectionAborted => ErrorKind::Aborted,
            _ if is_timeout(e) => ErrorKind::TimedOut,
            _ => ErrorKind::Other,
        }
    }

    /// What went wrong, in `lang`, the way a verdict is said: the kinds a
    /// class meets are worded from the catalogue; any other error keeps the
    /// system's own words, `system`.
    pub fn said(self, system: &str, lang: Lang) -> String {
        let id = match self {
            ErrorKind::Refused => "err-refused",
            ErrorKind::Reset => "err-reset",
            ErrorKind::BrokenPipe => "err-broken-pipe",
            ErrorKind::Aborted => "err-aborted",
            ErrorKind::TimedOut => "err-timed-out",
            ErrorKind::Other => return system.to_string(),
        };
        crate::tr!(lang, id)
    }
}

/// True when a blocking call gave up because its timeout ran out. (A socket's
/// read timeout surfaces as `WouldBlock` on Unix and `TimedOut` elsewhere.)
pub fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// A socket error in the words of the lesson.
pub fn describe_io(e: &io::Error) -> String {
    ErrorKind::of(e).said(&e.to_string(), Lang::En)
}

/// Which program did something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase", tag = "side", content = "client")]
pub enum Side {
    /// Client number N (counting from 1).
    Client(usize),
    /// The echo server.
    Server,
    /// The proxy's socket towards client N (the proxy's timeline puts it in
    /// the left-hand column: the client's side).
    Downstream(usize),
    /// The proxy's socket towards the server, for connection N (the
    /// right-hand column: the server's side).
    Upstream(usize),
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum What {
    /// The server created its socket (the chapter's step 1, `socket()`).
    Socket,
    /// The server gave its socket an address (step 2, `bind()`).
    Bind,
    /// The server made its socket a listening one (step 3, `listen()`), with a
    /// queue of `backlog` connections waiting for `accept`.
    Listen {
        /// The backlog asked for; Linux queues one more than this.
        backlog: u32,
    },
    /// The server closed its listening socket (step 7, `close(server)`): it
    /// has served its clients, and a client that connects now is refused.
    CloseListener,
    /// A client's connect returned: the kernel completed the handshake.
    Connect,
    /// A client's connect has not returned: the server's listen queue was
    /// full, so the kernel dropped the handshake's first packet (SYN) and the
    /// client's kernel will send it again, about a second later.
    ConnectWaits,
    /// A client's connect returned after waiting: a retried SYN found room in
    /// the listen queue.
    ConnectRetried,
    /// A client's connect was refused.
    Refused,
    /// The server accepted a connection: client number `client`'s.
    Accept {
        /// Whose connection it is.
        client: usize,
    },
    /// One `write` call and the bytes it wrote (`len` and the escaped `bytes`
    /// in JSON).
    Write {
        /// Where in this direction's stream the bytes start: the count of bytes
        /// written before them on this connection.
        at: u64,
        /// The bytes written.
        #[serde(flatten, serialize_with = "payload")]
        bytes: Vec<u8>,
    },
    /// One `read` call: how much it asked for and the bytes it returned (`len`
    /// and the escaped `bytes` in JSON).
    Read {
        /// The most bytes this read could return: the buffer it was given.
        asked: usize,
        /// Where in this direction's stream the bytes start: the count of bytes
        /// read before them on this connection.
        at: u64,
        /// Bytes waiting in the socket's receive queue just before the call,
        /// as the kernel said (`FIONREAD`): arrived, not yet read. Measured,
        /// never computed; `None` when the kernel could not be asked.
        queued: Option<usize>,
        /// The bytes read.
        #[serde(flatten, serialize_with = "payload")]
        bytes: Vec<u8>,
    },
    /// A `read` returned 0: the peer will send no more.
    Eof,
    /// A pause in a scripted run. A writer's pause (`chunk_delay_ms`) is not
    /// waited out in a scenario: the conductor lets the reader run instead,
    /// which is all the pause is for; `run --pace` waits it to show the time.
    Pause {
        /// How long the pause stands for, in milliseconds.
        ms: u64,
        /// What the pause is: `late` for a reader that reads late
        /// (`read_delay_ms`), else a pause between writes or a script's.
        late: bool,
    },
    /// The write side was shut down (FIN sent).
    Shutdown,
    /// The socket was closed (`close()`).
    Close {
        /// Bytes waiting in the socket's receive queue as it closed: arrived,
        /// never read (the kernel's count, `FIONREAD`, just before the
        /// call). Closing with unread bytes makes the kernel answer with a
        /// reset (RST) instead of a FIN. Bytes the peer's kernel still held
        /// back in its send queue are not among them.
        unread: u64,
    },
    /// A socket call failed.
    Error {
        /// What kind of failure.
        error: ErrorKind,
        /// The error, in words.
        message: String,
        /// The call that failed (`read`, `write`, `connect`), when the
        /// recorder knows it: a row names its call, so a broken pipe after a
        /// read row is seen to be the next write's.
        #[serde(skip_serializing_if = "Option::is_none")]
        call: Option<&'static str>,
    },
    /// The server ended the connection after this many bytes, as configured:
    /// a server that vanishes mid-reply, with a FIN (`--cut-after`) or a RST
    /// (`--reset-after`).
    Cut {
        /// Bytes echoed before the cut.
        after: u64,
        /// True for a reset (RST), false for a clean close (FIN).
        reset: bool,
    },
    /// The server dropped a client that sent nothing for this long.
    Dropped {
        /// How long the client was silent, in milliseconds.
        idle_ms: u64,
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
        /// The remark, said in the view's language (English in JSON).
        text: Msg,
        /// True when it reports something that went wrong.
        bad: bool,
    },
}

/// Bytes as an escaped string, for JSON (the one serializer for bytes).
pub fn as_escaped<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&escape(bytes))
}

/// Optional bytes as an escaped string or `null`.
pub fn as_escaped_opt<S: Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
    match bytes {
        Some(b) => as_escaped(b, s),
        None => s.serialize_none(),
    }
}

/// A read's or write's bytes as `len` (a count a tool can check) and `bytes`
/// (escaped for display).
fn payload<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(2))?;
    map.serialize_entry("len", &bytes.len())?;
    map.serialize_entry("bytes", &escape(bytes))?;
    map.end()
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

/// The server's set-up at the start of a timeline: `socket`, `bind` and
/// `listen`, the chapter's steps 1 to 3, which a view may show as one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setup {
    /// The seq of `socket`, the first of the three.
    pub first: usize,
    /// The seq of `listen`, the last.
    pub last: usize,
    /// `listen`'s backlog.
    pub backlog: u32,
}

impl Setup {
    /// The set-up `timeline` opens with, when its first three rows are the
    /// server's `socket`, `bind` and `listen`.
    pub fn opening(timeline: &[Event]) -> Option<Setup> {
        match timeline {
            [a, b, c, ..] if [a, b, c].iter().all(|e| e.side == Side::Server) => {
                match (&a.what, &b.what, &c.what) {
                    (What::Socket, What::Bind, &What::Listen { backlog }) => Some(Setup {
                        first: a.seq,
                        last: c.seq,
                        backlog,
                    }),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

/// What the echo server reports as it serves. The bytes are borrowed from the
/// server's one buffer, so reporting a message costs no allocation.
#[derive(Debug, Clone, Copy)]
pub enum ServerEvent<'a> {
    /// `accept` returned client number `client` (counting from 1).
    Accepted {
        /// The client's number.
        client: usize,
        /// Its address.
        peer: SocketAddr,
    },
    /// One read returned these bytes.
    Received {
        /// The client's number.
        client: usize,
        /// What the read returned.
        bytes: &'a [u8],
    },
    /// One write system call of an echo: a chunk of a fragmented echo, or the part
    /// of one the kernel took when it took fewer bytes than asked.
    Sent {
        /// The client's number.
        client: usize,
        /// What the write wrote.
        bytes: &'a [u8],
    },
    /// The server has served its clients and closed its listening socket
    /// (`close(server)`).
    Closed,
    /// `accept` failed `count` times over `over` for want of descriptors or
    /// memory (see [`crate::transport::accept`]): the server waited between
    /// the tries and goes on.
    AcceptFailed {
        /// How many accepts failed.
        count: u64,
        /// From the first failure to the last.
        over: Duration,
        /// The last failure, in the system's words (`too many open files`).
        reason: &'a str,
    },
    /// The session with a client ended, and how.
    Ended {
        /// The client's number.
        client: usize,
        /// Its address.
        peer: SocketAddr,
        /// How it ended.
        how: Ending<'a>,
    },
}

/// How a session with one client ended.
#[derive(Debug, Clone, Copy)]
pub enum Ending<'a> {
    /// The client closed its side (a read returned 0): the normal end.
    Eof,
    /// The server closed after echoing this many bytes, as configured.
    Cut(u64),
    /// The server aborted the connection (RST) after this many bytes, as
    /// configured.
    Reset(u64),
    /// The client sent nothing (or read nothing) for this long.
    Idle(Duration),
    /// A socket call failed (a reset, a broken pipe…).
    Failed(&'a io::Error),
}

/// Where the echo server's events go: its console, a scenario's timeline, or
/// nowhere.
pub trait ServerLog {
    /// Take one event. An error (the console is gone) stops the server.
    fn event(&mut self, e: ServerEvent<'_>) -> io::Result<()>;
}

/// A server log that keeps nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct Discard;

impl ServerLog for Discard {
    fn event(&mut self, _: ServerEvent<'_>) -> io::Result<()> {
        Ok(())
    }
}
