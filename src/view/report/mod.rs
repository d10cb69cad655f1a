//! Showing scenarios and their results on a console a class can read.
//!
//! Colours are written as ANSI codes; the binary writes through `anstream`, which
//! drops them when the output is not a terminal or NO_COLOR is set.

use std::io::{self, IsTerminal, Write};

use anstyle::{AnsiColor, Style};

use crate::lang::Lang;
use crate::lesson::reader::{ReaderKind, on_the_wire};
use crate::scenario::{Repetition, Report, Scenario, SideProgram};
use crate::text::escape::{escape, escape_file_text};
use crate::tr;
use crate::view::keys;
use crate::view::timeline::{self, Layout, Pacing, wrap};

mod rounds;

pub use rounds::rounds_side_by_side;

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
/// `first` may carry colour codes: the indent is the width of what shows.
fn indented(out: &mut dyn Write, first: &str, text: &str, layout: Layout) -> io::Result<()> {
    let shown = anstream::adapter::strip_str(first).to_string();
    let indent = unicode_width::UnicodeWidthStr::width(shown.as_str());
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
        *at += on_the_wire(x.sent.len()) as u64;
    }
    headers
}

/// `tcp-boundary list`: one entry per scenario, its lesson wrapped to fit.
/// Names and lessons are text from files: escaped ([`escape_file_text`]).
pub fn list(scenarios: &[Scenario], layout: Layout, out: &mut dyn Write) -> io::Result<()> {
    let names: Vec<String> = scenarios
        .iter()
        .map(|s| escape_file_text(&s.name))
        .collect();
    let width = names
        .iter()
        .map(|n| unicode_width::UnicodeWidthStr::width(n.as_str()))
        .max()
        .unwrap_or(0);
    let room = layout.width.saturating_sub(width + 2).max(20);
    for (s, name) in scenarios.iter().zip(&names) {
        // The name in bold, then the lesson wrapped in a column of its own.
        let lesson = escape_file_text(s.lesson_in(layout.lang));
        for (i, line) in wrap(&lesson, room).iter().enumerate() {
            let name = if i == 0 { name.as_str() } else { "" };
            writeln!(out, "{b}{}{b:#}  {line}", pad(name, width), b = bold())?;
        }
    }
    Ok(())
}

/// The server's settings in words, with the seed in force (`seed` overrides
/// the file's).
pub fn describe_server(s: &Scenario, seed: Option<u64>, lang: Lang) -> Vec<String> {
    server_lines(s, seed, lang, true)
}

/// The server's settings; `asked`: with the socket buffer sizes asked for
/// (a run's report says them once, with what the kernel granted).
fn server_lines(s: &Scenario, seed: Option<u64>, lang: Lang, asked: bool) -> Vec<String> {
    if s.server_program == SideProgram::BookC {
        return vec![tr!(lang, "server-book-c")];
    }
    let config = match s.server_config(seed) {
        Ok(config) => config,
        Err(e) => return vec![tr!(lang, "server-cannot-run", error = e.to_string())],
    };
    let shape = &config.shape;
    let mut out = vec![tr!(
        lang,
        "server-iterative",
        buffer = config.buffer_size,
        clients = config.clients
    )];
    if shape.socket.nodelay {
        out.push(tr!(lang, "server-nodelay"));
    }
    if asked {
        out.extend(buffers_asked(
            shape.socket.send_buffer,
            shape.socket.recv_buffer,
            lang,
        ));
    }
    // How the echo is split, paced and ended: worded as every shape is.
    out.extend(shape.describe(lang));
    out
}

/// The clients' settings in words.
pub fn describe_client(s: &Scenario, lang: Lang) -> Vec<String> {
    client_lines(s, lang, true)
}

/// The socket buffer sizes asked for, one line each.
fn buffers_asked(send: Option<usize>, recv: Option<usize>, lang: Lang) -> Vec<String> {
    let send = send.map(|n| tr!(lang, "sndbuf-asked", n = n));
    let recv = recv.map(|n| tr!(lang, "rcvbuf-asked", n = n));
    send.into_iter().chain(recv).collect()
}

/// The clients' settings; `asked` as in [`server_lines`].
fn client_lines(s: &Scenario, lang: Lang, asked: bool) -> Vec<String> {
    let c = &s.client;
    if s.client_program == SideProgram::BookC {
        return vec![tr!(lang, "client-book-c")];
    }
    let mut out = vec![tr!(lang, "client-buffer", n = c.buffer_size)];
    if c.nodelay {
        out.push(tr!(lang, "client-nodelay"));
    }
    if asked {
        out.extend(buffers_asked(
            c.send_buffer.map(|n| n as usize),
            c.recv_buffer.map(|n| n as usize),
            lang,
        ));
    }
    // How each message is written: worded as every shape is (the clients'
    // shape was checked when the scenario was read).
    if let Ok(shape) = c.spec().shape(0) {
        out.extend(shape.describe(lang));
    }
    out
}

/// `text` padded with spaces after it to `width` terminal columns (Hangul
/// takes two columns, so `{:<7}` would not line a table up).
pub fn pad(text: &str, width: usize) -> String {
    let w = unicode_width::UnicodeWidthStr::width(text);
    format!("{text}{:1$}", "", width.saturating_sub(w))
}

/// `text` padded with spaces before it to `width` terminal columns: `{:>7}`
/// by display width.
pub fn pad_before(text: &str, width: usize) -> String {
    let w = unicode_width::UnicodeWidthStr::width(text);
    format!("{:1$}{text}", "", width.saturating_sub(w))
}

/// `tcp-boundary show NAME`: what the scenario sets up and expects. The
/// scenario's texts are escaped ([`escape_file_text`]): a file's text is shown as
/// bytes from a peer are.
pub fn show(s: &Scenario, layout: Layout, out: &mut dyn Write) -> io::Result<()> {
    let lang = layout.lang;
    let heading =
        |out: &mut dyn Write, id: &str| writeln!(out, "{b}{}{b:#}", tr!(lang, id), b = bold());
    writeln!(out, "{b}{}{b:#}", escape_file_text(&s.name), b = bold())?;
    indented(out, "", &escape_file_text(s.lesson_in(lang)), layout)?;
    writeln!(out)?;
    indented(out, "", &escape_file_text(&s.description_in(lang)), layout)?;
    writeln!(out)?;
    heading(out, "col-server")?;
    for line in describe_server(s, None, lang) {
        indented(out, "  - ", &line, layout)?;
    }
    heading(out, "col-client")?;
    for line in describe_client(s, lang) {
        indented(out, "  - ", &line, layout)?;
    }
    heading(out, "show-script")?;
    for (i, step) in s.steps.iter().enumerate() {
        indented(out, &format!("  {}. ", i + 1), &step.describe(lang), layout)?;
    }
    heading(out, "show-expected")?;
    for r in ReaderKind::ALL {
        writeln!(out, "  {:<7} {}", r.name(), s.expect.of(r).said(lang))?;
    }
    let point_at = s.point_at_in(lang);
    if !point_at.is_empty() {
        heading(out, "show-point-at")?;
        indented(out, "  ", &escape_file_text(&point_at), layout)?;
    }
    Ok(())
}

fn header(s: &Scenario, report: &Report, layout: Layout, out: &mut dyn Write) -> io::Result<()> {
    let lang = layout.lang;
    writeln!(
        out,
        "{b}━━ {} ━━{b:#}",
        escape_file_text(&s.name),
        b = bold()
    )?;
    indented(out, "  ", &escape_file_text(s.lesson_in(lang)), layout)?;
    // The seed in force is stated once, in the server's line that uses it.
    // A buffer size is said once: measured, with the size asked for.
    let asked = report.buffers.is_empty();
    let server = format!("  {}: ", tr!(lang, "col-server"));
    for line in server_lines(s, report.seed, lang, asked) {
        indented(out, &server, &line, layout)?;
    }
    let client = format!("  {}: ", tr!(lang, "col-client"));
    for line in client_lines(s, lang, asked) {
        indented(out, &client, &line, layout)?;
    }
    if let Ok(config) = s.server_config(report.seed)
        && (!config.shape.plan.delay.is_zero() || !config.shape.read_delay.is_zero())
    {
        // Said once, where the pauses are announced: what they stand for here.
        indented(out, "  ", &tr!(lang, "pauses-not-waited"), layout)?;
    }
    for line in &report.buffers {
        indented(out, "  ", &line.say(lang), layout)?;
    }
    Ok(())
}

/// Each reader's verdict against the expected one.
pub fn verdicts(reports: &[Report], layout: Layout, out: &mut dyn Write) -> io::Result<()> {
    let lang = layout.lang;
    // The reader's result in its own colour (broken is red even when it was
    // predicted), then whether the scenario's prediction held: the mark is
    // about the prediction, never about the reader's health.
    let (rw, pw) = (9, 10);
    writeln!(
        out,
        "  {b}{} {} {} {}{b:#}",
        pad(&tr!(lang, "verdicts-reader"), 7),
        pad(&tr!(lang, "verdicts-result"), rw),
        pad(&tr!(lang, "verdicts-predicted"), pw),
        tr!(lang, "verdicts-prediction"),
        b = bold()
    )?;
    for r in reports {
        let result = match r.verdict {
            crate::scenario::Verdict::Intact => good(),
            crate::scenario::Verdict::Broken => bad(),
            crate::scenario::Verdict::Detected => AnsiColor::Yellow.on_default(),
        };
        let (style, m) = mark(r.as_expected);
        let held = if r.as_expected {
            tr!(lang, "verdicts-held")
        } else {
            tr!(lang, "verdicts-failed")
        };
        writeln!(
            out,
            "  {:<7} {result}{}{result:#} {} {style}{m} {held}{style:#}",
            r.reader.name(),
            pad(&r.verdict.said(lang), rw),
            pad(&r.expected.said(lang), pw),
        )?;
    }
    let mut seen = Vec::new();
    for c in reports.iter().flat_map(|r| &r.checks) {
        if seen.contains(&&c.what) {
            continue;
        }
        seen.push(&c.what);
        let (style, m) = mark(c.ok);
        let first = format!("  {style}{m}{style:#} ");
        indented(out, &first, &c.what.say(lang), layout)?;
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
        let title = match r.client_program {
            SideProgram::BookC => tr!(layout.lang, "timeline-of-book-c"),
            SideProgram::Ours => tr!(layout.lang, "timeline-of", reader = r.reader.name()),
        };
        writeln!(out, "{b}{title}{b:#}", b = bold())?;
        let headers = length_headers(r);
        // Keys from the terminal in raw mode, else lines from standard input.
        let mut raw = match pacing {
            Pacing::Step => keys::RawTerminal::stdin(),
            _ => None,
        };
        let screen =
            (raw.is_some() && io::stdout().is_terminal()).then(super::pager::terminal_rows);
        let mut lines = keys::Lines(io::stdin().lock());
        let keys: &mut dyn keys::Keys = match raw {
            Some(ref mut raw) => raw,
            None => &mut lines,
        };
        let finished = timeline::render_paced(
            &r.timeline,
            &r.measures,
            layout,
            pacing,
            &headers,
            keys,
            screen,
            out,
        )?;
        if !finished {
            // `q`: the run ends here.
            return Ok(());
        }
        legend(r, layout, out)?;
        console(r, layout, out)?;
    }
    writeln!(out)?;
    rounds_side_by_side(reports, layout, out)?;
    writeln!(out)?;
    verdicts(reports, layout, out)?;
    Ok(())
}

/// What a program not ours printed (the book's client's own console text),
/// under its timeline: each line as it printed it, escaped for a terminal.
fn console(r: &Report, layout: Layout, out: &mut dyn Write) -> io::Result<()> {
    let consoles = [
        (&r.console, "console-of-book-c"),
        (&r.server_console, "console-of-book-server"),
    ];
    for (text, id) in consoles {
        let Some(text) = text else {
            continue;
        };
        writeln!(out)?;
        writeln!(out, "{}", tr!(layout.lang, id))?;
        for line in text.split_inclusive(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\n").unwrap_or(line);
            writeln!(out, "  {}", escape(line))?;
        }
    }
    Ok(())
}

/// What the rows' short marks mean, under the timeline: a read's queue
/// (`q4`) and a write's segments (`2seg`, `held`), each said where the run
/// has one to show.
fn legend(r: &Report, layout: Layout, out: &mut dyn Write) -> io::Result<()> {
    let lang = layout.lang;
    let mut parts = Vec::new();
    let queued = r.timeline.iter().any(|e| {
        matches!(
            e.what,
            crate::event::What::Read {
                queued: Some(_),
                ..
            }
        )
    });
    if queued {
        parts.push(tr!(lang, "legend-queued"));
    }
    let segments = r
        .measures
        .iter()
        .any(|m| m.segments.is_some_and(|s| s.sent != 1));
    if segments {
        parts.push(tr!(lang, "legend-segments"));
    }
    if parts.is_empty() {
        return Ok(());
    }
    let dim = anstyle::Style::new().dimmed();
    for line in crate::view::timeline::wrap(&parts.join("; "), layout.width.max(20)) {
        writeln!(out, "{dim}{line}{dim:#}")?;
    }
    Ok(())
}

/// One line per scenario and reader for `run --all`, then the count.
pub fn all_summary(
    results: &[(Scenario, Vec<Report>)],
    layout: Layout,
    out: &mut dyn Write,
) -> io::Result<bool> {
    let mut all_ok = true;
    let lang = layout.lang;
    writeln!(out, "{b}{}{b:#}", tr!(lang, "summary"), b = bold())?;
    for (s, reports) in results {
        // Entries go on the scenario's line while they fit, then under it.
        write!(out, "  {}", pad(&escape_file_text(&s.name), 16))?;
        let mut used = 18;
        for r in reports {
            all_ok &= r.as_expected;
            let (style, m) = mark(r.as_expected);
            // The mark says the verdict was the expected one: in words
            // too, where `✓ naive=broken` would read as a tick and a
            // failure.
            let entry = tr!(
                lang,
                if r.as_expected {
                    "summary-as-expected"
                } else {
                    "summary-not-expected"
                },
                reader = r.reader.name(),
                verdict = r.verdict.said(lang)
            );
            let w = unicode_width::UnicodeWidthStr::width(entry.as_str()) + 3;
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

/// One line of `run --repeat`: the scenario, the reader, and how many runs
/// came out as expected and with the first run's timeline.
pub fn repetition(rep: &Repetition, lang: Lang, out: &mut dyn Write) -> io::Result<()> {
    let said = tr!(
        lang,
        "repeat-line",
        runs = rep.runs,
        expected = rep.as_expected,
        same = rep.same_timeline
    );
    let name = pad(&escape_file_text(&rep.scenario), 16);
    writeln!(out, "{name} {:<7} {said}", rep.reader)
}

/// "all as expected" or the count of surprises, as the last line.
pub fn closing_line(ok: bool, lang: Lang, out: &mut dyn Write) -> io::Result<()> {
    if ok {
        writeln!(out, "{g}{}{g:#}", tr!(lang, "all-as-expected"), g = good())
    } else {
        writeln!(
            out,
            "{r}{}{r:#}",
            tr!(lang, "not-all-as-expected"),
            r = bad()
        )
    }
}
