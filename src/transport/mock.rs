//! A scripted stream for tests: reads return the chunks you list, in order.
//!
//! Real sockets decide for themselves how a byte stream is cut into reads, so a
//! test that needs one particular cut cannot ask a socket for it. This mock can:
//! each `read` returns (at most) the next scripted chunk, exactly as a socket
//! returns what has arrived so far. Written bytes are kept for inspection.
//!
//! ```
//! use std::io::Read;
//! use tcp_boundary::transport::mock::ScriptedStream;
//!
//! let mut s = ScriptedStream::new().chunk(b"hel").chunk(b"lo\n");
//! let mut buf = [0u8; 1024];
//! assert_eq!(s.read(&mut buf).unwrap(), 3); // a partial read
//! assert_eq!(s.read(&mut buf).unwrap(), 3);
//! assert_eq!(s.read(&mut buf).unwrap(), 0); // then end of stream
//! ```

use std::collections::VecDeque;
use std::io::{self, Read, Write};

use crate::transport::Transport;

/// A stream whose reads follow a script. See the [module docs](self).
#[derive(Debug, Default, Clone)]
pub struct ScriptedStream {
    chunks: VecDeque<Result<Vec<u8>, io::ErrorKind>>,
    written: Vec<u8>,
    write_error: Option<io::ErrorKind>,
}

impl ScriptedStream {
    /// An empty script: the first read returns end of stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// A script that returns `chunks` one per read, then end of stream.
    pub fn from_chunks<I, C>(chunks: I) -> Self
    where
        I: IntoIterator<Item = C>,
        C: AsRef<[u8]>,
    {
        chunks
            .into_iter()
            .fold(Self::new(), |s, c| s.chunk(c.as_ref()))
    }

    /// Add a read that returns `bytes` (if the caller's buffer is smaller, the rest
    /// is returned by the following reads, as a socket would).
    pub fn chunk(mut self, bytes: &[u8]) -> Self {
        self.chunks.push_back(Ok(bytes.to_vec()));
        self
    }

    /// Add a read that fails with `kind` (a reset, say).
    pub fn error(mut self, kind: io::ErrorKind) -> Self {
        self.chunks.push_back(Err(kind));
        self
    }

    /// Make every write fail with `kind` (a peer that reset, say).
    pub fn failing_writes(mut self, kind: io::ErrorKind) -> Self {
        self.write_error = Some(kind);
        self
    }

    /// Everything written to the stream so far.
    pub fn written(&self) -> &[u8] {
        &self.written
    }
}

impl Read for ScriptedStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.chunks.front_mut() {
                None => return Ok(0),
                Some(Err(kind)) => {
                    let kind = *kind;
                    self.chunks.pop_front();
                    return Err(kind.into());
                }
                // An empty scripted chunk is skipped: a socket never returns 0
                // bytes except at the end of the stream.
                Some(Ok(chunk)) if chunk.is_empty() || buf.is_empty() => {
                    if buf.is_empty() {
                        return Ok(0);
                    }
                    self.chunks.pop_front();
                }
                Some(Ok(chunk)) => {
                    let n = chunk.len().min(buf.len());
                    buf[..n].copy_from_slice(&chunk[..n]);
                    chunk.drain(..n);
                    if chunk.is_empty() {
                        self.chunks.pop_front();
                    }
                    return Ok(n);
                }
            }
        }
    }
}

impl Write for ScriptedStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(kind) = self.write_error {
            return Err(kind.into());
        }
        self.written.extend_from_slice(buf);
        Ok(buf.len())
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

    fn abort(&mut self) -> io::Result<()> {
        Ok(())
    }
}
