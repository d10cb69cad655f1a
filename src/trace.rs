//! The timeline of a scenario run: every connect, accept, write and read, in the
//! order they happened, and how to show it to a class.
//!
//! Rows are printed in two columns, client on the left and server on the right,
//! so that a write on one side and the read it turns into on the other sit a few
//! rows apart and the eye can follow the bytes across.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use serde::Serialize;

use crate::escape::{escape, escape_short};

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

const COLUMN: usize = 44;

fn cell(what: &What, side: Side) -> (String, Style) {
    let plain = Style::new();
    let who = match side {
        Side::Client(n) | Side::Upstream(n) => format!("c{n} "),
        Side::Server => String::new(),
    };
    let room = COLUMN.saturating_sub(who.len() + 16);
    let (text, style) = match what {
        What::Connect => ("connect".to_string(), plain),
        What::Refused => ("connect: refused".to_string(), AnsiColor::Red.on_default()),
        What::Accept => ("accept".to_string(), plain),
        What::Write { bytes } => (
            format!("write {:>3} B  {}", bytes.len(), escape_short(bytes, room)),
            AnsiColor::Green.on_default(),
        ),
        What::Read { bytes } => (
            format!("read  {:>3} B  {}", bytes.len(), escape_short(bytes, room)),
            AnsiColor::Cyan.on_default(),
        ),
        What::Eof => ("read    0 B  (end of stream)".to_string(), plain),
        What::Shutdown => ("shutdown(write): FIN".to_string(), plain),
        What::Close => ("close".to_string(), plain),
        What::Error { message } => (format!("error: {message}"), AnsiColor::Red.on_default()),
        What::Reply { round, ok, got, .. } => {
            let mark = if *ok { "✓" } else { "✗" };
            let style = if *ok {
                AnsiColor::Green.on_default()
            } else {
                AnsiColor::Red.on_default().bold()
            };
            (
                format!("{mark} reply {round}: {}", escape_short(got, room + 2)),
                style,
            )
        }
        What::Note { text, bad } => (
            text.clone(),
            if *bad {
                AnsiColor::Red.on_default().bold()
            } else {
                AnsiColor::Yellow.on_default()
            },
        ),
    };
    (format!("{who}{text}"), style)
}

/// The header of a two-column timeline.
pub fn render_header(left: &str, right: &str, out: &mut dyn Write) -> io::Result<()> {
    let dim = Style::new().dimmed();
    writeln!(out, "{dim}{:>4}  {left:<COLUMN$} │ {right}{dim:#}", "#")
}

/// One row of a two-column timeline: client side left, server side right.
pub fn render_row(e: &Event, out: &mut dyn Write) -> io::Result<()> {
    let dim = Style::new().dimmed();
    let (text, style) = cell(&e.what, e.side);
    let pad = COLUMN.saturating_sub(text.chars().count());
    match e.side {
        Side::Client(_) => writeln!(
            out,
            "{dim}{:>4}{dim:#}  {style}{text}{style:#}{:pad$} {dim}│{dim:#}",
            e.seq, ""
        ),
        Side::Server | Side::Upstream(_) => writeln!(
            out,
            "{dim}{:>4}{dim:#}  {:COLUMN$} {dim}│{dim:#} {style}{text}{style:#}",
            e.seq, ""
        ),
    }
}

/// Print `events` as a two-column timeline. Colours are written as ANSI codes;
/// pass an `anstream` writer to have them dropped when the output is not a
/// terminal or NO_COLOR is set.
pub fn render(events: &[Event], out: &mut dyn Write) -> io::Result<()> {
    render_header("client", "server", out)?;
    for e in events {
        render_row(e, out)?;
    }
    Ok(())
}
