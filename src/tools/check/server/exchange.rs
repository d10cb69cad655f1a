//! The exchanges of a server check: the baseline's requests and replies,
//! and each shape's run, requests cut, paced, merged or sent side by side
//! over two connections, with the replies read and compared.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use std::mem::size_of;

use super::process::Server;
use super::{AGAIN_QUIET, IGNORED, MAX_REPLIES, PIECE_WAIT, ServerCheck};
use crate::lang::Msg;
use crate::tools::check::{CheckError, Ended, PassedOn};
use crate::transport::queue::PeerQueue;

/// One connection of the baseline: which requests went over it, the reply to
/// each, and where each reply varied between the two baseline runs.
#[derive(Debug, Clone)]
pub(super) struct Conn {
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
    pub(super) conns: Vec<Conn>,
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

/// What one reply read until a quiet moment was: its bytes, whether the
/// stream ended, and the longest silence between its bytes.
pub(super) struct Quiet {
    pub(super) bytes: Vec<u8>,
    pub(super) ended: bool,
    pub(super) gap: Duration,
    /// From the start of the read to the reply's last byte.
    pub(super) took: Duration,
}

/// Read what arrives until the server has been quiet for `quiet`, or the
/// end of the stream.
pub(super) fn read_quiet(s: &mut TcpStream, limit: Duration, quiet: Duration) -> io::Result<Quiet> {
    let mut got = Quiet {
        bytes: Vec::new(),
        ended: false,
        gap: Duration::ZERO,
        took: Duration::ZERO,
    };
    let mut buf = vec![0u8; 65536];
    let started = Instant::now();
    let mut last = started;
    loop {
        // Before the first byte, as long as a reply may take; after it, a
        // moment of quiet ends the reply.
        let wait = match got.bytes.is_empty() {
            true => limit
                .saturating_sub(started.elapsed())
                .max(Duration::from_millis(1)),
            false => quiet,
        };
        s.set_read_timeout(Some(wait))?;
        match s.read(&mut buf) {
            Ok(0) => {
                got.ended = true;
                return Ok(got);
            }
            Ok(n) => {
                if !got.bytes.is_empty() {
                    got.gap = got.gap.max(last.elapsed());
                }
                last = Instant::now();
                got.took = started.elapsed();
                got.bytes.extend_from_slice(&buf[..n]);
                if got.bytes.len() > MAX_REPLIES {
                    return Err(io::Error::other("the replies passed 16 MiB"));
                }
            }
            Err(e) if crate::event::is_timeout(&e) => return Ok(got),
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => {
                got.ended = true;
                return Ok(got);
            }
            Err(e) => return Err(e),
        }
    }
}

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
        let mut conn = Conn {
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

/// How one request is written in a run.
#[derive(Debug, Clone, Copy)]
pub(super) enum Send {
    Whole,
    /// Split once, after this many bytes.
    SplitAt(usize),
    /// One byte per write.
    Bytes,
    /// Random pieces of 1-8 bytes from this generator's seed.
    Random(u64),
    /// Half, then (once the server has read it) a silence this long, then
    /// the rest.
    Stall(Duration),
}

impl Send {
    /// The sizes of the writes of a request of `len` bytes (request `i`).
    fn sizes(self, len: usize, i: usize) -> Vec<usize> {
        match self {
            Send::Whole => vec![len],
            Send::SplitAt(k) => vec![k, len - k],
            Send::Bytes => vec![1; len],
            Send::Stall(_) => vec![len.div_ceil(2), len / 2],
            Send::Random(seed) => {
                let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_add(i as u64));
                let mut left = len;
                let mut sizes = Vec::new();
                while left > 0 {
                    let n = rng.random_range(1..=8usize).min(left);
                    sizes.push(n);
                    left -= n;
                }
                sizes
            }
        }
    }
}

/// Write `data` in pieces of these sizes, each read by the server before the
/// next is written (or `PIECE_WAIT`); with `hold`, a silence that long after
/// the first piece is read.
pub(super) fn write_pieces(
    s: &mut TcpStream,
    data: &[u8],
    sizes: &[usize],
    hold: Option<Duration>,
    flow: &mut PassedOn,
) -> io::Result<()> {
    let mut probe = PeerQueue::of(s).ok();
    let mut rest = data;
    // What the server received before this request (each earlier one was
    // waited for): the count the pieces add to.
    let mut written = probe
        .as_mut()
        .and_then(|p| p.ask().ok().flatten())
        .and_then(|p| p.received)
        .unwrap_or(0);
    for (k, &n) in sizes.iter().enumerate() {
        let n = n.min(rest.len());
        if n == 0 {
            continue;
        }
        let (piece, tail) = rest.split_at(n);
        s.write_all(piece)?;
        note(flow, n);
        written += n as u64;
        rest = tail;
        // Each piece read alone, the last one too: a next request must not
        // join it in the server's read.
        wait_read(s, &mut probe, written);
        if let Some(hold) = hold.filter(|_| k == 0 && !rest.is_empty()) {
            thread::sleep(hold);
        }
    }
    if !rest.is_empty() {
        s.write_all(rest)?;
        note(flow, rest.len());
        written += rest.len() as u64;
        wait_read(s, &mut probe, written);
    }
    Ok(())
}

pub(super) fn note(flow: &mut PassedOn, n: usize) {
    flow.writes += 1;
    flow.bytes += n as u64;
    if flow.written.len() < PassedOn::SHOWN {
        flow.written.push(n);
    }
}

/// Until the server has read the first `written` bytes of connection `s`,
/// or [`PIECE_WAIT`] (see [`PeerQueue::wait_read`]).
pub(super) fn wait_read(s: &TcpStream, probe: &mut Option<PeerQueue>, written: u64) {
    let Some(p) = probe.as_mut() else {
        // Not a socket the kernel can be asked about: the clock paces.
        thread::sleep(Duration::from_millis(20));
        return;
    };
    // However it ended (read, closed, blocked writing its reply to us, the
    // wait run out, or the kernel not asked): the next step goes on.
    let _ = p.wait_read(s, written, Instant::now() + PIECE_WAIT, &|| false);
}

/// What went wrong in a run: in words, and the reply's bytes when one
/// came wrong (received, expected).
pub(super) struct Wrong {
    pub(super) reason: Msg,
    pub(super) bytes: Option<(Vec<u8>, Vec<u8>)>,
}

impl Wrong {
    pub(super) fn said(reason: Msg) -> Wrong {
        Wrong {
            reason,
            bytes: None,
        }
    }
}

/// A connection that failed, as what went wrong.
pub(super) fn io_wrong(e: io::Error) -> Wrong {
    Wrong::said(Msg::new("srv-io").arg("error", crate::event::describe_io(&e)))
}

/// Acknowledge what arrives at once: a server that writes a reply in parts
/// (Nagle's algorithm holds each part until the last is acknowledged) is not
/// kept waiting by the kernel's delayed acknowledgement.
fn quick_ack(s: &TcpStream) {
    use std::os::fd::AsRawFd;
    let on: libc::c_int = 1;
    // SAFETY: setsockopt with a valid descriptor and an int of its size.
    unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_QUICKACK,
            (&raw const on).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

/// Read exactly as many bytes as `want`, within the timeout.
pub(super) fn read_reply(
    s: &mut TcpStream,
    want: usize,
    timeout: Duration,
) -> io::Result<(Vec<u8>, bool)> {
    let mut got = vec![0u8; want];
    let mut have = 0;
    let deadline = Instant::now() + timeout;
    while have < want {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            got.truncate(have);
            return Ok((got, false));
        }
        s.set_read_timeout(Some(left))?;
        quick_ack(s);
        match s.read(&mut got[have..]) {
            Ok(0) => {
                got.truncate(have);
                return Ok((got, true));
            }
            Ok(n) => have += n,
            Err(e) if crate::event::is_timeout(&e) => {
                got.truncate(have);
                return Ok((got, false));
            }
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => {
                got.truncate(have);
                return Ok((got, true));
            }
            Err(e) => return Err(e),
        }
    }
    Ok((got, false))
}

/// Hold what came against the baseline's reply to request `i`, the bytes
/// that `varies` between runs left out.
pub(super) fn compare(
    got: &[u8],
    ended: bool,
    want: &[u8],
    varies: &[std::ops::Range<usize>],
    i: usize,
    wait: Duration,
    config: &ServerCheck,
) -> Result<(), Wrong> {
    let show = |b: &[u8]| format!("\"{}\"", crate::text::escape::escape_fit(b, 60));
    if got.len() < want.len() {
        let id = match ended {
            true => "srv-closed-mid-reply",
            false => "srv-no-reply",
        };
        return Err(Wrong {
            reason: Msg::new(id)
                .arg("n", i + 1)
                .arg("got", got.len())
                .arg("want", want.len())
                .arg("secs", format!("{:.1}", wait.as_secs_f64())),
            bytes: Some((got.to_vec(), want.to_vec())),
        });
    }
    let blank = |bytes: &[u8]| {
        let mut b = masked(bytes, &config.ignore);
        let len = b.len();
        for r in varies.iter().filter(|r| r.end <= len) {
            b[r.clone()].fill(0);
        }
        b
    };
    if blank(got) != blank(want) {
        return Err(Wrong {
            reason: Msg::new("srv-reply-differs")
                .arg("n", i + 1)
                .arg("got", show(got))
                .arg("want", show(want)),
            bytes: Some((got.to_vec(), want.to_vec())),
        });
    }
    Ok(())
}

/// Read the reply to request `i` of `conn` (its `k`th), waiting at most
/// `wait` for it, and compare it.
fn expect(
    s: &mut TcpStream,
    conn: &Conn,
    k: usize,
    wait: Duration,
    config: &ServerCheck,
) -> Result<(), Wrong> {
    let want = &conn.replies[k];
    let (mut got, ended) = read_reply(s, want.len(), wait).map_err(io_wrong)?;
    let said = |got: &[u8]| {
        compare(
            got,
            ended,
            want,
            &conn.varies[k],
            conn.requests[k],
            wait,
            config,
        )
    };
    let first = said(&got);
    // A part left out by --ignore may be longer this time than in the
    // baseline (a counter past 9): the reply goes on a few bytes more, read
    // one at a time until it matches, so no byte of the next is taken.
    let masks = !conn.varies[k].is_empty() || masked(want, &config.ignore) != *want;
    if first.is_err() && masks && !ended && got.len() == want.len() {
        for _ in 0..MAX_LONGER {
            let (more, end) = read_reply(s, 1, EXTRA_WAIT).map_err(io_wrong)?;
            if more.is_empty() || end {
                break;
            }
            got.extend_from_slice(&more);
            if said(&got).is_ok() {
                return Ok(());
            }
        }
    }
    first
}

/// How many bytes longer than in the baseline a reply whose ignored parts
/// grew may be.
const MAX_LONGER: usize = 64;
/// How long each of those bytes is waited for.
const EXTRA_WAIT: Duration = Duration::from_millis(100);

/// The baseline's connections again, each request sent as `how(i)` says,
/// each reply read and compared.
pub(super) fn run_plan(
    server: &mut Server,
    plan: &Baseline,
    config: &ServerCheck,
    how: &dyn Fn(usize) -> Send,
    flow: &mut PassedOn,
) -> Result<(), Wrong> {
    run_plan_on(&mut || server.connect(config), plan, config, how, flow)
}

/// [`run_plan`], each connection made by `connect`.
pub(super) fn run_plan_on(
    connect: &mut dyn FnMut() -> Result<TcpStream, Wrong>,
    plan: &Baseline,
    config: &ServerCheck,
    how: &dyn Fn(usize) -> Send,
    flow: &mut PassedOn,
) -> Result<(), Wrong> {
    for conn in &plan.conns {
        let mut s = connect()?;
        let _ = s.set_nodelay(true);
        for (k, &i) in conn.requests.iter().enumerate() {
            let request = &config.requests[i];
            let send = how(i);
            let hold = match send {
                Send::Stall(hold) => Some(hold),
                _ => None,
            };
            let sizes = send.sizes(request.len(), i);
            write_pieces(&mut s, request, &sizes, hold, flow).map_err(io_wrong)?;
            expect(&mut s, conn, k, plan.wait, config)?;
        }
    }
    Ok(())
}

/// Whether the server answers a second connection while a first one is
/// open and idle, as a server with a thread (or an event loop) per
/// connection does and an iterative one does not: the first request, whole,
/// on the second connection, its reply awaited a few times as long as the
/// baseline's slowest.
pub(super) fn serves_two_at_once(addr: SocketAddr, plan: &Baseline, config: &ServerCheck) -> bool {
    let conn = &plan.conns[0];
    let request = &config.requests[conn.requests[0]];
    let wait = (plan.slowest * 4).max(Duration::from_millis(50));
    let Ok(_idle) = TcpStream::connect_timeout(&addr, config.timeout) else {
        return false;
    };
    let Ok(mut second) = TcpStream::connect_timeout(&addr, config.timeout) else {
        return false;
    };
    if second.write_all(request).is_err() {
        return false;
    }
    let want = &conn.replies[0];
    match read_reply(&mut second, want.len(), wait) {
        Ok((got, _)) => compare(
            &got,
            false,
            want,
            &conn.varies[0],
            conn.requests[0],
            wait,
            config,
        )
        .is_ok(),
        Err(_) => false,
    }
}

/// Every request of each connection in one write, then every reply.
pub(super) fn run_merged(
    server: &mut Server,
    plan: &Baseline,
    config: &ServerCheck,
    flow: &mut PassedOn,
) -> Result<(), Wrong> {
    for conn in &plan.conns {
        let mut s = server.connect(config)?;
        let all: Vec<u8> = conn
            .requests
            .iter()
            .flat_map(|&i| config.requests[i].clone())
            .collect();
        s.write_all(&all).map_err(io_wrong)?;
        note(flow, all.len());
        for k in 0..conn.requests.len() {
            expect(&mut s, conn, k, plan.wait, config)?;
        }
    }
    Ok(())
}

/// A request cut half way and the connection closed; then the server must
/// still answer the whole plan on new connections.
pub(super) fn run_cut(
    server: &mut Server,
    plan: &Baseline,
    config: &ServerCheck,
    flow: &mut PassedOn,
) -> Result<(), Wrong> {
    let first = &config.requests[plan.conns[0].requests[0]];
    let half = first.len().div_ceil(2).min(first.len());
    {
        let mut s = server.connect(config)?;
        let mut probe = PeerQueue::of(&s).ok();
        s.write_all(&first[..half]).map_err(io_wrong)?;
        note(flow, half);
        // The server has read the half, then learns there is no more: what
        // it does about it (answer, close, or end) is done before the plan
        // runs, on every run alike.
        wait_read(&s, &mut probe, half as u64);
        let _ = s.shutdown(Shutdown::Write);
        let _ = read_quiet(&mut s, PIECE_WAIT * 4, PIECE_WAIT);
    }
    run_plan(server, plan, config, &|_| Send::Whole, flow)
}

/// A second connection opened, and its requests sent, while the first is
/// mid-request (the server has read its first half); the first then
/// finishes and closes; both get their replies.
pub(super) fn run_concurrent(
    server: &mut Server,
    plan: &Baseline,
    config: &ServerCheck,
    flow: &mut PassedOn,
) -> Result<(), Wrong> {
    let conn = &plan.conns[0];
    let i = conn.requests[0];
    let request = &config.requests[i];
    let half = request.len().div_ceil(2).min(request.len());
    let mut first = server.connect(config)?;
    let _ = first.set_nodelay(true);
    let mut probe = PeerQueue::of(&first).ok();
    first.write_all(&request[..half]).map_err(io_wrong)?;
    note(flow, half);
    // Measured, not timed: the second connection's requests go once the
    // server has read the first's half, so one command gives one verdict.
    wait_read(&first, &mut probe, half as u64);
    let mut second = TcpStream::connect_timeout(&server.addr, config.timeout).map_err(io_wrong)?;
    let all: Vec<u8> = conn
        .requests
        .iter()
        .flat_map(|&r| config.requests[r].clone())
        .collect();
    second.write_all(&all).map_err(io_wrong)?;
    note(flow, all.len());
    first.write_all(&request[half..]).map_err(io_wrong)?;
    note(flow, request.len() - half);
    expect(&mut first, conn, 0, plan.wait, config)?;
    drop(first);
    for k in 0..conn.requests.len() {
        expect(&mut second, conn, k, plan.wait, config)?;
    }
    Ok(())
}

/// Run `f`; if it failed because the server ended well meanwhile (exit
/// status 0: it served the clients it serves, and a connection that landed in
/// its listen queue was reset), start the server again and run `f` once more.
/// A server that ends because of what it was sent ends again.
pub(super) fn attempt(
    server: &mut Server,
    config: &ServerCheck,
    mut f: impl FnMut(&mut Server) -> Result<(), Wrong>,
) -> Result<(), Wrong> {
    let first = f(server);
    // Only a lost connection can be a server's end; a wrong reply is wrong.
    match &first {
        Err(w) if w.reason.id() != "srv-reply-differs" => {}
        _ => return first,
    }
    let wait_end = Instant::now() + Duration::from_millis(300);
    let mut ended = server.exited();
    while ended.is_none() && Instant::now() < wait_end {
        thread::sleep(Duration::from_millis(10));
        ended = server.exited();
    }
    if ended != Some(Ended::Exited(0)) {
        return first;
    }
    server.end();
    match Server::start(config) {
        Ok(again) => *server = again,
        Err(_) => return first,
    }
    server.restarts += 1;
    f(server)
}

/// A request with a split point marked: `GET /inde│x.txt`.
pub(super) fn marked(request: &[u8], at: usize) -> String {
    use crate::text::escape::escape;
    // Around the point only: a request of 64 KiB is not spelled out.
    const AROUND: usize = 24;
    let from = at.saturating_sub(AROUND);
    let to = (at + AROUND).min(request.len());
    let (before, after) = (from > 0, to < request.len());
    format!(
        "{}{}│{}{}",
        if before { "…" } else { "" },
        escape(&request[from..at]),
        escape(&request[at..to]),
        if after { "…" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::differing;

    #[test]
    fn bytes_that_vary_are_widened_to_their_word() {
        // A random id whose fourth digit happened to be the same twice: the
        // whole id varies, not two pieces of it.
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
