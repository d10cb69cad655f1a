//! The scenario's clients: one thread drives every client connection through
//! the script, each with the reader under test.

use std::collections::{BTreeMap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use super::Step;
use super::outcome::{Check, Outcome, Round, reply_row};
use crate::event::{Side, What};
use crate::lang::Msg;
use crate::lesson::client::{ClientConfig, ClientError, Session};
use crate::lesson::reader::ReadError;
use crate::scenario::conductor::{Conducted, Conductor, Stalled};
use crate::shape::SocketOptions;

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
            rounds: Vec::new(),
            checks: Vec::new(),
            buffers: Vec::new(),
        }
    }

    fn note(&self, k: usize, text: Msg, bad: bool) {
        self.conductor
            .note(Side::Client(k), What::Note { text, bad });
    }

    /// The open client `k`, connecting it first if needed.
    fn client(&mut self, k: usize) -> Option<&mut Client> {
        if !self.open.contains_key(&k) {
            match self.conductor.connect(self.addr, &self.opts, k) {
                Ok((stream, sizes)) => {
                    if k == 1 {
                        self.buffers
                            .extend(sizes.said(Some(Msg::new("col-client"))));
                    }
                    let session = Session::new(stream, &self.config);
                    self.open.insert(
                        k,
                        Client {
                            session,
                            owed: VecDeque::new(),
                            rounds: 0,
                        },
                    );
                }
                Err(e) => {
                    self.checks.push(Check {
                        what: Msg::new("check-could-not-connect")
                            .arg("client", k)
                            .arg("error", e.to_string()),
                        ok: false,
                    });
                    return None;
                }
            }
        }
        self.open.get_mut(&k)
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
            Step::Connect { client, refused } => self.connect(*client, *refused),
            Step::Quit { client } => self.quit(*client),
        }
    }

    fn connect(&mut self, k: usize, expect_refused: bool) {
        if !expect_refused {
            self.client(k);
            return;
        }
        match self.conductor.connect(self.addr, &self.opts, k) {
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => self.checks.push(Check {
                what: Msg::new("check-refused").arg("client", k),
                ok: true,
            }),
            Err(e) => self.checks.push(Check {
                what: Msg::new("check-not-refused-error")
                    .arg("client", k)
                    .arg("error", e.to_string()),
                ok: false,
            }),
            Ok(_connected) => {
                self.checks.push(Check {
                    what: Msg::new("check-not-refused").arg("client", k),
                    ok: false,
                });
            }
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
            self.rounds.push(round);
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

    pub(super) fn quit_all(&mut self) {
        let open: Vec<usize> = self.open.keys().copied().collect();
        for k in open {
            self.quit(k);
        }
    }
}
