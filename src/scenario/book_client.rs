//! The book's own client in a scenario: `book/echo_client.c`, compiled,
//! run traced, and conducted like ours.
//!
//! The C program is not ours to change, so the conductor cannot call into
//! it. It holds it instead: the program runs traced (see
//! [`crate::transport::trace`]), and each of its socket calls stops at its
//! entry until the conductor's baton says it may go on, exactly where our
//! own conducted stream would wait. The call itself is the program's own
//! (`read(sock, message, BUF_SIZE - 1)`, as printed in the book); what the
//! timeline records is what the call asked, what it returned and the bytes
//! it moved, read out of the program's memory. Its console text is its own.
//!
//! The script is typed, not called: the program asks for a line
//! (`fgets(message, BUF_SIZE, stdin)`), and at that read of its standard
//! input the next message is written to it, after any pause the script
//! holds there (a user thinking). At the end of the script it is typed `Q`.
//!
//! The book's client writes one line and reads once, for one connection:
//! a scenario of several clients, of two writes before a read, or of a
//! message that is not one line cannot be typed into it, and is refused
//! before anything runs ([`Scenario::book_client_script`]).

use std::collections::VecDeque;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::held::{Console, HeldEnds, printed};
use super::outcome::{Check, Outcome, Round, reply_row};
use super::{Connects, Scenario, Step};
use crate::event::{Side, What};
use crate::lang::Msg;
use crate::lesson::book_c::BookProgram;
use crate::scenario::conductor::{Actor, Conductor, Stalled};
use crate::transport::trace::calls::{Call, Verb};
use crate::transport::trace::{self, Go, Hold, Traced};

/// The longest line the book's client reads whole: `fgets(message,
/// BUF_SIZE, stdin)` keeps at most `BUF_SIZE - 1` characters, the newline
/// among them.
pub const LONGEST_LINE: usize = crate::lesson::server::BOOK_BUF_SIZE - 1;

/// What is typed at one of the program's reads of its standard input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Typed {
    /// A pause of the script first (a user thinking), in milliseconds.
    Pause(u64),
    /// One message, a line.
    Line(Vec<u8>),
}

/// Why a run of the book's client could not be made: said in one line, as a
/// command that could not run (exit 3).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CannotRun(pub String);

impl Scenario {
    /// The script as it is typed into the book's client, or why it cannot
    /// be: one client, which writes one message and reads its reply at each
    /// step (the book's loop), each message one line it reads whole, and
    /// the client settings the book's (its buffer of 1024, Nagle on, no
    /// socket buffer asked, each message one write).
    pub fn book_client_script(&self) -> Result<Vec<Typed>, Msg> {
        let name = self.name.as_str();
        let ours = super::ClientSettings::default();
        let c = &self.client;
        if c.buffer_size != ours.buffer_size {
            return Err(Msg::new("book-c-client-buffer")
                .arg("name", name)
                .arg("n", c.buffer_size)
                .arg("book", ours.buffer_size));
        }
        let settings = [
            ("nodelay", c.nodelay != ours.nodelay),
            ("send_buffer", c.send_buffer.is_some()),
            ("recv_buffer", c.recv_buffer.is_some()),
            ("write_chunk", c.write_chunk.is_some()),
            ("write_delay_ms", c.write_delay_ms != 0),
        ];
        if let Some((key, _)) = settings.iter().find(|(_, set)| *set) {
            return Err(Msg::new("book-c-client-sets")
                .arg("name", name)
                .arg("key", *key));
        }
        let mut typed = Vec::new();
        let mut quit = false;
        for step in &self.steps {
            let client = match step {
                Step::Send { client, .. }
                | Step::Write { client, .. }
                | Step::Read { client }
                | Step::Pause { client, .. }
                | Step::Connect { client, .. }
                | Step::Quit { client } => *client,
            };
            if client != 1 {
                return Err(Msg::new("book-c-clients").arg("name", name));
            }
            if quit {
                return Err(Msg::new("book-c-after-quit").arg("name", name));
            }
            match step {
                Step::Send { messages, .. } if messages.len() == 1 => {
                    let m = &messages[0];
                    let line = m.strip_suffix(b"\n").unwrap_or(m);
                    if m.last() != Some(&b'\n') || line.contains(&b'\n') || m.contains(&0) {
                        return Err(Msg::new("book-c-not-a-line").arg("name", name));
                    }
                    if m.len() > LONGEST_LINE {
                        let most = LONGEST_LINE;
                        return Err(Msg::new("book-c-too-long")
                            .arg("name", name)
                            .arg("n", m.len())
                            .arg("most", most));
                    }
                    if line.eq_ignore_ascii_case(b"q") {
                        let q = String::from_utf8_lossy(line).into_owned();
                        return Err(Msg::new("book-c-quit").arg("name", name).arg("q", q));
                    }
                    typed.push(Typed::Line(m.clone()));
                }
                Step::Send { .. } => {
                    return Err(Msg::new("book-c-two-writes").arg("name", name));
                }
                Step::Write { .. } | Step::Read { .. } => {
                    return Err(Msg::new("book-c-steps").arg("name", name));
                }
                Step::Pause { ms, .. } => typed.push(Typed::Pause(*ms)),
                Step::Connect {
                    expect: Connects::AtOnce,
                    ..
                } => {}
                Step::Connect { .. } => {
                    return Err(Msg::new("book-c-connect").arg("name", name));
                }
                // The end of the script: Q is typed then.
                Step::Quit { .. } => quit = true,
            }
        }
        Ok(typed)
    }
}

/// What the book's client did, as the conductor saw it.
#[derive(Debug, Default)]
pub(super) struct Played {
    /// Each message and its reply (one read each, as the book reads).
    pub rounds: Vec<Round>,
    /// What went wrong outside the rounds.
    pub checks: Vec<Check>,
    /// What the program printed.
    pub console: Vec<u8>,
    /// The conductor ended it (where it would wait for ever).
    ended_here: bool,
}

/// Run the book's client against the conducted server at `addr`, typing
/// `script` into it, until it has quit (or been ended): what it did.
pub(super) fn play(
    conductor: &Arc<Conductor>,
    addr: SocketAddr,
    script: Vec<Typed>,
) -> Result<Played, CannotRun> {
    let program = super::held::book_program(BookProgram::Client)?;
    let mut command = super::held::command(&program);
    command
        .arg(addr.ip().to_string())
        .arg(addr.port().to_string());
    let cannot = |e: io::Error| CannotRun(e.to_string());
    // Its console: its keyboard and both of its outputs, a terminal as a
    // student's is, so that its prompt is printed as fgets waits for a line
    // (the C library writes what it holds for a terminal before it reads
    // one).
    let console = Console::open().map_err(cannot)?;
    let keyboard = console.keyboard().map_err(cannot)?;
    command
        .stdin(console.theirs.try_clone().map_err(cannot)?)
        .stdout(console.theirs.try_clone().map_err(cannot)?)
        .stderr(console.theirs.try_clone().map_err(cannot)?);
    let played = Arc::new(Mutex::new(Played::default()));
    let holder = ClientHolder {
        conductor: conductor.clone(),
        script: script.into(),
        keyboard: Some(keyboard),
        ends: HeldEnds::default(),
        connected: false,
        owed: VecDeque::new(),
        typed: 0,
        played: played.clone(),
    };
    let _ = conductor.begin(Actor::Client);
    // (The command's copies of the pipe's and the console's ends are closed
    // as it is spawned.)
    let traced = Traced::spawn_held(command, Box::new(holder))
        .map_err(|e| CannotRun(format!("cannot run {}: {e}", program.display())))?;
    // Its console, read as it goes, until the program and all it started
    // have closed it.
    let console = console.read_all();
    super::held::wait(&traced);
    let console = console.join().unwrap_or_default();
    let mut played = std::mem::take(&mut *played.lock().unwrap_or_else(|e| e.into_inner()));
    played.console = console;
    // The book's client quits with status 0 once typed Q: any other end
    // is said (a crash, a program that is not the book's), unless the
    // conductor ended it.
    if let Some(status) = traced.try_wait().filter(|_| !played.ended_here) {
        use std::os::unix::process::ExitStatusExt;
        let program = BookProgram::Client.name();
        let what = match (status.code(), status.signal()) {
            (Some(0), _) => None,
            (Some(code), _) => Some(Msg::new("check-book-ended-status").arg("code", code as i64)),
            (None, signal) => {
                Some(Msg::new("check-book-ended-signal").arg("signal", signal.unwrap_or(0) as i64))
            }
        };
        if let Some(what) = what {
            let what = what.arg("program", program);
            played.checks.push(Check { what, ok: false });
        }
    }
    Ok(played)
}

/// The conductor's hand on the program: at each of its socket calls, the
/// conducted end does what our own stream does around its call.
struct ClientHolder {
    conductor: Arc<Conductor>,
    /// What is left to type.
    script: VecDeque<Typed>,
    /// The program's standard input, until `Q` is typed.
    keyboard: Option<std::fs::File>,
    /// The connection, once its connect has returned.
    ends: HeldEnds,
    connected: bool,
    /// The messages typed whose replies are owed, and when each was typed.
    owed: VecDeque<(usize, Vec<u8>, Instant)>,
    /// Messages typed so far: the round's number.
    typed: usize,
    played: Arc<Mutex<Played>>,
}

impl ClientHolder {
    fn round(&mut self, received: Option<Vec<u8>>, outcome: Outcome) {
        let Some((round, sent, typed)) = self.owed.pop_front() else {
            return;
        };
        let outcome = match (&received, outcome) {
            (Some(got), Outcome::Intact) if *got != sent => Outcome::Wrong,
            (_, o) => o,
        };
        let round = Round {
            client: 1,
            round,
            sent,
            received,
            outcome,
            waited_ms: typed.elapsed().as_millis() as u64,
        };
        // The verdict on this reply goes into the timeline right after the
        // read that made it, where a class can see why.
        self.conductor.note(Side::Client(1), reply_row(&round));
        self.played
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .rounds
            .push(round);
    }
}

impl Drop for ClientHolder {
    /// The program has ended: a message typed and never answered, or never
    /// typed, is a round that failed (a program that crashed has not
    /// played the script).
    fn drop(&mut self) {
        while !self.owed.is_empty() {
            let ended = "the program ended before it read its reply".to_string();
            self.round(None, Outcome::Failed(ended));
        }
        for typed in std::mem::take(&mut self.script) {
            if let Typed::Line(line) = typed {
                self.typed += 1;
                self.owed.push_back((self.typed, line, Instant::now()));
                let ended = "never typed: the program had ended".to_string();
                self.round(None, Outcome::Failed(ended));
            }
        }
    }
}

impl Hold for ClientHolder {
    /// What it prints, a row at the moment it prints it.
    fn printing(&mut self, bytes: &[u8]) {
        self.conductor.note(Side::Client(1), printed(bytes));
    }

    fn reading_input(&mut self) -> Go {
        // The script's pauses come first: the user thinks, then types.
        while let Some(Typed::Pause(ms)) = self.script.front().cloned() {
            self.script.pop_front();
            self.conductor
                .note(Side::Client(1), What::Pause { ms, late: false });
            thread::sleep(Duration::from_millis(ms));
        }
        let line = match self.script.pop_front() {
            Some(Typed::Line(line)) => {
                self.typed += 1;
                self.owed
                    .push_back((self.typed, line.clone(), Instant::now()));
                line
            }
            _ => b"Q\n".to_vec(),
        };
        // What is typed, a row as it is typed.
        let typed = Msg::new("note-typed").arg("text", crate::text::escape::escape(&line));
        let what = What::Note {
            text: typed,
            bad: false,
        };
        self.conductor.note(Side::Client(1), what);
        if let Some(keyboard) = &mut self.keyboard {
            let _ = keyboard.write_all(&line);
        }
        if line == b"Q\n" {
            // Nothing more to type: its next read meets the end of input.
            self.keyboard = None;
        }
        Go::On
    }

    fn entering(&mut self, call: &Call) -> Go {
        match self.ends.entering(call) {
            Ok(()) => Go::On,
            Err(e) => {
                // A read that would wait forever: the hang is the result,
                // and the program is ended where it waits.
                let outcome = match Stalled::is(&e) {
                    true => Outcome::Stalled,
                    false => Outcome::Failed(e.to_string()),
                };
                self.round(None, outcome);
                self.played
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .ended_here = true;
                Go::End
            }
        }
    }

    fn returned(&mut self, call: &Call) {
        if call.verb == Verb::Connect && !self.connected {
            let result = match call.result {
                Ok(_) => trace::socket_of(call.pid, call.fd)
                    .ok_or_else(|| io::Error::other("its socket could not be copied")),
                Err(errno) => Err(io::Error::from_raw_os_error(errno)),
            };
            match self.conductor.connected_outside(result, 1) {
                Ok(conn) => {
                    self.ends.adopt(call.fd, conn);
                    self.connected = true;
                }
                Err(e) => self
                    .played
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .checks
                    .push(Check {
                        what: Msg::new("check-could-not-connect")
                            .arg("client", 1)
                            .arg("error", crate::event::describe_io(&e)),
                        ok: false,
                    }),
            }
            return;
        }
        // A read's reply, as the book's client takes it: whatever the one
        // read returned.
        match self.ends.returned(call) {
            Some(Ok(0)) => self.round(None, Outcome::Closed),
            Some(Ok(_)) => self.round(Some(call.bytes.clone()), Outcome::Intact),
            Some(Err(e)) => self.round(None, Outcome::Failed(e.to_string())),
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scenario built in code (not read from a file, whose rules would
    /// refuse these first) sending `message`.
    fn sending(message: &[u8]) -> Scenario {
        let mut s = Scenario::builtin("classic").unwrap();
        s.steps = vec![Step::Send {
            client: 1,
            messages: vec![message.to_vec()],
        }];
        s
    }

    #[test]
    fn only_one_line_of_text_can_be_typed() {
        let typed = sending(b"hi\n").book_client_script().unwrap();
        assert_eq!(typed, [Typed::Line(b"hi\n".to_vec())]);
        for not_a_line in [&b"hi"[..], b"a\nb\n", b"a\0\n"] {
            let why = sending(not_a_line).book_client_script().unwrap_err();
            assert_eq!(why.id(), "book-c-not-a-line", "{not_a_line:?}");
        }
    }
}
