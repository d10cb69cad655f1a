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
pub enum Listing {
    /// The book's server.
    Server,
    /// The client as `reader` reads its replies: the book's own client for
    /// `naive`, the reader's loop for the others.
    Client(ReaderKind),
}

impl Listing {
    /// The program's text.
    pub fn source(self) -> &'static str {
        match self {
            Listing::Server => BOOK_SERVER,
            Listing::Client(ReaderKind::Naive) => BOOK_CLIENT,
            Listing::Client(ReaderKind::Exact) => include_str!("loops/exact.c"),
            Listing::Client(ReaderKind::Line) => include_str!("loops/line.c"),
            Listing::Client(ReaderKind::Length) => include_str!("loops/length.c"),
            Listing::Client(ReaderKind::Book) => include_str!("loops/book.c"),
        }
    }

    /// What the box is called.
    fn title(self, lang: Lang) -> String {
        match self {
            Listing::Server => tr!(lang, "page-code-server"),
            Listing::Client(ReaderKind::Naive) => tr!(lang, "page-code-client"),
            Listing::Client(r) => tr!(lang, "page-code-loop", reader = r.name()),
        }
    }

    /// The chunk of the line that makes `what`, if the program has one. Each
    /// is in its program once (a test holds them to it).
    pub fn needle(self, what: &What) -> Option<&'static str> {
        match self {
            Listing::Server => match what {
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
            Listing::Client(_) => match what {
                What::Connect | What::ConnectWaits | What::ConnectRetried | What::Refused => {
                    Some("connect(sock")
                }
                What::Write { .. } => Some("write(sock"),
                What::Read { .. } | What::Eof => Some("= read(sock"),
                What::Reply { .. } => Some("printf(\"Message from server"),
                // The book's own client typed to: its fgets, waiting for a line.
                What::Note { text, .. } if text.id() == "note-typed" => Some("fgets(message"),
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

/// The writes of `program`'s side that the book's program would not make,
/// by their seq: the experiment's. The server's echo in chunks (more than
/// one write for one read: the book writes what it read in one call), and a
/// client's write before it has read the reply to the last (the book's loop
/// reads after each write).
fn experiments(program: Listing, timeline: &[Event]) -> Vec<usize> {
    let mut found = Vec::new();
    // By connection: what the side has done since its last read.
    let mut since_read: Vec<(Side, Vec<usize>)> = Vec::new();
    for e in timeline.iter().filter(|e| mine(program, e.side)) {
        let i = match since_read.iter().position(|(s, _)| *s == e.side) {
            Some(i) => i,
            None => {
                since_read.push((e.side, Vec::new()));
                since_read.len() - 1
            }
        };
        let writes = &mut since_read[i].1;
        match &e.what {
            What::Read { .. } | What::Eof => writes.clear(),
            What::Write { .. } => {
                writes.push(e.seq);
                // The server's second write for one read makes its first
                // one a chunk too; a client's second write before a read is
                // the one the book would not make.
                match (program, writes.len()) {
                    (Listing::Server, 2) => found.extend(writes.iter().copied()),
                    (_, n) if n >= 2 => found.push(e.seq),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    found
}

/// Whether a call of `side` is `program`'s.
fn mine(program: Listing, side: Side) -> bool {
    match program {
        Listing::Server => side == Side::Server,
        Listing::Client(_) => matches!(side, Side::Client(_)),
    }
}

/// The box of `program`, its lines tied to the calls of `timeline` made by
/// its side (the server, or any client): `data-at` lists `[seq, line]`. A
/// write the book's program would not make is tied to a line of its own
/// under the code, marked as the experiment's.
pub fn code_box(program: Listing, timeline: &[Event], lang: Lang) -> Markup {
    let experiment = experiments(program, timeline);
    // Under the book's lines, after a blank one.
    let extra = program.source().lines().count() + 1;
    let at: Vec<(usize, usize)> = timeline
        .iter()
        .filter(|e| mine(program, e.side))
        .filter_map(|e| match experiment.contains(&e.seq) {
            true => Some((e.seq, extra)),
            false => program.line_of(&e.what).map(|line| (e.seq, line)),
        })
        .collect();
    let at = serde_json::to_string(&at).expect("numbers serialize");
    let side = match program {
        Listing::Server => "server",
        Listing::Client(_) => "client",
    };
    // The book's code is shown as the book wrote it; where this run's
    // listen() asked for another queue than the book's 5, the box says so.
    let listen = timeline.iter().find_map(|e| match e.what {
        What::Listen { backlog } if program == Listing::Server && backlog != BOOK_BACKLOG => {
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
                @if !experiment.is_empty() {
                    "\n"
                    span.ln.experiment data-line=(extra) {
                        (match program {
                            Listing::Server => tr!(lang, "page-code-experiment-server"),
                            Listing::Client(_) => tr!(lang, "page-code-experiment-client"),
                        })
                    } "\n"
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
            What::Note {
                text: crate::lang::Msg::new("note-typed").arg("text", "hi"),
                bad: false,
            },
        ];
        let programs = ReaderKind::ALL
            .map(Listing::Client)
            .into_iter()
            .chain([Listing::Server]);
        for p in programs {
            for what in &calls {
                if let Some(needle) = p.needle(what) {
                    let n = p.source().matches(needle).count();
                    assert_eq!(n, 1, "{p:?}: {needle:?} found {n} times");
                }
            }
        }
        // A line typed to the book's client is its fgets.
        let typed = Listing::Client(ReaderKind::Naive)
            .line_of(calls.last().unwrap())
            .unwrap();
        assert_eq!(
            BOOK_CLIENT.lines().nth(typed).unwrap().trim(),
            "fgets(message , BUF_SIZE , stdin);"
        );
        // The naive client's read is the book's line.
        let read = Listing::Client(ReaderKind::Naive)
            .line_of(&calls[6])
            .unwrap();
        assert_eq!(
            BOOK_CLIENT.lines().nth(read).unwrap().trim(),
            "strLen = read(sock , message , BUF_SIZE - 1);"
        );
    }

    #[test]
    fn writes_the_book_would_not_make_are_tied_to_the_experiment_s_line() {
        let ev = |seq, side, what| Event { seq, side, what };
        let write = |n: usize| What::Write {
            at: 0,
            bytes: vec![b'x'; n],
        };
        let read = |n: usize| What::Read {
            asked: 1024,
            at: 0,
            queued: Some(n),
            bytes: vec![b'x'; n],
        };
        // The server reads 8 and echoes them in two chunks; then reads 4 and
        // echoes them whole. The client writes twice before it reads.
        let timeline = [
            ev(1, Side::Client(1), write(4)),
            ev(2, Side::Client(1), write(4)),
            ev(3, Side::Server, read(8)),
            ev(4, Side::Server, write(4)),
            ev(5, Side::Server, write(4)),
            ev(6, Side::Client(1), read(8)),
            ev(7, Side::Client(1), write(4)),
            ev(8, Side::Server, read(4)),
            ev(9, Side::Server, write(4)),
        ];
        assert_eq!(experiments(Listing::Server, &timeline), [4, 5]);
        let client = Listing::Client(ReaderKind::Naive);
        assert_eq!(experiments(client, &timeline), [2]);
        let server = code_box(Listing::Server, &timeline, Lang::Ko).into_string();
        let extra = BOOK_SERVER.lines().count() + 1;
        let book = Listing::Server.line_of(&write(4)).unwrap();
        assert!(
            server.contains(&format!(
                "[[3,{}],[4,{extra}],[5,{extra}],[8,{}],[9,{book}]]",
                Listing::Server.line_of(&read(4)).unwrap(),
                Listing::Server.line_of(&read(4)).unwrap()
            )),
            "{server}"
        );
        assert!(server.contains("실험용: 교재 코드에는 없음"), "{server}");
        // A run that does only what the book does has no such line.
        let plain = [ev(1, Side::Server, read(4)), ev(2, Side::Server, write(4))];
        assert!(
            !code_box(Listing::Server, &plain, Lang::En)
                .into_string()
                .contains("experiment")
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
            code_box(Listing::Server, &timeline, Lang::En).into_string()
        };
        assert!(listen(1).contains("listen() with a queue of 1; the book's code asks for 5"));
        assert!(!listen(5).contains("code-note"));
    }
}
