//! `tcp-boundary bench`: measure an echo server beside the loopback limit.

use std::io::Write;

use anyhow::Context;
use tcp_boundary::cli;
use tcp_boundary::lesson::server;
use tcp_boundary::tools::bench;
use tcp_boundary::transport::net;

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
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = cli::number_in(1, bench::MAX_COUNT))]
    pub count: Option<u64>,
    /// Bytes per round trip (rtt, connect, queue; 1 to 64K: the message is
    /// written whole before its echo is read, so it must fit the socket buffers).
    #[arg(long, value_name = "BYTES", default_value = "16", value_parser = cli::bytes_in(1, bench::MAX_MESSAGE))]
    pub size: u64,
    /// Round trips before measuring (rtt; 0 to 10000000).
    #[arg(long, value_name = "N", default_value_t = 1000, allow_negative_numbers = true, value_parser = cli::number_in(0, bench::MAX_COUNT))]
    pub warmup: u64,
    /// Bytes to stream (throughput; 1 to 64G), e.g. 256M or 1G.
    #[arg(long, value_name = "BYTES", default_value = "256M", value_parser = cli::bytes_in(1, bench::MAX_STREAM))]
    pub bytes: u64,
    /// Bytes per write (throughput; 1 to 16M).
    #[arg(long, value_name = "BYTES", default_value = "64K", value_parser = cli::bytes_in(1, bench::MAX_WRITE))]
    pub write_size: u64,
    /// Clients that connect at once (queue).
    #[arg(long, value_name = "K", default_value_t = 5, allow_negative_numbers = true, value_parser = cli::number_in(1, 200))]
    pub concurrent: u64,
    /// How long each queued client keeps the server after its echo (queue; 0
    /// to 60000).
    #[arg(long, value_name = "MS", default_value_t = 100, allow_negative_numbers = true, value_parser = cli::number_in(0, bench::MAX_HOLD_MS))]
    pub hold_ms: u64,
    /// Stop measuring after this many seconds, whatever the counts.
    #[arg(long, value_name = "SECS", default_value_t = 60, allow_negative_numbers = true, value_parser = cli::number_in(1, 3600))]
    pub max_seconds: u64,
    /// After the run, report the peak memory (VmHWM) of this process: the pid of
    /// the echo server measured with --addr.
    #[arg(long, value_name = "PID")]
    pub pid: Option<u32>,
    /// Print the results as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten, next_help_heading = "Server switches (with --spawn-server)")]
    pub server: cli::ServerArgs,
}

pub fn run(args: BenchArgs, out: &mut dyn Write) -> anyhow::Result<u8> {
    let default_count = match args.mode {
        bench::Mode::Connect => 1000,
        _ => 20_000,
    };
    let opts = bench::Options {
        count: args.count.unwrap_or(default_count) as usize,
        size: args.size as usize,
        warmup: args.warmup as usize,
        bytes: args.bytes,
        write_size: args.write_size as usize,
        clients: args.concurrent as usize,
        hold: std::time::Duration::from_millis(args.hold_ms),
        max_time: std::time::Duration::from_secs(args.max_seconds),
        progress: !args.json,
        watch_pid: args.pid,
    };
    let mut spawned = None;
    let addr = match &args.addr {
        Some(a) => cli::host_port("--addr", a)?,
        None => {
            let mut resolved = args.server.resolve()?;
            resolved.config.clients = 0;
            let bind = std::net::SocketAddr::new(args.server.bind, 0);
            let (listener, _) = net::listen(bind, args.server.backlog as i32, &resolved.socket)
                .with_context(|| format!("cannot listen on {bind}"))?;
            let running = server::spawn(listener, resolved.config)?;
            let addr = running.addr;
            spawned = Some(running);
            addr
        }
    };
    let result = match bench::run(args.mode, addr, &opts) {
        // Asked for more than the time allowed: the user's numbers, not the network.
        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => {
            return Err(cli::UsageError(e.to_string()).into());
        }
        other => other.with_context(|| format!("bench against {addr}"))?,
    };
    if let Some(running) = spawned {
        running.stop().context("stopping the spawned server")?;
    }
    // Read the watched process's peak now if it is still there, else keep the
    // highest value sampled while it ran.
    let peak = args.pid.map(|pid| {
        let now = bench::peak_rss_kib(pid);
        (pid, now.max(result.sampled_peak_rss_kib()))
    });
    if args.json {
        let mut v = serde_json::to_value(&result)?;
        v["addr"] = serde_json::Value::String(addr.to_string());
        if let Some((pid, kib)) = peak {
            v["pid"] = pid.into();
            v["peak_rss_kib"] = kib.into();
        }
        serde_json::to_writer_pretty(&mut *out, &v)?;
        writeln!(out)?;
    } else {
        writeln!(out, "echo server at {addr}")?;
        bench::print(&result, out)?;
        if let Some((pid, kib)) = peak {
            match kib {
                Some(k) => writeln!(
                    out,
                    "peak RSS of process {pid}: {k} KiB ({:.1} MiB)",
                    k as f64 / 1024.0
                )?,
                None => writeln!(out, "peak RSS of process {pid}: not readable")?,
            }
        }
    }
    Ok(cli::EXIT_OK)
}
