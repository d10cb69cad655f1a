//! The echo server's console: the seed's lines, rendered from its events.
//!
//! `connected client N` on each accept and `Message from client : TEXT` for each
//! read, as the seed's C server prints them (TEXT escaped, see
//! [`escape`](super::escape)), the writes of a cut echo when the server
//! fragments, and one line on the error stream for each session that did not
//! end cleanly.

use std::io::{self, Write};

use crate::event::{Ending, ServerEvent, ServerLog, describe_io};
use crate::view::escape::write_escaped;

/// Renders server events as the seed's console text.
pub struct SeedConsole<'a> {
    out: &'a mut dyn Write,
    err: &'a mut dyn Write,
    /// Leave out the per-message lines.
    pub quiet: bool,
    /// Show each write of an echo (when the server cuts its echoes).
    pub show_writes: bool,
}

impl<'a> SeedConsole<'a> {
    /// Message lines go to `out`, the failed sessions' lines to `err`.
    pub fn new(out: &'a mut dyn Write, err: &'a mut dyn Write) -> Self {
        SeedConsole {
            out,
            err,
            quiet: false,
            show_writes: false,
        }
    }
}

impl ServerLog for SeedConsole<'_> {
    fn event(&mut self, e: ServerEvent<'_>) -> io::Result<()> {
        match e {
            ServerEvent::Accepted { client, .. } => writeln!(self.out, "connected client {client}"),
            ServerEvent::Received { bytes, .. } if !self.quiet => {
                self.out.write_all(b"Message from client : ")?;
                write_escaped(self.out, bytes)?;
                self.out.write_all(b"\n")
            }
            ServerEvent::Sent { bytes, .. } if self.show_writes && !self.quiet => {
                write!(self.out, "  write {} bytes: ", bytes.len())?;
                write_escaped(self.out, bytes)?;
                self.out.write_all(b"\n")
            }
            ServerEvent::Received { .. } | ServerEvent::Sent { .. } => Ok(()),
            ServerEvent::Ended { client, peer, how } => {
                match how {
                    Ending::Eof => {}
                    Ending::Cut(at) => writeln!(
                        self.err,
                        "client {client} ({peer}): cut after {at} bytes, as configured"
                    )?,
                    Ending::Reset(at) => writeln!(
                        self.err,
                        "client {client} ({peer}): reset after {at} bytes, as configured"
                    )?,
                    Ending::Idle(t) => writeln!(
                        self.err,
                        "client {client} ({peer}): sent nothing for {} s, dropped",
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
