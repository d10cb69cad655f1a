//! The kernel's queues: where the bytes and the connections wait.
//!
//! Each socket has a receive queue in its kernel: a peer's `write` puts bytes
//! there, and a `read` takes from its front whatever is there when it runs,
//! with no idea where one write ended. Behind it, the writer's send queue
//! keeps what could not be sent yet (no room in the reader's window) and a
//! copy of what was sent until it is acknowledged. And before any of that,
//! the server's listen queue holds the connections `accept` has not taken.
//!
//! The page draws each queue as a bar, step by step, from the run's
//! measurements only (never a count worked out from the writes):
//!
//! - at a read, the reader's receive queue as the kernel reported it just
//!   before the call (`FIONREAD`), with the part the read takes marked;
//! - at every other step, each queue as the kernel reported it once the
//!   step's call had returned and its bytes had settled
//!   ([`crate::event::measure`]);
//! - a send queue only while some of its bytes are not sent yet, the unsent
//!   apart from the copies kept until acknowledged;
//! - the listen queue on runs of several clients, its room (the backlog and
//!   the one more Linux lets in) drawn empty.
//!
//! Two writes filling the bar and one read emptying it are coalesced writes;
//! one write's colour drained by three reads is a message read in parts.

use std::collections::HashMap;
use std::ops::Range;

use serde::Serialize;

use super::message_colour;
use crate::event::flow::{Direction, Flow, Stream};
use crate::event::measure::{self, ListenQueue, Measure, Queues, Unaccepted};
use crate::event::{Event, Side, What};
use crate::lang::Lang;
use crate::text::bytes_in;
use crate::tr;

/// What a block of a bar is (in the page's JSON, its number).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Waiting in a receive queue.
    Held = 0,
    /// In the receive queue, and the read of this step takes it.
    Taken = 1,
    /// In a send queue, not sent yet.
    Unsent = 2,
    /// In a send queue: sent, and kept until the peer acknowledges it.
    Copy = 3,
    /// A connection waiting in the listen queue.
    Waiting = 4,
    /// Room in the listen queue.
    Room = 5,
}

impl Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(*self as u8)
    }
}

/// One block of a bar: its bytes' (or connections') count, their message's
/// colour (`-1`: no message's, or several), and what it is. Short in JSON:
/// a page holds one for every step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Block(pub u64, pub i8, pub Kind);

/// One queue at one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bar {
    /// Whose queue, in words.
    #[serde(rename = "l")]
    pub label: String,
    /// What the kernel reported (bytes, or connections for the listen
    /// queue); `None` when there is no queue to measure.
    #[serde(rename = "v")]
    pub value: Option<u64>,
    /// The value in words.
    #[serde(rename = "s")]
    pub said: String,
    /// The blocks, front of the queue first.
    #[serde(rename = "p")]
    pub blocks: Vec<Block>,
    /// Which queue: `client` and `server` (receive queues), `client_send`
    /// and `server_send`, `listen` (whose blocks are connections).
    #[serde(rename = "d")]
    pub queue: &'static str,
}

/// The queues at one step: the receive queues of the connection the step is
/// on (the client's, then the server's), its send queues where bytes wait
/// unsent, and the listen queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueuesAt {
    /// Whose connection (client number).
    #[serde(rename = "c")]
    pub connection: usize,
    /// The bars, in the order drawn.
    #[serde(rename = "b")]
    pub bars: Vec<Bar>,
}

/// The most blocks a bar is drawn in: a queue holding more messages draws
/// the rest as one block, so that a page grows with its steps, not with
/// steps times messages.
const MOST_BLOCKS: usize = 12;

fn colour(stream: &Stream, message: Option<usize>) -> i8 {
    message_colour(stream, message).map_or(-1, |c| c as i8)
}

/// `range` of `stream` as blocks of `kind`, split where messages change.
fn blocks(stream: &Stream, range: Range<u64>, kind: Kind, out: &mut Vec<Block>) {
    if range.is_empty() {
        return;
    }
    for (r, message) in stream.split_by_message(range) {
        let len = r.end - r.start;
        let full = out.len() >= MOST_BLOCKS;
        match out.last_mut() {
            Some(last) if full && last.2 == kind => {
                last.0 += len;
                last.1 = -1;
            }
            _ => out.push(Block(len, colour(stream, message), kind)),
        }
    }
}

/// Where `stream` stands once step `n` is done: bytes written, bytes read.
fn ends(stream: &Stream, n: usize) -> (u64, u64) {
    let end = |spans: &[crate::event::flow::Span]| {
        spans
            .iter()
            .filter(|s| s.seq <= n)
            .map(|s| s.range.end)
            .max()
            .unwrap_or(0)
    };
    (end(&stream.writes), end(&stream.reads))
}

/// The receive queue that `stream`'s reader reads from at step `n`: at a read
/// of it, as the read began (`queued`); else as measured after the step
/// (`end`, that end's measured queues). The value and the blocks.
fn receive(
    stream: Option<&Stream>,
    at_read: Option<(u64, u64, u64)>,
    end: Queues,
    n: usize,
) -> (u64, Vec<Block>) {
    let mut out = Vec::new();
    let Some(stream) = stream else {
        // No byte written either way yet.
        return (end.recv_q, out);
    };
    match at_read {
        // The read of this step: the queue as it began, and what the read
        // takes from its front.
        Some((at, len, queued)) => {
            let taken = at + len.min(queued);
            blocks(stream, at..taken, Kind::Taken, &mut out);
            blocks(stream, taken..at + queued, Kind::Held, &mut out);
            (queued, out)
        }
        None => {
            // Bytes arrive in order: the queue holds the stream's next
            // unread bytes, as many as the kernel counted.
            let (written, read) = ends(stream, n);
            let held = (read + end.recv_q).min(written.max(read));
            blocks(stream, read..held, Kind::Held, &mut out);
            (end.recv_q, out)
        }
    }
}

/// The send queue of `stream`'s writer at step `n`, when some of it is not
/// sent yet: its last `unsent` bytes wait, and before them the copies kept
/// until acknowledged.
fn send(stream: Option<&Stream>, end: Queues, n: usize) -> Option<Vec<Block>> {
    let stream = stream?;
    if end.unsent == 0 {
        return None;
    }
    let (written, _) = ends(stream, n);
    let unsent_from = written.saturating_sub(end.unsent);
    let copies_from = written.saturating_sub(end.send_q.max(end.unsent));
    let mut out = Vec::new();
    blocks(stream, copies_from..unsent_from, Kind::Copy, &mut out);
    blocks(stream, unsent_from..written, Kind::Unsent, &mut out);
    Some(out)
}

/// The listen queue as a bar: each waiting connection, then the room left;
/// in words, whose they are and the bytes already waiting in them.
fn listen_bar(listen: Option<ListenQueue>, clients: &[Unaccepted], lang: Lang) -> Bar {
    let label = tr!(lang, "page-queue-listen");
    match listen {
        None => Bar {
            label,
            value: None,
            said: tr!(lang, "page-queue-listen-closed"),
            blocks: Vec::new(),
            queue: "listen",
        },
        Some(q) => {
            // Linux takes one more connection than the backlog.
            let room = u64::from(q.backlog) + 1;
            let waiting = u64::from(q.waiting);
            // A slot for each connection while they fit in a few blocks.
            let slots = |n: u64, kind: Kind| -> Vec<Block> {
                match n {
                    0 => Vec::new(),
                    n if n as usize <= MOST_BLOCKS => (0..n).map(|_| Block(1, -1, kind)).collect(),
                    n => vec![Block(n, -1, kind)],
                }
            };
            let mut blocks = slots(waiting, Kind::Waiting);
            blocks.extend(slots(room.saturating_sub(waiting), Kind::Room));
            let mut said = tr!(lang, "page-queue-listen-waiting", n = waiting, room = room);
            let who: Vec<String> = clients
                .iter()
                .map(|u| match u.recv_q {
                    Some(b) if b > 0 => tr!(
                        lang,
                        "page-queue-listen-who-bytes",
                        n = u.client,
                        bytes = bytes_in(b, lang)
                    ),
                    _ => tr!(lang, "page-queue-listen-who", n = u.client),
                })
                .collect();
            if !who.is_empty() {
                said = format!("{said}: {}", who.join(", "));
            }
            Bar {
                label,
                value: Some(waiting),
                said,
                blocks,
                queue: "listen",
            }
        }
    }
}

/// A read as measured: where its bytes start, how many it returned, and
/// what the kernel said waited before it.
fn reads(timeline: &[Event]) -> HashMap<usize, (u64, u64, u64)> {
    timeline
        .iter()
        .filter_map(|e| match &e.what {
            What::Read {
                at,
                bytes,
                queued: Some(q),
                ..
            } => Some((e.seq, (*at, bytes.len() as u64, *q as u64))),
            _ => None,
        })
        .collect()
}

/// Every queue at every step `1..=steps`, for the connection each step is
/// on, from `measures` (the run's, in row order).
pub fn steps(
    timeline: &[Event],
    measures: &[Measure],
    flow: &Flow,
    clients: usize,
    lang: Lang,
) -> Vec<QueuesAt> {
    let reads = reads(timeline);
    let last = timeline.iter().map(|e| e.seq).max().unwrap_or(0);
    let by_seq: HashMap<usize, &Event> = timeline.iter().map(|e| (e.seq, e)).collect();
    // Where each side closed each connection: (server?, connection) to the
    // close's seq and the bytes it left unread.
    let mut closes = HashMap::new();
    for e in timeline {
        if let What::Close { unread } = e.what {
            let key = match e.side {
                Side::Client(c) => (false, c),
                Side::Server => match flow.connection_of(e.seq) {
                    Some(c) => (true, c),
                    None => continue,
                },
                _ => continue,
            };
            closes.entry(key).or_insert((e.seq, unread));
        }
    }
    let mut connection = 1;
    let mut listen = None;
    let mut unaccepted: &[Unaccepted] = &[];
    (1..=last)
        .map(|n| {
            let here = measure::at(measures, n);
            if let Some(m) = here {
                listen = m.listen;
                unaccepted = &m.waiting;
            }
            connection = flow
                .connection_of(n)
                .or_else(|| match by_seq.get(&n).map(|e| e.side) {
                    Some(Side::Client(c)) => Some(c),
                    _ => None,
                })
                .unwrap_or(connection);
            let stream = |d: Direction| {
                flow.streams
                    .iter()
                    .find(|s| s.client == connection && s.direction == d)
            };
            // Whose queue, of which kind (receive or send).
            let label_of = |server_end: bool, id: &str, on: &str| match (server_end, clients) {
                (false, 1) => tr!(lang, id, who = tr!(lang, "who-the-client")),
                (false, _) => tr!(lang, id, who = tr!(lang, "who-client", n = connection)),
                (true, 1) => tr!(lang, id, who = tr!(lang, "who-the-server")),
                (true, _) => tr!(lang, on, n = connection),
            };
            let measured = measure::latest(measures, connection, n);
            // At a read on this connection, every bar as the read began.
            let event = by_seq.get(&n);
            let before = here
                .filter(|m| m.connection == Some(connection))
                .and_then(|m| m.before)
                .filter(|_| event.is_some_and(|e| matches!(e.what, What::Read { .. })));
            let mut bars = Vec::new();
            let mut senders = Vec::new();
            // The client reads the echo (down); the server the client's
            // bytes (up). Each end's send queue holds what it writes: the
            // client's the up stream, the server's the down stream.
            for (server_end, reads_from, writes_to) in [
                (false, Direction::Down, Direction::Up),
                (true, Direction::Up, Direction::Down),
            ] {
                let label = label_of(server_end, "page-queue-of", "page-queue-server-on");
                let which = if server_end { "server" } else { "client" };
                let end = match (before, measured) {
                    (Some(b), _) => b.end(server_end),
                    (None, m) => m.and_then(|m| m.end(server_end)),
                };
                let bar = match (closes.get(&(server_end, connection)), measured, end) {
                    (Some(&(seq, unread)), _, _) if seq <= n => Bar {
                        label,
                        value: None,
                        said: match unread {
                            0 => tr!(lang, "page-queue-closed"),
                            u => tr!(lang, "page-queue-discarded", n = bytes_in(u, lang)),
                        },
                        blocks: Vec::new(),
                        queue: which,
                    },
                    // No measure of this connection yet: it does not exist
                    // (a handshake dropped, or refused), and neither end
                    // has a queue. Said once, on the client's bar.
                    (_, None, _) if server_end => continue,
                    (_, None, _) => Bar {
                        label: label_of(false, "page-queue-connection-of", ""),
                        value: None,
                        // Why, where the step says: a handshake dropped on a
                        // full listen queue, or refused.
                        said: match event.map(|e| &e.what) {
                            Some(What::ConnectWaits) => tr!(lang, "page-queue-syn-dropped"),
                            Some(What::Refused) => tr!(lang, "page-queue-refused"),
                            _ => tr!(lang, "page-queue-no-connection"),
                        },
                        blocks: Vec::new(),
                        queue: which,
                    },
                    (_, Some(_), None) => Bar {
                        label,
                        value: None,
                        said: tr!(lang, "page-queue-unmeasured"),
                        blocks: Vec::new(),
                        queue: which,
                    },
                    (_, Some(_), Some(end)) => {
                        let at_read = event
                            .filter(|e| match e.side {
                                Side::Server => server_end,
                                Side::Client(_) => !server_end,
                                _ => false,
                            })
                            .and_then(|_| reads.get(&n).copied());
                        let (value, blocks) = receive(stream(reads_from), at_read, end, n);
                        if let Some(blocks) = send(stream(writes_to), end, n) {
                            senders.push(Bar {
                                label: label_of(
                                    server_end,
                                    "page-send-queue-of",
                                    "page-send-queue-server-on",
                                ),
                                value: Some(end.send_q),
                                said: tr!(
                                    lang,
                                    "page-send-queue-waiting",
                                    unsent = bytes_in(end.unsent, lang),
                                    n = bytes_in(end.send_q, lang)
                                ),
                                blocks,
                                queue: if server_end {
                                    "server_send"
                                } else {
                                    "client_send"
                                },
                            });
                        }
                        Bar {
                            label,
                            value: Some(value),
                            said: tr!(lang, "page-queue-waiting", n = bytes_in(value, lang)),
                            blocks,
                            queue: which,
                        }
                    }
                };
                bars.push(bar);
            }
            bars.extend(senders);
            if clients > 1 {
                bars.push(listen_bar(listen, unaccepted, lang));
            }
            QueuesAt { connection, bars }
        })
        .collect()
}

#[cfg(test)]
mod tests;
