//! The client's two rounds, on the scripted transport.

use std::sync::{Arc, Condvar, Mutex};

use super::*;
use crate::transport::mock::ScriptedStream;

fn config(reader: ReaderKind) -> ClientConfig {
    ClientConfig {
        reader,
        ..ClientConfig::default()
    }
}

#[test]
fn the_books_round_writes_the_message_then_reads_the_reply() {
    let stream = ScriptedStream::from_reads([&b"hel"[..], b"lo\n"]);
    let mut session = Session::new(stream, &config(ReaderKind::Exact));
    assert_eq!(session.send_then_receive(b"hello\n").unwrap(), b"hello\n");
    assert_eq!(session.stream_mut().written(), b"hello\n");
    // A message the reader cannot frame is refused before anything is written.
    let mut line = Session::new(ScriptedStream::new(), &config(ReaderKind::Line));
    let refused = line.send_then_receive(b"two\nlines\n").unwrap_err();
    assert!(matches!(refused, ClientError::Encode { .. }), "{refused:?}");
    assert_eq!(line.stream_mut().written(), b"");
}

#[test]
fn a_duplex_round_writes_on_one_half_and_reads_from_the_other() {
    // The echo of a framed message, arriving in two reads.
    let echo: &[&[u8]] = &[b"\0\0\0\x05he", b"llo"];
    let mut stream = ScriptedStream::from_reads(echo).short_writes(4);
    let mut reader = MessageReader::new(ReaderKind::Length, 64);
    let mut writer = Fragmenter::new(FragmentPlan::default());
    let halves = stream.try_split().expect("a scripted stream splits");
    let wire = b"\0\0\0\x05hello";
    let reply = duplex(&mut reader, &mut writer, halves, wire, WRITER_GRACE, None).unwrap();
    assert_eq!(reply, b"hello");
    // Written whole through the writing half, short writes and all.
    assert_eq!(stream.written(), wire);
    assert_eq!(stream.write_calls(), 3);
    assert!(
        !stream.hung_up(),
        "a writer that finished is not hung up on"
    );
}

#[test]
fn a_round_on_a_stream_that_splits_is_the_duplex_one() {
    // The reading half's script is the echo; the writing half keeps the message.
    let stream = ScriptedStream::from_reads([b"hi\n"]);
    let mut session = Session::new(stream, &config(ReaderKind::Line));
    assert_eq!(session.round(b"hi\n").unwrap(), b"hi\n");
    assert_eq!(session.stream_mut().written(), b"hi\n");
    // A message the reader cannot frame is refused on this path too.
    let refused = session.round(b"a\nb").unwrap_err();
    assert!(matches!(refused, ClientError::Encode { .. }), "{refused:?}");
}

#[test]
fn a_duplex_round_says_which_side_failed() {
    let round = |stream: ScriptedStream| {
        let mut session = Session::new(stream, &config(ReaderKind::Exact));
        session.round(b"hi")
    };
    let unsent =
        round(ScriptedStream::from_reads([b"hi"]).failing_writes(io::ErrorKind::BrokenPipe));
    assert!(matches!(unsent, Err(ClientError::Send(_))), "{unsent:?}");
    let unread = round(ScriptedStream::new().error(io::ErrorKind::ConnectionReset));
    assert!(matches!(unread, Err(ClientError::Receive(_))), "{unread:?}");
    // Both failing: the reply's failure is the one said.
    let both = round(
        ScriptedStream::new()
            .error(io::ErrorKind::ConnectionReset)
            .failing_writes(io::ErrorKind::BrokenPipe),
    );
    assert!(matches!(both, Err(ClientError::Receive(_))), "{both:?}");
}

/// Whether the connection was hung up, shared by the two halves of a jam.
type Line = Arc<(Mutex<bool>, Condvar)>;

/// The reading half of a jammed connection: the reply's first byte only.
struct Reads(ScriptedStream, Line);

/// The writing half: every write waits until the connection is hung up (the
/// server stopped reading, its buffers full), then fails as a socket does.
struct Blocks(Line);

impl Read for Reads {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for Reads {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        unreachable!("the reading half does not write")
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Transport for Reads {
    fn close_write(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn hang_up(&mut self) -> io::Result<()> {
        let (hung, woken) = &*self.1;
        *hung.lock().unwrap() = true;
        woken.notify_all();
        Ok(())
    }

    fn abort(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for Blocks {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        unreachable!("the writing half does not read")
    }
}

impl Write for Blocks {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        let (hung, woken) = &*self.0;
        let (hung, wait) = woken
            .wait_timeout_while(hung.lock().unwrap(), Duration::from_secs(10), |h| !*h)
            .unwrap();
        assert!(*hung && !wait.timed_out(), "nobody hung up on the writer");
        Err(io::ErrorKind::BrokenPipe.into())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Transport for Blocks {
    fn close_write(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn abort(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_writer_left_blocked_by_a_reader_that_stopped_is_freed_and_said_so() {
    let line: Line = Arc::default();
    let halves = Split {
        reader: Box::new(Reads(ScriptedStream::from_reads([b"h"]), line.clone())),
        writer: Box::new(Blocks(line.clone())),
    };
    // The naive reader takes one read and stops; the writer is still stuck.
    let mut reader = MessageReader::new(ReaderKind::Naive, 64);
    let mut writer = Fragmenter::new(FragmentPlan::default());
    let grace = Duration::from_millis(20);
    let result = duplex(&mut reader, &mut writer, halves, b"hello", grace, None);
    assert!(matches!(result, Err(ClientError::Unsent)), "{result:?}");
    assert!(*line.0.lock().unwrap(), "the connection was not hung up");
}
