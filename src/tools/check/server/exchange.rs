//! The exchanges of a server check: a request written in chunks, each read
//! by the server before the next, and each reply read until the server is
//! quiet, then compared with the baseline's (see [`super::baseline`]); the
//! plan's requests run over its connections. The runs that are more than
//! that are in [`super::shaped`].

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use std::mem::size_of;

use super::baseline::{Baseline, BaselineConn, masked};
use super::process::Server;
use super::wrong::{Wrong, io_wrong};
use super::{CHUNK_WAIT, ServerCheck};
use crate::lang::Msg;
use crate::tools::check::PassedOn;
use crate::transport::queue::{PeerQueue, WhileWriting};
/// How one request is written in a run.
#[derive(Debug, Clone, Copy)]
pub(super) enum Send {
    Whole,
    /// Split once, after this many bytes.
    SplitAt(usize),
    /// One byte per write.
    Bytes,
    /// Random chunks of 1-8 bytes from this generator's seed.
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

/// Write `data` in chunks of these sizes, each read by the server before the
/// next is written (or `CHUNK_WAIT`); with `hold`, a silence that long after
/// the first chunk is read.
pub(super) fn write_chunks(
    s: &mut TcpStream,
    data: &[u8],
    sizes: &[usize],
    hold: Option<Duration>,
    flow: &mut PassedOn,
) -> io::Result<()> {
    let mut probe = PeerQueue::of(s).ok();
    let mut rest = data;
    // What the server received before this request (each earlier one was
    // waited for): the count the chunks add to.
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
        let (chunk, tail) = rest.split_at(n);
        s.write_all(chunk)?;
        note(flow, n);
        written += n as u64;
        rest = tail;
        // Each chunk read alone, the last one too: a next request must not
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
/// or [`CHUNK_WAIT`] (see [`PeerQueue::wait_read`]).
pub(super) fn wait_read(s: &TcpStream, probe: &mut Option<PeerQueue>, written: u64) {
    let Some(p) = probe.as_mut() else {
        // Not a socket the kernel can be asked about: the clock paces.
        thread::sleep(Duration::from_millis(20));
        return;
    };
    // Bytes in its send queue (a reply not yet acknowledged, or one it is
    // blocked writing) are no sign that it has read this chunk: waited on,
    // or the next chunk could join this one in its read, and a server that
    // takes one read for one request would pass where it fails. Read,
    // closed, the wait run out, or the kernel not asked: the next step goes
    // on.
    let end = Instant::now() + CHUNK_WAIT;
    let _ = p.wait_read(s, written, end, WhileWriting::WaitOn, &|| false);
}

/// Acknowledge what arrives at once: a server that writes a reply in parts
/// (Nagle's algorithm holds each part until the last is acknowledged) is not
/// kept waiting by the kernel's delayed acknowledgement.
pub(super) fn quick_ack(s: &TcpStream) {
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
pub(super) fn expect(
    s: &mut TcpStream,
    conn: &BaselineConn,
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
            write_chunks(&mut s, request, &sizes, hold, flow).map_err(io_wrong)?;
            expect(&mut s, conn, k, plan.wait, config)?;
        }
    }
    Ok(())
}
