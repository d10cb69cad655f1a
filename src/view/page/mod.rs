//! Lesson pages: a run as a picture a class can step through, in any browser.
//!
//! A page is one self-contained HTML file: its style, its script and its
//! drawings are inline, and its Content-Security-Policy forbids fetching
//! anything, so it works from `file://`, offline, on any static host. For each
//! reader it draws:
//!
//! - [`diagram`]: the sequence diagram, with bands from each write to the
//!   reads that received its bytes;
//! - [`ribbon`]: each stream's bytes with the writes' and the reads'
//!   boundaries, which do not line up;
//! - [`say`]: one plain sentence per event, for stepping;
//! - [`queue`]: each side's receive queue, as the kernel measured it;
//! - [`code`]: the book's C code beside the steps, the running line marked;
//! - [`lanes`]: which client is drawn in which lane (idle lanes folded).
//!
//! [`site`] writes a lesson's pages to a folder; [`tables`] are the replies
//! and verdicts under the diagrams.
//!
//! Everything is drawn from the typed events of the [`Report`]s, the same
//! values the terminal and `--json` show, and every byte from a scenario or a
//! peer goes through maud's escaping: a message holding `</script>` is text.

pub mod code;
pub mod diagram;
pub mod lanes;
pub mod queue;
pub mod ribbon;
pub mod say;
pub mod site;
pub mod tables;
mod traced;

pub use traced::{TracedPage, trace_page};

use std::ops::Range;

use maud::{DOCTYPE, Markup, PreEscaped, html};

pub use site::{index_page, write_site};

use lanes::{Lanes, lane_names};
use tables::{rounds_table, verdict_class, verdicts_table};

use crate::event::flow::{Flow, Stream};
use crate::event::{Event, Side};
use crate::lang::Lang;
use crate::lesson::reader::{MessageReader, ReaderKind};
use crate::scenario::{Report, Scenario, SideProgram};
use crate::text::escape::{escape, html_text, write_json};
use crate::tr;
use crate::view::report::{describe_client, describe_server};

const STYLE: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("page.js");
/// Nothing may be fetched: no network, no other file. Inline style and script
/// are the page's own.
const POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'";
/// Colours for messages; message N of client C takes colour (C - 1 + N) mod 8.
const COLOURS: usize = 8;

/// The colour of message `message` of `stream`: one of `COLOURS`.
pub fn message_colour(stream: &Stream, message: Option<usize>) -> Option<usize> {
    message.map(|i| (stream.client - 1 + i) % COLOURS)
}

/// The CSS class that colours message `message` of `stream`.
pub fn message_class(stream: &Stream, message: Option<usize>) -> String {
    match message_colour(stream, message) {
        Some(c) => format!("m{c}"),
        None => "mnone".into(),
    }
}

/// Which messages a call's bytes hold, as short tags that do not rely on
/// colour: `m1` whole, `m1…` its start, `…m1` its end, `…m1…` its middle.
pub fn tags(stream: &Stream, range: &Range<u64>) -> String {
    stream
        .messages_in(range)
        .into_iter()
        .map(|(i, _)| {
            let m = &stream.messages[i];
            let before = if range.start > m.start { "…" } else { "" };
            let after = if range.end < m.end { "…" } else { "" };
            format!("{before}m{}{after}", i + 1)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// How many clients a report's run had.
pub(crate) fn clients_of(report: &Report) -> usize {
    let in_timeline = report.timeline.iter().filter_map(|e| match e.side {
        Side::Client(n) => Some(n),
        _ => None,
    });
    let in_rounds = report.rounds.iter().map(|r| r.client);
    in_timeline.chain(in_rounds).max().unwrap_or(1)
}

/// The streams of a report: each client's messages framed as its reader sends
/// them.
pub fn flow_of(report: &Report) -> Flow {
    let framing = MessageReader::new(report.reader, report.client_buffer.max(1));
    Flow::of(&report.timeline, |client| {
        let mut rounds: Vec<_> = report
            .rounds
            .iter()
            .filter(|r| r.client == client)
            .collect();
        rounds.sort_by_key(|r| r.round);
        rounds
            .iter()
            .map(|r| {
                framing
                    .encode(&r.sent)
                    .map_or(r.sent.len(), |wire| wire.len()) as u64
            })
            .collect()
    })
}

/// Links between the pages of a lesson site.
#[derive(Debug, Clone, Default)]
pub struct Nav {
    /// The index page's file name, when the page is part of a site.
    pub index: Option<String>,
    /// The previous scenario's name.
    pub prev: Option<String>,
    /// The next scenario's name.
    pub next: Option<String>,
    /// The command that made the site the page is part of (`tcp-boundary
    /// lesson --out …`); a page of its own says `tcp-boundary run NAME --html`.
    pub made_by: Option<String>,
}

/// Text from a scenario file in a page: exact once the page is read, each
/// character a terminal would escape written as a character reference
/// ([`html_text`]), and isolated in a `<bdi>` so that a bidi override in it
/// cannot reorder the page around it.
pub(crate) fn file_text(text: &str) -> Markup {
    html! { bdi { (PreEscaped(html_text(text))) } }
}

/// Text from a scenario file with its Markdown inline code (`` `read()` ``)
/// as `<code>`; a backtick without its pair stays as it is.
fn file_prose(text: &str) -> Markup {
    let parts: Vec<&str> = text.split('`').collect();
    // An even count of parts: the last backtick has no pair.
    let paired = if parts.len().is_multiple_of(2) {
        parts.len() - 2
    } else {
        parts.len()
    };
    html! {
        bdi {
            @for (i, part) in parts.iter().enumerate() {
                @if i >= paired {
                    "`" (PreEscaped(html_text(part)))
                } @else if i % 2 == 1 {
                    code { (PreEscaped(html_text(part))) }
                } @else {
                    (PreEscaped(html_text(part)))
                }
            }
        }
    }
}

/// A scenario page's file name in a site.
pub fn file_name(scenario: &str) -> String {
    format!("{scenario}.html")
}

/// The page's document: head, style, body, the report as JSON, the script.
pub(crate) fn document(
    title: &str,
    body: Markup,
    reports: Option<&[Report]>,
    lang: Lang,
) -> String {
    let json = reports.map(|r| {
        // The same JSON as `--json`. Inside a script element only `</script`
        // could end it early: every `<` is written as its JSON escape, which a
        // JSON parser reads back as `<`.
        let mut json = Vec::new();
        write_json(&mut json, r, false).expect("a report serializes");
        String::from_utf8(json)
            .expect("JSON is UTF-8")
            .replace('<', "\\u003c")
    });
    let page = html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(POLICY);
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (PreEscaped(html_text(title))) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                (body)
                @if let Some(json) = json {
                    script type="application/json" id="report" { (PreEscaped(json)) }
                    script { (PreEscaped(SCRIPT)) }
                }
            }
        }
    };
    page.into_string()
}

fn nav(nav: &Nav, lang: Lang) -> Markup {
    html! {
        @if let Some(index) = &nav.index {
            nav aria-label=(tr!(lang, "page-nav")) {
                @if let Some(prev) = &nav.prev {
                    a rel="prev" href=(file_name(prev)) { "← " (file_text(prev)) }
                }
                a href=(index) { (tr!(lang, "page-all-scenarios")) }
                @if let Some(next) = &nav.next {
                    a rel="next" href=(file_name(next)) { (file_text(next)) " →" }
                }
            }
        }
    }
}

/// The page of one scenario's run: `reports` holds one report per reader, the
/// first shown first.
pub fn scenario_page(s: &Scenario, reports: &[Report], links: &Nav, lang: Lang) -> String {
    let Some(first) = reports.first() else {
        return document(
            &s.name,
            html! { p { (tr!(lang, "page-no-run")) } },
            None,
            lang,
        );
    };
    let point_at = s.point_at_in(lang);
    let t = |id: &str| tr!(lang, id);
    let clients = reports.iter().map(clients_of).max().unwrap_or(1);
    let body = html! {
        header {
            (nav(links, lang))
            h1 { (file_text(&s.name)) }
            p.lesson { (file_prose(s.lesson_in(lang))) }
        }
        main {
            section.about aria-label=(t("page-about")) {
                p { (file_prose(&s.description_in(lang))) }
                // Folded, so that the stepper and the first step are on a
                // projector's screen as the page opens.
                details.setup {
                    summary { (t("page-setup-script")) }
                    h2 { (t("page-setup")) }
                    ul {
                        @for line in describe_server(s, first.seed, lang) { li { (t("col-server")) ": " (line) } }
                        @for line in describe_client(s, lang) { li { (t("col-client")) ": " (line) } }
                        @for line in &first.buffers { li { (line.say(lang)) } }
                    }
                    h2 { (t("page-script")) }
                    ol {
                        @for step in &s.steps { li { (step.describe(lang)) } }
                    }
                }
                // The teacher's notes: folded, as they tell the outcome, and
                // hidden while the class predicts.
                @if !point_at.is_empty() {
                    details.point {
                        summary { (t("page-point-at")) }
                        p { (file_prose(&point_at)) }
                    }
                }
            }
            div.tabs role="tablist" aria-label=(t("verdicts-reader")) {
                @for (i, r) in reports.iter().enumerate() {
                    button role="tab" id=(format!("tab-{}", r.reader)) aria-controls=(format!("panel-{}", r.reader))
                        aria-selected=(if i == 0 { "true" } else { "false" }) data-reader=(r.reader.name()) {
                        (program_name(r, lang))
                        span class=(format!("verdict {}", verdict_class(r.verdict))) { " " (r.verdict.said(lang)) }
                    }
                }
            }
            // Each reader's name said once: what it does to find a reply's end.
            p.readers {
                @for (i, r) in reports.iter().enumerate() {
                    @if i > 0 { " · " }
                    @if r.client_program == SideProgram::BookC {
                        code { (program_name(r, lang)) } ": " (t("page-reader-book-c"))
                    } @else {
                        (reader_about(r.reader, lang))
                    }
                }
            }
            @for (i, r) in reports.iter().enumerate() {
                (panel(r, clients, i == 0, false, lang))
            }
            section.results aria-label=(t("page-results")) {
                h2 { (t("page-replies")) }
                (rounds_table(reports, lang))
                h2 { (t("page-verdicts")) }
                (verdicts_table(reports, lang))
                @for (console, id) in reports.first().into_iter().flat_map(|r| [
                    (r.console.as_deref(), "page-console-book-c"),
                    (r.server_console.as_deref(), "page-console-book-server"),
                ]).filter_map(|(c, id)| Some((c?, id))) {
                    h2 { (t(id)) }
                    // Each line as it printed it, its bytes escaped as a
                    // terminal shows them.
                    pre.console {
                        @for line in console.split_inclusive(|&b| b == b'\n') {
                            (file_text(&escape(line.strip_suffix(b"\n").unwrap_or(line)))) "\n"
                        }
                    }
                }
            }
        }
        footer {
            p {
                (t("page-made-by")) " "
                @match &links.made_by {
                    Some(command) => code { (file_text(command)) },
                    None => code {
                        "tcp-boundary run " (file_text(&s.name))
                        @if s.client_program == SideProgram::BookC { " --client book-c" }
                        @if s.server_program == SideProgram::BookC { " --server book-c" }
                        " --html" @if lang != Lang::En { " --lang " (lang.code()) }
                    },
                }
                ". "
                (t("page-keys"))
            }
        }
    };
    document(
        &format!("{} · tcp-boundary", s.name),
        body,
        Some(reports),
        lang,
    )
}

/// One reader's panel: the stepper, the diagram with the queues and the
/// code beside it, the ribbons.
///
/// `traced`: the run is a traced program's, not a scenario's: its code is
/// not known (unless it is the book's client) and no queue was measured but
/// each read's, which its box says; neither is drawn beside the diagram.
fn panel(r: &Report, clients: usize, shown: bool, traced: bool, lang: Lang) -> Markup {
    let client_code = !traced || r.client_program == SideProgram::BookC;
    let flow = flow_of(r);
    let lanes = Lanes::of_timeline(&r.timeline, clients, lang);
    let say = |e: &Event| {
        let said = say::sentence(e, &r.timeline, &flow, r.reader, clients, lang);
        match say::kernel_sentence(e, &r.measures, lang) {
            Some(kernel) => format!("{said} {kernel}"),
            None => said,
        }
    };
    let t = |id: &str| tr!(lang, id);
    let steps = r.timeline.iter().map(|e| e.seq).max().unwrap_or(0);
    let queues = queue::steps(&r.timeline, &r.measures, &flow, clients, lang);
    let queues = serde_json::to_string(&queues).expect("queues serialize");
    html! {
        section.panel role="tabpanel" id=(format!("panel-{}", r.reader)) aria-labelledby=(format!("tab-{}", r.reader))
            data-reader=(r.reader.name()) data-steps=(steps) hidden[!shown]
            data-play=(t("page-play")) data-pause=(t("page-pause")) {
            h2.print-only { @match r.client_program {
                SideProgram::BookC => (program_name(r, lang)),
                SideProgram::Ours => (tr!(lang, "page-reader", reader = r.reader.name())),
            } }
            // The stepper and the sentence stay at the top of the screen while
            // the diagram scrolls under them.
            div.bar {
            div.stepper {
                button.first type="button" aria-label=(t("page-first-step")) { (t("page-first")) }
                button.prev type="button" aria-label=(t("page-previous-step")) { "◀ " (t("page-previous")) }
                button.next type="button" aria-label=(t("page-next-step")) { (t("page-next")) " ▶" }
                button.play type="button" aria-label=(t("page-play")) { (t("page-play")) }
                label { (t("page-speed")) " " select.speed {
                    option value="2000" { (t("page-slow")) }
                    option value="1000" selected { (t("page-normal")) }
                    option value="500" { (t("page-fast")) }
                } }
                // Predict, then reveal: a read's result is kept back until
                // the next click, for the class to guess first.
                label.predict title=(t("page-predict-help")) {
                    input.predict type="checkbox"; " " (t("page-predict"))
                }
                // The page's moment in the run, as "1 / 20" (the chapter's
                // seven steps keep their names in the boxes).
                span.count aria-label=(t("page-step-label")) { (steps) " / " (steps) }
            }
            p.say aria-live="polite" { (r.timeline.last().map(&say).unwrap_or_default()) }
            (lane_names(&lanes))
            }
            div class=(if lanes.many() { "stage many" } else { "stage" }) {
                figure.flow {
                    (diagram::diagram(r, &flow, &lanes, &say))
                    figcaption {
                        (t("page-diagram-caption")) " ("
                        code { "m1" } " " (t("page-tag-whole")) ", " code { "m1…" } " " (t("page-tag-start")) ", " code { "…m1" } " " (t("page-tag-end")) "). "
                        code { "@20" } " " (t("page-legend-at")) " "
                        code { "⟨6⟩" } " " (t("page-legend-header"))
                    }
                }
                aside.side aria-label=(t("page-side")) {
                    // Drawn by the script from the measured steps.
                    @if !traced {
                        div.queues data-queues=(queues) {
                            p.qtitle { (t("page-queues")) }
                            div.qlist {}
                        }
                    }
                    @if client_code {
                        (code::code_box(code::Listing::Client(r.reader), &r.timeline, lang))
                    }
                    // A traced program's server is ours, its calls not shown.
                    @if !traced {
                        (code::code_box(code::Listing::Server, &r.timeline, lang))
                    }
                }
            }
            h3 { (t("page-bytes-in-order")) }
            @for stream in &flow.streams {
                (ribbon::ribbon(stream, &r.timeline, r.reader, clients, lang))
            }
        }
    }
}

/// A reader's name and what it does, in a few words (`naive: one read per
/// message`).
fn reader_about(reader: ReaderKind, lang: Lang) -> Markup {
    let id = match reader {
        ReaderKind::Naive => "page-reader-naive",
        ReaderKind::Exact => "page-reader-exact",
        ReaderKind::Line => "page-reader-line",
        ReaderKind::Length => "page-reader-length",
        ReaderKind::Book => "page-reader-book",
    };
    html! { code { (reader.name()) } ": " (tr!(lang, id)) }
}

/// What played the client of `r`, as its tab names it: the reader, or the
/// book's own program.
fn program_name(r: &Report, lang: Lang) -> String {
    match r.client_program {
        SideProgram::BookC => tr!(lang, "page-program-book-c"),
        SideProgram::Ours => r.reader.name().to_string(),
    }
}

/// The readers in the order a page shows them: `first` (if given), then the
/// others.
pub fn reader_order(first: Option<ReaderKind>) -> Vec<ReaderKind> {
    let mut order: Vec<ReaderKind> = first.into_iter().collect();
    order.extend(ReaderKind::ALL.iter().filter(|&&r| Some(r) != first));
    order
}
