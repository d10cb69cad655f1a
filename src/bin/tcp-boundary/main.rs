//! `tcp-boundary`: the scenarios of the TCP message-boundary lesson, and the
//! tools for other people's programs. This file only parses and dispatches;
//! each subcommand lives in a file of its own.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tcp_boundary::cli;
use tcp_boundary::scenario::Scenario;
use tcp_boundary::view::timeline::Layout;
use tcp_boundary::view::{pager, report};

mod bench;
mod check;
mod lesson;
mod proxy;
mod scenarios;

/// Teach, reproduce and test TCP's missing message boundaries.
///
/// Each scenario runs a real echo server and client on a loopback port, with the
/// naive reader (one read per message, the classic bug) and the correct readers,
/// and shows every write and read. The same scenario gives the same timeline on
/// every run.
#[derive(Debug, Parser)]
#[command(name = "tcp-boundary", version)]
struct Args {
    #[command(subcommand)]
    command: Command,
    /// When to colour the output: auto (on a terminal, unless NO_COLOR is
    /// set), always, or never.
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// Write long reports straight to the terminal instead of through
    /// $PAGER (default `less`, colours kept).
    #[arg(long, global = true)]
    no_pager: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the scenarios with their one-line lessons.
    List {
        #[command(flatten)]
        lang: cli::LangArg,
    },
    /// Show what a scenario sets up and expects.
    Show {
        /// A scenario name (see `list`) or the path of a scenario file.
        scenario: String,
        #[command(flatten)]
        lang: cli::LangArg,
    },
    /// Run a scenario: timeline, each reader's replies, verdicts.
    Run(Box<scenarios::RunArgs>),
    /// Write the lesson as pages for a browser: an index and one page per
    /// scenario, each a picture of the run to step through in class.
    Lesson(lesson::LessonArgs),
    /// Measure an echo server (ours, the seed's C server, any plain echo) beside
    /// the loopback limit measured in the same run.
    Bench(Box<bench::BenchArgs>),
    /// Run any client under every shape of fragmentation, and say which shape
    /// breaks it, with the command that breaks it again.
    ///
    /// Example: `tcp-boundary check -- python3 client.py {addr}`.
    Check(Box<check::CheckArgs>),
    /// A proxy that reshapes the byte stream between any client and any server:
    /// slicing, pacing, coalescing, cutting.
    ///
    /// The `--down-…` switches shape server → client, the `--up-…` switches
    /// client → server. Example: `--down-chunk 3 --down-chunk-delay-ms 50
    /// --up-read-delay-ms 200` slices replies and merges requests.
    Proxy(Box<cli::ProxyArgs>),
}

fn main() -> ExitCode {
    cli::quiet_on_closed_pipe();
    let args = cli::parse_or_exit(Args::try_parse());
    cli::exit_with(run(args))
}

fn run(args: Args) -> anyhow::Result<u8> {
    anstream::ColorChoice::write_global(match args.color {
        Color::Auto => anstream::ColorChoice::Auto,
        Color::Always => anstream::ColorChoice::Always,
        Color::Never => anstream::ColorChoice::Never,
    });
    // Reports are made whole, then shown: through a pager when they are
    // taller than the terminal. JSON and --repeat's running count go straight
    // out.
    let mut page = Vec::new();
    let code = match args.command {
        Command::List { lang } => {
            let layout = Layout::from_env().in_lang(lang.lang());
            report::list(&Scenario::builtins(), layout, &mut page)?;
            cli::EXIT_OK
        }
        Command::Show { scenario, lang } => {
            let layout = Layout::from_env().in_lang(lang.lang());
            report::show(&scenarios::find(&scenario)?, layout, &mut page)?;
            cli::EXIT_OK
        }
        Command::Run(run)
            if run.json || run.repeat.is_some() || run.pace || run.step || run.html.is_some() =>
        {
            return scenarios::run(*run, &mut anstream::stdout());
        }
        Command::Run(run) => scenarios::run(*run, &mut page)?,
        Command::Lesson(args) => return lesson::run(args, &mut anstream::stdout()),
        Command::Bench(args) => return bench::run(*args, &mut anstream::stdout()),
        Command::Proxy(args) => return proxy::run(&args),
        Command::Check(args) => return check::run(*args, &mut anstream::stdout()),
    };
    pager::show(&page, !args.no_pager)?;
    Ok(code)
}
