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
//! chunk waits until the receiver has read the last, so each chunk is one
//! read, at the speed the receiver reads, and a run's cost does not grow with
//! the messages.
//!
//! - [`config`]: what a user asks of a check, and the rules between the
//!   asks.
//! - `client`: running the client (its process group, its terminal, its
//!   output in the order it came, the limits of a run).
//! - `echo`: the echo server a client is checked against.
//! - `judge`: pass or fail, and why; what the shape did, in words and data.
//! - `shapes`: the shapes, from gentle to hostile, and their switches.
//! - `outcome`: what a check found: runs, verdicts, the report.
//! - `run`: one run under one shape, whose reads broke, the command again.
//! - [`server`]: `check --server`, where our client shapes the requests.
//! - [`quote`]: command lines a shell gives back byte for byte.
//! - [`report`]: the outcome as a table, JSON or JUnit XML.

mod client;
pub mod config;
mod output;
mod sweep;

mod judge;
mod outcome;
pub mod quote;
pub mod report;
mod run;
use run::{blame, blamed, first_reply, reproduce, run_once, sweep};
pub mod server;
mod shapes;

use crate::tools::echo::{Echo, Serving};
pub use client::end_client;
pub use judge::{describe_shaping, printed_replies, reply_is};
pub use outcome::{
    Blame, CheckError, CheckReport, CheckVerdict, Ended, PassedOn, Run, Shaping, Tracing,
    signal_name,
};
pub(crate) use shapes::with_seeds;
pub use shapes::{Directions, ShapeName, shapes};

use std::io;
use std::net::{SocketAddr, TcpStream};

use std::time::Duration;

use crate::lang::Msg;

/// The longest a run may go without any byte moving (`--timeout`), in seconds.
pub const MAX_TIMEOUT_SECS: u64 = 3600;
/// The longest one run may take in all (`--run-limit`), in seconds.
pub const MAX_RUN_LIMIT_SECS: u64 = 86_400;
/// The longest stall of the stall shape (`--stall-ms`), in milliseconds.
pub const MAX_STALL_MS: u64 = 60_000;
/// The most seeds of the random shape (`--seeds`).
pub const MAX_SEEDS: u64 = 1000;
/// The most messages fed to a book-style client (`--message`).
pub const MAX_CHECK_MESSAGES: usize = 100;
/// The longest message fed to a book-style client, in bytes.
pub const MAX_CHECK_MESSAGE: usize = 64 * 1024;
/// How much of a client's output is kept, per stream: its last bytes.
pub const KEPT_OUTPUT: usize = 1 << 20;
/// The version of the JSON report's layout: it grows when a field changes
/// meaning or goes away.
pub const SCHEMA: u32 = 2;
/// How many chunks at each end of a buffer a shape splits off (see
/// [`FragmentPlan::edges`](crate::shape::fragment::FragmentPlan::edges)):
/// where messages start and end, their headers and their last bytes, are
/// split as the shape says, and a large message's middle passes in one write,
/// so a run's cost does not grow with the size of the messages.
pub const EDGE_CHUNKS: usize = 64;
/// The messages a book-style client is given when none are named.
pub const DEFAULT_MESSAGES: [&str; 3] = [
    "hello, class",
    "TCP is a byte stream",
    "one write() is not one read()",
];
/// What a book-style client prints before each reply (the book's client).
pub const BOOK_PREFIX: &str = "Message from server : ";

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
    pub direction: Directions,
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
    /// Where the cut shape closes (bytes of the reply); `None`: half of the
    /// first reply, measured by a run without shaping.
    pub cut_after: Option<u64>,
    /// Where the split shape splits each reply; `None`: at every byte of the
    /// first reply in turn (its first and last 32 when it is longer).
    pub split_at: Option<u64>,
    /// Stop at the first shape that fails.
    pub fail_fast: bool,
    /// Run the client untraced (see [`crate::transport::trace`]): the reply
    /// bytes it leaves unread in its kernel when it closes are not counted.
    pub untraced: bool,
    /// Record the client's socket calls: a failing run shows its last ones.
    pub trace: bool,
}

/// `--timeout`'s default, in seconds.
pub const DEFAULT_TIMEOUT_SECS: u64 = 5;
/// `--run-limit`'s default, in seconds.
pub const DEFAULT_RUN_LIMIT_SECS: u64 = 60;
/// `--stall-ms`'s default: longer than a client that frames by waiting
/// waits, short enough for a check to stay quick.
pub const DEFAULT_STALL_MS: u64 = 1000;
/// How many stalls' worth a direction waits in all for a receiver that
/// neither reads nor writes (see [`crate::tools::proxy::ProxyConfig::patience`]).
pub const PATIENCE_STALLS: u32 = 4;

impl CheckConfig {
    /// A check of `command` against our echo server, every shape, the
    /// limits at their defaults.
    pub fn new(command: Vec<String>) -> CheckConfig {
        CheckConfig {
            command,
            upstream: None,
            runs: CheckConfig::every_shape(3),
            direction: Directions::Both,
            timeout: Duration::from_secs(DEFAULT_TIMEOUT_SECS),
            run_limit: Duration::from_secs(DEFAULT_RUN_LIMIT_SECS),
            stall: Duration::from_millis(DEFAULT_STALL_MS),
            stdin_lines: None,
            cut_after: None,
            split_at: None,
            fail_fast: false,
            untraced: false,
            trace: false,
        }
    }

    /// Every shape, the random one with seeds `1..=seeds`.
    pub fn every_shape(seeds: u64) -> Vec<(ShapeName, u64)> {
        with_seeds(&ShapeName::ALL, seeds)
    }
}

/// What a check tells while it runs, for a person watching: each run as it
/// ends, and how far a split sweep is. Both do nothing unless told to.
pub trait Watch {
    /// A run has ended.
    fn run(&self, _run: &Run) {}
    /// The split sweep has tried `done` of its `of` points.
    fn points(&self, _done: usize, _of: usize) {}
}

/// Nobody watching.
impl Watch for () {}

/// What a client is checked against, in words.
pub fn against(config: &CheckConfig) -> Msg {
    match config.upstream {
        Some(addr) => Msg::new("chk-server-at").arg("addr", addr.to_string()),
        None => Msg::new("chk-server-ours"),
    }
}

/// Run the check. Errors are the check's (no such command, an upstream that
/// refuses, a port), not the client's: a client that fails is a failed
/// [`Run`].
pub fn check(config: &CheckConfig) -> Result<CheckReport, CheckError> {
    check_with(config, &())
}

/// [`check`], telling `watch` each run as it ends.
pub fn check_with(config: &CheckConfig, watch: &dyn Watch) -> Result<CheckReport, CheckError> {
    let error = |e: io::Error| CheckError(e.to_string());
    // Everything that can make the check impossible, before the first run.
    let program = config
        .command
        .first()
        .ok_or_else(|| CheckError("no command to check".into()))?;
    crate::tools::command::find_program(program)
        .map_err(|e| CheckError(format!("cannot run {e}")))?;
    // The server: the user's, or our echo server (iterative, as the book's),
    // serving until the check ends.
    let ours = match config.upstream {
        Some(_) => None,
        None => Some(Echo::start(Serving::AtOnce, Some(config.timeout)).map_err(error)?),
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
    let needs_reply =
        (asks(ShapeName::Cut) && config.cut_after.is_none()) || asks(ShapeName::Split);
    let mut reply = 0;
    if needs_reply {
        let (_, events) = run_once(config, to, ShapeName::Whole, 0, 0, Directions::Both)?;
        reply = first_reply(&events);
    }
    // A split asked for past the reply's end would split nothing, and pass.
    if let Some(k) = config
        .split_at
        .filter(|&k| k >= reply && asks(ShapeName::Split))
    {
        return Err(CheckError(format!(
            "--at {k}: the first reply is {reply} bytes, so there is no byte {k} to split after"
        )));
    }
    // The cut withholds the first reply's last byte: a reply short by one
    // byte is one every framing can tell (a length, a line's end, a body's
    // Content-Length), where a cut inside a header may not be.
    let cut_after = config.cut_after.or(Some(reply.saturating_sub(1)));
    let at = cut_after.unwrap_or(0);
    let mut runs: Vec<Run> = Vec::new();
    for &(shape, seed) in &config.runs {
        // A shape of replies has nothing to shape when only requests are.
        if shape.replies_only() && config.direction == Directions::Up {
            continue;
        }
        if shape == ShapeName::Split {
            let run = sweep(config, to, reply)?;
            let failed = !run.passed;
            watch.run(&run);
            runs.push(run);
            if config.fail_fast && failed {
                break;
            }
            continue;
        }
        let (mut run, _) = run_once(config, to, shape, seed, at, config.direction)?;
        // Broken without any shaping: no shape is to blame, and re-running
        // it one direction at a time would only take longer.
        let broken_anyway = runs
            .iter()
            .any(|r| r.shape == ShapeName::Whole && !r.passed);
        if !run.passed && !broken_anyway {
            run.blame = blame(config, to, &run, at)?;
        }
        // The narrowest run that fails again: one direction, when one alone
        // was seen to break it.
        let direction = match (run.blame, config.direction, config.upstream) {
            (Some(Blame::Client), Directions::Both, Some(_)) if !shape.replies_only() => {
                Directions::Down
            }
            (Some(Blame::Server), Directions::Both, Some(_)) => Directions::Up,
            (_, d, _) => d,
        };
        run.blamed = run.blame.map(|b| blamed(b, config.upstream.is_some()));
        run.reproduce = reproduce(config, shape, seed, at, direction);
        let failed = !run.passed;
        watch.run(&run);
        runs.push(run);
        // --fail-fast: the first failing shape ends the check.
        if config.fail_fast && failed {
            break;
        }
    }
    drop(ours);
    Ok(CheckReport {
        tracing: Some(
            match (config.untraced, crate::transport::trace::allowed()) {
                (true, _) => Tracing::Untraced,
                (false, true) => Tracing::Traced,
                (false, false) => Tracing::NotAllowed,
            },
        ),
        ..CheckReport::new(
            config.command.clone(),
            against(config),
            config.direction,
            runs,
        )
    })
}

#[cfg(test)]
mod tests;
