//! The receive queues: where the bytes wait between a `write` and a `read`.
//!
//! Each socket has a receive queue in its kernel: a peer's `write` puts bytes
//! there, and a `read` takes from its front whatever is there when it runs,
//! with no idea where one write ended. Before every read the run asked the
//! kernel how many bytes waited (`FIONREAD`, the read's `queued`). The page
//! draws each side's queue as a bar, step by step, from those measurements
//! only:
//!
//! - at a read, the bar holds what the kernel reported, and the part the read
//!   takes is marked;
//! - after it, what the read left behind (the measured count less what the
//!   read returned);
//! - bytes the peer wrote since the last measurement are drawn apart, as
//!   written but not yet measured: whether they have arrived, only the next
//!   read's measurement says.
//!
//! Two writes filling the bar and one read emptying it are coalesced writes;
//! one write's colour drained by three reads is a message read in pieces.

use std::collections::HashMap;
use std::ops::Range;

use serde::Serialize;

use super::message_colour;
use crate::event::flow::{Direction, Flow, Stream};
use crate::event::{Event, Side, What};
use crate::lang::Lang;
use crate::text::bytes_in;
use crate::tr;

/// What a piece of a bar is (in the page's JSON, its number: 0, 1, 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Measured: waiting in the queue.
    Held = 0,
    /// Measured, and the read of this step takes it.
    Taken = 1,
    /// Written by the peer since the last measurement: not yet measured.
    Sent = 2,
}

impl Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(*self as u8)
    }
}

/// One piece of a bar: its bytes' count, their message's colour (`-1`: no
/// message's, or several), and what it is. Short in JSON: a page holds one
/// for every step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Piece(pub u64, pub i8, pub Kind);

/// One queue at one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bar {
    /// Whose queue, in words.
    #[serde(rename = "l")]
    pub label: String,
    /// The bytes the kernel reported waiting (at a read: before it; after a
    /// read: what it left); `None` when not measured.
    #[serde(rename = "v")]
    pub value: Option<u64>,
    /// The value in words.
    #[serde(rename = "s")]
    pub said: String,
    /// The pieces, front of the queue first.
    #[serde(rename = "p")]
    pub pieces: Vec<Piece>,
}

/// The two queues of the connection a step is on: the client's, then the
/// server's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// Whose connection (client number).
    #[serde(rename = "c")]
    pub connection: usize,
    /// The client's queue and the server's.
    #[serde(rename = "b")]
    pub bars: [Bar; 2],
}

/// A read as measured: where its bytes start, how many it returned, and
/// what the kernel said waited before it.
struct Measured {
    at: u64,
    len: u64,
    queued: Option<u64>,
}

fn measured(timeline: &[Event]) -> HashMap<usize, Measured> {
    timeline
        .iter()
        .filter_map(|e| match &e.what {
            What::Read {
                at, bytes, queued, ..
            } => Some((
                e.seq,
                Measured {
                    at: *at,
                    len: bytes.len() as u64,
                    queued: queued.map(|q| q as u64),
                },
            )),
            _ => None,
        })
        .collect()
}

/// The most pieces a bar is drawn in: a queue holding more messages draws
/// the rest as one piece, so that a page grows with its steps, not with
/// steps times messages.
const MOST_PIECES: usize = 12;

fn colour(stream: &Stream, message: Option<usize>) -> i8 {
    message_colour(stream, message).map_or(-1, |c| c as i8)
}

/// `range` of `stream` as pieces of `kind`, cut where messages change.
fn pieces(stream: &Stream, range: Range<u64>, kind: Kind, out: &mut Vec<Piece>) {
    if range.is_empty() {
        return;
    }
    for (r, message) in stream.split_by_message(range) {
        let len = r.end - r.start;
        let full = out.len() >= MOST_PIECES;
        match out.last_mut() {
            Some(last) if full && last.2 == kind => {
                last.0 += len;
                last.1 = -1;
            }
            _ => out.push(Piece(len, colour(stream, message), kind)),
        }
    }
}

/// The queue that `stream`'s reader reads from, as it stands once step `n`
/// is done (or, at a read of it, as that read began).
fn bar(
    stream: Option<&Stream>,
    reads: &HashMap<usize, Measured>,
    n: usize,
) -> (Option<u64>, Vec<Piece>) {
    let Some(stream) = stream else {
        // No byte sent either way yet: a new connection's queue is empty.
        return (Some(0), Vec::new());
    };
    let written = stream
        .writes
        .iter()
        .filter(|w| w.seq <= n)
        .map(|w| w.range.end)
        .max()
        .unwrap_or(0);
    let last = stream
        .reads
        .iter()
        .filter(|r| r.seq <= n)
        .filter_map(|r| reads.get(&r.seq).map(|m| (r.seq, m)))
        .next_back();
    let mut out = Vec::new();
    let (value, measured_end) = match last {
        None if written == 0 => (Some(0), 0),
        None => (None, 0),
        Some((_, m)) if m.queued.is_none() => (None, m.at + m.len),
        Some((seq, m)) => {
            let q = m.queued.unwrap_or(0);
            // The queue held `q` bytes from where the read began.
            let held_end = m.at + q;
            if seq == n {
                // The read of this step: the queue as it began, and what the
                // read takes from its front.
                let taken = m.at + m.len.min(q);
                pieces(stream, m.at..taken, Kind::Taken, &mut out);
                pieces(stream, taken..held_end, Kind::Held, &mut out);
                (Some(q), held_end.max(m.at + m.len))
            } else {
                let start = m.at + m.len;
                pieces(stream, start..held_end.max(start), Kind::Held, &mut out);
                (Some(q.saturating_sub(m.len)), held_end.max(start))
            }
        }
    };
    pieces(
        stream,
        measured_end..written.max(measured_end),
        Kind::Sent,
        &mut out,
    );
    (value, out)
}

fn said(value: Option<u64>, pieces: &[Piece], lang: Lang) -> String {
    let sent: u64 = pieces
        .iter()
        .filter(|p| p.2 == Kind::Sent)
        .map(|p| p.0)
        .sum();
    let sent = (sent > 0).then(|| tr!(lang, "page-queue-sent", n = bytes_in(sent, lang)));
    match (value, sent) {
        (Some(v), sent) => {
            let waiting = tr!(lang, "page-queue-waiting", n = bytes_in(v, lang));
            match sent {
                Some(sent) => format!("{waiting} · {sent}"),
                None => waiting,
            }
        }
        (None, Some(sent)) => sent,
        (None, None) => tr!(lang, "page-queue-unmeasured"),
    }
}

/// Both queues at every step `1..=steps`, for the connection each step is on.
pub fn steps(timeline: &[Event], flow: &Flow, clients: usize, lang: Lang) -> Vec<Step> {
    let reads = measured(timeline);
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
    (1..=last)
        .map(|n| {
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
            let client = if clients == 1 {
                tr!(lang, "who-the-client")
            } else {
                tr!(lang, "who-client", n = connection)
            };
            let labels = [
                tr!(lang, "page-queue-of", who = client),
                if clients == 1 {
                    tr!(lang, "page-queue-of", who = tr!(lang, "who-the-server"))
                } else {
                    tr!(lang, "page-queue-server-on", n = connection)
                },
            ];
            // The client reads the echo (down); the server the client's bytes (up).
            let [c, s] = [Direction::Down, Direction::Up].map(|d| bar(stream(d), &reads, n));
            let [lc, ls] = labels;
            let make = |label: String, (value, pieces): (Option<u64>, Vec<Piece>), server: bool| {
                // A closed socket has no queue: what it still held is gone
                // (and the peer was answered with a reset).
                match closes.get(&(server, connection)) {
                    Some(&(seq, unread)) if seq <= n => Bar {
                        label,
                        value: None,
                        said: match unread {
                            0 => tr!(lang, "page-queue-closed"),
                            u => tr!(lang, "page-queue-discarded", n = bytes_in(u, lang)),
                        },
                        pieces: Vec::new(),
                    },
                    _ => Bar {
                        label,
                        value,
                        said: said(value, &pieces, lang),
                        pieces,
                    },
                }
            };
            Step {
                connection,
                bars: [make(lc, c, false), make(ls, s, true)],
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(seq: usize, side: Side, what: What) -> Event {
        Event { seq, side, what }
    }

    #[test]
    fn two_writes_fill_the_queue_and_one_read_drains_it() {
        let w = |at: u64, b: &[u8]| What::Write {
            at,
            bytes: b.to_vec(),
        };
        let timeline = vec![
            ev(1, Side::Client(1), What::Connect),
            ev(2, Side::Server, What::Accept { client: 1 }),
            ev(3, Side::Client(1), w(0, b"hello\n")),
            ev(4, Side::Client(1), w(6, b"world\n")),
            ev(
                5,
                Side::Server,
                What::Read {
                    asked: 1024,
                    at: 0,
                    queued: Some(12),
                    bytes: b"hello\nworld\n".to_vec(),
                },
            ),
            ev(6, Side::Client(1), What::Close { unread: 3 }),
        ];
        let flow = Flow::of(&timeline, |_| vec![6, 6]);
        let steps = steps(&timeline, &flow, 1, Lang::En);
        let server = |n: usize| &steps[n - 1].bars[1];
        assert_eq!(server(1).value, Some(0));
        // Written, not yet measured: two messages' colours, apart.
        assert_eq!(server(4).value, None);
        assert_eq!(
            server(4).pieces,
            vec![Piece(6, 0, Kind::Sent), Piece(6, 1, Kind::Sent)]
        );
        // The read: the kernel's 12 bytes, all taken.
        assert_eq!(server(5).value, Some(12));
        assert!(server(5).pieces.iter().all(|p| p.2 == Kind::Taken));
        assert_eq!(server(5).pieces.iter().map(|p| p.0).sum::<u64>(), 12);
        // The client's queue: nothing echoed yet; once the client has
        // closed, no queue, and what it held discarded.
        assert_eq!(steps[4].bars[0].value, Some(0));
        assert_eq!(steps[5].bars[0].value, None);
        assert_eq!(
            steps[5].bars[0].said,
            "closed with 3 bytes unread: discarded, and a reset (RST) sent to the peer"
        );
    }

    #[test]
    fn a_queue_of_many_messages_is_drawn_in_a_few_pieces() {
        let stream = Stream {
            client: 1,
            direction: Direction::Up,
            writes: Vec::new(),
            reads: Vec::new(),
            messages: (0..30).map(|i| i * 2..i * 2 + 2).collect(),
        };
        let mut out = Vec::new();
        pieces(&stream, 0..60, Kind::Sent, &mut out);
        assert_eq!(out.len(), MOST_PIECES);
        assert_eq!(out.iter().map(|p| p.0).sum::<u64>(), 60);
        assert_eq!(out[MOST_PIECES - 1].1, -1);
    }
}
