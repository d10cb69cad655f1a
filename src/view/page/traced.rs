//! The page of a traced program (`tcp-boundary trace --html`): its socket
//! calls stepped through as a scenario's are, with no verdict (no script
//! says what its replies should be) and no queue drawn but the one the
//! tracer measured, each read's, said in its sentence.

use maud::html;

use super::{clients_of, document, file_text, panel};
use crate::event::Event;
use crate::lang::Lang;
use crate::lesson::reader::ReaderKind;
use crate::scenario::{Report, SideProgram, Verdict};
use crate::tr;

/// What a traced run's page shows.
#[derive(Debug, Clone)]
pub struct TracedPage<'a> {
    /// The command traced, as a shell would show it.
    pub command: &'a str,
    /// Lines about the run: the server it talked to, how that one was shaped.
    pub about: &'a [String],
    /// Its socket calls as a timeline.
    pub events: &'a [Event],
    /// It is the book's own client (its code is shown, its lines marked).
    pub book_client: bool,
    /// How it ended, in words.
    pub ended: &'a str,
}

/// The page of a traced program's calls.
pub fn trace_page(run: &TracedPage<'_>, lang: Lang) -> String {
    let t = |id: &str| tr!(lang, id);
    let report = Report {
        scenario: "trace".into(),
        // How a page frames a client's messages: as written, one read each.
        reader: ReaderKind::Naive,
        client_program: match run.book_client {
            true => SideProgram::BookC,
            false => SideProgram::Ours,
        },
        console: None,
        server_program: SideProgram::Ours,
        server_console: None,
        seed: None,
        buffers: Vec::new(),
        client_buffer: 0,
        server_buffer: 0,
        timeline: run.events.to_vec(),
        measures: Vec::new(),
        rounds: Vec::new(),
        checks: Vec::new(),
        verdict: Verdict::Intact,
        expected: Verdict::Intact,
        as_expected: true,
    };
    let clients = clients_of(&report);
    let body = html! {
        header {
            h1 { code { (file_text(run.command)) } }
            p.lesson { (t("page-trace-lesson")) }
        }
        main {
            section.about aria-label=(t("page-about")) {
                ul {
                    @for line in run.about { li { (file_text(line)) } }
                    li { (file_text(run.ended)) }
                }
                @if run.book_client {
                    p { (t("page-trace-book-c")) }
                }
            }
            @if run.events.is_empty() {
                p { (t("trace-no-calls")) }
            } @else {
                (panel(&report, clients, true, true, lang))
            }
        }
        footer {
            p {
                (t("page-made-by")) " " code { "tcp-boundary trace --html" } ". "
                (t("page-keys"))
            }
        }
    };
    document(
        &format!("{} · tcp-boundary trace", run.command),
        body,
        Some(std::slice::from_ref(&report)),
        lang,
    )
}
