//! Named scenarios: one lesson each, run on real sockets, the same way every run.
//!
//! A scenario sets up the echo server (the same knobs as `echo-server`), scripts
//! one or more clients, and says what each reader should come out with. The
//! runner starts the server on an ephemeral loopback port, plays the script with
//! the reader asked for, and returns a [`Report`]: the timeline of every write and
//! read, each round's message and reply, and a [`Verdict`].
//!
//! Server and client run in one process under a
//! [`Conductor`](crate::scenario::conductor::Conductor), which fixes the order of their
//! calls: see [`crate::scenario::conductor`] for why that makes every run the same.
//!
//! - this module: what a scenario is (settings, script, expectations);
//! - `file`: the TOML format and its validation; `shipped`: the shipped
//!   scenarios; `texts`: their texts in each language;
//! - `run`: running a scenario and the [`Report`] it produces;
//! - `clients`: our clients playing the script; `book_client` and
//!   `book_server`: the book's own C programs playing a side instead
//!   ([`SideProgram::BookC`]), held at each socket call through `held`;
//! - [`cost`]: what a run costs (rows, time, page), worked out and checked
//!   before anything runs.
//!
//! ```
//! use tcp_boundary::lesson::reader::ReaderKind;
//! use tcp_boundary::scenario::{Scenario, Verdict};
//!
//! let scenario = Scenario::builtin("partial-read").unwrap();
//! let naive = scenario.run(ReaderKind::Naive, None).unwrap();
//! assert_eq!(naive.verdict, Verdict::Broken);
//! let exact = scenario.run(ReaderKind::Exact, None).unwrap();
//! assert_eq!(exact.verdict, Verdict::Intact);
//! assert!(naive.as_expected && exact.as_expected);
//! ```
//!
//! A scenario can also be built in code, from another crate's tests:
//!
//! ```
//! use tcp_boundary::lesson::reader::ReaderKind;
//! use tcp_boundary::scenario::{Scenario, Step, Verdict};
//!
//! let mut s = Scenario::default();
//! s.server.chunk = Some(2);
//! s.server.chunk_delay_ms = Some(10);
//! s.steps = vec![Step::Send { client: 1, messages: vec![b"ping\n".to_vec()] }];
//! let report = s.run(ReaderKind::Line, None).unwrap();
//! assert_eq!(report.verdict, Verdict::Intact);
//! assert_eq!(report.rounds[0].received.as_deref(), Some(&b"ping\n"[..]));
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::lang::Lang;
use crate::lesson::reader::ReaderKind;
use crate::shape::ShapeSpec;
use crate::shape::fragment::ChunkRange;
use crate::tr;

use crate::text::escape::escape;

mod book_client;
mod book_server;
mod clients;
pub mod conductor;
pub mod cost;
mod file;
mod held;
mod outcome;
mod run;
mod shipped;
mod texts;

pub use book_client::{CannotRun, LONGEST_LINE, Typed};
pub use book_server::BOOK_SERVER_CLIENTS;
pub use cost::{
    Cost, HELD_BACK_MS, MAX_PAGE, MAX_ROWS, MAX_RUN_MS, MAX_RUN_SECONDS, MAX_SCENARIO_MESSAGES,
    MAX_SENT,
};
pub use file::{
    MAX_FILE, MAX_PAUSE_MS, MAX_READ_BUFFER, MAX_SCENARIO_BACKLOG, MAX_SCENARIO_CLIENTS, MAX_STEPS,
};
pub use outcome::{Check, Outcome, Repetition, Report, Round, RunError, verdict_of};
pub use run::{RepeatError, ScenarioRunError};
pub use shipped::BUILTIN;
pub use texts::Texts;

/// The largest message a scenario may send. Every write must fit in the socket
/// buffers at once, because the reader only runs when the writer has stopped.
pub const MAX_SCENARIO_MESSAGE: usize = 16 * 1024;

/// How a reader came out of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every reply equals the message sent.
    Intact,
    /// A wrong reply was taken for a right one, or the reader would wait forever.
    Broken,
    /// The reader reported an error (such as "peer closed mid-message") and took
    /// no wrong reply: the honest outcome when the peer vanishes.
    Detected,
}

impl Verdict {
    /// The verdict in `lang`.
    pub fn said(self, lang: Lang) -> String {
        match self {
            Verdict::Intact => tr!(lang, "verdict-intact"),
            Verdict::Broken => tr!(lang, "verdict-broken"),
            Verdict::Detected => tr!(lang, "verdict-detected"),
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Intact => "intact",
            Verdict::Broken => "broken",
            Verdict::Detected => "detected",
        })
    }
}

/// Writes [`ServerSettings`] from the list of shaping keys
/// (`shape::with_shaping_keys!`): the server's own keys, then every shaping
/// key by its name, so that a key added to the list is a key of a scenario's
/// `[server]` table too.
macro_rules! server_settings {
    (()
     writes { $( $(#[$wdoc:meta])* $w:ident $wlong:literal : $wty:ty [$($wa:tt)*] [$($wr:tt)*], )* }
     answers { $( $(#[$adoc:meta])* $a:ident $along:literal : $aty:ty [$($aa:tt)*] [$($ar:tt)*], )* }
    ) => {
        /// The server side of a scenario: the same knobs as `echo-server`, the
        /// shaping keys [`ShapeSpec`]'s by the same names.
        #[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
        #[serde(deny_unknown_fields, default)]
        pub struct ServerSettings {
            /// Clients to serve before exiting (0: until the script ends).
            pub clients: usize,
            /// The listen backlog: `listen(sock, backlog)`. Linux queues one
            /// connection more than this for `accept`.
            pub backlog: u32,
            /// Read buffer size.
            pub buffer_size: usize,
            /// Seed for the random chunks and pauses.
            pub seed: Option<u64>,
            $( $(#[$wdoc])* pub $w: $wty, )*
            $( $(#[$adoc])* pub $a: $aty, )*
        }

        impl ServerSettings {
            /// The shaping keys as the shaping switches (see [`crate::shape`]).
            pub fn spec(&self) -> ShapeSpec {
                ShapeSpec {
                    $( $w: self.$w, )*
                    $( $a: self.$a, )*
                }
            }
        }

        impl Default for ServerSettings {
            fn default() -> Self {
                ServerSettings {
                    clients: 1,
                    backlog: crate::lesson::server::BOOK_BACKLOG,
                    buffer_size: crate::lesson::server::BOOK_BUF_SIZE,
                    seed: None,
                    $( $w: Default::default(), )*
                    $( $a: Default::default(), )*
                }
            }
        }
    };
}
crate::shape::with_shaping_keys!(server_settings!);

/// The client side's settings, shared by every client of the script. The
/// shaping keys are a part of [`ShapeSpec`]'s, the writer's spelled `write_…`
/// (`tests/shape_keys.rs`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClientSettings {
    /// Read buffer size: the most one read returns.
    pub buffer_size: usize,
    /// TCP_NODELAY.
    pub nodelay: bool,
    /// SO_SNDBUF to ask for.
    pub send_buffer: Option<u64>,
    /// SO_RCVBUF to ask for.
    pub recv_buffer: Option<u64>,
    /// Send each message in writes of at most this many bytes.
    pub write_chunk: Option<usize>,
    /// Pause after each of those writes.
    pub write_delay_ms: u64,
}

impl ClientSettings {
    /// The client's name for a shaping key of [`ShapeSpec`]: its writes'
    /// keys have names of their own (`chunk` is `write_chunk`,
    /// `chunk_delay_ms` is `write_delay_ms`); the others are the same.
    pub fn key(spec_key: &'static str) -> &'static str {
        match spec_key {
            "chunk" => "write_chunk",
            "chunk_delay_ms" => "write_delay_ms",
            key => key,
        }
    }

    /// How the clients shape what they write, as the shaping switches.
    pub fn spec(&self) -> ShapeSpec {
        ShapeSpec {
            chunk: self.write_chunk.map(|n| n as u64),
            chunk_delay_ms: nonzero(self.write_delay_ms),
            nodelay: self.nodelay,
            send_buffer: self.send_buffer,
            recv_buffer: self.recv_buffer,
            ..ShapeSpec::default()
        }
    }
}

fn nonzero(ms: u64) -> Option<u64> {
    (ms > 0).then_some(ms)
}

impl Default for ClientSettings {
    fn default() -> Self {
        ClientSettings {
            buffer_size: crate::lesson::server::BOOK_BUF_SIZE,
            nodelay: false,
            send_buffer: None,
            recv_buffer: None,
            write_chunk: None,
            write_delay_ms: 0,
        }
    }
}

/// One step of the client script. Client numbers start at 1; a client connects
/// at its first step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Write each message (one after another), then read each reply in turn.
    Send {
        /// Which client.
        client: usize,
        /// The messages.
        messages: Vec<Vec<u8>>,
    },
    /// Write messages without reading the replies yet.
    Write {
        /// Which client.
        client: usize,
        /// The messages.
        messages: Vec<Vec<u8>>,
    },
    /// Read the replies still owed for earlier `Write` steps.
    Read {
        /// Which client.
        client: usize,
    },
    /// Do nothing for a while (a user thinking), holding the connection.
    Pause {
        /// Which client.
        client: usize,
        /// How long.
        ms: u64,
    },
    /// Connect, and say how the connect should go.
    Connect {
        /// Which client.
        client: usize,
        /// What the connect should do.
        expect: Connects,
    },
    /// Quit: shut down the write side, read what is left, close.
    Quit {
        /// Which client.
        client: usize,
    },
}

impl Step {
    /// The client the step belongs to.
    pub fn client(&self) -> usize {
        match *self {
            Step::Send { client, .. }
            | Step::Write { client, .. }
            | Step::Read { client }
            | Step::Pause { client, .. }
            | Step::Connect { client, .. }
            | Step::Quit { client } => client,
        }
    }

    /// The step in words, for `show`.
    pub fn describe(&self, lang: Lang) -> String {
        let list = |m: &[Vec<u8>]| {
            m.iter()
                .map(|m| {
                    if m.len() > 40 {
                        format!(
                            "'{}…' ({})",
                            escape(&m[..24]),
                            crate::text::bytes_in(m.len() as u64, lang)
                        )
                    } else {
                        format!("'{}'", escape(m))
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Step::Send { client, messages } => {
                tr!(
                    lang,
                    "step-send",
                    client = *client,
                    messages = list(messages)
                )
            }
            Step::Write { client, messages } => {
                tr!(
                    lang,
                    "step-write",
                    client = *client,
                    messages = list(messages)
                )
            }
            Step::Read { client } => tr!(lang, "step-read", client = *client),
            Step::Pause { client, ms } => tr!(lang, "step-pause", client = *client, ms = *ms),
            Step::Connect { client, expect } => {
                let id = match expect {
                    Connects::AtOnce => "step-connect",
                    Connects::Waits => "step-connect-waits",
                    Connects::Refused => "step-connect-refused",
                };
                tr!(lang, id, client = *client)
            }
            Step::Quit { client } => tr!(lang, "step-quit", client = *client),
        }
    }
}

/// How a `connect` step expects the connect to go (`connect = "ok"`,
/// `"waits"` or `"refused"` in a scenario file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connects {
    /// It returns at once: the kernel completes the handshake and queues the
    /// connection for `accept`, whether or not the server is accepting.
    AtOnce,
    /// It waits: the server's listen queue is full, the kernel drops the SYN,
    /// and the connect returns only when a retried SYN finds room. The
    /// client's next step waits for it.
    Waits,
    /// It is refused: nothing listens any more.
    Refused,
}

/// The verdict each reader should come out with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The naive reader.
    pub naive: Verdict,
    /// The exact reader.
    pub exact: Verdict,
    /// The line reader.
    pub line: Verdict,
    /// The length reader.
    pub length: Verdict,
    /// The book's fix (`book`). Optional in a file: without it, the same
    /// as `exact`, which it matches unless the stream ends mid-reply, a read
    /// brings more than the reply, or a reply outgrows the buffer.
    pub book: Option<Verdict>,
}

impl Default for Expect {
    fn default() -> Self {
        Expect {
            naive: Verdict::Intact,
            exact: Verdict::Intact,
            line: Verdict::Intact,
            length: Verdict::Intact,
            book: None,
        }
    }
}

impl Expect {
    /// The verdict expected of `reader`.
    pub fn of(&self, reader: ReaderKind) -> Verdict {
        match reader {
            ReaderKind::Naive => self.naive,
            ReaderKind::Exact => self.exact,
            ReaderKind::Line => self.line,
            ReaderKind::Length => self.length,
            ReaderKind::Book => self.book.unwrap_or(self.exact),
        }
    }
}

/// A scenario: settings, a script and the expected verdicts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scenario {
    /// Short name (the file name without `.toml`).
    pub name: String,
    /// The lesson in one line.
    pub lesson: String,
    /// What happens, in a few sentences.
    pub description: String,
    /// What to point at on screen while it runs.
    pub point_at: String,
    /// The lesson, description and what to point at in Korean, when the
    /// scenario gives them (its `[ko]` table).
    pub ko: Option<Texts>,
    /// The server's settings.
    pub server: ServerSettings,
    /// The clients' settings.
    pub client: ClientSettings,
    /// The client script.
    pub steps: Vec<Step>,
    /// The verdict expected of each reader.
    pub expect: Expect,
    /// Shaping switches over the server's keys (`tcp-boundary run NAME
    /// --chunk 3`): empty unless the command line gives some.
    pub shape_override: ShapeSpec,
    /// The program that plays the client (`tcp-boundary run NAME --client
    /// book-c`): ours unless the command line says otherwise.
    pub client_program: SideProgram,
    /// The program that plays the server (`--server book-c`).
    pub server_program: SideProgram,
}

/// The program that plays one side of a scenario.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SideProgram {
    /// Ours, in Rust: our client, with each reader; our server, the book's
    /// loop.
    #[default]
    Ours,
    /// The book's own program, `book/echo_client.c` (its one `read(sock,
    /// message, BUF_SIZE - 1)` a message is the naive reader) or
    /// `book/echo_server.c`, compiled with the system's C compiler, run
    /// traced and conducted.
    BookC,
}

/// A bad scenario file or definition, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct ScenarioError {
    /// The file (or `<name>` for built-in and in-code scenarios).
    pub origin: String,
    /// The line the problem is on, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}
