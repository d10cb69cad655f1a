//! `echo-server <PORT>`: the book's iterative echo server, with a fragmenting
//! mode. Its command line is [`tcp_boundary::cli::EchoServerArgs`].

use std::io::{self, IsTerminal, Write};
use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use tcp_boundary::cli::{self, EchoServerArgs};
use tcp_boundary::lesson::server;
use tcp_boundary::transport::net;
use tcp_boundary::view::console::{BookConsole, Lasting, SharedOut};

fn main() -> ExitCode {
    // SIGPIPE stays ignored, as Rust leaves it: a console pipe closed early
    // is a write error the console outlives (see Lasting), not the end of
    // the server.
    cli::exit_with(run(cli::parse_or_exit(EchoServerArgs::try_parse())))
}

fn run(args: EchoServerArgs) -> anyhow::Result<u8> {
    let lang = args.lang.lang();
    let resolved = args.server.resolve_in(lang)?;
    let addr = SocketAddr::new(args.server.bind, args.port);
    let (listener, sizes) = net::listen(addr, args.server.backlog as i32, &resolved.socket)
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener
        .local_addr()
        .context("cannot read the listening address")?;
    // On a terminal every line shows at once. Into a file or a pipe, lines are
    // gathered into blocks (as C's stdio does) and flushed after each client:
    // one write per message to a file would cost as much as the echo itself.
    // Either way the server outlives its console: a full disk or a closed
    // pipe stops the lines, not the serving.
    let stdout = io::stdout();
    let mut out = SharedOut::new(if stdout.is_terminal() {
        Box::new(Lasting::stdout(stdout))
    } else {
        Box::new(io::BufWriter::with_capacity(
            64 * 1024,
            Lasting::stdout(stdout),
        ))
    });
    let mut err = Lasting::stderr(io::stderr());
    // Ctrl-C or SIGTERM: what is still buffered reaches the file first.
    let mut last = out.clone();
    ctrlc::set_handler(move || {
        let _ = last.flush();
        std::process::exit(130);
    })
    .context("cannot install the Ctrl-C handler")?;
    writeln!(err, "listening on {local}")?;
    for line in sizes.lines().iter().chain(&resolved.notes) {
        writeln!(err, "{line}")?;
    }
    let mut console = BookConsole::new(&mut out, &mut err);
    console.quiet = resolved.config.quiet;
    console.lang = lang;
    console.show_writes = resolved.config.fragmenting();
    let served = server::serve(listener, &resolved.config, &mut console);
    out.flush().context("cannot write to stdout")?;
    served.with_context(|| format!("server on {local} failed"))?;
    Ok(cli::EXIT_OK)
}
