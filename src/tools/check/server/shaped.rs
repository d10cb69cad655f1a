//! The shaped runs of a server check that are more than a plan's requests
//! in chunks: requests merged into one write, a request cut short, two
//! connections side by side, and a run that restarts a server that died.

use std::io::Write;
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use super::baseline::Baseline;
use super::exchange::{Send, compare, expect, note, read_reply, run_plan, wait_read};
use super::process::Server;
use super::quiet::read_quiet;
use super::wrong::{Wrong, io_wrong};
use super::{CHUNK_WAIT, ServerCheck};
use crate::tools::check::{Ended, PassedOn};
use crate::transport::queue::PeerQueue;

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
        let _ = read_quiet(&mut s, CHUNK_WAIT * 4, CHUNK_WAIT);
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
