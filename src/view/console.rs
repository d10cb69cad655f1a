//! The echo server's console: the book's lines, rendered from its events.
//!
//! `connected client N` on each accept and `Message from client : TEXT` for each
//! read, as the book's C server prints them (TEXT escaped, see
//! [`escape`](crate::text::escape)), the writes of an echo the server sends
//! in chunks, and one line on the error stream for each session that did not
//! end cleanly. The book's lines are the book's in every language; the
//! server's own (a cut, a reset, a dropped client) are in the class's.

use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use crate::event::{Ending, ErrorKind, ServerEvent, ServerLog};
use crate::lang::Lang;
use crate::text::bytes_in;
use crate::text::escape::write_escaped;
use crate::tr;

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
    /// Show each write of an echo (when the server fragments its echoes).
    pub show_writes: bool,
    /// The language of the server's own lines (not the book's).
    pub lang: Lang,
}

impl<'a> BookConsole<'a> {
    /// Message lines go to `out`, the failed sessions' lines to `err`.
    pub fn new(out: &'a mut dyn Write, err: &'a mut dyn Write) -> Self {
        BookConsole {
            out,
            err,
            quiet: false,
            show_writes: false,
            lang: Lang::En,
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
                // end shown as ␣ as `run` shows it: a chunk `요 ` must not
                // read as `요`.
                let whole = crate::text::escape::escape_fit(bytes, 4 * bytes.len() + 1);
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
            } => {
                let said = tr!(
                    self.lang,
                    "proxy-accept-failed",
                    count = crate::text::grouped(count),
                    secs = format!("{:.1}", over.as_secs_f64()),
                    error = reason.to_string()
                );
                writeln!(self.err, "{said}")
            }
            ServerEvent::Ended { client, peer, how } => {
                let lang = self.lang;
                let peer = peer.to_string();
                let said = match how {
                    Ending::Eof => None,
                    Ending::Cut(at) => Some(tr!(
                        lang,
                        "console-cut",
                        client = client,
                        peer = &peer,
                        n = bytes_in(at, lang)
                    )),
                    Ending::Reset(at) => Some(tr!(
                        lang,
                        "console-reset",
                        client = client,
                        peer = &peer,
                        n = bytes_in(at, lang)
                    )),
                    Ending::Idle(t) => Some(tr!(
                        lang,
                        "console-idle",
                        client = client,
                        peer = &peer,
                        secs = t.as_secs_f64().to_string()
                    )),
                    Ending::Failed(e) => Some(tr!(
                        lang,
                        "console-failed",
                        client = client,
                        peer = &peer,
                        error = ErrorKind::of(e).said(&e.to_string(), lang)
                    )),
                };
                if let Some(said) = said {
                    writeln!(self.err, "{said}")?;
                }
                // What this client's session printed is shown now, even when
                // the console is a file or a pipe and buffers in blocks.
                self.out.flush()
            }
        }
    }
}
