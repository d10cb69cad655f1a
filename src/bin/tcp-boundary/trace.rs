//! `tcp-boundary trace`: anyone's program, its socket calls shown.

use std::io::Write;

use anyhow::Context;
use tcp_boundary::text::escape::escape_text;
use tcp_boundary::tr;

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
    if let Some(path) = &args.html {
        let page = trace::page(&report, lang);
        tcp_boundary::view::file::replace_file(path, &page)
            .with_context(|| format!("cannot write {}", path.display()))?;
        let path = escape_text(&path.display().to_string());
        writeln!(out, "{}", tr!(lang, "wrote-page", page = path))?;
    } else if args.json {
        trace::json(&report, out)?;
    } else {
        trace::text(&report, Layout::from_env().in_lang(lang), out)?;
    }
    Ok(match report.interrupted {
        true => cli::EXIT_INTERRUPTED,
        false => cli::EXIT_OK,
    })
}
