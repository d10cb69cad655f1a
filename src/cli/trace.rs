//! `tcp-boundary trace`'s switches.

use std::time::Duration;

use super::shape::number_in;
use super::{LangArg, ServerArgs, UsageError};
use crate::lesson::server::ServerConfig;
use crate::tools::trace::{DEFAULT_LIMIT_SECS, MAX_LIMIT_SECS, TraceConfig};

/// Run COMMAND against our echo server and show its socket calls: each read
/// with the size it asked for, what waited in its socket just before it
/// (measured) and what it got; each write, connect, shutdown and close.
/// `{addr}` (HOST:PORT), `{host}` and `{port}` in its arguments are the
/// server's, which is also in TCP_BOUNDARY_ADDR, TCP_BOUNDARY_HOST and
/// TCP_BOUNDARY_PORT. The program's own output goes to standard error, its
/// input is ours. Only its connections to the server are shown, to the end
/// of every process it started. Exit status: 0 once it has ended (whatever
/// its own status, which the report says), 2 bad usage, 3 it could not be
/// run or traced, 130 interrupted (Ctrl-C, SIGTERM: the program is ended,
/// and what it did is shown).
#[derive(Debug, clap::Args)]
#[command(allow_negative_numbers = true)]
pub struct TraceArgs {
    /// Print the report as JSON (in English, whatever --lang says).
    #[arg(long)]
    pub json: bool,
    /// Write the calls as a page to this file: one self-contained HTML page
    /// that steps through them as a scenario's page does, offline.
    #[arg(long, value_name = "PAGE.html", value_hint = clap::ValueHint::FilePath, conflicts_with = "json")]
    pub html: Option<std::path::PathBuf>,
    /// The longest the program may run, in seconds (1 to 3600): then it is
    /// ended, and what it did is shown.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_LIMIT_SECS, value_parser = number_in(1, MAX_LIMIT_SECS))]
    pub limit: u64,
    /// The echo server the program talks to, as `echo-server` takes its
    /// switches (the port is chosen, and every connection is served, so
    /// `--clients` is not used; `--fragment`, `--chunk 4` and the other
    /// shaping switches split its replies).
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(flatten)]
    pub lang: LangArg,
    /// Trace the book's own client, book/echo_client.c, instead of a
    /// COMMAND: compiled once with the system's C compiler ($CC, else cc)
    /// into ~/.cache/tcp-boundary, run as `echo_client HOST PORT`. Type
    /// messages to it; Q ends it.
    #[arg(long, conflicts_with = "command")]
    pub book_client: bool,
    /// The program and its arguments.
    #[arg(last = true, required_unless_present = "book_client", value_name = "COMMAND", value_hint = clap::ValueHint::CommandWithArguments)]
    pub command: Vec<String>,
}

impl TraceArgs {
    /// The trace the switches ask for.
    pub fn config(&self) -> Result<TraceConfig, UsageError> {
        let resolved = self.server.resolve_in(self.lang.lang())?;
        Ok(TraceConfig {
            command: self.command.clone(),
            book_client: self.book_client,
            // Every connection the program makes is served, however many.
            server: ServerConfig {
                clients: 0,
                ..resolved.config
            },
            socket: resolved.socket,
            limit: Duration::from_secs(self.limit),
            bind: self.server.bind,
        })
    }
}
