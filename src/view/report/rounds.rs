//! The rounds of several readers side by side: one row per round, one
//! column per reader, each column as wide as what it holds while the row
//! fits.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use super::{bold, indented, mark, pad};
use crate::lang::Lang;
use crate::scenario::{Outcome, Report, Round};
use crate::text::escape::escape_fit;
use crate::tr;
use crate::view::timeline::Layout;

/// The first of `choices` at most `room` columns wide, else the last (the
/// shortest wording), never a word split in two.
fn first_fitting(choices: Vec<String>, room: usize) -> String {
    let last = choices.len().saturating_sub(1);
    let i = choices
        .iter()
        .position(|c| unicode_width::UnicodeWidthStr::width(c.as_str()) <= room)
        .unwrap_or(last);
    choices.into_iter().nth(i).unwrap_or_default()
}

fn cell(outcome: &Outcome, received: Option<&[u8]>, width: usize, lang: Lang) -> (Style, String) {
    let (style, m) = mark(*outcome == Outcome::Intact);
    // The longest wording that fits the column.
    let room = width.saturating_sub(2);
    let fit = |ids: &[&str]| first_fitting(ids.iter().map(|id| tr!(lang, id)).collect(), room);
    let text = match (outcome, received) {
        (Outcome::Intact, _) => tr!(lang, "cell-ok"),
        (Outcome::Wrong, Some(got)) => escape_fit(got, width.saturating_sub(2)),
        (Outcome::Stalled, _) => fit(&[
            "cell-stalled",
            "cell-stalled-short",
            "cell-stalled-shortest",
        ]),
        (Outcome::ClosedMidMessage, _) => fit(&["cell-cut", "cell-cut-short", "cell-cut-shortest"]),
        (Outcome::Closed, _) => tr!(lang, "cell-closed"),
        (Outcome::LoopsForever, _) => fit(&["cell-loops", "cell-loops-short"]),
        (Outcome::Overflows(by), _) => first_fitting(
            vec![
                tr!(lang, "cell-overflows", n = *by),
                tr!(lang, "cell-overflows-short"),
            ],
            room,
        ),
        (Outcome::Failed(_), _) => fit(&["cell-error", "cell-error-short"]),
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
    (style, clip_to(&format!("{m} {text}"), width))
}

/// `text` clipped to `width` columns, with `…` where it was clipped: a cell never
/// pushes the row past the terminal's width, whatever the wording.
fn clip_to(text: &str, width: usize) -> String {
    use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
    if text.width() <= width {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// The rounds of several readers side by side: one row per round, one column
/// per reader, so a class sees where the naive reader parts from the others.
pub fn rounds_side_by_side<'a>(
    reports: &'a [Report],
    layout: Layout,
    out: &mut dyn Write,
) -> io::Result<()> {
    let Some(first) = reports.first() else {
        return Ok(());
    };
    let lang = layout.lang;
    let wide = |s: &str| unicode_width::UnicodeWidthStr::width(s);
    // The same message in each reader's run: same client, same round.
    let find = |r: &'a Report, round: &Round| {
        r.rounds
            .iter()
            .find(|x| x.client == round.client && x.round == round.round)
    };
    // "  round   " then the message and one column per reader, each after a
    // space. Each column is as wide as its widest cell while the row fits
    // the width; else the widest give way first, so only what does not fit
    // is elided.
    let mut want = vec![
        first
            .rounds
            .iter()
            .fold(wide(&tr!(lang, "rounds-sent")), |w, x| {
                w.max(wide(&escape_fit(&x.sent, layout.width)))
            }),
    ];
    for r in reports {
        let cells = first.rounds.iter().filter_map(|round| find(r, round));
        let w = cells.fold(wide(r.reader.name()), |w, x| {
            w.max(wide(
                &cell(&x.outcome, x.received.as_deref(), layout.width, lang).1,
            ))
        });
        want.push(w);
    }
    let widths = share(want, layout.width.saturating_sub(10 + reports.len()));
    write!(
        out,
        "  {b}{} {}",
        pad(&tr!(lang, "rounds-round"), 7),
        pad(&tr!(lang, "rounds-sent"), widths[0]),
        b = bold()
    )?;
    for (r, &w) in reports.iter().zip(&widths[1..]) {
        write!(out, " {}", pad(r.reader.name(), w))?;
    }
    writeln!(out, "{b:#}", b = bold())?;
    for round in &first.rounds {
        let w = widths[0];
        write!(
            out,
            "  {:<7} {}",
            format!("c{} #{}", round.client, round.round),
            pad(&escape_fit(&round.sent, w), w)
        )?;
        for (r, &w) in reports.iter().zip(&widths[1..]) {
            match find(r, round) {
                Some(x) => {
                    let (style, text) = cell(&x.outcome, x.received.as_deref(), w, lang);
                    let pad = w.saturating_sub(wide(&text));
                    write!(out, " {style}{text}{style:#}{:pad$}", "")?;
                }
                None => write!(out, " {:<w$}", "-")?,
            }
        }
        writeln!(out)?;
    }
    // Waits worth pointing at: a client queued while the server was busy
    // with another one (with one client, a wait has another cause).
    let others = |k: usize| first.rounds.iter().any(|r| r.client != k);
    for round in first
        .rounds
        .iter()
        .filter(|r| r.waited_ms >= 100 && others(r.client))
    {
        let text = tr!(
            lang,
            "rounds-waited",
            client = round.client,
            ms = round.waited_ms,
            round = round.round
        );
        indented(out, "  ", &text, layout)?;
    }
    Ok(())
}

/// Column widths for `want` within `room` columns: as wanted when they fit,
/// else the widest made narrower one column at a time, none below 6.
fn share(mut want: Vec<usize>, room: usize) -> Vec<usize> {
    const NARROWEST: usize = 6;
    while want.iter().sum::<usize>() > room {
        let Some(widest) = want.iter_mut().filter(|w| **w > NARROWEST).max() else {
            break;
        };
        *widest -= 1;
    }
    want
}
