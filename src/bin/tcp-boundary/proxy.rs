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
    few_malloc_arenas();
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
    // A number asked for that the kernel's maps cannot hold is said; the
    // default is bounded by them without a word.
    if let (Some(asked), Some(allowed)) =
        (args.max_connections, proxy::connections_the_kernel_allows())
        && allowed < asked as usize
    {
        writeln!(
            err,
            "at most {allowed} connections at once, not {asked}: the kernel's vm.max_map_count allows no more threads"
        )?;
    }
    let config = proxy::ProxyConfig {
        quiet: args.quiet,
        max_connections: args
            .max_connections
            .map_or(proxy::DEFAULT_MAX_CONNECTIONS, |n| n as usize),
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

/// Keep glibc's malloc to two arenas, so that a connection's threads cost
/// their stacks and not an arena of 64 MiB of address space each as well (up
/// to 16 on two cores): under `ulimit -v 1 GiB` those alone took it all, and
/// threads could no longer be started past 150 connections. A variable
/// `MALLOC_ARENA_MAX` set by the user is left to decide.
fn few_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt is called before the proxy starts a thread.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}
