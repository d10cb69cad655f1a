//! `tcp-boundary trace`: anyone's program, its socket calls shown.

use std::io::Write;

use tcp_boundary::cli::{self, TraceArgs};
use tcp_boundary::tools::trace;
use tcp_boundary::view::timeline::Layout;

pub fn run(args: TraceArgs, out: &mut dyn Write) -> anyhow::Result<u8> {
    let lang = args.lang.lang();
    cli::errors_in(lang);
    let config = args.config()?;
    let report = trace::trace(&config)?;
    match args.json {
        true => trace::json(&report, out)?,
        false => trace::text(&report, Layout::from_env().in_lang(lang), out)?,
    }
    Ok(cli::EXIT_OK)
}
