//! The iterative echo server: one client at a time, as in the book.
//!
//! The chapter's seven steps, as the code below numbers them:
//!
//! ```text
//! 1. socket()  2. bind()  3. listen(backlog)   (done by the caller: net::listen)
//! loop:
//!     4. accept()
//!     5. read() / write()                      until read() returns 0
//!     6. close(client)
//! 7. close(server)
//! ```
//!
//! "Iterative" means the server is busy with one client until that client leaves.
//! A second client's `connect` still succeeds (the kernel completes the handshake
//! and parks the connection in the listen backlog), but nobody reads what it sends
//! until the first client is done. The next chapter of the book fixes that with
//! processes and threads; this server keeps it, because it is the lesson.
//!
//! The server takes an already-bound listener (anything that implements
//! [`Acceptor`]), so tests and scenarios can hand it port 0.

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use crate::event::{Discard, Ending, ServerEvent, ServerLog, is_timeout};
use crate::shape::Shape;
use crate::shape::fragment::Fragmenter;
use crate::transport::Transport;

/// Where accepted connections come from: a real listener, or the scenario runner.
pub trait Acceptor {
    /// The connection type handed to the server.
    type Conn: Transport;

    /// Wait for the next client. `Ok(None)` means no client will ever come (a
    /// finished scenario); a real listener never says that.
    fn accept(&mut self) -> io::Result<Option<(Self::Conn, SocketAddr)>>;

    /// Apply per-connection settings to an accepted connection.
    fn prepare(&mut self, _conn: &mut Self::Conn, _config: &ServerConfig) -> io::Result<()> {
        Ok(())
    }
}

impl Acceptor for TcpListener {
    type Conn = std::net::TcpStream;

    fn accept(&mut self) -> io::Result<Option<(Self::Conn, SocketAddr)>> {
        TcpListener::accept(self).map(Some)
    }

    fn prepare(&mut self, conn: &mut Self::Conn, config: &ServerConfig) -> io::Result<()> {
        crate::transport::net::apply_accepted(conn, &config.shape.socket)?;
        // Without a timeout a blocking read waits forever: one idle client holds
        // an iterative server for good. With one, the read fails after the timeout
        // and the server moves on to the next client. The same for a write: a
        // client that sends but never reads fills its receive window, and the
        // echo's write would wait for room forever.
        conn.set_read_timeout(config.idle_timeout)?;
        conn.set_write_timeout(config.idle_timeout)
    }
}

/// The largest read buffer (`--buffer-size`): 16 MiB.
pub const MAX_BUFFER: u64 = 16 << 20;
/// The longest listen backlog (`--backlog`): Linux's default cap, somaxconn.
pub const MAX_BACKLOG: i32 = 4096;
/// The most clients one run serves (`--clients`).
pub const MAX_CLIENTS: u64 = 1_000_000;
/// The longest idle timeout (`--idle-timeout`): a day, in seconds.
pub const MAX_IDLE_SECS: u64 = 86_400;

/// How the server behaves. `Default` is the book's server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Serve this many clients, then close the listener and return (0: forever).
    pub clients: usize,
    /// Size of the read buffer: the most one read can return.
    pub buffer_size: usize,
    /// How the echo is shaped: cut and paced writes, a late read, a cut or a
    /// reset after so many bytes, and the socket options (TCP_NODELAY on
    /// accepted sockets; buffer sizes are set on the listener).
    pub shape: Shape,
    /// Drop a client that sends nothing for this long.
    pub idle_timeout: Option<Duration>,
    /// Leave out the per-message lines.
    pub quiet: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            clients: 5,
            buffer_size: 1024,
            shape: Shape::default(),
            idle_timeout: None,
            quiet: false,
        }
    }
}

impl ServerConfig {
    /// True when the server reshapes the stream, so its writes are worth showing.
    pub fn fragmenting(&self) -> bool {
        self.shape.reshapes()
    }
}

/// Serve clients one after another until `config.clients` have been served.
///
/// Every accept, read, write and end of session is reported to `log` as a
/// typed event (the echo server's console renders them as the book's lines:
/// `connected client N`, `Message from client : TEXT`). A client that resets or
/// vanishes never stops the server: it goes on to the next one. The listener is
/// dropped (closed) when this returns.
pub fn serve<A: Acceptor>(
    mut acceptor: A,
    config: &ServerConfig,
    log: &mut dyn ServerLog,
) -> io::Result<()> {
    // One buffer for the whole run: the echo path allocates nothing per message,
    // so memory stays flat however long a client streams.
    let mut buf = vec![0u8; config.buffer_size.max(1)];
    let mut fragmenter = Fragmenter::new(config.shape.plan);
    let mut served = 0;

    while config.clients == 0 || served < config.clients {
        // 4. accept() blocks until the kernel has a connection whose handshake
        // is complete. Clients that connected meanwhile wait in the listen
        // backlog: their connect() has already returned.
        let (mut conn, peer) = match acceptor.accept() {
            Ok(Some(pair)) => pair,
            Ok(None) => break,
            // A client that gave up between the handshake and our accept.
            Err(e) if e.kind() == io::ErrorKind::ConnectionAborted => continue,
            Err(e) => return Err(e),
        };
        served += 1;
        let client = served;
        log.event(ServerEvent::Accepted { client, peer })?;
        let session = acceptor
            .prepare(&mut conn, config)
            .and_then(|()| serve_client(&mut conn, client, config, &mut buf, &mut fragmenter, log));
        let how = match &session {
            Ok(ending) => *ending,
            Err(e) => Ending::Failed(e),
        };
        if let Ok(Ending::Reset(_)) = session {
            // SO_LINGER 0: closing the socket now sends RST instead of FIN.
            conn.abort()?;
        }
        log.event(ServerEvent::Ended { client, peer, how })?;
        // 6. close(client): dropping `conn` at the end of this turn closes the
        // client's socket (the book's close(clientSock)); only then is the
        // next client accepted.
    }
    // 7. close(server): the listening socket is closed. The clients still in
    // its queue are reset, and a client that connects from now on is refused:
    // nothing listens on the port any more.
    drop(acceptor);
    if config.clients != 0 && served == config.clients {
        log.event(ServerEvent::Closed)?;
    }
    Ok(())
}

/// Echo one client's bytes back until it closes; returns how the session ended.
fn serve_client<T: Transport>(
    conn: &mut T,
    client: usize,
    config: &ServerConfig,
    buf: &mut [u8],
    fragmenter: &mut Fragmenter,
    log: &mut dyn ServerLog,
) -> io::Result<Ending<'static>> {
    let shape = &config.shape;
    // --cut-after and --reset-after end the session after so many bytes.
    let limit = shape.cut_after.or(shape.reset_after);
    let mut echoed: u64 = 0;
    loop {
        // A late reader lets the client's separate writes pile up in the
        // receive buffer: the next read returns them as one.
        if !shape.read_delay.is_zero() {
            conn.read_late(shape.read_delay);
        }
        // 5. read() / write(). One read: whatever has arrived, up to the
        // buffer size. The server does not care where the client's messages
        // begin or end; it echoes bytes.
        let n = match conn.read(buf) {
            // 0 is not "nothing yet" (that would block): it is the end of the
            // stream. The client closed its side and will send no more.
            Ok(0) => return Ok(Ending::Eof),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if is_timeout(&e) => {
                return Ok(Ending::Idle(config.idle_timeout.unwrap_or_default()));
            }
            Err(e) => return Err(e),
        };
        let data = &buf[..n];
        log.event(ServerEvent::Received {
            client,
            bytes: data,
        })?;
        // With a cut or a reset, send only what fits in the budget, then hang up.
        let budget = limit.map(|max| max.saturating_sub(echoed));
        let send = match budget {
            Some(left) if (left as usize) < data.len() => &data[..left as usize],
            _ => data,
        };
        // The echo: one write, or pieces paced as configured. The fragmenter
        // writes until every byte is out, since the kernel may take fewer bytes
        // than asked when the send buffer is full.
        let mut logged = Ok(());
        let written = fragmenter.write(conn, send, |piece| {
            if logged.is_ok() {
                logged = log.event(ServerEvent::Sent {
                    client,
                    bytes: piece,
                });
            }
        });
        match written {
            Err(e) if is_timeout(&e) => {
                return Ok(Ending::Idle(config.idle_timeout.unwrap_or_default()));
            }
            other => other?,
        }
        logged?;
        echoed += send.len() as u64;
        if limit.is_some_and(|max| echoed >= max) {
            return Ok(match shape.cut_after {
                Some(_) => Ending::Cut(echoed),
                None => Ending::Reset(echoed),
            });
        }
    }
}

/// A listener that can be told to stop: `accept` returns `None` once the flag
/// is set (a connection is made to wake the blocked `accept`).
#[derive(Debug)]
struct Stoppable {
    listener: TcpListener,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Acceptor for Stoppable {
    type Conn = std::net::TcpStream;

    fn accept(&mut self) -> io::Result<Option<(Self::Conn, SocketAddr)>> {
        let pair = Acceptor::accept(&mut self.listener)?;
        if self.stop.load(std::sync::atomic::Ordering::SeqCst) {
            return Ok(None);
        }
        Ok(pair)
    }

    fn prepare(&mut self, conn: &mut Self::Conn, config: &ServerConfig) -> io::Result<()> {
        Acceptor::prepare(&mut self.listener, conn, config)
    }
}

/// An echo server running on a thread of this process.
#[derive(Debug)]
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<io::Result<()>>>,
}

impl Running {
    /// Stop the server (after the client it is serving leaves) and wait for it.
    pub fn stop(mut self) -> io::Result<()> {
        self.shut()
    }

    fn shut(&mut self) -> io::Result<()> {
        crate::transport::net::stop_accepting(&self.stop, self.addr);
        match self.thread.take() {
            Some(t) => t
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the server thread panicked"))),
            None => Ok(()),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.shut();
    }
}

/// Start the echo server on `listener` in a thread of this process, its console
/// lines discarded. It serves `config.clients` clients (0: until stopped).
pub fn spawn(listener: TcpListener, config: ServerConfig) -> io::Result<Running> {
    let addr = listener.local_addr()?;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let acceptor = Stoppable {
        listener,
        stop: stop.clone(),
    };
    let thread = std::thread::spawn(move || serve(acceptor, &config, &mut Discard));
    Ok(Running {
        addr,
        stop,
        thread: Some(thread),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::mock::ScriptedStream;

    fn echo(config: &ServerConfig, reads: &[&[u8]]) -> (Vec<u8>, String) {
        let mut conn = ScriptedStream::from_chunks(reads);
        let mut buf = vec![0u8; config.buffer_size];
        let mut fragmenter = Fragmenter::new(config.shape.plan);
        let ending = serve_client(
            &mut conn,
            1,
            config,
            &mut buf,
            &mut fragmenter,
            &mut Discard,
        )
        .unwrap();
        (conn.written().to_vec(), format!("{ending:?}"))
    }

    #[test]
    fn echoes_every_read_byte_for_byte() {
        let (written, ending) = echo(&ServerConfig::default(), &[b"hi\n", b"\0\xff"]);
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
            echo(&config, &[b"hello"]),
            (b"hel".to_vec(), "Cut(3)".into())
        );
        // At the end of a read: the cut comes at once, not at the next read.
        assert_eq!(
            echo(&config, &[b"abc", b"def"]),
            (b"abc".to_vec(), "Cut(3)".into())
        );
    }

    /// The session's end when it fails, as the error's kind.
    fn failure(mut conn: ScriptedStream) -> io::ErrorKind {
        let config = ServerConfig::default();
        let mut buf = vec![0u8; config.buffer_size];
        let mut fragmenter = Fragmenter::new(config.shape.plan);
        serve_client(
            &mut conn,
            1,
            &config,
            &mut buf,
            &mut fragmenter,
            &mut Discard,
        )
        .expect_err("the session should fail")
        .kind()
    }

    #[test]
    fn a_signal_during_read_is_not_the_end_of_the_session() {
        let mut conn = ScriptedStream::new()
            .chunk(b"a")
            .error(io::ErrorKind::Interrupted)
            .chunk(b"b");
        let config = ServerConfig::default();
        let mut buf = vec![0u8; 16];
        let mut fragmenter = Fragmenter::new(config.shape.plan);
        let ending = serve_client(
            &mut conn,
            1,
            &config,
            &mut buf,
            &mut fragmenter,
            &mut Discard,
        )
        .unwrap();
        assert_eq!(conn.written(), b"ab");
        assert_eq!(format!("{ending:?}"), "Eof");
    }

    #[test]
    fn a_reset_is_a_failure_not_an_idle_client() {
        let read = ScriptedStream::new().error(io::ErrorKind::ConnectionReset);
        assert_eq!(failure(read), io::ErrorKind::ConnectionReset);
        let write = ScriptedStream::from_chunks([b"hi"]).failing_writes(io::ErrorKind::BrokenPipe);
        assert_eq!(failure(write), io::ErrorKind::BrokenPipe);
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
            echo(&config, &[b"hello"]),
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
            Ok(ScriptedStream::from_chunks([b"hi"])),
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
            Ok(ScriptedStream::from_chunks([b"hi"])),
            Err(io::ErrorKind::PermissionDenied.into()),
        ];
        let err = serve(ScriptedAcceptor(accepts), &config, &mut Discard).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
    }

    fn spawned(idle: Option<Duration>) -> Running {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let config = ServerConfig {
            clients: 0,
            idle_timeout: idle,
            ..ServerConfig::default()
        };
        spawn(listener, config).unwrap()
    }

    fn connect(server: &Running) -> std::net::TcpStream {
        let conn = std::net::TcpStream::connect(server.addr).unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        conn
    }

    #[test]
    fn a_spawned_server_echoes_until_stopped_then_closes_its_listener() {
        use std::io::{Read, Write};
        let server = spawned(None);
        let addr = server.addr;
        let mut conn = connect(&server);
        conn.write_all(b"hi\n").unwrap();
        let mut reply = [0u8; 3];
        conn.read_exact(&mut reply).unwrap();
        assert_eq!(&reply, b"hi\n");
        drop(conn);
        server.stop().unwrap();
        let refused = std::net::TcpStream::connect(addr).unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::ConnectionRefused);
        // Dropping a running server stops it too.
        let server = spawned(None);
        let addr = server.addr;
        drop(server);
        let refused = std::net::TcpStream::connect(addr).unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::ConnectionRefused);
    }

    #[test]
    fn a_spawned_server_drops_a_silent_client_after_the_idle_timeout() {
        use std::io::Read;
        let server = spawned(Some(Duration::from_millis(100)));
        let mut conn = connect(&server);
        // The server's read times out and it closes: our read sees the end.
        let mut byte = [0u8; 1];
        assert_eq!(conn.read(&mut byte).unwrap(), 0);
    }
}
