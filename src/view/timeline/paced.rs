//! Showing a timeline all at once, paced as it happened (`run --pace`), or
//! one row per key (`run --step`) under a header held at the top.

use std::io::{self, Write};

use anstyle::Style;

use super::{Headers, Layout, folded_setup, put_lines, render_header, render_row_with, step_of};
use crate::event::measure::{self, Measure};
use crate::event::{Event, Side, What};
use crate::tr;
use crate::view::keys::{Key, Keys, Lines};

/// How the rows of a timeline appear.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub enum Pacing {
    /// All at once.
    #[default]
    AtOnce,
    /// As they happened: each pause of the run is waited out before the row
    /// after it, stretched by the factor (`run --pace 5`: five times as long).
    Pace(f64),
    /// One row each time Enter is pressed (`run --step`), for a class to
    /// talk over.
    Step,
}

/// Print `events` as a two-column timeline. Colours are written as ANSI codes;
/// pass an `anstream` writer to have them dropped when the output is not a
/// terminal or NO_COLOR is set.
pub fn render(events: &[Event], layout: Layout, out: &mut dyn Write) -> io::Result<()> {
    let none = Headers::default();
    let mut keys = Lines(io::empty());
    render_paced(
        events,
        &[],
        layout,
        Pacing::AtOnce,
        &none,
        &mut keys,
        None,
        out,
    )
    .map(|_| ())
}

/// Print `events` as a two-column timeline, paced: with [`Pacing::Step`] a
/// key from `keys` (Enter) shows the next row, `q` stops; when the keys end,
/// the rest follows at once. `screen`: the terminal's height in rows when
/// both ends are a terminal; the column header then stays at the top, the
/// rows scroll under it, and the bottom line says which keys to press.
/// Returns false when the reader quit. `measures`: the kernel's counts at
/// the rows, if the run took them (a write's row then says its segments
/// where it has room).
#[allow(clippy::too_many_arguments)]
pub fn render_paced(
    events: &[Event],
    measures: &[Measure],
    layout: Layout,
    pacing: Pacing,
    headers: &Headers,
    keys: &mut dyn Keys,
    screen: Option<usize>,
    out: &mut dyn Write,
) -> io::Result<bool> {
    let layout = layout.fitted(events);
    let lang = layout.lang;
    // Step numbers on the server's rows are the chapter's: say so above them.
    let server = match events.iter().any(|e| step_of(e.side, &e.what).is_some()) {
        true => tr!(lang, "col-server-steps"),
        false => tr!(lang, "col-server"),
    };
    let mut header = Vec::new();
    render_header(&tr!(lang, "col-client"), &server, layout, &mut header)?;
    let mut stepping = pacing == Pacing::Step;
    let mut fixed = None;
    if let (true, Some(rows)) = (stepping, screen) {
        let hint = tr!(lang, "step-keys");
        let rows_of_header = header.iter().filter(|&&b| b == b'\n').count();
        // Room for the header, the hint and a few rows, else plain stepping.
        if rows >= rows_of_header + 4 {
            write!(out, "{d}{hint}{d:#}", d = Style::new().dimmed())?;
            out.flush()?;
            match keys.next_key()? {
                Key::Quit => {
                    writeln!(out)?;
                    return Ok(false);
                }
                Key::End => stepping = false,
                Key::Next => {}
            }
            fixed = Some(Fixed {
                rows,
                top: rows_of_header,
                hint,
            });
        }
    }
    if let Some(f) = &fixed {
        // A clear screen, the header on top, the rows scrolling under it.
        out.flush()?;
        control("\x1b[2J\x1b[H")?;
        out.write_all(&header)?;
        out.flush()?;
        f.begin()?;
    } else {
        out.write_all(&header)?;
    }
    let finished = steps(
        events, measures, layout, pacing, headers, keys, stepping, out,
    );
    if let Some(f) = &fixed {
        out.flush()?;
        f.end()?;
    }
    finished
}

/// The header held at the top of a terminal while the rows step under it.
struct Fixed {
    rows: usize,
    /// Rows the header takes.
    top: usize,
    hint: String,
}

impl Fixed {
    /// Rows scroll between the header and the last line, which holds the hint.
    fn begin(&self) -> io::Result<()> {
        let (first, last) = (self.top + 1, self.rows - 1);
        control(&format!(
            "\x1b[{first};{last}r\x1b[{rows};1H\x1b[2K\x1b[2m{hint}\x1b[0m\x1b[{first};1H",
            rows = self.rows,
            hint = self.hint
        ))
    }

    /// The whole screen scrolls again; the hint gives way to what follows.
    fn end(&self) -> io::Result<()> {
        control(&format!("\x1b[r\x1b[{};1H\x1b[2K", self.rows))
    }
}

/// A terminal control sequence, straight to the terminal: not through the
/// colour filter, which would take it out under NO_COLOR.
fn control(seq: &str) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    stdout.write_all(seq.as_bytes())?;
    stdout.flush()
}

/// The rows, one per key when `stepping`. False when the reader quit.
#[allow(clippy::too_many_arguments)]
fn steps(
    events: &[Event],
    measures: &[Measure],
    layout: Layout,
    pacing: Pacing,
    headers: &Headers,
    keys: &mut dyn Keys,
    mut stepping: bool,
    out: &mut dyn Write,
) -> io::Result<bool> {
    let mut rest = events;
    if let Some((seq, lines)) = folded_setup(events, layout) {
        put_lines(&seq, Side::Server, Style::new(), &lines, layout, out)?;
        rest = &events[3..];
    }
    // The iterative server's connection is the client of its last accept.
    let mut serving = 0;
    for e in rest {
        if let What::Accept { client } = e.what {
            serving = client;
        }
        let client = match e.side {
            Side::Client(n) => n,
            _ => serving,
        };
        let starts = headers.0.get(&client).map(Vec::as_slice);
        if stepping {
            out.flush()?;
            match keys.next_key()? {
                Key::Next => {}
                Key::End => stepping = false,
                Key::Quit => return Ok(false),
            }
        }
        render_row_with(e, layout, starts, None, measure::at(measures, e.seq), out)?;
        if let (Pacing::Pace(factor), What::Pause { ms, .. }) = (pacing, &e.what) {
            out.flush()?;
            std::thread::sleep(std::time::Duration::from_secs_f64(
                *ms as f64 / 1000.0 * factor,
            ));
        }
    }
    Ok(true)
}
