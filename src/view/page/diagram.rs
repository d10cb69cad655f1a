//! The sequence diagram: each program a lane, time going down, each call a box,
//! and a band from every write to each read that received its bytes.
//!
//! A band's thickness at each end is its share of that call's bytes, and its
//! colour (and the tag in the box, `m1`, `m1…`) says which message the bytes
//! belong to. Two bands meeting in one read are two writes coalesced; one
//! write fanning out to several reads arrived in parts.

use std::collections::HashMap;

use maud::{Markup, html};

use super::lanes::Lanes;
use super::{message_class, say, tags};
use crate::event::flow::{Flow, Span, Stream};
use crate::event::measure;
use crate::event::{Event, Setup, Side, What};
use crate::scenario::Report;
use crate::text::escape::escape_fit;
use crate::tr;
use crate::view::timeline::{call_and_result, words_with_step};

/// Room above the first row.
const TOP: f64 = 12.0;
/// Width of the strip inside a box that shows its bytes' messages.
const STRIP: f64 = 8.0;

/// Heights and widths, from the boxes' type size.
#[derive(Debug, Clone, Copy)]
struct Size {
    font: f64,
    /// Lines of type in a box: three in narrow lanes, where a read's words
    /// take two.
    lines: f64,
}

impl Size {
    /// A box: two lines of type.
    fn boxh(self) -> f64 {
        (self.font * (self.lines * 1.2 + 0.5)).round()
    }

    /// A row: a box and the room under it.
    fn row(self) -> f64 {
        self.boxh() + 12.0
    }

    fn top_of(self, row: usize) -> f64 {
        TOP + row as f64 * self.row()
    }

    /// About how wide `text` is in the labels' font: a guess on the wide
    /// side, as the page cannot measure before it is drawn.
    fn sans_width(self, text: &str) -> f64 {
        unicode_width::UnicodeWidthStr::width(text) as f64 * self.font * 0.55
    }

    /// Width of one character of the monospace font.
    fn char(self) -> f64 {
        self.font * 0.6
    }
}

/// The server's `socket`, `bind` and `listen` share one box, `[1-3] socket,
/// bind, listen(5)`, unless the listen queue is the point: when more than
/// one client connects (five-clients, backlog), `listen`'s backlog decides
/// who waits, and the three stay apart. The seqs of the first and the last.
pub fn folded_setup(timeline: &[Event], clients: usize) -> Option<(usize, usize)> {
    if clients > 1 {
        return None;
    }
    Setup::opening(timeline).map(|s| (s.first, s.last))
}

/// The class of a box: its kind, and whether it went well.
fn kind(what: &What) -> &'static str {
    match what {
        What::Write { .. } => "write",
        What::Read { .. } => "read",
        What::Refused | What::Error { .. } => "bad",
        What::ConnectWaits => "warn",
        What::Reply { ok: true, .. } => "good",
        What::Reply { ok: false, .. } | What::Note { bad: true, .. } => "bad",
        What::Note { .. } | What::Cut { .. } | What::Dropped { .. } => "warn",
        What::Close { unread } if *unread > 0 => "warn",
        _ => "plain",
    }
}

/// The lane an event is drawn in.
fn lane_of(lanes: &Lanes, e: &Event) -> usize {
    match e.side {
        Side::Client(n) | Side::Downstream(n) => lanes.of_client(n),
        Side::Server | Side::Upstream(_) => lanes.lanes,
    }
}

/// Where a span's bytes `from..to` meet the edge of its box that faces the
/// other program: the top and bottom y.
fn edge(size: Size, row: usize, span: &Span, from: u64, to: u64) -> (f64, f64) {
    let len = (span.range.end - span.range.start).max(1) as f64;
    let y = size.top_of(row);
    let at = |o: u64| y + size.boxh() * (o - span.range.start) as f64 / len;
    (at(from), at(to))
}

/// The diagram of one report, with `say(seq)` as each event's sentence.
pub fn diagram(
    report: &Report,
    flow: &Flow,
    lanes: &Lanes,
    say: &dyn Fn(&Event) -> String,
) -> Markup {
    let reader = report.reader.name();
    let size = Size {
        font: lanes.font,
        lines: if lanes.many() { 3.0 } else { 2.0 },
    };
    let folded = folded_setup(&report.timeline, lanes.clients);
    // Each event's row; a folded setup's three share the first.
    let mut rows = HashMap::new();
    let mut count = 0;
    for e in &report.timeline {
        match folded {
            Some((first, last)) if e.seq > first && e.seq <= last => {}
            _ => count += 1,
        }
        rows.insert(e.seq, count - 1);
    }
    let height = size.top_of(count) + 8.0;
    let width = lanes.width;
    html! {
        svg.diagram viewBox=(format!("0 0 {width} {height}")) role="group" font-size=(lanes.font)
            aria-label=(tr!(lanes.lang, "page-diagram-label", reader = reader)) {
            // The lanes: a line down (their names are over the diagram, in
            // the bar that stays on screen).
            @for i in 0..=lanes.lanes {
                @let (x, w) = lanes.lane(i);
                line.life x1=(x + w / 2.0) y1="0" x2=(x + w / 2.0) y2=(height) {}
            }
            // Bands under the boxes, each shown once its read has happened.
            @for stream in &flow.streams {
                (bands(stream, lanes, size, &rows))
            }
            @for e in &report.timeline {
                @match folded {
                    Some((first, last)) if e.seq == first => {
                        (setup_box(&report.timeline, (first, last), lanes, size, reader, say))
                    }
                    Some((first, last)) if e.seq > first && e.seq <= last => {}
                    _ => (event_box(e, rows[&e.seq], lanes, size, flow, report, &say(e))),
                }
            }
        }
    }
}

/// The folded setup: one box for `socket`, `bind`, `listen`, current at
/// each of their steps, with each step's own sentence (`data-says`).
fn setup_box(
    timeline: &[Event],
    (first, last): (usize, usize),
    lanes: &Lanes,
    size: Size,
    reader: &str,
    say: &dyn Fn(&Event) -> String,
) -> Markup {
    let (x, w) = lanes.lane(lanes.lanes);
    let y = size.top_of(0);
    let says: Vec<String> = timeline
        .iter()
        .filter(|e| e.seq >= first && e.seq <= last)
        .map(say)
        .collect();
    let backlog = timeline.iter().find_map(|e| match e.what {
        What::Listen { backlog } => Some(backlog),
        _ => None,
    });
    let label = format!(
        "[1-3] {}",
        tr!(
            lanes.lang,
            "ev-setup",
            backlog = backlog.unwrap_or_default()
        )
    );
    let room = w - STRIP - 16.0;
    let squeeze = (size.sans_width(&label) > room).then_some(room);
    html! {
        g.ev.plain.setup data-reader=(reader) data-seq=(first) data-last=(last)
            data-say=(says.first().cloned().unwrap_or_default())
            data-says=(serde_json::to_string(&says).expect("strings serialize")) {
            title { (says.join(" ")) }
            rect.box x=(x) y=(y) width=(w) height=(size.boxh()) rx="6" {}
            text.label x=(x + STRIP + 8.0) y=(y + size.boxh() / 2.0 + size.font * 0.35)
                textLength=[squeeze] lengthAdjust="spacingAndGlyphs" { (label) }
        }
    }
}

/// `text` in lines of at most `room` wide, broken between words, as many
/// as the box has; the last takes what is left.
fn wrap(text: &str, room: f64, size: Size) -> Vec<String> {
    let most = size.lines as usize;
    let mut lines: Vec<String> = Vec::new();
    for word in text.split(' ') {
        let full = lines.len() >= most;
        match lines.last_mut() {
            Some(line) if full || size.sans_width(&format!("{line} {word}")) <= room => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines
}

fn bands(stream: &Stream, lanes: &Lanes, size: Size, rows: &HashMap<usize, usize>) -> Markup {
    let lane = lanes.lane(lanes.of_client(stream.client));
    let client_edge = lane.0 + lane.1;
    let server_edge = lanes.lane(lanes.lanes).0;
    let span = |seq: usize| {
        stream
            .writes
            .iter()
            .chain(&stream.reads)
            .find(|s| s.seq == seq)
    };
    html! {
        @for band in stream.bands() {
            @if let (Some(w), Some(r), Some(&wrow), Some(&rrow)) =
                (span(band.write), span(band.read), rows.get(&band.write), rows.get(&band.read)) {
                @let (w0, w1) = edge(size, wrow, w, band.range.start, band.range.end);
                @let (r0, r1) = edge(size, rrow, r, band.range.start, band.range.end);
                // The writer's end and the reader's end: up, the client writes;
                // down, the server does.
                @let (x_w, x_r) = match stream.direction {
                    crate::event::flow::Direction::Up => (client_edge, server_edge),
                    crate::event::flow::Direction::Down => (server_edge, client_edge),
                };
                @let mid = (x_w + x_r) / 2.0;
                path class=(format!("band {}", message_class(stream, band.message)))
                    data-step=(band.write.max(band.read))
                    d=(format!(
                        "M{x_w:.1},{w0:.1} C{mid:.1},{w0:.1} {mid:.1},{r0:.1} {x_r:.1},{r0:.1} \
                         L{x_r:.1},{r1:.1} C{mid:.1},{r1:.1} {mid:.1},{w1:.1} {x_w:.1},{w1:.1} Z"
                    )) {}
            }
        }
    }
}

fn event_box(
    e: &Event,
    row: usize,
    lanes: &Lanes,
    size: Size,
    flow: &Flow,
    report: &Report,
    say: &str,
) -> Markup {
    let reader = report.reader.name();
    let lane = lane_of(lanes, e);
    let (x, w) = lanes.lane(lane);
    let y = size.top_of(row);
    let on_right = lane == lanes.lanes;
    let (head, bytes) = words_with_step(e, lanes.lang);
    // In a lane several clients share, each box says whose it is.
    let whose = match e.side {
        Side::Client(n) if lanes.shared(lane) => format!("c{n} "),
        _ => String::new(),
    };
    let head = format!("{whose}{head}");
    let span = flow.span_of(e.seq);
    let raw_tag = span
        .map(|(stream, span)| tags(stream, &span.range))
        .unwrap_or_default();
    let tag = raw_tag.clone();
    // The words and the message tag if they fit the lane, the words alone if
    // not; words that still do not fit are drawn narrower, never clipped.
    let room_px = w - STRIP - 16.0;
    let tag = (!tag.is_empty() && size.sans_width(&format!("{head} · {tag}")) <= room_px)
        .then(|| format!(" · {tag}"));
    let label_w = size.sans_width(&head) + tag.as_deref().map_or(0.0, |t| size.sans_width(t));
    let squeeze = (label_w > room_px).then_some(room_px);
    // The call, and what it returned (`→ 14 B @0`): kept apart, as predict
    // mode hides the result until it is revealed.
    let (call, result) = match call_and_result(e, lanes.lang) {
        Some((call, result)) => (format!("{whose}{call}"), Some(result)),
        None => (head.clone(), None),
    };
    // In a box of three lines, words that do not fit go on two: the call,
    // then its result and tag.
    let fit = |t: &str| (size.sans_width(t) > room_px).then_some(room_px);
    let split = match &result {
        Some(rest) if size.lines > 2.0 && squeeze.is_some() => {
            let tag = (!raw_tag.is_empty()
                && size.sans_width(&format!("{rest} · {raw_tag}")) <= room_px)
                .then(|| format!(" · {raw_tag}"));
            let line2 = format!("{rest}{}", tag.as_deref().unwrap_or_default());
            Some((fit(&call), fit(&line2), rest.clone(), tag))
        }
        _ => None,
    };
    // A read's receive queue as the call began, or the segments a write's
    // bytes left in, right-aligned on the bytes' line; the bytes take what
    // room is left.
    let measured = measure::at(&report.measures, e.seq);
    let segments = measured.and_then(|m| m.segments);
    let held = measured.is_some_and(|m| m.held_back(e.side == Side::Server));
    let queued = match (&e.what, segments) {
        (
            What::Read {
                queued: Some(q), ..
            },
            _,
        ) => Some(tr!(lanes.lang, "page-queued", n = *q)),
        (What::Write { .. }, Some(_)) if held => Some(tr!(lanes.lang, "page-segments-held")),
        (What::Write { .. }, Some(seg)) => Some(tr!(lanes.lang, "page-segments", n = seg.sent)),
        _ => None,
    };
    let queued_px = queued.as_deref().map_or(0.0, |q| size.sans_width(q) + 14.0);
    // In a narrow lane the bytes come first: the queue is drawn beside the
    // diagram anyway.
    let (queued, queued_px) = match queued {
        Some(_) if room_px - queued_px < 8.0 * size.char() => (None, 0.0),
        q => (q, queued_px),
    };
    let room = ((room_px - queued_px) / size.char()).max(4.0) as usize;
    let qx = if on_right {
        x + w - 8.0
    } else {
        x + w - STRIP - 8.0
    };
    // Predict, then reveal: what the class is asked before a read's result.
    let ask = say::ask(e, lanes.clients, lanes.lang);
    let boxh = size.boxh();
    let line = |n: f64| y + size.font * (1.2 * n - 0.05);
    let bytes_y = if split.is_some() {
        line(3.0)
    } else {
        line(2.0) + 0.1 * size.font
    };
    html! {
        g class=(format!("ev {}", kind(&e.what))) data-reader=(reader) data-seq=(e.seq) data-say=(say) data-ask=[ask] {
            title { (say) }
            rect.box x=(x) y=(y) width=(w) height=(boxh) rx="6" {}
            @if let Some((stream, span)) = span {
                // The strip on the side facing the other program: its bytes by
                // message, where the bands attach.
                @let sx = if on_right { x } else { x + w - STRIP };
                @for (range, message) in stream.split_by_message(span.range.clone()) {
                    @let (y0, y1) = edge(size, row, span, range.start, range.end);
                    rect class=(format!("strip {}", message_class(stream, message))) x=(sx) y=(y0)
                        width=(STRIP) height=((y1 - y0).max(1.0)) {}
                }
            }
            @let tx = if on_right { x + STRIP + 8.0 } else { x + 8.0 };
            @match bytes {
                Some(bytes) => {
                    @if let Some((fit1, fit2, rest, tag)) = &split {
                        text.label x=(tx) y=(line(1.0)) textLength=[fit1]
                            lengthAdjust="spacingAndGlyphs" { (call) }
                        text.label x=(tx) y=(line(2.0)) textLength=[fit2]
                            lengthAdjust="spacingAndGlyphs" { tspan.res { (rest) } @if let Some(tag) = tag { tspan.tag { (tag) } } }
                    } @else {
                        text.label x=(tx) y=(line(1.0)) textLength=[squeeze]
                            lengthAdjust="spacingAndGlyphs" { (call) @if let Some(r) = &result { tspan.res { " " (r) } } @if let Some(tag) = &tag { tspan.tag { (tag) } } }
                    }
                    text.bytes x=(tx) y=(bytes_y) { (escape_fit(bytes, room)) }
                    @if let Some(q) = &queued {
                        text class=(if matches!(e.what, What::Write { .. }) { "segments" } else { "queued" })
                            x=(qx) y=(bytes_y) text-anchor="end" { (q) }
                    }
                }
                None if split.is_some() => {
                    // No bytes: the call and its result on two lines.
                    @if let Some((fit1, fit2, rest, tag)) = &split {
                        @let top = y + boxh / 2.0 - size.font * 0.6;
                        text.label x=(tx) y=(top + size.font * 0.35) textLength=[fit1]
                            lengthAdjust="spacingAndGlyphs" { (call) }
                        text.label x=(tx) y=(top + size.font * 1.55) textLength=[fit2]
                            lengthAdjust="spacingAndGlyphs" { tspan.res { (rest) } @if let Some(tag) = tag { tspan.tag { (tag) } } }
                    }
                }
                None if result.is_none() && tag.is_none() && squeeze.is_some() => {
                    // Words too wide for the lane go on the box's lines.
                    @let lines = wrap(&call, room_px, size);
                    @let top = y + boxh / 2.0 - size.font * 1.2 * (lines.len() as f64 - 1.0) / 2.0;
                    @for (i, l) in lines.iter().enumerate() {
                        text.label x=(tx) y=(top + size.font * (1.2 * i as f64 + 0.35)) textLength=[fit(l)]
                            lengthAdjust="spacingAndGlyphs" { (l) }
                    }
                }
                None => {
                    text.label x=(tx) y=(y + boxh / 2.0 + size.font * 0.35) textLength=[squeeze]
                        lengthAdjust="spacingAndGlyphs" { (call) @if let Some(r) = &result { tspan.res { " " (r) } } @if let Some(tag) = &tag { tspan.tag { (tag) } } }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_setup_folds_unless_several_clients_make_the_listen_queue_the_point() {
        let server = |seq, what| Event {
            seq,
            side: Side::Server,
            what,
        };
        let timeline = [
            server(1, What::Socket),
            server(2, What::Bind),
            server(3, What::Listen { backlog: 5 }),
        ];
        assert_eq!(folded_setup(&timeline, 1), Some((1, 3)));
        assert_eq!(folded_setup(&timeline, 5), None);
        assert_eq!(folded_setup(&timeline[1..], 1), None);
    }

    #[test]
    fn clients_served_in_turn_share_a_lane_and_clients_alive_at_once_do_not() {
        let client = |seq, n| Event {
            seq,
            side: Side::Client(n),
            what: What::Connect,
        };
        // 1 then 2 then 3, one after another: one lane, named for all.
        let turns = [client(1, 1), client(2, 1), client(3, 2), client(4, 3)];
        let lanes = Lanes::of_timeline(&turns, 3, crate::lang::Lang::En);
        assert_eq!(lanes.lanes, 1);
        assert!(lanes.shared(0));
        assert_eq!(lanes.name(0), "clients 1–3");
        assert_eq!(lanes.name(1), "server");
        // 2 connects while 1 is served; 3 comes after 1 is done.
        let overlap = [
            client(1, 1),
            client(2, 2),
            client(3, 1),
            client(4, 3),
            client(5, 2),
        ];
        let lanes = Lanes::of_timeline(&overlap, 3, crate::lang::Lang::En);
        assert_eq!(lanes.lanes, 2);
        assert_eq!(
            (1..=3).map(|n| lanes.of_client(n)).collect::<Vec<_>>(),
            [0, 1, 0]
        );
        assert_eq!(lanes.name(0), "clients 1, 3");
        assert_eq!(lanes.name(1), "client 2");
        assert!(!lanes.shared(1));
        // Each client alone: no lane shared, and the drawing as before.
        assert_eq!(Lanes::new(4, crate::lang::Lang::En).lanes, 4);
    }
}
