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
//! [`Acceptor`]), so tests and scenarios can hand it port 0. What the book's
//! server does not have lives elsewhere: the shaping a class can ask for (late
//! reads, echoes split and paced, sessions cut short) in [`crate::shape::conn`],
//! the switches and their limits in `cli`, and a server on a thread of this
//! process (for the bench and for tests) in [`crate::tools::spawned`].

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use crate::event::{Ending, ServerEvent, ServerLog, is_timeout};
use crate::shape::Shape;
use crate::shape::conn::{ShapedConn, Shaper};
use crate::transport::Transport;
use crate::transport::accept::{self, Backoff, Burst};

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

/// The listen queue the book's server asks for: `listen(servSock, 5)`.
pub const BOOK_BACKLOG: u32 = 5;

/// The book's buffer, `#define BUF_SIZE 1024` in both programs: the server
/// reads up to `BUF_SIZE` bytes, the client `BUF_SIZE - 1` (it keeps one for
/// the `'\0'` it writes after them).
pub const BOOK_BUF_SIZE: usize = 1024;

/// How the server behaves. `Default` is the book's server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Serve this many clients, then close the listener and return (0: forever).
    pub clients: usize,
    /// Size of the read buffer: the most one read can return.
    pub buffer_size: usize,
    /// How the echo is shaped: split and paced writes, a late read, a cut or a
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
            buffer_size: BOOK_BUF_SIZE,
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
    // The shape a class asked for (none: the book's server), applied to each
    // client's connection in turn.
    let mut shaper = Shaper::new(config.shape);
    let mut served = 0;
    // Waits between accepts that fail for want of descriptors or memory.
    let mut backoff = Backoff::new();

    while config.clients == 0 || served < config.clients {
        // 4. accept() blocks until the kernel has a connection whose handshake
        // is complete. Clients that connected meanwhile wait in the listen
        // backlog: their connect() has already returned.
        let (mut conn, peer) = match acceptor.accept() {
            Ok(Some(pair)) => pair,
            Ok(None) => break,
            // A client that gave up between the handshake and our accept.
            Err(e) if e.kind() == io::ErrorKind::ConnectionAborted => continue,
            // Out of descriptors or memory: the client waits in the queue
            // while the server waits a moment, longer each time, and tries
            // again (trying at once would spin).
            Err(e) if accept::short_of_resources(&e) => {
                tell(backoff.failed(e, None), log)?;
                continue;
            }
            Err(e) => return Err(e),
        };
        tell(backoff.succeeded(), log)?;
        served += 1;
        let client = served;
        log.event(ServerEvent::Accepted { client, peer })?;
        let session = acceptor.prepare(&mut conn, config).and_then(|()| {
            let mut shaped = shaper.shape(&mut conn, client);
            echo(&mut shaped, client, &mut buf, config, log)
        });
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

/// Tell `log` of failed accepts, when some are to be told: one line for
/// many.
fn tell(burst: Option<Burst>, log: &mut dyn ServerLog) -> io::Result<()> {
    match burst {
        Some(b) => log.event(ServerEvent::AcceptFailed {
            count: b.count,
            over: b.over,
            reason: &b.reason(),
        }),
        None => Ok(()),
    }
}

/// Step 5, read() / write(): echo one client's bytes back until it closes;
/// returns how the session ended. This is the book's loop,
///
/// ```c
/// while ((strLen = read(clientSock, message, BUF_SIZE)) != 0) {
///     printf("Message from client : %s", message);
///     write(clientSock, message, strLen);
/// }
/// ```
///
/// with what C leaves to the reader said aloud: a signal, a timeout, an error.
/// The shaping a class may ask for (a late read, an echo split into paced
/// chunks, a session cut short) is `conn`'s, not the loop's: see
/// [`crate::shape::conn`].
fn echo<T: Transport>(
    conn: &mut ShapedConn<'_, T>,
    client: usize,
    buf: &mut [u8],
    config: &ServerConfig,
    log: &mut dyn ServerLog,
) -> io::Result<Ending<'static>> {
    let idle = Ending::Idle(config.idle_timeout.unwrap_or_default());
    loop {
        // 5. read(): whatever has arrived, up to the buffer size. The server
        // does not care where the client's messages begin or end; it echoes bytes.
        let n = match conn.read(buf) {
            // 0 is not "nothing yet" (that would block): it is the end of the
            // stream. The client closed its side and will send no more.
            Ok(0) => return Ok(Ending::Eof),
            Ok(n) => n,
            // A signal interrupted the wait before any byte came: read again.
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            // The client sent nothing for the idle timeout: drop it.
            Err(e) if is_timeout(&e) => return Ok(idle),
            Err(e) => return Err(e),
        };
        // The book's printf: what this one read returned, a message or part
        // of one or several, exactly as it came.
        let message = &buf[..n];
        log.event(ServerEvent::Received {
            client,
            bytes: message,
        })?;
        // 5. write(): the same bytes back. If the kernel takes fewer than asked
        // (its send buffer is full), the rest is written by further calls.
        match conn.write(message, log) {
            // The client reads nothing and its window is full: drop it.
            Err(e) if is_timeout(&e) => return Ok(idle),
            other => other?,
        }
        // A server shaped to vanish mid-reply hangs up here.
        if let Some(ending) = conn.ended() {
            return Ok(ending);
        }
    }
}

#[cfg(test)]
mod tests;
