//! The four measurements, each bounded in count and in time: round trips,
//! a stream's throughput, connections per second, and a queue of clients.

use std::io::{self, IsTerminal, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use super::{Connects, Latency, Options, Queue, Throughput, peak_rss_kib};

/// What went wrong while measuring.
fn ctx(what: &str, addr: SocketAddr) -> impl Fn(io::Error) -> io::Error + '_ {
    move |e| io::Error::new(e.kind(), format!("{what} {addr}: {e}"))
}

struct Progress {
    on: bool,
    label: &'static str,
    last: Instant,
}

impl Progress {
    fn new(label: &'static str, opts: &Options) -> Self {
        Progress {
            on: opts.progress && io::stderr().is_terminal(),
            label,
            last: Instant::now(),
        }
    }

    fn show(&mut self, done: u64, total: u64) {
        if self.on && self.last.elapsed() > Duration::from_millis(200) {
            self.last = Instant::now();
            eprint!("\r{}: {done}/{total}   ", self.label);
        }
    }

    fn done(&self) {
        if self.on {
            eprint!("\r{:60}\r", "");
        }
    }
}

pub(super) fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let s = TcpStream::connect(addr).map_err(ctx("cannot connect to", addr))?;
    s.set_nodelay(true)?;
    // A server that stops answering ends the run with an error, not a hang.
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    Ok(s)
}

fn latency(mut samples: Vec<Duration>) -> Latency {
    samples.sort();
    let n = samples.len().max(1);
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let pick = |q: f64| samples.get(((n as f64 * q) as usize).min(n - 1)).copied();
    Latency {
        count: samples.len(),
        p50_us: pick(0.50).map(us).unwrap_or(0.0),
        p99_us: pick(0.99).map(us).unwrap_or(0.0),
        mean_us: samples.iter().map(|&d| us(d)).sum::<f64>() / n as f64,
    }
}

/// How many alternating batches `rtt` splits its round trips into,
/// so that drift on the machine (clock speed, other load) hits both sides alike.
const BATCHES: usize = 10;

/// `count` round trips of `size` bytes to each of `addrs`, after `warmup`, in
/// alternating batches; returns one latency summary per address.
pub fn rtt(addrs: &[SocketAddr], opts: &Options) -> io::Result<Vec<Latency>> {
    let mut conns = addrs
        .iter()
        .map(|&a| connect(a).map(|s| (a, s)))
        .collect::<io::Result<Vec<_>>>()?;
    let msg = vec![b'x'; opts.size.max(1)];
    let mut back = vec![0u8; msg.len()];
    let deadline = Instant::now() + opts.max_time;
    let mut progress = Progress::new("rtt", opts);
    // Warm up every connection alike, within a quarter of the time allowed.
    let warm_until = Instant::now() + opts.max_time / 4;
    'warm: for _ in 0..opts.warmup {
        for (addr, s) in &mut conns {
            if Instant::now() > warm_until {
                break 'warm;
            }
            s.write_all(&msg)?;
            s.read_exact(&mut back).map_err(ctx("echo from", *addr))?;
        }
    }
    let mut samples = vec![Vec::with_capacity(opts.count); conns.len()];
    let per_batch = opts.count.div_ceil(BATCHES).max(1);
    let total = (opts.count * conns.len()) as u64;
    let n_conns = conns.len() as u32;
    'batches: for b in 0..BATCHES {
        for (i, (addr, s)) in conns.iter_mut().enumerate() {
            // Each batch gets its share of the time left, so that a count too
            // large for the time still measures every address.
            let left = deadline.saturating_duration_since(Instant::now());
            let share = left / ((BATCHES - b) as u32 * n_conns);
            let batch_end = Instant::now() + share;
            for _ in 0..per_batch.min(opts.count - samples[i].len()) {
                let t = Instant::now();
                s.write_all(&msg)?;
                // read_exact: the echo may come back in pieces; a round trip
                // ends when all of it is back.
                s.read_exact(&mut back).map_err(ctx("echo from", *addr))?;
                samples[i].push(t.elapsed());
                let now = Instant::now();
                if now > deadline {
                    break 'batches;
                }
                if now > batch_end {
                    break;
                }
            }
            let done: usize = samples.iter().map(Vec::len).sum();
            progress.show(done as u64, total);
        }
    }
    progress.done();
    Ok(samples.into_iter().map(latency).collect())
}

/// A writer thread sends `bytes` in writes of `write_size`; the reader reads
/// the echo back. Measures the whole trip.
pub fn throughput(addr: SocketAddr, opts: &Options) -> io::Result<Throughput> {
    let s = connect(addr)?;
    let mut writer = s.try_clone()?;
    let total = opts.bytes;
    let chunk = opts.write_size.max(1);
    let deadline = Instant::now() + opts.max_time;
    let start = Instant::now();
    let send = thread::spawn(move || -> io::Result<u64> {
        let buf = vec![b'y'; chunk];
        let mut sent = 0u64;
        while sent < total && Instant::now() < deadline {
            let n = chunk.min((total - sent) as usize);
            writer.write_all(&buf[..n])?;
            sent += n as u64;
        }
        writer.shutdown(Shutdown::Write)?;
        Ok(sent)
    });
    let mut reader = s;
    let mut buf = vec![0u8; chunk];
    let mut got = 0u64;
    let mut progress = Progress::new("throughput", opts);
    let mut peak = None;
    let mut next_sample = 0u64;
    loop {
        let n = reader.read(&mut buf).map_err(ctx("echo from", addr))?;
        if n == 0 {
            break;
        }
        got += n as u64;
        progress.show(got, total);
        if let Some(pid) = opts.watch_pid.filter(|_| got >= next_sample) {
            next_sample = got + 8 * 1024 * 1024;
            peak = peak.max(peak_rss_kib(pid));
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    progress.done();
    let sent = send
        .join()
        .map_err(|_| io::Error::other("writer thread panicked"))??;
    if got != sent {
        return Err(io::Error::other(format!(
            "sent {sent} bytes but {got} came back"
        )));
    }
    Ok(Throughput {
        bytes: got,
        seconds,
        mb_per_s: got as f64 / seconds / 1e6,
        peak_rss_kib: peak,
    })
}

/// `count` times: connect, one echo of `size` bytes, close.
pub fn connects(addr: SocketAddr, opts: &Options) -> io::Result<Connects> {
    let msg = vec![b'z'; opts.size.max(1)];
    let mut back = vec![0u8; msg.len()];
    let deadline = Instant::now() + opts.max_time;
    let start = Instant::now();
    let mut progress = Progress::new("connect", opts);
    let mut count = 0;
    while count < opts.count && Instant::now() < deadline {
        let mut s = connect(addr)?;
        s.write_all(&msg)?;
        s.read_exact(&mut back).map_err(ctx("echo from", addr))?;
        drop(s);
        count += 1;
        progress.show(count as u64, opts.count as u64);
    }
    progress.done();
    let seconds = start.elapsed().as_secs_f64();
    Ok(Connects {
        count,
        seconds,
        per_s: count as f64 / seconds,
    })
}

/// `clients` clients connect at the same moment; each sends one message, waits
/// for its echo, keeps the connection for `hold`, and closes. Returns the waits
/// from connect to echo, in the order the echoes came.
pub fn queue(addr: SocketAddr, opts: &Options) -> io::Result<Queue> {
    let k = opts.clients.max(1);
    let barrier = Arc::new(Barrier::new(k));
    let hold = opts.hold;
    let start = Instant::now();
    let size = opts.size.max(1);
    let workers: Vec<_> = (0..k)
        .map(|_| {
            let barrier = barrier.clone();
            thread::spawn(move || -> io::Result<(Instant, Duration)> {
                barrier.wait();
                let t = Instant::now();
                let mut s = connect(addr)?;
                s.set_read_timeout(Some(hold * (k as u32 + 1) + Duration::from_secs(10)))?;
                let msg = vec![b'q'; size];
                s.write_all(&msg)?;
                let mut back = vec![0u8; size];
                s.read_exact(&mut back).map_err(|e| {
                    if crate::event::is_timeout(&e) {
                        io::Error::new(
                            io::ErrorKind::TimedOut,
                            format!(
                                "a client got no echo from {addr} in time: with {k} clients \
                                 queued, the server (or the kernel's listen queue) did not \
                                 keep up; try a smaller --concurrent or --hold-ms"
                            ),
                        )
                    } else {
                        ctx("echo from", addr)(e)
                    }
                })?;
                let done = Instant::now();
                thread::sleep(hold);
                Ok((done, done - t))
            })
        })
        .collect();
    let mut results = Vec::with_capacity(k);
    for w in workers {
        results.push(
            w.join()
                .map_err(|_| io::Error::other("client thread panicked"))??,
        );
    }
    results.sort_by_key(|(done, _)| *done);
    Ok(Queue {
        waits_ms: results
            .iter()
            .map(|(_, wait)| wait.as_secs_f64() * 1e3)
            .collect(),
        echoed_at_ms: results
            .iter()
            .map(|(done, _)| (*done - start).as_secs_f64() * 1e3)
            .collect(),
        hold_ms: hold.as_secs_f64() * 1e3,
    })
}
