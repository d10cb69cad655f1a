//! `tcp-boundary bench`: measure an echo server beside the loopback limit.

use std::io::Write;

use anyhow::Context;
use tcp_boundary::cli::{self, BenchArgs};
use tcp_boundary::tools::{bench, spawned};
use tcp_boundary::transport::net;

pub fn run(args: BenchArgs, out: &mut dyn Write) -> anyhow::Result<u8> {
    let opts = args.options();
    let mut spawned = None;
    let addr = match &args.addr {
        Some(a) => cli::host_port("--addr", a)?,
        None => {
            let mut resolved = args.server.resolve()?;
            resolved.config.clients = 0;
            let bind = std::net::SocketAddr::new(args.server.bind, 0);
            let (listener, _) = net::listen(bind, args.server.backlog as i32, &resolved.socket)
                .with_context(|| format!("cannot listen on {bind}"))?;
            let running = spawned::spawn(listener, resolved.config)?;
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
        // Every other error names the server it concerns and says what it did.
        other => other?,
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
    let report = bench::BenchReport {
        addr,
        figures: result,
        pid: peak.map(|(pid, _)| pid),
        peak_rss_kib: peak.map(|(_, kib)| kib),
    };
    if args.json {
        report.json(out)?;
    } else {
        report.text(out)?;
    }
    Ok(cli::EXIT_OK)
}
