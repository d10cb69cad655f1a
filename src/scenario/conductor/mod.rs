//! The scenario runner's conductor: real sockets, one side moving at a time.
//!
//! A demo that fails only sometimes teaches nothing, and a test that fails only
//! sometimes is worse. Whether a naive read returns part of a reply depends on
//! *when* it runs relative to the server's writes. Left to the operating system's
//! scheduler, that is a race. Pauses of a few milliseconds make the race likely to
//! go one way, never certain to, and on a busy machine it will sometimes go the
//! other way.
//!
//! So in a scenario the runner owns both ends and conducts them. The client side
//! (one thread, however many connections) and the server side (the iterative
//! server's thread) pass a baton: only the holder runs, and it hands the baton over
//! only at fixed points:
//!
//! - **before every read and accept**: if the other side can run, it runs first.
//!   A reader that was already waiting therefore reads what a writer wrote as
//!   soon as the writer stops writing, and consecutive writes with no pause between
//!   them (a burst) arrive together;
//! - **after a paced write** (the fragmenter's pause): the pause is exactly long
//!   enough for a waiting reader to read what arrived, and no longer;
//! - **a late read** (`--read-delay-ms`) runs only once the other side has nothing
//!   left to do but wait, so everything it was going to write is there.
//!
//! And before any read goes to the kernel, the conductor waits until the
//! receive queue holds what the read will take: every byte the peer has
//! written, up to the buffer, so a read returns exactly `min(buffer, bytes
//! written and not yet read)`. Unless a small receive window (`SO_RCVBUF`)
//! holds the rest of a write back in the writer's send queue: then it waits
//! until nothing is on its way between the two kernels, and the read takes
//! the window's worth, the kernel's own split. With the order of calls fixed
//! and the size of every read fixed, the timeline is the same on every run, on
//! an idle laptop or a loaded CI machine.
//!
//! Every `read` and `write` is still one system call on a real loopback socket:
//! the conductor only decides *when* each call is made.
//!
//! When both sides would wait for each other forever (a naive client waiting for
//! a reply that already came inside an earlier read), the client's read fails
//! with [`Stalled`] instead of hanging: the hang is the result.

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::os::fd::RawFd;
use std::sync::{Condvar, Mutex, MutexGuard, mpsc};
use std::time::{Duration, Instant};

use crate::event::measure::Measure;
use crate::event::{Event, Side, What};
use crate::transport::net::{self};
use crate::transport::queue::PeerQueue;

mod connect;
mod measure;
mod stream;
mod wait;

pub use connect::AcceptTurn;
pub use stream::{Conducted, ConductedListener, ConductedLog, ReadTurn, WriteTurn};

/// The longest the conductor waits for anything (its turn, the kernel moving
/// bytes). Far beyond what any step takes even on a loaded machine; it only
/// exists so that a bug cannot turn into a hang.
#[cfg(not(test))]
const PATIENCE: Duration = Duration::from_secs(30);
/// In the conductor's own tests, where every step is a few bytes on
/// loopback, a bug in the baton or the accounting fails a test within
/// seconds instead of holding it half a minute.
#[cfg(test)]
const PATIENCE: Duration = Duration::from_secs(5);

/// A connect not answered within this long is waiting for its SYN to be sent
/// again: on loopback the kernel answers a SYN within the connect call itself
/// (so the wait ends at once, however loaded the machine), unless a full
/// listen queue dropped it; then the first retry comes after a second.
pub const AT_ONCE: Duration = Duration::from_millis(200);

/// The longest a connect may wait on a full listen queue: long enough for the
/// kernel's first two retries of the SYN (after 1 s, then 2 s more).
pub const RETRY_PATIENCE: Duration = Duration::from_millis(3500);

/// How a connect went: returned at once, or waiting on a full listen queue.
#[derive(Debug)]
pub enum ConnectOutcome {
    /// The connect returned: the connection and its buffer sizes.
    Done(Conducted, net::BufferSizes),
    /// The connect has not returned: the listen queue was full.
    Waits(Waiting),
}

/// A connect still waiting for a retried SYN to find room in the queue.
#[derive(Debug)]
pub struct Waiting {
    client: usize,
    result: mpsc::Receiver<io::Result<(std::net::TcpStream, net::BufferSizes)>>,
    since: Instant,
}

/// The two sides of a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// The client side: every client connection, driven by one thread.
    Client,
    /// The server side: the iterative server's thread.
    Server,
}

impl Actor {
    fn index(self) -> usize {
        self as usize
    }

    fn other(self) -> Actor {
        match self {
            Actor::Client => Actor::Server,
            Actor::Server => Actor::Client,
        }
    }
}

/// The error of a read that would wait forever: the peer is waiting too, and
/// nothing is on its way.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("would wait forever: the server is waiting too, and no byte is on its way")]
pub struct Stalled;

impl Stalled {
    /// True if `e` is a stall reported by the conductor.
    pub fn is(e: &io::Error) -> bool {
        e.get_ref().is_some_and(|inner| inner.is::<Stalled>())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    /// Holding the baton.
    Running,
    /// Wants to read on connection `conn`; a `late` reader goes last.
    Reading { conn: usize, late: bool },
    /// The server, waiting for a connection.
    Accepting,
    /// Stepped aside after a paced write; ready to go on at any time.
    Paused,
    /// Finished: will do nothing more.
    Done,
}

#[derive(Debug)]
struct Conn {
    /// Bytes written by each side (indexed by `Actor`).
    written: [u64; 2],
    /// Bytes of each side's writes that the other side has read.
    consumed: [u64; 2],
    /// Each side has shut down its write half or closed the socket.
    closed: [bool; 2],
    accepted: bool,
    client: usize,
    client_addr: SocketAddr,
    /// Each end's socket while it is open (indexed by `Actor`): the
    /// conductor asks the kernel about the writer's send queue when a small
    /// receive window holds part of a write back (see `Conducted::read`).
    fds: [Option<RawFd>; 2],
    /// The server's end asked by the connection's addresses, for as long
    /// as the server has no descriptor for it (before `accept`).
    probe: Option<PeerQueue>,
}

impl Conn {
    /// Bytes `writer` has written that the other side has not read yet.
    fn in_flight(&self, writer: usize) -> u64 {
        self.written[writer] - self.consumed[writer]
    }
}

#[derive(Debug)]
struct State {
    baton: Actor,
    status: [Status; 2],
    conns: Vec<Conn>,
    accept_queue: VecDeque<usize>,
    /// Set when the server found both sides stuck: the client's read must fail.
    stall: bool,
    events: Vec<Event>,
    /// The kernel's counts at the rows, in row order.
    measures: Vec<Measure>,
    /// The server's listening socket while it is open.
    listener: Option<RawFd>,
}

impl State {
    fn can_run(&self, actor: Actor) -> bool {
        match self.status[actor.index()] {
            Status::Running | Status::Paused => true,
            Status::Reading { conn, .. } => {
                let c = &self.conns[conn];
                let peer = actor.other().index();
                c.in_flight(peer) > 0
                    || c.closed[peer]
                    // A queued connection the server will never accept: the
                    // kernel resets it when the listener closes.
                    || (actor == Actor::Client
                        && !c.accepted
                        && self.status[Actor::Server.index()] == Status::Done)
            }
            Status::Accepting => {
                !self.accept_queue.is_empty() || self.status[Actor::Client.index()] == Status::Done
            }
            Status::Done => false,
        }
    }

    /// How urgently `actor` wants the baton; `None` if it cannot run.
    ///
    /// A side waiting for data that has arrived (or for a connection that came)
    /// goes first: the kernel wakes a blocked reader as soon as bytes arrive. A
    /// side that paused comes next: its pause is exactly the time the other side
    /// needs. A late reader comes last: it reads once the other side can do
    /// nothing more without it.
    fn priority(&self, actor: Actor) -> Option<u8> {
        if !self.can_run(actor) {
            return None;
        }
        Some(match self.status[actor.index()] {
            Status::Reading { late: true, .. } => 0,
            Status::Paused => 1,
            _ => 2,
        })
    }

    /// Who runs next after `me` reached a scheduling point. `None`: nobody can.
    /// On a tie the other side goes, so that neither side starves the other.
    fn next(&self, me: Actor) -> Option<Actor> {
        let other = me.other();
        match (self.priority(other), self.priority(me)) {
            (Some(o), Some(m)) if m > o => Some(me),
            (Some(_), _) => Some(other),
            (None, Some(_)) => Some(me),
            (None, None) => None,
        }
    }

    /// Add a row to the timeline; its `seq`.
    fn record(&mut self, side: Side, what: What) -> usize {
        let seq = self.events.len() + 1;
        self.events.push(Event { seq, side, what });
        seq
    }

    fn side(&self, actor: Actor, conn: usize) -> Side {
        match actor {
            Actor::Client => Side::Client(self.conns[conn].client),
            Actor::Server => Side::Server,
        }
    }
}

/// Conducts one scenario run. Share it (`Arc`) between the two sides.
#[derive(Debug)]
pub struct Conductor {
    state: Mutex<State>,
    turn: Condvar,
}

impl Default for Conductor {
    fn default() -> Self {
        Self::new()
    }
}

impl Conductor {
    /// A conductor whose server side holds the baton first (it starts by waiting
    /// for a connection, and so hands the baton to the client at once).
    pub fn new() -> Self {
        Conductor {
            state: Mutex::new(State {
                baton: Actor::Server,
                status: [Status::Paused, Status::Running],
                conns: Vec::new(),
                accept_queue: VecDeque::new(),
                stall: false,
                events: Vec::new(),
                measures: Vec::new(),
                listener: None,
            }),
            turn: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere must not hide this run's events: take the state as is.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The timeline so far.
    pub fn events(&self) -> Vec<Event> {
        self.lock().events.clone()
    }

    /// The kernel's counts at the rows (see [`Measure`]), in row order.
    pub fn measures(&self) -> Vec<Measure> {
        self.lock().measures.clone()
    }

    /// The server listens on `listener` (the descriptor stays the caller's):
    /// its listen queue is measured at every row until [`Conductor::unlisten`].
    pub fn listening(&self, listener: RawFd) {
        self.lock().listener = Some(listener);
    }

    /// The server is closing its listening socket: measure it no more.
    pub fn unlisten(&self) {
        self.lock().listener = None;
    }

    /// Add a row to the timeline, with the listen queue as it stands.
    pub fn note(&self, side: Side, what: What) {
        let mut st = self.lock();
        let seq = st.record(side, what);
        st.measure(seq, None, None, None);
    }

    /// Wait until `me` holds the baton (the client side calls this before its
    /// first step).
    pub fn begin(&self, me: Actor) -> io::Result<()> {
        let st = self.lock();
        self.wait_for_baton(st, me).map(drop)
    }

    /// `me` will do nothing more: hand the baton on.
    pub fn finish(&self, me: Actor) {
        let mut st = self.lock();
        st.status[me.index()] = Status::Done;
        if let Some(next) = st.next(me) {
            st.baton = next;
        } else if me == Actor::Server {
            st.stall = true;
            st.baton = Actor::Client;
        }
        self.turn.notify_all();
    }

    /// A scheduling point: `me` now has `status`; whoever should run, runs.
    fn switch(&self, me: Actor, status: Status) -> io::Result<()> {
        let mut st = self.lock();
        st.status[me.index()] = status;
        match st.next(me) {
            Some(next) => st.baton = next,
            // Neither side can move. The server never stalls (a server waiting
            // for a client is normal); the client's read is the one that would
            // hang, so it is the one that fails: with the baton it finds the
            // stall (see `wait_for_baton`), at once if it is the one here.
            None => {
                st.stall = true;
                st.baton = Actor::Client;
            }
        }
        self.turn.notify_all();
        let mut st = self.wait_for_baton(st, me)?;
        st.status[me.index()] = Status::Running;
        Ok(())
    }

    fn wait_for_baton<'a>(
        &'a self,
        mut st: MutexGuard<'a, State>,
        me: Actor,
    ) -> io::Result<MutexGuard<'a, State>> {
        let deadline = Instant::now() + PATIENCE;
        while st.baton != me {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("scenario runner: no turn came in {} s", PATIENCE.as_secs()),
                ));
            }
            st = self
                .turn
                .wait_timeout(st, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        if me == Actor::Client && st.stall {
            st.stall = false;
            st.status[me.index()] = Status::Running;
            return Err(io::Error::other(Stalled));
        }
        Ok(st)
    }
}

#[cfg(test)]
mod tests;
