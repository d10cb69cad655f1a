//! `check --server`: prove that a server frames its requests.
//!
//! A server that takes one `read()` for one request answers wrongly, or not
//! at all, when a request arrives in two pieces or two requests in one read.
//! Here we are the client: we start the server under test, send it requests
//! whole and one at a time to learn its replies (the baseline), then send the
//! same requests shaped, and every shaped run must get the same replies, byte
//! for byte, in the same order.
//!
//! The replies' framing is the server's protocol, which we do not know: the
//! baseline reads each reply until the server has been quiet for a moment,
//! and the shaped runs then read exactly as many bytes as the baseline got.
//!
//! - `process`: the server under test, started, connected to and stopped.
//! - `exchange`: the baseline and each shape's requests and replies.

use std::thread;
use std::time::{Duration, Instant};

use super::client::{self, Output};
use super::{
    Blame, CheckError, CheckReport, Direction, Ended, Flow, Run, ShapeName, Shaping, judge, quote,
};
use crate::lang::Msg;

mod exchange;
mod process;

use exchange::{
    Send, Wrong, attempt, baseline, marked, run_concurrent, run_cut, run_merged, run_plan,
};
use process::{Server, ended_words};

/// The longest a server may take to listen (`--start-timeout`), in seconds.
pub const MAX_START_SECS: u64 = 600;
/// `--start-timeout`'s default, in seconds.
pub const DEFAULT_START_SECS: u64 = 5;
/// The most requests (`--request`, `--requests`).
pub const MAX_REQUESTS: usize = 100;
/// The longest request, in bytes.
pub const MAX_REQUEST: usize = 64 * 1024;
/// The most bytes of all the baseline's replies together: 16 MiB.
pub const MAX_REPLIES: usize = 16 << 20;
/// How long the baseline waits, after the last byte of a reply, before it
/// takes the reply as whole.
const QUIET: Duration = Duration::from_millis(150);
/// The longest a piece waits for the server to read it.
const PIECE_WAIT: Duration = Duration::from_millis(250);
/// What a reply's bytes matched by an ignored pattern are shown as.
const IGNORED: &[u8] = b"<ignored>";

/// What to check and how.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The server: a program and its arguments, `{port}`, `{addr}` and
    /// `{host}` replaced by where it must listen.
    pub command: Vec<String>,
    /// The requests, in order.
    pub requests: Vec<Vec<u8>>,
    /// The runs: each shape with its seed (the random shape's).
    pub runs: Vec<(ShapeName, u64)>,
    /// With the split shape: only this split, (request, byte), from 1.
    pub at: Option<(usize, usize)>,
    /// How long the server may take to listen.
    pub start_timeout: Duration,
    /// How long a reply may take.
    pub timeout: Duration,
    /// Patterns whose matches in a reply may differ from run to run (a date).
    pub ignore: Vec<regex::bytes::Regex>,
}

/// The pattern ignored unless told otherwise: an HTTP or mail `Date:` line.
pub const DEFAULT_IGNORE: &str = r"(?m)^Date: [^\r\n]*";

/// The shapes of a server check, in order: the split sweep first.
pub const SERVER_SHAPES: [ShapeName; 7] = [
    ShapeName::Whole,
    ShapeName::Split,
    ShapeName::OneByte,
    ShapeName::Random,
    ShapeName::Merged,
    ShapeName::Cut,
    ShapeName::Concurrent,
];

/// Every server shape, the random one with seeds `1..=seeds`.
pub fn every_shape(seeds: u64) -> Vec<(ShapeName, u64)> {
    super::with_seeds(&SERVER_SHAPES, seeds)
}

/// A request written on the command line: `\r`, `\n`, `\t`, `\\`, `\0`,
/// `\xHH` and `\u{HHHH}` stand for their bytes (the escapes the timeline
/// shows), everything else for itself.
pub fn unescape_request(text: &str) -> Result<Vec<u8>, String> {
    crate::view::escape::unescape(text.as_bytes()).ok_or_else(|| {
        format!("{text:?}: a backslash must start \\r, \\n, \\t, \\\\, \\0, \\xHH or \\u{{HHHH}}")
    })
}

/// Check the server.
pub fn check_server(config: &ServerConfig) -> Result<CheckReport, CheckError> {
    let program = config
        .command
        .first()
        .ok_or_else(|| CheckError("no server command to check".into()))?;
    client::find_program(program).map_err(|e| CheckError(format!("cannot run {e}")))?;
    if config.requests.is_empty() || config.requests.iter().any(Vec::is_empty) {
        return Err(CheckError("every request needs at least one byte".into()));
    }
    let mut server = Server::start(config)?;
    let plan = baseline(server.addr, config)?;
    let mut runs = Vec::new();
    for &(shape, seed) in &config.runs {
        let started = Instant::now();
        let mut flow = Flow::default();
        let mut sweep = None;
        let mut at = None;
        // What the last request sent was, in words, for a server that dies.
        let mut last_sent: Option<Msg> = None;
        let result = match shape {
            ShapeName::Whole => attempt(&mut server, config, |s| {
                run_plan(s, &plan, config, &|_| Send::Whole, &mut flow)
            }),
            ShapeName::OneByte => attempt(&mut server, config, |s| {
                run_plan(s, &plan, config, &|_| Send::Bytes, &mut flow)
            }),
            ShapeName::Random => attempt(&mut server, config, |s| {
                run_plan(s, &plan, config, &|_| Send::Random(seed), &mut flow)
            }),
            ShapeName::Merged => attempt(&mut server, config, |s| {
                run_merged(s, &plan, config, &mut flow)
            }),
            ShapeName::Cut => {
                let first = &config.requests[plan[0].requests[0]];
                let half = first.len().div_ceil(2);
                last_sent = Some(Msg::new("srv-sent-cut").arg("at", half));
                attempt(&mut server, config, |s| {
                    run_cut(s, &plan, config, &mut flow)
                })
            }
            ShapeName::Concurrent => attempt(&mut server, config, |s| {
                run_concurrent(s, &plan, config, &mut flow)
            }),
            ShapeName::Split => {
                // Every request at every byte, or the one split asked for.
                let points: Vec<(usize, usize)> = match config.at {
                    Some((r, k)) => vec![(r - 1, k)],
                    None => (0..config.requests.len())
                        .flat_map(|r| (1..config.requests[r].len()).map(move |k| (r, k)))
                        .collect(),
                };
                let mut first: Option<(usize, usize, Wrong)> = None;
                let mut failed = 0;
                for &(r, k) in &points {
                    last_sent = Some(
                        Msg::new("srv-sent-split")
                            .arg("request", r + 1)
                            .arg("at", k)
                            .arg("marked", marked(&config.requests[r], k)),
                    );
                    let split = |i: usize| {
                        if i == r {
                            Send::SplitAt(k)
                        } else {
                            Send::Whole
                        }
                    };
                    let run = |s: &mut Server| run_plan(s, &plan, config, &split, &mut flow);
                    if let Err(w) = attempt(&mut server, config, run) {
                        failed += 1;
                        first.get_or_insert((r, k, w));
                    }
                    // A server that died: the sweep stops there (one that
                    // ended well between connections is started again).
                    if server.exited().is_some_and(|e| e != Ended::Exited(0)) {
                        break;
                    }
                }
                sweep = Some(points.len());
                match first {
                    None => Ok(()),
                    Some((r, k, w)) => {
                        // The split that broke it first, for the reproduce
                        // command.
                        at = Some((r + 1, k));
                        Err(Wrong {
                            reason: Msg::new("srv-split-broke")
                                .arg("request", r + 1)
                                .arg("at", k)
                                .arg("marked", marked(&config.requests[r], k))
                                .arg("failed", failed)
                                .arg("points", points.len())
                                .arg("why", w.reason),
                        })
                    }
                }
            }
            _ => continue,
        };
        // A server that died is the failure, whatever the replies said. A
        // run that failed may have met a server on its way out: give it a
        // moment to be seen ending.
        let mut died = server.exited();
        let wait_end = Instant::now() + Duration::from_millis(300);
        while died.is_none() && result.is_err() && Instant::now() < wait_end {
            thread::sleep(Duration::from_millis(10));
            died = server.exited();
        }
        // Ended well after the run's last connection: not a death (the next
        // connection starts it again).
        if result.is_ok() && died == Some(Ended::Exited(0)) {
            died = None;
        }
        let (passed, reason) = match (&died, result) {
            (Some(ended), _) => (
                false,
                match last_sent {
                    Some(sent) => Msg::new("srv-died-after")
                        .arg("how", ended_words(ended))
                        .arg("sent", sent),
                    None => Msg::new("srv-died")
                        .arg("how", ended_words(ended))
                        .arg("shape", shape.name()),
                },
            ),
            (None, Ok(())) => (
                true,
                match sweep {
                    Some(points) => Msg::new("srv-sweep-ok").arg("points", points),
                    None => Msg::new("srv-same-replies"),
                },
            ),
            (None, Err(w)) => (false, w.reason),
        };
        let mut output = Output::default();
        if died.is_some() {
            output = server.end();
            server = Server::start(config)?;
        }
        runs.push(Run {
            shape,
            seed: (shape == ShapeName::Random).then_some(seed),
            direction: Direction::Up,
            passed,
            blame: (!passed).then_some(Blame::Server),
            signal: match died {
                Some(Ended::Signalled(s)) => Some(super::signal_name(s)),
                _ => None,
            },
            ended: died.unwrap_or(Ended::Running),
            reason,
            blamed: (!passed).then(|| Msg::new("chk-blame-server")),
            shaped: Vec::new(),
            shaping: Shaping {
                requests: flow,
                replies: Flow::default(),
            },
            last_output: judge::last_lines(&output.both, 8),
            millis: started.elapsed().as_millis() as u64,
            reproduce: reproduce(config, shape, seed, at),
        });
    }
    server.end();
    Ok(CheckReport::new(
        config.command.clone(),
        Msg::new("srv-against").arg("n", config.requests.len()),
        Direction::Up,
        runs,
    ))
}

/// The command line that runs one shape again.
fn reproduce(
    config: &ServerConfig,
    shape: ShapeName,
    seed: u64,
    at: Option<(usize, usize)>,
) -> String {
    let mut words: Vec<String> = vec!["tcp-boundary".into(), "check".into(), "--server".into()];
    words.extend(["--shape".into(), shape.name().into()]);
    if let Some((r, k)) = at {
        let at = match config.requests.len() {
            1 => k.to_string(),
            _ => format!("{r}:{k}"),
        };
        words.extend(["--at".into(), at]);
    }
    if shape == ShapeName::Random {
        words.extend(["--seed".into(), seed.to_string()]);
    }
    let defaults: Vec<Vec<u8>> = super::DEFAULT_MESSAGES
        .iter()
        .map(|m| format!("{m}\n").into_bytes())
        .collect();
    if config.requests != defaults {
        for r in &config.requests {
            words.extend(["--request".into(), crate::view::escape::escape(r)]);
        }
    }
    if config.start_timeout != Duration::from_secs(DEFAULT_START_SECS) {
        let secs = config.start_timeout.as_secs().to_string();
        words.extend(["--start-timeout".into(), secs]);
    }
    words.push("--".into());
    words.extend(config.command.iter().cloned());
    quote::line(words.iter().map(String::as_str))
}
