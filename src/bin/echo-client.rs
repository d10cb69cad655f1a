//! `echo-client <HOST> <PORT>`: the seed's interactive echo client, with a choice
//! of reader.

use std::io;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use tcp_boundary::cli::{self, SeedArg, ShapeArgs, UsageError, bytes_in};
use tcp_boundary::lesson::client::{self, ClientConfig, Session};
use tcp_boundary::lesson::reader::{DEFAULT_MAX_FRAME, DEFAULT_MAX_LINE, ReaderKind};
use tcp_boundary::lesson::server::MAX_BUFFER;
use tcp_boundary::shape::choose_seed;
use tcp_boundary::transport::net;

/// An interactive echo client: type a line, see the server's reply; Q quits.
///
/// Input ends the session too (Ctrl-D, or the end of a pipe), so
/// `printf 'hi\nq\n' | echo-client 127.0.0.1 9190` works.
#[derive(Debug, Parser)]
#[command(name = "echo-client", version, allow_negative_numbers = true)]
struct Args {
    /// Server host name or address.
    host: String,
    /// Server port.
    port: u16,
    /// How replies are read.
    #[arg(long, value_enum, default_value_t = ReaderKind::Exact)]
    reader: ReaderKind,
    /// Size of the read buffer, the most one read returns (the seed's BUF_SIZE;
    /// 1 to 16M).
    #[arg(long, value_name = "BYTES", default_value = "1024", value_parser = bytes_in(1, MAX_BUFFER))]
    buffer_size: u64,
    /// Longest line the line reader accepts (1 to 16M).
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_LINE as u64, value_parser = bytes_in(1, MAX_BUFFER))]
    max_line: u64,
    /// Largest frame the length reader accepts (1 to 16M).
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_FRAME as u64, value_parser = bytes_in(1, MAX_BUFFER))]
    max_frame: u64,
    /// Give up when no byte of a reply comes within SECS seconds (1 to 3600):
    /// exit 1 with a line saying so. Without it, the client waits as long as
    /// the server takes.
    #[arg(long, value_name = "SECS", allow_negative_numbers = true, value_parser = cli::number_in(1, 3600))]
    timeout: Option<u64>,
    /// How the client shapes what it writes: --chunk, --chunk-delay-ms,
    /// --random-chunks and --random-pauses cut and pace each message, the
    /// socket switches set its socket's options.
    #[command(flatten)]
    shape: ShapeArgs,
    #[command(flatten)]
    seed: SeedArg,
}

fn main() -> ExitCode {
    cli::quiet_on_closed_pipe();
    cli::exit_with(run(cli::parse_or_exit(Args::try_parse())))
}

fn run(args: Args) -> anyhow::Result<u8> {
    let spec = args.shape.spec();
    // The client writes and reads one message at a time: a late read, a cut
    // or a reset are the server's or the proxy's to make.
    for (given, flag) in [
        (spec.read_delay_ms.is_some(), "--read-delay-ms"),
        (spec.cut_after.is_some(), "--cut-after"),
        (spec.reset_after.is_some(), "--reset-after"),
    ] {
        if given {
            return Err(UsageError(format!(
                "{flag} shapes a server or a proxy; echo-client does not take it"
            ))
            .into());
        }
    }
    let usage = |e: tcp_boundary::shape::ShapeError| UsageError(e.to_string());
    let (seed, note) = choose_seed(args.seed.seed, spec.needs_seed()).map_err(usage)?;
    let shape = spec.shape(seed).map_err(usage)?;
    let config = ClientConfig {
        reader: args.reader,
        buffer_size: args.buffer_size as usize,
        max_line: args.max_line as usize,
        max_frame: args.max_frame as usize,
        write_plan: shape.plan,
    };
    let addr = net::resolve(&args.host, args.port)?;
    let (stream, sizes) =
        net::connect(addr, &shape.socket).with_context(|| format!("cannot connect to {addr}"))?;
    stream
        .set_read_timeout(args.timeout.map(std::time::Duration::from_secs))
        .context("cannot set the read timeout")?;
    for line in sizes.lines().into_iter().chain(note) {
        eprintln!("{line}");
    }
    let mut session = Session::new(stream, &config);
    client::run_interactive(&mut session, io::stdin().lock(), &mut io::stdout())
        .with_context(|| format!("session with {addr}"))?;
    Ok(cli::EXIT_OK)
}
