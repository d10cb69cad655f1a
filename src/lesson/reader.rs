//! Reading one reply from a byte stream: the bug, and three ways to get it right.
//!
//! TCP delivers bytes in order, but it keeps no record of where one `write` ended
//! and the next began. A `read` returns whatever has arrived by the time it runs:
//! part of a message (a *partial read*), or the end of one message and the start
//! of the next (*coalesced* writes). A reader must therefore decide for itself where
//! a message ends. The five readers here differ only in that decision:
//!
//! | reader   | where a reply ends                                  | correct? |
//! |----------|-----------------------------------------------------|----------|
//! | `naive`  | wherever the one `read` happened to stop             | no: the book's bug |
//! | `exact`  | after as many bytes as were sent (an echo's length)  | yes |
//! | `line`   | after the next `\n`                                  | yes |
//! | `length` | after a 4-byte big-endian length and that many bytes | yes |
//! | `book`   | after as many bytes as were sent, the book's loop | mostly: it keeps two flaws |
//!
//! The correct readers share one shape, borrowed from how real protocol code is
//! written: look at the bytes held so far; if a whole message is there, take it;
//! if not, that is the normal state of a stream ("not enough bytes yet"), so read
//! more and look again. Only the end of the stream in the middle of a message is
//! an error, and it is reported as such instead of being passed off as a reply.

use std::borrow::Cow;
use std::io::{self, Read};

/// Which reader a client uses.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ReaderKind {
    /// One read per message, as in the book: the deliberate bug.
    Naive,
    /// Read until as many bytes as were sent have come back, and no further
    /// (`book`'s loop, done right).
    Exact,
    /// Read through the next newline, up to a maximum line length.
    Line,
    /// Send a 4-byte big-endian length before each message; read one such frame back.
    Length,
    /// The next chapter's fix as the book writes it: read until as many
    /// bytes as were sent have come, asking for BUF_SIZE - 1 each time.
    Book,
}

impl ReaderKind {
    /// Every reader, the buggy one first, the book's fix last.
    pub const ALL: [ReaderKind; 5] = [
        ReaderKind::Naive,
        ReaderKind::Exact,
        ReaderKind::Line,
        ReaderKind::Length,
        ReaderKind::Book,
    ];

    /// The reader's name as written on the command line and in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            ReaderKind::Naive => "naive",
            ReaderKind::Exact => "exact",
            ReaderKind::Line => "line",
            ReaderKind::Length => "length",
            ReaderKind::Book => "book",
        }
    }

    /// True for the readers that frame their messages whatever the stream
    /// does (`book` frames them too, but not at the end of the stream or past
    /// its buffer).
    pub fn is_correct(self) -> bool {
        matches!(
            self,
            ReaderKind::Exact | ReaderKind::Line | ReaderKind::Length
        )
    }
}

impl std::fmt::Display for ReaderKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The most a `line` reader holds before it gives up on finding a newline.
pub const DEFAULT_MAX_LINE: usize = 64 * 1024;
/// The largest frame a `length` reader accepts.
pub const DEFAULT_MAX_FRAME: usize = 1024 * 1024;
/// Size of the length prefix: a `u32`, big-endian ("network byte order").
pub const LENGTH_PREFIX: usize = 4;

/// The `length` reader's prefix for a message of `len` bytes: the length in
/// four bytes, most significant first (the one place the header is made).
pub const fn length_prefix(len: u32) -> [u8; LENGTH_PREFIX] {
    len.to_be_bytes()
}

/// The length a `length` prefix says (the one place it is read: by the
/// reader, and by the views that show a prefix as `⟨13⟩`).
pub const fn prefixed_length(prefix: [u8; LENGTH_PREFIX]) -> u32 {
    u32::from_be_bytes(prefix)
}

/// The most bytes a reader's client puts on the wire for a message of `len`
/// bytes: the `length` reader's prefix, then the message (the others send the
/// message alone). What a scenario's limits and costs count.
pub const fn on_the_wire(len: usize) -> usize {
    LENGTH_PREFIX + len
}

/// Why a reply could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The peer closed the connection cleanly, between messages.
    #[error("peer closed the connection")]
    Closed,
    /// The peer closed the connection after part of a message: what was held is
    /// not a reply, and saying so is what separates a correct reader from the bug.
    #[error("peer closed mid-message ({} of a message held)", crate::text::bytes(*got as u64))]
    ClosedMidMessage {
        /// Bytes of the unfinished message received before the end of the stream.
        got: usize,
    },
    /// No newline within the maximum line length.
    #[error("line longer than the maximum of {max} bytes")]
    LineTooLong {
        /// The maximum line length.
        max: usize,
    },
    /// A length prefix announcing more than the maximum frame size.
    #[error("frame of {len} bytes announced, larger than the maximum of {max}")]
    FrameTooLarge {
        /// The length announced by the prefix.
        len: usize,
        /// The maximum frame size.
        max: usize,
    },
    /// The book's loop met the end of the stream: its `read` returned 0,
    /// which adds nothing to `recv_len`, so `while (recv_len < str_len)` would
    /// go round for ever. Reported instead of done.
    #[error("read returned 0 with {} of the reply held: the book's loop would spin forever", crate::text::bytes(*held as u64))]
    WouldLoopForever {
        /// Bytes of the reply received before the end of the stream.
        held: usize,
    },
    /// The book's loop would have written past the end of its buffer
    /// (`read(sock, &message[recv_len], BUF_SIZE - 1)` with more bytes coming
    /// than the buffer has room for). Reported instead of done.
    #[error("the book's loop would overflow its buffer by {}", crate::text::bytes(*by as u64))]
    WouldOverflow {
        /// How many bytes past the end of the buffer it would write.
        by: usize,
    },
    /// The socket failed (reset by the peer, for instance).
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Why a message could not be encoded for the wire.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// A `line` message must not hold a newline before its end.
    #[error("a line message must not contain a newline before its end")]
    NewlineInside,
    /// The message is larger than the maximum frame (or line) size.
    #[error("message of {len} bytes is larger than the maximum of {max}")]
    TooLarge {
        /// The message length.
        len: usize,
        /// The limit it breaks.
        max: usize,
    },
}

/// What a framing parser finds in the held bytes: a whole message and how many
/// bytes it used, or `None` for "not enough bytes yet".
type Parsed = Result<Option<(Vec<u8>, usize)>, ReadError>;

/// Reads one reply at a time from a stream with a fixed read buffer.
///
/// The buffer is allocated once (like the book's `char message[BUF_SIZE]`);
/// `line` and `length` also keep the bytes they read past the end of a message,
/// because those bytes are the start of the next one.
#[derive(Debug, Clone)]
pub struct MessageReader {
    kind: ReaderKind,
    buf: Vec<u8>,
    /// Bytes received but not yet handed out (only `line` and `length` keep any).
    held: Vec<u8>,
    max_line: usize,
    max_frame: usize,
}

impl MessageReader {
    /// A reader of `kind` whose every `read` asks for at most `buffer_size` bytes.
    pub fn new(kind: ReaderKind, buffer_size: usize) -> Self {
        MessageReader {
            kind,
            buf: vec![0; buffer_size.max(1)],
            held: Vec::new(),
            max_line: DEFAULT_MAX_LINE,
            max_frame: DEFAULT_MAX_FRAME,
        }
    }

    /// Set the maximum line length (`line`) and frame size (`length`).
    pub fn with_limits(mut self, max_line: usize, max_frame: usize) -> Self {
        self.max_line = max_line;
        self.max_frame = max_frame;
        self
    }

    /// The kind of this reader.
    pub fn kind(&self) -> ReaderKind {
        self.kind
    }

    /// The bytes this reader puts on the wire for `message`.
    ///
    /// `naive` and `exact` send the message as is. `line` sends it with a closing
    /// `\n` (added if missing). `length` puts the 4-byte length in front. An echo
    /// server returns these bytes unchanged, so the same framing comes back.
    pub fn encode<'a>(&self, message: &'a [u8]) -> Result<Cow<'a, [u8]>, EncodeError> {
        match self.kind {
            ReaderKind::Naive | ReaderKind::Exact | ReaderKind::Book => Ok(Cow::Borrowed(message)),
            ReaderKind::Line => {
                let body = message.strip_suffix(b"\n").unwrap_or(message);
                if body.contains(&b'\n') {
                    return Err(EncodeError::NewlineInside);
                }
                if body.len() + 1 > self.max_line {
                    return Err(EncodeError::TooLarge {
                        len: body.len() + 1,
                        max: self.max_line,
                    });
                }
                if body.len() < message.len() {
                    Ok(Cow::Borrowed(message))
                } else {
                    let mut line = message.to_vec();
                    line.push(b'\n');
                    Ok(Cow::Owned(line))
                }
            }
            ReaderKind::Length => {
                let len = u32::try_from(message.len())
                    .ok()
                    .filter(|&n| n as usize <= self.max_frame)
                    .ok_or(EncodeError::TooLarge {
                        len: message.len(),
                        max: self.max_frame,
                    })?;
                let mut frame = Vec::with_capacity(LENGTH_PREFIX + message.len());
                frame.extend_from_slice(&length_prefix(len));
                frame.extend_from_slice(message);
                Ok(Cow::Owned(frame))
            }
        }
    }

    /// Read the reply to a message that went out as `sent_len` bytes on the wire.
    ///
    /// Returns the reply as the reader understands it: the bytes of one read
    /// (`naive`), `sent_len` bytes (`exact`), one line including its `\n` (`line`),
    /// one frame's payload (`length`), or all the bytes the book's loop
    /// gathered (`book`).
    pub fn receive<R: Read + ?Sized>(
        &mut self,
        stream: &mut R,
        sent_len: usize,
    ) -> Result<Vec<u8>, ReadError> {
        match self.kind {
            ReaderKind::Naive => self.receive_naive(stream),
            ReaderKind::Exact => self.receive_exact(stream, sent_len),
            ReaderKind::Line => self.receive_framed(stream, Self::parse_line),
            ReaderKind::Length => self.receive_framed(stream, Self::parse_frame),
            ReaderKind::Book => self.receive_book(stream, sent_len),
        }
    }

    /// THE BUG, kept on purpose: one `read` per message.
    ///
    /// This is the book's `strLen = read(sock, message, BUF_SIZE - 1)`. It assumes
    /// that the server's one `write` arrives as this one `read`. TCP promises
    /// nothing of the kind: the read returns what has arrived *so far*, which may
    /// be part of the reply (the rest stays in the socket and is returned by the
    /// *next* read, as the start of the next "reply"), or the reply plus part of a
    /// later one. On a quiet loopback it usually works, which is why the bug lives.
    ///
    /// As in the book, it asks for one byte less than its buffer (`BUF_SIZE -
    /// 1`, 1023 with the book's 1024), keeping room for the `'\0'` the C
    /// code writes after the bytes; a buffer of one byte asks for that byte.
    fn receive_naive<R: Read + ?Sized>(&mut self, stream: &mut R) -> Result<Vec<u8>, ReadError> {
        let asked = (self.buf.len() - 1).max(1);
        let n = stream.read(&mut self.buf[..asked])?;
        if n == 0 {
            return Err(ReadError::Closed);
        }
        Ok(self.buf[..n].to_vec())
    }

    /// `book`'s loop, done right: keep reading until as many bytes as were
    /// sent have come back.
    ///
    /// Three flaws of the usual C version are kept out: each read asks for at most
    /// the bytes still missing (so it never swallows the start of a later reply
    /// and never writes past the buffer), a read of 0 bytes (end of stream) ends
    /// the loop instead of spinning forever, and an end of stream after some bytes
    /// is "peer closed mid-message", not a short reply.
    fn receive_exact<R: Read + ?Sized>(
        &mut self,
        stream: &mut R,
        sent_len: usize,
    ) -> Result<Vec<u8>, ReadError> {
        let mut reply = Vec::with_capacity(sent_len);
        while reply.len() < sent_len {
            let want = (sent_len - reply.len()).min(self.buf.len());
            let n = stream.read(&mut self.buf[..want])?;
            if n == 0 {
                return Err(end_of_stream(reply.len()));
            }
            // A short read is normal: the rest is still on its way.
            reply.extend_from_slice(&self.buf[..n]);
        }
        Ok(reply)
    }

    /// The next chapter's fix as the book prints it, flaws and all:
    ///
    /// ```c
    /// recv_len = 0;
    /// while (recv_len < str_len) {
    ///     recv_cnt = read(sock, &message[recv_len], BUF_SIZE - 1);
    ///     recv_len += recv_cnt;
    /// }
    /// message[recv_len] = 0;
    /// ```
    ///
    /// It cures the partial read: a reply that comes in chunks is gathered
    /// whole. But it keeps two flaws, which this reader shows and never
    /// commits:
    ///
    /// - a `read` of 0 (the server closed) adds nothing to `recv_len`, so the
    ///   loop would spin forever: [`ReadError::WouldLoopForever`];
    /// - every `read` asks for `BUF_SIZE - 1` bytes wherever it writes, so
    ///   once more bytes come than the buffer holds (a reply longer than the
    ///   buffer), it writes past its end: [`ReadError::WouldOverflow`]. Here
    ///   each read lands in a scratch buffer of `BUF_SIZE` bytes, and the
    ///   overflow is counted, not made.
    ///
    /// And a read that returns more than the reply (the start of the next
    /// one) is taken as part of this reply, as the C code does.
    fn receive_book<R: Read + ?Sized>(
        &mut self,
        stream: &mut R,
        sent_len: usize,
    ) -> Result<Vec<u8>, ReadError> {
        let size = self.buf.len(); // BUF_SIZE
        let asked = size - 1; // what every read asks for
        let mut reply = Vec::with_capacity(sent_len.min(size));
        while reply.len() < sent_len {
            // read(sock, buf, 0) returns 0 at once: the same endless loop.
            if asked == 0 {
                return Err(ReadError::WouldLoopForever { held: reply.len() });
            }
            let n = stream.read(&mut self.buf[..asked])?;
            if n == 0 {
                return Err(ReadError::WouldLoopForever { held: reply.len() });
            }
            // &message[recv_len] + n bytes: past the end of message[BUF_SIZE]?
            if reply.len() + n > size {
                return Err(ReadError::WouldOverflow {
                    by: reply.len() + n - size,
                });
            }
            reply.extend_from_slice(&self.buf[..n]);
        }
        // message[recv_len] = 0 needs one byte more.
        if reply.len() + 1 > size {
            return Err(ReadError::WouldOverflow {
                by: reply.len() + 1 - size,
            });
        }
        Ok(reply)
    }

    /// The loop shared by `line` and `length`: parse what is held; if a whole
    /// message is there, hand it out; otherwise read more and try again.
    fn receive_framed<R: Read + ?Sized>(
        &mut self,
        stream: &mut R,
        parse: fn(&Self) -> Parsed,
    ) -> Result<Vec<u8>, ReadError> {
        loop {
            if let Some((message, used)) = parse(self)? {
                // Bytes after the message stay held: they begin the next one.
                self.held.drain(..used);
                return Ok(message);
            }
            // Not enough bytes yet: the expected state of a stream, not an error.
            let n = stream.read(&mut self.buf)?;
            if n == 0 {
                return Err(end_of_stream(self.held.len()));
            }
            self.held.extend_from_slice(&self.buf[..n]);
        }
    }

    /// `line` framing: a message is everything through the first `\n`.
    fn parse_line(&self) -> Parsed {
        match self.held.iter().position(|&b| b == b'\n') {
            Some(i) if i < self.max_line => Ok(Some((self.held[..=i].to_vec(), i + 1))),
            Some(_) => Err(ReadError::LineTooLong { max: self.max_line }),
            None if self.held.len() >= self.max_line => {
                Err(ReadError::LineTooLong { max: self.max_line })
            }
            None => Ok(None),
        }
    }

    /// `length` framing: 4 bytes of big-endian length, then that many bytes.
    fn parse_frame(&self) -> Parsed {
        let Some(prefix) = self.held.first_chunk::<LENGTH_PREFIX>() else {
            return Ok(None); // not even the length yet
        };
        let len = prefixed_length(*prefix) as usize;
        if len > self.max_frame {
            // Refuse before waiting for (or allocating) a frame that large.
            return Err(ReadError::FrameTooLarge {
                len,
                max: self.max_frame,
            });
        }
        let end = LENGTH_PREFIX + len;
        if self.held.len() < end {
            return Ok(None); // the length is here, the payload not all yet
        }
        Ok(Some((self.held[LENGTH_PREFIX..end].to_vec(), end)))
    }
}

/// The error for an end of stream with `held` bytes of an unfinished message.
fn end_of_stream(held: usize) -> ReadError {
    if held == 0 {
        ReadError::Closed
    } else {
        ReadError::ClosedMidMessage { got: held }
    }
}
