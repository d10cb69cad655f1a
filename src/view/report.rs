//! Showing scenarios and their results on a console a class can read.
//!
//! Colours are written as ANSI codes; the binary writes through `anstream`, which
//! drops them when the output is not a terminal or NO_COLOR is set.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use crate::lesson::reader::ReaderKind;
use crate::scenario::{Outcome, Report, Scenario};
use crate::view::escape::escape_fit;
use crate::view::timeline::{self, Layout, Pacing, wrap};

fn bold() -> Style {
    Style::new().bold()
}

fn good() -> Style {
    AnsiColor::Green.on_default()
}

fn bad() -> Style {
    AnsiColor::Red.on_default().bold()
}

fn mark(ok: bool) -> (Style, &'static str) {
    if ok { (good(), "✓") } else { (bad(), "✗") }
}

/// `text` after `first` on the first line and under it on the next ones,
/// wrapped to the layout's width.
fn indented(out: &mut dyn Write, first: &str, text: &str, layout: Layout) -> io::Result<()> {
    let indent = unicode_width::UnicodeWidthStr::width(first);
    let room = layout.width.saturating_sub(indent).max(20);
    for (i, line) in wrap(text, room).iter().enumerate() {
        if i == 0 {
            writeln!(out, "{first}{line}")?;
        } else {
            writeln!(out, "{:indent$}{line}", "")?;
        }
    }
    Ok(())
}

/// Where the length reader's headers start in each client's stream: before
/// each message, in the order sent (4 bytes of length, then the message).
fn length_headers(r: &Report) -> timeline::Headers {
    let mut headers = timeline::Headers::default();
    if r.reader != ReaderKind::Length {
        return headers;
    }
    let mut rounds: Vec<_> = r.rounds.iter().collect();
    rounds.sort_by_key(|x| (x.client, x.round));
    let mut next = std::collections::HashMap::new();
    for x in rounds {
        let at = next.entry(x.client).or_insert(0u64);
        headers.0.entry(x.client).or_insert_with(Vec::new).push(*at);
        *at += 4 + x.sent.len() as u64;
    }
    headers
}

/// `tcp-boundary list`: one entry per scenario, its lesson wrapped to fit.
pub fn list(scenarios: &[Scenario], layout: Layout, out: &mut dyn Write) -> io::Result<()> {
    let width = scenarios.iter().map(|s| s.name.len()).max().unwrap_or(0);
    let room = layout.width.saturating_sub(width + 2).max(20);
    for s in scenarios {
        // The name in bold, then the lesson wrapped in a column of its own.
        for (i, line) in wrap(&s.lesson, room).iter().enumerate() {
            let name = if i == 0 { s.name.as_str() } else { "" };
            writeln!(out, "{b}{name:width$}{b:#}  {line}", b = bold())?;
        }
    }
    Ok(())
}

/// The server's settings in words, with the seed in force (`seed` overrides
/// the file's).
pub fn describe_server(s: &Scenario, seed: Option<u64>) -> Vec<String> {
    let config = match s.server_config(seed) {
        Ok(config) => config,
        Err(e) => return vec![format!("cannot run: {e}")],
    };
    let shape = &config.shape;
    let mut out = vec![format!(
        "iterative echo server, read buffer {} bytes, serves {} client{}",
        config.buffer_size,
        match config.clients {
            0 => "any number of".to_string(),
            n => n.to_string(),
        },
        if config.clients == 1 { "" } else { "s" }
    )];
    if shape.socket.nodelay {
        out.push("TCP_NODELAY on: each write leaves at once".into());
    }
    if let Some(n) = shape.socket.send_buffer {
        out.push(format!("SO_SNDBUF asked: {n} bytes"));
    }
    if let Some(n) = shape.socket.recv_buffer {
        out.push(format!("SO_RCVBUF asked: {n} bytes"));
    }
    if shape.plan.is_active() {
        out.push(format!("echo cut into {}", shape.plan.describe()));
    }
    if !shape.read_delay.is_zero() {
        out.push(format!(
            "reads late: waits {} ms before each read",
            shape.read_delay.as_millis()
        ));
    }
    if let Some(n) = shape.cut_after {
        out.push(format!(
            "closes each connection after echoing {}",
            crate::view::bytes(n)
        ));
    }
    if let Some(n) = shape.reset_after {
        out.push(format!(
            "resets each connection (RST) after echoing {n} bytes"
        ));
    }
    out
}

/// The clients' settings in words.
pub fn describe_client(s: &Scenario) -> Vec<String> {
    let c = &s.client;
    let mut out = vec![format!("read buffer {} bytes", c.buffer_size)];
    if c.nodelay {
        out.push("TCP_NODELAY on".into());
    }
    if let Some(n) = c.send_buffer {
        out.push(format!("SO_SNDBUF asked: {n} bytes"));
    }
    if let Some(n) = c.recv_buffer {
        out.push(format!("SO_RCVBUF asked: {n} bytes"));
    }
    match (c.write_chunk, c.write_delay_ms) {
        (Some(n), 0) => out.push(format!(
            "writes each message in pieces of {}",
            crate::view::bytes(n as u64)
        )),
        (Some(n), ms) => out.push(format!(
            "writes each message in pieces of {n} bytes, {ms} ms pause after each"
        )),
        (None, 0) => {}
        (None, ms) => out.push(format!("pauses {ms} ms after each write")),
    }
    out
}

/// `tcp-boundary show NAME`: what the scenario sets up and expects.
pub fn show(s: &Scenario, layout: Layout, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{b}{}{b:#}", s.name, b = bold())?;
    indented(out, "", &s.lesson, layout)?;
    writeln!(out)?;
    indented(out, "", &s.description.replace('\n', " "), layout)?;
    writeln!(out)?;
    writeln!(out, "{b}server{b:#}", b = bold())?;
    for line in describe_server(s, None) {
        indented(out, "  - ", &line, layout)?;
    }
    writeln!(out, "{b}client{b:#}", b = bold())?;
    for line in describe_client(s) {
        indented(out, "  - ", &line, layout)?;
    }
    writeln!(out, "{b}script{b:#}", b = bold())?;
    for (i, step) in s.steps.iter().enumerate() {
        indented(out, &format!("  {}. ", i + 1), &step.describe(), layout)?;
    }
    writeln!(out, "{b}expected{b:#}", b = bold())?;
    for r in ReaderKind::ALL {
        writeln!(out, "  {:<7} {}", r.name(), s.expect.of(r))?;
    }
    if !s.point_at.is_empty() {
        writeln!(out, "{b}what to point at{b:#}", b = bold())?;
        indented(out, "  ", &s.point_at.replace('\n', " "), layout)?;
    }
    Ok(())
}

fn header(s: &Scenario, report: &Report, layout: Layout, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{b}━━ {} ━━{b:#}", s.name, b = bold())?;
    indented(out, "  ", &s.lesson, layout)?;
    // The seed in force is stated once, in the server's line that uses it.
    for line in describe_server(s, report.seed) {
        indented(out, "  server: ", &line, layout)?;
    }
    for line in describe_client(s) {
        indented(out, "  client: ", &line, layout)?;
    }
    if let Ok(config) = s.server_config(report.seed)
        && (!config.shape.plan.delay.is_zero() || !config.shape.read_delay.is_zero())
    {
        // Said once, where the pauses are announced: what they stand for here.
        indented(
            out,
            "  ",
            "(the pauses are not waited here: at each one the conductor lets the other \
             side run, which is all a pause is for; `run --pace` waits them)",
            layout,
        )?;
    }
    for line in &report.buffers {
        writeln!(out, "  {line}")?;
    }
    Ok(())
}

fn cell(outcome: &Outcome, received: Option<&[u8]>, width: usize) -> (Style, String) {
    let (style, m) = mark(*outcome == Outcome::Intact);
    // The longest wording that fits the column, never a word cut in two.
    let fit = |choices: &[&str]| {
        let room = width.saturating_sub(2);
        choices
            .iter()
            .find(|c| unicode_width::UnicodeWidthStr::width(**c) <= room)
            .unwrap_or(&choices[choices.len() - 1])
            .to_string()
    };
    let text = match (outcome, received) {
        (Outcome::Intact, _) => "ok".to_string(),
        (Outcome::Wrong, Some(got)) => escape_fit(got, width.saturating_sub(2)),
        (Outcome::Stalled, _) => fit(&["would wait forever", "waits forever", "stalls"]),
        (Outcome::ClosedMidMessage, _) => fit(&["closed mid-message", "closed mid-msg", "cut"]),
        (Outcome::Closed, _) => "closed".to_string(),
        (Outcome::Failed(_), _) => fit(&["error (see above)", "error"]),
        (Outcome::Wrong, None) => "?".to_string(),
    };
    let style = match outcome {
        Outcome::ClosedMidMessage | Outcome::Closed | Outcome::Failed(_) => {
            AnsiColor::Yellow.on_default()
        }
        _ => style,
    };
    let m = match outcome {
        Outcome::ClosedMidMessage | Outcome::Closed | Outcome::Failed(_) => "!",
        _ => m,
    };
    (style, format!("{m} {text}"))
}

/// The rounds of several readers side by side: one row per round, one column
/// per reader, so a class sees where the naive reader parts from the others.
pub fn rounds_side_by_side(
    reports: &[Report],
    layout: Layout,
    out: &mut dyn Write,
) -> io::Result<()> {
    let Some(first) = reports.first() else {
        return Ok(());
    };
    // "  round   " then the message and one column per reader, each cell
    // followed by a space.
    let w = ((layout.width - 10) / (reports.len() + 1))
        .saturating_sub(1)
        .clamp(6, 24);
    let wide = |s: &str| unicode_width::UnicodeWidthStr::width(s);
    write!(out, "  {b}{:<7} {:<w$}", "round", "sent", b = bold())?;
    for r in reports {
        write!(out, " {:<w$}", r.reader.name())?;
    }
    writeln!(out, "{b:#}", b = bold())?;
    for round in &first.rounds {
        write!(
            out,
            "  {:<7} {:<w$}",
            format!("c{} #{}", round.client, round.round),
            escape_fit(&round.sent, w)
        )?;
        for r in reports {
            // The same message in each reader's run: same client, same round.
            let same =
                |x: &&crate::scenario::Round| x.client == round.client && x.round == round.round;
            match r.rounds.iter().find(same) {
                Some(x) => {
                    let (style, text) = cell(&x.outcome, x.received.as_deref(), w);
                    let pad = w.saturating_sub(wide(&text));
                    write!(out, " {style}{text}{style:#}{:pad$}", "")?;
                }
                None => write!(out, " {:<w$}", "-")?,
            }
        }
        writeln!(out)?;
    }
    // Waits worth pointing at (a queued client).
    for round in first.rounds.iter().filter(|r| r.waited_ms >= 100) {
        let text = format!(
            "client {} waited {} ms for reply {} (the server was busy with another client)",
            round.client, round.waited_ms, round.round
        );
        indented(out, "  ", &text, layout)?;
    }
    Ok(())
}

/// Each reader's verdict against the expected one.
pub fn verdicts(reports: &[Report], out: &mut dyn Write) -> io::Result<()> {
    // The reader's result in its own colour (broken is red even when it was
    // predicted), then whether the scenario's prediction held: the mark is
    // about the prediction, never about the reader's health.
    writeln!(
        out,
        "  {b}{:<7} {:<9} {:<10} prediction{b:#}",
        "reader",
        "result",
        "predicted",
        b = bold()
    )?;
    for r in reports {
        let result = match r.verdict {
            crate::scenario::Verdict::Intact => good(),
            crate::scenario::Verdict::Broken => bad(),
            crate::scenario::Verdict::Detected => AnsiColor::Yellow.on_default(),
        };
        let (style, m) = mark(r.as_expected);
        let held = if r.as_expected { "held" } else { "failed" };
        writeln!(
            out,
            "  {:<7} {result}{:<9}{result:#} {:<10} {style}{m} {held}{style:#}",
            r.reader.name(),
            r.verdict.to_string(),
            r.expected.to_string(),
        )?;
    }
    let mut seen = Vec::new();
    for c in reports.iter().flat_map(|r| &r.checks) {
        if seen.contains(&&c.what) {
            continue;
        }
        seen.push(&c.what);
        let (style, m) = mark(c.ok);
        writeln!(out, "  {style}{m}{style:#} {}", c.what)?;
    }
    Ok(())
}

/// The full report of one scenario: its header, the timeline of `timeline_of`
/// (if any), the rounds of every reader side by side, and the verdicts.
pub fn scenario_run(
    s: &Scenario,
    reports: &[Report],
    timeline_of: Option<ReaderKind>,
    layout: Layout,
    out: &mut dyn Write,
) -> io::Result<()> {
    scenario_run_paced(s, reports, timeline_of, layout, Pacing::AtOnce, out)
}

/// [`scenario_run`] with its timeline paced (`run --pace`, `run --step`;
/// Enter is read from standard input).
pub fn scenario_run_paced(
    s: &Scenario,
    reports: &[Report],
    timeline_of: Option<ReaderKind>,
    layout: Layout,
    pacing: Pacing,
    out: &mut dyn Write,
) -> io::Result<()> {
    let Some(first) = reports.first() else {
        return Ok(());
    };
    header(s, first, layout, out)?;
    if let Some(r) = timeline_of.and_then(|k| reports.iter().find(|r| r.reader == k)) {
        writeln!(out)?;
        writeln!(out, "{b}timeline, {} reader{b:#}", r.reader, b = bold())?;
        let headers = length_headers(r);
        timeline::render_paced(
            &r.timeline,
            layout,
            pacing,
            &headers,
            &mut io::stdin().lock(),
            out,
        )?;
    }
    writeln!(out)?;
    rounds_side_by_side(reports, layout, out)?;
    writeln!(out)?;
    verdicts(reports, out)?;
    Ok(())
}

/// One line per scenario and reader for `run --all`, then the count.
pub fn all_summary(
    results: &[(Scenario, Vec<Report>)],
    layout: Layout,
    out: &mut dyn Write,
) -> io::Result<bool> {
    let mut all_ok = true;
    writeln!(out, "{b}summary{b:#}", b = bold())?;
    for (s, reports) in results {
        // Entries go on the scenario's line while they fit, then under it.
        write!(out, "  {:<16}", s.name)?;
        let mut used = 18;
        for r in reports {
            all_ok &= r.as_expected;
            let (style, m) = mark(r.as_expected);
            let entry = format!("{}={}", r.reader, r.verdict);
            let w = entry.len() + 3;
            if used + w > layout.width {
                write!(out, "\n{:18}", "")?;
                used = 18;
            }
            write!(out, " {style}{m}{style:#} {entry}")?;
            used += w;
        }
        writeln!(out)?;
    }
    Ok(all_ok)
}

/// "all as expected" or the count of surprises, as the last line.
pub fn closing_line(ok: bool, out: &mut dyn Write) -> io::Result<()> {
    if ok {
        writeln!(out, "{g}every verdict as expected{g:#}", g = good())
    } else {
        writeln!(out, "{r}some verdicts were not as expected{r:#}", r = bad())
    }
}
