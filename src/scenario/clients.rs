//! The scenario's clients: one thread drives every client connection through
//! the script, each with the reader under test.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use super::outcome::{Check, Outcome, Round, reply_row};
use super::{Connects, Step};
use crate::event::{Side, What, describe_io};
use crate::lang::Msg;
use crate::lesson::client::{ClientConfig, ClientError, Session};
use crate::lesson::reader::ReadError;
use crate::scenario::conductor::{Conducted, Conductor, ConnectOutcome, Stalled, Waiting};
use crate::transport::net::BufferSizes;
use crate::transport::net::SocketOptions;

struct Pending {
    /// The round's number: messages are numbered in the order they are sent.
    round: usize,
    message: Vec<u8>,
    wire_len: usize,
    sent_at: Instant,
}

struct Client {
    session: Session<Conducted>,
    owed: VecDeque<Pending>,
    rounds: usize,
}

pub(super) struct Clients {
    conductor: Arc<Conductor>,
    addr: SocketAddr,
    config: ClientConfig,
    opts: SocketOptions,
    open: BTreeMap<usize, Client>,
    /// Clients whose connect waits on a full listen queue.
    waiting: BTreeMap<usize, Waiting>,
    /// Clients that can do nothing more (the book's loop would spin
    /// forever, or overflow its buffer).
    stopped: BTreeSet<usize>,
    pub(super) rounds: Vec<Round>,
    pub(super) checks: Vec<Check>,
    pub(super) buffers: Vec<Msg>,
}

impl Clients {
    /// No client connected yet; each connects to `addr` at its first step.
    pub(super) fn new(
        conductor: Arc<Conductor>,
        addr: SocketAddr,
        config: ClientConfig,
        opts: SocketOptions,
    ) -> Self {
        Clients {
            conductor,
            addr,
            config,
            opts,
            open: BTreeMap::new(),
            waiting: BTreeMap::new(),
            stopped: BTreeSet::new(),
            rounds: Vec::new(),
            checks: Vec::new(),
            buffers: Vec::new(),
        }
    }

    fn note(&self, k: usize, text: Msg, bad: bool) {
        self.conductor
            .note(Side::Client(k), What::Note { text, bad });
    }

    /// The open client `k`, connecting it first if needed (and waiting for a
    /// connect that waits on a full listen queue).
    fn client(&mut self, k: usize) -> Option<&mut Client> {
        if self.stopped.contains(&k) {
            return None;
        }
        if let Some(waiting) = self.waiting.remove(&k) {
            self.retried(k, waiting);
        } else if !self.open.contains_key(&k) {
            match self.conductor.connect(self.addr, &self.opts, k) {
                Ok(ConnectOutcome::Done(stream, sizes)) => self.opened(k, stream, sizes),
                // Not asked to wait: wait all the same, as the real client would.
                Ok(ConnectOutcome::Waits(waiting)) => self.retried(k, waiting),
                Err(e) => self.could_not_connect(k, &e),
            }
        }
        self.open.get_mut(&k)
    }

    fn opened(&mut self, k: usize, stream: Conducted, sizes: BufferSizes) {
        if k == 1 {
            self.buffers
                .extend(sizes.said(Some(Msg::new("col-client"))));
        }
        let session = Session::new(stream, &self.config);
        let client = Client {
            session,
            owed: VecDeque::new(),
            rounds: 0,
        };
        self.open.insert(k, client);
    }

    /// Wait for client `k`'s connect, which waited on a full queue.
    fn retried(&mut self, k: usize, waiting: Waiting) {
        match self.conductor.connect_retried(waiting) {
            Ok((stream, sizes, took)) => {
                self.checks.push(Check {
                    what: Msg::new("check-connect-retried")
                        .arg("client", k)
                        .arg("secs", format!("{:.1}", took.as_secs_f64())),
                    ok: true,
                });
                self.opened(k, stream, sizes);
            }
            Err(e) => self.could_not_connect(k, &e),
        }
    }

    /// A client whose connect failed does nothing more in the script: it
    /// does not try again at each of its steps (each try could wait 3.7 s on
    /// a full listen queue), so a client costs at most one wait.
    fn could_not_connect(&mut self, k: usize, e: &io::Error) {
        self.stopped.insert(k);
        self.checks.push(Check {
            what: Msg::new("check-could-not-connect")
                .arg("client", k)
                .arg("error", describe_io(e)),
            ok: false,
        });
    }

    pub(super) fn step(&mut self, step: &Step) {
        match step {
            Step::Send { client, messages } => {
                self.write(*client, messages);
                self.read(*client);
            }
            Step::Write { client, messages } => self.write(*client, messages),
            Step::Read { client } => self.read(*client),
            Step::Pause { client, ms } => {
                if self.open.contains_key(client) {
                    self.conductor.note(
                        Side::Client(*client),
                        What::Pause {
                            ms: *ms,
                            late: false,
                        },
                    );
                }
                thread::sleep(Duration::from_millis(*ms));
            }
            Step::Connect { client, expect } => self.connect(*client, *expect),
            Step::Quit { client } => self.quit(*client),
        }
    }

    /// An explicit connect step, checked against what it expects.
    fn connect(&mut self, k: usize, expect: Connects) {
        let check = |id: &'static str, ok: bool| Check {
            what: Msg::new(id).arg("client", k),
            ok,
        };
        match (self.conductor.connect(self.addr, &self.opts, k), expect) {
            (Ok(ConnectOutcome::Done(stream, sizes)), _) => {
                self.checks.push(match expect {
                    Connects::AtOnce => check("check-connected-at-once", true),
                    Connects::Waits => check("check-not-waited", false),
                    Connects::Refused => check("check-not-refused", false),
                });
                self.opened(k, stream, sizes);
            }
            (Ok(ConnectOutcome::Waits(waiting)), Connects::Waits) => {
                self.checks.push(check("check-waits", true));
                // Its next step waits for it.
                self.waiting.insert(k, waiting);
            }
            (Ok(ConnectOutcome::Waits(waiting)), _) => {
                self.checks.push(check("check-waited", false));
                self.waiting.insert(k, waiting);
            }
            (Err(e), Connects::Refused) if e.kind() == io::ErrorKind::ConnectionRefused => {
                self.checks.push(check("check-refused", true));
            }
            (Err(e), Connects::Refused) => self.checks.push(Check {
                what: Msg::new("check-not-refused-error")
                    .arg("client", k)
                    .arg("error", describe_io(&e)),
                ok: false,
            }),
            (Err(e), _) => self.could_not_connect(k, &e),
        }
    }

    fn write(&mut self, k: usize, messages: &[Vec<u8>]) {
        let mut failed = Vec::new();
        if let Some(c) = self.client(k) {
            for m in messages {
                c.rounds += 1;
                match c.session.send(m) {
                    Ok(wire_len) => c.owed.push_back(Pending {
                        round: c.rounds,
                        message: m.clone(),
                        wire_len,
                        sent_at: Instant::now(),
                    }),
                    Err(e) => failed.push((c.rounds, m.clone(), e)),
                }
            }
        }
        for (round, m, e) in failed {
            self.note(
                k,
                Msg::new("note-round-failed")
                    .arg("round", round)
                    .arg("error", e.to_string()),
                true,
            );
            self.rounds.push(Round {
                client: k,
                round,
                sent: m,
                received: None,
                outcome: Outcome::Failed(e.to_string()),
                waited_ms: 0,
            });
        }
    }

    fn read(&mut self, k: usize) {
        if self.stopped.contains(&k) {
            return;
        }
        let Some(c) = self.open.get_mut(&k) else {
            return;
        };
        while let Some(p) = c.owed.pop_front() {
            let result = c.session.receive(p.wire_len);
            let waited_ms = p.sent_at.elapsed().as_millis() as u64;
            let (received, outcome) = match result {
                Ok(got) if got == p.message => (Some(got), Outcome::Intact),
                Ok(got) => (Some(got), Outcome::Wrong),
                Err(ReadError::Io(e)) if Stalled::is(&e) => (None, Outcome::Stalled),
                Err(ReadError::ClosedMidMessage { .. }) => (None, Outcome::ClosedMidMessage),
                Err(ReadError::Closed) => (None, Outcome::Closed),
                Err(ReadError::WouldLoopForever { .. }) => (None, Outcome::LoopsForever),
                Err(ReadError::WouldOverflow { by }) => (None, Outcome::Overflows(by)),
                Err(e) => (None, Outcome::Failed(ClientError::from(e).to_string())),
            };
            let round = Round {
                client: k,
                round: p.round,
                sent: p.message,
                received,
                outcome,
                waited_ms,
            };
            // The verdict on this reply goes into the timeline right after the
            // reads that made it, where a class can see why.
            self.conductor.note(Side::Client(k), reply_row(&round));
            let gone = matches!(round.outcome, Outcome::LoopsForever | Outcome::Overflows(_));
            self.rounds.push(round);
            if gone {
                // The book's client would be spinning, or writing over
                // its own memory: it does nothing more in this script.
                self.stopped.insert(k);
                break;
            }
        }
    }

    /// Quit as the book's client does: `close()` the socket, reading nothing
    /// more. Replies the script still owes are read first. Bytes that had
    /// arrived and were never read make the kernel answer with a reset (RST)
    /// instead of a FIN; the close row says how many there were, and the
    /// server meets the reset on its next read or write.
    fn quit(&mut self, k: usize) {
        self.read(k);
        // Dropping the session closes its socket (and records the close).
        self.open.remove(&k);
    }

    /// Quit every client still open, in order; one whose connect is still
    /// waiting is waited for first (it gets in once a client before it has
    /// left the queue).
    pub(super) fn quit_all(&mut self) {
        let mut left: Vec<usize> = self.open.keys().copied().collect();
        left.extend(self.waiting.keys().copied());
        left.sort_unstable();
        for k in left {
            if self.waiting.contains_key(&k) {
                self.client(k);
            }
            if self.open.contains_key(&k) {
                self.quit(k);
            }
        }
    }
}
