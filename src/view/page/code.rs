//! The code beside the steps: the book's C server and client, in the book's
//! own words (`book/`), and for the readers that fix the client, their own
//! loop (`loops/`, C in the book's style, from [`crate::lesson::reader`]'s
//! logic). Each call of a run is tied to the line that makes it, so the page
//! can mark the line running at the current step.

use maud::{Markup, html};

use crate::event::{Event, Side, What};
use crate::lang::Lang;
use crate::lesson::reader::ReaderKind;
use crate::lesson::server::BOOK_BACKLOG;
use crate::tr;

/// The book's iterative echo server, as the chapter prints it.
pub const BOOK_SERVER: &str = include_str!("../../../book/echo_server.c");
/// The book's echo client, as the chapter prints it: one `read` per message.
pub const BOOK_CLIENT: &str = include_str!("../../../book/echo_client.c");

/// The program a box shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Program {
    /// The book's server.
    Server,
    /// The client as `reader` reads its replies: the book's own client for
    /// `naive`, the reader's loop for the others.
    Client(ReaderKind),
}

impl Program {
    /// The program's text.
    pub fn source(self) -> &'static str {
        match self {
            Program::Server => BOOK_SERVER,
            Program::Client(ReaderKind::Naive) => BOOK_CLIENT,
            Program::Client(ReaderKind::Exact) => include_str!("loops/exact.c"),
            Program::Client(ReaderKind::Line) => include_str!("loops/line.c"),
            Program::Client(ReaderKind::Length) => include_str!("loops/length.c"),
            Program::Client(ReaderKind::Book) => include_str!("loops/book.c"),
        }
    }

    /// What the box is called.
    fn title(self, lang: Lang) -> String {
        match self {
            Program::Server => tr!(lang, "page-code-server"),
            Program::Client(ReaderKind::Naive) => tr!(lang, "page-code-client"),
            Program::Client(r) => tr!(lang, "page-code-loop", reader = r.name()),
        }
    }

    /// The piece of the line that makes `what`, if the program has one. Each
    /// is in its program once (a test holds them to it).
    pub fn needle(self, what: &What) -> Option<&'static str> {
        match self {
            Program::Server => match what {
                What::Socket => Some("servSock = socket("),
                What::Bind => Some("if(bind("),
                What::Listen { .. } => Some("if(listen("),
                What::Accept { .. } => Some("clientSock = accept("),
                // A read of 0 bytes ends the loop on the same line.
                What::Read { .. } | What::Eof => Some("= read(clientSock"),
                What::Write { .. } => Some("write(clientSock"),
                What::Close { .. } => Some("close(clientSock)"),
                What::CloseListener => Some("close(servSock)"),
                _ => None,
            },
            Program::Client(_) => match what {
                What::Connect | What::ConnectWaits | What::ConnectRetried | What::Refused => {
                    Some("connect(sock")
                }
                What::Write { .. } => Some("write(sock"),
                What::Read { .. } | What::Eof => Some("= read(sock"),
                What::Reply { .. } => Some("printf(\"Message from server"),
                What::Close { .. } => Some("close(sock)"),
                _ => None,
            },
        }
    }

    /// The line (from 0) that makes `what`.
    pub fn line_of(self, what: &What) -> Option<usize> {
        let needle = self.needle(what)?;
        self.source().lines().position(|l| l.contains(needle))
    }
}

/// A line as shown: the book's eight-space indents (the loops' too) two
/// spaces wide, so that the loop fits beside the diagram; the words as
/// written.
fn shown(line: &str) -> String {
    let text = line.trim_start_matches(' ');
    let indent = line.len() - text.len();
    format!("{}{text}", " ".repeat(indent / 4))
}

/// The box of `program`, its lines tied to the calls of `timeline` made by
/// its side (the server, or any client): `data-at` lists `[seq, line]`.
pub fn code_box(program: Program, timeline: &[Event], lang: Lang) -> Markup {
    let at: Vec<(usize, usize)> = timeline
        .iter()
        .filter(|e| match program {
            Program::Server => e.side == Side::Server,
            Program::Client(_) => matches!(e.side, Side::Client(_)),
        })
        .filter_map(|e| program.line_of(&e.what).map(|line| (e.seq, line)))
        .collect();
    let at = serde_json::to_string(&at).expect("numbers serialize");
    let side = match program {
        Program::Server => "server",
        Program::Client(_) => "client",
    };
    // The book's code is shown as the book wrote it; where this run's
    // listen() asked for another queue than the book's 5, the box says so.
    let listen = timeline.iter().find_map(|e| match e.what {
        What::Listen { backlog } if program == Program::Server && backlog != BOOK_BACKLOG => {
            Some(backlog)
        }
        _ => None,
    });
    html! {
        figure.code data-side=(side) data-at=(at) {
            figcaption { (program.title(lang)) }
            pre tabindex="0" { code {
                @for (i, line) in program.source().lines().enumerate() {
                    span.ln data-line=(i) { (shown(line)) } "\n"
                }
            } }
            @if let Some(backlog) = listen {
                p.code-note { (tr!(lang, "page-code-listen", backlog = backlog, book = BOOK_BACKLOG)) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_call_has_one_line_in_each_program() {
        let calls = [
            What::Socket,
            What::Bind,
            What::Listen { backlog: 5 },
            What::Accept { client: 1 },
            What::Connect,
            What::Write {
                at: 0,
                bytes: vec![],
            },
            What::Read {
                asked: 1,
                at: 0,
                queued: None,
                bytes: vec![],
            },
            What::Eof,
            What::Close { unread: 0 },
            What::CloseListener,
            What::Reply {
                round: 1,
                ok: true,
                got: vec![],
                sent: vec![],
            },
        ];
        let programs = ReaderKind::ALL
            .map(Program::Client)
            .into_iter()
            .chain([Program::Server]);
        for p in programs {
            for what in &calls {
                if let Some(needle) = p.needle(what) {
                    let n = p.source().matches(needle).count();
                    assert_eq!(n, 1, "{p:?}: {needle:?} found {n} times");
                }
            }
        }
        // The naive client's read is the book's line.
        let read = Program::Client(ReaderKind::Naive)
            .line_of(&calls[6])
            .unwrap();
        assert_eq!(
            BOOK_CLIENT.lines().nth(read).unwrap().trim(),
            "strLen = read(sock , message , BUF_SIZE - 1);"
        );
    }

    #[test]
    fn a_listen_queue_other_than_the_book_s_is_said_under_its_code() {
        let listen = |backlog| {
            let timeline = [Event {
                seq: 1,
                side: Side::Server,
                what: What::Listen { backlog },
            }];
            code_box(Program::Server, &timeline, Lang::En).into_string()
        };
        assert!(listen(1).contains("listen() with a queue of 1; the book's code asks for 5"));
        assert!(!listen(5).contains("code-note"));
    }
}
