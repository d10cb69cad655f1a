//! Judging a run: what the client printed or how it exited, against what the
//! shape did to its bytes; and saying what the shape did, in words.

use crate::event::{Event, Side, What};
use crate::lang::{Arg, Msg};

use super::output::Pipe;
use super::{CheckConfig, Ended, PassedOn, ShapeName, Shaping, StdinLines};
use crate::tools::proxy::Traffic;

/// The replies a book-style client printed, as bytes: after each `prefix`,
/// the rest of the line (or up to the next prefix). A terminal ends each
/// line with CR LF; the CR is dropped, nothing else is.
pub fn printed_replies(stdout: &[u8], prefix: &str) -> Vec<Vec<u8>> {
    let prefix = prefix.as_bytes();
    let mut starts = Vec::new();
    let mut at = 0;
    while let Some(i) = find(&stdout[at..], prefix) {
        starts.push(at + i + prefix.len());
        at += i + prefix.len().max(1);
    }
    starts
        .iter()
        .enumerate()
        .map(|(k, &from)| {
            // Up to the next prefix, the end of the line, or the end.
            let next = starts
                .get(k + 1)
                .map_or(stdout.len(), |&n| n - prefix.len());
            let part = &stdout[from..next];
            let line = part.split(|&b| b == b'\n').next().unwrap_or(b"");
            line.strip_suffix(b"\r").unwrap_or(line).to_vec()
        })
        .collect()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Whether a printed reply is `message`: the bytes themselves (a client in
/// C prints what it received, the message's newline ending the line), or
/// the bytes shown escaped as `echo-client` shows them (`\t`, `\\`, the
/// newline as `\n`).
pub fn reply_is(printed: &[u8], message: &str) -> bool {
    let m = message.as_bytes();
    if printed == m {
        return true;
    }
    match crate::text::escape::unescape(printed) {
        Some(bytes) => bytes == m || bytes.strip_suffix(b"\n") == Some(m),
        None => false,
    }
}

/// What moved in a run, for the verdict: a client must connect and send.
#[derive(Debug, Clone, Copy)]
pub(super) struct Exchange {
    /// Connections the proxy accepted.
    pub connections: usize,
    /// The bytes it moved.
    pub traffic: Traffic,
    /// The server refused the proxy's connection (an upstream that stopped
    /// serving).
    pub refused: bool,
    /// Bytes of the replies the client never read when it ended: held by
    /// the proxy, or written to it after it had closed.
    pub unread: u64,
}

/// Whether the run is as it must be under `shape`, and why. A client is
/// judged by what it was delivered, not only by what it said: one that ended
/// with bytes of its replies unread took a part of a reply for the whole,
/// whatever its exit status or its printed lines.
pub(super) fn judge(
    config: &CheckConfig,
    shape: ShapeName,
    ended: &Ended,
    stdout: &[u8],
    exchange: &Exchange,
) -> (bool, Msg) {
    let (passed, reason) = said(config, shape, ended, stdout, exchange);
    // Under the cut the proxy holds the rest of the reply by design.
    if passed && !shape.must_fail() && exchange.unread > 0 {
        let unread = Msg::new("chk-unread")
            .arg("n", exchange.unread)
            .arg("of", exchange.traffic.from_server);
        return (false, unread);
    }
    (passed, reason)
}

/// The verdict on what the client said: its exit status, or the replies
/// it printed.
fn said(
    config: &CheckConfig,
    shape: ShapeName,
    ended: &Ended,
    stdout: &[u8],
    exchange: &Exchange,
) -> (bool, Msg) {
    // No exchange, no verdict on framing: in every shape, a failure.
    if exchange.refused {
        return (false, Msg::new("chk-upstream-refused"));
    }
    let secs = |d: std::time::Duration| d.as_secs_f64().to_string();
    if exchange.connections == 0 {
        // Still busy (or stuck) when the timeout ended it, or ended
        // without connecting.
        let never = match ended {
            Ended::Hung => Msg::new("chk-not-connected-yet").arg("secs", secs(config.timeout)),
            _ => Msg::new("chk-never-connected"),
        };
        return (false, never);
    }
    if exchange.traffic.from_client == 0 {
        return (false, Msg::new("chk-sent-nothing"));
    }
    match ended {
        Ended::Hung => {
            let (up, down) = exchange.traffic.undelivered();
            let hung = Msg::new("chk-hung").arg("secs", secs(config.timeout));
            return (false, pending(hung, up, down));
        }
        Ended::TooSlow => {
            let (up, down) = exchange.traffic.undelivered();
            let slow = Msg::new("chk-too-slow").arg("secs", secs(config.run_limit));
            return (false, pending(slow, up, down));
        }
        _ => {}
    }
    if let Some(lines) = &config.stdin_lines {
        let replies = printed_replies(stdout, &lines.prefix);
        for (i, m) in lines.messages.iter().enumerate() {
            match replies.get(i) {
                Some(r) if reply_is(r, m) => {}
                Some(r) => {
                    let wrong = Msg::new("chk-reply-wrong")
                        .arg("n", i + 1)
                        .arg("got", format!("\"{}\"", crate::text::escape::escape(r)))
                        .arg("want", format!("{m:?}"));
                    return (false, wrong);
                }
                None if shape.must_fail() => {
                    return (true, Msg::new("chk-stopped-at-cut").arg("n", i));
                }
                None => {
                    let none = Msg::new("chk-no-reply")
                        .arg("n", i + 1)
                        .arg("want", format!("{m:?}"));
                    return (false, none);
                }
            }
        }
        return match shape.must_fail() {
            true => (false, Msg::new("chk-invented")),
            false => (
                true,
                Msg::new("chk-all-replies").arg("n", lines.messages.len()),
            ),
        };
    }
    let signal = |s: i32| super::signal_name(s);
    match (ended, shape.must_fail()) {
        (Ended::Exited(0), false) => (true, Msg::new("chk-exit-ok")),
        (Ended::Exited(code), false) => (false, Msg::new("chk-exit-bad").arg("code", *code)),
        (Ended::Signalled(s), false) => {
            (false, Msg::new("chk-signalled").arg("signal", signal(*s)))
        }
        (Ended::Exited(0), true) => (false, Msg::new("chk-exit-ok-cut")),
        (Ended::Exited(code), true) => (true, Msg::new("chk-exit-noticed").arg("code", *code)),
        (Ended::Signalled(s), true) => (
            true,
            Msg::new("chk-signalled-cut").arg("signal", signal(*s)),
        ),
        (Ended::Hung | Ended::TooSlow | Ended::Running, _) => {
            unreachable!("a client's run ends with its exit")
        }
    }
}

/// A hang or a slow run, with the bytes the proxy still held.
fn pending(said: Msg, up: u64, down: u64) -> Msg {
    said.arg("up", Msg::new("bytes").arg("n", up))
        .arg("down", Msg::new("bytes").arg("n", down))
}

/// The last `n` lines of a client's output, both streams in the order they
/// came, error lines marked.
pub(super) fn last_lines(both: &[(Pipe, Vec<u8>)], n: usize) -> Vec<String> {
    // Each stream's unfinished line is its own: output switching streams
    // mid-line does not join them, nor leave an empty line between them.
    let mut lines: Vec<(Pipe, Vec<u8>)> = Vec::new();
    let mut open: [Option<usize>; 2] = [None, None];
    for (stream, bytes) in both {
        let slot = match stream {
            Pipe::Out => 0,
            Pipe::Err => 1,
        };
        for (k, chunk) in bytes.split(|&b| b == b'\n').enumerate() {
            if k > 0 {
                // A newline ended the line before this chunk.
                open[slot] = None;
            }
            if chunk.is_empty() {
                continue;
            }
            match open[slot] {
                Some(i) => lines[i].1.extend_from_slice(chunk),
                None => {
                    open[slot] = Some(lines.len());
                    lines.push((*stream, chunk.to_vec()));
                }
            }
        }
    }
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|(stream, l)| {
            // A terminal turns each newline into CR LF.
            let l = l.strip_suffix(b"\r").unwrap_or(l);
            let shown = crate::text::escape::escape_fit(l, 100);
            match stream {
                Pipe::Out => shown,
                Pipe::Err => format!("(stderr) {shown}"),
            }
        })
        .collect()
}

/// What the proxy did to each direction of the first connection, as data.
pub(super) fn shaping(events: &[Event]) -> Shaping {
    let flow = |from: Side, to: Side| {
        let mut f = PassedOn::default();
        for e in events {
            match &e.what {
                What::Read { bytes, .. } if e.side == from => {
                    f.reads += 1;
                    if f.read.len() < PassedOn::SHOWN {
                        f.read.push(bytes.len());
                    }
                }
                What::Write { bytes, .. } if e.side == to => {
                    f.writes += 1;
                    f.bytes += bytes.len() as u64;
                    if f.written.len() < PassedOn::SHOWN {
                        f.written.push(bytes.len());
                    }
                }
                _ => {}
            }
        }
        f
    };
    Shaping {
        requests: flow(Side::Downstream(1), Side::Upstream(1)),
        replies: flow(Side::Upstream(1), Side::Downstream(1)),
    }
}

/// Sizes joined as `4+4+4+1`, the first few only.
fn sizes(sizes: &[usize]) -> Arg {
    const SHOWN: usize = 12;
    let shown: Vec<String> = sizes.iter().take(SHOWN).map(usize::to_string).collect();
    let joined = shown.join("+");
    match sizes.len() > SHOWN {
        true => Msg::new("chk-sizes-more")
            .arg("sizes", joined)
            .arg("n", sizes.len())
            .into(),
        false => Arg::Text(joined),
    }
}

/// What the proxy did to each direction of the first connection, in words;
/// with known messages, how each reply arrived.
pub fn describe_shaping(events: &[Event], lines: Option<&StdinLines>) -> Vec<Msg> {
    let of = |side: Side, write: bool| -> Vec<usize> {
        events
            .iter()
            .filter(|e| e.side == side)
            .filter_map(|e| match (&e.what, write) {
                (What::Write { bytes, .. }, true) | (What::Read { bytes, .. }, false) => {
                    Some(bytes.len())
                }
                _ => None,
            })
            .collect()
    };
    let mut out = Vec::new();
    let (client_reads, server_writes) =
        (of(Side::Downstream(1), false), of(Side::Upstream(1), true));
    let (server_reads, client_writes) =
        (of(Side::Upstream(1), false), of(Side::Downstream(1), true));
    if !client_reads.is_empty() {
        out.push(
            Msg::new("chk-shaped-up")
                .arg("read", sizes(&client_reads))
                .arg("written", sizes(&server_writes)),
        );
    }
    if !server_reads.is_empty() {
        out.push(
            Msg::new("chk-shaped-down")
                .arg("read", sizes(&server_reads))
                .arg("written", sizes(&client_writes)),
        );
    }
    // With the messages known, each reply's chunks as the client was sent them.
    if let Some(lines) = lines {
        let mut chunks = client_writes.iter().copied();
        let mut carry = 0usize;
        for (i, m) in lines.messages.iter().enumerate().take(3) {
            let mut left = m.len() + 1;
            let mut got = Vec::new();
            if carry > 0 {
                let take = carry.min(left);
                got.push(take);
                left -= take;
                carry -= take;
            }
            while left > 0 {
                let Some(p) = chunks.next() else { break };
                let take = p.min(left);
                got.push(take);
                left -= take;
                carry = p - take;
            }
            if got.is_empty() {
                break;
            }
            let id = match left > 0 {
                true => "chk-shaped-reply-ended",
                false => "chk-shaped-reply",
            };
            out.push(
                Msg::new(id)
                    .arg("n", i + 1)
                    .arg("size", m.len() + 1)
                    .arg("sizes", sizes(&got)),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests;
