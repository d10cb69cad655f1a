//! The conductor's connections: a client's connect (at once, or waiting on
//! a full listen queue for its SYN to be sent again) and the server's
//! accept, each a turn of the baton.

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::AsRawFd;
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use super::stream::guard_timeouts;
use super::{
    AT_ONCE, Actor, Conducted, Conductor, Conn, ConnectOutcome, RETRY_PATIENCE, Status, Waiting,
};
use crate::event::{ErrorKind, Side, What, describe_io};
use crate::transport::net::{self, SocketOptions};
use crate::transport::queue::PeerQueue;

impl Conductor {
    /// Connect client number `client` to `addr` (the client side holds the
    /// baton). Connecting is not a scheduling point: the kernel completes the
    /// handshake whether or not the server is accepting, and queues the
    /// connection. Unless the queue is full: then the kernel drops the SYN and
    /// the connect waits for its retry, so a connect not answered within
    /// [`AT_ONCE`] comes back as [`ConnectOutcome::Waits`] and goes on in
    /// the background.
    pub fn connect(
        self: &Arc<Self>,
        addr: SocketAddr,
        opts: &SocketOptions,
        client: usize,
    ) -> io::Result<ConnectOutcome> {
        let since = Instant::now();
        // The SYN goes out now, and on loopback the kernel has answered it
        // (SYN-ACK, or RST where nothing listens) before `begin` returns: so
        // the wait below ends at once, however loaded the machine, unless the
        // listen queue was full and the SYN was dropped.
        let started = match net::Connecting::begin(addr, opts) {
            Ok(started) => started.within(AT_ONCE),
            Err(e) => Ok(Err(e)),
        };
        match started {
            Ok(result) => {
                let (stream, sizes) = self.connected(result, client, What::Connect)?;
                Ok(ConnectOutcome::Done(stream, sizes))
            }
            Err(still) => {
                // The rest of the wait on a thread of its own, which ends by
                // itself: the connect succeeds, is refused, or gives up after
                // RETRY_PATIENCE.
                let (tx, rx) = mpsc::channel();
                thread::Builder::new()
                    .name(format!("connect-c{client}"))
                    .spawn(move || {
                        let result = still.within(RETRY_PATIENCE).unwrap_or_else(|_| {
                            Err(io::Error::new(
                                io::ErrorKind::TimedOut,
                                "connect still waiting: nothing made room in the listen queue",
                            ))
                        });
                        let _ = tx.send(result);
                    })?;
                self.note(Side::Client(client), What::ConnectWaits);
                Ok(ConnectOutcome::Waits(Waiting {
                    client,
                    result: rx,
                    since,
                }))
            }
        }
    }

    /// Wait for a connect that waited (at most [`RETRY_PATIENCE`] since it
    /// began): the connection, and how long the connect took.
    pub fn connect_retried(
        self: &Arc<Self>,
        waiting: Waiting,
    ) -> io::Result<(Conducted, net::BufferSizes, Duration)> {
        let left = RETRY_PATIENCE.saturating_sub(waiting.since.elapsed()) + AT_ONCE;
        let result = waiting.result.recv_timeout(left).unwrap_or_else(|_| {
            Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "connect still waiting: nothing made room in the listen queue",
            ))
        });
        let (stream, sizes) = self.connected(result, waiting.client, What::ConnectRetried)?;
        Ok((stream, sizes, waiting.since.elapsed()))
    }

    /// A connection another program made: a traced client's own `connect`
    /// returned `result` (a copy of its socket, see
    /// [`crate::transport::trace::socket_of`]). Recorded as a connect that
    /// returned at once, and conducted from now on through the copy; the
    /// program's socket keeps its own options (no timeouts set on it here).
    pub fn connected_outside(
        self: &Arc<Self>,
        result: io::Result<std::net::TcpStream>,
        client: usize,
    ) -> io::Result<Conducted> {
        let sizes = net::BufferSizes {
            send: None,
            recv: None,
        };
        let result = result.map(|stream| (stream, sizes));
        self.record_connect(result, client, What::Connect, false)
            .map(|(conn, _)| conn)
    }

    /// Record how a connect ended (`done`: the row for a success) and put a
    /// new connection in the accept queue.
    pub(super) fn connected(
        self: &Arc<Self>,
        result: io::Result<(std::net::TcpStream, net::BufferSizes)>,
        client: usize,
        done: What,
    ) -> io::Result<(Conducted, net::BufferSizes)> {
        self.record_connect(result, client, done, true)
    }

    fn record_connect(
        self: &Arc<Self>,
        result: io::Result<(std::net::TcpStream, net::BufferSizes)>,
        client: usize,
        done: What,
        guarded: bool,
    ) -> io::Result<(Conducted, net::BufferSizes)> {
        let (stream, sizes) = match result {
            Ok(pair) => pair,
            Err(e) => {
                let what = match ErrorKind::of(&e) {
                    ErrorKind::Refused => What::Refused,
                    error => What::Error {
                        error,
                        message: describe_io(&e),
                        call: Some("connect"),
                    },
                };
                self.note(Side::Client(client), what);
                return Err(e);
            }
        };
        if guarded {
            guard_timeouts(&stream)?;
        }
        let mut st = self.lock();
        let conn = st.conns.len();
        st.conns.push(Conn {
            written: [0; 2],
            consumed: [0; 2],
            closed: [false; 2],
            accepted: false,
            client,
            client_addr: stream.local_addr()?,
            fds: [Some(stream.as_raw_fd()), None],
            probe: PeerQueue::of(&stream).ok(),
        });
        st.accept_queue.push_back(conn);
        let seq = st.record(Side::Client(client), done);
        st.measure(seq, Some(conn), None, None);
        drop(st);
        Ok((
            Conducted::new(stream, self.clone(), Actor::Client, conn),
            sizes,
        ))
    }

    pub(super) fn accept(
        self: &Arc<Self>,
        listener: &TcpListener,
    ) -> io::Result<Option<(Conducted, SocketAddr)>> {
        let Some(turn) = self.accept_begins()? else {
            return Ok(None); // the client side is done: no one will connect
        };
        // The handshake completed when the client's connect returned, so this
        // accept returns at once, with connections in the order they were made.
        let (stream, peer) = listener.accept()?;
        guard_timeouts(&stream)?;
        self.accept_ended(turn, stream, peer)
            .map(|c| Some((c, peer)))
    }

    /// The server is about to accept (a scheduling point): once it has its
    /// turn, the connection its accept will return, or `None` when the
    /// client side is done and no one will connect. The accept itself comes
    /// next: ours, or a traced server's own call, held until now.
    pub fn accept_begins(self: &Arc<Self>) -> io::Result<Option<AcceptTurn>> {
        self.switch(Actor::Server, Status::Accepting)?;
        Ok(self.lock().accept_queue.pop_front().map(AcceptTurn))
    }

    /// The accept of `turn` returned `stream` (a traced server's: a copy of
    /// its new descriptor), from `peer`: its row, and the server's end
    /// conducted from now on.
    pub fn accept_ended(
        self: &Arc<Self>,
        turn: AcceptTurn,
        stream: std::net::TcpStream,
        peer: SocketAddr,
    ) -> io::Result<Conducted> {
        let conn = turn.0;
        let mut st = self.lock();
        if st.conns[conn].client_addr != peer {
            return Err(io::Error::other(format!(
                "scenario runner: accepted {peer}, expected {}",
                st.conns[conn].client_addr
            )));
        }
        let c = &mut st.conns[conn];
        c.accepted = true;
        c.fds[Actor::Server.index()] = Some(stream.as_raw_fd());
        c.probe = None;
        let client = c.client;
        let seq = st.record(Side::Server, What::Accept { client });
        st.measure(seq, Some(conn), None, None);
        drop(st);
        Ok(Conducted::new(stream, self.clone(), Actor::Server, conn))
    }
}

/// An accept's turn, between [`Conductor::accept_begins`] and
/// [`Conductor::accept_ended`]: the connection it takes from the queue.
#[derive(Debug)]
pub struct AcceptTurn(usize);
