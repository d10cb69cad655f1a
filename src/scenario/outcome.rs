//! What a run produced: rounds and their outcomes, checks, the report, and
//! the verdict read off them.

use std::io;

use serde::Serialize;

use super::{ScenarioError, SideProgram, Verdict};
use crate::event::measure::Measure;
use crate::event::{Event, Side, What, as_escaped, as_escaped_opt};
use crate::lang::Msg;
use crate::lesson::reader::ReaderKind;

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
    /// The book's loop met the end of the stream and would spin forever.
    LoopsForever,
    /// The book's loop would write this many bytes past its buffer.
    Overflows(usize),
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
    #[serde(serialize_with = "as_escaped")]
    pub sent: Vec<u8>,
    /// The reply as the reader returned it.
    #[serde(serialize_with = "as_escaped_opt")]
    pub received: Option<Vec<u8>>,
    /// How it went.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Milliseconds from the message's write to its reply.
    pub waited_ms: u64,
}

/// Something the scenario asserts besides the replies (a refused connection, the
/// order in which clients were served).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was checked, and what was found.
    pub what: Msg,
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
    /// The program that played the client (the book's reads as `naive`).
    pub client_program: SideProgram,
    /// What that program printed, when it is not ours (the book's
    /// client's own console text).
    #[serde(
        serialize_with = "as_escaped_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub console: Option<Vec<u8>>,
    /// The program that played the server.
    pub server_program: SideProgram,
    /// What it printed, when it is not ours (the book's server's console).
    #[serde(
        serialize_with = "as_escaped_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub server_console: Option<Vec<u8>>,
    /// The seed of the random chunks and pauses, if any.
    pub seed: Option<u64>,
    /// Socket buffer sizes asked for and granted.
    pub buffers: Vec<Msg>,
    /// The client's read buffer: the most one of its reads can return.
    pub client_buffer: usize,
    /// The server's read buffer.
    pub server_buffer: usize,
    /// Every call, in order.
    pub timeline: Vec<Event>,
    /// The kernel's counts at the rows: queues, listen queue, segments
    /// (see [`Measure`]), in row order.
    pub measures: Vec<Measure>,
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
    /// compares to prove two runs the same. Every call and its bytes are the
    /// same each time; a read's `queued` is left out, as it is the kernel's
    /// queue measured, not a call: the conductor fixes what each read takes
    /// (waiting, when a small receive window holds a write back, until
    /// nothing is on its way), while bytes arriving behind them may still
    /// join the queue as it is measured.
    pub fn shape(&self) -> Vec<(Side, What)> {
        self.timeline
            .iter()
            .map(|e| {
                let mut what = e.what.clone();
                if let What::Read { queued, .. } = &mut what {
                    *queued = None;
                }
                (e.side, what)
            })
            .collect()
    }
}

/// The counts of [`Scenario::repeat`](super::Scenario::repeat).
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
    /// The program asked to play the client cannot be run here (no C
    /// compiler, tracing not allowed).
    #[error(transparent)]
    Program(#[from] super::CannotRun),
}

/// The timeline row for a reply: the reply itself, or what stopped it.
pub(super) fn reply_row(r: &Round) -> What {
    match (&r.received, &r.outcome) {
        (Some(got), o) => What::Reply {
            round: r.round,
            ok: *o == Outcome::Intact,
            got: got.clone(),
            sent: r.sent.clone(),
        },
        (None, Outcome::Stalled) => What::Note {
            text: Msg::new("note-stalled").arg("round", r.round),
            bad: true,
        },
        (None, o @ (Outcome::LoopsForever | Outcome::Overflows(_))) => What::Note {
            text: Msg::new("note-bad-reply")
                .arg("round", r.round)
                .arg("why", o.said()),
            bad: true,
        },
        (None, o) => What::Note {
            text: Msg::new("note-no-reply")
                .arg("round", r.round)
                .arg("why", o.said()),
            bad: false,
        },
    }
}

impl Outcome {
    /// The outcome in words.
    pub fn said(&self) -> Msg {
        match self {
            Outcome::Intact => Msg::new("outcome-intact"),
            Outcome::Wrong => Msg::new("outcome-wrong"),
            Outcome::Stalled => Msg::new("outcome-stalled"),
            Outcome::ClosedMidMessage => Msg::new("outcome-closed-mid-message"),
            Outcome::Closed => Msg::new("outcome-closed"),
            Outcome::LoopsForever => Msg::new("outcome-loops-forever"),
            Outcome::Overflows(by) => Msg::new("outcome-overflows").arg("n", *by),
            Outcome::Failed(e) => Msg::new("outcome-failed").arg("error", e.as_str()),
        }
    }
}

/// The verdict from a reader's rounds: any wrong reply, stall, endless loop or
/// overflow is broken; an error without one is an honest detection; otherwise
/// intact.
pub fn verdict_of(rounds: &[Round]) -> Verdict {
    if rounds.iter().any(|r| {
        matches!(
            r.outcome,
            Outcome::Wrong | Outcome::Stalled | Outcome::LoopsForever | Outcome::Overflows(_)
        )
    }) {
        Verdict::Broken
    } else if rounds.iter().all(|r| r.outcome == Outcome::Intact) {
        Verdict::Intact
    } else {
        Verdict::Detected
    }
}

/// With several clients: the iterative server accepted each one only after it had
/// closed the one before. Read off the real timeline.
pub(super) fn served_in_turn(timeline: &[Event]) -> Vec<Check> {
    let mut checks = Vec::new();
    let mut open = false;
    let mut accepts = 0;
    for e in timeline.iter().filter(|e| e.side == Side::Server) {
        match e.what {
            What::Accept { .. } => {
                accepts += 1;
                if accepts > 1 {
                    checks.push(Check {
                        what: Msg::new("check-served-in-turn")
                            .arg("client", accepts)
                            .arg("before", accepts - 1),
                        ok: !open,
                    });
                }
                open = true;
            }
            What::Close { .. } => open = false,
            _ => {}
        }
    }
    checks
}
