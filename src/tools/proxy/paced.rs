//! Where one direction of the proxy writes: the socket, each write a row of
//! the log, the shape's pauses paced by the reader (a pause ends once the
//! receiver has read what came before it), and ended early when the proxy
//! stops, so that Ctrl-C never waits out a long `--…-chunk-delay-ms`.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use super::activity::{Activity, Leg};
use super::delivery::Delivery;
use super::log::Log;
use super::pump::error_of;
use crate::event::Side;
use crate::lang::Msg;
use crate::transport::Transport;
use crate::transport::net::abort_on_close;
use crate::transport::queue::{PeerQueue, PeerRead, WhileWriting};

/// Where one direction writes: the socket, with pauses that end early when the
/// proxy stops, so that Ctrl-C never waits out a long `--…-chunk-delay-ms`.
pub(super) struct Paced<'a> {
    pub(super) stream: &'a TcpStream,
    pub(super) stop: &'a AtomicBool,
    /// Each write is a row of this log, on this side, from this offset on.
    pub(super) log: &'a Log,
    pub(super) side: Side,
    pub(super) at: u64,
    /// What the proxy has moved, and which count these writes add to.
    pub(super) activity: &'a Activity,
    pub(super) leg: Leg,
    /// With [`ProxyConfig::paced_by_reader`](super::ProxyConfig): the
    /// receiver's queue, asked after each chunk.
    pub(super) probe: &'a mut Option<PeerQueue>,
    /// How much longer pauses may wait for a receiver that is not reading,
    /// in all: a client that writes a large request before it reads the
    /// reply is not slowed down for long.
    pub(super) patience: &'a mut Duration,
    /// Writing to the client: what it is delivered, counted.
    pub(super) delivery: Option<&'a Delivery>,
}

impl Read for Paced<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&mut &*self.stream).read(buf)
    }
}

impl Write for Paced<'_> {
    /// One write system call, and its row: handed to the log before the
    /// call, so the read of its bytes on the other side comes after it, and
    /// a write that blocks for good holds back no other row.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.log.call(self.side, None, self.at, buf);
        if let Some(d) = self.delivery {
            d.writing(buf.len());
        }
        let result = (&mut &*self.stream).write(buf);
        if let Some(d) = self.delivery {
            d.wrote(buf.len(), *result.as_ref().unwrap_or(&0));
        }
        match &result {
            Ok(n) => {
                self.activity.moved(self.leg, *n);
                self.at += *n as u64;
                // The kernel took part of it: the rest goes in the next call.
                if *n < buf.len() && !self.log.quiet {
                    let short = Msg::new("proxy-short-write")
                        .arg("n", Msg::new("bytes").arg("n", *n as u64))
                        .arg("of", Msg::new("bytes").arg("n", buf.len() as u64));
                    self.log.note(self.side, short, false);
                }
            }
            Err(e) => self.log.row(self.side, error_of(e), true),
        }
        result
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Paced<'_> {
    /// Wait until the receiver has read every byte written so far, or
    /// `end`. `None`: the receiver's queue cannot be seen (not a socket of
    /// this machine), so the pause is the clock's.
    fn wait_until_read(&mut self, end: Instant) -> Option<PeerRead> {
        let probe = self.probe.as_mut()?;
        let stop = self.stop;
        let stopped = || stop.load(Ordering::SeqCst);
        match probe.wait_read(self.stream, self.at, end, WhileWriting::Return, &stopped) {
            Ok(waited) => Some(waited),
            // sock_diag refused: the clock paces from now on.
            Err(_) => {
                *self.probe = None;
                None
            }
        }
    }

    /// A silence of `hold`, not counted as a hang (ended early when the
    /// proxy stops).
    pub(super) fn silence(&self, hold: Duration) {
        self.activity.pausing(|| self.sleep(hold));
    }

    /// A pause of the clock, ended early when the proxy stops.
    fn sleep(&self, delay: Duration) {
        let end = Instant::now() + delay;
        while !self.stop.load(Ordering::SeqCst) {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            thread::sleep(left.min(Duration::from_millis(10)));
        }
    }
}

impl Transport for Paced<'_> {
    fn pause(&mut self, delay: Duration) {
        let activity = self.activity;
        activity.pausing(|| {
            // A receiver that is not reading now is waited for only as long
            // as patience lasts: waiting after every chunk would make a
            // large message slow, not split it more.
            let began = Instant::now();
            match self.wait_until_read(began + delay.min(*self.patience)) {
                Some(PeerRead::Read | PeerRead::Writing | PeerRead::Gone) => {}
                Some(PeerRead::NotReading) => {
                    *self.patience = self.patience.saturating_sub(began.elapsed());
                }
                None => self.sleep(delay),
            }
        });
    }

    fn close_write(&mut self) -> io::Result<()> {
        self.stream.shutdown(Shutdown::Write)
    }

    fn abort(&mut self) -> io::Result<()> {
        abort_on_close(self.stream)
    }
}
