//! How wide the timeline is and how its two columns share the width.

use unicode_width::UnicodeWidthStr;

use super::cell_lines_of;
use crate::event::{Event, Side, What};
use crate::lang::Lang;

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
    pub(super) fn column_of(&self, side: Side) -> usize {
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
            let lines = cell_lines_of(&e, MAX_WIDTH, self.lang, None, None, None);
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
