//! The bench's connections to the server measured: every read and every
//! write bounded in time, every echo checked, every failure said in words.
//!
//! A measurement has an end (its share of `--max-seconds`): its loops stop
//! starting round trips there, and no read or write that began before it waits
//! more than [`GRACE`] past it. Apart from that, no call waits more than
//! [`STALL`] for a server that stops answering or stops reading. A server that
//! floods, never reads or falls silent therefore ends the run on time, with an
//! error that says which of these it did.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// The longest a read or a write waits for a server that stops answering or
/// stops reading: 10 s.
pub const STALL: Duration = Duration::from_secs(10);
/// How long past its end a measurement waits for a read or write that began
/// before it: 1 s.
pub const GRACE: Duration = Duration::from_secs(1);
/// How far a call may overrun the end plus [`GRACE`] before the timeout is set
/// again (so that setting it is not a system call per read).
const SLACK: Duration = Duration::from_millis(100);

/// When a measurement ends.
#[derive(Debug, Clone, Copy)]
pub(super) struct Deadline {
    end: Instant,
}

impl Deadline {
    /// `time` from now.
    pub(super) fn after(time: Duration) -> Deadline {
        Deadline {
            end: Instant::now() + time,
        }
    }

    /// The end has come: start nothing more.
    pub(super) fn passed(&self) -> bool {
        Instant::now() >= self.end
    }

    /// The latest any call may still be waiting.
    fn hard(&self) -> Instant {
        self.end + GRACE
    }

    /// Time left until the hard end, at most `stall`; an error once none is.
    fn left(&self, stall: Duration) -> Option<Duration> {
        let left = self.hard().saturating_duration_since(Instant::now());
        (!left.is_zero()).then(|| left.min(stall))
    }
}

/// A connection to the server measured (or to the raw pair).
pub(super) struct MeasuredConn {
    s: TcpStream,
    addr: SocketAddr,
    deadline: Deadline,
    stall: Duration,
    /// The read and write timeouts set on the socket.
    read_armed: Option<Duration>,
    write_armed: Option<Duration>,
}

/// Reading or writing.
#[derive(Clone, Copy, PartialEq, Eq)]
enum IoOp {
    Read,
    Write,
}

impl MeasuredConn {
    /// Connect to `addr`, waiting at most [`STALL`] and not past the deadline.
    pub(super) fn connect(addr: SocketAddr, deadline: Deadline) -> io::Result<MeasuredConn> {
        let Some(wait) = deadline.left(STALL) else {
            return Err(time_ran_out(format!("cannot connect to {addr}")));
        };
        let s = TcpStream::connect_timeout(&addr, wait).map_err(|e| {
            if crate::event::is_timeout(&e) {
                io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "cannot connect to {addr}: no answer in {} ms (the server accepts \
                         nothing, or its listen queue is full)",
                        wait.as_millis()
                    ),
                )
            } else {
                io::Error::new(e.kind(), format!("cannot connect to {addr}: {e}"))
            }
        })?;
        s.set_nodelay(true)
            .map_err(|e| io::Error::new(e.kind(), format!("connection to {addr}: {e}")))?;
        Ok(MeasuredConn {
            s,
            addr,
            deadline,
            stall: STALL,
            read_armed: None,
            write_armed: None,
        })
    }

    /// Let reads and writes wait up to `stall` (a queued client waits its turn).
    pub(super) fn set_stall(&mut self, stall: Duration) {
        self.stall = stall;
        self.read_armed = None;
        self.write_armed = None;
    }

    /// Another handle on the same connection (for a writer thread). Timeouts
    /// are the socket's: the clone writes, the original reads.
    pub(super) fn try_clone(&self) -> io::Result<MeasuredConn> {
        Ok(MeasuredConn {
            s: self.s.try_clone()?,
            read_armed: None,
            write_armed: None,
            ..*self
        })
    }

    /// Set the timeout of `dir` so that the next call waits neither past the
    /// hard end (give or take [`SLACK`]) nor longer than the stall; a system
    /// call only when the one set would overrun.
    fn arm(&mut self, dir: IoOp) -> io::Result<()> {
        let Some(want) = self.deadline.left(self.stall) else {
            return Err(self.timed_out(dir));
        };
        let now = Instant::now();
        let armed = match dir {
            IoOp::Read => &mut self.read_armed,
            IoOp::Write => &mut self.write_armed,
        };
        let overruns = armed.is_none_or(|t| now + t > self.deadline.hard() + SLACK);
        if overruns {
            match dir {
                IoOp::Read => self.s.set_read_timeout(Some(want))?,
                IoOp::Write => self.s.set_write_timeout(Some(want))?,
            }
            *armed = Some(want);
        }
        Ok(())
    }

    /// A call that waited its whole timeout, in words.
    fn timed_out(&self, dir: IoOp) -> io::Error {
        let addr = self.addr;
        if Instant::now() + SLACK >= self.deadline.hard() {
            return time_ran_out(match dir {
                IoOp::Read => format!("no echo from {addr}"),
                IoOp::Write => format!("{addr} did not read what was sent"),
            });
        }
        let secs = self.stall.as_secs_f64();
        io::Error::new(
            io::ErrorKind::TimedOut,
            match dir {
                IoOp::Read => {
                    format!("no echo from {addr} for {secs} s: the server is not answering")
                }
                IoOp::Write => format!(
                    "{addr} took nothing of what was sent for {secs} s: the server is not reading"
                ),
            },
        )
    }

    /// Any other failure of a call, naming the server.
    fn failed(&self, dir: IoOp, e: io::Error) -> io::Error {
        if crate::event::is_timeout(&e) {
            return self.timed_out(dir);
        }
        let what = match dir {
            IoOp::Read => "echo from",
            IoOp::Write => "sending to",
        };
        io::Error::new(e.kind(), format!("{what} {}: {e}", self.addr))
    }

    /// Write all of `buf`; `sent` is told of each part as it goes.
    pub(super) fn send(&mut self, mut buf: &[u8], mut sent: impl FnMut(usize)) -> io::Result<()> {
        while !buf.is_empty() {
            self.arm(IoOp::Write)?;
            match self.s.write(buf) {
                Ok(0) => {
                    return Err(self.failed(IoOp::Write, io::ErrorKind::WriteZero.into()));
                }
                Ok(n) => {
                    sent(n);
                    buf = &buf[n..];
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.failed(IoOp::Write, e)),
            }
        }
        Ok(())
    }

    /// One read: 0 at the end of the stream.
    pub(super) fn receive(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            self.arm(IoOp::Read)?;
            match self.s.read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.failed(IoOp::Read, e)),
            }
        }
    }

    /// Read exactly `buf.len()` bytes: an echo may come back in chunks.
    pub(super) fn receive_exact(&mut self, mut buf: &mut [u8]) -> io::Result<()> {
        let wanted = buf.len();
        while !buf.is_empty() {
            match self.receive(buf)? {
                0 => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!(
                            "echo from {}: the server closed the connection after {} of {wanted} \
                             bytes",
                            self.addr,
                            wanted - buf.len()
                        ),
                    ));
                }
                n => buf = &mut buf[n..],
            }
        }
        Ok(())
    }

    /// One round trip: send `msg`, read its echo into `back`, and check that
    /// the echo is `msg` byte for byte (`round` names it in the error). Its
    /// time, from the write to the last byte back, the check not included.
    pub(super) fn round_trip(
        &mut self,
        msg: &[u8],
        back: &mut [u8],
        round: usize,
    ) -> io::Result<Duration> {
        let t = Instant::now();
        self.send(msg, |_| {})?;
        self.receive_exact(back)?;
        let took = t.elapsed();
        check_echo(msg, back, round, self.addr)?;
        Ok(took)
    }

    pub(super) fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.s.shutdown(how)
    }
}

/// The end of the time allowed, for `what` was waiting.
fn time_ran_out(what: String) -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        format!("{what} before the time allowed ran out (--max-seconds)"),
    )
}

/// `back` is `sent`, or an error that says where they differ.
pub(super) fn check_echo(
    sent: &[u8],
    back: &[u8],
    round: usize,
    addr: SocketAddr,
) -> io::Result<()> {
    let Some(i) = sent.iter().zip(back).position(|(a, b)| a != b) else {
        return Ok(());
    };
    let show = |b: u8| {
        if b.is_ascii_graphic() || b == b' ' {
            format!("'{}'", b as char)
        } else {
            format!("0x{b:02x}")
        }
    };
    Err(io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "the echo from {addr} is not what was sent: in round trip {round}, byte {} of {} \
             came back as {} where {} was sent",
            i + 1,
            sent.len(),
            show(back[i]),
            show(sent[i])
        ),
    ))
}

/// The message of round trip `round`: letters that differ from one round trip
/// to the next (its first eight count the round trips, the rest run through
/// the alphabet from a place that moves each time), so that an echo of an
/// earlier message, or of anything but this one, differs from it.
pub(super) fn message(round: usize, msg: &mut [u8]) {
    let mut count = round;
    for (j, b) in msg.iter_mut().enumerate() {
        let letter = if j < 8 {
            let digit = count % 26;
            count /= 26;
            digit
        } else {
            (round + j) % 26
        };
        *b = b'a' + letter as u8;
    }
}
