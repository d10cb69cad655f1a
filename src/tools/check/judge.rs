//! Judging a run: what the client printed or how it exited, against what the
//! shape did to its bytes; and saying what the shape did, in words.

use crate::event::{Event, Side, What};

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
) -> (bool, String) {
    let secs = config.timeout.as_secs_f64();
    if *ended == Ended::Hung {
        return (
            false,
            format!("still running after {secs} s: killed (a hang)"),
        );
    }
    if let Some(lines) = &config.stdin_lines {
        let replies = printed_replies(stdout, &lines.prefix);
        for (i, m) in lines.messages.iter().enumerate() {
            match replies.get(i) {
                Some(r) if r == m.trim_end() => {}
                Some(r) => {
                    return (
                        false,
                        format!("reply {} was {r:?}, not the message {m:?}", i + 1),
                    );
                }
                None if shape.must_fail() => {
                    return (
                        true,
                        format!(
                            "no wrong reply; stopped after reply {i}, as it must when the reply is cut"
                        ),
                    );
                }
                None => return (false, format!("no reply to message {} ({m:?})", i + 1)),
            }
        }
        return match shape.must_fail() {
            true => (false, "printed every reply whole though the reply was cut: impossible unless it invented bytes".into()),
            false => (true, format!("all {} replies right", lines.messages.len())),
        };
    }
    match (ended, shape.must_fail()) {
        (Ended::Exited(0), false) => (true, "exit status 0".into()),
        (Ended::Exited(code), false) => (false, format!("exit status {code} (0 expected)")),
        (Ended::Signalled | Ended::Hung, false) => (false, "killed by a signal".into()),
        (Ended::Exited(0), true) => (
            false,
            "exit status 0 though the reply was cut mid-way: it took part of a reply for the whole"
                .into(),
        ),
        (Ended::Exited(code), true) => (true, format!("exit status {code}: it noticed the cut")),
        (Ended::Signalled | Ended::Hung, true) => (
            true,
            "ended by a signal: it did not take the cut reply".into(),
        ),
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
fn sizes(sizes: &[usize]) -> String {
    const SHOWN: usize = 12;
    let mut s: Vec<String> = sizes.iter().take(SHOWN).map(usize::to_string).collect();
    if sizes.len() > SHOWN {
        s.push(format!("… ({} pieces)", sizes.len()));
    }
    s.join("+")
}

/// What the proxy did to each direction of the first connection, in words;
/// with known messages, how each reply arrived.
pub fn describe_shaping(events: &[Event], lines: Option<&StdinLines>) -> Vec<String> {
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
        out.push(format!(
            "client → server: the client's bytes read as {}, passed on as {}",
            sizes(&client_reads),
            sizes(&server_writes)
        ));
    }
    if !server_reads.is_empty() {
        out.push(format!(
            "server → client: the server's bytes read as {}, passed on as {}",
            sizes(&server_reads),
            sizes(&client_writes)
        ));
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
            out.push(format!(
                "reply {} ({} bytes) reached the client as {} bytes{}",
                i + 1,
                m.len() + 1,
                sizes(&got),
                if left > 0 {
                    ", then the connection ended"
                } else {
                    ""
                }
            ));
        }
    }
    out
}
