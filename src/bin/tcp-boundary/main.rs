//! `tcp-boundary`: the scenarios of the TCP message-boundary lesson, and the
//! tools for other people's programs. This file only parses and dispatches;
//! each subcommand lives in a file of its own. The command line is
//! [`tcp_boundary::cli::TcpBoundaryArgs`].

use std::process::ExitCode;

use clap::Parser;
use tcp_boundary::cli::{self, Color, TcpBoundaryArgs, TcpBoundaryCommand as Command};
use tcp_boundary::scenario::Scenario;
use tcp_boundary::view::timeline::Layout;
use tcp_boundary::view::{pager, report};

mod bench;
mod check;
mod install;
mod lesson;
mod proxy;
mod scenarios;
mod trace;

fn main() -> ExitCode {
    cli::quiet_on_closed_pipe();
    let args = cli::parse_or_exit(TcpBoundaryArgs::try_parse());
    cli::exit_with(run(args))
}

fn run(args: TcpBoundaryArgs) -> anyhow::Result<u8> {
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
            cli::errors_in(lang.lang());
            let layout = Layout::from_env().in_lang(lang.lang());
            report::show(
                &cli::find_scenario(&scenario, lang.lang())?,
                layout,
                &mut page,
            )?;
            cli::EXIT_OK
        }
        Command::Run(run) if !run.paged() => return scenarios::run(*run, &mut anstream::stdout()),
        Command::Run(run) => scenarios::run(*run, &mut page)?,
        Command::Lesson(args) => return lesson::run(args, &mut anstream::stdout()),
        Command::Bench(args) => return bench::run(*args, &mut anstream::stdout()),
        Command::Proxy(args) => return proxy::run(&args),
        Command::Check(args) => return check::run(*args, &mut anstream::stdout()),
        Command::Trace(args) => return trace::run(*args, &mut anstream::stdout()),
        Command::Completions(args) => return install::completions(&args),
        Command::Man(args) => return install::man(&args),
    };
    pager::show(&page, !args.no_pager)?;
    Ok(code)
}
