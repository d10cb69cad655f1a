//! The one seam between the lesson's programs and the network.
//!
//! The server and the clients are written against [`Transport`], a byte stream with
//! two extra verbs: `pause` (what a fragmenting writer does between chunks) and
//! `read_late` (what a late reader does before it reads). On a real socket both are
//! plain sleeps, so the programs behave as they would with any C code. In a
//! scenario the runner hands them a stream whose pauses are decided by the runner
//! instead of the clock (see [`crate::scenario::conductor`]), so the same code shows the same
//! timeline on every run.

pub mod accept;
pub mod mock;
pub mod net;
pub mod queue;
pub mod trace;

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::thread;
use std::time::Duration;

/// A byte stream the echo programs talk through.
///
/// Every `read` and `write` is one system call on a real socket: that is the whole
/// point of the lesson, so nothing in this crate puts a buffer in between.
pub trait Transport: Read + Write {
    /// A pause between two writes of one message (`--chunk-delay-ms`).
    ///
    /// While the writer pauses, a reader on the other end gets the chance to read
    /// what has arrived so far: a part of the message.
    fn pause(&mut self, delay: Duration) {
        thread::sleep(delay);
    }

    /// Wait before the next read (`--read-delay-ms`).
    ///
    /// Whatever the peer writes meanwhile piles up in the receive buffer, and the
    /// next read returns all of it at once: separate writes, one read.
    fn read_late(&mut self, delay: Duration) {
        thread::sleep(delay);
    }

    /// Shut down the sending side (send FIN): "I will write no more, but I still read".
    fn close_write(&mut self) -> io::Result<()>;

    /// The two directions of this connection as two streams, so that one
    /// thread can write a message while another reads its echo: written
    /// first and read after, a message longer than the buffers between the two
    /// programs would leave both of them blocked in `write` for good (see
    /// [`crate::lesson::client`]'s duplex round). `None`: this stream cannot be
    /// shared between threads (a conducted stream, whose calls take turns), and
    /// its user writes, then reads, on one thread.
    fn try_split(&mut self) -> Option<Split<'_>> {
        None
    }

    /// Shut down both directions now: a thread blocked in a `write` or a
    /// `read` of this connection (through the other half of a
    /// [`Transport::try_split`]) returns at once, with an error or the end of
    /// the stream. A stream no other thread shares has nobody to wake.
    fn hang_up(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Make the coming close abort the connection: SO_LINGER 0, so the kernel
    /// sends RST instead of FIN and drops whatever was not sent yet.
    fn abort(&mut self) -> io::Result<()>;

    /// Make each read give up after `timeout` (`None`: wait as long as it
    /// takes), as SO_RCVTIMEO does on a socket: a read that runs out fails
    /// with `WouldBlock` or `TimedOut`. A stream whose reads do not wait on
    /// the clock (a scripted or conducted one) has nothing to limit.
    fn limit_reads(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        let _ = timeout;
        Ok(())
    }
}

/// The two halves of a connection from [`Transport::try_split`]: each is a
/// [`Transport`] of its own that may move to another thread, and both borrow
/// the connection, so neither outlives it.
pub struct Split<'a> {
    /// The half to read from.
    pub reader: Box<dyn Transport + Send + 'a>,
    /// The half to write to.
    pub writer: Box<dyn Transport + Send + 'a>,
}

impl std::fmt::Debug for Split<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Split")
    }
}

/// The verbs of a socket, the same for the socket and for a shared reference
/// to it: written once for both.
macro_rules! socket_verbs {
    () => {
        fn hang_up(&mut self) -> io::Result<()> {
            self.shutdown(Shutdown::Both)
        }

        fn close_write(&mut self) -> io::Result<()> {
            self.shutdown(Shutdown::Write)
        }

        fn abort(&mut self) -> io::Result<()> {
            net::abort_on_close(self)
        }

        fn limit_reads(&mut self, timeout: Option<Duration>) -> io::Result<()> {
            self.set_read_timeout(timeout)
        }
    };
}

impl Transport for TcpStream {
    /// Two shared references to the one socket: the kernel keeps the two
    /// directions apart, so two threads can use them at once without
    /// duplicating the descriptor.
    fn try_split(&mut self) -> Option<Split<'_>> {
        Some(Split {
            reader: Box::new(&*self),
            writer: Box::new(&*self),
        })
    }

    socket_verbs!();
}

/// A shared reference to a socket is a stream too (std implements `Read` and
/// `Write` for `&TcpStream`): two threads can pump the two directions of one
/// connection without duplicating the descriptor.
impl Transport for &TcpStream {
    socket_verbs!();
}

/// A new pseudo-terminal: (our side, the side a program is given as its
/// console), in the system's default mode, for the caller to set.
pub fn pty() -> io::Result<(std::os::fd::OwnedFd, std::os::fd::OwnedFd)> {
    use std::os::fd::{FromRawFd, OwnedFd};
    let (mut ours, mut theirs) = (-1, -1);
    // SAFETY: openpty writes two descriptors through valid pointers; no
    // name, terminal settings or size are given.
    let opened = unsafe {
        libc::openpty(
            &mut ours,
            &mut theirs,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    if opened != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: two new descriptors, owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(ours), OwnedFd::from_raw_fd(theirs)) })
}
