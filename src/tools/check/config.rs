//! What a user asks of `check`, and the rules between the asks: the one
//! place that turns them into a [`CheckConfig`] or a [`ServerCheck`].
//!
//! The command line only parses (each number within its limits, a host
//! resolved, a request's escapes undone) and hands an [`Asked`] here; code
//! that builds a check itself goes through the same rules.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use super::server::{self, ServerCheck};
use super::{
    BOOK_PREFIX, CheckConfig, DEFAULT_MESSAGES, DEFAULT_RUN_LIMIT_SECS, DEFAULT_STALL_MS,
    DEFAULT_TIMEOUT_SECS, Directions, MAX_CHECK_MESSAGE, MAX_CHECK_MESSAGES, ShapeName, StdinLines,
};

/// A check as asked for, before the rules between its parts are applied.
/// Each field is a switch of `tcp-boundary check`; [`Asked::new`] gives
/// their defaults.
#[derive(Debug, Clone)]
pub struct Asked {
    /// The program: the client, or with `server` the server.
    pub command: Vec<String>,
    /// `--shape`: one shape alone.
    pub shape: Option<ShapeName>,
    /// `--seed`: the random shape's seed (with a server's split shape, the
    /// seed of the points drawn at random).
    pub seed: Option<u64>,
    /// `--seeds`: how many seeds of the random shape.
    pub seeds: u64,
    /// `--direction`.
    pub direction: Directions,
    /// `--timeout`.
    pub timeout: Duration,
    /// `--run-limit`.
    pub run_limit: Duration,
    /// `--stall-ms`.
    pub stall: Duration,
    /// `--cut-after`.
    pub cut_after: Option<u64>,
    /// `--at`, as written: `BYTE`, or for a server `[REQUEST:]BYTE`.
    pub at: Option<String>,
    /// `--fail-fast`.
    pub fail_fast: bool,
    /// `--untraced`.
    pub untraced: bool,
    /// `--trace`.
    pub trace: bool,
    /// `--upstream`, resolved.
    pub upstream: Option<SocketAddr>,
    /// `--stdin-lines`, with `--message` (empty: the default messages) and
    /// `--reply-prefix`.
    pub stdin_lines: bool,
    pub messages: Vec<String>,
    pub reply_prefix: String,
    /// `--server`, with its requests (empty: the default three lines),
    /// `--start-timeout`, `--ignore` (empty: an HTTP `Date:` line) and
    /// `--every-point`.
    pub server: bool,
    pub requests: Vec<Vec<u8>>,
    /// The file each request was read from (`None`: written as text).
    pub request_files: Vec<Option<std::path::PathBuf>>,
    /// `--reply-quiet-ms`.
    pub reply_quiet: Duration,
    pub start_timeout: Duration,
    pub ignore: Vec<String>,
    pub every_point: bool,
}

/// Why a check cannot be made as asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// The asks contradict each other, or one is out of its bounds: a usage
    /// error (exit 2).
    Usage(String),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Usage(said) => f.write_str(said),
        }
    }
}

impl std::error::Error for Refused {}

fn usage(said: String) -> Refused {
    Refused::Usage(said)
}

impl Asked {
    /// A check of `command` with every switch at its default.
    pub fn new(command: Vec<String>) -> Asked {
        Asked {
            command,
            shape: None,
            seed: None,
            seeds: 3,
            direction: Directions::Both,
            timeout: Duration::from_secs(DEFAULT_TIMEOUT_SECS),
            run_limit: Duration::from_secs(DEFAULT_RUN_LIMIT_SECS),
            stall: Duration::from_millis(DEFAULT_STALL_MS),
            cut_after: None,
            at: None,
            fail_fast: false,
            untraced: false,
            trace: false,
            upstream: None,
            stdin_lines: false,
            messages: Vec::new(),
            reply_prefix: BOOK_PREFIX.into(),
            server: false,
            requests: Vec::new(),
            request_files: Vec::new(),
            reply_quiet: Duration::from_millis(server::DEFAULT_REPLY_QUIET_MS),
            start_timeout: Duration::from_secs(server::DEFAULT_START_SECS),
            ignore: Vec::new(),
            every_point: false,
        }
    }

    /// The runs asked for: every shape of `shapes` (the random one once per
    /// seed), or the one `--shape` names, or the random one with `--seed`.
    fn runs(&self, shapes: &[ShapeName]) -> Result<Vec<(ShapeName, u64)>, Refused> {
        // A seed of the split shape is a server's: where its points are
        // drawn.
        let seeded =
            |s: ShapeName| s == ShapeName::Random || (self.server && s == ShapeName::Split);
        match (self.shape, self.seed) {
            (Some(ShapeName::Random) | None, Some(seed)) => Ok(vec![(ShapeName::Random, seed)]),
            (Some(shape), Some(_)) if seeded(shape) => Ok(vec![(shape, 0)]),
            (Some(shape), Some(_)) => Err(usage(match self.server {
                true => format!("--seed is for the random and split shapes only, not {shape}"),
                false => format!("--seed is for the random shape only, not {shape}"),
            })),
            (Some(shape), None) if !shapes.contains(&shape) && shape != ShapeName::Split => {
                let names: Vec<&str> = shapes.iter().map(|s| s.name()).collect();
                Err(usage(match self.server {
                    true => format!(
                        "--shape {shape} is for clients; a server's shapes are {}",
                        names.join(", ")
                    ),
                    false => format!("--shape {shape} is for servers: add --server"),
                }))
            }
            (Some(shape), None) => Ok(super::with_seeds(&[shape], self.seeds)),
            (None, None) => Ok(super::with_seeds(shapes, self.seeds)),
        }
    }

    /// The client check asked for, every rule between the asks checked.
    pub fn client(&self) -> Result<CheckConfig, Refused> {
        let runs = self.runs(&ShapeName::ALL)?;
        if let Some(shape) = self.shape.filter(|s| s.replies_only())
            && self.direction == Directions::Up
        {
            return Err(usage(format!(
                "--shape {shape} shapes replies only: it cannot run with --direction up"
            )));
        }
        if self.stall >= self.run_limit {
            return Err(usage(format!(
                "--stall-ms {} holds a reply for longer than --run-limit {} s lets a run take",
                self.stall.as_millis(),
                self.run_limit.as_secs()
            )));
        }
        let stdin_lines = match self.stdin_lines {
            true => Some(self.stdin_lines()?),
            false => None,
        };
        let split_at = match (&self.at, self.shape) {
            (None, _) => None,
            (Some(at), Some(ShapeName::Split)) => Some(
                at.parse::<u64>()
                    .ok()
                    .filter(|&k| (1..=server::MAX_REQUEST as u64).contains(&k))
                    .ok_or_else(|| {
                        usage(format!(
                            "--at {at}: a byte of the reply to split after, 1 to {}",
                            server::MAX_REQUEST
                        ))
                    })?,
            ),
            (Some(_), _) => return Err(usage("--at needs --shape split".into())),
        };
        Ok(CheckConfig {
            command: self.command.clone(),
            upstream: self.upstream,
            runs,
            direction: self.direction,
            timeout: self.timeout,
            run_limit: self.run_limit,
            stall: self.stall,
            stdin_lines,
            cut_after: self.cut_after,
            split_at,
            fail_fast: self.fail_fast,
            untraced: self.untraced,
            trace: self.trace,
        })
    }

    /// The messages fed to a book-style client, and what it prints before
    /// each reply.
    fn stdin_lines(&self) -> Result<StdinLines, Refused> {
        let lines = StdinLines {
            messages: match self.messages.is_empty() {
                true => DEFAULT_MESSAGES.iter().map(|m| m.to_string()).collect(),
                false => self.messages.clone(),
            },
            prefix: self.reply_prefix.clone(),
        };
        if let Some(m) = lines.messages.iter().find(|m| m.contains(&lines.prefix)) {
            return Err(usage(format!(
                "--message {m:?} holds the reply prefix {:?}: its reply could not be told from the next",
                lines.prefix
            )));
        }
        if lines.messages.len() > MAX_CHECK_MESSAGES {
            return Err(usage(format!("at most {MAX_CHECK_MESSAGES} --message")));
        }
        if let Some(m) = lines.messages.iter().find(|m| {
            m.len() > MAX_CHECK_MESSAGE || m.contains('\n') || m.trim().eq_ignore_ascii_case("q")
        }) {
            return Err(usage(format!(
                "--message {m:?}: one line of at most {MAX_CHECK_MESSAGE} bytes, and not `q` (which quits)"
            )));
        }
        Ok(lines)
    }

    /// The server check asked for (`--server`), every rule checked.
    pub fn server(&self) -> Result<ServerCheck, Refused> {
        let runs = self.runs(&server::SERVER_SHAPES)?;
        let (requests, request_files) = match self.requests.is_empty() {
            true => (
                DEFAULT_MESSAGES
                    .iter()
                    .map(|m| format!("{m}\n").into_bytes())
                    .collect(),
                Vec::new(),
            ),
            false => (self.requests.clone(), self.request_files.clone()),
        };
        if requests.len() > server::MAX_REQUESTS {
            return Err(usage(format!("at most {} requests", server::MAX_REQUESTS)));
        }
        if let Some(r) = requests
            .iter()
            .find(|r| r.is_empty() || r.len() > server::MAX_REQUEST)
        {
            return Err(usage(format!(
                "a request of {} bytes: each holds 1 to {} bytes",
                r.len(),
                server::MAX_REQUEST
            )));
        }
        let at = match &self.at {
            None => None,
            Some(_) if self.shape != Some(ShapeName::Split) => {
                return Err(usage("--at needs --shape split".into()));
            }
            Some(text) => Some(split_point(text, &requests)?),
        };
        let patterns = match self.ignore.is_empty() {
            true => vec![server::DEFAULT_IGNORE.to_string()],
            false => self.ignore.clone(),
        };
        let ignore = patterns
            .iter()
            .map(|p| pattern(p))
            .collect::<Result<_, _>>()?;
        Ok(ServerCheck {
            command: self.command.clone(),
            requests,
            runs,
            at,
            start_timeout: self.start_timeout,
            timeout: self.timeout,
            ignore,
            reply_quiet: self.reply_quiet,
            request_files,
            stall: self.stall,
            run_limit: self.run_limit,
            every_point: self.every_point,
            seed: match self.shape {
                Some(ShapeName::Split) => self.seed.unwrap_or(1),
                _ => 1,
            },
            fail_fast: self.fail_fast,
            trace: self.trace,
        })
    }
}

/// `--at` of a server: `BYTE` (of the first request) or `REQUEST:BYTE`,
/// each a split inside its request.
fn split_point(text: &str, requests: &[Vec<u8>]) -> Result<(usize, usize), Refused> {
    let (r, k) = match text.split_once(':') {
        Some((r, k)) => (r.parse::<usize>().ok(), k.parse::<usize>().ok()),
        None => (Some(1), text.parse::<usize>().ok()),
    };
    match (r, k) {
        (Some(r), Some(k))
            if r >= 1 && r <= requests.len() && k >= 1 && k < requests[r - 1].len() =>
        {
            Ok((r, k))
        }
        _ => Err(usage(format!(
            "--at {text}: expected BYTE or REQUEST:BYTE inside a request (request 1 to {}, byte 1 to its length - 1)",
            requests.len()
        ))),
    }
}

/// An `--ignore` pattern, compiled with a bound on its size.
fn pattern(p: &str) -> Result<regex::bytes::Regex, Refused> {
    regex::bytes::RegexBuilder::new(p)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| {
            usage(format!(
                "--ignore {p:?}: {}",
                e.to_string()
                    .lines()
                    .last()
                    .unwrap_or("")
                    .trim_start_matches("error: ")
            ))
        })
}

/// A request read from the file `path` (`--requests`): a regular file of at
/// most [`server::MAX_REQUEST`] bytes, as `run` and `show` read theirs. A
/// device such as /dev/zero never ends and a FIFO blocks until someone
/// writes, so neither is opened; a file that grows while it is read is read
/// no further than one byte past the limit.
pub fn read_request(path: &Path) -> Result<Vec<u8>, Refused> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let said = |why: String| usage(format!("--requests {}: {why}", path.display()));
    let not_regular = || said("not a regular file".into());
    let meta = std::fs::metadata(path).map_err(|e| said(e.to_string()))?;
    if !meta.is_file() {
        return Err(not_regular());
    }
    if meta.len() > server::MAX_REQUEST as u64 {
        return Err(said(format!(
            "{} bytes, more than the {} a request may hold",
            meta.len(),
            server::MAX_REQUEST
        )));
    }
    // Opened without waiting (a FIFO put in its place since would block)
    // and looked at again: what is read is what was checked.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| said(e.to_string()))?;
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return Err(not_regular());
    }
    let mut bytes = Vec::new();
    file.take(server::MAX_REQUEST as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| said(e.to_string()))?;
    if bytes.len() > server::MAX_REQUEST {
        return Err(said(format!(
            "it grew past the {} bytes a request may hold while it was read",
            server::MAX_REQUEST
        )));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked() -> Asked {
        Asked::new(vec!["client".into()])
    }

    fn refused(r: Result<impl std::fmt::Debug, Refused>) -> String {
        match r {
            Err(Refused::Usage(said)) => said,
            Ok(x) => panic!("accepted: {x:?}"),
        }
    }

    #[test]
    fn the_runs_are_every_shape_one_shape_or_one_seed() {
        let a = asked();
        assert_eq!(a.client().unwrap().runs.len(), 10);
        let one = Asked {
            shape: Some(ShapeName::Stall),
            ..asked()
        };
        assert_eq!(one.client().unwrap().runs, vec![(ShapeName::Stall, 0)]);
        let seed = Asked {
            seed: Some(7),
            ..asked()
        };
        assert_eq!(seed.client().unwrap().runs, vec![(ShapeName::Random, 7)]);
        let bad = Asked {
            shape: Some(ShapeName::Cut),
            seed: Some(7),
            ..asked()
        };
        assert_eq!(
            refused(bad.client()),
            "--seed is for the random shape only, not cut"
        );
        // A server's split shape takes a seed; a client's does not.
        let split = Asked {
            shape: Some(ShapeName::Split),
            seed: Some(9),
            server: true,
            ..asked()
        };
        assert_eq!(split.server().unwrap().seed, 9);
        assert!(
            refused(
                Asked {
                    server: false,
                    ..split
                }
                .client()
            )
            .starts_with("--seed")
        );
        let concurrent = Asked {
            shape: Some(ShapeName::Concurrent),
            ..asked()
        };
        assert!(refused(concurrent.client()).ends_with("add --server"));
        let small = Asked {
            shape: Some(ShapeName::SmallBuffers),
            server: true,
            ..asked()
        };
        assert!(refused(small.server()).contains("is for clients"));
    }

    #[test]
    fn a_rule_between_switches_holds_for_any_code_that_asks() {
        let up = Asked {
            shape: Some(ShapeName::Stall),
            direction: Directions::Up,
            ..asked()
        };
        assert!(refused(up.client()).contains("replies only"));
        let long = Asked {
            stall: Duration::from_secs(60),
            ..asked()
        };
        assert!(refused(long.client()).contains("--run-limit"));
        let at = Asked {
            at: Some("3".into()),
            ..asked()
        };
        assert_eq!(refused(at.client()), "--at needs --shape split");
        let lines = Asked {
            stdin_lines: true,
            messages: vec!["q".into()],
            ..asked()
        };
        assert!(refused(lines.client()).contains("not `q`"));
        let server_at = Asked {
            server: true,
            shape: Some(ShapeName::Split),
            at: Some("2:99".into()),
            ..asked()
        };
        assert!(refused(server_at.server()).starts_with("--at 2:99"));
        let ok = Asked {
            at: Some("2:3".into()),
            ..server_at
        };
        assert_eq!(ok.server().unwrap().at, Some((2, 3)));
        let ignore = Asked {
            server: true,
            ignore: vec!["(".into()],
            ..asked()
        };
        assert!(refused(ignore.server()).starts_with("--ignore"));
    }
}
