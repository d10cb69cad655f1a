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
//! - [`report`]: the outcome as a table, JSON or JUnit XML.

mod client;
mod judge;
pub mod report;

pub use judge::{describe_shaping, printed_replies};

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::event::{Event, Side, What};
use crate::lang::Msg;
use crate::lesson::server::{self, ServerConfig};
use crate::shape::fragment::ChunkRange;
use crate::shape::{Shape, ShapeSpec};
use crate::tools::proxy::{Proxy, ProxyConfig};

/// The longest a run may take (`--timeout`), in seconds.
pub const MAX_TIMEOUT_SECS: u64 = 3600;
/// The most seeds of the random shape (`--seeds`).
pub const MAX_SEEDS: u64 = 1000;
/// The most messages fed to a book-style client (`--message`).
pub const MAX_MESSAGES: usize = 100;
/// The longest message fed to a book-style client, in bytes.
pub const MAX_MESSAGE: usize = 64 * 1024;
/// How much of a client's output is kept, per stream: its last bytes.
pub const KEPT_OUTPUT: usize = 1 << 20;
/// The messages a book-style client is given when none are named.
pub const DEFAULT_MESSAGES: [&str; 3] = [
    "hello, class",
    "TCP is a byte stream",
    "one write() is not one read()",
];
/// What a book-style client prints before each reply (the seed's client).
pub const BOOK_PREFIX: &str = "Message from server : ";

/// The shapes, from gentle to hostile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ShapeName {
    /// Passed on as it comes: a client that fails here is broken regardless.
    Whole,
    /// One byte per write, both ways, with a short pause after each.
    OneByte,
    /// Pieces of 3 bytes with a pause after each: partial reads.
    Pieces,
    /// Separate writes read late and passed on as one: coalescing.
    Merged,
    /// Small socket buffers: a large write arrives over many reads.
    SmallBuffers,
    /// Pieces of random sizes, 1-8 bytes, seeded, with a pause after each.
    Random,
    /// The reply cut in the middle, then the connection closed: the client
    /// must fail, since taking half a reply for a whole one is the bug.
    Cut,
}

impl ShapeName {
    /// Every shape, in order.
    pub const ALL: [ShapeName; 7] = [
        ShapeName::Whole,
        ShapeName::OneByte,
        ShapeName::Pieces,
        ShapeName::Merged,
        ShapeName::SmallBuffers,
        ShapeName::Random,
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
            ShapeName::Cut => "cut",
        }
    }

    /// True for the shape the client must fail.
    pub fn must_fail(self) -> bool {
        self == ShapeName::Cut
    }

    /// The shaping switches of each direction: (server → client, client →
    /// server). `cut_after` is the cut shape's byte count.
    pub fn specs(self, cut_after: u64) -> (ShapeSpec, ShapeSpec) {
        let both = |spec: ShapeSpec| (spec, spec);
        match self {
            ShapeName::Whole => both(ShapeSpec::default()),
            ShapeName::OneByte => both(ShapeSpec {
                chunk: Some(1),
                chunk_delay_ms: Some(2),
                ..ShapeSpec::default()
            }),
            ShapeName::Pieces => both(ShapeSpec {
                chunk: Some(3),
                chunk_delay_ms: Some(20),
                ..ShapeSpec::default()
            }),
            ShapeName::Merged => both(ShapeSpec {
                read_delay_ms: Some(60),
                ..ShapeSpec::default()
            }),
            ShapeName::SmallBuffers => both(ShapeSpec {
                send_buffer: Some(4096),
                recv_buffer: Some(4096),
                ..ShapeSpec::default()
            }),
            // Pauses of a fixed length, long beside the scheduler's jitter:
            // each piece is read alone, so a seed gives the same reads on
            // every run.
            ShapeName::Random => both(ShapeSpec {
                random_chunks: Some(ChunkRange { min: 1, max: 8 }),
                chunk_delay_ms: Some(10),
                ..ShapeSpec::default()
            }),
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
    /// The longest a run may take; a client still running then is killed.
    pub timeout: Duration,
    /// Feed messages on standard input and judge the printed replies.
    pub stdin_lines: Option<StdinLines>,
    /// Where the cut shape cuts (bytes of the reply); `None`: half of the
    /// first reply, measured by a run without shaping.
    pub cut_after: Option<u64>,
}

impl CheckConfig {
    /// Every shape, the random one with seeds `1..=seeds`.
    pub fn every_shape(seeds: u64) -> Vec<(ShapeName, u64)> {
        ShapeName::ALL
            .iter()
            .flat_map(|&s| match s {
                ShapeName::Random => (1..=seeds).map(|seed| (s, seed)).collect::<Vec<_>>(),
                _ => vec![(s, 0)],
            })
            .collect()
    }
}

/// How a client's run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "ended", content = "code")]
pub enum Ended {
    /// It exited with this status.
    Exited(i32),
    /// A signal ended it.
    Signalled,
    /// It was still running at the timeout, and was killed.
    Hung,
}

/// One run of the client under one shape.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// The shape.
    pub shape: ShapeName,
    /// The seed (random shape only).
    pub seed: Option<u64>,
    /// Whether the client behaved as it must under this shape.
    pub passed: bool,
    /// How the client ended.
    pub ended: Ended,
    /// Why it passed or failed, in words.
    pub reason: Msg,
    /// What the shape did to the bytes, in words.
    pub shaped: Vec<Msg>,
    /// The client's last lines of output (standard output, then error).
    pub last_output: Vec<String>,
    /// How long the run took, in milliseconds.
    pub millis: u64,
    /// The command line that runs this shape again.
    pub reproduce: String,
}

/// The outcome of a check.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// The client's command.
    pub command: Vec<String>,
    /// What the client talked to.
    pub server: Msg,
    /// Each run, in order.
    pub runs: Vec<Run>,
}

impl CheckReport {
    /// Every run as it must be.
    pub fn passed(&self) -> bool {
        self.runs.iter().all(|r| r.passed)
    }
}

/// Run the check. Errors are the machine's (a port, a process that cannot
/// start), not the client's: a client that fails is a failed [`Run`].
pub fn check(config: &CheckConfig) -> io::Result<CheckReport> {
    // The server: the user's, or our echo server (iterative, as the book's),
    // serving until the check ends.
    let ours = match config.upstream {
        Some(_) => None,
        None => {
            let listener = TcpListener::bind(("127.0.0.1", 0))?;
            let cfg = ServerConfig {
                clients: 0,
                idle_timeout: Some(config.timeout),
                quiet: true,
                ..ServerConfig::default()
            };
            Some(server::spawn(listener, cfg)?)
        }
    };
    let to = match (&ours, config.upstream) {
        (Some(s), _) => s.addr,
        (None, Some(addr)) => addr,
        (None, None) => return Err(io::Error::other("no server to check against")),
    };
    if config.upstream.is_some() {
        TcpStream::connect_timeout(&to, Duration::from_secs(5)).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "cannot connect to the upstream server {to}: {}",
                    crate::event::describe_io(&e)
                ),
            )
        })?;
    }
    // Where the cut falls: half of the first reply, as an unshaped run sees it.
    let mut cut_after = config.cut_after;
    if cut_after.is_none() && config.runs.iter().any(|(s, _)| *s == ShapeName::Cut) {
        let (_, events) = run_once(config, to, ShapeName::Whole, 0, 0)?;
        let first = events.iter().find_map(|e| match (&e.side, &e.what) {
            (Side::Upstream(_), What::Read { bytes, .. }) => Some(bytes.len() as u64),
            _ => None,
        });
        cut_after = Some(first.unwrap_or(0) / 2);
    }
    let mut runs = Vec::new();
    for &(shape, seed) in &config.runs {
        let cut = cut_after.unwrap_or(0);
        let (mut run, _) = run_once(config, to, shape, seed, cut)?;
        run.reproduce = reproduce(config, shape, seed, cut);
        runs.push(run);
    }
    drop(ours);
    Ok(CheckReport {
        command: config.command.clone(),
        server: match config.upstream {
            Some(addr) => Msg::new("chk-server-at").arg("addr", addr.to_string()),
            None => Msg::new("chk-server-ours"),
        },
        runs,
    })
}

/// The command line that runs one shape (and seed) again.
fn reproduce(config: &CheckConfig, shape: ShapeName, seed: u64, cut: u64) -> String {
    let mut words: Vec<String> = vec!["tcp-boundary".into(), "check".into()];
    words.extend(["--shape".into(), shape.name().into()]);
    if shape == ShapeName::Random {
        words.extend(["--seed".into(), seed.to_string()]);
    }
    if shape == ShapeName::Cut {
        words.extend(["--cut-after".into(), cut.to_string()]);
    }
    if let Some(addr) = config.upstream {
        words.extend(["--upstream".into(), addr.to_string()]);
    }
    words.extend([
        "--timeout".into(),
        config.timeout.as_secs().max(1).to_string(),
    ]);
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
    shlex::try_join(words.iter().map(String::as_str)).unwrap_or_else(|_| words.join(" "))
}

/// The shapes of one run, as the proxy takes them.
fn shapes(shape: ShapeName, seed: u64, cut: u64) -> io::Result<(Shape, Shape)> {
    let (down, up) = shape.specs(cut);
    let make = |spec: ShapeSpec| spec.shape(seed).map_err(io::Error::other);
    Ok((make(down)?, make(up)?))
}

/// One run: a proxy with the shape, the client through it, the verdict.
fn run_once(
    config: &CheckConfig,
    to: SocketAddr,
    shape: ShapeName,
    seed: u64,
    cut: u64,
) -> io::Result<(Run, Vec<Event>)> {
    let (down, up) = shapes(shape, seed, cut)?;
    let proxy = Proxy::start(ProxyConfig {
        quiet: false,
        record: true,
        ..ProxyConfig::new(to).downstream(down).upstream(up)
    })?;
    let addr = proxy.addr();
    let started = Instant::now();
    let (ended, stdout, stderr) = client::run_client(config, addr)?;
    let millis = started.elapsed().as_millis() as u64;
    let events = proxy.events();
    proxy.stop();
    let (passed, reason) = judge::judge(config, shape, &ended, &stdout);
    let mut last_output = judge::last_lines(&stdout, 8);
    last_output.extend(
        judge::last_lines(&stderr, 4)
            .into_iter()
            .map(|l| format!("(stderr) {l}")),
    );
    let run = Run {
        shape,
        seed: (shape == ShapeName::Random).then_some(seed),
        passed,
        ended,
        reason,
        shaped: describe_shaping(&events, config.stdin_lines.as_ref()),
        last_output,
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
            ["hello, class", "helInput message(Q to quit):", "lo"]
        );
        let escaped = b"Input message (Q to quit) : Message from server : hello, class\\n\n";
        assert_eq!(printed_replies(escaped, BOOK_PREFIX), ["hello, class"]);
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
                "cut0"
            ]
        );
    }

    #[test]
    fn a_reproduce_command_quotes_what_the_shell_would_split() {
        let config = CheckConfig {
            command: vec!["python3".into(), "my client.py".into(), "{addr}".into()],
            upstream: None,
            runs: Vec::new(),
            timeout: Duration::from_secs(10),
            stdin_lines: None,
            cut_after: None,
        };
        assert_eq!(
            reproduce(&config, ShapeName::Random, 7, 0),
            "tcp-boundary check --shape random --seed 7 --timeout 10 -- python3 'my client.py' '{addr}'"
        );
    }
}
