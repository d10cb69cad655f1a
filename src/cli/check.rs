//! `tcp-boundary check`'s switches, and the run they ask for.

use std::path::PathBuf;
use std::time::Duration;

use super::shape::number_in;
use super::{LangArg, UsageError, host_port};
use crate::shape::MAX_CUT_AFTER;
use crate::tools::check::server::{self, DEFAULT_START_SECS, MAX_START_SECS, ServerConfig};
use crate::tools::check::{
    BOOK_PREFIX, CheckConfig, CheckError, DEFAULT_MESSAGES, DEFAULT_RUN_LIMIT_SECS,
    DEFAULT_STALL_MS, DEFAULT_TIMEOUT_SECS, Direction, MAX_MESSAGE, MAX_MESSAGES,
    MAX_RUN_LIMIT_SECS, MAX_SEEDS, MAX_STALL_MS, MAX_TIMEOUT_SECS, ShapeName, StdinLines,
};

/// Run COMMAND once per shape of fragmentation; its exit status is its
/// verdict (0: every reply it got was right). Exit status of check: 0 every
/// shape as expected, 1 a shape broke the program, 2 bad usage, 3 the check
/// could not be made (no such command, upstream refused, report unwritable).
#[derive(Debug, clap::Args)]
#[command(allow_negative_numbers = true)]
pub struct CheckArgs {
    /// Check against this server instead of our echo server: a shaping proxy
    /// is put in front of it, both directions shaped.
    #[arg(long, value_name = "HOST:PORT")]
    pub upstream: Option<String>,
    /// Run this shape alone.
    #[arg(long, value_enum)]
    pub shape: Option<ShapeName>,
    /// The seed of the random shape (with no --shape: the random shape alone,
    /// with this seed); with --server --shape split, the seed of the split
    /// points drawn at random in a long request.
    #[arg(long, value_name = "N", value_parser = number_in(0, u64::MAX))]
    pub seed: Option<u64>,
    /// How many seeds of the random shape to run (seeds 1 to N).
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = number_in(1, MAX_SEEDS))]
    pub seeds: u64,
    /// Which directions to shape: both, down (replies: the client's reads)
    /// or up (requests: the server's reads). A failing shape is also run
    /// one direction at a time against an --upstream server, to say whose
    /// reads broke.
    #[arg(long, value_enum, value_name = "DIRECTION", default_value_t = Direction::Both)]
    pub direction: Direction,
    /// How long a run may go with no byte moving either way (the proxy
    /// holding nothing back) before the client counts as hung and is killed,
    /// in seconds.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_TIMEOUT_SECS, value_parser = number_in(1, MAX_TIMEOUT_SECS))]
    pub timeout: u64,
    /// The longest one run may take in all, in seconds: a client still
    /// running then, bytes still moving, is too slow for the shape.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_RUN_LIMIT_SECS, value_parser = number_in(1, MAX_RUN_LIMIT_SECS))]
    pub run_limit: u64,
    /// How long the stall shape keeps quiet half way through each reply (each
    /// request, with --server), once the first half has been read, in
    /// milliseconds: longer than a program that frames by waiting for quiet
    /// waits.
    #[arg(long, value_name = "MS", default_value_t = DEFAULT_STALL_MS, value_parser = number_in(1, MAX_STALL_MS))]
    pub stall_ms: u64,
    /// Where the cut shape cuts the reply, in bytes (default: half of the first
    /// reply, measured by a run without shaping).
    #[arg(long, value_name = "BYTES", value_parser = number_in(0, MAX_CUT_AFTER))]
    pub cut_after: Option<u64>,
    /// A client in the book's style: feed each message as a line on its
    /// standard input, then `q`, and judge the replies it prints.
    #[arg(long)]
    pub stdin_lines: bool,
    /// A message for --stdin-lines (repeat for more; default three short
    /// lines).
    #[arg(long, value_name = "TEXT", requires = "stdin_lines")]
    pub message: Vec<String>,
    /// What a --stdin-lines client prints before each reply.
    #[arg(long, value_name = "TEXT", requires = "stdin_lines", default_value = BOOK_PREFIX)]
    pub reply_prefix: String,
    /// Print the report as JSON (in English, whatever --lang says).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub lang: LangArg,
    /// Also write the report as JUnit XML to this file (one test case per
    /// shape and seed).
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub junit: Option<PathBuf>,
    /// The JUnit suite's and test cases' class name (default: the command's
    /// file name).
    #[arg(long, value_name = "NAME", requires = "junit")]
    pub name: Option<String>,
    /// Check a server instead of a client: COMMAND is the server, started
    /// with `{port}` (and `{addr}`, `{host}`) where it must listen; our
    /// client sends the requests whole, then shaped, and every shaped run must
    /// get the same replies.
    #[arg(long, conflicts_with_all = ["upstream", "stdin_lines", "direction", "cut_after"])]
    pub server: bool,
    /// A request for --server (repeat for more; `\r`, `\n`, `\t`, `\\`,
    /// `\xHH` understood; default: three lines of the echo protocol).
    #[arg(long, value_name = "TEXT", requires = "server")]
    pub request: Vec<String>,
    /// A request for --server read from a file, its bytes sent as they are
    /// (repeat for more; after the --request ones).
    #[arg(long, value_name = "FILE", requires = "server", value_hint = clap::ValueHint::FilePath)]
    pub requests: Vec<PathBuf>,
    /// With --shape split: only this split point, after BYTE of each reply
    /// (a client) or of the first request (--server), or REQUEST:BYTE.
    #[arg(long, value_name = "[REQUEST:]BYTE")]
    pub at: Option<String>,
    /// With --server, split every request at every byte, however long (a
    /// request longer than 512 bytes is otherwise split at its first and
    /// last 64 bytes, around its delimiters and powers of two, and at 64
    /// points drawn at random).
    #[arg(long, requires = "server")]
    pub every_point: bool,
    /// Stop at the first shape that fails.
    #[arg(long)]
    pub fail_fast: bool,
    /// How long the server may take to listen, in seconds.
    #[arg(long, value_name = "SECS", requires = "server", default_value_t = DEFAULT_START_SECS, value_parser = number_in(1, MAX_START_SECS))]
    pub start_timeout: u64,
    /// A pattern (regular expression, on bytes) whose matches in a reply may
    /// differ from run to run, such as a clock (repeat for more). An HTTP
    /// `Date:` line is ignored unless a pattern is given.
    #[arg(long, value_name = "REGEX", requires = "server")]
    pub ignore: Vec<String>,
    /// The client to run (with --server: the server), and its arguments:
    /// `{addr}` (HOST:PORT), `{host}` and `{port}` are replaced, and
    /// TCP_BOUNDARY_ADDR, TCP_BOUNDARY_HOST and TCP_BOUNDARY_PORT are set.
    #[arg(last = true, required = true, value_name = "COMMAND", value_hint = clap::ValueHint::CommandWithArguments)]
    pub command: Vec<String>,
}

impl CheckArgs {
    /// The server check these switches ask for (with `--server`).
    pub fn server_config(&self) -> anyhow::Result<ServerConfig> {
        let usage = |m: String| anyhow::Error::from(UsageError(m));
        let runs = match (self.shape, self.seed) {
            (Some(ShapeName::Random) | None, Some(seed)) => vec![(ShapeName::Random, seed)],
            (Some(ShapeName::Split), Some(_)) => vec![(ShapeName::Split, 0)],
            (Some(shape), Some(_)) => {
                return Err(usage(format!(
                    "--seed is for the random and split shapes only, not {shape}"
                )));
            }
            (Some(ShapeName::Random), None) => server::every_shape(self.seeds)
                .into_iter()
                .filter(|(s, _)| *s == ShapeName::Random)
                .collect(),
            (Some(shape), None) if server::SERVER_SHAPES.contains(&shape) => vec![(shape, 0)],
            (Some(shape), None) => {
                let names: Vec<&str> = server::SERVER_SHAPES.iter().map(|s| s.name()).collect();
                return Err(usage(format!(
                    "--shape {shape} is for clients; a server's shapes are {}",
                    names.join(", ")
                )));
            }
            (None, None) => server::every_shape(self.seeds),
        };
        let mut requests = Vec::new();
        for r in &self.request {
            requests
                .push(server::unescape_request(r).map_err(|e| usage(format!("--request {e}")))?);
        }
        for path in &self.requests {
            requests.push(read_request(path).map_err(usage)?);
        }
        if requests.is_empty() {
            requests = DEFAULT_MESSAGES
                .iter()
                .map(|m| format!("{m}\n").into_bytes())
                .collect();
        }
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
            Some(text) => {
                let (r, k) = match text.split_once(':') {
                    Some((r, k)) => (r.parse::<usize>().ok(), k.parse::<usize>().ok()),
                    None => (Some(1), text.parse::<usize>().ok()),
                };
                match (r, k) {
                    (Some(r), Some(k))
                        if r >= 1 && r <= requests.len() && k >= 1 && k < requests[r - 1].len() =>
                    {
                        Some((r, k))
                    }
                    _ => {
                        return Err(usage(format!(
                            "--at {text}: expected BYTE or REQUEST:BYTE inside a request (request 1 to {}, byte 1 to its length - 1)",
                            requests.len()
                        )));
                    }
                }
            }
        };
        let patterns = match self.ignore.is_empty() {
            true => vec![server::DEFAULT_IGNORE.to_string()],
            false => self.ignore.clone(),
        };
        let mut ignore = Vec::new();
        for p in &patterns {
            ignore.push(
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
                    })?,
            );
        }
        Ok(ServerConfig {
            command: self.command.clone(),
            requests,
            runs,
            at,
            start_timeout: Duration::from_secs(self.start_timeout),
            timeout: Duration::from_secs(self.timeout),
            ignore,
            stall: Duration::from_millis(self.stall_ms),
            run_limit: Duration::from_secs(self.run_limit),
            every_point: self.every_point,
            seed: match self.shape {
                Some(ShapeName::Split) => self.seed.unwrap_or(1),
                _ => 1,
            },
            fail_fast: self.fail_fast,
        })
    }

    /// The check these switches ask for, every rule between them checked.
    pub fn config(&self) -> anyhow::Result<CheckConfig> {
        let runs = match (self.shape, self.seed) {
            (Some(ShapeName::Random) | None, Some(seed)) => vec![(ShapeName::Random, seed)],
            (Some(shape), Some(_)) => {
                return Err(UsageError(format!(
                    "--seed is for the random shape only, not {shape}"
                ))
                .into());
            }
            (Some(ShapeName::Random), None) => CheckConfig::every_shape(self.seeds)
                .into_iter()
                .filter(|(s, _)| *s == ShapeName::Random)
                .collect(),
            (Some(ShapeName::Concurrent), None) => {
                return Err(
                    UsageError("--shape concurrent is for servers: add --server".into()).into(),
                );
            }
            (Some(shape), None) => vec![(shape, 0)],
            (None, None) => CheckConfig::every_shape(self.seeds),
        };
        if let Some(shape) = self.shape.filter(|s| s.replies_only())
            && self.direction == Direction::Up
        {
            return Err(UsageError(format!(
                "--shape {shape} shapes replies only: it cannot run with --direction up"
            ))
            .into());
        }
        let stdin_lines = self.stdin_lines.then(|| StdinLines {
            messages: if self.message.is_empty() {
                DEFAULT_MESSAGES.iter().map(|m| m.to_string()).collect()
            } else {
                self.message.clone()
            },
            prefix: self.reply_prefix.clone(),
        });
        if self.stall_ms >= self.run_limit.saturating_mul(1000) {
            return Err(UsageError(format!(
                "--stall-ms {} holds a reply for longer than --run-limit {} s lets a run take",
                self.stall_ms, self.run_limit
            ))
            .into());
        }
        if let Some(lines) = &stdin_lines {
            if let Some(m) = lines.messages.iter().find(|m| m.contains(&lines.prefix)) {
                return Err(UsageError(format!(
                    "--message {m:?} holds the reply prefix {:?}: its reply could not be told from the next",
                    lines.prefix
                ))
                .into());
            }
            if lines.messages.len() > MAX_MESSAGES {
                return Err(UsageError(format!("at most {MAX_MESSAGES} --message")).into());
            }
            for m in &lines.messages {
                if m.len() > MAX_MESSAGE || m.contains('\n') || m.trim().eq_ignore_ascii_case("q") {
                    return Err(UsageError(format!(
                        "--message {m:?}: one line of at most {MAX_MESSAGE} bytes, and not `q` (which quits)"
                    ))
                    .into());
                }
            }
        }
        let upstream = match &self.upstream {
            Some(s) => Some(host_port("--upstream", s).map_err(
                |e| match e.is::<UsageError>() {
                    true => e,
                    false => CheckError(format!("--upstream {s}: {e:#}")).into(),
                },
            )?),
            None => None,
        };
        Ok(CheckConfig {
            command: self.command.clone(),
            upstream,
            runs,
            direction: self.direction,
            timeout: Duration::from_secs(self.timeout),
            run_limit: Duration::from_secs(self.run_limit),
            stall: Duration::from_millis(self.stall_ms),
            stdin_lines,
            cut_after: self.cut_after,
            split_at: match (&self.at, self.shape) {
                (None, _) => None,
                (Some(at), Some(ShapeName::Split)) => Some(
                    at.parse::<u64>()
                        .ok()
                        .filter(|&k| (1..=server::MAX_REQUEST as u64).contains(&k))
                        .ok_or_else(|| {
                            UsageError(format!(
                                "--at {at}: a byte of the reply to split after, 1 to {}",
                                server::MAX_REQUEST
                            ))
                        })?,
                ),
                (Some(_), _) => return Err(UsageError("--at needs --shape split".into()).into()),
            },
            fail_fast: self.fail_fast,
        })
    }
}

/// The request in the file `path` (`--requests`): a regular file of at most
/// [`server::MAX_REQUEST`] bytes, as `run` and `show` read theirs. A device
/// such as /dev/zero never ends and a FIFO blocks until someone writes, so
/// neither is opened; a file that grows while it is read is read no further
/// than one byte past the limit.
fn read_request(path: &std::path::Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let said = |why: String| format!("--requests {}: {why}", path.display());
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
