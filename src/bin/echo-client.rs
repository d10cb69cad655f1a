//! `echo-client <HOST> <PORT>`: the seed's interactive echo client, with a choice
//! of reader.

use std::io;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use tcp_boundary::cli::{self, SocketArgs, positive};
use tcp_boundary::lesson::client::{self, ClientConfig, Session};
use tcp_boundary::lesson::reader::{DEFAULT_MAX_FRAME, DEFAULT_MAX_LINE, ReaderKind};
use tcp_boundary::shape::fragment::FragmentPlan;
use tcp_boundary::transport::net;

/// An interactive echo client: type a line, see the server's reply; Q quits.
///
/// Input ends the session too (Ctrl-D, or the end of a pipe), so
/// `printf 'hi\nq\n' | echo-client 127.0.0.1 9190` works.
#[derive(Debug, Parser)]
#[command(name = "echo-client", version)]
struct Args {
    /// Server host name or address.
    host: String,
    /// Server port.
    port: u16,
    /// How replies are read.
    #[arg(long, value_enum, default_value_t = ReaderKind::Exact)]
    reader: ReaderKind,
    /// Size of the read buffer, the most one read returns (the seed's BUF_SIZE).
    #[arg(long, value_name = "BYTES", default_value_t = 1024, value_parser = positive)]
    buffer_size: usize,
    /// Send each message in writes of at most this many bytes.
    #[arg(long, value_name = "BYTES", value_parser = positive)]
    write_chunk: Option<usize>,
    /// Pause this long after each of those writes.
    #[arg(long, value_name = "MS")]
    write_delay_ms: Option<u64>,
    /// Longest line the line reader accepts.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_LINE, value_parser = positive)]
    max_line: usize,
    /// Largest frame the length reader accepts.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_FRAME, value_parser = positive)]
    max_frame: usize,
    #[command(flatten)]
    socket: SocketArgs,
}

fn main() -> ExitCode {
    cli::exit_with(run(cli::parse_or_exit(Args::try_parse())))
}

fn run(args: Args) -> anyhow::Result<u8> {
    let write_plan = FragmentPlan::new(
        args.write_chunk,
        None,
        Duration::from_millis(args.write_delay_ms.unwrap_or(0)),
        0,
    )?;
    let config = ClientConfig {
        reader: args.reader,
        buffer_size: args.buffer_size,
        max_line: args.max_line,
        max_frame: args.max_frame,
        write_plan,
    };
    let addr = net::resolve(&args.host, args.port)?;
    let (stream, sizes) = net::connect(addr, &args.socket.options())
        .with_context(|| format!("cannot connect to {addr}"))?;
    for line in sizes.lines() {
        eprintln!("{line}");
    }
    let mut session = Session::new(stream, &config);
    client::run_interactive(&mut session, io::stdin().lock(), &mut io::stdout())
        .with_context(|| format!("session with {addr}"))?;
    Ok(cli::EXIT_OK)
}
