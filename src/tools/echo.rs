//! A throwaway echo server on threads of this process: what `check` checks
//! a client against, and the bench's raw reference. Not the lesson's server
//! (see [`crate::tools::spawned`] for that one): each read is echoed in one
//! write, up to 64 KiB at a time, so that how a message comes back depends
//! on whatever shapes it on the way, not on how this server read it.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crate::transport::accept::{self, Backoff};

/// How the echo serves its connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Serving {
    /// Every connection at once, a thread each (a correct client may hold
    /// two; the bench's queue measures many).
    AtOnce,
    /// One connection after another, on the accepting thread.
    OneAtATime,
}

/// A running echo; dropping it stops it.
#[derive(Debug)]
pub struct Echo {
    /// Where it listens (a free loopback port).
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl Echo {
    /// Serve on a free loopback port; a connection silent for `idle` (when
    /// given) ends.
    pub fn start(serving: Serving, idle: Option<Duration>) -> io::Result<Echo> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let accept = {
            let stop = stop.clone();
            thread::Builder::new().name("echo".into()).spawn(move || {
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
                    match serving {
                        // No thread for it: the connection closes, the
                        // client sees it, the server goes on.
                        Serving::AtOnce => {
                            let _ = thread::Builder::new().spawn(move || echo(conn, idle));
                        }
                        Serving::OneAtATime => echo(conn, idle),
                    }
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
fn echo(mut conn: TcpStream, idle: Option<Duration>) {
    let _ = conn.set_nodelay(true);
    let _ = conn.set_read_timeout(idle);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_way_of_serving_echoes_every_byte_and_stops_when_dropped() {
        for serving in [Serving::AtOnce, Serving::OneAtATime] {
            let echo = Echo::start(serving, Some(Duration::from_secs(10))).unwrap();
            let mut c = TcpStream::connect(echo.addr).unwrap();
            c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let sent: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
            let writer = {
                let mut w = c.try_clone().unwrap();
                let sent = sent.clone();
                thread::spawn(move || w.write_all(&sent).unwrap())
            };
            let mut got = vec![0u8; sent.len()];
            c.read_exact(&mut got).unwrap();
            writer.join().unwrap();
            assert_eq!(got, sent, "{serving:?}");
            drop(c);
            // Dropped, it stops: its accepting thread is joined (the port
            // itself may be anyone's again at once, another test's).
            drop(echo);
        }
    }
}
