//! The echo server's connection as a [`Shape`] makes it behave: reads that
//! come late, echoes split into paced chunks, a session cut or reset after so
//! many bytes, and every write recorded as it happens.
//!
//! The book's server does none of this: it reads, and writes back what it
//! read. Keeping the shaping here, behind the same two verbs, lets the lesson's
//! server loop stay the book's loop (see [`crate::lesson::server`]) whatever
//! shape a class asks for.
//!
//! ```
//! use tcp_boundary::event::Discard;
//! use tcp_boundary::shape::{Shape, conn::Shaper};
//! use tcp_boundary::transport::mock::ScriptedStream;
//!
//! let mut shaper = Shaper::new(Shape { cut_after: Some(3), ..Shape::default() });
//! let mut stream = ScriptedStream::from_reads([b"hello"]);
//! let mut conn = shaper.shape(&mut stream, 1);
//! let mut buf = [0u8; 16];
//! let n = conn.read(&mut buf).unwrap();
//! conn.write(&buf[..n], &mut Discard).unwrap();
//! assert!(conn.ended().is_some()); // three bytes echoed: the server hangs up
//! assert_eq!(stream.written(), b"hel");
//! ```

use std::io;

use super::Shape;
use super::fragment::Fragmenter;
use crate::event::{Ending, ServerEvent, ServerLog};
use crate::transport::Transport;

/// The shaping of one server run: the shape, and the one fragmenter whose random
/// chunks go on from one client to the next (a seed gives one run, not one
/// client).
#[derive(Debug)]
pub struct Shaper {
    shape: Shape,
    fragmenter: Fragmenter,
}

impl Shaper {
    /// Shape every connection of a run as `shape` says.
    pub fn new(shape: Shape) -> Self {
        Shaper {
            shape,
            fragmenter: Fragmenter::new(shape.plan),
        }
    }

    /// Client number `client`'s connection, shaped, from its first read on.
    pub fn shape<'a, T: Transport>(
        &'a mut self,
        conn: &'a mut T,
        client: usize,
    ) -> ShapedConn<'a, T> {
        ShapedConn {
            conn,
            shape: &self.shape,
            fragmenter: &mut self.fragmenter,
            client,
            echoed: 0,
        }
    }
}

/// One client's connection with the shape applied: [`ShapedConn::read`] and
/// [`ShapedConn::write`] are the book's `read()` and `write()`.
#[derive(Debug)]
pub struct ShapedConn<'a, T> {
    conn: &'a mut T,
    shape: &'a Shape,
    fragmenter: &'a mut Fragmenter,
    client: usize,
    /// Bytes echoed so far on this connection, for the cut and reset budgets.
    echoed: u64,
}

impl<T: Transport> ShapedConn<'_, T> {
    /// One `read()`: whatever has arrived, up to `buf.len()` bytes; 0 at the
    /// end of the stream.
    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // A late reader lets the client's separate writes pile up in the
        // receive buffer: the next read returns them as one.
        if !self.shape.read_delay.is_zero() {
            self.conn.read_late(self.shape.read_delay);
        }
        self.conn.read(buf)
    }

    /// The echo of `data`: one write, or chunks paced as the shape says, each
    /// `write` system call told to `log` as [`ServerEvent::Sent`] as it
    /// returns (a short write is two calls, so two events). With a cut or a
    /// reset, only what fits in the budget is written; [`ShapedConn::ended`]
    /// then says the session is over.
    ///
    /// Every byte is written before an error from `log` is returned: the
    /// client is owed its echo even when the console is gone.
    pub fn write(&mut self, data: &[u8], log: &mut dyn ServerLog) -> io::Result<()> {
        // What the budget still allows (everything, without a cut or reset).
        let left = self
            .budget()
            .map_or(u64::MAX, |max| max.saturating_sub(self.echoed));
        let send = &data[..data.len().min(usize::try_from(left).unwrap_or(usize::MAX))];
        let client = self.client;
        let mut logged = Ok(());
        self.fragmenter.write(&mut *self.conn, send, |bytes| {
            if logged.is_ok() {
                logged = log.event(ServerEvent::Sent { client, bytes });
            }
        })?;
        logged?;
        self.echoed += send.len() as u64;
        Ok(())
    }

    /// How the shape ends the session now, if it does: a clean close
    /// (`cut_after`) or a reset (`reset_after`) once that many bytes are
    /// echoed. `None`: echo on.
    pub fn ended(&self) -> Option<Ending<'static>> {
        let max = self.budget()?;
        if self.echoed < max {
            return None;
        }
        Some(match self.shape.cut_after {
            Some(_) => Ending::Cut(self.echoed),
            None => Ending::Reset(self.echoed),
        })
    }

    /// The bytes this connection may echo, when the shape cuts or resets it.
    fn budget(&self) -> Option<u64> {
        self.shape.ends_after()
    }
}

#[cfg(test)]
mod tests;
