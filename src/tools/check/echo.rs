//! The echo server a client is checked against: every connection served at
//! once (a correct client may hold two), each read echoed in one write, up to
//! 64 KiB at a time, so that how a message comes back depends on the shape
//! only, not on how the server happened to read it.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crate::transport::accept::{self, Backoff};

/// A running echo server; dropping it stops it.
pub(super) struct Echo {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl Echo {
    /// Serve on a free loopback port; a connection silent for `idle` ends.
    pub fn start(idle: Duration) -> io::Result<Echo> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let accept = {
            let stop = stop.clone();
            thread::Builder::new()
                .name("check-echo".into())
                .spawn(move || {
                    // Out of descriptors or memory, accepts wait, longer each
                    // time, instead of spinning (see transport::accept).
                    let mut backoff = Backoff::new();
                    loop {
                        let conn = listener.accept();
                        if stop.load(Ordering::SeqCst) {
                            break;
                        }
                        let conn = match conn {
                            Ok((conn, _)) => {
                                backoff.succeeded();
                                conn
                            }
                            Err(e) if accept::short_of_resources(&e) => {
                                backoff.failed(e, Some(&stop));
                                continue;
                            }
                            Err(_) => continue,
                        };
                        // No thread for it: the connection closes, the
                        // client sees it, the server goes on.
                        let _ = thread::Builder::new().spawn(move || echo(conn, idle));
                    }
                })?
        };
        Ok(Echo {
            addr,
            stop,
            accept: Some(accept),
        })
    }
}

/// Echo every read back in one write, until the end of the stream.
fn echo(mut conn: TcpStream, idle: Duration) {
    let _ = conn.set_nodelay(true);
    let _ = conn.set_read_timeout(Some(idle));
    let mut buf = vec![0u8; 64 * 1024];
    while let Ok(n) = conn.read(&mut buf) {
        if n == 0 || conn.write_all(&buf[..n]).is_err() {
            break;
        }
    }
}

impl Drop for Echo {
    fn drop(&mut self) {
        crate::transport::net::stop_accepting(&self.stop, self.addr);
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}
