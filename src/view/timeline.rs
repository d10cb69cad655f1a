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

use crate::event::{Event, Side, What};
use crate::lang::Lang;
use crate::tr;
use std::collections::HashMap;

use crate::text::escape::{escape_fit, fit_units, units_with_headers};
use crate::view::keys::{Key, Keys, Lines};

/// How the timeline and the reports are laid out: how wide, in which
/// language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Terminal columns for a whole line.
    pub width: usize,
    /// The language of the words.
    pub lang: Lang,
    /// The client's column, when the two are not alike (see
    /// [`Layout::fitted`]); `None`: half each.
    pub left: Option<usize>,
}

/// The narrowest timeline drawn: below it, the columns would hold nothing.
pub const MIN_WIDTH: usize = 60;
/// The widest: beyond it, rows only get emptier.
pub const MAX_WIDTH: usize = 160;

impl Layout {
    /// The terminal's width: `COLUMNS` if set, else the width of the terminal
    /// on standard output, else 80.
    pub fn from_env() -> Layout {
        let width = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse().ok())
            .or_else(terminal_width)
            .unwrap_or(80);
        Layout::new(width)
    }

    /// A layout `width` columns wide (kept within [`MIN_WIDTH`] and
    /// [`MAX_WIDTH`]).
    pub fn new(width: usize) -> Layout {
        Layout {
            width: width.clamp(MIN_WIDTH, MAX_WIDTH),
            lang: Lang::En,
            left: None,
        }
    }

    /// The same layout, in `lang`.
    pub fn in_lang(self, lang: Lang) -> Layout {
        Layout { lang, ..self }
    }

    /// The width of each of the two columns: a line is `####  LEFT │ RIGHT`.
    /// (When the columns are fitted, the narrower one.)
    pub fn column(&self) -> usize {
        let (left, right) = self.columns();
        left.min(right)
    }

    /// The widths of the client's column and the server's.
    pub fn columns(&self) -> (usize, usize) {
        let both = self.width - SEQ - RULE;
        match self.left {
            Some(left) => (left, both - left),
            None => (both / 2, both / 2),
        }
    }

    /// The width of the column `side`'s rows go in.
    fn column_of(&self, side: Side) -> usize {
        let (left, right) = self.columns();
        match side {
            Side::Client(_) | Side::Downstream(_) => left,
            Side::Server | Side::Upstream(_) => right,
        }
    }

    /// The columns shared by what `events` need: bytes are elided only
    /// where they do not fit the whole width. Each side's widest row is
    /// measured; when both fit, each column gets its widest row and half of
    /// what is left; when one fits in half the width, it gets its widest row
    /// and the other side the rest; else half each.
    pub fn fitted(self, events: &[Event]) -> Layout {
        let both = self.width - SEQ - RULE;
        // With each read's queue, if both sides fit so; else without.
        let (mut left, mut right) = self.needs(events, true);
        if left + right > both {
            (left, right) = self.needs(events, false);
        }
        let left = if left + right <= both {
            left + (both - left - right) / 2
        } else if left <= both / 2 {
            left
        } else if right <= both / 2 {
            both - right
        } else {
            both / 2
        };
        Layout {
            left: Some(left),
            ..self
        }
    }

    /// The widest row of each side, the reads' queues `queued` or not.
    fn needs(&self, events: &[Event], queued: bool) -> (usize, usize) {
        let (mut left, mut right) = (MIN_COLUMN, MIN_COLUMN);
        for e in events {
            // Notes wrap in any column: they claim no width.
            if matches!(e.what, What::Note { .. }) {
                continue;
            }
            let mut e = e.clone();
            if let (What::Read { queued: q, .. }, false) = (&mut e.what, queued) {
                *q = None;
            }
            let lines = cell_lines_of(&e, MAX_WIDTH, self.lang, None, None);
            let need = lines.iter().map(|l| l.width()).max().unwrap_or(0);
            match e.side {
                Side::Client(_) | Side::Downstream(_) => left = left.max(need),
                Side::Server | Side::Upstream(_) => right = right.max(need),
            }
        }
        (left, right)
    }
}

/// The narrowest a fitted column is made.
const MIN_COLUMN: usize = 20;

/// `####  ` before the columns.
const SEQ: usize = 6;
/// ` │ ` between them.
const RULE: usize = 3;

fn terminal_width() -> Option<usize> {
    // SAFETY: TIOCGWINSZ fills a winsize; a zeroed one is a valid argument.
    let mut size: libc::winsize = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) } == 0;
    (ok && size.ws_col > 0).then_some(size.ws_col as usize)
}

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
            tr!(lang, "ev-read", asked = *asked, n = bytes.len(), at = *at),
            Some(bytes),
        ),
        What::Eof => (tr!(lang, "ev-eof"), None),
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
        What::Error { error, message } => (
            tr!(lang, "ev-error", message = error.said(message, lang)),
            None,
        ),
        What::Reply { round, ok, got, .. } => {
            let id = if *ok { "ev-reply-ok" } else { "ev-reply-bad" };
            (tr!(lang, id, round = *round), Some(got))
        }
        What::Note { text, .. } => (text.say(lang), None),
    }
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
/// bytes were kept only at either end.
fn cell_lines_of(
    e: &Event,
    width: usize,
    lang: Lang,
    starts: Option<&[u64]>,
    len: Option<usize>,
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
        (What::Read { asked, at, .. }, Some(n)) => {
            head = tr!(lang, "ev-read", asked = *asked, n = n, at = *at)
        }
        _ => {}
    }
    let text = format!("{who}{head}");
    // A read's receive queue as the call began, after its bytes, where it
    // fits: in words, or short, where the bytes still fit whole beside it;
    // when the queue held more than the read took (the point of the row),
    // short even if the bytes must then be elided.
    let queued = match (&e.what, bytes) {
        (
            What::Read {
                queued: Some(q), ..
            },
            Some(b),
        ) => {
            let whole = crate::view::escape::escape(b).width();
            let tails = [
                format!("  {}", tr!(lang, "ev-queued", n = *q)),
                format!(" {}", tr!(lang, "ev-queued-short", n = *q)),
            ];
            let fits =
                |tail: &String, bytes: usize| text.width() + tail.width() + 1 + bytes <= width;
            match tails.iter().find(|t| fits(t, whole)) {
                Some(t) => t.clone(),
                None if *q > b.len() && fits(&tails[1], QUEUED_ROOM.min(whole)) => tails[1].clone(),
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
                    fit_units(&units_with_headers(bytes, *at, starts), room)
                }
                _ => escape_fit(bytes, room),
            };
            vec![format!("{text} {shown}{queued}")]
        }
        None => wrap(&text, width),
    }
}

/// Words wrapped to `width` columns (a word longer than that is cut).
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
    render_row_with(e, layout, None, None, out)
}

/// [`render_row`] for a read or write whose bytes were kept only at either
/// end (what a row can show): `len` is how many bytes the call moved.
pub fn render_row_of_len(
    e: &Event,
    len: usize,
    layout: Layout,
    out: &mut dyn Write,
) -> io::Result<()> {
    render_row_with(e, layout, None, Some(len), out)
}

fn render_row_with(
    e: &Event,
    layout: Layout,
    starts: Option<&[u64]>,
    len: Option<usize>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let lines = cell_lines_of(e, layout.column_of(e.side), layout.lang, starts, len);
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
    match events {
        [a, b, c, ..]
            if a.side == Side::Server
                && (&a.what, &b.what) == (&What::Socket, &What::Bind)
                && b.side == Side::Server
                && c.side == Side::Server =>
        {
            let What::Listen { backlog } = c.what else {
                return None;
            };
            let text = format!("[1-3] {}", tr!(layout.lang, "ev-setup", backlog = backlog));
            let width = layout.column_of(Side::Server);
            Some((format!("{}-{}", a.seq, c.seq), wrap(&text, width)))
        }
        _ => None,
    }
}

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
    render_paced(events, layout, Pacing::AtOnce, &none, &mut keys, None, out).map(|_| ())
}

/// Print `events` as a two-column timeline, paced: with [`Pacing::Step`] a
/// key from `keys` (Enter) shows the next row, `q` stops; when the keys end,
/// the rest follows at once. `screen`: the terminal's height in rows when
/// both ends are a terminal; the column header then stays at the top, the
/// rows scroll under it, and the bottom line says which keys to press.
/// Returns false when the reader quit.
pub fn render_paced(
    events: &[Event],
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
    let finished = steps(events, layout, pacing, headers, keys, stepping, out);
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
fn steps(
    events: &[Event],
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
        render_row_with(e, layout, starts, None, out)?;
        if let (Pacing::Pace(factor), What::Pause { ms, .. }) = (pacing, &e.what) {
            out.flush()?;
            std::thread::sleep(std::time::Duration::from_secs_f64(
                *ms as f64 / 1000.0 * factor,
            ));
        }
    }
    Ok(true)
}
