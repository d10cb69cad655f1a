//! The four measurements, each bounded in count and in time: round trips,
//! a stream's throughput, connections per second, and a queue of clients.
//! Every read and write goes through [`MeasuredConn`]: bounded by the measurement's
//! end, and every echo checked.

use std::io::{self, IsTerminal};
use std::net::{Shutdown, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use super::conn::{Deadline, MeasuredConn, STALL, message};
use super::{ConnectRate, Latency, Options, Queue, Throughput, peak_rss_kib};

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
/// alternating batches; returns one latency summary per address. Every echo is
/// checked against what was sent.
pub fn rtt(addrs: &[SocketAddr], opts: &Options) -> io::Result<Vec<Latency>> {
    let deadline = Deadline::after(opts.max_time);
    let mut conns = addrs
        .iter()
        .map(|&a| MeasuredConn::connect(a, deadline))
        .collect::<io::Result<Vec<_>>>()?;
    let size = opts.size.max(1);
    let mut msg = vec![0u8; size];
    let mut back = vec![0u8; size];
    let mut rounds = vec![0usize; conns.len()];
    let started = Instant::now();
    let mut progress = Progress::new("rtt", opts);
    // Warm up every connection alike, within a quarter of the time allowed.
    let warm_until = started + opts.max_time / 4;
    'warm: for _ in 0..opts.warmup {
        for (s, round) in conns.iter_mut().zip(&mut rounds) {
            if Instant::now() > warm_until {
                break 'warm;
            }
            *round += 1;
            message(*round, &mut msg);
            s.round_trip(&msg, &mut back, *round)?;
        }
    }
    let mut samples = vec![Vec::with_capacity(opts.count); conns.len()];
    let per_batch = opts.count.div_ceil(BATCHES).max(1);
    let total = (opts.count * conns.len()) as u64;
    let n_conns = conns.len() as u32;
    let end = started + opts.max_time;
    'batches: for b in 0..BATCHES {
        for (i, s) in conns.iter_mut().enumerate() {
            // Each batch gets its share of the time left, so that a count too
            // large for the time still measures every address.
            let left = end.saturating_duration_since(Instant::now());
            let share = left / ((BATCHES - b) as u32 * n_conns);
            let batch_end = Instant::now() + share;
            for _ in 0..per_batch.min(opts.count - samples[i].len()) {
                rounds[i] += 1;
                message(rounds[i], &mut msg);
                // The echo may come back in chunks; a round trip ends when
                // all of it is back, and counts only if it is what was sent.
                let took = s.round_trip(&msg, &mut back, rounds[i])?;
                samples[i].push(took);
                let now = Instant::now();
                if deadline.passed() {
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
/// the echo back. Measures the whole trip. A server that sends back more than
/// it was sent is not echoing, and is told so at once.
pub fn throughput(addr: SocketAddr, opts: &Options) -> io::Result<Throughput> {
    let deadline = Deadline::after(opts.max_time);
    let mut reader = MeasuredConn::connect(addr, deadline)?;
    let mut writer = reader.try_clone()?;
    let total = opts.bytes;
    let chunk = opts.write_size.max(1);
    let start = Instant::now();
    let sent = Arc::new(AtomicU64::new(0));
    let sending = sent.clone();
    let send =
        thread::Builder::new()
            .name("bench-writer".into())
            .spawn(move || -> io::Result<()> {
                let buf = vec![b'y'; chunk];
                let mut done = 0u64;
                while done < total && !deadline.passed() {
                    let n = chunk.min((total - done) as usize);
                    writer.send(&buf[..n], |k| {
                        sending.fetch_add(k as u64, Ordering::Relaxed);
                    })?;
                    done += n as u64;
                }
                writer.shutdown(Shutdown::Write)
            })?;
    let mut buf = vec![0u8; chunk];
    let mut got = 0u64;
    let mut progress = Progress::new("throughput", opts);
    let mut peak = None;
    let mut next_sample = 0u64;
    let read = loop {
        let n = match reader.receive(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                let written = sent.load(Ordering::Relaxed);
                break Err(io::Error::new(
                    e.kind(),
                    format!("{e}; {got} of the {written} bytes sent came back"),
                ));
            }
            Err(e) => break Err(e),
        };
        got += n as u64;
        // What is back can be at most what was written, plus the write under
        // way (its bytes may be echoed before it returns).
        let written = sent.load(Ordering::Relaxed);
        if got > written + chunk as u64 {
            break Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{addr} sent back more than it was sent ({got} bytes back, {written} \
                     sent): it is not echoing"
                ),
            ));
        }
        progress.show(got, total);
        if let Some(pid) = opts.watch_pid.filter(|_| got >= next_sample) {
            next_sample = got + 8 * 1024 * 1024;
            peak = peak.max(peak_rss_kib(pid));
        }
    };
    let seconds = start.elapsed().as_secs_f64();
    progress.done();
    if read.is_err() {
        // Free a writer waiting on a server that is not reading.
        let _ = reader.shutdown(Shutdown::Both);
    }
    let wrote = send
        .join()
        .map_err(|_| io::Error::other("the bench's writer thread panicked"))?;
    read?;
    wrote?;
    let sent = sent.load(Ordering::Relaxed);
    if got != sent {
        return Err(io::Error::other(format!(
            "{addr} echoed {got} of the {sent} bytes sent"
        )));
    }
    Ok(Throughput {
        bytes: got,
        seconds,
        mb_per_s: got as f64 / seconds / 1e6,
        peak_rss_kib: peak,
    })
}

/// `count` times: connect, one echo of `size` bytes (checked), close.
pub fn connects(addr: SocketAddr, opts: &Options) -> io::Result<ConnectRate> {
    let deadline = Deadline::after(opts.max_time);
    let mut msg = vec![0u8; opts.size.max(1)];
    let mut back = vec![0u8; msg.len()];
    let start = Instant::now();
    let mut progress = Progress::new("connect", opts);
    let mut count = 0;
    while count < opts.count && !deadline.passed() {
        let mut s = MeasuredConn::connect(addr, deadline)?;
        message(count + 1, &mut msg);
        s.round_trip(&msg, &mut back, count + 1)?;
        drop(s);
        count += 1;
        progress.show(count as u64, opts.count as u64);
    }
    progress.done();
    let seconds = start.elapsed().as_secs_f64();
    Ok(ConnectRate {
        count,
        seconds,
        per_s: count as f64 / seconds,
    })
}

/// `clients` clients connect at the same moment; each sends one message, waits
/// for its echo (checked), keeps the connection for `hold`, and closes.
/// Returns the waits from connect to echo, in the order the echoes came.
pub fn queue(addr: SocketAddr, opts: &Options) -> io::Result<Queue> {
    let deadline = Deadline::after(opts.max_time);
    let k = opts.clients.max(1);
    let barrier = Arc::new(Barrier::new(k));
    let hold = opts.hold;
    let start = Instant::now();
    let size = opts.size.max(1);
    let workers = (0..k)
        .map(|i| {
            let barrier = barrier.clone();
            thread::Builder::new()
                .name(format!("bench-client-{}", i + 1))
                .spawn(move || -> io::Result<(Instant, Duration)> {
                    barrier.wait();
                    let t = Instant::now();
                    let mut s = MeasuredConn::connect(addr, deadline)?;
                    // A client waits for the ones served before it.
                    let stall = hold * (k as u32 + 1) + STALL;
                    s.set_stall(stall);
                    let mut msg = vec![0u8; size];
                    message(i + 1, &mut msg);
                    let mut back = vec![0u8; size];
                    s.round_trip(&msg, &mut back, i + 1).map_err(|e| {
                        if e.kind() == io::ErrorKind::TimedOut && !deadline.passed() {
                            io::Error::new(
                                io::ErrorKind::TimedOut,
                                format!(
                                    "a client got no echo from {addr} in {} s: with {k} clients \
                                     queued, the server (or the kernel's listen queue) did not \
                                     keep up; try a smaller --concurrent or --hold-ms",
                                    stall.as_secs()
                                ),
                            )
                        } else {
                            e
                        }
                    })?;
                    let done = Instant::now();
                    thread::sleep(hold);
                    Ok((done, done - t))
                })
        })
        .collect::<io::Result<Vec<_>>>()?;
    let mut results = Vec::with_capacity(k);
    for w in workers {
        results.push(
            w.join()
                .map_err(|_| io::Error::other("a bench client thread panicked"))??,
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
