//! One plain sentence per event, for the step a class is looking at.
//!
//! The terminal's rows are terse (`read(1024) → 4 B @0 hell`); a page being
//! stepped through in class says the same event as a sentence a student can
//! read aloud, with what the bytes are: all of a message, part of one, or the
//! end of one and the start of the next.

use std::ops::Range;

use crate::event::flow::{Flow, Stream};
use crate::event::measure::{self, Measure};
use crate::event::{ErrorKind, Event, Side, What};
use crate::lang::Lang;
use crate::lesson::reader::ReaderKind;
use crate::text::bytes_in;
use crate::text::escape::escape_fit;
use crate::tr;

/// Who did it, as the subject of a sentence.
fn who(side: Side, clients: usize, lang: Lang) -> String {
    match side {
        Side::Client(_) if clients == 1 => tr!(lang, "who-the-client"),
        Side::Client(n) | Side::Downstream(n) => tr!(lang, "who-client", n = n),
        Side::Server => tr!(lang, "who-the-server"),
        Side::Upstream(n) => tr!(lang, "who-server-connection", n = n),
    }
}

/// Which part of which messages `range` holds, in words: "all of message 1",
/// "the last 9 bytes of message 1 and the first 2 bytes of message 2".
pub fn parts(stream: &Stream, range: &Range<u64>, lang: Lang) -> String {
    let said: Vec<String> = stream
        .messages_in(range)
        .into_iter()
        .map(|(i, whole)| {
            let m = &stream.messages[i];
            let n = i + 1;
            if whole {
                return tr!(lang, "part-all", m = n);
            }
            let from = range.start.max(m.start) - m.start;
            let to = range.end.min(m.end) - m.start;
            let k = to - from;
            let len = m.end - m.start;
            match (from == 0, to == len) {
                (true, _) => tr!(lang, "part-first", k = k, m = n),
                (_, true) => tr!(lang, "part-last", k = k, m = n),
                _ if k == 1 => tr!(lang, "part-byte", at = from + 1, m = n),
                _ => tr!(lang, "part-bytes", from = from + 1, to = to, m = n),
            }
        })
        .collect();
    said.join(&tr!(lang, "part-and"))
}

fn quoted(bytes: &[u8]) -> String {
    format!("“{}”", escape_fit(bytes, 40))
}

fn capitalized(s: String) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => s,
    }
}

/// A failed call as a sentence: with the call and the error's name where
/// both are known ("The server's write() fails (EPIPE): the client had
/// already closed the connection."), else in the error's own words.
fn error_sentence(
    side: Side,
    error: ErrorKind,
    message: &str,
    call: Option<&'static str>,
    clients: usize,
    lang: Lang,
) -> String {
    let subject = who(side, clients, lang);
    let peer = match side {
        Side::Client(_) | Side::Downstream(_) => tr!(lang, "who-the-server"),
        Side::Server | Side::Upstream(_) if clients == 1 => tr!(lang, "who-the-client"),
        Side::Server | Side::Upstream(_) => tr!(lang, "say-peer-client"),
    };
    let known = match error {
        ErrorKind::BrokenPipe => Some(("EPIPE", "say-why-broken-pipe")),
        ErrorKind::Reset => Some(("ECONNRESET", "say-why-reset")),
        ErrorKind::Refused => Some(("ECONNREFUSED", "say-why-refused")),
        _ => None,
    };
    let said = match (call, known) {
        (Some(call), Some((code, why))) => tr!(
            lang,
            "say-error-call",
            who = &subject,
            call = call,
            code = code,
            why = tr!(lang, why, peer = &peer)
        ),
        _ => tr!(
            lang,
            "say-error",
            who = &subject,
            error = error.said(message, lang)
        ),
    };
    // The book's server loops `while((strLen = read(...)) != 0)`: a read
    // that fails returns -1, which is not 0, so the book's loop goes on
    // where this server ends the connection. Said where it happens.
    match (side, call) {
        (Side::Server, Some("read")) => format!("{said} {}", tr!(lang, "say-book-loop-on-error")),
        _ => said,
    }
}

/// What the event did, as one sentence. `timeline` is the whole run (a read is
/// explained by what the reader does next), `flow` its streams.
pub fn sentence(
    e: &Event,
    timeline: &[Event],
    flow: &Flow,
    reader: ReaderKind,
    clients: usize,
    lang: Lang,
) -> String {
    let subject = who(e.side, clients, lang);
    let span = flow.span_of(e.seq);
    let what_bytes = |bytes: &[u8]| match span {
        Some((stream, span)) => {
            let p = parts(stream, &span.range, lang);
            if p.is_empty() {
                quoted(bytes)
            } else {
                format!("{} ({p})", quoted(bytes))
            }
        }
        None => quoted(bytes),
    };
    let count = |n: u64| bytes_in(n, lang);
    let text = match &e.what {
        What::Socket => tr!(lang, "say-socket"),
        What::Bind => tr!(lang, "say-bind"),
        What::Listen { backlog } => tr!(
            lang,
            "say-listen",
            backlog = *backlog,
            queue = u64::from(*backlog) + 1
        ),
        What::CloseListener => tr!(lang, "say-close-listener"),
        What::Connect => tr!(lang, "say-connect", who = &subject),
        What::ConnectWaits => tr!(lang, "say-connect-waits", who = &subject),
        What::ConnectRetried => tr!(lang, "say-connect-retried", who = &subject),
        What::Refused => tr!(lang, "say-refused", who = &subject),
        What::Accept { client } => tr!(
            lang,
            "say-accept",
            client = who(Side::Client(*client), clients, lang)
        ),
        What::Write { bytes, .. } => tr!(
            lang,
            "say-write",
            who = &subject,
            n = count(bytes.len() as u64),
            bytes = what_bytes(bytes)
        ),
        What::Read {
            asked,
            bytes,
            queued,
            ..
        } => read_sentence(
            e,
            timeline,
            flow,
            reader,
            lang,
            &subject,
            (*asked, *queued),
            bytes,
            what_bytes(bytes),
        ),
        What::Eof => tr!(lang, "say-eof", who = &subject),
        What::Shutdown => tr!(lang, "say-shutdown", who = &subject),
        What::Pause { ms, late: true } => tr!(lang, "say-pause-late", who = &subject, ms = *ms),
        What::Pause { ms, late: false } => match e.side {
            Side::Server => tr!(lang, "say-pause-server", ms = *ms),
            _ => tr!(lang, "say-pause", who = &subject, ms = *ms),
        },
        What::Close { unread: 0 } => match (e.side, flow.connection_of(e.seq)) {
            // Back to accept() only if the server accepts again; after its
            // last client its loop ends and close(server) comes next.
            (Side::Server, Some(n)) => tr!(
                lang,
                if accepts_again(e, timeline) {
                    "say-close-server"
                } else {
                    "say-close-server-last"
                },
                client = who(Side::Client(n), clients, lang)
            ),
            _ => tr!(lang, "say-close", who = &subject),
        },
        What::Close { unread } => tr!(lang, "say-close-unread", who = &subject, n = count(*unread)),
        What::Error {
            error,
            message,
            call,
        } => error_sentence(e.side, *error, message, *call, clients, lang),
        What::Cut {
            after,
            reset: false,
        } => tr!(lang, "say-cut", n = count(*after)),
        What::Cut { after, reset: true } => tr!(lang, "say-reset", n = count(*after)),
        What::Dropped { idle_ms } => tr!(
            lang,
            "say-dropped",
            who = &subject,
            secs = format!("{}", *idle_ms as f64 / 1000.0)
        ),
        What::Reply {
            round,
            ok: true,
            got,
            ..
        } => tr!(
            lang,
            "say-reply-ok",
            round = *round,
            reader = reader.name(),
            n = count(got.len() as u64)
        ),
        What::Reply {
            round,
            ok: false,
            got,
            sent,
        } => tr!(
            lang,
            "say-reply-bad",
            round = *round,
            reader = reader.name(),
            got = quoted(got),
            got_n = count(got.len() as u64),
            sent = quoted(sent),
            sent_n = count(sent.len() as u64)
        ),
        // A reader that would wait for ever: the run stops what the real
        // program would not.
        What::Note { text, .. } if text.id() == "note-stalled" => {
            tr!(lang, "say-stalled", who = &subject, text = text.say(lang))
        }
        What::Note { text, .. } => tr!(lang, "say-note", who = &subject, text = text.say(lang)),
    };
    capitalized(text)
}

/// Whether the server calls accept() again after `e`.
fn accepts_again(e: &Event, timeline: &[Event]) -> bool {
    timeline
        .iter()
        .any(|x| x.seq > e.seq && x.side == Side::Server && matches!(x.what, What::Accept { .. }))
}

/// What a class is asked at a read before its result is shown (predict,
/// then reveal): who reads and how much it asks for, not what it gets.
pub fn ask(e: &Event, clients: usize, lang: Lang) -> Option<String> {
    match &e.what {
        What::Read { asked, .. } => Some(capitalized(tr!(
            lang,
            "page-predict-ask",
            who = who(e.side, clients, lang),
            asked = *asked
        ))),
        _ => None,
    }
}

/// What the kernel did with a write's bytes, as measured once they had
/// settled: the segments they left in, and the bytes still waiting unsent
/// in the writer's send queue. `None` for any other row, or a run that
/// measured nothing.
pub fn kernel_sentence(e: &Event, measures: &[Measure], lang: Lang) -> Option<String> {
    let What::Write { .. } = e.what else {
        return None;
    };
    let m = measure::at(measures, e.seq)?;
    let seg = m.segments?;
    let mut text = tr!(
        lang,
        "say-segments",
        n = seg.sent,
        mss = bytes_in(u64::from(seg.mss), lang)
    );
    if let Some(q) = m.end(e.side == Side::Server).filter(|q| q.unsent > 0) {
        // Why they wait: a small write behind an unacknowledged segment is
        // Nagle's to hold; anything else waits for room in the window.
        let unacked = q.send_q.saturating_sub(q.unsent);
        let id = match seg.nagle && unacked > 0 && q.unsent < u64::from(seg.mss) {
            true => "say-unsent-nagle",
            false => "say-unsent",
        };
        text.push(' ');
        text.push_str(&tr!(
            lang,
            id,
            n = bytes_in(q.unsent, lang),
            unacked = bytes_in(unacked, lang)
        ));
    }
    Some(text)
}

/// A read: what it returned, and what the reader does with it.
#[allow(clippy::too_many_arguments)]
fn read_sentence(
    e: &Event,
    timeline: &[Event],
    flow: &Flow,
    reader: ReaderKind,
    lang: Lang,
    subject: &str,
    (asked, queued): (usize, Option<usize>),
    bytes: &[u8],
    said: String,
) -> String {
    // A read that filled its buffer returned as many as it asked for,
    // whatever had arrived; one that did not, what had arrived.
    let mut s = tr!(
        lang,
        if bytes.len() >= asked {
            "say-read-asked"
        } else {
            "say-read"
        },
        who = subject,
        asked = asked,
        n = bytes_in(bytes.len() as u64, lang),
        bytes = said
    );
    // The receive queue the kernel reported as the call began.
    if let Some(q) = queued.filter(|_| !bytes.is_empty()) {
        let n = bytes.len();
        let held = bytes_in(q as u64, lang);
        s.push(' ');
        s.push_str(&match q.cmp(&n) {
            std::cmp::Ordering::Equal => tr!(lang, "say-queued-all", held = held),
            std::cmp::Ordering::Greater => tr!(
                lang,
                "say-queued-more",
                held = held,
                left = bytes_in((q - n) as u64, lang)
            ),
            std::cmp::Ordering::Less => tr!(lang, "say-queued-less", held = held),
        });
    }
    if let Some((stream, span)) = flow.span_of(e.seq) {
        let writes = stream
            .writes
            .iter()
            .filter(|w| w.range.start < span.range.end && span.range.start < w.range.end)
            .count();
        if writes > 1 {
            s.push(' ');
            s.push_str(&tr!(lang, "say-read-coalesced", writes = writes));
        }
    }
    if let Side::Client(n) = e.side {
        // What the client does next with its own socket: a reply means this
        // read finished one; another read means it is still collecting.
        let next = timeline
            .iter()
            .filter(|x| x.seq > e.seq && x.side == Side::Client(n))
            .find(|x| matches!(x.what, What::Reply { .. } | What::Read { .. } | What::Eof));
        let naive = reader == ReaderKind::Naive;
        let then = match next.map(|x| &x.what) {
            Some(What::Reply { .. }) if naive => Some(tr!(lang, "say-read-naive")),
            Some(What::Reply { round, .. }) => Some(tr!(
                lang,
                "say-read-whole",
                reader = reader.name(),
                round = *round
            )),
            Some(What::Read { .. } | What::Eof) if !naive => {
                Some(tr!(lang, "say-read-again", reader = reader.name()))
            }
            _ => None,
        };
        if let Some(then) = then {
            s.push(' ');
            s.push_str(&then);
        }
    }
    s
}

#[cfg(test)]
mod tests;
