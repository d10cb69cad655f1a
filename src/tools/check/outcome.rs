//! What a check found: each run's verdict, how the client ended, what the
//! shape did to the bytes, and the report of them all.

use serde::Serialize;

use super::{Directions, SCHEMA, ShapeName};
use crate::event::Event;
use crate::lang::Msg;

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
/// it wrote (the first [`PassedOn::SHOWN`] of each), their counts, the bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PassedOn {
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

impl Run {
    /// How many bytes of a failing run's received and expected bytes the
    /// report shows.
    pub const SHOWN_BYTES: usize = 200;

    /// How many of a failing run's last socket calls `--trace` shows.
    pub const SHOWN_CALLS: usize = 12;

    /// Bytes as a report shows them: escaped, the first
    /// [`Run::SHOWN_BYTES`] only.
    pub fn shown(bytes: &[u8]) -> String {
        crate::text::escape::escape_fit(bytes, Self::SHOWN_BYTES)
    }
}

impl PassedOn {
    /// How many sizes are kept.
    pub const SHOWN: usize = 64;
}

/// What the shape did to the first connection's bytes, as data.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Shaping {
    /// Client → server.
    pub requests: PassedOn,
    /// Server → client.
    pub replies: PassedOn,
}

/// One run of the client under one shape.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// The shape.
    pub shape: ShapeName,
    /// The seed (random shape only).
    pub seed: Option<u64>,
    /// Which directions were shaped.
    pub direction: Directions,
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
    /// A failing run: the bytes that came where the reply was expected
    /// (escaped, at most [`Run::SHOWN_BYTES`] of them), and those expected.
    pub received: Option<String>,
    pub expected: Option<String>,
    /// The command line that runs this shape again.
    pub reproduce: String,
    /// A failing run with `--trace`: the client's last socket calls, as a
    /// timeline (at most [`Run::SHOWN_CALLS`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub calls: Vec<Event>,
}

/// A check's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckVerdict {
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
    pub verdict: CheckVerdict,
    /// Whose reads the failing runs broke, all told: the one side every
    /// blamed run names, or both; `None` when no failure is a shape's.
    pub blame: Option<Blame>,
    /// How many runs failed.
    pub failures: usize,
    /// The client's command.
    pub command: Vec<String>,
    /// What the client talked to.
    pub server: Msg,
    /// Which directions were shaped.
    pub direction: Directions,
    /// Each run, in order.
    pub runs: Vec<Run>,
    /// Whether the client ran traced (see [`crate::transport::trace`]), so
    /// that the bytes it left unread in its sockets when it closed them were
    /// measured then, and counted. `None` for a server check (the client is
    /// ours).
    pub tracing: Option<Tracing>,
}

/// Whether a checked client ran traced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tracing {
    /// Traced: bytes left unread in its kernel are counted.
    Traced,
    /// Untraced, as asked (`--untraced`): those bytes are not counted.
    Untraced,
    /// Untraced, since this machine does not allow it (ptrace or seccomp
    /// forbidden, a kernel before 5.6): those bytes are not counted.
    NotAllowed,
}

impl CheckReport {
    /// The report of these runs: its verdict and failure count read off them.
    pub fn new(command: Vec<String>, server: Msg, direction: Directions, runs: Vec<Run>) -> Self {
        let failures = runs.iter().filter(|r| !r.passed).count();
        let blame = runs
            .iter()
            .filter(|r| !r.passed)
            .filter_map(|r| r.blame)
            .reduce(|a, b| if a == b { a } else { Blame::Both });
        CheckReport {
            blame,
            schema: SCHEMA,
            verdict: match failures {
                0 => CheckVerdict::Pass,
                _ => CheckVerdict::Fail,
            },
            failures,
            command,
            server,
            direction,
            runs,
            tracing: None,
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
