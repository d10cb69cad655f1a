//! `tcp-boundary proxy`: reshape the stream between any client and any server.

use anyhow::Context;
use tcp_boundary::cli;
use tcp_boundary::tools::proxy;
use tcp_boundary::view::timeline::{self, Layout};

pub fn run(args: &cli::ProxyArgs) -> anyhow::Result<u8> {
    let (downstream, upstream, seed_note) = args.shapes()?;
    let listen = cli::listen_addr(&args.listen)?;
    let to = cli::host_port("--to", &args.to)?;
    let listener = std::net::TcpListener::bind(listen)
        .with_context(|| format!("cannot listen on {listen}"))?;
    // Ctrl-C (or SIGTERM) stops the proxy cleanly: every connection is closed
    // and every thread joined before the summary line. The handler is in place
    // before the proxy says it listens, so no Ctrl-C can come too early.
    let (tx, rx) = std::sync::mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = tx.send(());
    })
    .context("cannot install the Ctrl-C handler")?;
    let local = listener.local_addr()?;
    eprintln!("listening on {local}, forwarding to {to}");
    for (name, shape) in [
        ("downstream (server → client)", downstream),
        ("upstream (client → server)", upstream),
    ] {
        let parts = shape.describe();
        let words = if parts.is_empty() {
            "passed on as read".to_string()
        } else {
            parts.join("; ")
        };
        eprintln!("{name}: {words}");
    }
    if let Some(note) = seed_note {
        eprintln!("{note}");
    }
    let config = proxy::ProxyConfig {
        quiet: args.quiet,
        layout: Layout::from_env(),
        ..proxy::ProxyConfig::new(to)
            .downstream(downstream)
            .upstream(upstream)
    };
    let mut out = anstream::stdout();
    if !args.quiet {
        timeline::render_header(
            "client side (cN: client N)",
            "server side (sN: its server end)",
            config.layout,
            &mut out,
        )?;
    }
    let running = proxy::Proxy::start_on(listener, config, Box::new(out))?;
    let _ = rx.recv();
    let served = running.connections();
    running.stop();
    eprintln!(
        "proxy stopped after {served} connection{}",
        if served == 1 { "" } else { "s" }
    );
    Ok(cli::EXIT_OK)
}
