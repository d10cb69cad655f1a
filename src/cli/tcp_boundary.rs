//! `tcp-boundary`'s command line: its subcommands and global switches. Each
//! subcommand's switches are in a file of their own beside this one; the
//! binary parses them and calls the library.

use clap::{Parser, Subcommand};

use super::LangArg;
use super::bench::BenchArgs;
use super::check::CheckArgs;
use super::complete::Offered;
use super::install::{CompletionsArgs, ManArgs};
use super::lesson::LessonArgs;
use super::proxy::ProxyArgs;
use super::scenarios::{RunArgs, scenario_names};
use super::trace::TraceArgs;

/// Teach, reproduce and test TCP's missing message boundaries.
///
/// Each scenario runs a real echo server and client on a loopback port, with the
/// naive reader (one read per message, the classic bug) and the correct readers,
/// and shows every write and read. The same scenario gives the same timeline on
/// every run.
#[derive(Debug, Parser)]
#[command(name = "tcp-boundary", version)]
pub struct TcpBoundaryArgs {
    #[command(subcommand)]
    pub command: TcpBoundaryCommand,
    /// When to colour the output: auto (on a terminal, unless NO_COLOR is
    /// set), always, or never.
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    /// Write long reports straight to the terminal instead of through
    /// $PAGER (default `less`, colours kept).
    #[arg(long, global = true)]
    pub no_pager: bool,
}

/// `--color`'s choices.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

/// `tcp-boundary`'s subcommands.
#[derive(Debug, Subcommand)]
pub enum TcpBoundaryCommand {
    /// List the scenarios with their one-line lessons.
    List {
        #[command(flatten)]
        lang: LangArg,
    },
    /// Show what a scenario sets up and expects.
    Show {
        /// A scenario name (see `list`) or the path of a scenario file.
        #[arg(value_parser = Offered(scenario_names), hide_possible_values = true)]
        scenario: String,
        #[command(flatten)]
        lang: LangArg,
    },
    /// Run a scenario: timeline, each reader's replies, verdicts.
    Run(Box<RunArgs>),
    /// Write the lesson as pages for a browser: an index and one page per
    /// scenario, each a picture of the run to step through in class.
    Lesson(LessonArgs),
    /// Measure an echo server (ours, the book's C server, any plain echo) beside
    /// the loopback limit measured in the same run.
    Bench(Box<BenchArgs>),
    /// Run any client under every shape of fragmentation, and say which shape
    /// breaks it, with the command that breaks it again.
    ///
    /// Example: `tcp-boundary check -- python3 client.py {addr}`.
    Check(Box<CheckArgs>),
    /// A proxy that reshapes the byte stream between any client and any server:
    /// fragmenting, pacing, coalescing, cutting connections.
    ///
    /// The `--down-…` switches shape server → client, the `--up-…` switches
    /// client → server. Example: `--down-chunk 3 --down-chunk-delay-ms 50
    /// --up-read-delay-ms 200` fragments replies and merges requests.
    Proxy(Box<ProxyArgs>),
    /// Run any program against our echo server and show its socket calls:
    /// which read took which part of a reply.
    ///
    /// Example: `tcp-boundary trace --fragment -- python3 client.py {addr}`.
    Trace(Box<TraceArgs>),
    /// Print the shell completion script of tcp-boundary, echo-server and
    /// echo-client (bash, zsh, fish, elvish or powershell).
    ///
    /// Example: `source <(tcp-boundary completions bash)`, in ~/.bashrc.
    Completions(CompletionsArgs),
    /// Print a man page of tcp-boundary, echo-server or echo-client, or write
    /// them all to a folder.
    ///
    /// Example: `tcp-boundary man --out ~/.local/share/man/man1`.
    Man(ManArgs),
}
