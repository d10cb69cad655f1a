//! Judging a run: what the client printed or how it exited, against what the
//! shape did to its bytes; and saying what the shape did, in words.

use crate::event::{Event, Side, What};
use crate::lang::{Arg, Msg};

use super::{CheckConfig, Ended, ShapeName, StdinLines};

/// The replies a book-style client printed: after each `prefix`, the rest of
/// the line (or up to the next prefix), trailing spaces dropped. A client that
/// shows bytes escaped (as tcp-boundary's `echo-client` does) prints the
/// reply's newline as `\n`: that is the end of the line too.
pub fn printed_replies(stdout: &[u8], prefix: &str) -> Vec<String> {
    // A terminal turns each newline into CR LF.
    let text = String::from_utf8_lossy(stdout).replace("\r\n", "\n");
    text.split(prefix)
        .skip(1)
        .map(|after| {
            let line = after.split('\n').next().unwrap_or("").trim_end();
            line.strip_suffix("\\n").unwrap_or(line).to_string()
        })
        .collect()
}

/// Whether the run is as it must be under `shape`, and why.
pub(super) fn judge(
    config: &CheckConfig,
    shape: ShapeName,
    ended: &Ended,
    stdout: &[u8],
) -> (bool, Msg) {
    if *ended == Ended::Hung {
        let secs = config.timeout.as_secs_f64().to_string();
        return (false, Msg::new("chk-hung").arg("secs", secs));
    }
    if let Some(lines) = &config.stdin_lines {
        let replies = printed_replies(stdout, &lines.prefix);
        for (i, m) in lines.messages.iter().enumerate() {
            match replies.get(i) {
                Some(r) if r == m.trim_end() => {}
                Some(r) => {
                    let wrong = Msg::new("chk-reply-wrong")
                        .arg("n", i + 1)
                        .arg("got", format!("{r:?}"))
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
    match (ended, shape.must_fail()) {
        (Ended::Exited(0), false) => (true, Msg::new("chk-exit-ok")),
        (Ended::Exited(code), false) => (false, Msg::new("chk-exit-bad").arg("code", *code)),
        (Ended::Signalled | Ended::Hung, false) => (false, Msg::new("chk-signalled")),
        (Ended::Exited(0), true) => (false, Msg::new("chk-exit-ok-cut")),
        (Ended::Exited(code), true) => (true, Msg::new("chk-exit-noticed").arg("code", *code)),
        (Ended::Signalled | Ended::Hung, true) => (true, Msg::new("chk-signalled-cut")),
    }
}

/// The last `n` lines of some output.
pub(super) fn last_lines(bytes: &[u8], n: usize) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes).replace("\r\n", "\n");
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|l| crate::view::escape::escape_fit(l.as_bytes(), 100))
        .collect()
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
    // With the messages known, each reply's pieces as the client was sent them.
    if let Some(lines) = lines {
        let mut pieces = client_writes.iter().copied();
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
                let Some(p) = pieces.next() else { break };
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
