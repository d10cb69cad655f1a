//! `tcp-boundary check`'s switches, and the run they ask for.

use std::path::PathBuf;
use std::time::Duration;

use super::shape::number_in;
use super::{LangArg, UsageError, host_port};
use crate::shape::MAX_CUT_AFTER;
use crate::tools::check::config::{self, Asked, Refused};
use crate::tools::check::server::{
    self, DEFAULT_REPLY_QUIET_MS, DEFAULT_START_SECS, MAX_REPLY_QUIET_MS, MAX_START_SECS,
    ServerCheck,
};
use crate::tools::check::{
    BOOK_PREFIX, CheckConfig, CheckError, DEFAULT_RUN_LIMIT_SECS, DEFAULT_STALL_MS,
    DEFAULT_TIMEOUT_SECS, Directions, MAX_RUN_LIMIT_SECS, MAX_SEEDS, MAX_STALL_MS,
    MAX_TIMEOUT_SECS, ShapeName,
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
    #[arg(long, value_enum, value_name = "DIRECTION", default_value_t = Directions::Both)]
    pub direction: Directions,
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
    /// Where the cut shape closes the reply, in bytes (default: half of the first
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
    /// Run the client untraced. check traces the client (ptrace) to count
    /// the reply bytes it leaves unread in its kernel when it closes; a
    /// client that traces itself (under strace or gdb) cannot be traced,
    /// and one untraced is judged without those bytes.
    #[arg(long, conflicts_with = "server")]
    pub untraced: bool,
    /// Record the client's (with --server, the server's) socket calls, and
    /// show a failing row's last ones: which of its reads took part of a
    /// reply, or of a request (see `tcp-boundary trace`). Each socket call
    /// then stops the program twice.
    #[arg(long, conflicts_with = "untraced")]
    pub trace: bool,
    /// With --server, how long the server must be quiet after a reply's last
    /// byte before the reply sent whole is taken as complete, in
    /// milliseconds: longer than the server pauses inside one reply (an
    /// acknowledgement now, the result later).
    #[arg(long, value_name = "MS", requires = "server", default_value_t = DEFAULT_REPLY_QUIET_MS, value_parser = number_in(1, MAX_REPLY_QUIET_MS))]
    pub reply_quiet_ms: u64,
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
    /// The JUnit report's file (`--junit`), opened now, before the first
    /// run (see [`crate::tools::check::report::JunitFile`]).
    pub fn junit_file(
        &self,
    ) -> Result<Option<crate::tools::check::report::JunitFile>, crate::tools::check::CheckError>
    {
        let open = crate::tools::check::report::JunitFile::open;
        self.junit.as_deref().map(open).transpose()
    }

    /// The JUnit suite's name: `--name`, else the command's file name.
    pub fn junit_name(&self) -> String {
        let default = || crate::tools::check::report::default_name(&self.command);
        self.name.clone().unwrap_or_else(default)
    }

    /// What these switches ask for, parsed: a host resolved, each request's
    /// escapes undone and each request file read. The rules between them
    /// are the library's ([`Asked`]).
    pub fn asked(&self) -> anyhow::Result<Asked> {
        let upstream = match &self.upstream {
            Some(s) => Some(host_port("--upstream", s).map_err(
                |e| match e.is::<UsageError>() {
                    true => e,
                    false => CheckError(format!("--upstream {s}: {e:#}")).into(),
                },
            )?),
            None => None,
        };
        let mut requests = Vec::new();
        let mut request_files = Vec::new();
        for r in &self.request {
            let bytes =
                server::unescape_request(r).map_err(|e| UsageError(format!("--request {e}")))?;
            requests.push(bytes);
            request_files.push(None);
        }
        for path in &self.requests {
            requests.push(config::read_request(path).map_err(usage)?);
            request_files.push(Some(path.clone()));
        }
        Ok(Asked {
            command: self.command.clone(),
            shape: self.shape,
            seed: self.seed,
            seeds: self.seeds,
            direction: self.direction,
            timeout: Duration::from_secs(self.timeout),
            run_limit: Duration::from_secs(self.run_limit),
            stall: Duration::from_millis(self.stall_ms),
            cut_after: self.cut_after,
            at: self.at.clone(),
            fail_fast: self.fail_fast,
            untraced: self.untraced,
            trace: self.trace,
            upstream,
            stdin_lines: self.stdin_lines,
            messages: self.message.clone(),
            reply_prefix: self.reply_prefix.clone(),
            server: self.server,
            requests,
            request_files,
            reply_quiet: Duration::from_millis(self.reply_quiet_ms),
            start_timeout: Duration::from_secs(self.start_timeout),
            ignore: self.ignore.clone(),
            every_point: self.every_point,
        })
    }

    /// The check these switches ask for: a client's, or with `--server` a
    /// server's.
    pub fn check(&self) -> anyhow::Result<CheckOf> {
        let asked = self.asked()?;
        Ok(match self.server {
            true => CheckOf::Server(Box::new(asked.server().map_err(usage)?)),
            false => CheckOf::Client(Box::new(asked.client().map_err(usage)?)),
        })
    }
}

/// A check of a client or of a server.
#[derive(Debug)]
pub enum CheckOf {
    Client(Box<CheckConfig>),
    Server(Box<ServerCheck>),
}

/// A check refused as asked: a usage error.
fn usage(r: Refused) -> anyhow::Error {
    match r {
        Refused::Usage(said) => UsageError(said).into(),
    }
}
