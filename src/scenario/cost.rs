//! What a scenario will cost, worked out from its script before anything
//! runs: the bytes it sends, the writes and timeline rows they make, the
//! connects that may wait on a full listen queue, how long one run may take
//! and how large its page may be. A scenario over any limit is refused
//! (`Scenario::validate`, and so `parse` and `load`), so that every scenario
//! accepted runs within [`MAX_RUN_SECONDS`] with all five readers, in a
//! bounded memory, and writes a page of at most [`MAX_PAGE`] bytes.
//!
//! Every figure is an upper bound, not a guess: `tests/scenarios.rs` runs
//! files and holds what they made against it.
//!
//! - **Reads.** The conductor makes each read return everything the peer has
//!   written and this end has not read, up to the buffer. So a read either
//!   fills the buffer (at most `bytes / buffer` of those) or drains what was
//!   written (at most one per write of the peer), or meets the end of stream.
//!   A receive buffer asked for (`recv_buffer`) lets at least half its size
//!   through at a time: a read it holds back takes at least that much, and
//!   waits for the kernel's delayed acknowledgement (at most
//!   [`HELD_BACK_MS`]).
//! - **Writes.** The server echoes each read in chunks of at most `chunk`
//!   (the smallest random chunk), so its writes are at most `bytes / chunk`
//!   plus one per read; a client writes each message in chunks of
//!   `write_chunk`.
//! - **Waits.** A connect waits when `backlog + 1` connections are queued for
//!   `accept`. The script is walked with the server accepting only when a
//!   client reads (where the real server surely runs), and a waiting
//!   connect counted in the queue from the start: the queue of the walk is
//!   never shorter than the real one, so every real wait is counted. A
//!   client whose connect fails does nothing more, so it waits once.

use std::collections::{BTreeSet, VecDeque};

use super::conductor::{AT_ONCE, RETRY_PATIENCE};
use super::{Scenario, Step};
use crate::lang::Msg;
use crate::lesson::reader::on_the_wire;

/// A run of `tcp-boundary run FILE` (all five readers) ends within this many
/// seconds: each reader's run is bounded by [`MAX_RUN_MS`].
pub const MAX_RUN_SECONDS: u64 = 30;
/// The longest one reader's run may take by the cost model: the
/// [`MAX_RUN_SECONDS`] shared by the five readers.
pub const MAX_RUN_MS: u64 = MAX_RUN_SECONDS * 1000 / 5;
/// The most messages in a scenario, counted before any is built.
pub const MAX_SCENARIO_MESSAGES: usize = 500;
/// The most bytes the clients of a scenario send in one run, length headers
/// included, counted before any message is built: 128 KiB.
pub const MAX_SENT: u64 = 128 * 1024;
/// The most timeline rows one run may make.
pub const MAX_ROWS: u64 = 1000;
/// The largest page `run --html` may write: 16 MiB.
pub const MAX_PAGE: u64 = 16 << 20;

/// What one run costs at most: one bound per resource, worked out from the
/// script (see the module's documentation for how).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cost {
    /// Messages in the script.
    pub messages: u64,
    /// Bytes the clients send (each message with the length reader's 4-byte
    /// header).
    pub bytes: u64,
    /// Reads and writes, both sides.
    pub calls: u64,
    /// Rows of the timeline.
    pub rows: u64,
    /// Connects that may wait on a full listen queue.
    pub waits: u64,
    /// Milliseconds the script's `pause_ms` steps sleep.
    pub pause_ms: u64,
    /// Reads a small receive window may hold back (see [`HELD_BACK_MS`]).
    pub held_back: u64,
    /// Milliseconds the run may take: the pauses, each wait at its longest,
    /// and every row at [`ROW_MS`].
    pub run_ms: u64,
    /// Bytes of the page `run --html` writes (every reader).
    pub page: u64,
}

/// The longest a read held back by a receive window waits: the kernel's
/// longest delayed acknowledgement (`TCP_DELACK_MAX`, 200 ms).
pub const HELD_BACK_MS: u64 = 200;

/// What a row may cost in time, far above what one takes (about 0.3 ms in a
/// debug build, a paced write, the read it wakes and the kernel's counts
/// measured after it included; 2 ms more where bytes wait unsent and must
/// hold still to be measured), so that the bound holds on a loaded machine
/// too (a test runs every scenario beside others on two cores).
pub const ROW_MS: f64 = 4.0;
/// A page with no rows: style, script, texts (the texts are added).
const PAGE_BASE: u64 = 96 * 1024;
/// What a row may add to a page, with its bytes shown in 32 columns: its
/// SVG, its ribbon, its stepper entry and its JSON (measured: about 720).
const PAGE_ROW: u64 = 1536;
/// How often the bytes sent appear in a page's JSON: each client's write,
/// the server's read and write, the client's read, the round's sent and
/// received.
const PAGE_COPIES: u64 = 6;
/// The longest escape of one byte in JSON: `\\xff` is five characters.
const PAGE_PER_BYTE: u64 = 5;

impl Scenario {
    /// The most one run of this scenario costs (with the command line's
    /// shaping over the file's, see [`Scenario::shape_override`]).
    pub fn cost(&self) -> Cost {
        let spec = self.server_spec();
        let mut cost = Cost::default();
        let clients: BTreeSet<usize> = self.steps.iter().map(Step::client).collect();
        let conns = clients.len() as u64;
        let steps = self.steps.len() as u64;
        let mut client_writes = 0u64;
        for step in &self.steps {
            match step {
                Step::Send { messages, .. } | Step::Write { messages, .. } => {
                    for m in messages {
                        let wire = on_the_wire(m.len()) as u64;
                        cost.messages += 1;
                        cost.bytes += wire;
                        client_writes += match self.client.write_chunk {
                            Some(n) => wire.div_ceil(n.max(1) as u64),
                            None => 1,
                        };
                    }
                }
                Step::Pause { ms, .. } => cost.pause_ms += ms,
                _ => {}
            }
        }
        let bytes = cost.bytes;
        let per = |buffer: usize| bytes.div_ceil(buffer.max(1) as u64);
        // Every read and every connection's end of stream.
        let server_reads = client_writes + per(self.server.buffer_size) + conns + steps;
        let chunk = match (spec.chunk, spec.random_chunks) {
            (_, Some(r)) => Some(r.min as u64),
            (Some(c), None) => Some(c),
            (None, None) => None,
        };
        let server_writes = match chunk {
            Some(c) => bytes.div_ceil(c.max(1)) + server_reads,
            None => server_reads,
        };
        // A small receive buffer lets half its size through at a time.
        let window =
            |side_buffer: Option<u64>| side_buffer.map_or(0, |b| per((b as usize / 2).max(1)));
        let (client_held, server_held) = (
            window(self.client.recv_buffer),
            window(self.server.recv_buffer),
        );
        cost.held_back = client_held + server_held;
        let server_reads = server_reads + server_held;
        let server_writes = server_writes + server_held;
        let client_reads = server_writes
            + 3 * cost.messages
            + per(self.client.buffer_size)
            + client_held
            + conns
            + steps;
        cost.calls = client_writes + server_reads + server_writes + client_reads;
        // A pause row after each paced write (and each late read).
        let paced_server = spec.chunk_delay_ms.is_some() || spec.random_pauses;
        let paced_client = self.client.write_delay_ms > 0;
        cost.rows = cost.calls
            + if paced_server { server_writes } else { 0 }
            + if spec.read_delay_ms.is_some() { server_reads } else { 0 }
            + if paced_client { client_writes } else { 0 }
            // Connects, accepts, closes, replies, notes, the listener.
            + 10 * steps
            + 4 * cost.messages
            + 10 * conns
            + 10;
        cost.waits = self.waits();
        let wait_ms = (RETRY_PATIENCE + AT_ONCE).as_millis() as u64;
        cost.run_ms = cost.pause_ms
            + cost.waits * wait_ms
            + cost.held_back * HELD_BACK_MS
            + (cost.rows as f64 * ROW_MS).ceil() as u64;
        let texts: u64 = [&self.name, &self.lesson, &self.description, &self.point_at]
            .iter()
            .map(|t| t.len() as u64)
            .sum::<u64>()
            + self.ko.as_ref().map_or(0, |k| {
                (k.lesson.len() + k.description.len() + k.point_at.len()) as u64
            });
        // Texts are shown escaped, at most ten characters a byte (`&#x202e;`).
        cost.page = PAGE_BASE
            + 10 * texts
            + 5 * (PAGE_ROW * cost.rows + PAGE_COPIES * PAGE_PER_BYTE * cost.bytes);
        cost
    }

    /// What a run waits for in real time, in words, one line each: a
    /// connect that waits for its kernel to send its SYN again (about a
    /// second), a client's pause. Empty when a run takes milliseconds.
    pub fn real_waits(&self) -> Vec<Msg> {
        let mut out: Vec<Msg> = self
            .waiting_clients()
            .into_iter()
            .map(|k| Msg::new("wait-syn").arg("client", k))
            .collect();
        for step in &self.steps {
            if let Step::Pause { client, ms } = step {
                out.push(Msg::new("wait-pause").arg("client", *client).arg("ms", *ms));
            }
        }
        out
    }

    /// Connects that may wait on a full listen queue (see the module's
    /// documentation).
    fn waits(&self) -> u64 {
        self.waiting_clients().len() as u64
    }

    /// The clients whose connect may wait on a full listen queue, in the
    /// order of the script.
    fn waiting_clients(&self) -> Vec<usize> {
        // Linux queues one connection more than the backlog.
        let room = self.server.backlog as usize + 1;
        let mut queue: VecDeque<usize> = VecDeque::new();
        let mut served: Option<usize> = None;
        let mut served_count = 0;
        let mut server_done = false;
        let mut quit: BTreeSet<usize> = BTreeSet::new();
        let mut tried: BTreeSet<usize> = BTreeSet::new();
        let mut waits = Vec::new();
        for step in &self.steps {
            let k = step.client();
            // A client connects at its first step, and at each connect step.
            let first = tried.insert(k);
            if first || matches!(step, Step::Connect { .. }) {
                let refused = server_done;
                if !refused {
                    if queue.len() >= room {
                        waits.push(k);
                    }
                    queue.push_back(k);
                }
            }
            match step {
                Step::Send { .. } | Step::Read { .. } => {
                    // The client waits for a reply: the server runs until it
                    // waits too, closing every client that quit and
                    // accepting the next.
                    loop {
                        if let Some(s) = served {
                            if !quit.contains(&s) {
                                break;
                            }
                            served = None;
                            served_count += 1;
                            if self.server.clients > 0 && served_count >= self.server.clients {
                                server_done = true;
                                queue.clear();
                                break;
                            }
                        }
                        match queue.pop_front() {
                            Some(next) => served = Some(next),
                            None => break,
                        }
                    }
                }
                Step::Quit { .. } => {
                    quit.insert(k);
                }
                _ => {}
            }
        }
        waits
    }

    /// The first limit the cost of a run goes over, in words: which limit,
    /// and what the scenario asks for.
    pub(super) fn over_a_limit(&self) -> Option<String> {
        let c = self.cost();
        if c.messages > MAX_SCENARIO_MESSAGES as u64 {
            return Some(format!(
                "the script has {} messages; the limit is {MAX_SCENARIO_MESSAGES}",
                c.messages
            ));
        }
        if c.bytes > MAX_SENT {
            return Some(format!(
                "the script sends {} bytes (with 4-byte length headers); the limit is {MAX_SENT}",
                c.bytes
            ));
        }
        let fix = "fewer or longer chunks (chunk, random_chunks, write_chunk), larger read \
                   buffers (buffer_size), fewer or shorter messages";
        if c.rows > MAX_ROWS {
            return Some(format!(
                "a run would make up to {} timeline rows ({} reads and writes); the limit is \
                 {MAX_ROWS}: {fix}",
                c.rows, c.calls
            ));
        }
        if c.run_ms > MAX_RUN_MS {
            return Some(format!(
                "a run could take {} ms ({} ms of pauses, {} connect(s) that may wait {} ms \
                 each on a full listen queue, {} read(s) a small receive buffer may hold back \
                 {HELD_BACK_MS} ms each, {} rows); the limit is {MAX_RUN_MS} ms per reader, \
                 {MAX_RUN_SECONDS} s for all five",
                c.run_ms,
                c.pause_ms,
                c.waits,
                (RETRY_PATIENCE + AT_ONCE).as_millis(),
                c.held_back,
                c.rows
            ));
        }
        if c.page > MAX_PAGE {
            return Some(format!(
                "its page (run --html) could be {} bytes; the limit is {MAX_PAGE}: {fix}",
                c.page
            ));
        }
        None
    }
}
