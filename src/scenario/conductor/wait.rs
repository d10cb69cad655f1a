//! When a conducted read may go to the kernel: the rule the read's wait
//! follows, look after look, apart from the looking (so it can be tested
//! with made-up clocks and queues).
//!
//! Mostly a read waits for every byte the peer has written, up to what it
//! asks: the peer's writes have all returned, so on loopback the bytes are in
//! our receive queue already or a few microseconds away. But a receive window
//! smaller than a write (a small `SO_RCVBUF`) holds the rest of that write
//! back in the peer's send queue: the peer's kernel sends more only when this
//! end reads and so opens the window again. Then our queue is complete once
//! nothing is on its way between the two ends: every byte the peer's kernel
//! has sent is acknowledged (so it is in our queue), and what is left waits,
//! unsent, for the window. The read then takes the window's worth, less than
//! it asked, while more of the same write is still to come: the kernel's own
//! split. (Our kernel may delay its last acknowledgement by some 40 ms: such
//! a read waits that long.)

use std::time::{Duration, Instant};

/// How long the two ends must stay with nothing on its way between them
/// before a read that a receive window holds back goes on. (The peer's
/// kernel may be between taking an acknowledgement and sending the next
/// segment.)
const SETTLED: Duration = Duration::from_millis(2);

/// How long a read waits for its bytes when the peer's socket is closed (and
/// so cannot be asked what it holds back): until our queue has not grown
/// for this long.
const QUIET: Duration = Duration::from_millis(500);

/// The longest a read waits for its bytes, whatever the queues say: a bug
/// in the rule must not turn into a hang, and the read then returns what is
/// there.
const GIVE_UP: Duration = Duration::from_secs(2);

/// What the peer's end says about the bytes it wrote to us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Peer {
    /// Some are on their way: sent and not yet acknowledged, or not yet
    /// counted in our queue.
    OnTheWay,
    /// Every byte its kernel sent is in our queue; the rest waits, unsent,
    /// for our receive window.
    HeldBack,
    /// Its socket is closed: there is no send queue to ask.
    Closed,
}

/// A read's wait for its bytes, from what each look at the queues saw.
#[derive(Debug)]
pub(super) struct ReadWait {
    began: Instant,
    /// Our queue at the last look, and when it last changed.
    last: usize,
    last_change: Instant,
    /// Since when the peer has been [`Peer::HeldBack`] without a break.
    settled_since: Option<Instant>,
}

impl ReadWait {
    /// A wait that begins at `now`, with our queue empty.
    pub(super) fn new(now: Instant) -> Self {
        ReadWait {
            began: now,
            last: 0,
            last_change: now,
            settled_since: None,
        }
    }

    /// A look at `now`: our receive queue holds `queued` bytes and the read
    /// wants `want`. Whether the read may go on. `peer` is asked only when
    /// the queue is short.
    pub(super) fn done(
        &mut self,
        now: Instant,
        queued: usize,
        want: usize,
        peer: impl FnOnce() -> Peer,
    ) -> bool {
        if queued >= want {
            return true;
        }
        if queued != self.last {
            self.last = queued;
            self.last_change = now;
        }
        let short = match peer() {
            Peer::HeldBack => {
                let since = *self.settled_since.get_or_insert(now);
                // A window's worth, and it has stayed so: the kernel's split.
                // (Nothing at all in our queue is no window's worth: wait.)
                now - since >= SETTLED && queued > 0
            }
            Peer::OnTheWay => {
                self.settled_since = None;
                false
            }
            Peer::Closed => now - self.last_change > QUIET,
        };
        short || now - self.began > GIVE_UP
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(t0: Instant, ms: f64) -> Instant {
        t0 + Duration::from_secs_f64(ms / 1000.0)
    }

    #[test]
    fn a_read_goes_on_once_its_bytes_are_there_without_asking_the_peer() {
        let t0 = Instant::now();
        let mut w = ReadWait::new(t0);
        let unasked = || panic!("the peer was asked though the bytes are there");
        assert!(w.done(t0, 5, 5, unasked));
        assert!(w.done(t0, 6, 5, unasked));
        assert!(!w.done(t0, 4, 5, || Peer::OnTheWay));
    }

    #[test]
    fn a_held_back_read_goes_on_once_nothing_has_been_on_its_way_for_a_while() {
        let t0 = Instant::now();
        let mut w = ReadWait::new(t0);
        let held = || Peer::HeldBack;
        assert!(!w.done(t0, 4096, 12000, held));
        assert!(!w.done(t0 + SETTLED - Duration::from_nanos(1), 4096, 12000, held));
        assert!(w.done(t0 + SETTLED, 4096, 12000, held));
    }

    #[test]
    fn bytes_on_their_way_start_the_settling_again() {
        let t0 = Instant::now();
        let mut w = ReadWait::new(t0);
        assert!(!w.done(t0, 4096, 12000, || Peer::HeldBack));
        assert!(!w.done(ms(t0, 1.0), 4096, 12000, || Peer::OnTheWay));
        assert!(!w.done(ms(t0, 2.5), 4096, 12000, || Peer::HeldBack));
        assert!(!w.done(ms(t0, 4.0), 4096, 12000, || Peer::HeldBack));
        assert!(w.done(ms(t0, 4.5), 4096, 12000, || Peer::HeldBack));
    }

    #[test]
    fn an_empty_queue_is_no_window_s_worth() {
        let t0 = Instant::now();
        let mut w = ReadWait::new(t0);
        assert!(!w.done(t0, 0, 10, || Peer::HeldBack));
        assert!(!w.done(ms(t0, 100.0), 0, 10, || Peer::HeldBack));
        // Only the limit ends such a wait.
        assert!(!w.done(t0 + GIVE_UP, 0, 10, || Peer::HeldBack));
        assert!(w.done(t0 + GIVE_UP + Duration::from_nanos(1), 0, 10, || {
            Peer::HeldBack
        }));
    }

    #[test]
    fn with_the_peer_closed_a_read_waits_until_the_queue_stops_growing() {
        let t0 = Instant::now();
        let mut w = ReadWait::new(t0);
        let closed = || Peer::Closed;
        assert!(!w.done(t0, 0, 10, closed));
        // The queue grows at 400 ms: the quiet time counts from there.
        assert!(!w.done(ms(t0, 400.0), 3, 10, closed));
        assert!(!w.done(ms(t0, 600.0), 3, 10, closed));
        assert!(!w.done(ms(t0, 400.0) + QUIET, 3, 10, closed));
        assert!(w.done(
            ms(t0, 400.0) + QUIET + Duration::from_nanos(1),
            3,
            10,
            closed
        ));
    }

    #[test]
    fn bytes_always_on_their_way_wait_only_until_the_limit() {
        let t0 = Instant::now();
        let mut w = ReadWait::new(t0);
        let on_the_way = || Peer::OnTheWay;
        assert!(!w.done(t0, 1, 10, on_the_way));
        assert!(!w.done(t0 + GIVE_UP, 1, 10, on_the_way));
        assert!(w.done(t0 + GIVE_UP + Duration::from_nanos(1), 1, 10, on_the_way));
    }
}
