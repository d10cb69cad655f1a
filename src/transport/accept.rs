//! Accepting when the machine runs short: a pause that grows, and one row per
//! burst of failures instead of one per failure.
//!
//! When the process is out of descriptors (EMFILE, ENFILE) or the kernel out
//! of memory (ENOBUFS, ENOMEM), `accept` fails at once, and keeps failing
//! while the connection waits in the listen queue. Retried at once, it spins:
//! a core at 100% and a log row each time, millions a second. So the accept
//! loops of the echo server, the proxy and `check`'s echo wait before the next
//! try, 5 ms at first and twice as long each time up to 1 s, as mature servers
//! do, and the wait starts again from 5 ms once an accept succeeds. The
//! failures are counted and told as one [`Burst`]: when an accept succeeds
//! again, and every [`SAY_EVERY`] while they go on.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The first pause after a failed accept.
pub const FIRST_PAUSE: Duration = Duration::from_millis(5);
/// The longest pause: a freed descriptor is used within a second.
pub const MAX_PAUSE: Duration = Duration::from_secs(1);
/// While accepts go on failing, the failures are told this often.
pub const SAY_EVERY: Duration = Duration::from_secs(10);

/// True for the errors that say the machine is short of something, which
/// time may give back: out of descriptors (the process's or the system's),
/// of buffer space, of memory.
pub fn short_of_resources(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
    )
}

/// Failed accepts told together: `count` of them over `over`, the last
/// failing with `error`.
#[derive(Debug)]
pub struct Burst {
    /// How many accepts failed.
    pub count: u64,
    /// From the first failure to the last.
    pub over: Duration,
    /// The last failure's error.
    pub error: io::Error,
}

impl Burst {
    /// The error in the system's words without its number, the first letter
    /// small so it reads on after a colon: `too many open files`.
    pub fn reason(&self) -> String {
        crate::text::system_words(&self.error)
    }
}

/// The pause after failed accepts and the failures not told yet. One per
/// accept loop.
#[derive(Debug)]
pub struct Backoff {
    pause: Duration,
    /// Failures not told yet: how many, when the first and the last came,
    /// and the last one's error.
    pending: Option<(u64, Instant, Instant, io::Error)>,
    /// When the current burst was last told (None: not yet).
    said: Option<Instant>,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            pause: FIRST_PAUSE,
            pending: None,
            said: None,
        }
    }
}

impl Backoff {
    /// No failure yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The pause the next failure waits.
    pub fn pause(&self) -> Duration {
        self.pause
    }

    /// An accept failed with `e` (one [`short_of_resources`] says is a
    /// shortage): wait the pause, ending early when `stop` is set, and
    /// double it for the next failure. Returns the burst to tell when
    /// failures have gone on for [`SAY_EVERY`] since they were last told.
    pub fn failed(&mut self, e: io::Error, stop: Option<&AtomicBool>) -> Option<Burst> {
        let now = Instant::now();
        let (count, first) = match self.pending.take() {
            Some((count, first, _, _)) => (count, first),
            None => (0, now),
        };
        self.pending = Some((count + 1, first, now, e));
        let since = self.said.unwrap_or(first);
        let due = now.duration_since(since) >= SAY_EVERY;
        let told = match due {
            true => self.take(),
            false => None,
        };
        if due {
            self.said = Some(now);
        }
        sleep_unless(self.pause, stop);
        self.pause = (self.pause * 2).min(MAX_PAUSE);
        told
    }

    /// An accept succeeded: the pause starts again from [`FIRST_PAUSE`], and
    /// the failures not told yet are returned, to be told now.
    pub fn succeeded(&mut self) -> Option<Burst> {
        self.pause = FIRST_PAUSE;
        self.said = None;
        self.take()
    }

    /// The failures not told yet (for a loop that ends).
    pub fn take(&mut self) -> Option<Burst> {
        self.pending
            .take()
            .map(|(count, first, last, error)| Burst {
                count,
                over: last.duration_since(first),
                error,
            })
    }
}

/// Sleep `pause`, in steps of 10 ms when `stop` may end it early: a loop
/// asked to stop does so within 10 ms, not a second later.
fn sleep_unless(pause: Duration, stop: Option<&AtomicBool>) {
    let Some(stop) = stop else {
        std::thread::sleep(pause);
        return;
    };
    let end = Instant::now() + pause;
    while !stop.load(Ordering::SeqCst) {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        std::thread::sleep(left.min(Duration::from_millis(10)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emfile() -> io::Error {
        io::Error::from_raw_os_error(libc::EMFILE)
    }

    #[test]
    fn only_shortages_are_waited_out() {
        for n in [libc::EMFILE, libc::ENFILE, libc::ENOBUFS, libc::ENOMEM] {
            assert!(short_of_resources(&io::Error::from_raw_os_error(n)), "{n}");
        }
        for n in [libc::ECONNABORTED, libc::EPERM, libc::EINVAL] {
            assert!(!short_of_resources(&io::Error::from_raw_os_error(n)), "{n}");
        }
        assert!(!short_of_resources(&io::ErrorKind::OutOfMemory.into()));
    }

    #[test]
    fn the_pause_doubles_up_to_a_second_and_starts_again_after_a_success() {
        let mut b = Backoff::new();
        let stop = AtomicBool::new(true);
        let mut pauses = Vec::new();
        for _ in 0..10 {
            pauses.push(b.pause().as_millis());
            assert!(b.failed(emfile(), Some(&stop)).is_none());
        }
        assert_eq!(pauses, [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
        let burst = b.succeeded().expect("the burst is told when it ends");
        assert_eq!(burst.count, 10);
        assert_eq!(burst.reason(), "too many open files");
        assert_eq!(b.pause(), FIRST_PAUSE);
        // Told once: a second success has nothing to tell.
        assert!(b.succeeded().is_none());
    }

    #[test]
    fn a_pause_waits_unless_stopped() {
        let mut b = Backoff::new();
        let started = Instant::now();
        b.failed(emfile(), None);
        assert!(started.elapsed() >= FIRST_PAUSE);
        // A stop set ends even the longest pause at once.
        for _ in 0..8 {
            b.failed(emfile(), Some(&AtomicBool::new(true)));
        }
        let started = Instant::now();
        b.failed(emfile(), Some(&AtomicBool::new(true)));
        assert!(started.elapsed() < Duration::from_millis(100));
    }
}
