//! `tcp-boundary`: run the named scenarios of the TCP message-boundary lesson.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use tcp_boundary::cli::{self, UsageError};
use tcp_boundary::lesson::reader::ReaderKind;
use tcp_boundary::lesson::server;
use tcp_boundary::scenario::{BUILTIN, Report, Scenario};
use tcp_boundary::tools::{bench, proxy};
use tcp_boundary::transport::net;
use tcp_boundary::view::report;

/// Teach, reproduce and test TCP's missing message boundaries.
///
/// Each scenario runs a real echo server and client on a loopback port, with the
/// naive reader (one read per message, the classic bug) and the correct readers,
/// and shows every write and read. The same scenario gives the same timeline on
/// every run.
#[derive(Debug, Parser)]
#[command(name = "tcp-boundary", version)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the scenarios with their one-line lessons.
    List,
    /// Show what a scenario sets up and expects.
    Show {
        /// A scenario name (see `list`) or the path of a scenario file.
        scenario: String,
    },
    /// Run a scenario: timeline, each reader's replies, verdicts.
    Run(RunArgs),
    /// Measure an echo server (ours, the seed's C server, any plain echo) beside
    /// the loopback limit measured in the same run.
    Bench(Box<BenchArgs>),
    /// A proxy that reshapes the byte stream between any client and any server:
    /// slicing, pacing, coalescing, cutting.
    ///
    /// Each shaping switch applies to the direction named most recently before
    /// it: --downstream (server → client, the default) or --upstream (client →
    /// server). Example: `--chunk 3 --chunk-delay-ms 50 --upstream --coalesce-ms
    /// 200` slices replies and merges requests.
    Proxy(Box<cli::ProxyArgs>),
}

#[derive(Debug, clap::Args)]
struct BenchArgs {
    /// What to measure.
    #[arg(value_enum)]
    mode: bench::Mode,
    /// The echo server to measure.
    #[arg(
        long,
        value_name = "HOST:PORT",
        required_unless_present = "spawn_server",
        conflicts_with = "spawn_server"
    )]
    addr: Option<String>,
    /// Start our echo server in this process, with the echo-server switches below,
    /// on a free loopback port (it serves until the bench ends; --clients is ignored).
    #[arg(long)]
    spawn_server: bool,
    /// Round trips (rtt; default 20000) or connections (connect; default 1000).
    #[arg(long, value_name = "N", value_parser = cli::positive)]
    count: Option<usize>,
    /// Bytes per round trip (rtt, connect, queue).
    #[arg(long, value_name = "BYTES", default_value_t = 16, value_parser = cli::positive)]
    size: usize,
    /// Round trips before measuring (rtt).
    #[arg(long, value_name = "N", default_value_t = 1000)]
    warmup: usize,
    /// Bytes to stream (throughput), e.g. 256M or 1G.
    #[arg(long, value_name = "BYTES", default_value = "256M", value_parser = cli::byte_size)]
    bytes: u64,
    /// Bytes per write (throughput).
    #[arg(long, value_name = "BYTES", default_value = "64K", value_parser = cli::byte_size)]
    write_size: u64,
    /// Clients that connect at once (queue).
    #[arg(long, value_name = "K", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=200))]
    concurrent: u64,
    /// How long each queued client keeps the server after its echo (queue).
    #[arg(long, value_name = "MS", default_value_t = 100)]
    hold_ms: u64,
    /// Stop measuring after this many seconds, whatever the counts.
    #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    max_seconds: u64,
    /// After the run, report the peak memory (VmHWM) of this process: the pid of
    /// the echo server measured with --addr.
    #[arg(long, value_name = "PID")]
    pid: Option<u32>,
    /// Print the results as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten, next_help_heading = "Server switches (with --spawn-server)")]
    server: cli::ServerArgs,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// A scenario name (see `list`) or the path of a scenario file.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    scenario: Option<String>,
    /// Run every shipped scenario.
    #[arg(long)]
    all: bool,
    /// Run only this reader (its timeline is shown).
    #[arg(long, value_enum)]
    reader: Option<ReaderKind>,
    /// Override the seed of a scenario with random cuts or pauses.
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Print the reports as JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Run each scenario and reader this many times and count the runs that came
    /// out as expected and with the same timeline as the first (proof that the
    /// runs do not depend on timing).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=100_000))]
    repeat: Option<u64>,
}

fn main() -> ExitCode {
    // The proxy needs to know where each switch stood on the command line, so
    // the raw matches are kept beside the parsed arguments.
    let matches = cli::parse_or_exit(Args::command().try_get_matches());
    let args = cli::parse_or_exit(Args::from_arg_matches(&matches));
    cli::exit_with(run(args, &matches))
}

/// A built-in scenario by name, or a file by path.
fn find(name_or_path: &str) -> anyhow::Result<Scenario> {
    if name_or_path.ends_with(".toml") || name_or_path.contains('/') {
        return Scenario::load(Path::new(name_or_path))
            .map_err(|e| UsageError(e.to_string()).into());
    }
    Scenario::builtin(name_or_path).ok_or_else(|| {
        let names: Vec<&str> = BUILTIN.iter().map(|(name, _)| *name).collect();
        UsageError(format!(
            "no scenario named '{name_or_path}' (try one of: {})",
            names.join(", ")
        ))
        .into()
    })
}

fn run(args: Args, matches: &clap::ArgMatches) -> anyhow::Result<u8> {
    let mut out = anstream::stdout();
    match args.command {
        Command::List => {
            report::list(&Scenario::builtins(), &mut out)?;
            Ok(cli::EXIT_OK)
        }
        Command::Show { scenario } => {
            report::show(&find(&scenario)?, &mut out)?;
            Ok(cli::EXIT_OK)
        }
        Command::Run(run) => run_scenarios(run, &mut out),
        Command::Bench(args) => run_bench(*args, &mut out),
        Command::Proxy(args) => {
            let m = matches
                .subcommand_matches("proxy")
                .ok_or_else(|| anyhow::anyhow!("proxy arguments missing"))?;
            run_proxy(&args, m)
        }
    }
}

fn run_scenarios(args: RunArgs, out: &mut dyn Write) -> anyhow::Result<u8> {
    let scenarios = match &args.scenario {
        Some(name) => vec![find(name)?],
        None => Scenario::builtins(),
    };
    let readers: Vec<ReaderKind> = match args.reader {
        Some(r) => vec![r],
        None => ReaderKind::ALL.to_vec(),
    };
    if let Some(times) = args.repeat {
        return repeat(
            &scenarios,
            &readers,
            args.seed,
            times as usize,
            args.json,
            out,
        );
    }
    let mut results: Vec<(Scenario, Vec<Report>)> = Vec::new();
    for s in scenarios {
        let reports = readers
            .iter()
            .map(|&r| s.run(r, args.seed))
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("scenario {}", s.name))?;
        results.push((s, reports));
    }
    let ok = results
        .iter()
        .all(|(_, reports)| reports.iter().all(|r| r.as_expected));
    if args.json {
        let all: Vec<&Report> = results.iter().flat_map(|(_, r)| r).collect();
        serde_json::to_writer_pretty(&mut *out, &all)?;
        writeln!(out)?;
    } else if args.all {
        for (s, reports) in &results {
            report::scenario_run(s, reports, None, out)?;
            writeln!(out)?;
        }
        report::all_summary(&results, out)?;
        report::closing_line(ok, out)?;
    } else {
        let (s, reports) = &results[0];
        let timeline = args.reader.unwrap_or(ReaderKind::Naive);
        report::scenario_run(s, reports, Some(timeline), out)?;
        writeln!(out)?;
        report::closing_line(ok, out)?;
    }
    Ok(if ok { cli::EXIT_OK } else { cli::EXIT_FAILURE })
}

fn repeat(
    scenarios: &[Scenario],
    readers: &[ReaderKind],
    seed: Option<u64>,
    times: usize,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let mut all = Vec::new();
    for s in scenarios {
        for &r in readers {
            let rep = s
                .repeat(r, seed, times)
                .with_context(|| format!("scenario {}", s.name))?;
            if !json {
                writeln!(
                    out,
                    "{:<16} {:<7} {} runs: {} as expected, {} with the same timeline",
                    rep.scenario, rep.reader, rep.runs, rep.as_expected, rep.same_timeline
                )?;
            }
            all.push(rep);
        }
    }
    let ok = all.iter().all(|r| r.perfect());
    if json {
        serde_json::to_writer_pretty(&mut *out, &all)?;
        writeln!(out)?;
    } else {
        report::closing_line(ok, out)?;
    }
    Ok(if ok { cli::EXIT_OK } else { cli::EXIT_FAILURE })
}

fn run_bench(args: BenchArgs, out: &mut dyn Write) -> anyhow::Result<u8> {
    let default_count = match args.mode {
        bench::Mode::Connect => 1000,
        _ => 20_000,
    };
    let opts = bench::Options {
        count: args.count.unwrap_or(default_count),
        size: args.size,
        warmup: args.warmup,
        bytes: args.bytes,
        write_size: usize::try_from(args.write_size).context("--write-size is too large")?,
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
            let mut resolved = args.server.resolve();
            resolved.config.clients = 0;
            let bind = std::net::SocketAddr::new(args.server.bind, 0);
            let (listener, _) = net::listen(bind, args.server.backlog, &resolved.socket)
                .with_context(|| format!("cannot listen on {bind}"))?;
            let running = server::spawn(listener, resolved.config)?;
            let addr = running.addr;
            spawned = Some(running);
            addr
        }
    };
    let result =
        bench::run(args.mode, addr, &opts).with_context(|| format!("bench against {addr}"))?;
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

fn run_proxy(args: &cli::ProxyArgs, matches: &clap::ArgMatches) -> anyhow::Result<u8> {
    let (downstream, upstream, seed_note) = cli::proxy_shapes(args, matches)?;
    let listen = cli::listen_addr(&args.listen)?;
    let to = cli::host_port("--to", &args.to)?;
    let listener = std::net::TcpListener::bind(listen)
        .with_context(|| format!("cannot listen on {listen}"))?;
    let local = listener.local_addr()?;
    eprintln!("listening on {local}, forwarding to {to}");
    eprintln!("downstream (server → client): {}", downstream.describe());
    eprintln!("upstream (client → server): {}", upstream.describe());
    if let Some(note) = seed_note {
        eprintln!("{note}");
    }
    let config = proxy::ProxyConfig {
        to,
        downstream,
        upstream,
        quiet: args.quiet,
    };
    let mut out = anstream::stdout();
    if !args.quiet {
        tcp_boundary::view::timeline::render_header("client side", "server side", &mut out)?;
    }
    let running = proxy::Proxy::start_on(listener, config, Box::new(out))?;
    // Ctrl-C (or SIGTERM) stops the proxy cleanly: every connection is closed
    // and every thread joined before the summary line.
    let (tx, rx) = std::sync::mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = tx.send(());
    })
    .context("cannot install the Ctrl-C handler")?;
    let _ = rx.recv();
    let served = running.connections();
    running.stop();
    eprintln!(
        "proxy stopped after {served} connection{}",
        if served == 1 { "" } else { "s" }
    );
    Ok(cli::EXIT_OK)
}
