//! `tcp-boundary show` and `run`: the named scenarios. The switches and what
//! they choose are [`tcp_boundary::cli::RunArgs`]; this file runs and prints.

use std::io::Write;

use anyhow::Context;
use tcp_boundary::cli::{self, RunArgs};
use tcp_boundary::lesson::reader::ReaderKind;
use tcp_boundary::scenario::{Report, Scenario};
use tcp_boundary::text::escape::{escape_text, write_json};
use tcp_boundary::tr;
use tcp_boundary::view::timeline::Layout;
use tcp_boundary::view::{page, report};

pub fn run(mut args: RunArgs, out: &mut dyn Write) -> anyhow::Result<u8> {
    cli::errors_in(args.lang.lang());
    let (scenarios, seed_note) = args.scenarios()?;
    if let Some(note) = seed_note {
        eprintln!("{note}");
    }
    let lang = args.lang.lang();
    let layout = Layout::from_env().in_lang(lang);
    let readers = args.readers();
    // A class is told what a run waits for before it waits.
    args.say_waits(&scenarios);
    if let Some(times) = args.repeat {
        return repeat(&scenarios, &readers, &args, times as usize, out);
    }
    let results = Scenario::run_each(scenarios, &readers, args.seed)?;
    let ok = args.as_expected(&results);
    if let Some(path) = &args.html {
        let (s, reports) = &results[0];
        let html = page::scenario_page(s, reports, &page::Nav::default(), lang);
        // A symbolic link in the page's place is replaced, not written
        // through.
        tcp_boundary::view::file::replace_file(path, &html)
            .with_context(|| format!("cannot write {}", path.display()))?;
        let said = tr!(
            lang,
            "wrote-page",
            page = escape_text(&path.display().to_string())
        );
        writeln!(out, "{said}")?;
        report::closing_line(ok, lang, out)?;
    } else if args.json {
        let all: Vec<&Report> = results.iter().flat_map(|(_, r)| r).collect();
        write_json(&mut *out, &all, true)?;
        writeln!(out)?;
    } else if args.all {
        for (s, reports) in &results {
            report::scenario_run(s, reports, None, layout, out)?;
            writeln!(out)?;
        }
        report::all_summary(&results, layout, out)?;
        report::closing_line(ok, lang, out)?;
    } else {
        let (s, reports) = &results[0];
        let timeline = args.reader.unwrap_or(ReaderKind::Naive);
        report::scenario_run_paced(s, reports, Some(timeline), layout, args.pacing(), out)?;
        writeln!(out)?;
        report::closing_line(ok, lang, out)?;
    }
    Ok(if ok { cli::EXIT_OK } else { cli::EXIT_FAILURE })
}

fn repeat(
    scenarios: &[Scenario],
    readers: &[ReaderKind],
    args: &RunArgs,
    times: usize,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let lang = args.lang.lang();
    let json = args.json;
    let all = Scenario::repeat_each(
        scenarios,
        readers,
        args.seed,
        times,
        &mut |rep| match json {
            true => Ok(()),
            false => report::repetition(rep, lang, out),
        },
    )?;
    let ok = all.iter().all(|r| r.perfect());
    if args.json {
        write_json(&mut *out, &all, true)?;
        writeln!(out)?;
    } else {
        report::closing_line(ok, lang, out)?;
    }
    Ok(if ok { cli::EXIT_OK } else { cli::EXIT_FAILURE })
}
