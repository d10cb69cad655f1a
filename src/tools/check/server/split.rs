//! The split shape of a server check: the plan once per split point (see
//! [`super::points`]), one request split there and the others whole, on
//! several connections side by side when the server serves two at once,
//! within the run limit, and a little past the first failure.

use std::net::TcpStream;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use super::baseline::Baseline;
use super::exchange::{Send, run_plan, run_plan_on};
use super::process::Server;
use super::shaped::{attempt, marked};
use super::wrong::{Wrong, io_wrong};
use super::{ServerCheck, points, shaped};
use crate::lang::Msg;
use crate::tools::check::{Ended, PassedOn, Watch};

/// The split shape: the plan once per split point, one request split there,
/// the others whole; every point of short requests, a chosen set of long
/// ones (see [`points`]), within the run limit. The result, the coverage in
/// words, and the first point that broke it (request and byte, from 1).
pub(super) fn split_sweep(
    server: &mut Server,
    plan: &Baseline,
    config: &ServerCheck,
    flow: &mut PassedOn,
    last_sent: &mut Option<Msg>,
    watch: &dyn Watch,
) -> (Result<(), Wrong>, Msg, Option<(usize, usize)>) {
    let progress = |done, of| watch.points(done, of);
    let started = Instant::now();
    let chosen = match config.at {
        Some((r, k)) => points::Points {
            chosen: vec![(r - 1, k)],
            total: 1,
            seed: None,
        },
        None => points::choose(&config.requests, config.every_point, config.seed),
    };
    let n = chosen.chosen.len();
    let tally = Mutex::new(Tally::default());
    let lock = || tally.lock().unwrap_or_else(|e| e.into_inner());
    let sent = |r: usize, k: usize| {
        Msg::new("srv-sent-split")
            .arg("request", r + 1)
            .arg("at", k)
            .arg("marked", marked(&config.requests[r], k))
    };
    let split = |r: usize, k: usize| {
        move |i: usize| match i == r {
            true => Send::SplitAt(k),
            false => Send::Whole,
        }
    };
    // A server that serves connections side by side has its points tried
    // side by side: the same points, the same verdicts, in a quarter of the
    // time for a server that takes a while per reply.
    if n >= SIDE_BY_SIDE_FROM && shaped::serves_two_at_once(server.addr, plan, config) {
        let next = AtomicUsize::new(0);
        let addr = server.addr;
        let flows = thread::scope(|scope| {
            let workers: Vec<_> = (0..WORKERS)
                .map(|_| {
                    scope.spawn(|| {
                        let mut flow = PassedOn::default();
                        loop {
                            if lock().stop(started, config).is_some() {
                                break;
                            }
                            let i = next.fetch_add(1, Ordering::SeqCst);
                            let Some(&(r, k)) = chosen.chosen.get(i) else {
                                break;
                            };
                            let mut connect = || {
                                TcpStream::connect_timeout(&addr, config.timeout).map_err(io_wrong)
                            };
                            let how = split(r, k);
                            let result = run_plan_on(&mut connect, plan, config, &how, &mut flow);
                            lock().record(i, r, k, result);
                        }
                        flow
                    })
                })
                .collect();
            // The progress, and a server that died, seen from here.
            while !workers.iter().all(|w| w.is_finished()) {
                progress(lock().tried, n);
                // Ended well is a daemon's parent or a server between
                // clients: only another end stops the sweep.
                if server.exited().is_some_and(|e| e != Ended::Exited(0)) {
                    lock().died = true;
                }
                thread::sleep(Duration::from_millis(20));
            }
            workers
                .into_iter()
                .filter_map(|w| w.join().ok())
                .collect::<Vec<PassedOn>>()
        });
        for f in flows {
            flow.writes += f.writes;
            flow.bytes += f.bytes;
            let room = PassedOn::SHOWN.saturating_sub(flow.written.len());
            flow.written.extend(f.written.into_iter().take(room));
        }
    } else {
        for (i, &(r, k)) in chosen.chosen.iter().enumerate() {
            if lock().stop(started, config).is_some() {
                break;
            }
            progress(lock().tried, n);
            *last_sent = Some(sent(r, k));
            let how = split(r, k);
            let run = |s: &mut Server| run_plan(s, plan, config, &how, flow);
            let result = attempt(server, config, run);
            lock().record(i, r, k, result);
            // A server that died: the sweep stops there (one that ended well
            // between connections is started again).
            if server.exited().is_some_and(|e| e != Ended::Exited(0)) {
                break;
            }
        }
    }
    let tally = tally.into_inner().unwrap_or_else(|e| e.into_inner());
    let (tried, failed) = (tally.tried, tally.failed);
    progress(tried, n);
    if let Some((_, r, k, _)) = &tally.first {
        last_sent.get_or_insert_with(|| sent(*r, *k));
    }
    let stopped = tally.stop(started, config);
    let first = tally.first.map(|(_, r, k, w)| (r, k, w));
    let covered = match (chosen.seed, stopped) {
        _ if config.at.is_some() => Msg::new("srv-points-at"),
        (_, Some(why)) if tried < n => why
            .arg("tried", tried)
            .arg("points", chosen.total)
            .arg("secs", config.run_limit.as_secs()),
        (None, _) if chosen.total == tried => {
            Msg::new("srv-points-all").arg("points", chosen.total)
        }
        (seed, _) => Msg::new("srv-points-some")
            .arg("tried", tried)
            .arg("points", chosen.total)
            .arg("seed", seed.unwrap_or(config.seed)),
    };
    match first {
        None => (Ok(()), covered, None),
        Some((r, k, w)) => {
            let reason = Msg::new("srv-split-broke")
                .arg("request", r + 1)
                .arg("at", k)
                .arg("marked", marked(&config.requests[r], k))
                .arg("failed", failed)
                .arg("covered", covered.clone())
                .arg("why", w.reason);
            (
                Err(Wrong {
                    reason,
                    bytes: w.bytes,
                }),
                covered,
                Some((r + 1, k)),
            )
        }
    }
}

/// How much longer the split sweep goes on once a point has broken the
/// server, counting the points that break it.
const AFTER_FAILURE: Duration = Duration::from_secs(2);
/// A sweep of this many points or more is tried side by side, when the
/// server serves connections side by side.
const SIDE_BY_SIDE_FROM: usize = 16;
/// How many points are tried at once then.
const WORKERS: usize = 4;

/// How the split sweep is going: the points tried, those that failed, the
/// first of them (in the order of the points), and why it stops.
#[derive(Default)]
struct Tally {
    tried: usize,
    failed: usize,
    /// The first failing point: its place in the sweep, request, byte.
    first: Option<(usize, usize, usize, Wrong)>,
    broke_at: Option<Instant>,
    died: bool,
}

impl Tally {
    /// One point's result.
    fn record(&mut self, i: usize, r: usize, k: usize, result: Result<(), Wrong>) {
        self.tried += 1;
        if let Err(w) = result {
            self.failed += 1;
            self.broke_at.get_or_insert_with(Instant::now);
            if self.first.as_ref().is_none_or(|f| i < f.0) {
                self.first = Some((i, r, k, w));
            }
        }
    }

    /// Why no more points are tried, if none are: the row obeys the run
    /// limit; once a point has broken the server the verdict is known, and
    /// the sweep goes on a little longer only to count how many more do; a
    /// server that died ends it.
    fn stop(&self, started: Instant, config: &ServerCheck) -> Option<Msg> {
        if started.elapsed() >= config.run_limit {
            return Some(Msg::new("srv-points-limit"));
        }
        if self.died || self.broke_at.is_some_and(|t| t.elapsed() >= AFTER_FAILURE) {
            return Some(Msg::new("srv-points-failed"));
        }
        None
    }
}
