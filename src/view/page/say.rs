//! One plain sentence per event, for the step a class is looking at.
//!
//! The terminal's rows are terse (`read(1024) → 4 B @0 hell`); a page being
//! stepped through in class says the same event as a sentence a student can
//! read aloud, with what the bytes are: all of a message, part of one, or the
//! end of one and the start of the next.

use std::ops::Range;

use crate::event::flow::{Flow, Stream};
use crate::event::{Event, Side, What};
use crate::lesson::reader::ReaderKind;
use crate::view::escape::escape_fit;

/// Who did it, as the subject of a sentence.
fn who(side: Side, clients: usize) -> String {
    match side {
        Side::Client(_) if clients == 1 => "the client".into(),
        Side::Client(n) | Side::Downstream(n) => format!("client {n}"),
        Side::Server => "the server".into(),
        Side::Upstream(n) => format!("the server (connection {n})"),
    }
}

/// The count in words: "1 byte", "13 bytes".
fn count(n: u64) -> String {
    crate::view::bytes(n)
}

/// Which part of which messages `range` holds, in words: "all of message 1",
/// "the last 9 bytes of message 1 and the first 2 bytes of message 2".
pub fn parts(stream: &Stream, range: &Range<u64>) -> String {
    let said: Vec<String> = stream
        .messages_in(range)
        .into_iter()
        .map(|(i, whole)| {
            let m = &stream.messages[i];
            let n = i + 1;
            if whole {
                return format!("all of message {n}");
            }
            let from = range.start.max(m.start) - m.start;
            let to = range.end.min(m.end) - m.start;
            let k = to - from;
            let len = m.end - m.start;
            match (from == 0, to == len, k) {
                (true, _, 1) => format!("the first byte of message {n}"),
                (true, _, _) => format!("the first {k} bytes of message {n}"),
                (_, true, 1) => format!("the last byte of message {n}"),
                (_, true, _) => format!("the last {k} bytes of message {n}"),
                (_, _, 1) => format!("byte {} of message {n}", from + 1),
                _ => format!("bytes {}-{to} of message {n}", from + 1),
            }
        })
        .collect();
    said.join(" and ")
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

/// What the event did, as one sentence. `timeline` is the whole run (a read is
/// explained by what the reader does next), `flow` its streams.
pub fn sentence(
    e: &Event,
    timeline: &[Event],
    flow: &Flow,
    reader: ReaderKind,
    clients: usize,
) -> String {
    let subject = who(e.side, clients);
    let span = flow.span_of(e.seq);
    let what_bytes = |bytes: &[u8]| match span {
        Some((stream, span)) => {
            let p = parts(stream, &span.range);
            if p.is_empty() {
                quoted(bytes)
            } else {
                format!("{} ({p})", quoted(bytes))
            }
        }
        None => quoted(bytes),
    };
    let text = match &e.what {
        What::Connect => format!(
            "{subject} connects: connect() returns as soon as the kernel has completed the \
             handshake, whether or not the server has called accept() yet."
        ),
        What::Refused => {
            format!("{subject}'s connect() is refused: the kernel answers with a reset (RST).")
        }
        What::Accept { client } => format!(
            "The server's accept() returns {}'s connection, which was waiting in the listen \
             queue.",
            who(Side::Client(*client), clients)
        ),
        What::Write { bytes, .. } => format!(
            "{subject} calls write() once with {}: {}.",
            count(bytes.len() as u64),
            what_bytes(bytes)
        ),
        What::Read { asked, bytes, .. } => read_sentence(
            e,
            timeline,
            flow,
            reader,
            &subject,
            *asked,
            bytes,
            what_bytes(bytes),
        ),
        What::Eof => format!(
            "{subject}'s read() returns 0: the other side has closed; no more bytes will come."
        ),
        What::Shutdown => format!(
            "{subject} shuts down its writing side: a FIN tells the peer no more bytes will \
             come; it can still read."
        ),
        What::Pause { ms, late: true } => format!(
            "{subject} waits {ms} ms before reading, so separate writes pile up in its \
             receive buffer."
        ),
        What::Pause { ms, late: false } => match e.side {
            Side::Server => format!(
                "The server pauses {ms} ms before its next write: time for the reader to read \
                 what has arrived so far."
            ),
            _ => format!("{subject} pauses {ms} ms."),
        },
        What::Close { unread: 0 } => match (e.side, flow.connection_of(e.seq)) {
            (Side::Server, Some(n)) => format!(
                "The server closes {}'s socket, then goes back to accept().",
                who(Side::Client(n), clients)
            ),
            _ => format!("{subject} closes its socket."),
        },
        What::Close { unread } => format!(
            "{subject} closes its socket with {} it never read: the kernel answers with a \
             reset (RST) instead of a FIN.",
            count(*unread)
        ),
        What::Error { message, .. } => format!("{subject}'s call fails: {message}."),
        What::Cut { after, reset } => format!(
            "The server hangs up after echoing {}, in the middle of a reply, as configured: \
             {}.",
            count(*after),
            if *reset {
                "a reset (RST)"
            } else {
                "a FIN, as if the reply had ended"
            }
        ),
        What::Dropped { idle_ms } => format!(
            "The server drops {subject}: it sent nothing for {} s.",
            *idle_ms as f64 / 1000.0
        ),
        What::Reply {
            round,
            ok: true,
            got,
            ..
        } => format!(
            "Reply {round} is right: the {reader} reader returned exactly the {} that were \
             sent.",
            count(got.len() as u64)
        ),
        What::Reply {
            round,
            ok: false,
            got,
            sent,
        } => format!(
            "Reply {round} is wrong: the {reader} reader returned {} ({}) for {} ({}).",
            quoted(got),
            count(got.len() as u64),
            quoted(sent),
            count(sent.len() as u64)
        ),
        What::Note { text, .. } => format!("{subject}: {text}."),
    };
    capitalized(text)
}

/// A read: what it returned, and what the reader does with it.
#[allow(clippy::too_many_arguments)]
fn read_sentence(
    e: &Event,
    timeline: &[Event],
    flow: &Flow,
    reader: ReaderKind,
    subject: &str,
    asked: usize,
    bytes: &[u8],
    said: String,
) -> String {
    let mut s = format!(
        "{subject}'s read({asked}) returns the {} that have arrived: {said}.",
        count(bytes.len() as u64)
    );
    if let Some((stream, span)) = flow.span_of(e.seq) {
        let writes = stream
            .writes
            .iter()
            .filter(|w| w.range.start < span.range.end && span.range.start < w.range.end)
            .count();
        if writes > 1 {
            s.push_str(&format!(" {writes} separate writes arrive as one read."));
        }
    }
    if let Side::Client(n) = e.side {
        // What the client does next with its own socket: a reply means this
        // read finished one; another read means it is still collecting.
        let next = timeline
            .iter()
            .filter(|x| x.seq > e.seq && x.side == Side::Client(n))
            .find(|x| matches!(x.what, What::Reply { .. } | What::Read { .. } | What::Eof));
        match (reader, next.map(|x| &x.what)) {
            (ReaderKind::Naive, Some(What::Reply { .. })) => s.push_str(
                " The naive client does one read per message and takes them as the whole reply.",
            ),
            (_, Some(What::Reply { round, .. })) => s.push_str(&format!(
                " The {reader} reader now has the whole of reply {round}."
            )),
            (_, Some(What::Read { .. } | What::Eof)) if reader != ReaderKind::Naive => s.push_str(
                &format!(" The {reader} reader does not have a whole reply yet: it reads again."),
            ),
            _ => {}
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::flow::Direction;

    fn stream(messages: Vec<Range<u64>>) -> Stream {
        Stream {
            client: 1,
            direction: Direction::Down,
            writes: Vec::new(),
            reads: Vec::new(),
            messages,
        }
    }

    #[test]
    fn parts_say_which_bytes_of_which_message() {
        let s = stream(vec![0..13, 13..26]);
        assert_eq!(parts(&s, &(0..13)), "all of message 1");
        assert_eq!(parts(&s, &(0..4)), "the first 4 bytes of message 1");
        assert_eq!(parts(&s, &(4..8)), "bytes 5-8 of message 1");
        assert_eq!(
            parts(&s, &(12..14)),
            "the last byte of message 1 and the first byte of message 2"
        );
        assert_eq!(parts(&s, &(0..26)), "all of message 1 and all of message 2");
        assert_eq!(parts(&s, &(30..31)), "");
    }
}
