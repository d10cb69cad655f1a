//! `tcp-boundary bench`'s switches: what to measure, against which server, and
//! the switches of the server it may start itself.

use super::ServerArgs;
use super::shape::{bytes_in, number_in};
use crate::tools::bench;

/// `tcp-boundary bench`'s switches.
#[derive(Debug, clap::Args)]
#[command(allow_negative_numbers = true)]
pub struct BenchArgs {
    /// What to measure.
    #[arg(value_enum)]
    pub mode: bench::Mode,
    /// The echo server to measure.
    #[arg(
        long,
        value_name = "HOST:PORT",
        required_unless_present = "spawn_server",
        conflicts_with = "spawn_server"
    )]
    pub addr: Option<String>,
    /// Start our echo server in this process, with the echo-server switches below,
    /// on a free loopback port (it serves until the bench ends; --clients is ignored).
    #[arg(long)]
    pub spawn_server: bool,
    /// Round trips (rtt; default 20000) or connections (connect; default 1000);
    /// 1 to 10000000.
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = number_in(1, bench::MAX_COUNT))]
    pub count: Option<u64>,
    /// Bytes per round trip (rtt, connect, queue; 1 to 64K: the message is
    /// written whole before its echo is read, so it must fit the socket buffers).
    #[arg(long, value_name = "BYTES", default_value = "16", value_parser = bytes_in(1, bench::MAX_BENCH_MESSAGE))]
    pub size: u64,
    /// Round trips before measuring (rtt; 0 to 10000000).
    #[arg(long, value_name = "N", default_value_t = 1000, allow_negative_numbers = true, value_parser = number_in(0, bench::MAX_COUNT))]
    pub warmup: u64,
    /// Bytes to stream (throughput; 1 to 64G), e.g. 256M or 1G.
    #[arg(long, value_name = "BYTES", default_value = "256M", value_parser = bytes_in(1, bench::MAX_STREAM))]
    pub bytes: u64,
    /// Bytes per write (throughput; 1 to 16M).
    #[arg(long, value_name = "BYTES", default_value = "64K", value_parser = bytes_in(1, bench::MAX_WRITE))]
    pub write_size: u64,
    /// Clients that connect at once (queue; 1 to 200).
    #[arg(long, value_name = "K", default_value_t = 5, allow_negative_numbers = true, value_parser = number_in(1, bench::MAX_CONCURRENT))]
    pub concurrent: u64,
    /// How long each queued client keeps the server after its echo (queue; 0
    /// to 60000).
    #[arg(long, value_name = "MS", default_value_t = 100, allow_negative_numbers = true, value_parser = number_in(0, bench::MAX_HOLD_MS))]
    pub hold_ms: u64,
    /// Stop measuring after this many seconds, whatever the counts (1 to
    /// 3600).
    #[arg(long, value_name = "SECS", default_value_t = 60, allow_negative_numbers = true, value_parser = number_in(1, bench::MAX_BENCH_SECONDS))]
    pub max_seconds: u64,
    /// After the run, report the peak memory (VmHWM) of this process: the pid of
    /// the echo server measured with --addr.
    #[arg(long, value_name = "PID")]
    pub pid: Option<u32>,
    /// Print the results as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten, next_help_heading = "Server switches (with --spawn-server)")]
    pub server: ServerArgs,
}

impl BenchArgs {
    /// How much to measure, as the switches say (a count not given is the
    /// mode's own).
    pub fn options(&self) -> bench::Options {
        bench::Options {
            count: self.count.unwrap_or(self.mode.default_count()) as usize,
            size: self.size as usize,
            warmup: self.warmup as usize,
            bytes: self.bytes,
            write_size: self.write_size as usize,
            clients: self.concurrent as usize,
            hold: std::time::Duration::from_millis(self.hold_ms),
            max_time: std::time::Duration::from_secs(self.max_seconds),
            progress: !self.json,
            watch_pid: self.pid,
        }
    }
}
