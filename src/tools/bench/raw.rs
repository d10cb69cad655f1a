//! The reference every figure is printed beside: a raw loopback pair measured
//! in the same run, doing nothing but moving bytes.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Instant;

use super::conn::{Conn, Deadline};
use super::{Options, Throughput};

/// A loopback echo that does no echo-server work: per connection, read what
/// comes and write it back. `threaded`: a thread per connection (for `queue`).
/// It stops when dropped.
pub(super) struct RawEcho {
    pub(super) addr: SocketAddr,
    stop: Arc<AtomicBool>,
    handle: Option<thread::JoinHandle<()>>,
}

impl RawEcho {
    pub(super) fn start(threaded: bool) -> io::Result<RawEcho> {
        let cannot = |e: io::Error| {
            io::Error::new(e.kind(), format!("cannot start the raw loopback echo: {e}"))
        };
        let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(cannot)?;
        let addr = listener.local_addr().map_err(cannot)?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let handle = thread::Builder::new().spawn(move || {
            for conn in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut s) = conn else { break };
                let _ = s.set_nodelay(true);
                let mut work = move || {
                    let mut buf = vec![0u8; 64 * 1024];
                    while let Ok(n) = s.read(&mut buf) {
                        if n == 0 || s.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                };
                if threaded {
                    // No thread for this client: it is refused (closed),
                    // and the bench that made it says so.
                    let _ = thread::Builder::new().spawn(work);
                } else {
                    work();
                }
            }
        });
        let handle = handle.map_err(cannot)?;
        Ok(RawEcho {
            addr,
            stop,
            handle: Some(handle),
        })
    }
}

impl Drop for RawEcho {
    fn drop(&mut self) {
        crate::transport::net::stop_accepting(&self.stop, self.addr);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// The raw limit for throughput: a writer → reader pair on loopback, no echo.
pub fn raw_throughput(opts: &Options) -> io::Result<Throughput> {
    let listener = TcpListener::bind(("127.0.0.1", 0))?;
    let addr = listener.local_addr()?;
    let chunk = opts.write_size.max(1);
    let reader = thread::spawn(move || -> io::Result<u64> {
        let (mut s, _) = listener.accept()?;
        let mut buf = vec![0u8; chunk];
        let mut got = 0u64;
        loop {
            let n = s.read(&mut buf)?;
            if n == 0 {
                return Ok(got);
            }
            got += n as u64;
        }
    });
    let deadline = Deadline::after(opts.max_time);
    let mut w = Conn::connect(addr, deadline)?;
    let buf = vec![b'y'; chunk];
    let start = Instant::now();
    let mut sent = 0u64;
    while sent < opts.bytes && !deadline.passed() {
        let n = chunk.min((opts.bytes - sent) as usize);
        w.send(&buf[..n], |_| {})?;
        sent += n as u64;
    }
    w.shutdown(Shutdown::Write)?;
    let got = reader
        .join()
        .map_err(|_| io::Error::other("reader thread panicked"))??;
    let seconds = start.elapsed().as_secs_f64();
    Ok(Throughput {
        bytes: got,
        seconds,
        mb_per_s: got as f64 / seconds / 1e6,
        peak_rss_kib: None,
    })
}
