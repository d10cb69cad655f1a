//! `echo-server <PORT>`: the seed's iterative echo server, with a fragmenting mode.

use std::io;
use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use tcp_boundary::cli::{self, ServerArgs};
use tcp_boundary::{net, server};

/// An iterative echo server: one client at a time, five by default, then it exits.
///
/// It prints `connected client N` on each accept and `Message from client : TEXT`
/// for each read (TEXT escaped: \n, \0, \xff), and echoes every byte back exactly.
/// The fragmenting switches cut and pace the echo so that a client's reads see
/// parts of a reply, or several replies at once.
#[derive(Debug, Parser)]
#[command(name = "echo-server", version)]
struct Args {
    /// Port to listen on (0: any free port; the one chosen is printed).
    port: u16,
    #[command(flatten)]
    server: ServerArgs,
}

fn main() -> ExitCode {
    cli::exit_with(run(cli::parse_or_exit(Args::try_parse())))
}

fn run(args: Args) -> anyhow::Result<u8> {
    let resolved = args.server.resolve();
    let addr = SocketAddr::new(args.server.bind, args.port);
    let (listener, sizes) = net::listen(addr, args.server.backlog, &resolved.socket)
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener
        .local_addr()
        .context("cannot read the listening address")?;
    eprintln!("listening on {local}");
    for line in sizes.lines().iter().chain(&resolved.notes) {
        eprintln!("{line}");
    }
    server::serve(
        listener,
        &resolved.config,
        &mut io::stdout(),
        &mut io::stderr(),
    )
    .with_context(|| format!("server on {local} failed"))?;
    Ok(cli::EXIT_OK)
}
