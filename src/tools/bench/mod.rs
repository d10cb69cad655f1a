//! `tcp-boundary bench`: measure an echo server against the loopback limit.
//!
//! Every figure is printed beside the same measurement made, in the same run, on
//! a *raw* loopback pair: a writer and a reader, or a ping-pong thread that does
//! nothing but read and write back. That is the limit of this machine today, and
//! the ratio says how close the echo server comes to it.
//!
//! Every run is bounded in count and in time (`max_time`): a slow server gives a
//! shorter run, never a hung one. Every read and write waits at most until
//! the end of its measurement plus [`GRACE`], and at most [`STALL`] for a
//! server that stops answering or reading; every echo is checked against what
//! was sent. A server that floods, never reads or falls silent ends the run on
//! time with an error that says so.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use serde::Serialize;

mod conn;
mod measure;
mod print;
mod raw;

pub use conn::{GRACE, STALL};
pub use measure::{connects, queue, rtt, throughput};

pub use print::print;

pub use raw::raw_throughput;

/// The most bytes `--bytes` may stream: 64 GiB.
pub const MAX_STREAM: u64 = 64 << 30;
/// The largest write (`--write-size`): 16 MiB.
pub const MAX_WRITE: u64 = 16 << 20;
/// The largest round-trip message (`--size`): 64 KiB. Each round trip writes
/// the whole message before it reads the echo, so it must fit the socket
/// buffers between the two ends, or both would wait in `write` for good.
pub const MAX_BENCH_MESSAGE: u64 = 64 << 10;
/// The most round trips or connections (`--count`, `--warmup`).
pub const MAX_COUNT: u64 = 10_000_000;
/// The longest hold of a queued client (`--hold-ms`): 60 s.
pub const MAX_HOLD_MS: u64 = 60_000;
/// The most clients of a queue run (`--concurrent`).
pub const MAX_CONCURRENT: u64 = 200;
/// The longest a bench measures (`--max-seconds`), warm-up included.
pub const MAX_BENCH_SECONDS: u64 = 3600;

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

impl Mode {
    /// How many round trips or connections a run makes unless told
    /// (`--count`): a connection costs a handshake, so fewer of them.
    pub fn default_count(self) -> u64 {
        match self {
            Mode::Connect => 1000,
            _ => 20_000,
        }
    }
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
pub struct ConnectRate {
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
        server: ConnectRate,
        /// A raw accept-echo-close thread.
        raw: ConnectRate,
    },
    /// `queue`.
    Queue {
        /// The iterative echo server.
        server: Queue,
        /// A raw server with a thread per client.
        raw: Queue,
    },
}

/// What a bench reports: the server measured, its figures, and the peak
/// memory of a process watched while it ran (`--pid`).
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// The echo server measured.
    pub addr: SocketAddr,
    /// The figures, with their mode.
    #[serde(flatten)]
    pub figures: Figures,
    /// The process watched, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// Its peak resident memory in KiB (`null`: not readable).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_rss_kib: Option<Option<u64>>,
}

impl BenchReport {
    /// The report as JSON.
    pub fn json(&self, out: &mut dyn std::io::Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, self)?;
        writeln!(out)
    }

    /// The report in words.
    pub fn text(&self, out: &mut dyn std::io::Write) -> io::Result<()> {
        writeln!(out, "echo server at {}", self.addr)?;
        print(&self.figures, out)?;
        if let (Some(pid), Some(kib)) = (self.pid, self.peak_rss_kib) {
            match kib {
                Some(k) => writeln!(
                    out,
                    "peak RSS of process {pid}: {k} KiB ({:.1} MiB)",
                    k as f64 / 1024.0
                )?,
                None => writeln!(out, "peak RSS of process {pid}: not readable")?,
            }
        }
        Ok(())
    }
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
            let raw_echo = raw::raw_echo(false)?;
            let mut both = rtt(&[addr, raw_echo.addr], opts)?.into_iter();
            let (Some(server), Some(raw)) = (both.next(), both.next()) else {
                return Err(io::Error::other(format!(
                    "no round trips measured against {addr}"
                )));
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
            let raw = connects(raw::raw_echo(false)?.addr, &half)?;
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
            let server = queue(addr, &half)?;
            let raw = queue(raw::raw_echo(true)?.addr, &half)?;
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
