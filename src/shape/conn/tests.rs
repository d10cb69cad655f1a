//! The shaped connection's own tests, on the scripted transport.

use std::time::Duration;

use super::*;
use crate::shape::fragment::{ChunkRange, Chunks, FragmentPlan};
use crate::transport::mock::ScriptedStream;

/// A server log that keeps each write's bytes and the client it was for.
#[derive(Default)]
struct Sent(Vec<(usize, Vec<u8>)>);

impl ServerLog for Sent {
    fn event(&mut self, e: ServerEvent<'_>) -> io::Result<()> {
        if let ServerEvent::Sent { client, bytes } = e {
            self.0.push((client, bytes.to_vec()));
        }
        Ok(())
    }
}

fn sizes(sent: &Sent) -> Vec<usize> {
    sent.0.iter().map(|(_, b)| b.len()).collect()
}

/// Read every scripted chunk and echo it through the shape until the shape
/// ends the session or the script ends; returns what was written, each
/// write's size and the ending.
fn echo(shape: Shape, stream: ScriptedStream) -> (Vec<u8>, Vec<usize>, Option<String>) {
    let mut stream = stream;
    let mut shaper = Shaper::new(shape);
    let mut conn = shaper.shape(&mut stream, 1);
    let mut sent = Sent::default();
    let mut buf = [0u8; 64];
    let mut ended = None;
    loop {
        let n = conn.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        conn.write(&buf[..n], &mut sent).unwrap();
        if let Some(end) = conn.ended() {
            ended = Some(format!("{end:?}"));
            break;
        }
    }
    (stream.written().to_vec(), sizes(&sent), ended)
}

fn cut(after: u64) -> Shape {
    Shape {
        cut_after: Some(after),
        ..Shape::default()
    }
}

#[test]
fn a_short_write_is_two_write_events() {
    // The kernel takes 3 bytes of the 5-byte chunk, then the other 2: two
    // system calls, two rows, though the fragmenter asked for one write.
    let stream = ScriptedStream::from_reads([b"hello"]).short_writes(3);
    let (written, sizes, ended) = echo(Shape::default(), stream);
    assert_eq!(written, b"hello");
    assert_eq!(sizes, [3, 2]);
    assert_eq!(ended, None);
}

#[test]
fn each_write_is_told_once_with_its_client() {
    let shape = Shape {
        plan: FragmentPlan {
            chunks: Chunks::Fixed(2),
            ..FragmentPlan::default()
        },
        ..Shape::default()
    };
    let mut stream = ScriptedStream::from_reads([b"hello"]);
    let mut shaper = Shaper::new(shape);
    let mut conn = shaper.shape(&mut stream, 7);
    let mut buf = [0u8; 8];
    let n = conn.read(&mut buf).unwrap();
    let mut sent = Sent::default();
    conn.write(&buf[..n], &mut sent).unwrap();
    let want: Vec<(usize, Vec<u8>)> = [&b"he"[..], b"ll", b"o"]
        .iter()
        .map(|b| (7, b.to_vec()))
        .collect();
    assert_eq!(sent.0, want);
    assert_eq!(stream.write_calls(), 3);
}

#[test]
fn a_cut_writes_only_the_budget_then_ends_the_session() {
    // Mid-read: three bytes of five, then the cut.
    let (written, _, ended) = echo(cut(3), ScriptedStream::from_reads([b"hello"]));
    assert_eq!((written, ended), (b"hel".to_vec(), Some("Cut(3)".into())));
    // At the end of a read: the cut comes at once, not at the next read.
    let two = ScriptedStream::from_reads([b"abc", b"def"]);
    let (written, _, ended) = echo(cut(3), two);
    assert_eq!((written, ended), (b"abc".to_vec(), Some("Cut(3)".into())));
    // Spread over reads: the budget counts every echo of the session.
    let three = ScriptedStream::from_reads([b"ab", b"cd", b"ef"]);
    let (written, _, ended) = echo(cut(3), three);
    assert_eq!((written, ended), (b"abc".to_vec(), Some("Cut(3)".into())));
    // A budget of nothing echoes nothing and ends at the first read.
    let (written, sizes, ended) = echo(cut(0), ScriptedStream::from_reads([b"hi"]));
    assert_eq!(written, b"");
    assert!(sizes.is_empty());
    assert_eq!(ended, Some("Cut(0)".into()));
}

#[test]
fn a_budget_beyond_the_stream_echoes_it_all() {
    let (written, _, ended) = echo(cut(100), ScriptedStream::from_reads([b"hello"]));
    assert_eq!((written, ended), (b"hello".to_vec(), None));
    // One byte short of the budget is not the end either.
    let (_, _, ended) = echo(cut(6), ScriptedStream::from_reads([b"hello"]));
    assert_eq!(ended, None);
}

#[test]
fn a_reset_ends_the_session_as_a_reset() {
    let shape = Shape {
        reset_after: Some(2),
        ..Shape::default()
    };
    let (written, _, ended) = echo(shape, ScriptedStream::from_reads([b"hello"]));
    assert_eq!((written, ended), (b"he".to_vec(), Some("Reset(2)".into())));
}

/// A scripted stream that also keeps its late reads, in order among its reads.
#[derive(Default)]
struct Late {
    stream: ScriptedStream,
    calls: Vec<&'static str>,
}

impl io::Read for Late {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.calls.push("read");
        self.stream.read(buf)
    }
}

impl io::Write for Late {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.stream.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Transport for Late {
    fn read_late(&mut self, delay: Duration) {
        assert_eq!(delay, Duration::from_millis(40));
        self.calls.push("late");
    }

    fn close_write(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn abort(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_late_reader_waits_before_every_read_and_only_then() {
    let reads = |read_delay: Duration| {
        let mut late = Late {
            stream: ScriptedStream::from_reads([b"a"]),
            calls: Vec::new(),
        };
        let mut shaper = Shaper::new(Shape {
            read_delay,
            ..Shape::default()
        });
        let mut conn = shaper.shape(&mut late, 1);
        let mut buf = [0u8; 4];
        while conn.read(&mut buf).unwrap() > 0 {}
        late.calls
    };
    assert_eq!(
        reads(Duration::from_millis(40)),
        ["late", "read", "late", "read"]
    );
    assert_eq!(reads(Duration::ZERO), ["read", "read"]);
}

/// A log that fails, as a console that is gone does.
struct Gone(usize);

impl ServerLog for Gone {
    fn event(&mut self, _: ServerEvent<'_>) -> io::Result<()> {
        self.0 += 1;
        Err(io::ErrorKind::BrokenPipe.into())
    }
}

#[test]
fn a_log_that_fails_still_lets_the_whole_echo_out() {
    let shape = Shape {
        plan: FragmentPlan {
            chunks: Chunks::Fixed(1),
            ..FragmentPlan::default()
        },
        ..cut(10)
    };
    let mut stream = ScriptedStream::new();
    let mut shaper = Shaper::new(shape);
    let mut conn = shaper.shape(&mut stream, 1);
    let mut gone = Gone(0);
    let err = conn.write(b"abc", &mut gone).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    // Told once, not once per write; and nothing counted as echoed.
    assert_eq!(gone.0, 1);
    conn.write(b"", &mut Sent::default()).unwrap();
    assert!(conn.ended().is_none());
    assert_eq!(stream.written(), b"abc");
}

#[test]
fn a_failed_write_is_the_writes_error() {
    let mut stream = ScriptedStream::new().failing_writes(io::ErrorKind::ConnectionReset);
    let mut shaper = Shaper::new(Shape::default());
    let mut conn = shaper.shape(&mut stream, 1);
    let mut sent = Sent::default();
    let err = conn.write(b"hi", &mut sent).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
    assert!(sent.0.is_empty());
}

#[test]
fn random_chunks_go_on_from_one_client_to_the_next() {
    let plan = FragmentPlan {
        chunks: Chunks::Random(ChunkRange::new(1, 4).unwrap()),
        seed: 9,
        ..FragmentPlan::default()
    };
    let mut shaper = Shaper::new(Shape {
        plan,
        ..Shape::default()
    });
    let mut sent = Sent::default();
    for client in [1, 2] {
        let mut stream = ScriptedStream::new();
        let mut conn = shaper.shape(&mut stream, client);
        conn.write(&[b'x'; 20], &mut sent).unwrap();
    }
    // The two clients' chunks are one run of the seeded generator.
    let mut one = Fragmenter::new(plan);
    let mut want = one.chunks(20);
    want.extend(one.chunks(20));
    assert_eq!(sizes(&sent), want);
}
