//! The kernel's counts at each row: both ends' queues, the listen queue and
//! a write's segments, taken once the bytes have settled.
//!
//! A write on loopback hands its bytes to the peer's kernel within the call,
//! mostly: the row's bytes may still be on their way for some microseconds,
//! and a small receive window holds the rest back in the writer's send
//! queue. So before measuring, the conductor waits until every byte written
//! and not yet read is either in the reader's receive queue or unsent in the
//! writer's send queue: none on their way. Where some wait unsent, the
//! reader's kernel may be opening its window again (a read made room), and
//! the writer's kernel sends more as soon as it hears: so the counts must
//! also hold still for a moment. Then they are the same on every run.

use std::os::fd::RawFd;
use std::thread;
use std::time::{Duration, Instant};

use super::{Actor, Conductor, State};
use crate::event::measure::{Ends, ListenQueue, Measure, Queues, Segments, Unaccepted};
use crate::transport::queue::{self, SegmentsOut};

/// How long the counts must hold still while bytes wait unsent: a window
/// update and the segments it lets go are microseconds apart on loopback,
/// a few milliseconds on a loaded machine.
const STILL: Duration = Duration::from_millis(2);

/// The longest the conductor waits for bytes on their way before it
/// measures anyway. On loopback they arrive within microseconds; a segment
/// waiting for an acknowledgement (Nagle) is unsent, not on its way.
const SETTLE_LIMIT: Duration = Duration::from_millis(200);

/// One end's queues, asked of its socket. A connection a reset ended has
/// no send queue: the kernel threw it away, and what `SIOCOUTQ` would say
/// is the count as it stood then.
fn queues_of(fd: RawFd) -> Option<Queues> {
    let reset = queue::closed(&fd);
    let send = |n: usize| if reset { 0 } else { n as u64 };
    Some(Queues {
        recv_q: queue::inq(&fd).ok()? as u64,
        send_q: send(queue::outq(&fd).ok()?),
        unsent: send(queue::unsent(&fd).ok()?),
    })
}

impl State {
    /// The queues of `end` of connection `conn` now; `None` once it is
    /// closed. The server's end before `accept` is asked by the
    /// connection's addresses: the server has no descriptor for it yet.
    fn queues(&mut self, conn: usize, end: Actor) -> Option<Queues> {
        let c = &mut self.conns[conn];
        if let Some(fd) = c.fds[end.index()] {
            return queues_of(fd);
        }
        if end == Actor::Server && !c.accepted && !c.closed[Actor::Client.index()] {
            let peer = c.probe.as_mut()?.ask().ok()??;
            return Some(Queues {
                recv_q: peer.unread as u64,
                send_q: peer.unsent as u64,
                // Nothing written on it yet: the server has not accepted it.
                unsent: 0,
            });
        }
        None
    }

    /// Where `writer`'s bytes on `conn` are now: `None` while some are on
    /// their way (neither in the reader's receive queue nor unsent in the
    /// writer's send queue), else the reader's queue and the writer's
    /// unsent. Settled at once where an end is closed (nothing more to ask
    /// of it).
    fn placed(&mut self, conn: usize, writer: Actor) -> Option<(u64, u64)> {
        let in_flight = self.conns[conn].in_flight(writer.index());
        if in_flight == 0 {
            return Some((0, 0));
        }
        match (self.queues(conn, writer.other()), self.queues(conn, writer)) {
            (Some(r), Some(w)) => {
                (r.recv_q + w.unsent >= in_flight).then_some((r.recv_q, w.unsent))
            }
            _ => Some((0, 0)),
        }
    }

    /// The listen queue now, while the listener is open.
    fn listen_queue(&self) -> Option<ListenQueue> {
        queue::listen_queue(&self.listener?).ok()
    }

    /// Both ends of connection `conn` now (a read's moment before its call).
    pub(super) fn ends(&mut self, conn: usize) -> Ends {
        Ends {
            client: self.queues(conn, Actor::Client),
            server: self.queues(conn, Actor::Server),
        }
    }

    /// Record the kernel's counts at row `seq`, on connection `conn` if it
    /// is on one; `before`: a read's ends as the call began.
    pub(super) fn measure(
        &mut self,
        seq: usize,
        conn: Option<usize>,
        segments: Option<Segments>,
        before: Option<Ends>,
    ) {
        let ends = conn.map_or_else(Ends::default, |c| self.ends(c));
        let listen = self.listen_queue();
        let connection = conn.map(|c| self.conns[c].client);
        let unaccepted: Vec<usize> = (0..self.conns.len())
            .filter(|&c| !self.conns[c].accepted && !self.conns[c].closed[Actor::Client.index()])
            .collect();
        let waiting = unaccepted
            .into_iter()
            .map(|c| Unaccepted {
                client: self.conns[c].client,
                recv_q: self.queues(c, Actor::Server).map(|q| q.recv_q),
            })
            .collect();
        self.measures.push(Measure {
            seq,
            connection,
            ends,
            listen,
            waiting,
            segments,
            before,
        });
    }
}

impl Conductor {
    /// Wait (at most [`SETTLE_LIMIT`]) until none of `writer`'s bytes on
    /// `conn` are on their way, and, where some wait unsent, until the
    /// counts have held still for [`STILL`].
    pub(super) fn settle(&self, conn: usize, writer: Actor) {
        let began = Instant::now();
        let mut last = None;
        let mut since = began;
        loop {
            let now = Instant::now();
            let placed = self.lock().placed(conn, writer);
            if placed != last {
                (last, since) = (placed, now);
            }
            let settled = match placed {
                Some((_, 0)) => true,
                Some(_) => now - since >= STILL,
                None => false,
            };
            if settled || now - began >= SETTLE_LIMIT {
                return;
            }
            thread::sleep(Duration::from_micros(50));
        }
    }
}

/// The segments between two counts of one socket's; `nagle`: whether
/// Nagle's algorithm was on for it.
pub(super) fn segments(
    before: Option<SegmentsOut>,
    after: Option<SegmentsOut>,
    nagle: bool,
) -> Option<Segments> {
    let (before, after) = (before?, after?);
    Some(Segments {
        sent: after.data.wrapping_sub(before.data),
        mss: after.mss,
        nagle,
    })
}
