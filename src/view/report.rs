//! Showing scenarios and their results on a console a class can read.
//!
//! Colours are written as ANSI codes; the binary writes through `anstream`, which
//! drops them when the output is not a terminal or NO_COLOR is set.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use crate::lesson::reader::ReaderKind;
use crate::scenario::{Outcome, Report, Scenario};
use crate::view::escape::escape_short;
use crate::view::timeline;

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

/// `tcp-boundary list`: one line per scenario.
pub fn list(scenarios: &[Scenario], out: &mut dyn Write) -> io::Result<()> {
    let width = scenarios.iter().map(|s| s.name.len()).max().unwrap_or(0);
    for s in scenarios {
        writeln!(out, "{b}{:width$}{b:#}  {}", s.name, s.lesson, b = bold())?;
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
        out.push(format!("closes each connection after echoing {n} bytes"));
    }
    if let Some(n) = shape.reset_after {
        out.push(format!(
            "resets each connection (RST) after echoing {n} bytes"
        ));
    }
    out
}

fn describe_client(s: &Scenario) -> Vec<String> {
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
        (Some(n), 0) => out.push(format!("writes each message in pieces of {n} bytes")),
        (Some(n), ms) => out.push(format!(
            "writes each message in pieces of {n} bytes, {ms} ms pause after each"
        )),
        (None, 0) => {}
        (None, ms) => out.push(format!("pauses {ms} ms after each write")),
    }
    out
}

/// `tcp-boundary show NAME`: what the scenario sets up and expects.
pub fn show(s: &Scenario, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{b}{}{b:#}: {}", s.name, s.lesson, b = bold())?;
    writeln!(out)?;
    writeln!(out, "{}", s.description)?;
    writeln!(out)?;
    writeln!(out, "{b}server{b:#}", b = bold())?;
    for line in describe_server(s, None) {
        writeln!(out, "  - {line}")?;
    }
    writeln!(out, "{b}client{b:#}", b = bold())?;
    for line in describe_client(s) {
        writeln!(out, "  - {line}")?;
    }
    writeln!(out, "{b}script{b:#}", b = bold())?;
    for (i, step) in s.steps.iter().enumerate() {
        writeln!(out, "  {}. {}", i + 1, step.describe())?;
    }
    writeln!(out, "{b}expected{b:#}", b = bold())?;
    for r in ReaderKind::ALL {
        writeln!(out, "  {:<7} {}", r.name(), s.expect.of(r))?;
    }
    if !s.point_at.is_empty() {
        writeln!(out, "{b}what to point at{b:#}", b = bold())?;
        writeln!(out, "  {}", s.point_at.replace('\n', "\n  "))?;
    }
    Ok(())
}

fn header(s: &Scenario, report: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{b}━━ {} ━━{b:#} {}", s.name, s.lesson, b = bold())?;
    // The seed in force is stated once, in the server's line that uses it.
    for line in describe_server(s, report.seed) {
        writeln!(out, "  server: {line}")?;
    }
    for line in describe_client(s) {
        writeln!(out, "  client: {line}")?;
    }
    for line in &report.buffers {
        writeln!(out, "  {line}")?;
    }
    Ok(())
}

fn cell(outcome: &Outcome, received: Option<&[u8]>, width: usize) -> (Style, String) {
    let (style, m) = mark(*outcome == Outcome::Intact);
    let text = match (outcome, received) {
        (Outcome::Intact, _) => "ok".to_string(),
        (Outcome::Wrong, Some(got)) => escape_short(got, width.saturating_sub(2)),
        (Outcome::Stalled, _) => "waits forever".to_string(),
        (Outcome::ClosedMidMessage, _) => "closed mid-msg".to_string(),
        (Outcome::Closed, _) => "closed".to_string(),
        (Outcome::Failed(e), _) => escape_short(e.as_bytes(), width.saturating_sub(2)),
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
pub fn rounds_side_by_side(reports: &[Report], out: &mut dyn Write) -> io::Result<()> {
    const W: usize = 18;
    let Some(first) = reports.first() else {
        return Ok(());
    };
    write!(out, "  {b}{:<7} {:<W$}", "round", "sent", b = bold())?;
    for r in reports {
        write!(out, " {:<W$}", r.reader.name())?;
    }
    writeln!(out, "{b:#}", b = bold())?;
    for (i, round) in first.rounds.iter().enumerate() {
        write!(
            out,
            "  {:<7} {:<W$}",
            format!("c{} #{}", round.client, round.round),
            escape_short(&round.sent, W)
        )?;
        for r in reports {
            match r.rounds.get(i) {
                Some(x) => {
                    let (style, text) = cell(&x.outcome, x.received.as_deref(), W);
                    let pad = W.saturating_sub(text.chars().count());
                    write!(out, " {style}{text}{style:#}{:pad$}", "")?;
                }
                None => write!(out, " {:<W$}", "-")?,
            }
        }
        writeln!(out)?;
    }
    // Waits worth pointing at (a queued client).
    for round in first.rounds.iter().filter(|r| r.waited_ms >= 100) {
        writeln!(
            out,
            "  client {} waited {} ms for reply {} (the server was busy with another client)",
            round.client, round.waited_ms, round.round
        )?;
    }
    Ok(())
}

/// Each reader's verdict against the expected one.
pub fn verdicts(reports: &[Report], out: &mut dyn Write) -> io::Result<()> {
    for r in reports {
        let (style, m) = mark(r.as_expected);
        let expected = if r.verdict == r.expected {
            "as expected".to_string()
        } else {
            format!("expected {}", r.expected)
        };
        writeln!(
            out,
            "  {style}{m}{style:#} {:<7} {:<9} {}",
            r.reader.name(),
            r.verdict.to_string(),
            expected
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
    out: &mut dyn Write,
) -> io::Result<()> {
    let Some(first) = reports.first() else {
        return Ok(());
    };
    header(s, first, out)?;
    if let Some(r) = timeline_of.and_then(|k| reports.iter().find(|r| r.reader == k)) {
        writeln!(out)?;
        writeln!(out, "{b}timeline, {} reader{b:#}", r.reader, b = bold())?;
        timeline::render(&r.timeline, out)?;
    }
    writeln!(out)?;
    rounds_side_by_side(reports, out)?;
    writeln!(out)?;
    verdicts(reports, out)?;
    Ok(())
}

/// One line per scenario and reader for `run --all`, then the count.
pub fn all_summary(results: &[(Scenario, Vec<Report>)], out: &mut dyn Write) -> io::Result<bool> {
    let mut all_ok = true;
    writeln!(out, "{b}summary{b:#}", b = bold())?;
    for (s, reports) in results {
        write!(out, "  {:<16}", s.name)?;
        for r in reports {
            all_ok &= r.as_expected;
            let (style, m) = mark(r.as_expected);
            write!(out, " {style}{m}{style:#} {}={}", r.reader, r.verdict)?;
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
