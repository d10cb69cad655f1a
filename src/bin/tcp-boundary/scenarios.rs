//! `tcp-boundary list`, `show` and `run`: the named scenarios.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use tcp_boundary::cli::{self, RunArgs, UsageError};
use tcp_boundary::lang::Lang;
use tcp_boundary::lesson::reader::ReaderKind;
use tcp_boundary::scenario::{BUILTIN, Report, Scenario};
use tcp_boundary::shape::choose_seed;
use tcp_boundary::tr;
use tcp_boundary::view::escape::{escape_text, write_json};
use tcp_boundary::view::timeline::{Layout, Pacing};
use tcp_boundary::view::{page, report};

/// A built-in scenario by name, or a file by path.
pub fn find(name_or_path: &str) -> anyhow::Result<Scenario> {
    if name_or_path.ends_with(".toml") || name_or_path.contains('/') {
        return Scenario::load(Path::new(name_or_path))
            .map_err(|e| UsageError(e.to_string()).into());
    }
    Scenario::builtin(name_or_path).ok_or_else(|| {
        let names: Vec<&str> = BUILTIN.iter().map(|(name, _)| *name).collect();
        UsageError(format!(
            "no scenario named '{name_or_path}' (try one of: {})",
            names.join(", ")
        ))
        .into()
    })
}

pub fn run(mut args: RunArgs, out: &mut dyn Write) -> anyhow::Result<u8> {
    let mut scenarios = match &args.scenario {
        Some(name) => vec![find(name)?],
        None => Scenario::builtins(),
    };
    // Switches that make the server's shape random need a seed; a scenario's
    // file gives its own, the command line may give one, else one is chosen.
    let spec = args.shape.spec();
    if spec.needs_seed() && args.seed.is_none() {
        let (seed, note) = choose_seed(None, true).map_err(|e| UsageError(e.to_string()))?;
        args.seed = Some(seed);
        if let Some(note) = note {
            eprintln!("{note}");
        }
    }
    for s in &mut scenarios {
        s.shape_override = spec;
        // The command line's shaping changes what a run costs: checked
        // against the limits before anything runs, as a file's keys are.
        s.validate().map_err(|e| UsageError(e.to_string()))?;
    }
    let lang = args.lang.lang();
    let layout = Layout::from_env().in_lang(lang);
    let readers: Vec<ReaderKind> = match (args.reader, &args.html) {
        // A page shows every reader, the one asked for first.
        (first, Some(_)) => page::reader_order(first),
        (Some(r), None) => vec![r],
        (None, None) => ReaderKind::ALL.to_vec(),
    };
    if let Some(times) = args.repeat {
        return repeat(
            &scenarios,
            &readers,
            (args.seed, times as usize),
            args.json,
            lang,
            out,
        );
    }
    let mut results: Vec<(Scenario, Vec<Report>)> = Vec::new();
    for s in scenarios {
        let reports = readers
            .iter()
            .map(|&r| s.run(r, args.seed))
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("scenario {}", s.name))?;
        results.push((s, reports));
    }
    // The exit status is about the readers asked for (all, without --reader).
    let ok = results.iter().all(|(_, reports)| {
        reports
            .iter()
            .filter(|r| args.reader.is_none_or(|k| k == r.reader))
            .all(|r| r.as_expected)
    });
    if let Some(path) = &args.html {
        let (s, reports) = &results[0];
        let html = page::scenario_page(s, reports, &page::Nav::default(), lang);
        std::fs::write(path, html).with_context(|| format!("cannot write {}", path.display()))?;
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
        let pacing = match (args.pace, args.step) {
            (true, _) => Pacing::Pace,
            (_, true) => Pacing::Step,
            _ => Pacing::AtOnce,
        };
        report::scenario_run_paced(s, reports, Some(timeline), layout, pacing, out)?;
        writeln!(out)?;
        report::closing_line(ok, lang, out)?;
    }
    Ok(if ok { cli::EXIT_OK } else { cli::EXIT_FAILURE })
}

fn repeat(
    scenarios: &[Scenario],
    readers: &[ReaderKind],
    (seed, times): (Option<u64>, usize),
    json: bool,
    lang: Lang,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let mut all = Vec::new();
    for s in scenarios {
        for &r in readers {
            let rep = s
                .repeat(r, seed, times)
                .with_context(|| format!("scenario {}", s.name))?;
            if !json {
                let said = tr!(
                    lang,
                    "repeat-line",
                    runs = rep.runs,
                    expected = rep.as_expected,
                    same = rep.same_timeline
                );
                let name = report::pad(&escape_text(&rep.scenario), 16);
                writeln!(out, "{name} {:<7} {said}", rep.reader)?;
            }
            all.push(rep);
        }
    }
    let ok = all.iter().all(|r| r.perfect());
    if json {
        write_json(&mut *out, &all, true)?;
        writeln!(out)?;
    } else {
        report::closing_line(ok, lang, out)?;
    }
    Ok(if ok { cli::EXIT_OK } else { cli::EXIT_FAILURE })
}
