//! The one seam between the lesson's programs and the network.
//!
//! The server and the clients are written against [`Transport`], a byte stream with
//! two extra verbs: `pause` (what a fragmenting writer does between pieces) and
//! `read_late` (what a late reader does before it reads). On a real socket both are
//! plain sleeps, so the programs behave as they would with any C code. In a
//! scenario the runner hands them a stream whose pauses are decided by the runner
//! instead of the clock (see [`crate::scenario::conductor`]), so the same code shows the same
//! timeline on every run.

pub mod mock;
pub mod net;
pub mod queue;

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

    /// The socket underneath, when two threads may share it. A client then
    /// writes a long message on one thread while it reads the echo on another:
    /// written first and read after, a message longer than the buffers between
    /// the two programs would leave both blocked in `write` for good.
    fn shared_socket(&self) -> Option<&TcpStream> {
        None
    }

    /// Make the coming close abort the connection: SO_LINGER 0, so the kernel
    /// sends RST instead of FIN and drops whatever was not sent yet.
    fn abort(&mut self) -> io::Result<()>;
}

impl Transport for TcpStream {
    fn shared_socket(&self) -> Option<&TcpStream> {
        Some(self)
    }

    fn close_write(&mut self) -> io::Result<()> {
        self.shutdown(Shutdown::Write)
    }

    fn abort(&mut self) -> io::Result<()> {
        socket2::SockRef::from(&*self).set_linger(Some(Duration::ZERO))
    }
}

/// A shared reference to a socket is a stream too (std implements `Read` and
/// `Write` for `&TcpStream`): two threads can pump the two directions of one
/// connection without duplicating the descriptor.
impl Transport for &TcpStream {
    fn close_write(&mut self) -> io::Result<()> {
        self.shutdown(Shutdown::Write)
    }

    fn abort(&mut self) -> io::Result<()> {
        socket2::SockRef::from(*self).set_linger(Some(Duration::ZERO))
    }
}
