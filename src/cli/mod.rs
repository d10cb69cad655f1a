//! The three programs' command lines, and what the binaries share: argument
//! groups, exit codes and the error line. Each binary parses its struct from
//! here and calls the library.
//!
//! - `tcp_boundary`: `tcp-boundary`'s subcommands ([`TcpBoundaryArgs`]), with
//!   each subcommand's switches in a file of its own: `scenarios`
//!   ([`RunArgs`], and the scenario argument), `lesson`, `bench`, `check`,
//!   `proxy` ([`ProxyArgs`]) and `install` (completions and man pages, made
//!   from these definitions).
//! - `echo`: `echo-server`'s and `echo-client`'s ([`EchoServerArgs`],
//!   [`EchoClientArgs`]).
//! - `shape`: the shaping switches, defined once ([`ShapeArgs`], the
//!   client's part of them [`WriteShapeArgs`], and per
//!   direction for the proxy), and `--seed`.
//! - `server`: the echo server's switches ([`ServerArgs`]).
//! - `complete`: arguments a shell completes (scenario names, man pages).
//!
//! Exit codes, the same for every binary:
//!
//! | code | meaning |
//! |------|---------|
//! | 0 | done as asked (for `run`: every verdict as expected) |
//! | 1 | a runtime failure (address in use, connection refused, a reset…) or, for `run`, a verdict not as expected |
//! | 2 | a usage error: a bad argument, a bad scenario file |
//! | 3 | `check` could not be made: no such command, an upstream server that refuses, a report that cannot be written |

use std::process::ExitCode;

mod bench;
mod check;
mod complete;
mod echo;
mod install;
mod lesson;
mod proxy;
mod scenarios;
mod server;
mod shape;
mod tcp_boundary;
mod trace;

pub use bench::BenchArgs;
pub use check::{CheckArgs, CheckOf};
pub use echo::{EchoClientArgs, EchoServerArgs};
pub use install::{
    CompletionsArgs, ManArgs, ManPage, completion_script, man_page, man_pages, write_man_pages,
};
pub use lesson::LessonArgs;
pub use proxy::ProxyArgs;
pub use scenarios::{MAX_PACE, MIN_PACE, RunArgs, find_scenario};
pub use server::{
    MAX_BACKLOG, MAX_BUFFER, MAX_IDLE_SECS, MAX_SERVED_CLIENTS, ResolvedServer, ServerArgs,
};
pub use shape::{
    DownShapeArgs, DownWriteShapeArgs, SeedArg, ShapeArgs, UpShapeArgs, UpWriteShapeArgs,
    WriteShapeArgs, bytes_in, millis, number_in,
};
pub use tcp_boundary::{Color, TcpBoundaryArgs, TcpBoundaryCommand};
pub use trace::TraceArgs;

/// Done as asked.
pub const EXIT_OK: u8 = 0;
/// A runtime failure, or a verdict not as expected.
pub const EXIT_FAILURE: u8 = 1;
/// A usage error: bad argument or bad scenario file.
pub const EXIT_USAGE: u8 = 2;
/// `check` could not be made (its command, its server or its report), as
/// opposed to a program that a shape broke.
pub const EXIT_CANNOT_CHECK: u8 = 3;
/// Stopped by Ctrl-C or SIGTERM, having ended what it ran (128 + SIGINT).
pub const EXIT_INTERRUPTED: u8 = 130;

/// `--lang`: the language of the lesson text, for every subcommand that shows
/// some.
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct LangArg {
    /// The language of the lesson text: en (English) or ko (한국어). Without
    /// it, LC_ALL, LC_MESSAGES or LANG starting with `ko` in UTF-8 selects
    /// Korean (ko_KR.UTF-8; ko_KR.EUC-KR gets English: the text is UTF-8),
    /// anything else English. The echo pair's console text is the book's in
    /// both.
    #[arg(long, value_enum, value_name = "LANG")]
    pub lang: Option<crate::lang::Lang>,
}

impl LangArg {
    /// The language asked for, else the locale's.
    pub fn lang(&self) -> crate::lang::Lang {
        crate::lang::Lang::or_env(self.lang)
    }
}

/// An error that is the user's input, not the network: exits with [`EXIT_USAGE`].
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Let a closed standard output end the program quietly, as it ends C tools
/// (`tcp-boundary list | head -1`): restore SIGPIPE's default action, which
/// Rust's runtime sets to "ignore". Writes to sockets are unaffected: std
/// sends with MSG_NOSIGNAL and gets EPIPE as an error, which the programs
/// report. Call it first thing in `main`.
pub fn quiet_on_closed_pipe() {
    // SAFETY: setting a signal's disposition to the default is async-signal
    // safe and done before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Let a closed console not end a server: ignore SIGPIPE again (undoing
/// [`quiet_on_closed_pipe`]), so that a write to a pipe closed early is an
/// error its console outlives (see
/// [`Lasting`](crate::view::console::Lasting)). For the proxy, whose
/// binary ends quietly on a closed pipe for every other subcommand.
pub fn outlive_closed_pipe() {
    // SAFETY: setting a signal's disposition to "ignore" is async-signal
    // safe, and done before the proxy starts a thread.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}

/// The language of the error line, when a binary has said it (see
/// [`errors_in`]); else the error line is in English.
static ERRORS_IN: std::sync::OnceLock<crate::lang::Lang> = std::sync::OnceLock::new();

/// Say the error line in `lang` from now on (`오류: …` in Korean): for a
/// command that has its class's language (`--lang`, or the locale's).
pub fn errors_in(lang: crate::lang::Lang) {
    let _ = ERRORS_IN.set(lang);
}

/// Print `error: …` on one line (the causes joined by `: `) and pick the exit code.
pub fn exit_with(result: anyhow::Result<u8>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // Paths, file names, TOML errors quoting keys and values, command
            // line arguments: text from outside, escaped as bytes from a peer
            // are, on one line.
            let line = crate::text::escape::escape_text(&format!("{e:#}").replace('\n', " "));
            match ERRORS_IN.get() {
                Some(&lang) => eprintln!("{}: {line}", crate::tr!(lang, "error-word")),
                None => eprintln!("error: {line}"),
            }
            if e.chain().any(|c| c.is::<UsageError>()) {
                ExitCode::from(EXIT_USAGE)
            } else if e.chain().any(|c| {
                c.is::<crate::tools::check::CheckError>()
                    || c.is::<crate::tools::trace::TraceError>()
                    || c.downcast_ref::<crate::scenario::RunError>()
                        .is_some_and(|e| matches!(e, crate::scenario::RunError::Program(_)))
            }) {
                ExitCode::from(EXIT_CANNOT_CHECK)
            } else {
                ExitCode::from(EXIT_FAILURE)
            }
        }
    }
}

/// A size in bytes that must be at least 1 (`--chunk`, `--buffer-size`, …).
pub fn positive(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1".to_string()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

/// `PORT` or `ADDR:PORT` (IPv6 as `[::1]:PORT`); the address defaults to loopback.
pub fn listen_addr(s: &str) -> Result<std::net::SocketAddr, UsageError> {
    if let Ok(port) = s.parse::<u16>() {
        return Ok(std::net::SocketAddr::from(([127, 0, 0, 1], port)));
    }
    s.parse().map_err(|_| {
        UsageError(format!(
            "--listen: expected PORT or ADDR:PORT, such as 9000 or 0.0.0.0:9000 (got '{s}')"
        ))
    })
}

/// `HOST:PORT` (IPv6 as `[::1]:PORT`), resolved.
pub fn host_port(flag: &str, s: &str) -> anyhow::Result<std::net::SocketAddr> {
    let (host, port) = s
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h.trim_matches(['[', ']']), p.parse::<u16>().ok()?)))
        .ok_or_else(|| UsageError(format!("{flag}: expected HOST:PORT (got '{s}')")))?;
    Ok(crate::transport::net::resolve(host, port)?)
}

/// Parse the command line; on a usage error print clap's message as one
/// `error:` line (naming the flag and the rule) followed by clap's usage line,
/// and exit with [`EXIT_USAGE`]. Help and version are printed as clap does.
pub fn parse_or_exit<T>(parsed: Result<T, clap::Error>) -> T {
    let e = match parsed {
        Ok(v) => return v,
        Err(e) => e,
    };
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        // clap's own exit would say nothing of a failed write and exit 0: a
        // help that never reached its reader (a full disk) is no success.
        use std::io::Write;
        match e.print().and_then(|()| std::io::stdout().flush()) {
            Ok(()) => std::process::exit(EXIT_OK.into()),
            // A pipe closed early (`--help | head -1`) is the reader's
            // choice: nothing to say, as C tools say nothing.
            Err(w) if w.kind() == std::io::ErrorKind::BrokenPipe => {
                std::process::exit(EXIT_FAILURE.into())
            }
            Err(w) => {
                let _ = writeln!(
                    std::io::stderr(),
                    "error: cannot write to standard output ({})",
                    crate::text::system_words(&w)
                );
                std::process::exit(EXIT_FAILURE.into())
            }
        }
    }
    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        // Nothing to do was given: say so, then show what can be done.
        eprintln!("error: no subcommand given\n");
        eprint!("{}", e.render());
        std::process::exit(EXIT_USAGE.into());
    }
    let text = e.render().to_string();
    let (message, usage) = match text.find("\nUsage:") {
        Some(i) => (&text[..i], text[i + 1..].lines().next()),
        None => (text.as_str(), None),
    };
    // clap puts the missing or offending argument on lines of its own; join
    // them so the whole rule reads on one line. Its tips ("a similar argument
    // exists: …") follow on lines of their own, as clap words them.
    let (tips, rule): (Vec<&str>, Vec<&str>) = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("For more information"))
        .partition(|l| l.starts_with("tip:"));
    // The offending argument is quoted: escaped, as any text from outside.
    let safe = crate::text::escape::escape_text;
    let rule: Vec<String> = rule.iter().map(|l| safe(l)).collect();
    eprintln!(
        "{}",
        rule.join(" ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    );
    for tip in tips {
        eprintln!("{}", safe(tip));
    }
    match usage {
        Some(usage) => eprintln!("{}", safe(usage)),
        None => eprintln!("For more information, try '--help'."),
    }
    std::process::exit(EXIT_USAGE.into())
}

/// The three programs the crate installs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Program {
    TcpBoundary,
    EchoServer,
    EchoClient,
}

impl Program {
    /// Every program, `tcp-boundary` first.
    pub const ALL: [Program; 3] = [
        Program::TcpBoundary,
        Program::EchoServer,
        Program::EchoClient,
    ];

    /// The program's name, as installed.
    pub fn name(self) -> &'static str {
        match self {
            Program::TcpBoundary => "tcp-boundary",
            Program::EchoServer => "echo-server",
            Program::EchoClient => "echo-client",
        }
    }

    /// The program's command line, as its binary parses it.
    pub fn command(self) -> clap::Command {
        match self {
            Program::TcpBoundary => <TcpBoundaryArgs as clap::CommandFactory>::command(),
            Program::EchoServer => <EchoServerArgs as clap::CommandFactory>::command(),
            Program::EchoClient => <EchoClientArgs as clap::CommandFactory>::command(),
        }
    }
}
