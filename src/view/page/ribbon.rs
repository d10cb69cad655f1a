//! The byte ribbon: one direction of one connection as a strip of its bytes,
//! coloured by message, with the writes' boundaries marked above and the
//! reads' below. The marks do not line up, and that is the whole lesson.

use std::ops::Range;

use maud::{Markup, html};

use super::message_class;
use crate::event::flow::{Direction, Span, Stream};
use crate::event::{Event, What};
use crate::lang::Lang;
use crate::lesson::reader::ReaderKind;
use crate::text::bytes_in;
use crate::text::escape::units_with_headers;
use crate::tr;
use crate::view::timeline::LENGTH_HEADER;

/// Streams up to this long are drawn byte by byte; longer ones to scale.
const CELLS_UP_TO: u64 = 240;
/// Bytes per line, and the width of each.
const PER_LINE: u64 = 40;
const CELL: f64 = 28.0;
/// The strip's width when drawn to scale.
const WIDTH: f64 = PER_LINE as f64 * CELL;
/// A line: marks above (writes), the bytes, marks below (reads).
const LINE: f64 = 78.0;
const MARKS: f64 = 22.0;
const BYTES: f64 = 32.0;

/// The stream's bytes, put together from its writes.
fn bytes_of(stream: &Stream, timeline: &[Event]) -> Vec<u8> {
    let end = stream.writes.iter().map(|w| w.range.end).max().unwrap_or(0);
    let mut bytes = vec![0u8; end as usize];
    for w in &stream.writes {
        if let Some(What::Write { bytes: b, .. }) =
            timeline.iter().find(|e| e.seq == w.seq).map(|e| &e.what)
        {
            bytes[w.range.start as usize..w.range.end as usize].copy_from_slice(b);
        }
    }
    bytes
}

/// The ribbon's caption: which way, and who marked what.
pub fn caption(stream: &Stream, clients: usize, lang: Lang) -> String {
    let client = if clients == 1 {
        tr!(lang, "who-the-client")
    } else {
        tr!(lang, "who-client", n = stream.client)
    };
    match stream.direction {
        Direction::Up => tr!(lang, "ribbon-up", client = client),
        Direction::Down => tr!(lang, "ribbon-down", client = client),
    }
}

/// Where offset `o` is drawn: (line, x).
fn place(o: u64, total: u64) -> (u64, f64) {
    if total <= CELLS_UP_TO {
        (o / PER_LINE, (o % PER_LINE) as f64 * CELL)
    } else {
        (0, WIDTH * o as f64 / total.max(1) as f64)
    }
}

/// `range` as chunks that each stay on one line: (line, x0, x1).
fn chunks(range: &Range<u64>, total: u64) -> Vec<(u64, f64, f64)> {
    let mut out = Vec::new();
    let mut start = range.start;
    while start < range.end {
        let (line, x0) = place(start, total);
        let line_end = if total <= CELLS_UP_TO {
            ((line + 1) * PER_LINE).min(range.end)
        } else {
            range.end
        };
        let x1 = if total <= CELLS_UP_TO {
            x0 + (line_end - start) as f64 * CELL
        } else {
            place(line_end, total).1
        };
        out.push((line, x0, x1));
        start = line_end;
    }
    out
}

/// One mark: a bracket over (writes) or under (reads) a call's bytes, with
/// its name.
fn marks(spans: &[Span], total: u64, above: bool, lang: Lang) -> Markup {
    let id = if above {
        "ribbon-mark-write"
    } else {
        "ribbon-mark-read"
    };
    html! {
        @for (i, span) in spans.iter().enumerate() {
            @let label = tr!(lang, id, i = i + 1);
            g class=(if above { "mark wmark" } else { "mark rmark" }) data-step=(span.seq) {
                title { (tr!(lang, "ribbon-mark-title", label = label.as_str(), seq = span.seq,
                    from = span.range.start, to = span.range.end)) }
                @for (line, x0, x1) in chunks(&span.range, total) {
                    @let base = line as f64 * LINE;
                    @let (y, tip, ty) = if above {
                        (base + MARKS - 4.0, base + MARKS, base + MARKS - 8.0)
                    } else {
                        (base + MARKS + BYTES + 4.0, base + MARKS + BYTES, base + MARKS + BYTES + 18.0)
                    };
                    path d=(format!("M{:.1},{tip:.1} L{:.1},{y:.1} L{:.1},{y:.1} L{:.1},{tip:.1}", x0 + 1.5, x0 + 1.5, x1 - 1.5, x1 - 1.5)) {}
                    @if x1 - x0 >= 34.0 {
                        text x=((x0 + x1) / 2.0) y=(ty) text-anchor="middle" { (label) }
                    } @else if x1 - x0 >= 16.0 {
                        text x=((x0 + x1) / 2.0) y=(ty) text-anchor="middle" { (i + 1) }
                    }
                }
            }
        }
    }
}

/// Where a unit `width` cells wide at `offset` is drawn, when drawn cell by
/// cell: (line, x, cells) for each line it is on, the text in the widest part
/// (the first, on a tie).
fn cell_parts(offset: u64, width: u64) -> Vec<(u64, f64, u64)> {
    let mut parts: Vec<(u64, f64, u64)> = Vec::new();
    let (mut at, end) = (offset, offset + width);
    while at < end {
        let line = at / PER_LINE;
        let cells = end.min((line + 1) * PER_LINE) - at;
        parts.push((line, (at % PER_LINE) as f64 * CELL, cells));
        at += cells;
    }
    parts
}

/// The ribbon of one stream.
pub fn ribbon(
    stream: &Stream,
    timeline: &[Event],
    reader: ReaderKind,
    clients: usize,
    lang: Lang,
) -> Markup {
    let caption = caption(stream, clients, lang);
    let bytes = bytes_of(stream, timeline);
    let total = bytes.len() as u64;
    let lines = if total <= CELLS_UP_TO {
        total.div_ceil(PER_LINE).max(1)
    } else {
        1
    };
    let height = lines as f64 * LINE;
    // The length reader's 4-byte headers, decoded where a message starts.
    let starts: Vec<u64> = match reader {
        ReaderKind::Length => stream.messages.iter().map(|m| m.start).collect(),
        _ => Vec::new(),
    };
    // Each byte a cell, a decoded header four cells wide.
    let mut cells = Vec::new();
    if total <= CELLS_UP_TO {
        let mut offset = 0u64;
        // A character is as many cells wide as it has bytes, so a read that
        // ends inside it is drawn through it.
        for (width, unit) in units_with_headers(&bytes, 0, &starts, LENGTH_HEADER) {
            let width = width as u64;
            cells.push((offset, width, unit));
            offset += width;
        }
    }
    html! {
        figure.ribbon {
            figcaption { (caption) }
            svg viewBox=(format!("0 0 {WIDTH} {height}")) role="img"
                aria-label=(tr!(lang, "ribbon-label", caption = &caption, n = bytes_in(total, lang), writes = stream.writes.len(), reads = stream.reads.len())) {
                @if total <= CELLS_UP_TO {
                    @for (offset, width, unit) in &cells {
                        @let (offset, width) = (*offset, *width);
                        // A unit that does not fit at the end of a line goes on
                        // over the next: a box on each, the text in the wider.
                        @let parts = cell_parts(offset, width);
                        @let widest = (0..parts.len()).max_by_key(|&i| (parts[i].2, usize::MAX - i));
                        g class=(format!("cell {}", message_class(stream, stream.message_at(offset)))) {
                            @for (i, (line, x, cells)) in parts.iter().enumerate() {
                                @let y = *line as f64 * LINE + MARKS;
                                @let w = *cells as f64 * CELL;
                                rect x=(x + 0.5) y=(y) width=(w - 1.0) height=(BYTES) {}
                                @if Some(i) == widest {
                                    text x=(x + w / 2.0) y=(y + 22.0) text-anchor="middle"
                                        textLength=[(unit.chars().count() as u64 > 2 * cells).then_some(w - 4.0)]
                                        lengthAdjust="spacingAndGlyphs" { (unit) }
                                }
                            }
                        }
                    }
                } @else {
                    @for (i, m) in stream.messages.iter().enumerate() {
                        @let m = m.start.min(total)..m.end.min(total);
                        @if !m.is_empty() {
                            @let (_, x0) = place(m.start, total);
                            @let (_, x1) = place(m.end, total);
                            g class=(format!("cell {}", message_class(stream, Some(i)))) {
                                rect x=(x0) y=(MARKS) width=((x1 - x0).max(1.0)) height=(BYTES) {}
                                @if x1 - x0 > 200.0 {
                                    text x=((x0 + x1) / 2.0) y=(MARKS + 22.0) text-anchor="middle" {
                                        (tr!(lang, "ribbon-message", m = i + 1, n = bytes_in(m.end - m.start, lang)))
                                    }
                                }
                            }
                        }
                    }
                }
                (marks(&stream.writes, total, true, lang))
                (marks(&stream.reads, total, false, lang))
            }
        }
    }
}
