//! The reference every figure is printed beside: a raw loopback pair measured
//! in the same run, doing nothing but moving bytes.

use std::io::{self, Read};
use std::net::{Shutdown, TcpListener};
use std::thread;
use std::time::Instant;

use super::conn::{Deadline, MeasuredConn};
use super::{Options, Throughput};
use crate::tools::echo::{Echo, Serving};

/// A loopback echo that does no echo-server work: per connection, read what
/// comes and write it back. `threaded`: a thread per connection (for `queue`).
/// It stops when dropped.
pub(super) fn raw_echo(threaded: bool) -> io::Result<Echo> {
    let serving = match threaded {
        true => Serving::AtOnce,
        false => Serving::OneAtATime,
    };
    Echo::start(serving, None)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot start the raw loopback echo: {e}")))
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
    let mut w = MeasuredConn::connect(addr, deadline)?;
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
