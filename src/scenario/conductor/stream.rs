//! The conducted ends: the server's listener and log, and the stream each side
//! reads and writes through, whose calls wait for their turn and go into the
//! timeline.

use std::io::{self, Read, Write};
use std::mem::ManuallyDrop;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use super::measure::segments;
use super::wait::{Peer, ReadWait};
use super::{Actor, Conductor, PATIENCE, Status};
use crate::event::measure::{Ends, Segments};
use crate::event::{Ending, ErrorKind, ServerEvent, ServerLog, Side, What, describe_io};
use crate::lesson::server::{Acceptor, ServerConfig};
use crate::transport::Transport;
use crate::transport::{net, queue};

/// The server's log in a conducted run. The socket calls are recorded by the
/// conducted streams themselves, as they happen; the server adds only what it
/// alone knows: that it cut a connection on purpose, or dropped an idle client.
#[derive(Debug)]
pub struct ConductedLog(pub Arc<Conductor>);

impl ServerLog for ConductedLog {
    fn event(&mut self, e: ServerEvent<'_>) -> io::Result<()> {
        let what = match e {
            ServerEvent::Ended {
                how: Ending::Cut(after),
                ..
            } => What::Cut {
                after,
                reset: false,
            },
            ServerEvent::Ended {
                how: Ending::Reset(after),
                ..
            } => What::Cut { after, reset: true },
            ServerEvent::Ended {
                how: Ending::Idle(t),
                ..
            } => What::Dropped {
                idle_ms: t.as_millis() as u64,
            },
            ServerEvent::Closed => What::CloseListener,
            // Reads, writes and failed calls are already in the timeline.
            _ => return Ok(()),
        };
        self.0.note(Side::Server, what);
        Ok(())
    }
}

/// Timeouts that turn a bug into an error instead of a hang: no blocking call in
/// a conducted run should wait long.
pub(super) fn guard_timeouts(stream: &TcpStream) -> io::Result<()> {
    stream.set_read_timeout(Some(PATIENCE))?;
    stream.set_write_timeout(Some(PATIENCE))
}

/// The server's listener in a conducted run.
#[derive(Debug)]
pub struct ConductedListener {
    listener: ManuallyDrop<TcpListener>,
    conductor: Arc<Conductor>,
}

impl ConductedListener {
    /// Conduct the connections accepted on `listener`.
    pub fn new(listener: TcpListener, conductor: Arc<Conductor>) -> Self {
        ConductedListener {
            listener: ManuallyDrop::new(listener),
            conductor,
        }
    }
}

impl Drop for ConductedListener {
    /// Closing the listening socket: from now on there is no listen queue
    /// to measure.
    fn drop(&mut self) {
        self.conductor.unlisten();
        let _closing = crate::transport::trace::closing();
        // SAFETY: dropped once, here, and not used again.
        unsafe { ManuallyDrop::drop(&mut self.listener) };
    }
}

impl Acceptor for ConductedListener {
    type Conn = Conducted;

    fn accept(&mut self) -> io::Result<Option<(Conducted, SocketAddr)>> {
        self.conductor.accept(&self.listener)
    }

    fn prepare(&mut self, conn: &mut Conducted, config: &ServerConfig) -> io::Result<()> {
        net::apply_accepted(&conn.stream, &config.shape.socket)
    }
}

/// One end of a conducted connection: a real `TcpStream` whose calls wait for
/// their turn and are written into the timeline.
#[derive(Debug)]
pub struct Conducted {
    /// Closed by hand in `drop`, before the other side is let run.
    stream: ManuallyDrop<TcpStream>,
    conductor: Arc<Conductor>,
    me: Actor,
    conn: usize,
    late: bool,
    /// The close has begun: the socket is closed here.
    closed: bool,
    /// The close's row, until its measure is taken.
    closing: Option<usize>,
}

/// A read's turn, between [`Conducted::read_begins`] and
/// [`Conducted::read_ended`]: what the read asks, and both ends as it began.
#[derive(Debug)]
pub struct ReadTurn {
    asked: usize,
    before: Ends,
    queued: Option<usize>,
}

/// A write's turn, between [`Conducted::write_begins`] and
/// [`Conducted::write_ended`]: the segments sent before it.
#[derive(Debug)]
pub struct WriteTurn {
    segments_before: Option<queue::SegmentsOut>,
}

impl Conducted {
    pub(super) fn new(
        stream: TcpStream,
        conductor: Arc<Conductor>,
        me: Actor,
        conn: usize,
    ) -> Self {
        conductor.lock().conns[conn].fds[me.index()] = Some(stream.as_raw_fd());
        Conducted {
            stream: ManuallyDrop::new(stream),
            conductor,
            me,
            conn,
            late: false,
            closed: false,
            closing: None,
        }
    }

    /// A read of `asked` bytes is about to go to the kernel: wait for this
    /// side's turn (a scheduling point), then until the receive queue holds
    /// what the read will take, and measure both ends. The read itself
    /// comes next: ours (`Read::read`), or a traced program's own call, held
    /// until now. A read that would wait forever fails with
    /// [`Stalled`](super::Stalled) instead.
    pub fn read_begins(&mut self, asked: usize) -> io::Result<ReadTurn> {
        let late = std::mem::take(&mut self.late);
        self.conductor.switch(
            self.me,
            Status::Reading {
                conn: self.conn,
                late,
            },
        )?;
        self.wait_readable((self.in_flight().min(asked as u64)) as usize);
        // Both ends asked of the kernel just before the read, for the
        // picture of this moment: what waits in our receive queue is the
        // bytes this read can take, its `queued`.
        let before = self.conductor.lock().ends(self.conn);
        let queued = before
            .end(self.me == Actor::Server)
            .map(|q| q.recv_q as usize);
        Ok(ReadTurn {
            asked,
            before,
            queued,
        })
    }

    /// The read of `turn` returned `result`, `got` its bytes: its row, and
    /// the kernel's counts once what it let through has settled.
    pub fn read_ended(&self, turn: ReadTurn, result: &io::Result<usize>, got: &[u8]) {
        let seq = self.account(result, turn.asked, got, false, turn.queued);
        // The room this read made lets the peer's kernel send what a small
        // window held back: measured once that has arrived.
        self.conductor.settle(self.conn, self.me.other());
        self.measure_settled(seq, None, Some(turn.before));
    }

    /// A write is about to go to the kernel (writing is not a scheduling
    /// point: consecutive writes form a burst that the reader sees together,
    /// unless a pause separates them).
    pub fn write_begins(&self) -> WriteTurn {
        WriteTurn {
            segments_before: queue::segments_out(&*self.stream).ok().flatten(),
        }
    }

    /// The write of `turn` returned `result`, having taken `taken` (the
    /// bytes it was given, as many as it took): its row, its segments and
    /// the kernel's counts once its bytes have settled.
    pub fn write_ended(&self, turn: WriteTurn, result: &io::Result<usize>, taken: &[u8]) {
        let seq = self.account(result, taken.len(), taken, true, None);
        self.conductor.settle(self.conn, self.me);
        let after = queue::segments_out(&*self.stream).ok().flatten();
        let nagle = self.stream.nodelay().is_ok_and(|on| !on);
        // A write that failed sent nothing: no segments to count.
        let segments = segments(turn.segments_before, after, nagle).filter(|_| result.is_ok());
        self.measure_settled(seq, segments, None);
    }

    /// `close()` begins: its row, with what it throws away (the bytes in our
    /// receive queue, once the peer's have settled: those a small window
    /// holds back in the peer's send queue are not ours to throw), and the
    /// socket closed here. A traced program's own close comes next; then
    /// the end is dropped, which finishes the close (see `drop`).
    pub fn close_begins(&mut self) {
        if self.closed {
            return;
        }
        self.conductor.settle(self.conn, self.me.other());
        let seq = {
            let mut st = self.conductor.lock();
            let unread = queue::inq(&*self.stream).unwrap_or(0) as u64;
            let c = &mut st.conns[self.conn];
            c.closed[self.me.index()] = true;
            c.fds[self.me.index()] = None;
            let side = st.side(self.me, self.conn);
            st.record(side, What::Close { unread })
        };
        self.closed = true;
        self.closing = Some(seq);
        let _closing = crate::transport::trace::closing();
        // SAFETY: the stream is not used again: `closed` says it is gone,
        // and every use after this point is of the conductor alone.
        unsafe { ManuallyDrop::drop(&mut self.stream) };
    }

    /// The close has happened: the peer's end as it left it (a reset, a
    /// FIN) measured, and a client's close is a scheduling point, as a read
    /// is: the server, if it waits on this connection, meets the end of
    /// stream (or the reset) before the client goes on.
    fn finish_close(&mut self) {
        let Some(seq) = self.closing.take() else {
            return;
        };
        self.conductor
            .lock()
            .measure(seq, Some(self.conn), None, None);
        // (The server's own next step, accept, is a scheduling point
        // already.) A stall cannot come out of this: the closing side can
        // always go on.
        if self.me == Actor::Client {
            let _ = self.conductor.switch(self.me, Status::Paused);
        }
    }

    /// Count the bytes a read or write moved and add it to the timeline; the
    /// row's `seq`.
    fn account(
        &self,
        result: &io::Result<usize>,
        asked: usize,
        moved: &[u8],
        wrote: bool,
        queued: Option<usize>,
    ) -> usize {
        let mut st = self.conductor.lock();
        let side = st.side(self.me, self.conn);
        let what = match result {
            Ok(0) if !wrote && asked > 0 => What::Eof,
            Ok(n) => {
                let bytes = moved[..(*n).min(moved.len())].to_vec();
                let c = &mut st.conns[self.conn];
                if wrote {
                    let at = c.written[self.me.index()];
                    c.written[self.me.index()] += *n as u64;
                    What::Write { at, bytes }
                } else {
                    let at = c.consumed[self.me.other().index()];
                    c.consumed[self.me.other().index()] += *n as u64;
                    What::Read {
                        asked,
                        at,
                        queued,
                        bytes,
                    }
                }
            }
            Err(e) => What::Error {
                error: ErrorKind::of(e),
                message: describe_io(e),
                call: Some(if wrote { "write" } else { "read" }),
            },
        };
        st.record(side, what)
    }

    /// The kernel's counts at row `seq`, once the bytes `writer` wrote on
    /// this connection have settled (a write's segments are counted then
    /// too, so it settles before it counts them and calls this).
    fn measure_settled(&self, seq: usize, segments: Option<Segments>, before: Option<Ends>) {
        self.conductor
            .lock()
            .measure(seq, Some(self.conn), segments, before);
    }

    /// A pause in the timeline: what it stands for, though it is not waited.
    fn note_pause(&self, delay: Duration, late: bool) {
        let mut st = self.conductor.lock();
        let side = st.side(self.me, self.conn);
        let ms = delay.as_millis() as u64;
        let seq = st.record(side, What::Pause { ms, late });
        st.measure(seq, Some(self.conn), None, None);
    }

    /// How many bytes the peer has written that this end has not read yet.
    fn in_flight(&self) -> u64 {
        let st = self.conductor.lock();
        let c = &st.conns[self.conn];
        let peer = self.me.other().index();
        c.in_flight(peer)
    }

    /// Wait until this end's receive queue holds what a read of `want`
    /// bytes will take, the same on every run (the rule: [`ReadWait`]).
    pub(super) fn wait_readable(&self, want: usize) {
        let mut watch = ReadWait::new(Instant::now());
        // A failed look ends the wait: the read itself will report it.
        while let Ok(queued) = queue::inq(&*self.stream)
            && !watch.done(Instant::now(), queued, want, || self.peer(queued))
        {
            thread::sleep(Duration::from_micros(50));
        }
    }

    /// What the peer's end says about the bytes it wrote to us, `queued` of
    /// which are in our receive queue: every byte its kernel has sent is
    /// acknowledged (nothing is in its send queue but the unsent) and the
    /// unsent are all that our queue lacks.
    pub(super) fn peer(&self, queued: usize) -> Peer {
        // Under the lock: the peer cannot close its socket meanwhile (it
        // takes the lock to say so first).
        let st = self.conductor.lock();
        let c = &st.conns[self.conn];
        let peer = self.me.other().index();
        let Some(fd) = c.fds[peer] else {
            return Peer::Closed;
        };
        match (queue::outq(&fd), queue::unsent(&fd)) {
            (Ok(unacked), Ok(unsent))
                if unacked == unsent && queued as u64 + unsent as u64 == c.in_flight(peer) =>
            {
                Peer::HeldBack
            }
            _ => Peer::OnTheWay,
        }
    }
}

impl Read for Conducted {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let turn = self.read_begins(buf.len())?;
        // The one real read, on a real socket.
        let result = self.stream.read(buf);
        let got = &buf[..*result.as_ref().unwrap_or(&0)];
        self.read_ended(turn, &result, got);
        result
    }
}

impl Write for Conducted {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let turn = self.write_begins();
        let result = self.stream.write(buf);
        let taken = &buf[..*result.as_ref().unwrap_or(&0)];
        self.write_ended(turn, &result, taken);
        result
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Transport for Conducted {
    /// The pause lasts exactly as long as the other side needs to read what has
    /// arrived (if it is waiting to read) and to get back to waiting.
    fn pause(&mut self, delay: Duration) {
        self.note_pause(delay, false);
        // A stall cannot come out of a pause: the pausing side can always go on.
        let _ = self.conductor.switch(self.me, Status::Paused);
    }

    /// The next read goes last: after the other side has done all it can.
    fn read_late(&mut self, delay: Duration) {
        self.note_pause(delay, true);
        self.late = true;
    }

    fn abort(&mut self) -> io::Result<()> {
        self.stream.abort()
    }

    fn close_write(&mut self) -> io::Result<()> {
        self.stream.shutdown(Shutdown::Write)?;
        let mut st = self.conductor.lock();
        st.conns[self.conn].closed[self.me.index()] = true;
        let side = st.side(self.me, self.conn);
        let seq = st.record(side, What::Shutdown);
        st.measure(seq, Some(self.conn), None, None);
        Ok(())
    }
}

impl Drop for Conducted {
    /// `close()`: the socket is closed now, and a client's close is a
    /// scheduling point, as a read is: the server, if it waits on this
    /// connection, meets the end of stream (or the reset) before the client
    /// goes on.
    fn drop(&mut self) {
        // Begun already where a traced program's close was held between.
        self.close_begins();
        self.finish_close();
    }
}

#[cfg(test)]
mod tests;
