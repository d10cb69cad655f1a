//! What each client did with the bytes the proxy delivered to it: how much
//! it has read so far, and what was written to it after it had closed.
//!
//! A client that quits with part of its reply unread has taken a part of a
//! reply for the whole: the bug `check` looks for, even when the client exits
//! 0. The bytes the proxy still holds for it are counted where they are held
//! (see [`Traffic`](super::Traffic)); here, those written to it once it had
//! closed (a server that answers in two parts, the client gone after the
//! first). While the client's socket is open, the kernel also says how many
//! bytes it received and how many wait unread (see
//! [`PeerQueue`](crate::transport::queue::PeerQueue)): a client still
//! reading what was delivered is making progress, not hung.
//!
//! Bytes delivered and left unread in the client's kernel when it closed
//! cannot be told from here: the kernel resets such a connection, but it
//! resets one closed on purpose with `SO_LINGER` 0 too. A client run traced
//! is measured at its close instead (see [`crate::transport::trace`]): what
//! it had read of the bytes written to it then is exact, and every other
//! byte written to it was never read.

use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::transport::queue::PeerQueue;
use crate::transport::trace::{LetGo, canonical};

/// How often the client's socket is asked what it has read.
pub(super) const EVERY: Duration = Duration::from_millis(1);

/// One connection's bytes to its client, and what became of them.
#[derive(Debug, Default)]
pub(super) struct Delivery {
    /// Bytes written to the client's socket.
    written: AtomicU64,
    /// Bytes the client had read when last asked: it has read at least these.
    read: AtomicU64,
    /// The client has closed its socket (or the kernel no longer knows it).
    closed: AtomicBool,
    /// Bytes written to the client when it was seen closed: any written
    /// later were never read.
    written_at_close: AtomicU64,
    /// The probe of the client's socket, until the client has closed.
    watched: Mutex<Option<PeerQueue>>,
    /// The connection's two ends as the client names them: its own address,
    /// and ours (its peer). Another connection may share one of them (a
    /// client's port may be one the proxy uses on its way to the server).
    ends: Option<(SocketAddr, SocketAddr)>,
}

impl Delivery {
    /// The delivery to the client at the other end of `client` (our socket),
    /// watched from now on; `None` when the kernel cannot be asked about it.
    pub(super) fn watch(client: &TcpStream) -> Option<Delivery> {
        let mut probe = PeerQueue::of(client).ok()?;
        probe.ask().ok()??;
        Some(Delivery {
            watched: Mutex::new(Some(probe)),
            ends: client
                .peer_addr()
                .and_then(|theirs| Ok((canonical(theirs), canonical(client.local_addr()?))))
                .ok(),
            ..Delivery::default()
        })
    }

    /// `n` bytes about to be written to the client: counted before the
    /// call, since a client may read them and close before the call has
    /// returned.
    pub(super) fn writing(&self, n: usize) {
        self.written.fetch_add(n as u64, Ordering::SeqCst);
    }

    /// Of the `n` bytes of [`Delivery::writing`], the call wrote `wrote`.
    pub(super) fn wrote(&self, n: usize, wrote: usize) {
        self.written
            .fetch_sub(n.saturating_sub(wrote) as u64, Ordering::SeqCst);
    }

    /// Ask the client's socket once: how much it has read, or that it has
    /// closed. True when it has read more since it was last asked: a client
    /// still reading is not hung.
    fn sample(&self) -> bool {
        let mut watched = self.watched.lock().unwrap_or_else(|e| e.into_inner());
        let Some(probe) = watched.as_mut() else {
            return false;
        };
        let written = self.written.load(Ordering::SeqCst);
        match probe.ask() {
            Ok(Some(peer)) if peer.held => {
                // What arrived, less what still waits: what it has read.
                let before = self.read.load(Ordering::SeqCst);
                if let Some(received) = peer.received {
                    let read = received.saturating_sub(peer.unread as u64);
                    self.read.fetch_max(read, Ordering::SeqCst);
                }
                return self.read.load(Ordering::SeqCst) > before;
            }
            // Closed: cleanly (the kernel keeps it a while, held by no
            // process) or with a reset (gone at once).
            Ok(_) => {}
            // No answer this time (a full buffer): asked again at the next
            // round, the client taken for neither open nor closed.
            Err(_) => return false,
        }
        self.written_at_close.store(written, Ordering::SeqCst);
        self.closed.store(true, Ordering::SeqCst);
        *watched = None;
        false
    }

    /// Bytes written to the client that it never read: with the client's
    /// socket measured as it let go of it (`let_go`, the last of this
    /// connection's), every byte written less what it had read then; else
    /// those written after it was seen closed.
    fn unread(&self, let_go: &[LetGo]) -> u64 {
        let written = self.written.load(Ordering::SeqCst);
        let measured = let_go
            .iter()
            .rev()
            .find(|l| Some((l.local, l.peer)) == self.ends);
        if let Some(l) = measured {
            return written.saturating_sub(l.read());
        }
        match self.closed.load(Ordering::SeqCst) {
            true => self
                .written
                .load(Ordering::SeqCst)
                .saturating_sub(self.written_at_close.load(Ordering::SeqCst)),
            false => 0,
        }
    }
}

/// Every connection's delivery, asked by the thread that watches them.
#[derive(Debug, Default)]
pub(super) struct Deliveries {
    all: Mutex<Vec<Arc<Delivery>>>,
}

impl Deliveries {
    /// Watch one more connection's client.
    pub(super) fn add(&self, delivery: Arc<Delivery>) {
        self.all
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(delivery);
    }

    fn open(&self) -> Vec<Arc<Delivery>> {
        let all = self.all.lock().unwrap_or_else(|e| e.into_inner());
        all.iter()
            .filter(|d| !d.closed.load(Ordering::SeqCst))
            .cloned()
            .collect()
    }

    /// Ask every open client's socket once; true when one has read more.
    pub(super) fn sample(&self) -> bool {
        let mut progressed = false;
        for d in self.open() {
            progressed |= d.sample();
        }
        progressed
    }

    /// Bytes written to clients that they never read (see
    /// [`Delivery::unread`]), once every client has closed (waiting at most
    /// `limit` for that: call it after the client's process has ended).
    pub(super) fn unread(&self, limit: Duration, let_go: &[LetGo]) -> u64 {
        let deadline = Instant::now() + limit;
        loop {
            let open = self.open();
            if open.is_empty() || Instant::now() >= deadline {
                break;
            }
            let _ = self.sample();
            thread::sleep(EVERY);
        }
        let all = self.all.lock().unwrap_or_else(|e| e.into_inner());
        all.iter().map(|d| d.unread(let_go)).sum()
    }
}
