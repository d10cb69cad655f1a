//! `check --server`: prove that a server frames its requests.
//!
//! A server that takes one `read()` for one request answers wrongly, or not
//! at all, when a request arrives in two pieces or two requests in one read.
//! Here we are the client: we start the server under test, send it requests
//! whole and one at a time to learn its replies (the baseline), then send the
//! same requests shaped, and every shaped run must get the same replies, byte
//! for byte, in the same order.
//!
//! The replies' framing is the server's protocol, which we do not know: the
//! baseline reads each reply until the server has been quiet for a moment,
//! and the shaped runs then read exactly as many bytes as the baseline got.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::OwnedFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

use super::client::{self, Output};
use super::{
    Blame, CheckError, CheckReport, Direction, Ended, Flow, Run, ShapeName, Shaping, judge, quote,
};
use crate::lang::Msg;
use crate::transport::queue::PeerQueue;

/// The longest a server may take to listen (`--start-timeout`), in seconds.
pub const MAX_START_SECS: u64 = 600;
/// `--start-timeout`'s default, in seconds.
pub const DEFAULT_START_SECS: u64 = 5;
/// The most requests (`--request`, `--requests`).
pub const MAX_REQUESTS: usize = 100;
/// The longest request, in bytes.
pub const MAX_REQUEST: usize = 64 * 1024;
/// The most bytes of all the baseline's replies together: 16 MiB.
pub const MAX_REPLIES: usize = 16 << 20;
/// How long the baseline waits, after the last byte of a reply, before it
/// takes the reply as whole.
const QUIET: Duration = Duration::from_millis(150);
/// The longest a piece waits for the server to read it.
const PIECE_WAIT: Duration = Duration::from_millis(250);
/// What a reply's bytes matched by an ignored pattern are shown as.
const IGNORED: &[u8] = b"<ignored>";

/// What to check and how.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The server: a program and its arguments, `{port}`, `{addr}` and
    /// `{host}` replaced by where it must listen.
    pub command: Vec<String>,
    /// The requests, in order.
    pub requests: Vec<Vec<u8>>,
    /// The runs: each shape with its seed (the random shape's).
    pub runs: Vec<(ShapeName, u64)>,
    /// With the split shape: only this split, (request, byte), from 1.
    pub at: Option<(usize, usize)>,
    /// How long the server may take to listen.
    pub start_timeout: Duration,
    /// How long a reply may take.
    pub timeout: Duration,
    /// Patterns whose matches in a reply may differ from run to run (a date).
    pub ignore: Vec<regex::bytes::Regex>,
}

/// The pattern ignored unless told otherwise: an HTTP or mail `Date:` line.
pub const DEFAULT_IGNORE: &str = r"(?m)^Date: [^\r\n]*";

/// The shapes of a server check, in order: the split sweep first.
pub const SERVER_SHAPES: [ShapeName; 7] = [
    ShapeName::Whole,
    ShapeName::Split,
    ShapeName::OneByte,
    ShapeName::Random,
    ShapeName::Merged,
    ShapeName::Cut,
    ShapeName::Concurrent,
];

/// Every server shape, the random one with seeds `1..=seeds`.
pub fn every_shape(seeds: u64) -> Vec<(ShapeName, u64)> {
    super::with_seeds(&SERVER_SHAPES, seeds)
}

/// A request written on the command line: `\r`, `\n`, `\t`, `\\`, `\0`,
/// `\xHH` and `\u{HHHH}` stand for their bytes (the escapes the timeline
/// shows), everything else for itself.
pub fn unescape_request(text: &str) -> Result<Vec<u8>, String> {
    crate::view::escape::unescape(text.as_bytes()).ok_or_else(|| {
        format!("{text:?}: a backslash must start \\r, \\n, \\t, \\\\, \\0, \\xHH or \\u{{HHHH}}")
    })
}

/// The server under test, running.
struct Server {
    child: Child,
    addr: SocketAddr,
    /// How many times it was started again after it ended well.
    restarts: usize,
    stop: Arc<AtomicBool>,
    output: Option<thread::JoinHandle<Output>>,
}

impl Server {
    /// Start the server on a free loopback port and wait until it accepts.
    fn start(config: &ServerConfig) -> Result<Server, CheckError> {
        let port = TcpListener::bind(("127.0.0.1", 0))
            .and_then(|l| l.local_addr())
            .map_err(|e| CheckError(format!("no free port for the server: {e}")))?
            .port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let (program, args) = config
            .command
            .split_first()
            .ok_or_else(|| CheckError("no server command to check".into()))?;
        let (out_reader, out_writer) = io::pipe().map_err(|e| CheckError(e.to_string()))?;
        let (err_reader, err_writer) = io::pipe().map_err(|e| CheckError(e.to_string()))?;
        let mut command = Command::new(client::substitute(program, addr));
        command
            .args(args.iter().map(|a| client::substitute(a, addr)))
            .env("TCP_BOUNDARY_ADDR", addr.to_string())
            .env("TCP_BOUNDARY_HOST", addr.ip().to_string())
            .env("TCP_BOUNDARY_PORT", port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::from(out_writer))
            .stderr(Stdio::from(err_writer))
            .process_group(0);
        let child = client::spawn_tracked(&mut command)
            .map_err(|e| CheckError(format!("cannot run {program}: {e}")))?;
        drop(command);
        let stop = Arc::new(AtomicBool::new(false));
        let output = client::read_output(
            OwnedFd::from(out_reader),
            OwnedFd::from(err_reader),
            stop.clone(),
        );
        let mut server = Server {
            child,
            addr,
            restarts: 0,
            stop,
            output: Some(output),
        };
        // Listening: a connection is accepted (by the kernel, into the
        // server's queue).
        let deadline = Instant::now() + config.start_timeout;
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(server);
            }
            if let Some(ended) = server.exited() {
                let said = server.said();
                return Err(CheckError(format!(
                    "the server {} before it listened on {addr}{said}",
                    ended_words(&ended)
                )));
            }
            if Instant::now() >= deadline {
                let said = server.said();
                return Err(CheckError(format!(
                    "the server did not listen on {addr} within {} s{said}",
                    config.start_timeout.as_secs()
                )));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// A connection to the server. A server that ended well between
    /// connections (exit status 0: the book's serves five clients, then
    /// stops) is started again, and the connection made to it.
    fn connect(&mut self, config: &ServerConfig) -> Result<TcpStream, Wrong> {
        let refused = |e: io::Error| Wrong {
            reason: Msg::new("srv-io").arg("error", crate::event::describe_io(&e)),
        };
        let first = match TcpStream::connect_timeout(&self.addr, config.timeout) {
            Ok(s) => return Ok(s),
            Err(e) => e,
        };
        let wait_end = Instant::now() + Duration::from_millis(500);
        let mut ended = self.exited();
        while ended.is_none() && Instant::now() < wait_end {
            thread::sleep(Duration::from_millis(10));
            ended = self.exited();
        }
        if ended != Some(Ended::Exited(0)) {
            return Err(refused(first));
        }
        self.end();
        *self = Server::start(config).map_err(|e| Wrong {
            reason: Msg::new("srv-io").arg("error", e.0),
        })?;
        self.restarts += 1;
        TcpStream::connect_timeout(&self.addr, config.timeout).map_err(refused)
    }

    /// How the server ended, if it has.
    fn exited(&mut self) -> Option<Ended> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(match (status.code(), status.signal()) {
                (Some(code), _) => Ended::Exited(code),
                (None, signal) => Ended::Signalled(signal.unwrap_or(0)),
            }),
            _ => None,
        }
    }

    /// Stop it (its whole process group) and take what it printed.
    fn end(&mut self) -> Output {
        // SAFETY: the group the server was started in.
        unsafe {
            libc::killpg(self.child.id() as i32, libc::SIGKILL);
        }
        let _ = self.child.wait();
        client::forget_group();
        let reader = self.output.take();
        let deadline = Instant::now() + Duration::from_millis(300);
        while reader.as_ref().is_some_and(|r| !r.is_finished()) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(5));
        }
        self.stop.store(true, Ordering::SeqCst);
        reader.and_then(|r| r.join().ok()).unwrap_or_default()
    }

    /// `: it printed: …`, the last lines of its output, for an error.
    fn said(&mut self) -> String {
        let output = self.end();
        let lines = judge::last_lines(&output.both, 3);
        match lines.is_empty() {
            true => String::new(),
            false => format!("; it printed: {}", lines.join(" / ")),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.output.is_some() {
            self.end();
        }
    }
}

fn ended_words(ended: &Ended) -> String {
    match ended {
        Ended::Exited(code) => format!("exited with status {code}"),
        Ended::Signalled(s) => format!("was killed by {}", super::signal_name(*s)),
        Ended::Hung | Ended::TooSlow | Ended::Running => "stopped".into(),
    }
}

/// One connection of the baseline: which requests went over it, the reply to
/// each, and whether the server closed it after the last.
#[derive(Debug, Clone)]
struct Conn {
    requests: Vec<usize>,
    replies: Vec<Vec<u8>>,
}

/// Read what arrives until the server has been quiet for `QUIET`, or the
/// end of the stream. The bytes, and whether the stream ended.
fn read_quiet(s: &mut TcpStream, limit: Duration) -> io::Result<(Vec<u8>, bool)> {
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
fn baseline(addr: SocketAddr, config: &ServerConfig) -> Result<Vec<Conn>, CheckError> {
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
fn masked(reply: &[u8], ignore: &[regex::bytes::Regex]) -> Vec<u8> {
    let mut out = reply.to_vec();
    for re in ignore {
        out = re.replace_all(&out, IGNORED).into_owned();
    }
    out
}

/// How one request is written in a run.
#[derive(Debug, Clone, Copy)]
enum Send {
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
fn write_pieces(
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

fn note(flow: &mut Flow, n: usize) {
    flow.writes += 1;
    flow.bytes += n as u64;
    if flow.written.len() < Flow::SHOWN {
        flow.written.push(n);
    }
}

/// Until the server has read `written` bytes of this connection, or a while.
fn wait_read(s: &TcpStream, probe: &mut Option<PeerQueue>, written: u64) {
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
struct Wrong {
    reason: Msg,
}

/// A connection that failed, as what went wrong.
fn io_wrong(e: io::Error) -> Wrong {
    Wrong {
        reason: Msg::new("srv-io").arg("error", crate::event::describe_io(&e)),
    }
}

/// Read exactly as many bytes as `want`, within the timeout.
fn read_reply(s: &mut TcpStream, want: usize, timeout: Duration) -> io::Result<(Vec<u8>, bool)> {
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
fn compare(
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
fn run_plan(
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
fn run_merged(
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
fn run_cut(
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
fn run_concurrent(
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
fn attempt(
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
fn marked(request: &[u8], at: usize) -> String {
    use crate::view::escape::escape;
    format!("{}│{}", escape(&request[..at]), escape(&request[at..]))
}

/// Check the server.
pub fn check_server(config: &ServerConfig) -> Result<CheckReport, CheckError> {
    let program = config
        .command
        .first()
        .ok_or_else(|| CheckError("no server command to check".into()))?;
    client::find_program(program).map_err(|e| CheckError(format!("cannot run {e}")))?;
    if config.requests.is_empty() || config.requests.iter().any(Vec::is_empty) {
        return Err(CheckError("every request needs at least one byte".into()));
    }
    let mut server = Server::start(config)?;
    let plan = baseline(server.addr, config)?;
    let mut runs = Vec::new();
    for &(shape, seed) in &config.runs {
        let started = Instant::now();
        let mut flow = Flow::default();
        let mut sweep = None;
        let mut at = None;
        // What the last request sent was, in words, for a server that dies.
        let mut last_sent: Option<Msg> = None;
        let result = match shape {
            ShapeName::Whole => attempt(&mut server, config, |s| {
                run_plan(s, &plan, config, &|_| Send::Whole, &mut flow)
            }),
            ShapeName::OneByte => attempt(&mut server, config, |s| {
                run_plan(s, &plan, config, &|_| Send::Bytes, &mut flow)
            }),
            ShapeName::Random => attempt(&mut server, config, |s| {
                run_plan(s, &plan, config, &|_| Send::Random(seed), &mut flow)
            }),
            ShapeName::Merged => attempt(&mut server, config, |s| {
                run_merged(s, &plan, config, &mut flow)
            }),
            ShapeName::Cut => {
                let first = &config.requests[plan[0].requests[0]];
                let half = first.len().div_ceil(2);
                last_sent = Some(Msg::new("srv-sent-cut").arg("at", half));
                attempt(&mut server, config, |s| {
                    run_cut(s, &plan, config, &mut flow)
                })
            }
            ShapeName::Concurrent => attempt(&mut server, config, |s| {
                run_concurrent(s, &plan, config, &mut flow)
            }),
            ShapeName::Split => {
                // Every request at every byte, or the one split asked for.
                let points: Vec<(usize, usize)> = match config.at {
                    Some((r, k)) => vec![(r - 1, k)],
                    None => (0..config.requests.len())
                        .flat_map(|r| (1..config.requests[r].len()).map(move |k| (r, k)))
                        .collect(),
                };
                let mut first: Option<(usize, usize, Wrong)> = None;
                let mut failed = 0;
                for &(r, k) in &points {
                    last_sent = Some(
                        Msg::new("srv-sent-split")
                            .arg("request", r + 1)
                            .arg("at", k)
                            .arg("marked", marked(&config.requests[r], k)),
                    );
                    let split = |i: usize| {
                        if i == r {
                            Send::SplitAt(k)
                        } else {
                            Send::Whole
                        }
                    };
                    let run = |s: &mut Server| run_plan(s, &plan, config, &split, &mut flow);
                    if let Err(w) = attempt(&mut server, config, run) {
                        failed += 1;
                        first.get_or_insert((r, k, w));
                    }
                    // A server that died: the sweep stops there (one that
                    // ended well between connections is started again).
                    if server.exited().is_some_and(|e| e != Ended::Exited(0)) {
                        break;
                    }
                }
                sweep = Some(points.len());
                match first {
                    None => Ok(()),
                    Some((r, k, w)) => {
                        // The split that broke it first, for the reproduce
                        // command.
                        at = Some((r + 1, k));
                        Err(Wrong {
                            reason: Msg::new("srv-split-broke")
                                .arg("request", r + 1)
                                .arg("at", k)
                                .arg("marked", marked(&config.requests[r], k))
                                .arg("failed", failed)
                                .arg("points", points.len())
                                .arg("why", w.reason),
                        })
                    }
                }
            }
            _ => continue,
        };
        // A server that died is the failure, whatever the replies said. A
        // run that failed may have met a server on its way out: give it a
        // moment to be seen ending.
        let mut died = server.exited();
        let wait_end = Instant::now() + Duration::from_millis(300);
        while died.is_none() && result.is_err() && Instant::now() < wait_end {
            thread::sleep(Duration::from_millis(10));
            died = server.exited();
        }
        // Ended well after the run's last connection: not a death (the next
        // connection starts it again).
        if result.is_ok() && died == Some(Ended::Exited(0)) {
            died = None;
        }
        let (passed, reason) = match (&died, result) {
            (Some(ended), _) => (
                false,
                match last_sent {
                    Some(sent) => Msg::new("srv-died-after")
                        .arg("how", ended_words(ended))
                        .arg("sent", sent),
                    None => Msg::new("srv-died")
                        .arg("how", ended_words(ended))
                        .arg("shape", shape.name()),
                },
            ),
            (None, Ok(())) => (
                true,
                match sweep {
                    Some(points) => Msg::new("srv-sweep-ok").arg("points", points),
                    None => Msg::new("srv-same-replies"),
                },
            ),
            (None, Err(w)) => (false, w.reason),
        };
        let mut output = Output::default();
        if died.is_some() {
            output = server.end();
            server = Server::start(config)?;
        }
        runs.push(Run {
            shape,
            seed: (shape == ShapeName::Random).then_some(seed),
            direction: Direction::Up,
            passed,
            blame: (!passed).then_some(Blame::Server),
            signal: match died {
                Some(Ended::Signalled(s)) => Some(super::signal_name(s)),
                _ => None,
            },
            ended: died.unwrap_or(Ended::Running),
            reason,
            blamed: (!passed).then(|| Msg::new("chk-blame-server")),
            shaped: Vec::new(),
            shaping: Shaping {
                requests: flow,
                replies: Flow::default(),
            },
            last_output: judge::last_lines(&output.both, 8),
            millis: started.elapsed().as_millis() as u64,
            reproduce: reproduce(config, shape, seed, at),
        });
    }
    server.end();
    Ok(CheckReport::new(
        config.command.clone(),
        Msg::new("srv-against").arg("n", config.requests.len()),
        Direction::Up,
        runs,
    ))
}

/// The command line that runs one shape again.
fn reproduce(
    config: &ServerConfig,
    shape: ShapeName,
    seed: u64,
    at: Option<(usize, usize)>,
) -> String {
    let mut words: Vec<String> = vec!["tcp-boundary".into(), "check".into(), "--server".into()];
    words.extend(["--shape".into(), shape.name().into()]);
    if let Some((r, k)) = at {
        let at = match config.requests.len() {
            1 => k.to_string(),
            _ => format!("{r}:{k}"),
        };
        words.extend(["--at".into(), at]);
    }
    if shape == ShapeName::Random {
        words.extend(["--seed".into(), seed.to_string()]);
    }
    let defaults: Vec<Vec<u8>> = super::DEFAULT_MESSAGES
        .iter()
        .map(|m| format!("{m}\n").into_bytes())
        .collect();
    if config.requests != defaults {
        for r in &config.requests {
            words.extend(["--request".into(), crate::view::escape::escape(r)]);
        }
    }
    if config.start_timeout != Duration::from_secs(DEFAULT_START_SECS) {
        let secs = config.start_timeout.as_secs().to_string();
        words.extend(["--start-timeout".into(), secs]);
    }
    words.push("--".into());
    words.extend(config.command.iter().cloned());
    quote::line(words.iter().map(String::as_str))
}
