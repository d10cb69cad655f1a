//! The echo server on a thread of this process: for `tcp-boundary bench
//! --spawn-server`, for the proxy's example and for tests. The lesson's
//! server knows nothing of threads; this is the harness around it.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use crate::event::Discard;
use crate::lesson::server::{Acceptor, ServerConfig, serve};

/// A listener that can be told to stop: `accept` returns `None` once the flag
/// is set (a connection is made to wake the blocked `accept`).
#[derive(Debug)]
struct Stoppable {
    listener: TcpListener,
    stop: Arc<AtomicBool>,
}

impl Acceptor for Stoppable {
    type Conn = TcpStream;

    fn accept(&mut self) -> io::Result<Option<(Self::Conn, SocketAddr)>> {
        let pair = Acceptor::accept(&mut self.listener)?;
        if self.stop.load(Ordering::SeqCst) {
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
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<io::Result<()>>>,
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
    let stop = Arc::new(AtomicBool::new(false));
    let acceptor = Stoppable {
        listener,
        stop: stop.clone(),
    };
    let thread = thread::spawn(move || serve(acceptor, &config, &mut Discard));
    Ok(Running {
        addr,
        stop,
        thread: Some(thread),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn spawned(idle: Option<Duration>) -> Running {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let config = ServerConfig {
            clients: 0,
            idle_timeout: idle,
            ..ServerConfig::default()
        };
        spawn(listener, config).unwrap()
    }

    fn connect(server: &Running) -> TcpStream {
        let conn = TcpStream::connect(server.addr).unwrap();
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
        let refused = TcpStream::connect(addr).unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::ConnectionRefused);
        // Dropping a running server stops it too.
        let server = spawned(None);
        let addr = server.addr;
        drop(server);
        let refused = TcpStream::connect(addr).unwrap_err();
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
