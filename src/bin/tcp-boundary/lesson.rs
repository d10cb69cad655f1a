//! `tcp-boundary lesson`: the whole lesson as a site of pages.

use std::io::Write;

use anyhow::Context;
use tcp_boundary::cli::{self, LessonArgs};
use tcp_boundary::lesson::reader::ReaderKind;
use tcp_boundary::scenario::Scenario;
use tcp_boundary::text::escape::escape_text;
use tcp_boundary::tr;
use tcp_boundary::view::{page, report};

pub fn run(args: LessonArgs, out: &mut dyn Write) -> anyhow::Result<u8> {
    let results = Scenario::run_each(Scenario::builtins(), &ReaderKind::ALL, None)?;
    let lang = args.lang.lang();
    let written = page::write_site(&args.out, &results, &args.command(), lang)
        .with_context(|| format!("cannot write the site to {}", args.out.display()))?;
    let index = args.out.join("index.html");
    let said = tr!(
        lang,
        "wrote-site",
        index = escape_text(&index.display().to_string()),
        pages = written.len() - 1
    );
    writeln!(out, "{said}")?;
    let ok = results.iter().all(|(_, r)| r.iter().all(|r| r.as_expected));
    report::closing_line(ok, lang, out)?;
    Ok(if ok { cli::EXIT_OK } else { cli::EXIT_FAILURE })
}
