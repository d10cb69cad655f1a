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
//! one write's colour drained by three reads is a message read in pieces.

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

/// What a piece of a bar is (in the page's JSON, its number).
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

/// One piece of a bar: its bytes' (or connections') count, their message's
/// colour (`-1`: no message's, or several), and what it is. Short in JSON:
/// a page holds one for every step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Piece(pub u64, pub i8, pub Kind);

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
    /// The pieces, front of the queue first.
    #[serde(rename = "p")]
    pub pieces: Vec<Piece>,
    /// Which queue: `client` and `server` (receive queues), `client_send`
    /// and `server_send`, `listen` (whose pieces are connections).
    #[serde(rename = "d")]
    pub queue: &'static str,
}

/// The queues at one step: the receive queues of the connection the step is
/// on (the client's, then the server's), its send queues where bytes wait
/// unsent, and the listen queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// Whose connection (client number).
    #[serde(rename = "c")]
    pub connection: usize,
    /// The bars, in the order drawn.
    #[serde(rename = "b")]
    pub bars: Vec<Bar>,
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
/// (`end`, that end's measured queues). The value and the pieces.
fn receive(
    stream: Option<&Stream>,
    at_read: Option<(u64, u64, u64)>,
    end: Queues,
    n: usize,
) -> (u64, Vec<Piece>) {
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
            pieces(stream, at..taken, Kind::Taken, &mut out);
            pieces(stream, taken..at + queued, Kind::Held, &mut out);
            (queued, out)
        }
        None => {
            // Bytes arrive in order: the queue holds the stream's next
            // unread bytes, as many as the kernel counted.
            let (written, read) = ends(stream, n);
            let held = (read + end.recv_q).min(written.max(read));
            pieces(stream, read..held, Kind::Held, &mut out);
            (end.recv_q, out)
        }
    }
}

/// The send queue of `stream`'s writer at step `n`, when some of it is not
/// sent yet: its last `unsent` bytes wait, and before them the copies kept
/// until acknowledged.
fn send(stream: Option<&Stream>, end: Queues, n: usize) -> Option<Vec<Piece>> {
    let stream = stream?;
    if end.unsent == 0 {
        return None;
    }
    let (written, _) = ends(stream, n);
    let unsent_from = written.saturating_sub(end.unsent);
    let copies_from = written.saturating_sub(end.send_q.max(end.unsent));
    let mut out = Vec::new();
    pieces(stream, copies_from..unsent_from, Kind::Copy, &mut out);
    pieces(stream, unsent_from..written, Kind::Unsent, &mut out);
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
            pieces: Vec::new(),
            queue: "listen",
        },
        Some(q) => {
            // Linux takes one more connection than the backlog.
            let room = u64::from(q.backlog) + 1;
            let waiting = u64::from(q.waiting);
            // A slot for each connection while they fit in a few pieces.
            let slots = |n: u64, kind: Kind| -> Vec<Piece> {
                match n {
                    0 => Vec::new(),
                    n if n as usize <= MOST_PIECES => (0..n).map(|_| Piece(1, -1, kind)).collect(),
                    n => vec![Piece(n, -1, kind)],
                }
            };
            let mut pieces = slots(waiting, Kind::Waiting);
            pieces.extend(slots(room.saturating_sub(waiting), Kind::Room));
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
                pieces,
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
) -> Vec<Step> {
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
                        pieces: Vec::new(),
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
                        pieces: Vec::new(),
                        queue: which,
                    },
                    (_, Some(_), None) => Bar {
                        label,
                        value: None,
                        said: tr!(lang, "page-queue-unmeasured"),
                        pieces: Vec::new(),
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
                        let (value, pieces) = receive(stream(reads_from), at_read, end, n);
                        if let Some(pieces) = send(stream(writes_to), end, n) {
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
                                pieces,
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
                            pieces,
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
            Step { connection, bars }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::measure::Ends;

    fn ev(seq: usize, side: Side, what: What) -> Event {
        Event { seq, side, what }
    }

    fn q(recv_q: u64, send_q: u64, unsent: u64) -> Option<Queues> {
        Some(Queues {
            recv_q,
            send_q,
            unsent,
        })
    }

    fn m(seq: usize, client: Option<Queues>, server: Option<Queues>) -> Measure {
        Measure {
            seq,
            connection: Some(1),
            ends: Ends { client, server },
            listen: Some(ListenQueue {
                waiting: 0,
                backlog: 5,
            }),
            waiting: Vec::new(),
            segments: None,
            before: None,
        }
    }

    fn w(at: u64, b: &[u8]) -> What {
        What::Write {
            at,
            bytes: b.to_vec(),
        }
    }

    #[test]
    fn two_writes_fill_the_queue_and_one_read_drains_it() {
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
        let measures = vec![
            m(1, q(0, 0, 0), q(0, 0, 0)),
            m(2, q(0, 0, 0), q(0, 0, 0)),
            m(3, q(0, 0, 0), q(6, 0, 0)),
            m(4, q(0, 0, 0), q(12, 0, 0)),
            m(5, q(0, 0, 0), q(0, 0, 0)),
            m(6, None, q(0, 0, 0)),
        ];
        let flow = Flow::of(&timeline, |_| vec![6, 6]);
        let steps = steps(&timeline, &measures, &flow, 1, Lang::En);
        let server = |n: usize| &steps[n - 1].bars[1];
        assert_eq!(server(1).value, Some(0));
        assert_eq!(server(3).value, Some(6));
        // As measured after the second write: both messages' colours, apart.
        assert_eq!(server(4).value, Some(12));
        assert_eq!(
            server(4).pieces,
            vec![Piece(6, 0, Kind::Held), Piece(6, 1, Kind::Held)]
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
        // One client: no listen queue drawn, no send queue (nothing unsent).
        assert!(steps.iter().all(|s| s.bars.len() == 2));
    }

    #[test]
    fn bytes_held_back_in_a_send_queue_are_drawn_there_apart_from_the_copies() {
        let timeline = vec![
            ev(1, Side::Client(1), What::Connect),
            ev(2, Side::Server, What::Accept { client: 1 }),
            ev(3, Side::Server, w(0, &[b'x'; 100])),
        ];
        // 40 arrived (20 of them not yet acknowledged), 60 not sent.
        let measures = vec![
            m(1, q(0, 0, 0), q(0, 0, 0)),
            m(2, q(0, 0, 0), q(0, 0, 0)),
            m(3, q(40, 0, 0), q(0, 80, 60)),
        ];
        let flow = Flow::of(&timeline, |_| vec![100]);
        let steps = steps(&timeline, &measures, &flow, 1, Lang::En);
        assert_eq!(steps[1].bars.len(), 2);
        let bars = &steps[2].bars;
        assert_eq!(bars[0].value, Some(40));
        let send = &bars[2];
        assert_eq!(send.queue, "server_send");
        assert_eq!(send.value, Some(80));
        assert_eq!(
            send.pieces,
            vec![Piece(20, 0, Kind::Copy), Piece(60, 0, Kind::Unsent)]
        );
        assert_eq!(
            send.said,
            "60 bytes not sent yet, 80 bytes in all (the rest sent, kept until acknowledged)"
        );
    }

    #[test]
    fn a_client_with_no_connection_has_no_queue_and_the_listen_queue_says_who_waits() {
        let timeline = vec![
            ev(1, Side::Client(1), What::Connect),
            ev(2, Side::Client(2), What::Connect),
            ev(3, Side::Client(3), What::ConnectWaits),
        ];
        let listen = |waiting| {
            Some(ListenQueue {
                waiting,
                backlog: 1,
            })
        };
        let unaccepted = |clients: &[usize]| {
            clients
                .iter()
                .map(|&client| Unaccepted {
                    client,
                    recv_q: Some(if client == 2 { 14 } else { 0 }),
                })
                .collect::<Vec<_>>()
        };
        let measures = vec![
            Measure {
                listen: listen(1),
                waiting: unaccepted(&[1]),
                ..m(1, q(0, 0, 0), q(0, 0, 0))
            },
            Measure {
                connection: Some(2),
                listen: listen(2),
                waiting: unaccepted(&[1, 2]),
                ..m(2, q(0, 0, 0), q(14, 0, 0))
            },
            Measure {
                connection: None,
                ends: Ends::default(),
                listen: listen(2),
                waiting: unaccepted(&[1, 2]),
                segments: None,
                before: None,
                seq: 3,
            },
        ];
        let flow = Flow::of(&timeline, |_| Vec::new());
        let steps = steps(&timeline, &measures, &flow, 3, Lang::En);
        let bars = &steps[2].bars;
        assert_eq!(steps[2].connection, 3);
        assert_eq!(bars.len(), 2, "{bars:?}");
        assert_eq!(bars[0].label, "client 3's connection");
        assert_eq!(bars[0].value, None);
        assert_eq!(
            bars[0].said,
            "no connection: its first packet (SYN) was dropped, the listen queue being full"
        );
        let listen = &bars[1];
        assert_eq!(listen.queue, "listen");
        assert_eq!(listen.value, Some(2));
        assert_eq!(
            listen.pieces,
            vec![Piece(1, -1, Kind::Waiting), Piece(1, -1, Kind::Waiting)]
        );
        assert_eq!(
            listen.said,
            "2 waiting for accept(), room for 2: client 1, client 2 (14 bytes already in its receive queue)"
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
        pieces(&stream, 0..60, Kind::Held, &mut out);
        assert_eq!(out.len(), MOST_PIECES);
        assert_eq!(out.iter().map(|p| p.0).sum::<u64>(), 60);
        assert_eq!(out[MOST_PIECES - 1].1, -1);
    }
}
