//! The baseline of a server check: each request whole, twice, its replies
//! read until the server is quiet, and what varies between the two runs.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use super::quiet::{Quiet, read_quiet};
use super::{AGAIN_QUIET, IGNORED, ServerCheck};
use crate::tools::check::CheckError;

/// One connection of the baseline: which requests went over it, the reply to
/// each, and where each reply varied between the two baseline runs.
#[derive(Debug, Clone)]
pub(super) struct BaselineConn {
    pub(super) requests: Vec<usize>,
    pub(super) replies: Vec<Vec<u8>>,
    /// For each reply, the byte ranges that differed between the two runs
    /// (a session id, a clock): not compared in the shaped runs.
    pub(super) varies: Vec<Vec<std::ops::Range<usize>>>,
}

/// What the baseline learnt: the replies over each connection, and how
/// long a shaped run waits for a reply.
#[derive(Debug, Clone)]
pub(super) struct Baseline {
    pub(super) conns: Vec<BaselineConn>,
    /// [`REPLY_MARGIN`] times the slowest reply of the baseline, at least
    /// [`REPLY_WAIT_LEAST`], at most `--timeout`: a reply that has not come
    /// by then is not coming.
    pub(super) wait: Duration,
    /// The slowest reply of the baseline, from its request to its last byte.
    pub(super) slowest: Duration,
}

/// How many times the baseline's slowest reply a shaped run waits.
const REPLY_MARGIN: u32 = 10;
/// The least a shaped run waits for a reply: a loaded machine's hiccup.
const REPLY_WAIT_LEAST: Duration = Duration::from_secs(1);

/// The baseline: each request whole, one at a time, each reply read until
/// the server has been quiet for `--reply-quiet-ms`; a new connection when the
/// server closed the last. Run twice: the second run reads each reply until
/// a quiet a few times the longest silence the first run saw inside a reply,
/// and the bytes that differ between the two (a session id, a clock) are
/// not held against the shaped runs. A reply whose length changes is no
/// baseline at all.
pub(super) fn baseline(addr: SocketAddr, config: &ServerCheck) -> Result<Baseline, CheckError> {
    let first = baseline_run(addr, config, config.reply_quiet)?;
    if first
        .iter()
        .all(|c| c.replies.iter().all(|r| r.bytes.is_empty()))
    {
        return Err(CheckError(format!(
            "the server at {addr} answered nothing to the requests sent whole: nothing to compare"
        )));
    }
    let gap = first
        .iter()
        .flat_map(|c| c.replies.iter().map(|r| r.gap))
        .max()
        .unwrap_or_default();
    let slowest = first
        .iter()
        .flat_map(|c| c.replies.iter().map(|r| r.took))
        .max()
        .unwrap_or_default();
    let wait = (slowest * REPLY_MARGIN)
        .max(REPLY_WAIT_LEAST)
        .min(config.timeout.max(REPLY_WAIT_LEAST));
    let second = baseline_run(addr, config, (gap * 3).max(AGAIN_QUIET))?;
    let mut conns = Vec::new();
    for (a, b) in first.iter().zip(&second) {
        let mut conn = BaselineConn {
            requests: a.requests.clone(),
            replies: Vec::new(),
            varies: Vec::new(),
        };
        for (k, ra) in a.replies.iter().enumerate() {
            let rb = b.replies.get(k).map_or(&[][..], |r| &r.bytes[..]);
            let (x, y) = (
                masked(&ra.bytes, &config.ignore),
                masked(rb, &config.ignore),
            );
            if x.len() != y.len() {
                return Err(CheckError(format!(
                    "reply {} to the same request sent whole was {} bytes, then {}: a reply whose length varies cannot be compared (--ignore REGEX for the part that varies)",
                    a.requests[k] + 1,
                    x.len(),
                    y.len()
                )));
            }
            conn.varies.push(differing(&x, &y));
            conn.replies.push(ra.bytes.clone());
        }
        conns.push(conn);
    }
    Ok(Baseline {
        conns,
        wait,
        slowest,
    })
}

/// One connection of a baseline run, its replies as read.
struct RunConn {
    requests: Vec<usize>,
    replies: Vec<Quiet>,
}

fn baseline_run(
    addr: SocketAddr,
    config: &ServerCheck,
    quiet: Duration,
) -> Result<Vec<RunConn>, CheckError> {
    let err = |e: io::Error| CheckError(format!("the unshaped requests to {addr}: {e}"));
    let mut conns: Vec<RunConn> = Vec::new();
    let mut open: Option<TcpStream> = None;
    for (i, request) in config.requests.iter().enumerate() {
        let stream = match open.as_mut() {
            Some(s) => s,
            None => {
                conns.push(RunConn {
                    requests: Vec::new(),
                    replies: Vec::new(),
                });
                open.insert(TcpStream::connect_timeout(&addr, config.timeout).map_err(err)?)
            }
        };
        stream.write_all(request).map_err(err)?;
        let reply = read_quiet(stream, config.timeout, quiet).map_err(err)?;
        let ended = reply.ended;
        let conn = conns.last_mut().expect("a connection was pushed");
        conn.requests.push(i);
        conn.replies.push(reply);
        if ended {
            open = None;
        }
    }
    Ok(conns)
}

/// The ranges where two replies of the same length differ, each widened to
/// the whole word (letters and digits) around it: a random id's digit that
/// happened to be the same in both runs will not be the next time.
pub(super) fn differing(a: &[u8], b: &[u8]) -> Vec<std::ops::Range<usize>> {
    let len = a.len().min(b.len());
    let word = |i: usize| a[i].is_ascii_alphanumeric() && b[i].is_ascii_alphanumeric();
    let mut ranges: Vec<std::ops::Range<usize>> = Vec::new();
    for i in (0..len).filter(|&i| a[i] != b[i]) {
        let (mut from, mut to) = (i, i + 1);
        while from > 0 && word(from - 1) && word(i) {
            from -= 1;
        }
        while to < len && word(to) && word(i) {
            to += 1;
        }
        match ranges.last_mut() {
            Some(r) if r.end >= from => r.end = r.end.max(to),
            _ => ranges.push(from..to),
        }
    }
    ranges
}

/// A reply with the ignored parts made equal.
pub(super) fn masked(reply: &[u8], ignore: &[regex::bytes::Regex]) -> Vec<u8> {
    let mut out = reply.to_vec();
    for re in ignore {
        out = re.replace_all(&out, IGNORED).into_owned();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::differing;

    #[test]
    fn bytes_that_vary_are_widened_to_their_word() {
        // A random id whose fourth digit happened to be the same twice: the
        // whole id varies, not two parts of it.
        let a = b"id=3fa7c0 hello\n";
        let b = b"id=91a8d2 hello\n";
        assert_eq!(differing(a, b), vec![3..9]);
        // Two words apart stay apart; punctuation is not widened over.
        assert_eq!(differing(b"t=1 n=2;", b"t=5 n=7;"), vec![2..3, 6..7]);
        assert!(differing(b"same", b"same").is_empty());
        // A byte that is not a letter or a digit is its own range.
        assert_eq!(differing(b"a-b", b"a+b"), vec![1..2]);
    }
}
