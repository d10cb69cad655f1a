//! `tcp-boundary check`: run a client under every shape of fragmentation.

use std::io::Write;

use anyhow::Context;
use tcp_boundary::cli::{self, CheckArgs};
use tcp_boundary::tools::check::{self, report};

pub fn run(args: CheckArgs, out: &mut dyn Write) -> anyhow::Result<u8> {
    let config = args.config()?;
    let outcome = check::check(&config)?;
    if let Some(path) = &args.junit {
        std::fs::write(path, report::junit(&outcome)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if args.json {
        report::json(&outcome, out)?;
    } else {
        report::text(&outcome, args.lang.lang(), out)?;
    }
    Ok(if outcome.passed() {
        cli::EXIT_OK
    } else {
        cli::EXIT_FAILURE
    })
}
