//! The exchanges of a server check: the baseline's requests and replies,
//! and each shape's run, requests cut, paced, merged or sent side by side
//! over two connections, with the replies read and compared.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

use super::process::Server;
use super::{IGNORED, MAX_REPLIES, PIECE_WAIT, QUIET, ServerConfig};
use crate::lang::Msg;
use crate::tools::check::{CheckError, Ended, Flow};
use crate::transport::queue::PeerQueue;

/// One connection of the baseline: which requests went over it, the reply to
/// each, and whether the server closed it after the last.
#[derive(Debug, Clone)]
pub(super) struct Conn {
    pub(super) requests: Vec<usize>,
    pub(super) replies: Vec<Vec<u8>>,
}

/// Read what arrives until the server has been quiet for `QUIET`, or the
/// end of the stream. The bytes, and whether the stream ended.
pub(super) fn read_quiet(s: &mut TcpStream, limit: Duration) -> io::Result<(Vec<u8>, bool)> {
    let mut got = Vec::new();
    let mut buf = [0u8; 65536];
    let started = Instant::now();
    loop {
        // Before the first byte, as long as a reply may take; after it, a
        // moment of quiet ends the reply.
        let wait = match got.is_empty() {
            true => limit
                .saturating_sub(started.elapsed())
                .max(Duration::from_millis(1)),
            false => QUIET,
        };
        s.set_read_timeout(Some(wait))?;
        match s.read(&mut buf) {
            Ok(0) => return Ok((got, true)),
            Ok(n) => {
                got.extend_from_slice(&buf[..n]);
                if got.len() > MAX_REPLIES {
                    return Err(io::Error::other("the replies passed 16 MiB"));
                }
            }
            Err(e) if crate::event::is_timeout(&e) => return Ok((got, false)),
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return Ok((got, true)),
            Err(e) => return Err(e),
        }
    }
}

/// The baseline: each request whole, one at a time, each reply read until
/// the server is quiet; a new connection when the server closed the last.
pub(super) fn baseline(addr: SocketAddr, config: &ServerConfig) -> Result<Vec<Conn>, CheckError> {
    let err = |e: io::Error| CheckError(format!("the unshaped requests to {addr}: {e}"));
    let mut conns: Vec<Conn> = Vec::new();
    let mut open: Option<TcpStream> = None;
    for (i, request) in config.requests.iter().enumerate() {
        let stream = match open.as_mut() {
            Some(s) => s,
            None => {
                conns.push(Conn {
                    requests: Vec::new(),
                    replies: Vec::new(),
                });
                open.insert(TcpStream::connect_timeout(&addr, config.timeout).map_err(err)?)
            }
        };
        stream.write_all(request).map_err(err)?;
        let (reply, ended) = read_quiet(stream, config.timeout).map_err(err)?;
        let conn = conns.last_mut().expect("a connection was pushed");
        conn.requests.push(i);
        conn.replies.push(reply);
        if ended {
            open = None;
        }
    }
    if conns.iter().all(|c| c.replies.iter().all(Vec::is_empty)) {
        return Err(CheckError(format!(
            "the server at {addr} answered nothing to the requests sent whole: nothing to compare"
        )));
    }
    Ok(conns)
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
}

/// Write `data` in pieces of these sizes, each read by the server before the
/// next is written (or `PIECE_WAIT`).
pub(super) fn write_pieces(
    s: &mut TcpStream,
    data: &[u8],
    sizes: &[usize],
    flow: &mut Flow,
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
    for &n in sizes {
        let n = n.clamp(1, rest.len().max(1)).min(rest.len());
        if n == 0 {
            break;
        }
        let (piece, tail) = rest.split_at(n);
        s.write_all(piece)?;
        note(flow, n);
        written += n as u64;
        rest = tail;
        // Each piece read alone, the last one too: a next request must not
        // join it in the server's read.
        wait_read(s, &mut probe, written);
    }
    if !rest.is_empty() {
        s.write_all(rest)?;
        note(flow, rest.len());
        written += rest.len() as u64;
        wait_read(s, &mut probe, written);
    }
    Ok(())
}

pub(super) fn note(flow: &mut Flow, n: usize) {
    flow.writes += 1;
    flow.bytes += n as u64;
    if flow.written.len() < Flow::SHOWN {
        flow.written.push(n);
    }
}

/// Until the server has read `written` bytes of this connection, or a while.
pub(super) fn wait_read(s: &TcpStream, probe: &mut Option<PeerQueue>, written: u64) {
    let end = Instant::now() + PIECE_WAIT;
    let Some(p) = probe.as_mut() else {
        thread::sleep(Duration::from_millis(20));
        return;
    };
    let _ = s;
    let mut nap = Duration::from_micros(20);
    while Instant::now() < end {
        match p.ask() {
            Ok(Some(peer)) if peer.received.is_some_and(|r| r >= written) && peer.unread == 0 => {
                return;
            }
            Ok(Some(_)) => {}
            _ => {
                thread::sleep(Duration::from_millis(20));
                return;
            }
        }
        thread::sleep(nap);
        nap = (nap * 2).min(Duration::from_millis(1));
    }
}

/// What went wrong in a run.
pub(super) struct Wrong {
    pub(super) reason: Msg,
}

/// A connection that failed, as what went wrong.
pub(super) fn io_wrong(e: io::Error) -> Wrong {
    Wrong {
        reason: Msg::new("srv-io").arg("error", crate::event::describe_io(&e)),
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

/// Hold what came against the baseline's reply to request `i`.
pub(super) fn compare(
    got: &[u8],
    ended: bool,
    want: &[u8],
    i: usize,
    config: &ServerConfig,
) -> Result<(), Wrong> {
    let show = |b: &[u8]| format!("\"{}\"", crate::view::escape::escape_fit(b, 60));
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
                .arg("secs", config.timeout.as_secs()),
        });
    }
    if masked(got, &config.ignore) != masked(want, &config.ignore) {
        return Err(Wrong {
            reason: Msg::new("srv-reply-differs")
                .arg("n", i + 1)
                .arg("got", show(got))
                .arg("want", show(want)),
        });
    }
    Ok(())
}

/// The baseline's connections again, each request sent as `how(i)` says,
/// each reply read and compared.
pub(super) fn run_plan(
    server: &mut Server,
    plan: &[Conn],
    config: &ServerConfig,
    how: &dyn Fn(usize) -> Send,
    flow: &mut Flow,
) -> Result<(), Wrong> {
    for conn in plan {
        let mut s = server.connect(config)?;
        let _ = s.set_nodelay(true);
        for (&i, want) in conn.requests.iter().zip(&conn.replies) {
            let request = &config.requests[i];
            let sizes: Vec<usize> = match how(i) {
                Send::Whole => vec![request.len()],
                Send::SplitAt(k) => vec![k, request.len() - k],
                Send::Bytes => vec![1; request.len()],
                Send::Random(seed) => {
                    let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_add(i as u64));
                    let mut left = request.len();
                    let mut sizes = Vec::new();
                    while left > 0 {
                        let n = rng.random_range(1..=8usize).min(left);
                        sizes.push(n);
                        left -= n;
                    }
                    sizes
                }
            };
            write_pieces(&mut s, request, &sizes, flow).map_err(io_wrong)?;
            let (got, ended) = read_reply(&mut s, want.len(), config.timeout).map_err(io_wrong)?;
            compare(&got, ended, want, i, config)?;
        }
    }
    Ok(())
}

/// Every request of each connection in one write, then every reply.
pub(super) fn run_merged(
    server: &mut Server,
    plan: &[Conn],
    config: &ServerConfig,
    flow: &mut Flow,
) -> Result<(), Wrong> {
    for conn in plan {
        let mut s = server.connect(config)?;
        let all: Vec<u8> = conn
            .requests
            .iter()
            .flat_map(|&i| config.requests[i].clone())
            .collect();
        s.write_all(&all).map_err(io_wrong)?;
        note(flow, all.len());
        for (&i, want) in conn.requests.iter().zip(&conn.replies) {
            let (got, ended) = read_reply(&mut s, want.len(), config.timeout).map_err(io_wrong)?;
            compare(&got, ended, want, i, config)?;
        }
    }
    Ok(())
}

/// A request cut half way and the connection closed; then the server must
/// still answer the whole plan on new connections.
pub(super) fn run_cut(
    server: &mut Server,
    plan: &[Conn],
    config: &ServerConfig,
    flow: &mut Flow,
) -> Result<(), Wrong> {
    let first = &config.requests[plan[0].requests[0]];
    let half = first.len().div_ceil(2).min(first.len());
    {
        let mut s = server.connect(config)?;
        s.write_all(&first[..half]).map_err(io_wrong)?;
        note(flow, half);
        let _ = s.shutdown(Shutdown::Both);
    }
    thread::sleep(Duration::from_millis(50));
    run_plan(server, plan, config, &|_| Send::Whole, flow)
}

/// A second connection opened, and its requests sent, while the first is
/// mid-request; the first then finishes and closes; both get their replies.
pub(super) fn run_concurrent(
    server: &mut Server,
    plan: &[Conn],
    config: &ServerConfig,
    flow: &mut Flow,
) -> Result<(), Wrong> {
    let conn = &plan[0];
    let (i, want) = (conn.requests[0], &conn.replies[0]);
    let request = &config.requests[i];
    let half = request.len().div_ceil(2).min(request.len());
    let mut first = server.connect(config)?;
    first.write_all(&request[..half]).map_err(io_wrong)?;
    note(flow, half);
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
    let (got, ended) = read_reply(&mut first, want.len(), config.timeout).map_err(io_wrong)?;
    compare(&got, ended, want, i, config)?;
    drop(first);
    for (&r, want) in conn.requests.iter().zip(&conn.replies) {
        let (got, ended) = read_reply(&mut second, want.len(), config.timeout).map_err(io_wrong)?;
        compare(&got, ended, want, r, config)?;
    }
    Ok(())
}

/// Run `f`; if it failed because the server ended well meanwhile (exit
/// status 0: it served the clients it serves, and a connection that landed in
/// its listen queue was reset), start the server again and run `f` once more.
/// A server that ends because of what it was sent ends again.
pub(super) fn attempt(
    server: &mut Server,
    config: &ServerConfig,
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
    use crate::view::escape::escape;
    format!("{}│{}", escape(&request[..at]), escape(&request[at..]))
}
