//! The echo server's console: the book's lines, rendered from its events.
//!
//! `connected client N` on each accept and `Message from client : TEXT` for each
//! read, as the book's C server prints them (TEXT escaped, see
//! [`escape`](super::escape)), the writes of a cut echo when the server
//! fragments, and one line on the error stream for each session that did not
//! end cleanly.

use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use crate::event::{Ending, ServerEvent, ServerLog, describe_io};
use crate::text::escape::write_escaped;

/// A console output that two threads can reach: the server writes through it,
/// and a Ctrl-C handler can flush what is still buffered before the program
/// ends, so a log going to a file loses nothing.
#[derive(Clone)]
pub struct SharedOut(Arc<Mutex<Box<dyn Write + Send>>>);

impl SharedOut {
    /// Share `out`.
    pub fn new(out: Box<dyn Write + Send>) -> Self {
        SharedOut(Arc::new(Mutex::new(out)))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Box<dyn Write + Send>> {
        // A panic elsewhere must not keep the log from being flushed.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Write for SharedOut {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.lock().write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.lock().write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.lock().flush()
    }
}

/// A console stream the program outlives: the first write that fails
/// (ENOSPC on a full disk, EPIPE from a pipe closed early) stops its output
/// and is said once on the other stream, and every write after it is taken
/// and dropped. A server's log is not its service: the server goes on.
pub struct Lasting<W> {
    inner: W,
    /// Standard output (else standard error), which names the stream and
    /// picks the other one.
    stdout: bool,
    stopped: bool,
}

impl<W: Write> Lasting<W> {
    /// `inner` writes to standard output; a failure is said on standard
    /// error.
    pub fn stdout(inner: W) -> Self {
        Lasting {
            inner,
            stdout: true,
            stopped: false,
        }
    }

    /// `inner` writes to standard error; a failure is said on standard
    /// output.
    pub fn stderr(inner: W) -> Self {
        Lasting {
            inner,
            stdout: false,
            stopped: false,
        }
    }

    /// Take `result`: a failure stops the output and is said once.
    fn outlive<T>(&mut self, result: io::Result<T>, done: T) -> io::Result<T> {
        match result {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                self.stopped = true;
                let (name, line) = match self.stdout {
                    true => ("standard output", "output stops"),
                    false => ("standard error", "messages stop"),
                };
                let said = format!(
                    "cannot write to {name} ({}): its {line} here, the serving goes on",
                    crate::text::system_words(&e)
                );
                // Whichever stream still works; if neither does, nobody hears.
                let _ = match self.stdout {
                    true => writeln!(io::stderr(), "{said}"),
                    false => writeln!(io::stdout(), "{said}").and_then(|()| io::stdout().flush()),
                };
                Ok(done)
            }
            ok => ok,
        }
    }
}

impl<W: Write> Write for Lasting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.stopped {
            return Ok(buf.len());
        }
        let result = self.inner.write(buf);
        self.outlive(result, buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.stopped {
            return Ok(());
        }
        let result = self.inner.flush();
        self.outlive(result, ())
    }
}

/// Renders server events as the book's console text.
pub struct BookConsole<'a> {
    out: &'a mut dyn Write,
    err: &'a mut dyn Write,
    /// Leave out the per-message lines.
    pub quiet: bool,
    /// Show each write of an echo (when the server cuts its echoes).
    pub show_writes: bool,
}

impl<'a> BookConsole<'a> {
    /// Message lines go to `out`, the failed sessions' lines to `err`.
    pub fn new(out: &'a mut dyn Write, err: &'a mut dyn Write) -> Self {
        BookConsole {
            out,
            err,
            quiet: false,
            show_writes: false,
        }
    }
}

impl ServerLog for BookConsole<'_> {
    fn event(&mut self, e: ServerEvent<'_>) -> io::Result<()> {
        match e {
            ServerEvent::Accepted { client, .. } => writeln!(self.out, "connected client {client}"),
            ServerEvent::Received { bytes, .. } if !self.quiet => {
                self.out.write_all(b"Message from client : ")?;
                write_escaped(self.out, bytes)?;
                self.out.write_all(b"\n")
            }
            ServerEvent::Sent { bytes, .. } if self.show_writes && !self.quiet => {
                write!(
                    self.out,
                    "  write {}: ",
                    crate::text::bytes(bytes.len() as u64)
                )?;
                // Whole (no unit is wider than 4 columns), a space at either
                // end shown as ␣ as `run` shows it: a piece `요 ` must not
                // read as `요`.
                let whole = crate::view::escape::escape_fit(bytes, 4 * bytes.len() + 1);
                self.out.write_all(whole.as_bytes())?;
                self.out.write_all(b"\n")
            }
            ServerEvent::Received { .. } | ServerEvent::Sent { .. } => Ok(()),
            // The book's server closes its listening socket without a word.
            ServerEvent::Closed => Ok(()),
            ServerEvent::AcceptFailed {
                count,
                over,
                reason,
            } => writeln!(
                self.err,
                "accept failed ×{} in {:.1} s: {reason}",
                crate::text::grouped(count),
                over.as_secs_f64()
            ),
            ServerEvent::Ended { client, peer, how } => {
                match how {
                    Ending::Eof => {}
                    Ending::Cut(at) => writeln!(
                        self.err,
                        "client {client} ({peer}): cut after {}, as configured",
                        crate::text::bytes(at)
                    )?,
                    Ending::Reset(at) => writeln!(
                        self.err,
                        "client {client} ({peer}): reset after {}, as configured",
                        crate::text::bytes(at)
                    )?,
                    Ending::Idle(t) => writeln!(
                        self.err,
                        "client {client} ({peer}): sent or read nothing for {} s, dropped",
                        t.as_secs_f64()
                    )?,
                    Ending::Failed(e) => {
                        writeln!(self.err, "client {client} ({peer}): {}", describe_io(e))?
                    }
                }
                // What this client's session printed is shown now, even when
                // the console is a file or a pipe and buffers in blocks.
                self.out.flush()
            }
        }
    }
}
