//! `tcp-boundary trace`: anyone's program, its socket calls shown.

use std::io::Write;

use tcp_boundary::cli::{self, TraceArgs};
use tcp_boundary::tools::trace;
use tcp_boundary::view::timeline::Layout;

pub fn run(args: TraceArgs, out: &mut dyn Write) -> anyhow::Result<u8> {
    let lang = args.lang.lang();
    cli::errors_in(lang);
    let config = args.config()?;
    // Ctrl-C or SIGTERM: the program ends (its whole group), and what it did
    // is shown all the same.
    let _ = ctrlc::set_handler(trace::end_program);
    let report = trace::trace(&config)?;
    match args.json {
        true => trace::json(&report, out)?,
        false => trace::text(&report, Layout::from_env().in_lang(lang), out)?,
    }
    Ok(match report.interrupted {
        true => cli::EXIT_INTERRUPTED,
        false => cli::EXIT_OK,
    })
}
