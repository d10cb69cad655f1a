//! `echo-client <HOST> <PORT>`: the book's interactive echo client, with a choice
//! of reader. Its command line is [`tcp_boundary::cli::EchoClientArgs`].

use std::io;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use tcp_boundary::cli::{self, EchoClientArgs, UsageError};
use tcp_boundary::lesson::client::{self, ClientConfig, Session};
use tcp_boundary::shape::seeded;
use tcp_boundary::transport::net;

fn main() -> ExitCode {
    cli::quiet_on_closed_pipe();
    cli::exit_with(run(cli::parse_or_exit(EchoClientArgs::try_parse())))
}

fn run(args: EchoClientArgs) -> anyhow::Result<u8> {
    let spec = args.shape.spec();
    let ([shape], note) =
        seeded([&spec], args.seed.seed).map_err(|(_, e)| UsageError(e.to_string()))?;
    let config = ClientConfig {
        reader: args.reader,
        buffer_size: args.buffer_size as usize,
        max_line: args.max_line as usize,
        max_frame: args.max_frame as usize,
        write_plan: shape.plan,
        reply_timeout: args.timeout.map(std::time::Duration::from_secs),
    };
    let addr = net::resolve(&args.host, args.port)?;
    let (stream, sizes) =
        net::connect(addr, &shape.socket).with_context(|| format!("cannot connect to {addr}"))?;
    for line in sizes.lines().into_iter().chain(note) {
        eprintln!("{line}");
    }
    let mut session = Session::new(stream, &config);
    client::run_interactive(&mut session, io::stdin().lock(), &mut io::stdout())
        .with_context(|| format!("session with {addr}"))?;
    Ok(cli::EXIT_OK)
}
