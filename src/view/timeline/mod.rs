//! The timeline of a run: every connect, accept, write and read, in the order
//! they happened, and how to show it to a class.
//!
//! Rows are printed in two columns, client on the left and server on the right,
//! so that a write on one side and the read it turns into on the other sit a few
//! rows apart and the eye can follow the bytes across. The columns share the
//! terminal's width ([`Layout`]): bytes too long for a cell are elided in the
//! middle (their count is always shown whole), and notes wrap inside their own
//! column, so no line is wider than the terminal.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use unicode_width::UnicodeWidthStr;

use crate::event::measure::Measure;
use crate::event::{Event, Setup, Side, What};
use crate::lang::Lang;
use crate::tr;
use std::collections::HashMap;

use crate::lesson::reader::{LENGTH_PREFIX, prefixed_length};
use crate::text::escape::{Header, escape_fit, fit_units, units_with_headers};

/// The `length` reader's prefix, as the views show it (`⟨13⟩`).
pub const LENGTH_HEADER: Header = Header {
    size: LENGTH_PREFIX,
    length: |h| match h.first_chunk::<LENGTH_PREFIX>() {
        Some(prefix) => prefixed_length(*prefix) as u64,
        None => 0,
    },
};

mod layout;
mod paced;

pub use layout::{Layout, MAX_WIDTH, MIN_WIDTH};
pub use paced::{Pacing, render, render_paced};

/// The colours of the kinds of row: writes and reads far apart on a
/// projector, errors red, remarks yellow. Colour is never the only signal:
/// every row says in words what it is.
fn style_of(what: &What) -> Style {
    match what {
        What::Write { .. } => AnsiColor::Magenta.on_default(),
        What::Read { .. } => AnsiColor::Cyan.on_default(),
        What::Refused | What::Error { .. } => AnsiColor::Red.on_default(),
        What::ConnectWaits => AnsiColor::Yellow.on_default(),
        What::Reply { ok: true, .. } => AnsiColor::Green.on_default(),
        What::Reply { ok: false, .. } => AnsiColor::Red.on_default().bold(),
        What::Note { bad: true, .. } => AnsiColor::Red.on_default().bold(),
        What::Note { bad: false, .. } | What::Cut { .. } | What::Dropped { .. } => {
            AnsiColor::Yellow.on_default()
        }
        What::Close { unread } if *unread > 0 => AnsiColor::Yellow.on_default(),
        _ => Style::new(),
    }
}

/// An event in words, as every view labels it: `head` is said whole; `bytes`,
/// if any, fill what room is left, elided in the middle.
pub fn words(what: &What, lang: Lang) -> (String, Option<&[u8]>) {
    match what {
        What::Socket => (tr!(lang, "ev-socket"), None),
        What::Bind => (tr!(lang, "ev-bind"), None),
        What::Listen { backlog } => (tr!(lang, "ev-listen", backlog = *backlog), None),
        What::CloseListener => (tr!(lang, "ev-close-listener"), None),
        What::Connect => (tr!(lang, "ev-connect"), None),
        What::ConnectWaits => (tr!(lang, "ev-connect-waits"), None),
        What::ConnectRetried => (tr!(lang, "ev-connect-retried"), None),
        What::Refused => (tr!(lang, "ev-refused"), None),
        What::Accept { client } => (tr!(lang, "ev-accept", client = *client), None),
        What::Write { at, bytes } => (
            tr!(lang, "ev-write", n = bytes.len(), at = *at),
            Some(bytes),
        ),
        What::Read {
            asked, at, bytes, ..
        } => (
            joined(read_parts(lang, *asked, bytes.len(), *at)),
            Some(bytes),
        ),
        What::Eof => (joined(eof_parts(lang)), None),
        What::Shutdown => (tr!(lang, "ev-shutdown"), None),
        What::Pause { ms, late: false } => (tr!(lang, "ev-pause", ms = *ms), None),
        What::Pause { ms, late: true } => (tr!(lang, "ev-pause-late", ms = *ms), None),
        What::Close { unread: 0 } => (tr!(lang, "ev-close"), None),
        What::Close { unread } => (tr!(lang, "ev-close-unread", unread = *unread), None),
        What::Cut {
            after,
            reset: false,
        } => (tr!(lang, "ev-cut", after = *after), None),
        What::Cut { after, reset: true } => (tr!(lang, "ev-reset", after = *after), None),
        What::Dropped { idle_ms } => (
            tr!(
                lang,
                "ev-dropped",
                secs = format!("{}", *idle_ms as f64 / 1000.0)
            ),
            None,
        ),
        What::Error {
            error,
            message,
            call: None,
        } => (
            tr!(lang, "ev-error", message = error.said(message, lang)),
            None,
        ),
        What::Error {
            error,
            message,
            call: Some(call),
        } => (
            tr!(
                lang,
                "ev-error-call",
                call = *call,
                message = error.said(message, lang)
            ),
            None,
        ),
        What::Reply { round, ok, got, .. } => {
            let id = if *ok { "ev-reply-ok" } else { "ev-reply-bad" };
            (tr!(lang, id, round = *round), Some(got))
        }
        What::Note { text, .. } => (text.say(lang), None),
    }
}

/// A read of `n` bytes at offset `at` of the stream, as the call and what it
/// returned: `read(1024)` and `→ 14 B @0`.
fn read_parts(lang: Lang, asked: usize, n: usize, at: u64) -> (String, String) {
    (
        tr!(lang, "ev-read-call", asked = asked),
        tr!(lang, "ev-read-result", n = n, at = at),
    )
}

/// The end of the stream, as the call and what it returned: `read` and
/// `→ 0 B: end of stream`.
fn eof_parts(lang: Lang) -> (String, String) {
    (tr!(lang, "ev-eof-call"), tr!(lang, "ev-eof-result"))
}

/// A call and its result on one line, as the terminal shows them.
fn joined((call, result): (String, String)) -> String {
    format!("{call} {result}")
}

/// A read's words in two parts, the call with its step and what it returned
/// (`[5] read(1024)` and `→ 14 B @0`), for a view that shows what a call
/// returned apart from the call. `None` for any other event.
pub fn call_and_result(e: &Event, lang: Lang) -> Option<(String, String)> {
    let (call, result) = match &e.what {
        What::Read {
            asked, at, bytes, ..
        } => read_parts(lang, *asked, bytes.len(), *at),
        What::Eof => eof_parts(lang),
        _ => return None,
    };
    let step = step_of(e.side, &e.what).map_or_else(String::new, |n| format!("[{n}] "));
    Some((format!("{step}{call}"), result))
}

/// Which of the chapter's seven steps a server's call is:
///
/// 1 `socket()`, 2 `bind()`, 3 `listen()`, then for each client 4 `accept()`,
/// 5 `read()` / `write()`, 6 `close(client)`, and last 7 `close(server)`.
pub fn step_of(side: Side, what: &What) -> Option<u8> {
    if side != Side::Server {
        return None;
    }
    match what {
        What::Socket => Some(1),
        What::Bind => Some(2),
        What::Listen { .. } => Some(3),
        What::Accept { .. } => Some(4),
        What::Read { .. } | What::Write { .. } | What::Eof => Some(5),
        What::Close { .. } => Some(6),
        What::CloseListener => Some(7),
        _ => None,
    }
}

/// An event's words with its step of the chapter before them: `[4] accept: c1`.
pub fn words_with_step(e: &Event, lang: Lang) -> (String, Option<&[u8]>) {
    let (head, bytes) = match (e.side, &e.what) {
        // The server's close of a client's socket is the chapter's step 6,
        // close(client), as opposed to step 7, close(server).
        (Side::Server, What::Close { unread: 0 }) => (tr!(lang, "ev-close-client"), None),
        _ => words(&e.what, lang),
    };
    match step_of(e.side, &e.what) {
        Some(n) => (format!("[{n}] {head}"), bytes),
        None => (head, bytes),
    }
}

/// Where a length reader's 4-byte headers start in each client's stream
/// (the same offsets both ways: the server echoes), so that the timeline shows
/// them decoded, `⟨13⟩`, instead of `\0\0\0\r`. Empty for other readers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(pub HashMap<usize, Vec<u64>>);

/// The fewest columns of a read's bytes kept before its queue's count is
/// left out of a row.
const QUEUED_ROOM: usize = 5;

/// The lines of one cell, each at most `width` columns. `starts`: the header
/// offsets of this event's connection; `len`: the call's byte count when its
/// bytes were kept only at either end; `measured`: the kernel's counts at
/// the row (a write's segments).
fn cell_lines_of(
    e: &Event,
    width: usize,
    lang: Lang,
    starts: Option<&[u64]>,
    len: Option<usize>,
    measured: Option<&Measure>,
) -> Vec<String> {
    // A scenario's rows are each program's own calls; the proxy's are its
    // calls on either end, so they say which way the bytes go.
    let who = match (e.side, &e.what) {
        (Side::Client(n), _) => format!("c{n} "),
        (Side::Server, _) => String::new(),
        (Side::Downstream(n), What::Read { .. }) => format!("from c{n}: "),
        (Side::Downstream(n), What::Write { .. }) => format!("to c{n}: "),
        (Side::Downstream(n), _) => format!("c{n}: "),
        (Side::Upstream(n), What::Read { .. }) => format!("from s{n}: "),
        (Side::Upstream(n), What::Write { .. }) => format!("to s{n}: "),
        (Side::Upstream(n), _) => format!("s{n}: "),
    };
    let (mut head, bytes) = words_with_step(e, lang);
    match (&e.what, len) {
        (What::Write { at, .. }, Some(n)) => head = tr!(lang, "ev-write", n = n, at = *at),
        (What::Read { asked, at, .. }, Some(n)) => head = joined(read_parts(lang, *asked, n, *at)),
        _ => {}
    }
    let text = format!("{who}{head}");
    // A read's receive queue as the call began, after its bytes, where it
    // fits: in words, or short, where the bytes still fit whole beside it;
    // when the queue held more than the read took (the point of the row),
    // short even if the bytes must then be elided, and short where they are
    // elided anyway. A write's segments when they are not one (a write
    // split, or held back): the same way.
    let fits = |tail: &String, bytes: usize| text.width() + tail.width() + 1 + bytes <= width;
    let elided = |whole: usize| !fits(&String::new(), whole);
    let queued = match (&e.what, bytes) {
        (
            What::Read {
                queued: Some(q), ..
            },
            Some(b),
        ) => {
            let whole = crate::text::escape::escape(b).width();
            let tails = [
                format!("  {}", tr!(lang, "ev-queued", n = *q)),
                format!(" {}", tr!(lang, "ev-queued-short", n = *q)),
            ];
            match tails.iter().find(|t| fits(t, whole)) {
                Some(t) => t.clone(),
                None if (*q > b.len() || elided(whole))
                    && fits(&tails[1], QUEUED_ROOM.min(whole)) =>
                {
                    tails[1].clone()
                }
                None => String::new(),
            }
        }
        (What::Write { .. }, Some(b))
            if let Some(m) = measured
                && let Some(seg) = m.segments.filter(|s| s.sent != 1) =>
        {
            let whole = crate::text::escape::escape(b).width();
            let n = seg.sent;
            let tails = match m.held_back(e.side == Side::Server) {
                true => [
                    format!("  {}", tr!(lang, "ev-segments-held")),
                    format!(" {}", tr!(lang, "ev-segments-held-short")),
                ],
                false => [
                    format!("  {}", tr!(lang, "ev-segments", n = n)),
                    format!(" {}", tr!(lang, "ev-segments-short", n = n)),
                ],
            };
            match tails.iter().find(|t| fits(t, whole)) {
                Some(t) => t.clone(),
                None if fits(&tails[1], QUEUED_ROOM.min(whole)) => tails[1].clone(),
                None => String::new(),
            }
        }
        _ => String::new(),
    };
    match bytes {
        // No room left for the bytes beside the words: the words alone,
        // wrapped in their column.
        Some(_) if text.width() + 2 > width => wrap(&text, width),
        Some(bytes) => {
            let room = width.saturating_sub(text.width() + 1 + queued.width());
            let shown = match (&e.what, starts) {
                (What::Read { at, .. } | What::Write { at, .. }, Some(starts)) => {
                    fit_units(&units_with_headers(bytes, *at, starts, LENGTH_HEADER), room)
                }
                _ => escape_fit(bytes, room),
            };
            vec![format!("{text} {shown}{queued}")]
        }
        None => wrap(&text, width),
    }
}

/// Words wrapped to `width` columns (a word longer than that is clipped).
///
/// Linear in the text's length: the width of the line being filled is kept
/// as characters are added, never measured again (a word of 40,000 combining
/// marks is wrapped as fast as 40,000 letters).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let char_width = |c: char| unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
    let mut lines = Vec::new();
    let mut line = String::new();
    // The width of `line`, kept up to date.
    let mut used = 0;
    for word in text.split(' ') {
        let word_width: usize = word.chars().map(char_width).sum();
        if !line.is_empty() && used + 1 + word_width > width {
            lines.push(std::mem::take(&mut line));
            used = 0;
        }
        if !line.is_empty() {
            line.push(' ');
            used += 1;
        }
        for c in word.chars() {
            let w = char_width(c);
            if used + w > width && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                used = 0;
            }
            line.push(c);
            used += w;
        }
    }
    lines.push(line);
    lines
}

/// The header of a two-column timeline. A title wider than its column wraps
/// inside it, so the header is never wider than the layout.
pub fn render_header(
    left: &str,
    right: &str,
    layout: Layout,
    out: &mut dyn Write,
) -> io::Result<()> {
    let dim = Style::new().dimmed();
    let (col, right_col) = layout.columns();
    let (left, right) = (wrap(left, col), wrap(right, right_col));
    for i in 0..left.len().max(right.len()) {
        let seq = if i == 0 { "#" } else { "" };
        let l = left.get(i).map_or("", String::as_str);
        let r = right.get(i).map_or("", String::as_str);
        let pad = col.saturating_sub(l.width());
        writeln!(out, "{dim}{seq:>4}  {l}{:pad$} │ {r}{dim:#}", "")?;
    }
    Ok(())
}

/// One event of a two-column timeline: client side left, server side right.
/// A long note takes several lines, all within its column.
pub fn render_row(e: &Event, layout: Layout, out: &mut dyn Write) -> io::Result<()> {
    render_row_with(e, layout, None, None, None, out)
}

/// [`render_row`] for a read or write whose bytes were kept only at either
/// end (what a row can show): `len` is how many bytes the call moved.
pub fn render_row_of_len(
    e: &Event,
    len: usize,
    layout: Layout,
    out: &mut dyn Write,
) -> io::Result<()> {
    render_row_with(e, layout, None, Some(len), None, out)
}

fn render_row_with(
    e: &Event,
    layout: Layout,
    starts: Option<&[u64]>,
    len: Option<usize>,
    measured: Option<&Measure>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let lines = cell_lines_of(
        e,
        layout.column_of(e.side),
        layout.lang,
        starts,
        len,
        measured,
    );
    put_lines(
        &e.seq.to_string(),
        e.side,
        style_of(&e.what),
        &lines,
        layout,
        out,
    )
}

/// The lines of one cell in their column, `seq` before the first.
fn put_lines(
    seq: &str,
    side: Side,
    style: Style,
    lines: &[String],
    layout: Layout,
    out: &mut dyn Write,
) -> io::Result<()> {
    let dim = Style::new().dimmed();
    let col = layout.columns().0;
    for (i, text) in lines.iter().enumerate() {
        let seq = if i == 0 { seq } else { "" };
        match side {
            Side::Client(_) | Side::Downstream(_) => {
                let pad = col.saturating_sub(text.width());
                writeln!(
                    out,
                    "{dim}{seq:>4}{dim:#}  {style}{text}{style:#}{:pad$} {dim}│{dim:#}",
                    ""
                )?;
            }
            Side::Server | Side::Upstream(_) => writeln!(
                out,
                "{dim}{seq:>4}{dim:#}  {:col$} {dim}│{dim:#} {style}{text}{style:#}",
                ""
            )?,
        }
    }
    Ok(())
}

/// Below this width the server's first three steps share one row.
pub const FOLD_BELOW: usize = 100;

/// The server's `socket`, `bind` and `listen` as one row, `[1-3] socket,
/// bind, listen(5)`, when `events` starts with them and the terminal is
/// narrower than [`FOLD_BELOW`]: rows are scarce on a projector. `None`: show
/// them one by one.
fn folded_setup(events: &[Event], layout: Layout) -> Option<(String, Vec<String>)> {
    if layout.width >= FOLD_BELOW {
        return None;
    }
    let setup = Setup::opening(events)?;
    let text = format!(
        "[1-3] {}",
        tr!(layout.lang, "ev-setup", backlog = setup.backlog)
    );
    let width = layout.column_of(Side::Server);
    Some((
        format!("{}-{}", setup.first, setup.last),
        wrap(&text, width),
    ))
}
