//! `check --server`: prove that a server frames its requests.
//!
//! A server that takes one `read()` for one request answers wrongly, or not
//! at all, when a request arrives in two chunks or two requests in one read.
//! Here we are the client: we start the server under test, send it requests
//! whole and one at a time to learn its replies (the baseline), then send the
//! same requests shaped, and every shaped run must get the same replies, byte
//! for byte, in the same order.
//!
//! The replies' framing is the server's protocol, which we do not know: the
//! baseline reads each reply until the server has been quiet for half a
//! second (a reply sent in parts, late, is still one reply), twice, and the
//! shaped runs then read exactly as many bytes as the baseline got. Bytes
//! that differ between the two baseline runs (an id, a clock) are said, and
//! not held against the shapes.
//!
//! - `process`: the server under test, started, connected to and stopped.
//! - `baseline`: the whole runs, twice, and what varies between them.
//! - `exchange`: each shape's requests in chunks, and the replies compared.
//! - `shaped`: merged, cut and side-by-side runs.
//! - `split`: the split shape's sweep over the points [`points`] chooses.

use std::net::SocketAddr;
use std::thread;
use std::time::{Duration, Instant};

use super::output::Output;
use super::{
    Blame, CheckError, CheckReport, DEFAULT_STALL_MS, Directions, Ended, PassedOn, Run, ShapeName,
    Shaping, Watch, judge, quote,
};
use crate::lang::Msg;
use crate::transport::trace::calls::Call;

mod baseline;
mod exchange;
pub mod points;
mod process;
mod quiet;
mod shaped;
mod split;
mod wrong;

use baseline::{Baseline, baseline};
use exchange::{Send, run_plan};
use process::{Server, ended_words};
use shaped::{attempt, run_concurrent, run_cut, run_merged};
use split::split_sweep;
use wrong::Wrong;

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
/// takes the reply as whole (`--reply-quiet-ms`'s default, in ms): longer
/// than a server that answers in two parts (an acknowledgement, then the
/// result) usually pauses between them.
pub const DEFAULT_REPLY_QUIET_MS: u64 = 500;
/// The longest `--reply-quiet-ms`.
pub const MAX_REPLY_QUIET_MS: u64 = 60_000;
/// The least quiet the second baseline run waits after a reply (a few
/// times the longest silence inside a reply the first run saw, at least
/// this): bytes that come later than the first run's are a reply that varies.
const AGAIN_QUIET: Duration = Duration::from_millis(50);
/// The longest a chunk waits for the server to read it.
const CHUNK_WAIT: Duration = Duration::from_millis(250);
/// What a reply's bytes matched by an ignored pattern are shown as.
const IGNORED: &[u8] = b"<ignored>";

/// What to check and how.
#[derive(Debug, Clone)]
pub struct ServerCheck {
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
    /// The quiet after a reply's last byte that ends it in the baseline.
    pub reply_quiet: Duration,
    /// Where each request came from: a file (`--requests`), or `None` for
    /// one written on the command line; the reproduce command names the
    /// file rather than spelling a large request out.
    pub request_files: Vec<Option<std::path::PathBuf>>,
    /// How long the stall shape holds the rest of a request, once the
    /// server has read its first half.
    pub stall: Duration,
    /// The longest one shape's run may take: the split sweep stops there
    /// and says how many points it tried.
    pub run_limit: Duration,
    /// Split every request at every byte, however long.
    pub every_point: bool,
    /// The seed of the split points drawn at random in a long request.
    pub seed: u64,
    /// Stop at the first shape that fails.
    pub fail_fast: bool,
    /// Record the server's socket calls (`--trace`): a failing row shows
    /// its last ones, on the connections it accepted.
    pub trace: bool,
}

/// The pattern ignored unless told otherwise: an HTTP or mail `Date:` line.
pub const DEFAULT_IGNORE: &str = r"(?m)^Date: [^\r\n]*";

/// The shapes of a server check, in order: the split sweep first.
pub const SERVER_SHAPES: [ShapeName; 8] = [
    ShapeName::Whole,
    ShapeName::Split,
    ShapeName::OneByte,
    ShapeName::Random,
    ShapeName::Merged,
    ShapeName::Stall,
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
    crate::text::escape::unescape(text.as_bytes()).ok_or_else(|| {
        format!("{text:?}: a backslash must start \\r, \\n, \\t, \\\\, \\0, \\xHH or \\u{{HHHH}}")
    })
}

/// Check the server.
pub fn check_server(config: &ServerCheck) -> Result<CheckReport, CheckError> {
    check_server_with(config, &())
}

/// The last [`Run::SHOWN_CALLS`] of a server's socket calls on the
/// connections it accepted on `addr`, as a timeline: `c1` is the first
/// connection among them.
fn last_server_calls(calls: &[Call], addr: SocketAddr) -> Vec<crate::event::Event> {
    let accepted: Vec<Call> = calls
        .iter()
        .filter(|c| c.ends.is_some_and(|(local, _)| local.port() == addr.port()))
        .cloned()
        .collect();
    let all = crate::tools::trace::timeline(&accepted, None);
    let from = all.len().saturating_sub(Run::SHOWN_CALLS);
    all[from..].to_vec()
}

/// What a server is checked against, in words: our client and its requests.
pub fn against(config: &ServerCheck) -> Msg {
    Msg::new("srv-against").arg("n", config.requests.len())
}

/// Check the server, telling `watch` each run as it ends and how far the
/// split sweep is.
pub fn check_server_with(
    config: &ServerCheck,
    watch: &dyn Watch,
) -> Result<CheckReport, CheckError> {
    let program = config
        .command
        .first()
        .ok_or_else(|| CheckError("no server command to check".into()))?;
    crate::tools::command::find_program(program)
        .map_err(|e| CheckError(format!("cannot run {e}")))?;
    if config.requests.is_empty() || config.requests.iter().any(Vec::is_empty) {
        return Err(CheckError("every request needs at least one byte".into()));
    }
    let mut server = Server::start(config)?;
    let plan = baseline(server.addr, config)?;
    let mut runs = Vec::new();
    for &(shape, seed) in &config.runs {
        let started = Instant::now();
        let mut flow = PassedOn::default();
        let mut sweep = None;
        let mut at = None;
        // What the last request sent was, in words, for a server that dies.
        let mut last_sent: Option<Msg> = None;
        // Its calls before this run (when recorded): the run's are after.
        let before = (server.id(), server.calls().len());
        let result = match shape {
            ShapeName::Whole => match varying(&plan) {
                Some(said) => Err(Wrong::said(said)),
                None => attempt(&mut server, config, |s| {
                    run_plan(s, &plan, config, &|_| Send::Whole, &mut flow)
                }),
            },
            ShapeName::OneByte => attempt(&mut server, config, |s| {
                run_plan(s, &plan, config, &|_| Send::Bytes, &mut flow)
            }),
            ShapeName::Random => attempt(&mut server, config, |s| {
                run_plan(s, &plan, config, &|_| Send::Random(seed), &mut flow)
            }),
            ShapeName::Stall => attempt(&mut server, config, |s| {
                run_plan(s, &plan, config, &|_| Send::Stall(config.stall), &mut flow)
            }),
            ShapeName::Merged => attempt(&mut server, config, |s| {
                run_merged(s, &plan, config, &mut flow)
            }),
            ShapeName::Cut => {
                let first = &config.requests[plan.conns[0].requests[0]];
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
                let (result, said, first) =
                    split_sweep(&mut server, &plan, config, &mut flow, &mut last_sent, watch);
                sweep = Some(said);
                at = first;
                result
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
        // How the server stood when the run ended, as the row says it: still
        // running, or ended (a server that serves one connection and exits 0).
        let ended = died.clone().unwrap_or(Ended::Running);
        // Ended well after the run's last connection: not a death (the next
        // connection starts it again).
        if result.is_ok() && died == Some(Ended::Exited(0)) {
            died = None;
        }
        let mut bytes = None;
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
                    Some(covered) => Msg::new("srv-sweep-ok").arg("covered", covered),
                    None => Msg::new("srv-same-replies"),
                },
            ),
            (None, Err(w)) => {
                bytes = w.bytes;
                (false, w.reason)
            }
        };
        // The server's own calls around the failure (`--trace`).
        let calls = match (passed, config.trace) {
            (false, true) => {
                let all = server.calls();
                let from = if server.id() == before.0 { before.1 } else { 0 };
                last_server_calls(&all[from.min(all.len())..], server.addr)
            }
            _ => Vec::new(),
        };
        let mut output = Output::default();
        if died.is_some() {
            output = server.end();
            server = Server::start(config)?;
        }
        runs.push(Run {
            shape,
            seed: (shape == ShapeName::Random).then_some(seed),
            direction: Directions::Up,
            passed,
            // A failure with the requests whole is not the shape's.
            blame: (!passed && shape != ShapeName::Whole).then_some(Blame::Server),
            signal: match died {
                Some(Ended::Signalled(s)) => Some(super::signal_name(s)),
                _ => None,
            },
            ended,
            reason,
            blamed: (!passed && shape != ShapeName::Whole).then(|| Msg::new("chk-blame-server")),
            shaped: Vec::new(),
            shaping: Shaping {
                requests: flow,
                replies: PassedOn::default(),
            },
            last_output: judge::last_lines(&output.both, 8),
            millis: started.elapsed().as_millis() as u64,
            received: bytes.as_ref().map(|(got, _)| Run::shown(got)),
            expected: bytes.as_ref().map(|(_, want)| Run::shown(want)),
            reproduce: reproduce(config, shape, seed, at),
            calls,
        });
        if let Some(run) = runs.last() {
            watch.run(run);
        }
        // --fail-fast: the first failing shape ends the check.
        if config.fail_fast && !passed {
            break;
        }
    }
    server.end();
    Ok(CheckReport::new(
        config.command.clone(),
        against(config),
        Directions::Up,
        runs,
    ))
}

/// Replies that varied between the two baseline runs, in words: the first
/// of them, and the bytes that varied.
fn varying(plan: &Baseline) -> Option<Msg> {
    plan.conns.iter().find_map(|c| {
        c.varies.iter().enumerate().find_map(|(k, ranges)| {
            let (first, last) = (ranges.first()?, ranges.last()?);
            Some(
                Msg::new("srv-replies-vary")
                    .arg("n", c.requests[k] + 1)
                    .arg("from", first.start + 1)
                    .arg("to", last.end),
            )
        })
    })
}

/// The command line that runs one shape again.
fn reproduce(
    config: &ServerCheck,
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
    if config.trace {
        words.push("--trace".into());
    }
    if shape == ShapeName::Stall && config.stall != Duration::from_millis(DEFAULT_STALL_MS) {
        words.extend(["--stall-ms".into(), config.stall.as_millis().to_string()]);
    }
    let defaults: Vec<Vec<u8>> = super::DEFAULT_MESSAGES
        .iter()
        .map(|m| format!("{m}\n").into_bytes())
        .collect();
    if config.requests != defaults {
        // As they were given: the texts first, then the files.
        for (k, r) in config.requests.iter().enumerate() {
            if config.request_files.get(k).is_none_or(Option::is_none) {
                words.extend(["--request".into(), crate::text::escape::escape(r)]);
            }
        }
        for path in config.request_files.iter().flatten() {
            words.extend(["--requests".into(), path.display().to_string()]);
        }
    }
    let patterns: Vec<&str> = config.ignore.iter().map(|r| r.as_str()).collect();
    if patterns != [DEFAULT_IGNORE] {
        for p in patterns {
            words.extend(["--ignore".into(), p.into()]);
        }
    }
    if config.reply_quiet != Duration::from_millis(DEFAULT_REPLY_QUIET_MS) {
        let ms = config.reply_quiet.as_millis().to_string();
        words.extend(["--reply-quiet-ms".into(), ms]);
    }
    if config.start_timeout != Duration::from_secs(DEFAULT_START_SECS) {
        let secs = config.start_timeout.as_secs().to_string();
        words.extend(["--start-timeout".into(), secs]);
    }
    words.push("--".into());
    words.extend(config.command.iter().cloned());
    quote::line(words.iter().map(String::as_str))
}
