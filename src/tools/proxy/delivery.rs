//! What each client did with the bytes the proxy delivered to it: read them
//! all, or ended with some unread.
//!
//! A client that quits with part of its reply unread has taken a piece of a
//! reply for the whole: the bug `check` looks for, even when the client exits
//! 0. Two facts of the kernel tell it apart from a client that read every
//! byte:
//!
//! - Closing a socket whose receive queue still holds bytes resets the
//!   connection (RST) instead of ending it (FIN): our end of it then reports
//!   `ECONNRESET`. So does a byte that arrives after the client closed.
//! - While the client's socket is open, the kernel says how many bytes it
//!   received and how many of them wait unread (see
//!   [`PeerQueue`](crate::transport::queue::PeerQueue)): what it has read so
//!   far. Asked every millisecond, that gives how many bytes the reset left.
//!
//! Our end of the connection is kept open (a copy of its descriptor) until the
//! client has closed its own, so a reset is seen even after the connection's
//! threads have ended (a client that half-closes, then quits with bytes
//! unread).

use std::io;
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::transport::queue::{PeerQueue, resets_with_unread};

/// How often the client's socket is asked what it has read.
pub(super) const EVERY: Duration = Duration::from_millis(1);

/// One connection's bytes to its client, and what became of them.
#[derive(Debug, Default)]
pub(super) struct Delivery {
    /// Bytes written to the client's socket.
    written: AtomicU64,
    /// Bytes the client had read when last asked: it has read at least these.
    read: AtomicU64,
    /// The client's end reset the connection, closing with bytes unread.
    reset: AtomicBool,
    /// The kernel's count of closes reset for bytes left unread (see
    /// [`resets_with_unread`]) when the client was last asked: a reset the
    /// count did not grow for was a close on purpose (`SO_LINGER` 0), not
    /// bytes left unread. Read before the proxy closes anything of its own.
    resets_then: AtomicU64,
    /// The client has closed its socket (or the kernel no longer knows it).
    closed: AtomicBool,
    /// Bytes written to the client when it was seen closed: any written
    /// later (a server that answers late) were never read.
    written_at_close: AtomicU64,
    /// Our end of the connection and the probe of the client's, until the
    /// client has closed.
    watched: Mutex<Option<(TcpStream, PeerQueue)>>,
}

impl Delivery {
    /// The delivery to the client at the other end of `client` (our socket),
    /// watched from now on; `None` when the kernel cannot be asked about it.
    pub(super) fn watch(client: &TcpStream) -> Option<Delivery> {
        let mut probe = PeerQueue::of(client).ok()?;
        probe.ask().ok()??;
        Some(Delivery {
            watched: Mutex::new(Some((client.try_clone().ok()?, probe))),
            resets_then: AtomicU64::new(resets_with_unread().unwrap_or(0)),
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

    /// A call on our end failed: a reset says the client closed with bytes
    /// unread, unless it closed on purpose with a reset (`SO_LINGER` 0),
    /// which the kernel's count of resets with bytes unread tells apart.
    pub(super) fn failed(&self, e: &io::Error) {
        if e.kind() != io::ErrorKind::ConnectionReset {
            return;
        }
        let unread = match resets_with_unread() {
            Ok(now) => now > self.resets_then.load(Ordering::SeqCst),
            // No count to tell by: a reset is taken for bytes left unread.
            Err(_) => true,
        };
        if unread {
            self.reset.store(true, Ordering::SeqCst);
        }
    }

    /// Ask the client's socket once: how much it has read, or that it has
    /// closed (then whether the close was a reset). True when it has read
    /// more since it was last asked: a client still reading is not hung.
    fn sample(&self) -> bool {
        let mut watched = self.watched.lock().unwrap_or_else(|e| e.into_inner());
        let Some((ours, probe)) = watched.as_mut() else {
            return false;
        };
        let written = self.written.load(Ordering::SeqCst);
        // Read before the ask: when the ask finds the client still there,
        // the count is from before any close of its.
        let resets = resets_with_unread();
        match probe.ask() {
            Ok(Some(peer)) if peer.held => {
                if let Ok(n) = resets {
                    self.resets_then.store(n, Ordering::SeqCst);
                }
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
            // No answer this time (a signal, a full buffer): asked again at
            // the next round, the client taken for neither open nor closed.
            Err(_) => return false,
        }
        if let Ok(Some(e)) = ours.take_error() {
            self.failed(&e);
        }
        self.written_at_close.store(written, Ordering::SeqCst);
        self.closed.store(true, Ordering::SeqCst);
        *watched = None;
        false
    }

    /// Bytes written to the client that it never read: after a reset that
    /// left bytes unread, all it had not read when last asked, at least
    /// one; and, whatever the close, those written after it closed.
    fn unread(&self) -> u64 {
        let written = self.written.load(Ordering::SeqCst);
        let after = match self.closed.load(Ordering::SeqCst) {
            true => written.saturating_sub(self.written_at_close.load(Ordering::SeqCst)),
            false => 0,
        };
        match self.reset.load(Ordering::SeqCst) {
            true => written
                .saturating_sub(self.read.load(Ordering::SeqCst))
                .max(1),
            false => after,
        }
    }
}

/// Every connection's delivery, and the thread that watches them.
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

    /// Bytes delivered to clients that they never read, once every client
    /// has closed (waiting at most `limit` for that: call it after the
    /// client's process has ended).
    pub(super) fn unread(&self, limit: Duration) -> u64 {
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
        all.iter().map(|d| d.unread()).sum()
    }
}
