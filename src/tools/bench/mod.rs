//! `tcp-boundary bench`: measure an echo server against the loopback limit.
//!
//! Every figure is printed beside the same measurement made, in the same run, on
//! a *raw* loopback pair: a writer and a reader, or a ping-pong thread that does
//! nothing but read and write back. That is the limit of this machine today, and
//! the ratio says how close the echo server comes to it.
//!
//! Every run is bounded in count and in time (`max_time`): a slow server gives a
//! shorter run, never a hung one.

use std::io::{self, IsTerminal, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use serde::Serialize;

mod print;
mod raw;

pub use print::print;
use raw::RawEcho;
pub use raw::raw_throughput;

/// The most bytes `--bytes` may stream: 64 GiB.
pub const MAX_STREAM: u64 = 64 << 30;
/// The largest write (`--write-size`): 16 MiB.
pub const MAX_WRITE: u64 = 16 << 20;
/// The largest round-trip message (`--size`): 64 KiB. Each round trip writes
/// the whole message before it reads the echo, so it must fit the socket
/// buffers between the two ends, or both would wait in `write` for good.
pub const MAX_MESSAGE: u64 = 64 << 10;
/// The most round trips or connections (`--count`, `--warmup`).
pub const MAX_COUNT: u64 = 10_000_000;
/// The longest hold of a queued client (`--hold-ms`): 60 s.
pub const MAX_HOLD_MS: u64 = 60_000;

/// What to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Round trips of a small message, one after another: latency.
    Rtt,
    /// A writer thread and a reader thread on one connection: bytes per second.
    Throughput,
    /// Connect, one echo, close, again and again: connections per second.
    Connect,
    /// K clients connect at once; each waits for the ones served before it.
    Queue,
}

/// How much to measure.
#[derive(Debug, Clone)]
pub struct Options {
    /// Round trips (rtt) or connections (connect).
    pub count: usize,
    /// Bytes per round trip (rtt, connect, queue).
    pub size: usize,
    /// Round trips before measuring (rtt).
    pub warmup: usize,
    /// Bytes to stream (throughput).
    pub bytes: u64,
    /// Bytes per write (throughput).
    pub write_size: usize,
    /// Clients that connect at once (queue).
    pub clients: usize,
    /// How long each queued client keeps the server after its echo (queue).
    pub hold: Duration,
    /// Stop measuring after this long, whatever the counts.
    pub max_time: Duration,
    /// Show progress on stderr (only when it is a terminal).
    pub progress: bool,
    /// Sample this process's peak memory while streaming (the server's pid):
    /// a server that exits after its client cannot be asked afterwards.
    pub watch_pid: Option<u32>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            count: 20_000,
            size: 16,
            warmup: 1_000,
            bytes: 256 * 1024 * 1024,
            write_size: 64 * 1024,
            clients: 5,
            hold: Duration::from_millis(100),
            max_time: Duration::from_secs(60),
            progress: true,
            watch_pid: None,
        }
    }
}

/// Latency figures, in microseconds.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Latency {
    /// Round trips measured.
    pub count: usize,
    /// Median.
    pub p50_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
    /// Mean.
    pub mean_us: f64,
}

/// Throughput figures.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Throughput {
    /// Bytes that made the whole trip.
    pub bytes: u64,
    /// Seconds it took.
    pub seconds: f64,
    /// Megabytes (10^6 bytes) per second.
    pub mb_per_s: f64,
    /// The highest peak RSS (KiB) seen of the watched process while streaming.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_rss_kib: Option<u64>,
}

impl Throughput {
    /// Add another measurement to this one.
    fn add(&mut self, other: Throughput) {
        self.bytes += other.bytes;
        self.seconds += other.seconds;
        self.mb_per_s = if self.seconds > 0.0 {
            self.bytes as f64 / self.seconds / 1e6
        } else {
            0.0
        };
    }
}

/// Connection-rate figures.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Connects {
    /// Connections made (each with one echo).
    pub count: usize,
    /// Seconds it took.
    pub seconds: f64,
    /// Connections per second.
    pub per_s: f64,
}

/// Queue figures: each client's wait from connect to echo, in the order served.
#[derive(Debug, Clone, Serialize)]
pub struct Queue {
    /// Milliseconds from connect to echo, first served first.
    pub waits_ms: Vec<f64>,
    /// When each echo came, in milliseconds after the clients were released.
    pub echoed_at_ms: Vec<f64>,
    /// How long each client kept the server after its echo.
    pub hold_ms: f64,
}

/// One mode's figures for the server and for the raw loopback pair.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "mode", rename_all = "lowercase")]
pub enum Figures {
    /// `rtt`.
    Rtt {
        /// The echo server.
        server: Latency,
        /// The raw ping-pong.
        raw: Latency,
    },
    /// `throughput`.
    Throughput {
        /// The echo server.
        server: Throughput,
        /// The raw writer → reader pair.
        raw: Throughput,
    },
    /// `connect`.
    Connect {
        /// The echo server.
        server: Connects,
        /// A raw accept-echo-close thread.
        raw: Connects,
    },
    /// `queue`.
    Queue {
        /// The iterative echo server.
        server: Queue,
        /// A raw server with a thread per client.
        raw: Queue,
    },
}

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

fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
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

/// Run `mode` against the server at `addr`, then the same against a raw pair.
///
/// `opts.max_time` bounds the whole run: each part gets a share of it, and the
/// queue's holds are checked against it before anything connects.
pub fn run(mode: Mode, addr: SocketAddr, opts: &Options) -> io::Result<Figures> {
    let half = Options {
        max_time: opts.max_time / 2,
        ..opts.clone()
    };
    Ok(match mode {
        Mode::Rtt => {
            let raw_echo = RawEcho::start(false)?;
            let mut both = rtt(&[addr, raw_echo.addr], opts)?.into_iter();
            let (Some(server), Some(raw)) = (both.next(), both.next()) else {
                return Err(io::Error::other("no round trips measured"));
            };
            Figures::Rtt { server, raw }
        }
        Mode::Throughput => {
            // The server's stream goes over one connection (a server may serve
            // only one client); the raw pair is measured half before and half
            // after it, so that drift on the machine weighs on both alike.
            let quarter = Options {
                bytes: opts.bytes.div_ceil(2),
                max_time: opts.max_time / 4,
                ..opts.clone()
            };
            let mut raw = raw_throughput(&quarter)?;
            let server = throughput(addr, &half)?;
            raw.add(raw_throughput(&quarter)?);
            Figures::Throughput { server, raw }
        }
        Mode::Connect => {
            let server = connects(addr, &half)?;
            // One connection at a time, like the server measured.
            let raw = connects(RawEcho::start(false)?.addr, &half)?;
            Figures::Connect { server, raw }
        }
        Mode::Queue => {
            // Each client holds the server in turn, once for the server and once
            // for the raw pair: the holds alone must fit the time allowed.
            let holds = opts.hold * (opts.clients as u32) * 2;
            if holds > opts.max_time {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "{} clients holding {} ms each need {} s, more than the {} s allowed \
                         (--max-seconds)",
                        opts.clients,
                        opts.hold.as_millis(),
                        holds.as_secs(),
                        opts.max_time.as_secs()
                    ),
                ));
            }
            let server = queue(addr, opts)?;
            let raw = queue(RawEcho::start(true)?.addr, opts)?;
            Figures::Queue { server, raw }
        }
    })
}

/// Peak resident memory of process `pid` (Linux `VmHWM`), in KiB.
///
/// ```
/// let me = std::process::id();
/// assert!(tcp_boundary::tools::bench::peak_rss_kib(me).unwrap_or(1) > 0);
/// ```
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

impl Figures {
    /// The peak memory of the watched process seen during the run, if any.
    pub fn sampled_peak_rss_kib(&self) -> Option<u64> {
        match self {
            Figures::Throughput { server, .. } => server.peak_rss_kib,
            _ => None,
        }
    }
}
