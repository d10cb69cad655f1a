//! What the proxy has moved, and when it last moved anything: how `check`
//! tells a client that is still receiving from one that is stuck.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Counters shared by every pump of one proxy.
#[derive(Debug)]
pub(super) struct Activity {
    started: Instant,
    /// When a byte last moved (or a pause ended), in microseconds since
    /// `started`.
    last: AtomicU64,
    /// Pumps in a pause of their shape: the proxy itself is holding bytes
    /// back, which is not the client being stuck.
    pausing: AtomicUsize,
    /// Connections accepted and not yet ended.
    open: AtomicUsize,
    from_client: AtomicU64,
    to_client: AtomicU64,
    from_server: AtomicU64,
    to_server: AtomicU64,
}

/// Which of the four byte counts a call moved.
#[derive(Debug, Clone, Copy)]
pub(super) enum Leg {
    FromClient,
    ToClient,
    FromServer,
    ToServer,
}

impl Activity {
    pub(super) fn new() -> Activity {
        Activity {
            started: Instant::now(),
            last: AtomicU64::new(0),
            pausing: AtomicUsize::new(0),
            open: AtomicUsize::new(0),
            from_client: AtomicU64::new(0),
            to_client: AtomicU64::new(0),
            from_server: AtomicU64::new(0),
            to_server: AtomicU64::new(0),
        }
    }

    fn now(&self) -> u64 {
        self.started.elapsed().as_micros() as u64
    }

    /// Something happened: bytes moved, or a pause ended.
    pub(super) fn touch(&self) {
        self.last.fetch_max(self.now(), Ordering::SeqCst);
    }

    /// A connection was accepted.
    pub(super) fn opened(&self) {
        self.open.fetch_add(1, Ordering::SeqCst);
        self.touch();
    }

    /// A connection ended.
    pub(super) fn closed(&self) {
        self.open.fetch_sub(1, Ordering::SeqCst);
        self.touch();
    }

    /// Connections accepted and not yet ended.
    pub(super) fn open(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }

    /// `n` bytes moved on `leg`.
    pub(super) fn moved(&self, leg: Leg, n: usize) {
        let counter = match leg {
            Leg::FromClient => &self.from_client,
            Leg::ToClient => &self.to_client,
            Leg::FromServer => &self.from_server,
            Leg::ToServer => &self.to_server,
        };
        counter.fetch_add(n as u64, Ordering::SeqCst);
        self.touch();
    }

    /// Run `f` as a pause of the shape: time spent in it is not idleness.
    pub(super) fn pausing<R>(&self, f: impl FnOnce() -> R) -> R {
        self.pausing.fetch_add(1, Ordering::SeqCst);
        let r = f();
        self.pausing.fetch_sub(1, Ordering::SeqCst);
        self.touch();
        r
    }

    pub(super) fn snapshot(&self) -> Traffic {
        let idle = match self.pausing.load(Ordering::SeqCst) {
            0 => Duration::from_micros(self.now().saturating_sub(self.last.load(Ordering::SeqCst))),
            _ => Duration::ZERO,
        };
        Traffic {
            idle,
            from_client: self.from_client.load(Ordering::SeqCst),
            to_client: self.to_client.load(Ordering::SeqCst),
            from_server: self.from_server.load(Ordering::SeqCst),
            to_server: self.to_server.load(Ordering::SeqCst),
        }
    }
}

/// The proxy's traffic so far, in bytes, and how long nothing has moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Traffic {
    /// How long since a byte last moved either way (zero while the proxy is
    /// in a pause of its shape).
    pub idle: Duration,
    /// Read from the clients.
    pub from_client: u64,
    /// Written to the clients.
    pub to_client: u64,
    /// Read from the server.
    pub from_server: u64,
    /// Written to the server.
    pub to_server: u64,
}

impl Traffic {
    /// Bytes the proxy has read and not yet passed on: (to the server, to
    /// the client).
    pub fn undelivered(&self) -> (u64, u64) {
        (
            self.from_client.saturating_sub(self.to_server),
            self.from_server.saturating_sub(self.to_client),
        )
    }
}
