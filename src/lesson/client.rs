//! The echo client: send a message, read its reply, with the reader of your choice.
//!
//! A [`Session`] pairs a stream with a [`MessageReader`] (how replies are read) and
//! a [`Fragmenter`] (how messages are written: whole, as the book does, or split
//! into several writes so the server sees partial reads too). The interactive
//! loop of the book's client is [`run_interactive`]; the scenario runner drives
//! the same `Session` from a script.

use std::io::{self, BufRead, Read, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::lesson::reader::{EncodeError, MessageReader, ReadError, ReaderKind};
use crate::shape::fragment::{FragmentPlan, Fragmenter};
use crate::text::escape::escape;
use crate::transport::{Split, Transport};

/// How the client sends and reads. `Default` is the book's client with the
/// `exact` reader.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Which reader reads the replies.
    pub reader: ReaderKind,
    /// The read buffer: the most one read can return.
    pub buffer_size: usize,
    /// Longest line the `line` reader accepts.
    pub max_line: usize,
    /// Largest frame the `length` reader accepts.
    pub max_frame: usize,
    /// How each message is split into chunks and paced.
    pub write_plan: FragmentPlan,
    /// The longest a whole reply may take, from the moment its message is
    /// sent (`echo-client --timeout`): a server that never answers and one
    /// that trickles a byte a second both end the round with
    /// [`ClientError::NoReply`]. `None`: as long as the server takes.
    pub reply_timeout: Option<Duration>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            reader: ReaderKind::Exact,
            buffer_size: crate::lesson::server::BOOK_BUF_SIZE,
            max_line: crate::lesson::reader::DEFAULT_MAX_LINE,
            max_frame: crate::lesson::reader::DEFAULT_MAX_FRAME,
            write_plan: FragmentPlan::default(),
            reply_timeout: None,
        }
    }
}

/// Why a session step failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The message cannot be framed by the chosen reader.
    #[error("cannot send this message with the {reader} reader: {cause}")]
    Encode {
        /// The reader in use.
        reader: ReaderKind,
        /// What is wrong with the message.
        cause: EncodeError,
    },
    /// Writing to the server failed.
    #[error("sending to the server failed: {}", crate::event::describe_io(.0))]
    Send(io::Error),
    /// The reader stopped reading before the whole message was sent, and the
    /// echo of the rest filled the buffers: the writer could not go on.
    #[error(
        "the message was not all sent: the reader stopped reading, and the echo of the rest \
         filled the buffers (a write-before-read deadlock)"
    )]
    Unsent,
    /// Reading the reply failed.
    #[error("reading the reply failed: {0}")]
    Receive(ReadError),
    /// The reply did not come whole within the reply timeout.
    #[error("no whole reply from the server within the timeout")]
    NoReply,
    /// An input line longer than [`MAX_INPUT_LINE`].
    #[error("an input line is longer than the limit of {MAX_INPUT_LINE} bytes")]
    LineTooLong,
    /// Writing to the console (or reading the input) failed.
    #[error("console: {0}")]
    Console(io::Error),
}

impl From<ReadError> for ClientError {
    fn from(e: ReadError) -> Self {
        match e {
            // The reply's deadline (echo-client --timeout) ran out.
            ReadError::Io(e) if crate::event::is_timeout(&e) => ClientError::NoReply,
            e => ClientError::Receive(e),
        }
    }
}

/// One client connection with its reader and writer.
#[derive(Debug)]
pub struct Session<T> {
    stream: T,
    reader: MessageReader,
    writer: Fragmenter,
    reply_timeout: Option<Duration>,
}

impl<T: Transport> Session<T> {
    /// A session over an already connected stream.
    pub fn new(stream: T, config: &ClientConfig) -> Self {
        Session {
            stream,
            reader: MessageReader::new(config.reader, config.buffer_size)
                .with_limits(config.max_line, config.max_frame),
            writer: Fragmenter::new(config.write_plan),
            reply_timeout: config.reply_timeout,
        }
    }

    /// The underlying stream.
    pub fn stream_mut(&mut self) -> &mut T {
        &mut self.stream
    }

    /// Frame `message` for this reader and write it; returns the bytes it took
    /// on the wire (what the echo will bring back).
    pub fn send(&mut self, message: &[u8]) -> Result<usize, ClientError> {
        let wire = encode(&self.reader, message)?;
        self.writer
            .write(&mut self.stream, &wire, |_| {})
            .map_err(ClientError::Send)?;
        Ok(wire.len())
    }

    /// Read the reply to a message that took `wire_len` bytes on the wire.
    pub fn receive(&mut self, wire_len: usize) -> Result<Vec<u8>, ReadError> {
        self.reader.receive(&mut self.stream, wire_len)
    }

    /// Send `message` and read its reply. On a stream two threads can share
    /// (a socket), the message is written on one while this one reads the
    /// echo (`duplex`); on one they cannot (a conducted stream, whose calls
    /// take turns), it is written, then read, as the book does
    /// ([`Session::send_then_receive`]).
    pub fn round(&mut self, message: &[u8]) -> Result<Vec<u8>, ClientError> {
        let deadline = self.reply_timeout.map(|t| Instant::now() + t);
        if let Some(halves) = self.stream.try_split() {
            let wire = encode(&self.reader, message)?;
            return duplex(
                &mut self.reader,
                &mut self.writer,
                halves,
                &wire,
                WRITER_GRACE,
                deadline,
            );
        }
        let wire_len = self.send(message)?;
        let mut stream = Within {
            stream: &mut self.stream,
            deadline,
        };
        Ok(self.reader.receive(&mut stream, wire_len)?)
    }

    /// The book's round: write the whole message, then read the reply.
    ///
    /// ```c
    /// write(sock, message, strlen(message));
    /// strLen = read(sock, message, BUF_SIZE - 1);
    /// ```
    ///
    /// with the read done by the chosen reader (the book's one read is the
    /// `naive` reader). This is all a round needs while the message and its
    /// echo fit in the buffers between the two programs; a longer one needs
    /// `duplex`.
    pub fn send_then_receive(&mut self, message: &[u8]) -> Result<Vec<u8>, ClientError> {
        let wire_len = self.send(message)?;
        Ok(self.receive(wire_len)?)
    }
}

/// A stream whose reads end by `deadline` (`None`: no end): each read waits
/// at most what is left of it, and one begun after it fails with `TimedOut`.
/// A reply trickled a byte at a time is bounded as a whole, not byte by byte.
struct Within<'a, T: Transport + ?Sized> {
    stream: &'a mut T,
    deadline: Option<Instant>,
}

impl<T: Transport + ?Sized> Read for Within<'_, T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(deadline) = self.deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(io::ErrorKind::TimedOut.into());
            }
            self.stream.limit_reads(Some(left))?;
        }
        self.stream.read(buf)
    }
}

/// The bytes `reader` sends for `message` (framed as it frames them).
fn encode<'m>(
    reader: &MessageReader,
    message: &'m [u8],
) -> Result<std::borrow::Cow<'m, [u8]>, ClientError> {
    reader.encode(message).map_err(|cause| ClientError::Encode {
        reader: reader.kind(),
        cause,
    })
}

/// The round for a message of any length: `wire` is written through one half
/// of the connection on a second thread, while this thread reads the echo
/// from the other half.
///
/// Why it exists: the server echoes while the client is still writing.
/// Written first and read after, a message longer than the buffers between
/// client and server (each socket's buffers, both ways) fills them: the server
/// blocks writing an echo nobody reads, so it stops reading, and the client
/// blocks writing to a server that no longer reads. Both wait for good.
/// Reading while writing keeps the echo draining.
fn duplex(
    reader: &mut MessageReader,
    writer: &mut Fragmenter,
    halves: Split<'_>,
    wire: &[u8],
    grace: Duration,
    deadline: Option<Instant>,
) -> Result<Vec<u8>, ClientError> {
    let Split {
        reader: mut inbound,
        writer: mut outbound,
    } = halves;
    std::thread::scope(|s| {
        let (done, finished) = mpsc::channel();
        let sending = s.spawn(move || {
            let sent = writer.write(&mut *outbound, wire, |_| {});
            let _ = done.send(());
            sent
        });
        let reply = reader.receive(
            &mut Within {
                stream: &mut *inbound,
                deadline,
            },
            wire.len(),
        );
        // A reader that stops early (the naive one) leaves the rest of a long
        // echo unread, and the writer may then wait forever for room. Give it
        // a moment to finish, then hang up to free it.
        let stuck = matches!(
            finished.recv_timeout(grace),
            Err(mpsc::RecvTimeoutError::Timeout)
        );
        if stuck {
            let _ = inbound.hang_up();
        }
        let sent = sending
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the writer thread panicked")));
        match (reply, sent) {
            (_, Err(_)) if stuck => Err(ClientError::Unsent),
            (Err(e), _) => Err(e.into()),
            (Ok(_), Err(e)) => Err(ClientError::Send(e)),
            (Ok(reply), Ok(())) => Ok(reply),
        }
    })
}

/// The longest line the interactive client reads from its input: 64 MiB.
pub const MAX_INPUT_LINE: u64 = 64 << 20;

/// How long a writer may still need once its reader has the reply.
const WRITER_GRACE: Duration = Duration::from_secs(2);

/// The book's prompt.
pub const PROMPT: &str = "Input message (Q to quit) : ";

/// The book's interactive loop, fixed where the book was wrong.
///
/// Prints `connected .....`, then for each line of `input`: the prompt, the line
/// sent, `Message from server : TEXT` (TEXT escaped). `q` or `Q` ends the
/// session, and so does the end of the input (the book's looped forever there),
/// which is what lets `printf 'hi\nq\n' | echo-client …` work.
pub fn run_interactive<T: Transport>(
    session: &mut Session<T>,
    mut input: impl BufRead,
    out: &mut dyn Write,
) -> Result<(), ClientError> {
    let console = ClientError::Console;
    writeln!(out, "connected .....").map_err(console)?;
    let mut line = Vec::new();
    loop {
        write!(out, "{PROMPT}").map_err(console)?;
        out.flush().map_err(console)?;
        line.clear();
        // A line is read whole before it is sent, so its length is bounded.
        let mut limited = (&mut input).take(MAX_INPUT_LINE + 1);
        if limited.read_until(b'\n', &mut line).map_err(console)? == 0 {
            // End of input (Ctrl-D, or the end of a pipe): leave like `q`, on a
            // fresh line so the shell prompt does not stick to ours.
            writeln!(out).map_err(console)?;
            return Ok(());
        }
        if line.len() as u64 > MAX_INPUT_LINE {
            return Err(ClientError::LineTooLong);
        }
        let trimmed = line.strip_suffix(b"\n").unwrap_or(&line);
        let trimmed = trimmed.strip_suffix(b"\r").unwrap_or(trimmed);
        if trimmed == b"q" || trimmed == b"Q" {
            return Ok(());
        }
        let reply = session.round(&line)?;
        writeln!(out, "Message from server : {}", escape(&reply)).map_err(console)?;
    }
}

#[cfg(test)]
mod tests;
