//! Named scenarios: one lesson each, run on real sockets, the same way every run.
//!
//! A scenario sets up the echo server (the same knobs as `echo-server`), scripts
//! one or more clients, and says what each reader should come out with. The
//! runner starts the server on an ephemeral loopback port, plays the script with
//! the reader asked for, and returns a [`Report`]: the timeline of every write and
//! read, each round's message and reply, and a [`Verdict`].
//!
//! Server and client run in one process under a [`Conductor`], which fixes the
//! order of their calls: see [`crate::conductor`] for why that makes every run the
//! same.
//!
//! ```
//! use tcp_boundary::reader::ReaderKind;
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
//! use tcp_boundary::reader::ReaderKind;
//! use tcp_boundary::scenario::{Scenario, Step, Verdict};
//!
//! let mut s = Scenario::default();
//! s.server.chunk = Some(2);
//! s.server.chunk_delay_ms = 10;
//! s.steps = vec![Step::Send { client: 1, messages: vec![b"ping\n".to_vec()] }];
//! let report = s.run(ReaderKind::Line, None).unwrap();
//! assert_eq!(report.verdict, Verdict::Intact);
//! assert_eq!(report.rounds[0].received.as_deref(), Some(&b"ping\n"[..]));
//! ```

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::io::{self, Read};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::client::{ClientConfig, ClientError, Session};
use crate::conductor::{Actor, Conducted, ConductedListener, Conductor, NoteWriter, Stalled};
use crate::escape::escape;
use crate::fragment::{ChunkRange, FragmentPlan};
use crate::net::{self, SocketOptions};
use crate::reader::{ReadError, ReaderKind};
use crate::server::{self, ServerConfig};
use crate::trace::{Event, Side, What};
use crate::transport::Transport;

/// The largest message a scenario may send. Every write must fit in the socket
/// buffers at once, because the reader only runs when the writer has stopped.
pub const MAX_MESSAGE: usize = 16 * 1024;

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

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Intact => "intact",
            Verdict::Broken => "broken",
            Verdict::Detected => "detected",
        })
    }
}

/// The server side of a scenario: the same knobs as `echo-server`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// Clients to serve before exiting (0: until the script ends).
    pub clients: usize,
    /// Read buffer size.
    pub buffer_size: usize,
    /// TCP_NODELAY on accepted sockets.
    pub nodelay: bool,
    /// SO_SNDBUF to ask for.
    pub send_buffer: Option<usize>,
    /// SO_RCVBUF to ask for.
    pub recv_buffer: Option<usize>,
    /// Cut each echo into pieces of at most this many bytes.
    pub chunk: Option<usize>,
    /// Pause after each piece.
    pub chunk_delay_ms: u64,
    /// Random piece sizes, `"MIN-MAX"`.
    pub random_chunks: Option<ChunkRange>,
    /// Draw each pause between 0 and `chunk_delay_ms`.
    pub random_pauses: bool,
    /// Seed for the random cuts and pauses.
    pub seed: Option<u64>,
    /// Read late: let the client's writes pile up before each read.
    pub read_delay_ms: u64,
    /// Close a connection after echoing this many bytes to it.
    pub cut_after: Option<u64>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            clients: 1,
            buffer_size: 1024,
            nodelay: false,
            send_buffer: None,
            recv_buffer: None,
            chunk: None,
            chunk_delay_ms: 0,
            random_chunks: None,
            random_pauses: false,
            seed: None,
            read_delay_ms: 0,
            cut_after: None,
        }
    }
}

/// The client side's settings, shared by every client of the script.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClientSettings {
    /// Read buffer size: the most one read returns.
    pub buffer_size: usize,
    /// TCP_NODELAY.
    pub nodelay: bool,
    /// SO_SNDBUF to ask for.
    pub send_buffer: Option<usize>,
    /// SO_RCVBUF to ask for.
    pub recv_buffer: Option<usize>,
    /// Send each message in writes of at most this many bytes.
    pub write_chunk: Option<usize>,
    /// Pause after each of those writes.
    pub write_delay_ms: u64,
}

impl Default for ClientSettings {
    fn default() -> Self {
        ClientSettings {
            buffer_size: 1024,
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
    /// Connect, and say whether the connection should be refused.
    Connect {
        /// Which client.
        client: usize,
        /// True if the connect is expected to be refused.
        refused: bool,
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
    pub fn describe(&self) -> String {
        let list = |m: &[Vec<u8>]| {
            m.iter()
                .map(|m| {
                    if m.len() > 40 {
                        format!("'{}…' ({} bytes)", escape(&m[..24]), m.len())
                    } else {
                        format!("'{}'", escape(m))
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Step::Send { client, messages } => {
                format!(
                    "client {client} sends {} and reads the replies",
                    list(messages)
                )
            }
            Step::Write { client, messages } => {
                format!(
                    "client {client} writes {} (replies read later)",
                    list(messages)
                )
            }
            Step::Read { client } => format!("client {client} reads the replies it is owed"),
            Step::Pause { client, ms } => format!("client {client} waits {ms} ms"),
            Step::Connect { client, refused } => format!(
                "client {client} connects{}",
                if *refused {
                    ", expecting to be refused"
                } else {
                    ""
                }
            ),
            Step::Quit { client } => format!("client {client} quits"),
        }
    }
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
}

impl Default for Expect {
    fn default() -> Self {
        Expect {
            naive: Verdict::Intact,
            exact: Verdict::Intact,
            line: Verdict::Intact,
            length: Verdict::Intact,
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
    /// The server's settings.
    pub server: ServerSettings,
    /// The clients' settings.
    pub client: ClientSettings,
    /// The client script.
    pub steps: Vec<Step>,
    /// The verdict expected of each reader.
    pub expect: Expect,
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

// ---------------------------------------------------------------------------
// The file format
// ---------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    lesson: String,
    description: String,
    #[serde(default)]
    point_at: String,
    server: Option<toml::Spanned<ServerSettings>>,
    client: Option<toml::Spanned<ClientSettings>>,
    step: Vec<toml::Spanned<StepFile>>,
    expect: Expect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StepFile {
    client: Option<usize>,
    send: Option<Vec<MessageFile>>,
    write: Option<Vec<MessageFile>>,
    read: Option<bool>,
    pause_ms: Option<u64>,
    connect: Option<ConnectFile>,
    quit: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
enum ConnectFile {
    Ok,
    Refused,
}

/// A message: a string, or `{ pattern = "…", size = N }` for a long one (the
/// pattern repeated to `size - 1` bytes, then a newline).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum MessageFile {
    Text(String),
    Filled { pattern: String, size: usize },
}

impl<'de> Deserialize<'de> for ChunkRange {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

fn line_at(src: &str, offset: usize) -> usize {
    src[..offset.min(src.len())].matches('\n').count() + 1
}

impl Scenario {
    /// Parse a scenario from TOML text. `origin` names it in errors (a path).
    pub fn parse(name: &str, origin: &str, src: &str) -> Result<Scenario, ScenarioError> {
        let err = |line: Option<usize>, message: String| ScenarioError {
            origin: origin.to_string(),
            line,
            message,
        };
        let file: File = toml::from_str(src).map_err(|e| {
            let line = e.span().map(|s| line_at(src, s.start));
            err(line, e.message().trim().to_string())
        })?;
        let section_line = |span: std::ops::Range<usize>| Some(line_at(src, span.start));

        let server_line = file.server.as_ref().and_then(|s| section_line(s.span()));
        let client_line = file.client.as_ref().and_then(|c| section_line(c.span()));
        let mut steps = Vec::new();
        for spanned in &file.step {
            let line = section_line(spanned.span());
            let step = step_from_file(spanned.get_ref()).map_err(|m| err(line, m))?;
            steps.push((step, line));
        }
        let scenario = Scenario {
            name: name.to_string(),
            lesson: file.lesson.trim().to_string(),
            description: file.description.trim().to_string(),
            point_at: file.point_at.trim().to_string(),
            server: file.server.map(|s| s.into_inner()).unwrap_or_default(),
            client: file.client.map(|c| c.into_inner()).unwrap_or_default(),
            steps: steps.iter().map(|(s, _)| s.clone()).collect(),
            expect: file.expect,
        };
        scenario.check().map_err(|(place, message)| {
            let line = match place {
                Place::Top => None,
                Place::Server => server_line,
                Place::Client => client_line,
                Place::Step(i) => steps.get(i).and_then(|(_, l)| *l),
            };
            err(line, message)
        })?;
        Ok(scenario)
    }

    /// Load a scenario file; its name is the file name without `.toml`.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let origin = path.display().to_string();
        let src = std::fs::read_to_string(path).map_err(|e| ScenarioError {
            origin: origin.clone(),
            line: None,
            message: format!("cannot read the file: {e}"),
        })?;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Scenario::parse(&name, &origin, &src)
    }

    /// The scenarios shipped in `scenarios/` (built into the binary), in
    /// teaching order.
    pub fn builtins() -> Vec<Scenario> {
        BUILTIN
            .iter()
            .map(|(name, src)| {
                Scenario::parse(name, &format!("scenarios/{name}.toml"), src)
                    .expect("shipped scenarios are valid (tested)")
            })
            .collect()
    }

    /// A shipped scenario by name.
    pub fn builtin(name: &str) -> Option<Scenario> {
        Scenario::builtins().into_iter().find(|s| s.name == name)
    }

    /// Check a scenario (loaded or built in code) for values that cannot run.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        self.check().map_err(|(_, message)| ScenarioError {
            origin: format!("<{}>", self.name),
            line: None,
            message,
        })
    }

    fn check(&self) -> Result<(), (Place, String)> {
        let s = &self.server;
        let c = &self.client;
        let server = |m: &str| Err((Place::Server, format!("[server] {m}")));
        let client = |m: &str| Err((Place::Client, format!("[client] {m}")));
        if s.buffer_size == 0 {
            return server("buffer_size must be at least 1");
        }
        if s.chunk == Some(0) {
            return server("chunk must be at least 1");
        }
        if s.chunk.is_some() && s.random_chunks.is_some() {
            return server("chunk and random_chunks cannot be used together");
        }
        if s.random_pauses && s.chunk_delay_ms == 0 {
            return server("random_pauses needs chunk_delay_ms (the longest pause)");
        }
        let random = s.random_chunks.is_some() || s.random_pauses;
        if random && s.seed.is_none() {
            return server("random cuts or pauses need a seed, so that every run is the same");
        }
        if !random && s.seed.is_some() {
            return server("seed is only used with random_chunks or random_pauses");
        }
        if s.send_buffer == Some(0) || s.recv_buffer == Some(0) {
            return server("buffer sizes must be at least 1");
        }
        if c.buffer_size == 0 {
            return client("buffer_size must be at least 1");
        }
        if c.write_chunk == Some(0) {
            return client("write_chunk must be at least 1");
        }
        if c.send_buffer == Some(0) || c.recv_buffer == Some(0) {
            return client("buffer sizes must be at least 1");
        }
        if self.steps.is_empty() {
            return Err((Place::Top, "a scenario needs at least one [[step]]".into()));
        }
        // Walk the script as the runner will, to catch steps that cannot happen.
        let mut owed: BTreeMap<usize, usize> = BTreeMap::new();
        let mut gone: Vec<usize> = Vec::new();
        for (i, step) in self.steps.iter().enumerate() {
            let at = |m: String| Err((Place::Step(i), m));
            let k = step.client();
            if k == 0 {
                return at("client numbers start at 1".into());
            }
            if gone.contains(&k) {
                return at(format!("client {k} has already quit (or was refused)"));
            }
            match step {
                Step::Send { messages, .. } | Step::Write { messages, .. } => {
                    if messages.is_empty() {
                        return at("a step must send at least one message".into());
                    }
                    for m in messages {
                        check_message(m).or_else(&at)?;
                    }
                    if matches!(step, Step::Write { .. }) {
                        *owed.entry(k).or_default() += messages.len();
                    }
                }
                Step::Read { .. } => {
                    if owed.remove(&k).unwrap_or(0) == 0 {
                        return at(format!("client {k} is owed no reply to read"));
                    }
                }
                Step::Pause { ms, .. } if *ms > 10_000 => {
                    return at("pause_ms is at most 10000".into());
                }
                Step::Pause { .. } => {}
                Step::Connect { refused, .. } => {
                    if *refused {
                        gone.push(k);
                    }
                }
                Step::Quit { .. } => gone.push(k),
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy)]
enum Place {
    Top,
    Server,
    Client,
    Step(usize),
}

fn check_message(m: &[u8]) -> Result<(), String> {
    if m.last() != Some(&b'\n') || m[..m.len() - 1].contains(&b'\n') {
        return Err(format!(
            "message '{}' must end with a newline and hold no other, so that every \
             reader (line included) sends the same bytes",
            escape(m)
        ));
    }
    if m.len() > MAX_MESSAGE {
        return Err(format!(
            "a message of {} bytes is over the limit of {MAX_MESSAGE}",
            m.len()
        ));
    }
    Ok(())
}

fn step_from_file(f: &StepFile) -> Result<Step, String> {
    let client = f.client.unwrap_or(1);
    let messages = |list: &[MessageFile]| -> Result<Vec<Vec<u8>>, String> {
        list.iter()
            .map(|m| match m {
                MessageFile::Text(t) => Ok(t.as_bytes().to_vec()),
                MessageFile::Filled { pattern, size } => {
                    if pattern.is_empty() || *size < 2 {
                        return Err(
                            "a filled message needs a pattern and a size of 2 or more".into()
                        );
                    }
                    let mut bytes: Vec<u8> = pattern.bytes().cycle().take(size - 1).collect();
                    bytes.push(b'\n');
                    Ok(bytes)
                }
            })
            .collect()
    };
    let mut actions = Vec::new();
    if let Some(list) = &f.send {
        actions.push(Step::Send {
            client,
            messages: messages(list)?,
        });
    }
    if let Some(list) = &f.write {
        actions.push(Step::Write {
            client,
            messages: messages(list)?,
        });
    }
    if f.read == Some(true) {
        actions.push(Step::Read { client });
    }
    if let Some(ms) = f.pause_ms {
        actions.push(Step::Pause { client, ms });
    }
    if let Some(c) = &f.connect {
        actions.push(Step::Connect {
            client,
            refused: matches!(c, ConnectFile::Refused),
        });
    }
    if f.quit == Some(true) {
        actions.push(Step::Quit { client });
    }
    match actions.len() {
        1 => Ok(actions.pop().expect("one action")),
        0 => Err("a step needs one action: send, write, read, pause_ms, connect or quit".into()),
        _ => {
            Err("a step takes only one action: send, write, read, pause_ms, connect or quit".into())
        }
    }
}

/// The shipped scenarios, in teaching order.
pub const BUILTIN: &[(&str, &str)] = &[
    ("classic", include_str!("../scenarios/classic.toml")),
    (
        "five-clients",
        include_str!("../scenarios/five-clients.toml"),
    ),
    (
        "queued-client",
        include_str!("../scenarios/queued-client.toml"),
    ),
    (
        "partial-read",
        include_str!("../scenarios/partial-read.toml"),
    ),
    ("coalesced", include_str!("../scenarios/coalesced.toml")),
    (
        "large-message",
        include_str!("../scenarios/large-message.toml"),
    ),
    ("out-of-step", include_str!("../scenarios/out-of-step.toml")),
    (
        "random-slices",
        include_str!("../scenarios/random-slices.toml"),
    ),
    (
        "cut-mid-message",
        include_str!("../scenarios/cut-mid-message.toml"),
    ),
];

// ---------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------

/// How one round (one message and its reply) went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome", content = "detail")]
pub enum Outcome {
    /// The reply equals the message.
    Intact,
    /// The reader returned something else as the reply.
    Wrong,
    /// The reader would have waited forever.
    Stalled,
    /// The reader reported that the peer closed mid-message.
    ClosedMidMessage,
    /// The peer closed the connection before the reply.
    Closed,
    /// Another error.
    Failed(String),
}

/// One message and the reply the reader came back with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Round {
    /// Which client.
    pub client: usize,
    /// The round's number for that client.
    pub round: usize,
    /// The message sent.
    #[serde(serialize_with = "ser_bytes")]
    pub sent: Vec<u8>,
    /// The reply as the reader returned it.
    #[serde(serialize_with = "ser_opt_bytes")]
    pub received: Option<Vec<u8>>,
    /// How it went.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Milliseconds from the message's write to its reply.
    pub waited_ms: u64,
}

fn ser_bytes<S: serde::Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&escape(b))
}

fn ser_opt_bytes<S: serde::Serializer>(b: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
    match b {
        Some(b) => s.serialize_str(&escape(b)),
        None => s.serialize_none(),
    }
}

/// Something the scenario asserts besides the replies (a refused connection, the
/// order in which clients were served).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was checked, and what was found.
    pub what: String,
    /// Whether it held.
    pub ok: bool,
}

/// Everything one run of a scenario with one reader produced.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The scenario's name.
    pub scenario: String,
    /// The reader used.
    pub reader: ReaderKind,
    /// The seed of the random cuts and pauses, if any.
    pub seed: Option<u64>,
    /// Socket buffer sizes asked for and granted.
    pub buffers: Vec<String>,
    /// Every call, in order.
    pub timeline: Vec<Event>,
    /// Each message and its reply.
    pub rounds: Vec<Round>,
    /// Other checks.
    pub checks: Vec<Check>,
    /// How the reader came out.
    pub verdict: Verdict,
    /// How it was expected to come out.
    pub expected: Verdict,
    /// Verdict as expected and every check held.
    pub as_expected: bool,
}

impl Report {
    /// The timeline without anything that varies between runs: what a test
    /// compares to prove two runs the same.
    pub fn shape(&self) -> Vec<(Side, What)> {
        self.timeline
            .iter()
            .map(|e| (e.side, e.what.clone()))
            .collect()
    }
}

/// The counts of [`Scenario::repeat`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Repetition {
    /// The scenario's name.
    pub scenario: String,
    /// The reader.
    pub reader: ReaderKind,
    /// Runs made.
    pub runs: usize,
    /// Runs whose verdict and checks were as expected.
    pub as_expected: usize,
    /// Runs whose timeline was the same as the first run's.
    pub same_timeline: usize,
}

impl Repetition {
    /// Every run as expected and alike.
    pub fn perfect(&self) -> bool {
        self.as_expected == self.runs && self.same_timeline == self.runs
    }
}

/// A run that could not be carried out (the machine, not the lesson, failed).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The scenario does not validate.
    #[error(transparent)]
    Invalid(#[from] ScenarioError),
    /// The loopback listener could not be set up.
    #[error("cannot start the server on loopback: {0}")]
    Listen(io::Error),
    /// The server thread panicked.
    #[error("the server side of the run failed: {0}")]
    Server(String),
}

impl Scenario {
    /// The server configuration this scenario runs with (`seed` overrides the
    /// file's seed).
    pub fn server_config(&self, seed: Option<u64>) -> ServerConfig {
        let s = &self.server;
        let plan = FragmentPlan {
            cuts: match (s.chunk, s.random_chunks) {
                (Some(n), _) => crate::fragment::Cuts::Fixed(n),
                (None, Some(r)) => crate::fragment::Cuts::Random(r),
                (None, None) => crate::fragment::Cuts::Whole,
            },
            delay: Duration::from_millis(s.chunk_delay_ms),
            random_pauses: s.random_pauses,
            seed: seed.or(s.seed).unwrap_or(0),
        };
        ServerConfig {
            clients: s.clients,
            buffer_size: s.buffer_size,
            socket: SocketOptions {
                nodelay: s.nodelay,
                send_buffer: s.send_buffer,
                recv_buffer: s.recv_buffer,
            },
            fragment: plan,
            read_delay: Duration::from_millis(s.read_delay_ms),
            idle_timeout: None,
            cut_after: s.cut_after,
            quiet: true,
        }
    }

    fn client_config(&self, reader: ReaderKind) -> (ClientConfig, SocketOptions) {
        let c = &self.client;
        let plan = FragmentPlan {
            cuts: match c.write_chunk {
                Some(n) => crate::fragment::Cuts::Fixed(n),
                None => crate::fragment::Cuts::Whole,
            },
            delay: Duration::from_millis(c.write_delay_ms),
            ..FragmentPlan::default()
        };
        (
            ClientConfig {
                reader,
                buffer_size: c.buffer_size,
                write_plan: plan,
                ..ClientConfig::default()
            },
            SocketOptions {
                nodelay: c.nodelay,
                send_buffer: c.send_buffer,
                recv_buffer: c.recv_buffer,
            },
        )
    }

    /// The seed a run uses, if the scenario draws anything at random.
    pub fn effective_seed(&self, seed: Option<u64>) -> Option<u64> {
        self.server_config(seed)
            .fragment
            .is_random()
            .then(|| seed.or(self.server.seed).unwrap_or(0))
    }

    /// Run the scenario once with `reader`. `seed` overrides a random scenario's
    /// seed. Server and client share one process and real loopback sockets.
    pub fn run(&self, reader: ReaderKind, seed: Option<u64>) -> Result<Report, RunError> {
        self.validate()?;
        let config = self.server_config(seed);
        let addr: SocketAddr = ([127, 0, 0, 1], 0).into();
        let (listener, server_sizes) =
            net::listen(addr, 5, &config.socket).map_err(RunError::Listen)?;
        let addr = listener.local_addr().map_err(RunError::Listen)?;
        let conductor = Arc::new(Conductor::new());

        let server = {
            let conductor = conductor.clone();
            let config = config.clone();
            thread::spawn(move || serve_conducted(listener, conductor, &config))
        };

        let (client_config, client_opts) = self.client_config(reader);
        let mut clients = Clients {
            conductor: conductor.clone(),
            addr,
            config: client_config,
            opts: client_opts,
            open: BTreeMap::new(),
            rounds: Vec::new(),
            checks: Vec::new(),
            buffers: Vec::new(),
        };
        if conductor.begin(Actor::Client).is_ok() {
            for step in &self.steps {
                clients.step(step);
            }
        }
        clients.quit_all();
        conductor.finish(Actor::Client);

        match server.join() {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => clients.checks.push(Check {
                what: format!("the server failed: {e}"),
                ok: false,
            }),
            Err(_) => return Err(RunError::Server("the server thread panicked".into())),
        }

        let timeline = conductor.events();
        let mut checks = clients.checks;
        checks.extend(served_in_turn(&timeline));
        let verdict = verdict_of(&clients.rounds);
        let expected = self.expect.of(reader);
        let mut buffers: Vec<String> = server_sizes
            .lines()
            .into_iter()
            .map(|l| format!("server {l}"))
            .collect();
        buffers.extend(clients.buffers);
        Ok(Report {
            scenario: self.name.clone(),
            reader,
            seed: self.effective_seed(seed),
            buffers,
            as_expected: verdict == expected && checks.iter().all(|c| c.ok),
            timeline,
            rounds: clients.rounds,
            checks,
            verdict,
            expected,
        })
    }

    /// Run the scenario `times` times with `reader` and count how many runs came
    /// out as expected and how many had exactly the first run's timeline.
    pub fn repeat(
        &self,
        reader: ReaderKind,
        seed: Option<u64>,
        times: usize,
    ) -> Result<Repetition, RunError> {
        let first = self.run(reader, seed)?;
        let shape = first.shape();
        let mut rep = Repetition {
            scenario: self.name.clone(),
            reader,
            runs: 1,
            as_expected: usize::from(first.as_expected),
            same_timeline: 1,
        };
        for _ in 1..times {
            let report = self.run(reader, seed)?;
            rep.runs += 1;
            rep.as_expected += usize::from(report.as_expected);
            rep.same_timeline += usize::from(report.shape() == shape);
        }
        Ok(rep)
    }

    /// Run the scenario once with each reader, the naive one first.
    pub fn run_all_readers(&self, seed: Option<u64>) -> Result<Vec<Report>, RunError> {
        ReaderKind::ALL.iter().map(|&r| self.run(r, seed)).collect()
    }
}

fn serve_conducted(
    listener: TcpListener,
    conductor: Arc<Conductor>,
    config: &ServerConfig,
) -> io::Result<server::ServeSummary> {
    /// Hands the baton on however the server ends, so the client never waits
    /// for a server that is gone.
    struct Finish(Arc<Conductor>);
    impl Drop for Finish {
        fn drop(&mut self) {
            self.0.finish(Actor::Server);
        }
    }
    let _finish = Finish(conductor.clone());
    let mut log = NoteWriter::new(conductor.clone(), Side::Server);
    let acceptor = ConductedListener::new(listener, conductor);
    // `serve` drops the acceptor (and so closes the listening socket) before it
    // returns, and only then does `_finish` let the client go on: a client that
    // connects after that is refused, as with the real server.
    server::serve(acceptor, config, &mut io::sink(), &mut log)
}

struct Pending {
    message: Vec<u8>,
    wire_len: usize,
    sent_at: Instant,
}

struct Client {
    session: Session<Conducted>,
    owed: VecDeque<Pending>,
    rounds: usize,
}

struct Clients {
    conductor: Arc<Conductor>,
    addr: SocketAddr,
    config: ClientConfig,
    opts: SocketOptions,
    open: BTreeMap<usize, Client>,
    rounds: Vec<Round>,
    checks: Vec<Check>,
    buffers: Vec<String>,
}

impl Clients {
    fn note(&self, k: usize, text: String, bad: bool) {
        self.conductor
            .note(Side::Client(k), What::Note { text, bad });
    }

    /// The open client `k`, connecting it first if needed.
    fn client(&mut self, k: usize) -> Option<&mut Client> {
        if !self.open.contains_key(&k) {
            match self.conductor.connect(self.addr, &self.opts, k) {
                Ok((stream, sizes)) => {
                    if k == 1 {
                        self.buffers
                            .extend(sizes.lines().into_iter().map(|l| format!("client {l}")));
                    }
                    let session = Session::new(stream, &self.config);
                    self.open.insert(
                        k,
                        Client {
                            session,
                            owed: VecDeque::new(),
                            rounds: 0,
                        },
                    );
                }
                Err(e) => {
                    self.checks.push(Check {
                        what: format!("client {k} could not connect: {e}"),
                        ok: false,
                    });
                    return None;
                }
            }
        }
        self.open.get_mut(&k)
    }

    fn step(&mut self, step: &Step) {
        match step {
            Step::Send { client, messages } => {
                self.write(*client, messages);
                self.read(*client);
            }
            Step::Write { client, messages } => self.write(*client, messages),
            Step::Read { client } => self.read(*client),
            Step::Pause { client, ms } => {
                if self.open.contains_key(client) {
                    self.note(*client, format!("(waits {ms} ms)"), false);
                }
                thread::sleep(Duration::from_millis(*ms));
            }
            Step::Connect { client, refused } => self.connect(*client, *refused),
            Step::Quit { client } => self.quit(*client),
        }
    }

    fn connect(&mut self, k: usize, expect_refused: bool) {
        if !expect_refused {
            self.client(k);
            return;
        }
        match self.conductor.connect(self.addr, &self.opts, k) {
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => self.checks.push(Check {
                what: format!("client {k} was refused: nothing listens any more"),
                ok: true,
            }),
            Err(e) => self.checks.push(Check {
                what: format!("client {k} should have been refused, but: {e}"),
                ok: false,
            }),
            Ok(_connected) => {
                self.checks.push(Check {
                    what: format!("client {k} should have been refused, but it connected"),
                    ok: false,
                });
            }
        }
    }

    fn write(&mut self, k: usize, messages: &[Vec<u8>]) {
        let mut failed = Vec::new();
        if let Some(c) = self.client(k) {
            for m in messages {
                match c.session.send(m) {
                    Ok(wire_len) => c.owed.push_back(Pending {
                        message: m.clone(),
                        wire_len,
                        sent_at: Instant::now(),
                    }),
                    Err(e) => {
                        c.rounds += 1;
                        failed.push((c.rounds, m.clone(), e));
                    }
                }
            }
        }
        for (round, m, e) in failed {
            self.note(k, format!("✗ round {round}: {e}"), true);
            self.rounds.push(Round {
                client: k,
                round,
                sent: m,
                received: None,
                outcome: Outcome::Failed(e.to_string()),
                waited_ms: 0,
            });
        }
    }

    fn read(&mut self, k: usize) {
        let Some(c) = self.open.get_mut(&k) else {
            return;
        };
        let mut done = Vec::new();
        while let Some(p) = c.owed.pop_front() {
            c.rounds += 1;
            let result = c.session.receive(p.wire_len);
            let waited_ms = p.sent_at.elapsed().as_millis() as u64;
            let (received, outcome) = match result {
                Ok(got) if got == p.message => (Some(got), Outcome::Intact),
                Ok(got) => (Some(got), Outcome::Wrong),
                Err(ReadError::Io(e)) if Stalled::is(&e) => (None, Outcome::Stalled),
                Err(ReadError::ClosedMidMessage { .. }) => (None, Outcome::ClosedMidMessage),
                Err(ReadError::Closed) => (None, Outcome::Closed),
                Err(e) => (None, Outcome::Failed(ClientError::from(e).to_string())),
            };
            done.push(Round {
                client: k,
                round: c.rounds,
                sent: p.message,
                received,
                outcome,
                waited_ms,
            });
        }
        for r in done {
            let what = match (&r.received, &r.outcome) {
                (Some(got), o) => What::Reply {
                    round: r.round,
                    ok: *o == Outcome::Intact,
                    got: got.clone(),
                    sent: r.sent.clone(),
                },
                (None, Outcome::Stalled) => What::Note {
                    text: format!("✗ reply {}: would wait forever", r.round),
                    bad: true,
                },
                (None, Outcome::ClosedMidMessage) => What::Note {
                    text: format!("! reply {}: peer closed mid-message", r.round),
                    bad: false,
                },
                (None, o) => What::Note {
                    text: format!("! reply {}: {}", r.round, outcome_words(o)),
                    bad: false,
                },
            };
            self.conductor.note(Side::Client(k), what);
            self.rounds.push(r);
        }
    }

    /// Shut down the write side, read whatever is still on its way (the naive
    /// reader leaves bytes behind), then close.
    fn quit(&mut self, k: usize) {
        let Some(mut c) = self.open.remove(&k) else {
            return;
        };
        if !c.owed.is_empty() {
            self.open.insert(k, c);
            self.read(k);
            c = self.open.remove(&k).expect("just put back");
        }
        let stream = c.session.stream_mut();
        if stream.close_write().is_err() {
            return;
        }
        let mut left = Vec::new();
        let mut buf = [0u8; 4096];
        // Bounded: the server closes once it has read our FIN.
        for _ in 0..10_000 {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => left.extend_from_slice(&buf[..n]),
            }
        }
        if !left.is_empty() {
            self.note(
                k,
                format!("{} bytes left unread when the client quit", left.len()),
                false,
            );
        }
    }

    fn quit_all(&mut self) {
        let open: Vec<usize> = self.open.keys().copied().collect();
        for k in open {
            self.quit(k);
        }
    }
}

fn outcome_words(o: &Outcome) -> String {
    match o {
        Outcome::Intact => "intact".into(),
        Outcome::Wrong => "wrong reply".into(),
        Outcome::Stalled => "would wait forever".into(),
        Outcome::ClosedMidMessage => "peer closed mid-message".into(),
        Outcome::Closed => "peer closed the connection".into(),
        Outcome::Failed(e) => e.clone(),
    }
}

/// The verdict from a reader's rounds: any wrong reply or stall is broken; an
/// error without a wrong reply is an honest detection; otherwise intact.
pub fn verdict_of(rounds: &[Round]) -> Verdict {
    if rounds
        .iter()
        .any(|r| matches!(r.outcome, Outcome::Wrong | Outcome::Stalled))
    {
        Verdict::Broken
    } else if rounds.iter().all(|r| r.outcome == Outcome::Intact) {
        Verdict::Intact
    } else {
        Verdict::Detected
    }
}

/// With several clients: the iterative server accepted each one only after it had
/// closed the one before. Read off the real timeline.
fn served_in_turn(timeline: &[Event]) -> Vec<Check> {
    let mut checks = Vec::new();
    let mut open = false;
    let mut accepts = 0;
    for e in timeline.iter().filter(|e| e.side == Side::Server) {
        match e.what {
            What::Accept => {
                accepts += 1;
                if accepts > 1 {
                    checks.push(Check {
                        what: format!(
                            "client {accepts} was accepted only after the server closed client {}",
                            accepts - 1
                        ),
                        ok: !open,
                    });
                }
                open = true;
            }
            What::Close => open = false,
            _ => {}
        }
    }
    checks
}
