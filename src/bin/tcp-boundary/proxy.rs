//! `tcp-boundary proxy`: reshape the stream between any client and any server.

use std::io::Write;

use anyhow::Context;
use tcp_boundary::tools::proxy;
use tcp_boundary::view::console::Lasting;
use tcp_boundary::view::timeline::{self, Layout};
use tcp_boundary::{cli, tr};

pub fn run(args: &cli::ProxyArgs) -> anyhow::Result<u8> {
    // The proxy outlives its console: a pipe closed early stops the
    // timeline, not the traffic.
    cli::outlive_closed_pipe();
    let mut err = Lasting::stderr(std::io::stderr());
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
    // Forwarding to itself, it would connect to itself until its
    // descriptors ran out.
    if proxy::leads_to_itself(local, to) {
        return Err(cli::UsageError(format!(
            "--to {to}: that is this proxy's own listening address ({local}); it would connect to itself"
        ))
        .into());
    }
    let lang = args.lang.lang();
    let (local_s, to_s) = (local.to_string(), to.to_string());
    writeln!(
        err,
        "{}",
        tr!(lang, "proxy-listening", local = local_s, to = to_s)
    )?;
    let words = |shape: tcp_boundary::shape::Shape| {
        let parts = shape.describe(lang);
        match parts.is_empty() {
            true => tr!(lang, "proxy-as-read"),
            false => parts.join("; "),
        }
    };
    writeln!(
        err,
        "{}",
        tr!(lang, "proxy-down", words = words(downstream))
    )?;
    writeln!(err, "{}", tr!(lang, "proxy-up", words = words(upstream)))?;
    if let Some(note) = seed_note {
        writeln!(err, "{note}")?;
    }
    let config = proxy::ProxyConfig {
        quiet: args.quiet,
        layout: Layout::from_env().in_lang(lang),
        ..proxy::ProxyConfig::new(to)
            .downstream(downstream)
            .upstream(upstream)
    };
    let mut out = Lasting::stdout(anstream::stdout());
    if !args.quiet {
        timeline::render_header(
            &tr!(lang, "proxy-left"),
            &tr!(lang, "proxy-right"),
            config.layout.in_lang(lang),
            &mut out,
        )?;
    }
    let running = proxy::Proxy::start_on(listener, config, Box::new(out))?;
    let _ = rx.recv();
    let served = running.connections();
    running.stop();
    writeln!(err, "{}", tr!(lang, "proxy-stopped", n = served))?;
    Ok(cli::EXIT_OK)
}
