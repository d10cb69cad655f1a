//! Which write's bytes went into which read.
//!
//! A timeline lists calls; the lesson is in how their bytes line up. Each
//! connection carries two streams, the client's bytes to the server and the
//! echo back, and every `write` and `read` covers a range of offsets in one of
//! them (`at` to `at + len`). Writes and reads of the same stream cover the
//! same bytes with different boundaries: a read whose range meets two writes
//! is two writes coalesced; a write whose range meets two reads arrived in
//! parts. This module finds those ranges and their overlaps, from the typed
//! events alone.

use std::collections::HashMap;
use std::ops::Range;

use super::{Event, Side, What};

/// The direction of a stream on one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// The client's bytes, read by the server.
    Up,
    /// The server's echo, read by the client.
    Down,
}

/// One call's bytes: where they lie in their stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// The event's `seq`.
    pub seq: usize,
    /// The offsets of its bytes in the stream.
    pub range: Range<u64>,
}

/// The bytes of one write that one read returned: a band in a picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Band {
    /// The write's `seq`.
    pub write: usize,
    /// The read's `seq`.
    pub read: usize,
    /// The bytes they share, as stream offsets.
    pub range: Range<u64>,
    /// The message (index into [`Stream::messages`]) these bytes belong to.
    pub message: Option<usize>,
}

/// One direction of one connection: its writes, its reads, and where the
/// messages lie in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stream {
    /// Whose connection (client number).
    pub client: usize,
    /// Which way the bytes go.
    pub direction: Direction,
    /// Each write call, in order.
    pub writes: Vec<Span>,
    /// Each read call that returned bytes, in order.
    pub reads: Vec<Span>,
    /// Each message's bytes as framed on the wire (the length reader's header
    /// included), in the order sent.
    pub messages: Vec<Range<u64>>,
}

impl Stream {
    /// The message that holds byte `offset`, if any.
    pub fn message_at(&self, offset: u64) -> Option<usize> {
        self.messages.iter().position(|m| m.contains(&offset))
    }

    /// Every (write, read) pair that shares bytes, split where a message ends,
    /// in the order of the stream.
    pub fn bands(&self) -> Vec<Band> {
        let mut bands = Vec::new();
        for w in &self.writes {
            for r in &self.reads {
                let shared = w.range.start.max(r.range.start)..w.range.end.min(r.range.end);
                if shared.is_empty() {
                    continue;
                }
                for (range, message) in self.split_by_message(shared) {
                    bands.push(Band {
                        write: w.seq,
                        read: r.seq,
                        range,
                        message,
                    });
                }
            }
        }
        bands.sort_by_key(|b| b.range.start);
        bands
    }

    /// `range` split where messages begin and end, each part with its message.
    pub fn split_by_message(&self, range: Range<u64>) -> Vec<(Range<u64>, Option<usize>)> {
        let mut bounds: Vec<u64> = self
            .messages
            .iter()
            .flat_map(|m| [m.start, m.end])
            .filter(|&x| x > range.start && x < range.end)
            .collect();
        bounds.sort_unstable();
        bounds.dedup();
        let mut parts = Vec::new();
        let mut start = range.start;
        for end in bounds.into_iter().chain([range.end]) {
            parts.push((start..end, self.message_at(start)));
            start = end;
        }
        parts
    }

    /// The messages whose bytes a span holds: for each, whether the span holds
    /// all of it.
    pub fn messages_in(&self, range: &Range<u64>) -> Vec<(usize, bool)> {
        self.messages
            .iter()
            .enumerate()
            .filter(|(_, m)| m.start < range.end && range.start < m.end)
            .map(|(i, m)| (i, range.start <= m.start && m.end <= range.end))
            .collect()
    }
}

/// Every stream of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flow {
    /// Two streams per client that connected, up before down.
    pub streams: Vec<Stream>,
    /// The client whose connection each server event belongs to, by `seq`.
    connection: HashMap<usize, usize>,
}

impl Flow {
    /// The streams of `timeline`. `message_lengths(client)` gives the length of
    /// each message that client sent, framed as on the wire, in order: the
    /// echo carries the same bytes back, so the same lengths split both ways.
    pub fn of(timeline: &[Event], message_lengths: impl Fn(usize) -> Vec<u64>) -> Flow {
        let mut flow = Flow::default();
        // The iterative server serves one connection at a time: its calls after
        // an accept are on that client's connection until the next accept.
        let mut serving = None;
        for e in timeline {
            let client = match e.side {
                Side::Client(n) | Side::Downstream(n) => n,
                Side::Server | Side::Upstream(_) => {
                    if let What::Accept { client } = e.what {
                        serving = Some(client);
                    }
                    match serving {
                        Some(n) => n,
                        None => continue,
                    }
                }
            };
            flow.connection.insert(e.seq, client);
            let (range, is_write) = match &e.what {
                What::Write { at, bytes } => (*at..*at + bytes.len() as u64, true),
                What::Read { at, bytes, .. } if !bytes.is_empty() => {
                    (*at..*at + bytes.len() as u64, false)
                }
                _ => continue,
            };
            let client_side = matches!(e.side, Side::Client(_) | Side::Downstream(_));
            // A client writes up and reads down; the server the other way.
            let direction = match (client_side, is_write) {
                (true, true) | (false, false) => Direction::Up,
                _ => Direction::Down,
            };
            let span = Span { seq: e.seq, range };
            let stream = flow.stream_mut(client, direction, &message_lengths);
            if is_write {
                stream.writes.push(span);
            } else {
                stream.reads.push(span);
            }
        }
        flow
    }

    fn stream_mut(
        &mut self,
        client: usize,
        direction: Direction,
        message_lengths: &impl Fn(usize) -> Vec<u64>,
    ) -> &mut Stream {
        if let Some(i) = self
            .streams
            .iter()
            .position(|s| s.client == client && s.direction == direction)
        {
            return &mut self.streams[i];
        }
        let mut at = 0;
        let messages = message_lengths(client)
            .into_iter()
            .map(|len| {
                let m = at..at + len;
                at += len;
                m
            })
            .collect();
        self.streams.push(Stream {
            client,
            direction,
            writes: Vec::new(),
            reads: Vec::new(),
            messages,
        });
        self.streams
            .sort_by_key(|s| (s.client, s.direction == Direction::Down));
        self.stream_mut(client, direction, message_lengths)
    }

    /// The client whose connection an event is on.
    pub fn connection_of(&self, seq: usize) -> Option<usize> {
        self.connection.get(&seq).copied()
    }

    /// The stream a write or read is part of.
    pub fn stream_of(&self, seq: usize) -> Option<&Stream> {
        self.streams
            .iter()
            .find(|s| s.writes.iter().chain(&s.reads).any(|x| x.seq == seq))
    }

    /// The write or read `seq`'s span in its stream.
    pub fn span_of(&self, seq: usize) -> Option<(&Stream, &Span)> {
        let stream = self.stream_of(seq)?;
        let span = stream
            .writes
            .iter()
            .chain(&stream.reads)
            .find(|x| x.seq == seq)?;
        Some((stream, span))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(seq: usize, side: Side, what: What) -> Event {
        Event { seq, side, what }
    }

    fn write(at: u64, bytes: &[u8]) -> What {
        What::Write {
            at,
            bytes: bytes.to_vec(),
        }
    }

    fn read(at: u64, bytes: &[u8]) -> What {
        What::Read {
            asked: 1024,
            at,
            queued: Some(bytes.len()),
            bytes: bytes.to_vec(),
        }
    }

    #[test]
    fn two_writes_in_one_read_are_two_bands_into_it() {
        let c = Side::Client(1);
        let timeline = [
            ev(1, c, write(0, b"hi\n")),
            ev(2, c, write(3, b"yo\n")),
            ev(3, Side::Server, What::Accept { client: 1 }),
            ev(4, Side::Server, read(0, b"hi\nyo\n")),
            ev(5, Side::Server, write(0, b"hi\ny")),
            ev(6, c, read(0, b"hi\ny")),
        ];
        let flow = Flow::of(&timeline, |_| vec![3, 3]);
        let up = &flow.streams[0];
        assert_eq!(up.direction, Direction::Up);
        let bands: Vec<_> = up
            .bands()
            .iter()
            .map(|b| (b.write, b.read, b.message))
            .collect();
        assert_eq!(bands, [(1, 4, Some(0)), (2, 4, Some(1))]);
        // The echo's one write split by a message boundary: two bands, one read.
        let down = &flow.streams[1];
        let bands: Vec<_> = down.bands().iter().map(|b| b.range.clone()).collect();
        assert_eq!(bands, [0..3, 3..4]);
        assert_eq!(down.messages_in(&(0..4)), [(0, true), (1, false)]);
        assert_eq!(flow.connection_of(5), Some(1));
        assert_eq!(flow.span_of(6).unwrap().1.range, 0..4);
    }

    #[test]
    fn server_calls_belong_to_the_client_last_accepted() {
        let timeline = [
            ev(1, Side::Server, What::Accept { client: 2 }),
            ev(2, Side::Server, read(0, b"a")),
            ev(3, Side::Server, What::Accept { client: 1 }),
            ev(4, Side::Server, read(0, b"b")),
        ];
        let flow = Flow::of(&timeline, |_| vec![1]);
        assert_eq!(flow.connection_of(2), Some(2));
        assert_eq!(flow.connection_of(4), Some(1));
        assert_eq!(flow.streams.len(), 2);
        assert_eq!(flow.streams[0].client, 1);
    }
}
