//! The kernel's own counts beside the timeline: where the bytes and the
//! connections wait at each row, as measured when the row's call returned.
//!
//! A row says what a program did; a [`Measure`] says what the kernel held
//! right after: each end's receive queue (arrived, not yet read) and send
//! queue (written, not yet acknowledged, and of that what is not even sent),
//! the server's listen queue, and for a write the segments it left in. The
//! conductor takes them once the bytes have settled (none on their way
//! between the two kernels), so each is the same on every run. Views draw
//! these numbers and never make one up: a queue no call measured is not
//! drawn.

use serde::Serialize;

pub use crate::transport::queue::ListenQueue;

/// The kernel's counts at one row of the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Measure {
    /// The row measured (its `seq`).
    pub seq: usize,
    /// The connection the row is on (its client's number), if it is on one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection: Option<usize>,
    /// Both ends of that connection after the row's call (each `None` once
    /// closed). Before `accept` the server has no descriptor for its end,
    /// and the kernel is asked by the connection's addresses (`sock_diag`,
    /// as `ss` does).
    #[serde(flatten)]
    pub ends: Ends,
    /// The server's listen queue; `None` once it is closed.
    pub listen: Option<ListenQueue>,
    /// The connections in the listen queue, oldest first: each client that
    /// has connected and not been accepted, with the bytes already waiting
    /// in its connection's receive queue on the server's side (the kernel
    /// takes a client's writes before the server accepts it).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub waiting: Vec<Unaccepted>,
    /// At a write: the data segments its bytes left in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segments: Option<Segments>,
    /// At a read: both ends as the call began (its reader's `recv_q` is
    /// the read's `queued`), where the rest of the measure is after it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Ends>,
}

/// Both ends of a connection at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Ends {
    /// The client's end; `None` once closed.
    pub client: Option<Queues>,
    /// The server's end; `None` once closed.
    pub server: Option<Queues>,
}

/// A connection in the listen queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Unaccepted {
    /// Whose (client number).
    pub client: usize,
    /// Bytes in the receive queue of its server end (asked by the
    /// connection's addresses, as `ss` does), if the kernel said.
    pub recv_q: Option<u64>,
}

/// One end's queues, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Queues {
    /// The receive queue: arrived, not yet read (`FIONREAD`; `ss`'s Recv-Q).
    pub recv_q: u64,
    /// The send queue: written, not yet acknowledged by the peer's kernel
    /// (`SIOCOUTQ`; `ss`'s Send-Q). The kernel keeps a copy of every byte
    /// it has sent until the peer acknowledges it.
    pub send_q: u64,
    /// Of the send queue, the bytes not sent at all yet (`SIOCOUTQNSD`): no
    /// room in the peer's receive window, or Nagle holding a small write
    /// back. These, and only these, have not reached the peer.
    pub unsent: u64,
}

/// The data segments one write's bytes left in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Segments {
    /// Data segments the writer's kernel sent from the start of the write
    /// until its bytes settled (`tcpi_data_segs_out`, after less before).
    /// Bytes held back (see [`Queues::unsent`]) leave later, in a segment
    /// counted at the row that sent them.
    pub sent: u32,
    /// The most bytes one segment could carry (`tcpi_snd_mss`).
    pub mss: u32,
    /// Nagle's algorithm was on for the writer's socket (no `TCP_NODELAY`):
    /// a small write waits while an earlier segment is unacknowledged.
    pub nagle: bool,
}

impl Measure {
    /// The server's end (`server`) or the client's.
    pub fn end(&self, server: bool) -> Option<Queues> {
        self.ends.end(server)
    }

    /// A write's row whose bytes left in no segment and wait unsent in the
    /// writer's send queue (`writer_is_server`: whose): held back, by Nagle
    /// or by the reader's window. (A write sent in no segment with nothing
    /// unsent went to a connection already reset.)
    pub fn held_back(&self, writer_is_server: bool) -> bool {
        self.segments.is_some_and(|s| s.sent == 0)
            && self.end(writer_is_server).is_some_and(|q| q.unsent > 0)
    }
}

impl Ends {
    /// The server's end (`server`) or the client's.
    pub fn end(&self, server: bool) -> Option<Queues> {
        if server { self.server } else { self.client }
    }
}

/// The measure at row `seq`, if there is one (`measures` in row order).
pub fn at(measures: &[Measure], seq: usize) -> Option<&Measure> {
    measures
        .binary_search_by_key(&seq, |m| m.seq)
        .ok()
        .map(|i| &measures[i])
}

/// The last measure of connection `client` at or before row `seq`.
pub fn latest(measures: &[Measure], client: usize, seq: usize) -> Option<&Measure> {
    measures
        .iter()
        .take_while(|m| m.seq <= seq)
        .filter(|m| m.connection == Some(client))
        .last()
}
