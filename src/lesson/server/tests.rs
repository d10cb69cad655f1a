//! The server loop's own tests, on the scripted transport.

use super::*;
use crate::event::Discard;
use crate::transport::mock::ScriptedStream;

/// One client's session through the loop, as `serve` runs it.
fn session(config: &ServerConfig, conn: &mut ScriptedStream) -> io::Result<Ending<'static>> {
    let mut buf = vec![0u8; config.buffer_size];
    let mut shaper = Shaper::new(config.shape);
    let mut shaped = shaper.shape(conn, 1);
    echo(&mut shaped, 1, &mut buf, config, &mut Discard)
}

fn echoed(config: &ServerConfig, reads: &[&[u8]]) -> (Vec<u8>, String) {
    let mut conn = ScriptedStream::from_reads(reads);
    let ending = session(config, &mut conn).unwrap();
    (conn.written().to_vec(), format!("{ending:?}"))
}

#[test]
fn echoes_every_read_byte_for_byte() {
    let (written, ending) = echoed(&ServerConfig::default(), &[b"hi\n", b"\0\xff"]);
    assert_eq!(written, b"hi\n\0\xff");
    assert_eq!(ending, "Eof");
}

#[test]
fn cut_after_closes_as_soon_as_the_budget_is_spent() {
    let config = ServerConfig {
        shape: Shape {
            cut_after: Some(3),
            ..Shape::default()
        },
        ..ServerConfig::default()
    };
    // Mid-read: three bytes of five, then the cut.
    assert_eq!(
        echoed(&config, &[b"hello"]),
        (b"hel".to_vec(), "Cut(3)".into())
    );
    // At the end of a read: the cut comes at once, not at the next read.
    assert_eq!(
        echoed(&config, &[b"abc", b"def"]),
        (b"abc".to_vec(), "Cut(3)".into())
    );
}

/// The session's end when it fails, as the error's kind.
fn failure(mut conn: ScriptedStream) -> io::ErrorKind {
    session(&ServerConfig::default(), &mut conn)
        .expect_err("the session should fail")
        .kind()
}

#[test]
fn a_signal_during_read_is_not_the_end_of_the_session() {
    let mut conn = ScriptedStream::new()
        .then_read(b"a")
        .error(io::ErrorKind::Interrupted)
        .then_read(b"b");
    let ending = session(&ServerConfig::default(), &mut conn).unwrap();
    assert_eq!(conn.written(), b"ab");
    assert_eq!(format!("{ending:?}"), "Eof");
}

#[test]
fn a_reset_is_a_failure_not_an_idle_client() {
    let read = ScriptedStream::new().error(io::ErrorKind::ConnectionReset);
    assert_eq!(failure(read), io::ErrorKind::ConnectionReset);
    let write = ScriptedStream::from_reads([b"hi"]).failing_writes(io::ErrorKind::BrokenPipe);
    assert_eq!(failure(write), io::ErrorKind::BrokenPipe);
}

#[test]
fn a_timeout_on_either_call_drops_the_client_as_idle() {
    let config = ServerConfig {
        idle_timeout: Some(Duration::from_secs(3)),
        ..ServerConfig::default()
    };
    let idle = |mut conn: ScriptedStream| format!("{:?}", session(&config, &mut conn).unwrap());
    let read = ScriptedStream::new()
        .then_read(b"a")
        .error(io::ErrorKind::WouldBlock);
    assert_eq!(idle(read), "Idle(3s)");
    let write = ScriptedStream::from_reads([b"hi"]).failing_writes(io::ErrorKind::TimedOut);
    assert_eq!(idle(write), "Idle(3s)");
}

#[test]
fn a_cut_beyond_the_read_echoes_the_whole_read() {
    let config = ServerConfig {
        shape: Shape {
            cut_after: Some(100),
            ..Shape::default()
        },
        ..ServerConfig::default()
    };
    assert_eq!(
        echoed(&config, &[b"hello"]),
        (b"hello".to_vec(), "Eof".into())
    );
}

/// Accepts that follow a script, as `ScriptedStream` reads do.
struct ScriptedAcceptor(Vec<io::Result<ScriptedStream>>);

impl Acceptor for ScriptedAcceptor {
    type Conn = ScriptedStream;

    fn accept(&mut self) -> io::Result<Option<(Self::Conn, SocketAddr)>> {
        let peer = SocketAddr::from(([127, 0, 0, 1], 9));
        match self.0.pop() {
            None => Ok(None),
            Some(next) => next.map(|conn| Some((conn, peer))),
        }
    }
}

/// A server log that keeps what the server's reads returned.
#[derive(Default)]
struct Received(Vec<Vec<u8>>);

impl ServerLog for Received {
    fn event(&mut self, e: ServerEvent<'_>) -> io::Result<()> {
        if let ServerEvent::Received { bytes, .. } = e {
            self.0.push(bytes.to_vec());
        }
        Ok(())
    }
}

#[test]
fn a_client_that_gave_up_before_accept_does_not_stop_the_server() {
    let config = ServerConfig {
        clients: 0,
        ..ServerConfig::default()
    };
    // Popped from the end: first the aborted handshake, then a client.
    let accepts = vec![
        Ok(ScriptedStream::from_reads([b"hi"])),
        Err(io::ErrorKind::ConnectionAborted.into()),
    ];
    let mut received = Received::default();
    serve(ScriptedAcceptor(accepts), &config, &mut received).unwrap();
    assert_eq!(
        received.0,
        [b"hi".to_vec()],
        "the client after the aborted handshake was not served"
    );
    // Any other accept error ends the server.
    let accepts = vec![
        Ok(ScriptedStream::from_reads([b"hi"])),
        Err(io::ErrorKind::PermissionDenied.into()),
    ];
    let err = serve(ScriptedAcceptor(accepts), &config, &mut Discard).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
}

#[test]
fn accepts_short_of_descriptors_are_waited_out_and_told_once() {
    let config = ServerConfig {
        clients: 0,
        ..ServerConfig::default()
    };
    // Popped from the end: five accepts out of descriptors, then a client.
    let mut accepts = vec![Ok(ScriptedStream::from_reads([b"hi"]))];
    for _ in 0..5 {
        accepts.push(Err(io::Error::from_raw_os_error(libc::EMFILE)));
    }
    let mut told = Told::default();
    let started = std::time::Instant::now();
    serve(ScriptedAcceptor(accepts), &config, &mut told).unwrap();
    // 5 + 10 + 20 + 40 + 80 ms between the tries, not a spin.
    assert!(started.elapsed() >= Duration::from_millis(155));
    assert_eq!(
        told.0,
        [
            "accept failed 5 too many open files",
            "accept 1",
            "read 1 hi",
            "write 1 hi",
            "end 1 Eof",
        ]
    );
}

/// A server log that keeps every event, in words a test can compare.
#[derive(Default)]
struct Told(Vec<String>);

impl ServerLog for Told {
    fn event(&mut self, e: ServerEvent<'_>) -> io::Result<()> {
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        self.0.push(match e {
            ServerEvent::Accepted { client, .. } => format!("accept {client}"),
            ServerEvent::Received { client, bytes } => format!("read {client} {}", text(bytes)),
            ServerEvent::Sent { client, bytes } => format!("write {client} {}", text(bytes)),
            ServerEvent::Ended { client, how, .. } => format!("end {client} {how:?}"),
            ServerEvent::Closed => "close".into(),
            ServerEvent::AcceptFailed { count, reason, .. } => {
                format!("accept failed {count} {reason}")
            }
        });
        Ok(())
    }
}

#[test]
fn each_client_is_accepted_echoed_and_ended_in_turn_then_the_listener_closes() {
    let config = ServerConfig {
        clients: 2,
        shape: Shape {
            reset_after: Some(3),
            ..Shape::default()
        },
        ..ServerConfig::default()
    };
    // Popped from the end: client 1 sends "hi" and leaves, client 2 sends
    // five bytes and meets the reset after three; every write is told,
    // a short one as two.
    let accepts = vec![
        Ok(ScriptedStream::from_reads([b"hello"]).short_writes(2)),
        Ok(ScriptedStream::from_reads([b"hi"])),
    ];
    let mut told = Told::default();
    serve(ScriptedAcceptor(accepts), &config, &mut told).unwrap();
    assert_eq!(
        told.0,
        [
            "accept 1",
            "read 1 hi",
            "write 1 hi",
            "end 1 Eof",
            "accept 2",
            "read 2 hello",
            "write 2 he",
            "write 2 l",
            "end 2 Reset(3)",
            "close",
        ]
    );
}
