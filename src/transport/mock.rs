//! A scripted stream for tests: each read returns the bytes you list for it, in order.
//!
//! Real sockets decide for themselves how a byte stream is split into reads, so a
//! test that needs one particular split cannot ask a socket for it. This mock can:
//! each `read` returns (at most) the next scripted read's bytes, exactly as a socket
//! returns what has arrived so far. Written bytes are kept for inspection, and
//! each write can be told to take fewer bytes than asked, as a kernel with a
//! full send buffer does.
//!
//! ```
//! use std::io::Read;
//! use tcp_boundary::transport::mock::ScriptedStream;
//!
//! let mut s = ScriptedStream::new().then_read(b"hel").then_read(b"lo\n");
//! let mut buf = [0u8; 1024];
//! assert_eq!(s.read(&mut buf).unwrap(), 3); // a partial read
//! assert_eq!(s.read(&mut buf).unwrap(), 3);
//! assert_eq!(s.read(&mut buf).unwrap(), 0); // then end of stream
//! ```

use std::collections::VecDeque;
use std::io::{self, Read, Write};

use crate::transport::{Split, Transport};

/// A stream whose reads follow a script. See the [module docs](self).
#[derive(Debug, Default, Clone)]
pub struct ScriptedStream {
    reads: Script,
    writes: Sink,
}

/// The read side: the scripted reads still to come.
#[derive(Debug, Default, Clone)]
struct Script {
    arrivals: VecDeque<Result<Vec<u8>, io::ErrorKind>>,
    hung_up: bool,
}

/// The write side: what was written, and how the writes are answered.
#[derive(Debug, Default, Clone)]
struct Sink {
    written: Vec<u8>,
    calls: usize,
    error: Option<io::ErrorKind>,
    most: Option<usize>,
}

impl ScriptedStream {
    /// An empty script: the first read returns end of stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// A script that returns each of `reads` in one read, then end of stream.
    pub fn from_reads<I, C>(reads: I) -> Self
    where
        I: IntoIterator<Item = C>,
        C: AsRef<[u8]>,
    {
        reads
            .into_iter()
            .fold(Self::new(), |s, c| s.then_read(c.as_ref()))
    }

    /// Add a read that returns `bytes` (if the caller's buffer is smaller, the rest
    /// is returned by the following reads, as a socket would).
    pub fn then_read(mut self, bytes: &[u8]) -> Self {
        self.reads.arrivals.push_back(Ok(bytes.to_vec()));
        self
    }

    /// Add a read that fails with `kind` (a reset, say).
    pub fn error(mut self, kind: io::ErrorKind) -> Self {
        self.reads.arrivals.push_back(Err(kind));
        self
    }

    /// Make every write fail with `kind` (a peer that reset, say).
    pub fn failing_writes(mut self, kind: io::ErrorKind) -> Self {
        self.writes.error = Some(kind);
        self
    }

    /// Make every write take at most `most` bytes (at least 1): a short
    /// write, as when the kernel's send buffer has room for only part of
    /// what was asked. The caller must call `write` again for the rest.
    pub fn short_writes(mut self, most: usize) -> Self {
        self.writes.most = Some(most.max(1));
        self
    }

    /// Everything written to the stream so far.
    pub fn written(&self) -> &[u8] {
        &self.writes.written
    }

    /// How many `write` calls took bytes: the system calls a socket would
    /// have seen.
    pub fn write_calls(&self) -> usize {
        self.writes.calls
    }

    /// True once [`Transport::hang_up`] was called, on the stream or on the
    /// reading half of a split.
    pub fn hung_up(&self) -> bool {
        self.reads.hung_up
    }
}

impl Read for Script {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.arrivals.front_mut() {
                None => return Ok(0),
                Some(Err(kind)) => {
                    let kind = *kind;
                    self.arrivals.pop_front();
                    return Err(kind.into());
                }
                // An empty scripted read is skipped: a socket never returns 0
                // bytes except at the end of the stream.
                Some(Ok(next)) if next.is_empty() || buf.is_empty() => {
                    if buf.is_empty() {
                        return Ok(0);
                    }
                    self.arrivals.pop_front();
                }
                Some(Ok(next)) => {
                    let n = next.len().min(buf.len());
                    buf[..n].copy_from_slice(&next[..n]);
                    next.drain(..n);
                    if next.is_empty() {
                        self.arrivals.pop_front();
                    }
                    return Ok(n);
                }
            }
        }
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(kind) = self.error {
            return Err(kind.into());
        }
        let n = self.most.map_or(buf.len(), |most| most.min(buf.len()));
        self.written.extend_from_slice(&buf[..n]);
        if n > 0 {
            self.calls += 1;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for ScriptedStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.reads.read(buf)
    }
}

impl Write for ScriptedStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writes.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Transport for ScriptedStream {
    fn pause(&mut self, _: std::time::Duration) {}

    fn read_late(&mut self, _: std::time::Duration) {}

    fn close_write(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// The script as the reading half and the record of writes as the
    /// writing half: a test can drive a two-thread round as a socket's.
    fn try_split(&mut self) -> Option<Split<'_>> {
        Some(Split {
            reader: Box::new(Half(&mut self.reads)),
            writer: Box::new(Half(&mut self.writes)),
        })
    }

    fn hang_up(&mut self) -> io::Result<()> {
        self.reads.hung_up = true;
        Ok(())
    }

    fn abort(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// One half of a split scripted stream: reads go to the script, writes to the
/// record (a reading half writes nothing, a writing half reads nothing).
struct Half<'a, S>(&'a mut S);

impl Read for Half<'_, Script> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for Half<'_, Script> {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::other(
            "the reading half of a split does not write",
        ))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for Half<'_, Sink> {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(io::Error::other(
            "the writing half of a split does not read",
        ))
    }
}

impl Write for Half<'_, Sink> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Transport for Half<'_, Script> {
    fn pause(&mut self, _: std::time::Duration) {}

    fn read_late(&mut self, _: std::time::Duration) {}

    fn close_write(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn hang_up(&mut self) -> io::Result<()> {
        self.0.hung_up = true;
        Ok(())
    }

    fn abort(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Transport for Half<'_, Sink> {
    fn pause(&mut self, _: std::time::Duration) {}

    fn read_late(&mut self, _: std::time::Duration) {}

    fn close_write(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn abort(&mut self) -> io::Result<()> {
        Ok(())
    }
}
