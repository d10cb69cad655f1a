//! `check`: run anyone's client under every shape of fragmentation, and say
//! which shape breaks it, with the command that breaks it again.
//!
//! A client that assumes one `read()` per message passes on a quiet loopback
//! and fails in production. `check` puts a reshaping [proxy](crate::tools::proxy)
//! between the client and an echo server (ours, or with `upstream` the user's
//! own server) and runs the client once per [`ShapeName`], from gentle to
//! hostile. The client's exit status is its verdict (or, for clients in the
//! book's style, what it prints: see [`StdinLines`]). Every run is seeded, so a
//! failure comes with a command line that reproduces it.
//!
//! Each shape is paced by its reader (see the proxy's `paced_by_reader`): a
//! piece waits until the receiver has read the last, so each piece is one
//! read, at the speed the receiver reads, and a run's cost does not grow with
//! the messages.
//!
//! - `client`: running the client (its process group, its terminal, its
//!   output in the order it came, the limits of a run).
//! - `echo`: the echo server a client is checked against.
//! - `judge`: pass or fail, and why; what the shape did, in words and data.
//! - [`server`]: `check --server`, where our client shapes the requests.
//! - [`quote`]: command lines a shell gives back byte for byte.
//! - [`report`]: the outcome as a table, JSON or JUnit XML.

mod client;
mod echo;
mod judge;
pub mod quote;
pub mod report;
pub mod server;

pub use client::end_client;
pub use judge::{describe_shaping, printed_replies, reply_is};

use std::io;
use std::net::{SocketAddr, TcpStream};

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::event::{Event, Side, What};
use crate::lang::Msg;
use crate::shape::fragment::ChunkRange;
use crate::shape::{Shape, ShapeSpec};
use crate::tools::proxy::{Proxy, ProxyConfig};

/// The longest a run may go without any byte moving (`--timeout`), in seconds.
pub const MAX_TIMEOUT_SECS: u64 = 3600;
/// The longest one run may take in all (`--run-limit`), in seconds.
pub const MAX_RUN_LIMIT_SECS: u64 = 86_400;
/// The longest stall of the stall shape (`--stall-ms`), in milliseconds.
pub const MAX_STALL_MS: u64 = 60_000;
/// The most seeds of the random shape (`--seeds`).
pub const MAX_SEEDS: u64 = 1000;
/// The most messages fed to a book-style client (`--message`).
pub const MAX_MESSAGES: usize = 100;
/// The longest message fed to a book-style client, in bytes.
pub const MAX_MESSAGE: usize = 64 * 1024;
/// How much of a client's output is kept, per stream: its last bytes.
pub const KEPT_OUTPUT: usize = 1 << 20;
/// The version of the JSON report's layout: it grows when a field changes
/// meaning or goes away.
pub const SCHEMA: u32 = 2;
/// How many pieces at each end of a buffer a shape cuts (see
/// [`FragmentPlan::edges`](crate::shape::fragment::FragmentPlan::edges)):
/// where messages start and end, their headers and their last bytes, are
/// cut as the shape says, and a large message's middle passes in one write,
/// so a run's cost does not grow with the size of the messages.
pub const EDGE_PIECES: usize = 64;
/// The messages a book-style client is given when none are named.
pub const DEFAULT_MESSAGES: [&str; 3] = [
    "hello, class",
    "TCP is a byte stream",
    "one write() is not one read()",
];
/// What a book-style client prints before each reply (the book's client).
pub const BOOK_PREFIX: &str = "Message from server : ";

/// The shapes, from gentle to hostile.
///
/// Every shape with pauses is paced by the reader: a pause ends as soon as
/// the receiver has read the piece before it (its kernel's receive queue is
/// empty), so each piece is one read, as fast as the receiver reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ShapeName {
    /// Passed on as it comes: a client that fails here is broken regardless.
    Whole,
    /// One byte per write, each read before the next is written.
    OneByte,
    /// Pieces of 3 bytes, each read before the next: partial reads.
    Pieces,
    /// Separate writes read late and passed on as one: coalescing.
    Merged,
    /// As through small socket buffers: a large message passed on 4 KiB at a
    /// time, each read before the next, so it arrives over many reads.
    SmallBuffers,
    /// Pieces of random sizes, 1-8 bytes, seeded, each read before the next.
    Random,
    /// Each reply held back half way until the first half is read (at most
    /// `--stall-ms`): a client that waits a while and then reads once gets
    /// half of it.
    Stall,
    /// The reply cut in the middle, then the connection closed: the client
    /// must fail, since taking half a reply for a whole one is the bug. For
    /// a server: a request cut half way and the connection closed; the
    /// server must go on answering new connections.
    Cut,
    /// Each request (servers) or each reply (clients) split once, at every
    /// byte in turn (`--at` for one split). Not among a client's shapes
    /// unless asked for: a client runs once per split point.
    Split,
    /// Servers: a second connection opened, its requests sent, while the
    /// first is mid-request.
    Concurrent,
}

impl ShapeName {
    /// Every shape, in order.
    pub const ALL: [ShapeName; 8] = [
        ShapeName::Whole,
        ShapeName::OneByte,
        ShapeName::Pieces,
        ShapeName::Merged,
        ShapeName::SmallBuffers,
        ShapeName::Random,
        ShapeName::Stall,
        ShapeName::Cut,
    ];

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ShapeName::Whole => "whole",
            ShapeName::OneByte => "one-byte",
            ShapeName::Pieces => "pieces",
            ShapeName::Merged => "merged",
            ShapeName::SmallBuffers => "small-buffers",
            ShapeName::Random => "random",
            ShapeName::Stall => "stall",
            ShapeName::Cut => "cut",
            ShapeName::Split => "split",
            ShapeName::Concurrent => "concurrent",
        }
    }

    /// True for the shape the client must fail.
    pub fn must_fail(self) -> bool {
        self == ShapeName::Cut
    }

    /// True for the shapes of replies only (server → client).
    pub fn replies_only(self) -> bool {
        matches!(self, ShapeName::Stall | ShapeName::Cut | ShapeName::Split)
    }

    /// The shaping switches of each direction: (server → client, client →
    /// server). `cut_after` is the cut shape's byte count. The stall is
    /// not a switch: see [`shapes`].
    pub fn specs(self, cut_after: u64) -> (ShapeSpec, ShapeSpec) {
        let both = |spec: ShapeSpec| (spec, spec);
        // The pauses are the longest a piece waits for its reader: a reader
        // that is reading takes it within microseconds.
        let paced = |chunk, random| ShapeSpec {
            chunk,
            random_chunks: random,
            chunk_delay_ms: Some(250),
            ..ShapeSpec::default()
        };
        match self {
            ShapeName::Whole | ShapeName::Stall | ShapeName::Split | ShapeName::Concurrent => {
                both(ShapeSpec::default())
            }
            ShapeName::OneByte => both(paced(Some(1), None)),
            ShapeName::Pieces => both(paced(Some(3), None)),
            ShapeName::Merged => both(ShapeSpec {
                read_delay_ms: Some(60),
                ..ShapeSpec::default()
            }),
            // Not the socket options themselves: windows that small make
            // loopback TCP wait on delayed acknowledgements (a 64 KiB echo
            // took seconds, 1 MiB over a minute), and how much one read gets
            // then depends on timing. Pieces of 4 KiB, each read before the
            // next, are what such buffers let through, on every run.
            ShapeName::SmallBuffers => both(paced(Some(4096), None)),
            ShapeName::Random => both(paced(None, Some(ChunkRange { min: 1, max: 8 }))),
            ShapeName::Cut => (
                ShapeSpec {
                    cut_after: Some(cut_after),
                    ..ShapeSpec::default()
                },
                ShapeSpec::default(),
            ),
        }
    }
}

impl std::fmt::Display for ShapeName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Which directions a run shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// Requests and replies.
    #[default]
    Both,
    /// Replies only (server → client): what the client's reads get.
    Down,
    /// Requests only (client → server): what the server's reads get.
    Up,
}

impl Direction {
    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Direction::Both => "both",
            Direction::Down => "down",
            Direction::Up => "up",
        }
    }
}

/// Whose reads a shape broke, found by shaping each direction alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Blame {
    /// Replies shaped alone break it: the client's reads.
    Client,
    /// Requests shaped alone break it: the server's reads.
    Server,
    /// Each direction alone breaks it, or only both together do.
    Both,
}

/// A client in the book's style: it reads lines from standard input, sends
/// each, and prints `PREFIX` + the reply; `q` quits. It is judged by what it
/// prints, not by its exit status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StdinLines {
    /// The messages, one per line (without the newline).
    pub messages: Vec<String>,
    /// What the client prints before each reply.
    pub prefix: String,
}

/// What to check and how.
#[derive(Debug, Clone)]
pub struct CheckConfig {
    /// The client: a program and its arguments, with `{addr}`, `{host}` and
    /// `{port}` replaced by the address to connect to.
    pub command: Vec<String>,
    /// The user's server; `None`: our echo server.
    pub upstream: Option<SocketAddr>,
    /// The runs: each shape with its seed (the random shape's).
    pub runs: Vec<(ShapeName, u64)>,
    /// Which directions are shaped.
    pub direction: Direction,
    /// How long a run may go with no byte moving either way (and the proxy
    /// holding nothing back) before the client counts as hung.
    pub timeout: Duration,
    /// The longest one run may take in all: a client still running then is
    /// too slow for the shape.
    pub run_limit: Duration,
    /// How long the stall shape holds a reply back.
    pub stall: Duration,
    /// Feed messages on standard input and judge the printed replies.
    pub stdin_lines: Option<StdinLines>,
    /// Where the cut shape cuts (bytes of the reply); `None`: half of the
    /// first reply, measured by a run without shaping.
    pub cut_after: Option<u64>,
    /// Where the split shape splits each reply; `None`: at every byte of the
    /// first reply in turn (its first and last 32 when it is longer).
    pub split_at: Option<u64>,
}

/// `--timeout`'s default, in seconds.
pub const DEFAULT_TIMEOUT_SECS: u64 = 5;
/// `--run-limit`'s default, in seconds.
pub const DEFAULT_RUN_LIMIT_SECS: u64 = 60;
/// `--stall-ms`'s default: longer than a client that frames by waiting
/// waits, short enough for a check to stay quick.
pub const DEFAULT_STALL_MS: u64 = 1000;
/// How many stalls' worth a direction waits in all for a receiver that
/// neither reads nor writes (see [`ProxyConfig::patience`]).
pub const PATIENCE_STALLS: u32 = 4;

impl CheckConfig {
    /// A check of `command` against our echo server, every shape, the
    /// limits at their defaults.
    pub fn new(command: Vec<String>) -> CheckConfig {
        CheckConfig {
            command,
            upstream: None,
            runs: CheckConfig::every_shape(3),
            direction: Direction::Both,
            timeout: Duration::from_secs(DEFAULT_TIMEOUT_SECS),
            run_limit: Duration::from_secs(DEFAULT_RUN_LIMIT_SECS),
            stall: Duration::from_millis(DEFAULT_STALL_MS),
            stdin_lines: None,
            cut_after: None,
            split_at: None,
        }
    }

    /// Every shape, the random one with seeds `1..=seeds`.
    pub fn every_shape(seeds: u64) -> Vec<(ShapeName, u64)> {
        with_seeds(&ShapeName::ALL, seeds)
    }
}

/// Each of `shapes` once, the random one with seeds `1..=seeds`.
pub(crate) fn with_seeds(shapes: &[ShapeName], seeds: u64) -> Vec<(ShapeName, u64)> {
    shapes
        .iter()
        .flat_map(|&s| match s {
            ShapeName::Random => (1..=seeds).map(|seed| (s, seed)).collect::<Vec<_>>(),
            _ => vec![(s, 0)],
        })
        .collect()
}

/// How a client's run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "ended", content = "code")]
pub enum Ended {
    /// It exited with this status.
    Exited(i32),
    /// This signal ended it.
    Signalled(i32),
    /// Still running at the end of the run: a server under test that
    /// served it.
    Running,
    /// Nothing moved either way for the timeout: killed.
    Hung,
    /// Still running at the run's limit, bytes still moving: killed.
    TooSlow,
}

/// A signal's name: `SIGSEGV`, or `signal 42` for one without a usual name.
pub fn signal_name(signal: i32) -> String {
    let name = match signal {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGUSR2 => "SIGUSR2",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        libc::SIGXCPU => "SIGXCPU",
        libc::SIGXFSZ => "SIGXFSZ",
        _ => return format!("signal {signal}"),
    };
    name.to_string()
}

/// One direction of a run's bytes: the sizes the proxy read and the sizes
/// it wrote (the first [`Flow::SHOWN`] of each), their counts, the bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Flow {
    /// Sizes of the proxy's reads from the sender, first ones.
    pub read: Vec<usize>,
    /// Sizes of the proxy's writes to the receiver: what the receiver's
    /// reads could get at most, first ones.
    pub written: Vec<usize>,
    /// How many reads.
    pub reads: usize,
    /// How many writes.
    pub writes: usize,
    /// Bytes passed on.
    pub bytes: u64,
}

impl Flow {
    /// How many sizes are kept.
    pub const SHOWN: usize = 64;
}

/// What the shape did to the first connection's bytes, as data.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Shaping {
    /// Client → server.
    pub requests: Flow,
    /// Server → client.
    pub replies: Flow,
}

/// One run of the client under one shape.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// The shape.
    pub shape: ShapeName,
    /// The seed (random shape only).
    pub seed: Option<u64>,
    /// Which directions were shaped.
    pub direction: Direction,
    /// Whether the client behaved as it must under this shape.
    pub passed: bool,
    /// Whose reads the shape broke (failed runs only; none when the failure
    /// is not the shape's, such as a client that never connected).
    pub blame: Option<Blame>,
    /// How the client ended.
    #[serde(flatten)]
    pub ended: Ended,
    /// The signal's name, when a signal ended it.
    pub signal: Option<String>,
    /// Why it passed or failed, in words.
    pub reason: Msg,
    /// Whose reads broke, in words.
    pub blamed: Option<Msg>,
    /// What the shape did to the bytes, in words.
    pub shaped: Vec<Msg>,
    /// What the shape did to the bytes, as data.
    pub shaping: Shaping,
    /// The client's last lines of output, standard output and error in the
    /// order they came (error lines marked).
    pub last_output: Vec<String>,
    /// How long the run took, in milliseconds.
    pub millis: u64,
    /// The command line that runs this shape again.
    pub reproduce: String,
}

/// A check's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Every shape as it must be.
    Pass,
    /// A shape broke the program.
    Fail,
}

/// The outcome of a check.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// [`SCHEMA`]: the layout of this report.
    pub schema: u32,
    /// Pass when every run is as it must be.
    pub verdict: Verdict,
    /// How many runs failed.
    pub failures: usize,
    /// The client's command.
    pub command: Vec<String>,
    /// What the client talked to.
    pub server: Msg,
    /// Which directions were shaped.
    pub direction: Direction,
    /// Each run, in order.
    pub runs: Vec<Run>,
}

impl CheckReport {
    /// The report of these runs: its verdict and failure count read off them.
    pub fn new(command: Vec<String>, server: Msg, direction: Direction, runs: Vec<Run>) -> Self {
        let failures = runs.iter().filter(|r| !r.passed).count();
        CheckReport {
            schema: SCHEMA,
            verdict: match failures {
                0 => Verdict::Pass,
                _ => Verdict::Fail,
            },
            failures,
            command,
            server,
            direction,
            runs,
        }
    }

    /// Every run as it must be.
    pub fn passed(&self) -> bool {
        self.runs.iter().all(|r| r.passed)
    }
}

/// What makes a check impossible to make, found before the first run: the
/// command cannot be found, the upstream server refuses. Exit code 3, not a
/// verdict.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CheckError(pub String);

/// Run the check. Errors are the check's (no such command, an upstream that
/// refuses, a port), not the client's: a client that fails is a failed
/// [`Run`].
pub fn check(config: &CheckConfig) -> Result<CheckReport, CheckError> {
    let error = |e: io::Error| CheckError(e.to_string());
    // Everything that can make the check impossible, before the first run.
    let program = config
        .command
        .first()
        .ok_or_else(|| CheckError("no command to check".into()))?;
    client::find_program(program).map_err(|e| CheckError(format!("cannot run {e}")))?;
    // The server: the user's, or our echo server (iterative, as the book's),
    // serving until the check ends.
    let ours = match config.upstream {
        Some(_) => None,
        None => Some(echo::Echo::start(config.timeout).map_err(error)?),
    };
    let to = match (&ours, config.upstream) {
        (Some(s), _) => s.addr,
        (None, Some(addr)) => addr,
        (None, None) => return Err(CheckError("no server to check against".into())),
    };
    if config.upstream.is_some() {
        TcpStream::connect_timeout(&to, Duration::from_secs(5)).map_err(|e| {
            CheckError(format!(
                "cannot connect to the upstream server {to}: {}",
                crate::event::describe_io(&e)
            ))
        })?;
    }
    // Where the cut falls: half of the first reply, as an unshaped run sees
    // it; and the split points of the sweep.
    let asks = |shape| config.runs.iter().any(|(s, _)| *s == shape);
    let needs_reply = (asks(ShapeName::Cut) && config.cut_after.is_none())
        || (asks(ShapeName::Split) && config.split_at.is_none());
    let mut reply = 0;
    if needs_reply {
        let (_, events) = run_once(config, to, ShapeName::Whole, 0, 0, Direction::Both)?;
        reply = first_reply(&events);
    }
    // The cut withholds the first reply's last byte: a reply short by one
    // byte is one every framing can tell (a length, a line's end, a body's
    // Content-Length), where a cut inside a header may not be.
    let cut_after = config.cut_after.or(Some(reply.saturating_sub(1)));
    let cut = cut_after.unwrap_or(0);
    let mut runs: Vec<Run> = Vec::new();
    for &(shape, seed) in &config.runs {
        // A shape of replies has nothing to shape when only requests are.
        if shape.replies_only() && config.direction == Direction::Up {
            continue;
        }
        if shape == ShapeName::Split {
            runs.push(sweep(config, to, reply)?);
            continue;
        }
        let (mut run, _) = run_once(config, to, shape, seed, cut, config.direction)?;
        // Broken without any shaping: no shape is to blame, and re-running
        // it one direction at a time would only take longer.
        let broken_anyway = runs
            .iter()
            .any(|r| r.shape == ShapeName::Whole && !r.passed);
        if !run.passed && !broken_anyway {
            run.blame = blame(config, to, &run, cut)?;
        }
        // The narrowest run that fails again: one direction, when one alone
        // was seen to break it.
        let direction = match (run.blame, config.direction, config.upstream) {
            (Some(Blame::Client), Direction::Both, Some(_)) if !shape.replies_only() => {
                Direction::Down
            }
            (Some(Blame::Server), Direction::Both, Some(_)) => Direction::Up,
            (_, d, _) => d,
        };
        run.blamed = run.blame.map(|b| blamed(b, config.upstream.is_some()));
        run.reproduce = reproduce(config, shape, seed, cut, direction);
        runs.push(run);
    }
    drop(ours);
    let server = match config.upstream {
        Some(addr) => Msg::new("chk-server-at").arg("addr", addr.to_string()),
        None => Msg::new("chk-server-ours"),
    };
    Ok(CheckReport::new(
        config.command.clone(),
        server,
        config.direction,
        runs,
    ))
}

/// The split points of a reply of `len` bytes: after each byte but the
/// last, or the first and last 32 of a longer one.
fn split_points(len: u64) -> Vec<u64> {
    match len {
        0..=65 => (1..len).collect(),
        _ => (1..=32).chain(len - 32..len).collect(),
    }
}

/// The split shape: the client once per split point, each reply split there;
/// one row, naming the first split point that breaks it.
fn sweep(config: &CheckConfig, to: SocketAddr, reply: u64) -> Result<Run, CheckError> {
    let started = Instant::now();
    let points = match config.split_at {
        Some(k) => vec![k],
        None => split_points(reply),
    };
    if points.is_empty() {
        // No reply (a client that never connected or sent nothing), or one
        // of a single byte: the run says which.
        let (mut run, _) = run_once(config, to, ShapeName::Split, 0, 0, Direction::Down)?;
        if run.passed {
            run.reason = Msg::new("chk-sweep-none").arg("n", reply);
        }
        run.reproduce = reproduce(config, ShapeName::Split, 0, 0, Direction::Both);
        return Ok(run);
    }
    let mut failed = 0;
    let mut first: Option<(u64, Run)> = None;
    let mut last = None;
    for &k in &points {
        let (run, _) = run_once(config, to, ShapeName::Split, 0, k, Direction::Down)?;
        if !run.passed {
            failed += 1;
            if first.is_none() {
                first = Some((k, run));
                continue;
            }
        }
        last.get_or_insert(run);
    }
    let (mut run, reason, at) = match first {
        Some((k, run)) => {
            let reason = Msg::new("chk-split-broke")
                .arg("at", k)
                .arg("why", run.reason.clone())
                .arg("failed", failed)
                .arg("points", points.len());
            (run, reason, Some(k))
        }
        None => {
            let run = last.ok_or_else(|| {
                CheckError(format!(
                    "the first reply ({reply} bytes) has no byte to split after"
                ))
            })?;
            (
                run,
                Msg::new("chk-sweep-ok").arg("points", points.len()),
                None,
            )
        }
    };
    run.reason = reason;
    run.blame = (!run.passed).then_some(Blame::Client);
    run.blamed = run.blame.map(|b| blamed(b, config.upstream.is_some()));
    run.millis = started.elapsed().as_millis() as u64;
    run.reproduce = reproduce(
        config,
        ShapeName::Split,
        0,
        at.unwrap_or(0),
        Direction::Both,
    );
    Ok(run)
}

/// The first reply's length on the first connection: every byte the server
/// sent from its first until the client spoke again (or the end). A reply
/// written in parts (an HTTP server's headers, then its body) is one reply:
/// a cut in its middle falls where a client can know it is short.
fn first_reply(events: &[Event]) -> u64 {
    let mut reply = 0u64;
    for e in events {
        match (&e.side, &e.what) {
            (Side::Upstream(1), What::Read { bytes, .. }) => reply += bytes.len() as u64,
            (Side::Downstream(1), What::Read { bytes, .. }) if reply > 0 && !bytes.is_empty() => {
                break;
            }
            _ => {}
        }
    }
    reply
}

/// Whose reads a failed run broke. Our echo server reads every byte and
/// echoes what it read, so against it the client's reads are the ones that
/// broke. Against a user's server each direction is shaped alone, once.
fn blame(
    config: &CheckConfig,
    to: SocketAddr,
    run: &Run,
    cut: u64,
) -> Result<Option<Blame>, CheckError> {
    // A failure that is not the shape's: nothing to blame on a direction.
    if run.shape == ShapeName::Whole || run.blame_free() {
        return Ok(None);
    }
    if config.upstream.is_none() || run.shape.replies_only() {
        return Ok(Some(Blame::Client));
    }
    Ok(Some(match config.direction {
        Direction::Down => Blame::Client,
        Direction::Up => Blame::Server,
        Direction::Both => {
            let seed = run.seed.unwrap_or(0);
            let alone = |direction| -> Result<bool, CheckError> {
                Ok(run_once(config, to, run.shape, seed, cut, direction)?
                    .0
                    .passed)
            };
            match (alone(Direction::Down)?, alone(Direction::Up)?) {
                (false, true) => Blame::Client,
                (true, false) => Blame::Server,
                _ => Blame::Both,
            }
        }
    }))
}

/// Whose reads broke, in words.
fn blamed(blame: Blame, upstream: bool) -> Msg {
    match (blame, upstream) {
        (Blame::Client, false) => Msg::new("chk-blame-client-ours"),
        (Blame::Client, true) => Msg::new("chk-blame-client"),
        (Blame::Server, _) => Msg::new("chk-blame-server"),
        (Blame::Both, _) => Msg::new("chk-blame-both"),
    }
}

impl Run {
    /// A failure that no shape caused: the client never connected, or sent
    /// nothing.
    fn blame_free(&self) -> bool {
        matches!(self.reason.id(), "chk-never-connected" | "chk-sent-nothing")
    }
}

/// The command line that runs one shape (and seed) again.
fn reproduce(
    config: &CheckConfig,
    shape: ShapeName,
    seed: u64,
    cut: u64,
    direction: Direction,
) -> String {
    let mut words: Vec<String> = vec!["tcp-boundary".into(), "check".into()];
    words.extend(["--shape".into(), shape.name().into()]);
    if shape == ShapeName::Random {
        words.extend(["--seed".into(), seed.to_string()]);
    }
    if shape == ShapeName::Cut {
        words.extend(["--cut-after".into(), cut.to_string()]);
    }
    if shape == ShapeName::Split && cut > 0 {
        words.extend(["--at".into(), cut.to_string()]);
    }
    if shape == ShapeName::Stall && config.stall != Duration::from_millis(DEFAULT_STALL_MS) {
        words.extend(["--stall-ms".into(), config.stall.as_millis().to_string()]);
    }
    if direction != Direction::Both {
        words.extend(["--direction".into(), direction.name().into()]);
    }
    if let Some(addr) = config.upstream {
        words.extend(["--upstream".into(), addr.to_string()]);
    }
    if config.timeout != Duration::from_secs(DEFAULT_TIMEOUT_SECS) {
        let secs = config.timeout.as_secs().max(1).to_string();
        words.extend(["--timeout".into(), secs]);
    }
    if config.run_limit != Duration::from_secs(DEFAULT_RUN_LIMIT_SECS) {
        let secs = config.run_limit.as_secs().max(1).to_string();
        words.extend(["--run-limit".into(), secs]);
    }
    if let Some(lines) = &config.stdin_lines {
        words.push("--stdin-lines".into());
        if lines.messages != DEFAULT_MESSAGES {
            for m in &lines.messages {
                words.extend(["--message".into(), m.clone()]);
            }
        }
        if lines.prefix != BOOK_PREFIX {
            words.extend(["--reply-prefix".into(), lines.prefix.clone()]);
        }
    }
    words.push("--".into());
    words.extend(config.command.iter().cloned());
    quote::line(words.iter().map(String::as_str))
}

/// The shapes of one run, as the proxy takes them: (server → client,
/// client → server), the direction not shaped passed on as it comes.
pub fn shapes(
    shape: ShapeName,
    seed: u64,
    cut: u64,
    stall: Duration,
    direction: Direction,
) -> io::Result<(Shape, Shape)> {
    let (down, up) = shape.specs(cut);
    let make = |spec: ShapeSpec| -> io::Result<Shape> {
        let mut made = spec.shape(seed).map_err(io::Error::other)?;
        made.plan.edges = EDGE_PIECES;
        // A piece waits for its reader as long as a stall holds: a reader
        // that waits a while before it reads still gets one piece.
        if !made.plan.delay.is_zero() {
            made.plan.delay = stall;
        }
        Ok(made)
    };
    let (mut down, mut up) = (make(down)?, make(up)?);
    if shape == ShapeName::Stall {
        down.stall = Some(stall);
    }
    if shape == ShapeName::Split {
        down.split_at = Some(cut as usize);
    }
    match direction {
        Direction::Both => {}
        Direction::Down => up = Shape::default(),
        Direction::Up => down = Shape::default(),
    }
    Ok((down, up))
}

/// One run: a proxy with the shape, the client through it, the verdict.
fn run_once(
    config: &CheckConfig,
    to: SocketAddr,
    shape: ShapeName,
    seed: u64,
    cut: u64,
    direction: Direction,
) -> Result<(Run, Vec<Event>), CheckError> {
    let error = |e: io::Error| CheckError(e.to_string());
    let (down, up) = shapes(shape, seed, cut, config.stall, direction).map_err(error)?;
    let proxy = Proxy::start(ProxyConfig {
        quiet: false,
        record: true,
        paced_by_reader: true,
        patience: config.stall * PATIENCE_STALLS,
        ..ProxyConfig::new(to).downstream(down).upstream(up)
    })
    .map_err(error)?;
    let addr = proxy.addr();
    let started = Instant::now();
    let (ended, output) =
        client::run_client(config, addr, &|| proxy.traffic().idle).map_err(error)?;
    let millis = started.elapsed().as_millis() as u64;
    proxy.settle(Duration::from_millis(500));
    let traffic = proxy.traffic();
    let connections = proxy.connections();
    let events = proxy.events();
    proxy.stop();
    let exchange = judge::Exchange {
        connections,
        traffic,
        refused: events
            .iter()
            .any(|e| matches!((e.side, &e.what), (Side::Upstream(_), What::Refused))),
    };
    let (passed, reason) = judge::judge(config, shape, &ended, &output.stdout, &exchange);
    let run = Run {
        shape,
        seed: (shape == ShapeName::Random).then_some(seed),
        direction,
        passed,
        blame: None,
        signal: match ended {
            Ended::Signalled(s) => Some(signal_name(s)),
            _ => None,
        },
        ended,
        reason,
        blamed: None,
        shaped: describe_shaping(&events, config.stdin_lines.as_ref()),
        shaping: judge::shaping(&events),
        last_output: judge::last_lines(&output.both, 12),
        millis,
        reproduce: String::new(),
    };
    Ok((run, events))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_book_client_s_replies_are_read_off_its_lines() {
        let out = b"Input message(Q to quit): Message from server : hello, class\n\
                    Input message(Q to quit): Message from server : helInput message(Q to quit): Message from server : lo\n";
        assert_eq!(
            printed_replies(out, BOOK_PREFIX),
            [
                &b"hello, class"[..],
                b"helInput message(Q to quit): ",
                b"lo"
            ]
        );
        let escaped = b"Input message (Q to quit) : Message from server : a\\\\b\\tc \\n\r\n";
        let replies = printed_replies(escaped, BOOK_PREFIX);
        assert_eq!(replies, [&b"a\\\\b\\tc \\n"[..]]);
        assert!(reply_is(&replies[0], "a\\b\tc "));
        assert!(
            !reply_is(&replies[0], "a\\b\tc"),
            "a trailing space is part of a message"
        );
        assert!(reply_is(b"a\\b\tc ", "a\\b\tc "), "the bytes themselves");
        assert!(!reply_is(b"hel", "hello"));
    }

    #[test]
    fn the_first_reply_runs_until_the_client_speaks_again() {
        let read = |seq, side, n: usize| Event {
            seq,
            side,
            what: What::Read {
                asked: 65536,
                at: 0,
                queued: Some(n),
                bytes: vec![b'x'; n],
            },
        };
        let (client, server) = (Side::Downstream(1), Side::Upstream(1));
        // Headers, then a body: one reply of 3202 bytes.
        let http = [
            read(1, client, 84),
            read(2, server, 202),
            read(3, server, 3000),
        ];
        assert_eq!(first_reply(&http), 3202);
        // An echo: the client's next message ends the first reply.
        let echo = [
            read(1, client, 13),
            read(2, server, 13),
            read(3, client, 21),
            read(4, server, 21),
        ];
        assert_eq!(first_reply(&echo), 13);
        assert_eq!(first_reply(&[read(1, client, 5)]), 0);
    }

    #[test]
    fn every_shape_runs_the_random_one_per_seed() {
        let runs = CheckConfig::every_shape(2);
        let names: Vec<String> = runs.iter().map(|(s, seed)| format!("{s}{seed}")).collect();
        assert_eq!(
            names,
            [
                "whole0",
                "one-byte0",
                "pieces0",
                "merged0",
                "small-buffers0",
                "random1",
                "random2",
                "stall0",
                "cut0"
            ]
        );
    }

    #[test]
    fn a_reproduce_command_quotes_what_the_shell_would_split() {
        let config = CheckConfig {
            timeout: Duration::from_secs(10),
            ..CheckConfig::new(vec![
                "python3".into(),
                "my client.py".into(),
                "{addr}".into(),
            ])
        };
        assert_eq!(
            reproduce(&config, ShapeName::Random, 7, 0, Direction::Down),
            "tcp-boundary check --shape random --seed 7 --direction down --timeout 10 -- python3 'my client.py' '{addr}'"
        );
    }
}
