//! The timeline of a scenario run: every connect, accept, write and read, in the
//! order they happened, and how to show it to a class.
//!
//! Rows are printed in two columns, client on the left and server on the right,
//! so that a write on one side and the read it turns into on the other sit a few
//! rows apart and the eye can follow the bytes across.

use std::io::{self, Write};

use crate::event::{Event, Side, What};
use crate::view::escape::escape_short;
use anstyle::{AnsiColor, Style};

const COLUMN: usize = 44;

fn cell(what: &What, side: Side) -> (String, Style) {
    let plain = Style::new();
    let who = match side {
        Side::Client(n) | Side::Upstream(n) => format!("c{n} "),
        Side::Server => String::new(),
    };
    let room = COLUMN.saturating_sub(who.len() + 16);
    let (text, style) = match what {
        What::Connect => ("connect".to_string(), plain),
        What::Refused => ("connect: refused".to_string(), AnsiColor::Red.on_default()),
        What::Accept => ("accept".to_string(), plain),
        What::Write { bytes } => (
            format!("write {:>3} B  {}", bytes.len(), escape_short(bytes, room)),
            AnsiColor::Green.on_default(),
        ),
        What::Read { bytes } => (
            format!("read  {:>3} B  {}", bytes.len(), escape_short(bytes, room)),
            AnsiColor::Cyan.on_default(),
        ),
        What::Eof => ("read    0 B  (end of stream)".to_string(), plain),
        What::Shutdown => ("shutdown(write): FIN".to_string(), plain),
        What::Close => ("close".to_string(), plain),
        What::Cut { after, reset } => (
            format!(
                "{} after {after} bytes, as configured",
                if *reset { "reset (RST)" } else { "cut" }
            ),
            AnsiColor::Yellow.on_default(),
        ),
        What::Dropped { idle_ms } => (
            format!(
                "dropped: sent or read nothing for {} s",
                *idle_ms as f64 / 1000.0
            ),
            AnsiColor::Yellow.on_default(),
        ),
        What::Error { message, .. } => (format!("error: {message}"), AnsiColor::Red.on_default()),
        What::Reply { round, ok, got, .. } => {
            let mark = if *ok { "✓" } else { "✗" };
            let style = if *ok {
                AnsiColor::Green.on_default()
            } else {
                AnsiColor::Red.on_default().bold()
            };
            (
                format!("{mark} reply {round}: {}", escape_short(got, room + 2)),
                style,
            )
        }
        What::Note { text, bad } => (
            text.clone(),
            if *bad {
                AnsiColor::Red.on_default().bold()
            } else {
                AnsiColor::Yellow.on_default()
            },
        ),
    };
    (format!("{who}{text}"), style)
}

/// The header of a two-column timeline.
pub fn render_header(left: &str, right: &str, out: &mut dyn Write) -> io::Result<()> {
    let dim = Style::new().dimmed();
    writeln!(out, "{dim}{:>4}  {left:<COLUMN$} │ {right}{dim:#}", "#")
}

/// One row of a two-column timeline: client side left, server side right.
pub fn render_row(e: &Event, out: &mut dyn Write) -> io::Result<()> {
    let dim = Style::new().dimmed();
    let (text, style) = cell(&e.what, e.side);
    let pad = COLUMN.saturating_sub(text.chars().count());
    match e.side {
        Side::Client(_) => writeln!(
            out,
            "{dim}{:>4}{dim:#}  {style}{text}{style:#}{:pad$} {dim}│{dim:#}",
            e.seq, ""
        ),
        Side::Server | Side::Upstream(_) => writeln!(
            out,
            "{dim}{:>4}{dim:#}  {:COLUMN$} {dim}│{dim:#} {style}{text}{style:#}",
            e.seq, ""
        ),
    }
}

/// Print `events` as a two-column timeline. Colours are written as ANSI codes;
/// pass an `anstream` writer to have them dropped when the output is not a
/// terminal or NO_COLOR is set.
pub fn render(events: &[Event], out: &mut dyn Write) -> io::Result<()> {
    render_header("client", "server", out)?;
    for e in events {
        render_row(e, out)?;
    }
    Ok(())
}
