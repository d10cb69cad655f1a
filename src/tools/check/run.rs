//! One run of the client under one shape: a proxy between it and the server,
//! the verdict, whose reads broke, and the command that runs it again; and the
//! split shape's sweep over every split point.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::{
    BOOK_PREFIX, Blame, CheckConfig, CheckError, DEFAULT_MESSAGES, DEFAULT_RUN_LIMIT_SECS,
    DEFAULT_STALL_MS, DEFAULT_TIMEOUT_SECS, Directions, Ended, PATIENCE_STALLS, Run, ShapeName,
    client, describe_shaping, judge, quote, shapes, signal_name,
};
use crate::event::{Event, Side, What};
use crate::lang::Msg;
use crate::tools::proxy::{Proxy, ProxyConfig};
use crate::transport::trace::calls::Call;

/// The split points of a reply of `len` bytes: after each byte but the
/// last, or the first and last 32 of a longer one.
pub(super) fn split_points(len: u64) -> Vec<u64> {
    match len {
        0..=65 => (1..len).collect(),
        _ => (1..=32).chain(len - 32..len).collect(),
    }
}

/// The split shape: the client once per split point, each reply split there;
/// one row, naming the first split point that breaks it.
pub(super) fn sweep(config: &CheckConfig, to: SocketAddr, reply: u64) -> Result<Run, CheckError> {
    let started = Instant::now();
    let points = match config.split_at {
        Some(k) => vec![k],
        None => split_points(reply),
    };
    if points.is_empty() {
        // No reply (a client that never connected or sent nothing), or one
        // of a single byte: the run says which.
        let (mut run, _) = run_once(config, to, ShapeName::Split, 0, 0, Directions::Down)?;
        if run.passed {
            run.reason = Msg::new("chk-sweep-none").arg("n", reply);
        }
        run.reproduce = reproduce(config, ShapeName::Split, 0, 0, Directions::Both);
        return Ok(run);
    }
    let mut failed = 0;
    let mut first: Option<(u64, Run)> = None;
    let mut last = None;
    for &k in &points {
        let (run, _) = run_once(config, to, ShapeName::Split, 0, k, Directions::Down)?;
        if !run.passed {
            failed += 1;
            if first.is_none() {
                first = Some((k, run));
                continue;
            }
        }
        last.get_or_insert(run);
    }
    let (mut run, reason, at) = match first {
        Some((k, run)) => {
            let reason = Msg::new("chk-split-broke")
                .arg("at", k)
                .arg("why", run.reason.clone())
                .arg("failed", failed)
                .arg("points", points.len());
            (run, reason, Some(k))
        }
        None => {
            let run = last.ok_or_else(|| {
                CheckError(format!(
                    "the first reply ({reply} bytes) has no byte to split after"
                ))
            })?;
            (
                run,
                Msg::new("chk-sweep-ok").arg("points", points.len()),
                None,
            )
        }
    };
    run.reason = reason;
    run.blame = (!run.passed).then_some(Blame::Client);
    run.blamed = run.blame.map(|b| blamed(b, config.upstream.is_some()));
    run.millis = started.elapsed().as_millis() as u64;
    run.reproduce = reproduce(
        config,
        ShapeName::Split,
        0,
        at.unwrap_or(0),
        Directions::Both,
    );
    Ok(run)
}

/// The first reply's length on the first connection: every byte the server
/// sent from its first until the client spoke again (or the end). A reply
/// written in parts (an HTTP server's headers, then its body) is one reply:
/// a cut in its middle falls where a client can know it is short.
pub(super) fn first_reply(events: &[Event]) -> u64 {
    let mut reply = 0u64;
    for e in events {
        match (&e.side, &e.what) {
            (Side::Upstream(1), What::Read { bytes, .. }) => reply += bytes.len() as u64,
            (Side::Downstream(1), What::Read { bytes, .. }) if reply > 0 && !bytes.is_empty() => {
                break;
            }
            _ => {}
        }
    }
    reply
}

/// Whose reads a failed run broke. Our echo server reads every byte and
/// echoes what it read, so against it the client's reads are the ones that
/// broke. Against a user's server each direction is shaped alone, once.
pub(super) fn blame(
    config: &CheckConfig,
    to: SocketAddr,
    run: &Run,
    at: u64,
) -> Result<Option<Blame>, CheckError> {
    // A failure that is not the shape's: nothing to blame on a direction.
    if run.shape == ShapeName::Whole || run.blame_free() {
        return Ok(None);
    }
    if config.upstream.is_none() || run.shape.replies_only() {
        return Ok(Some(Blame::Client));
    }
    Ok(Some(match config.direction {
        Directions::Down => Blame::Client,
        Directions::Up => Blame::Server,
        Directions::Both => {
            let seed = run.seed.unwrap_or(0);
            let alone = |direction| -> Result<bool, CheckError> {
                Ok(run_once(config, to, run.shape, seed, at, direction)?
                    .0
                    .passed)
            };
            match (alone(Directions::Down)?, alone(Directions::Up)?) {
                (false, true) => Blame::Client,
                (true, false) => Blame::Server,
                _ => Blame::Both,
            }
        }
    }))
}

/// Whose reads broke, in words.
pub(super) fn blamed(blame: Blame, upstream: bool) -> Msg {
    match (blame, upstream) {
        (Blame::Client, false) => Msg::new("chk-blame-client-ours"),
        (Blame::Client, true) => Msg::new("chk-blame-client"),
        (Blame::Server, _) => Msg::new("chk-blame-server"),
        (Blame::Both, _) => Msg::new("chk-blame-both"),
    }
}

impl Run {
    /// A failure that no shape caused: the client never connected, or sent
    /// nothing.
    fn blame_free(&self) -> bool {
        matches!(
            self.reason.id(),
            "chk-never-connected" | "chk-not-connected-yet" | "chk-sent-nothing"
        )
    }
}

/// The command line that runs one shape (and seed) again.
pub(super) fn reproduce(
    config: &CheckConfig,
    shape: ShapeName,
    seed: u64,
    at: u64,
    direction: Directions,
) -> String {
    let mut words: Vec<String> = vec!["tcp-boundary".into(), "check".into()];
    words.extend(["--shape".into(), shape.name().into()]);
    if shape == ShapeName::Random {
        words.extend(["--seed".into(), seed.to_string()]);
    }
    if shape == ShapeName::Cut {
        words.extend(["--cut-after".into(), at.to_string()]);
    }
    if shape == ShapeName::Split && at > 0 {
        words.extend(["--at".into(), at.to_string()]);
    }
    if shape == ShapeName::Stall && config.stall != Duration::from_millis(DEFAULT_STALL_MS) {
        words.extend(["--stall-ms".into(), config.stall.as_millis().to_string()]);
    }
    if direction != Directions::Both {
        words.extend(["--direction".into(), direction.name().into()]);
    }
    if config.untraced {
        words.push("--untraced".into());
    }
    if config.trace {
        words.push("--trace".into());
    }
    if let Some(addr) = config.upstream {
        words.extend(["--upstream".into(), addr.to_string()]);
    }
    if config.timeout != Duration::from_secs(DEFAULT_TIMEOUT_SECS) {
        let secs = config.timeout.as_secs().max(1).to_string();
        words.extend(["--timeout".into(), secs]);
    }
    if config.run_limit != Duration::from_secs(DEFAULT_RUN_LIMIT_SECS) {
        let secs = config.run_limit.as_secs().max(1).to_string();
        words.extend(["--run-limit".into(), secs]);
    }
    if let Some(lines) = &config.stdin_lines {
        words.push("--stdin-lines".into());
        if lines.messages != DEFAULT_MESSAGES {
            for m in &lines.messages {
                words.extend(["--message".into(), m.clone()]);
            }
        }
        if lines.prefix != BOOK_PREFIX {
            words.extend(["--reply-prefix".into(), lines.prefix.clone()]);
        }
    }
    words.push("--".into());
    words.extend(config.command.iter().cloned());
    quote::line(words.iter().map(String::as_str))
}

/// The last [`Run::SHOWN_CALLS`] socket calls of `calls`, as a timeline
/// (numbered as in the whole). Against our echo server (`echo`), a read
/// that took part of a reply says which: the replies are the client's own
/// writes, echoed, so each write's bytes are one reply's.
fn last_calls(calls: &[Call], proxy: SocketAddr, echo: bool) -> Vec<Event> {
    let mut all = crate::tools::trace::timeline(calls, Some(proxy));
    if echo {
        all = with_replies(all);
    }
    let from = all.len().saturating_sub(Run::SHOWN_CALLS);
    all[from..].to_vec()
}

/// `timeline` with a note after each read that took part of one reply, or
/// parts of several: which reply, and which of its bytes. A reply is one
/// write's bytes, echoed, on the same connection.
fn with_replies(timeline: Vec<Event>) -> Vec<Event> {
    // Each connection's replies: where each starts in the echoed stream.
    let mut starts: Vec<(Side, Vec<u64>, u64)> = Vec::new();
    let mut out: Vec<Event> = Vec::new();
    for e in timeline {
        let i = match starts.iter().position(|(s, _, _)| *s == e.side) {
            Some(i) => i,
            None => {
                starts.push((e.side, Vec::new(), 0));
                starts.len() - 1
            }
        };
        let (_, replies, end) = &mut starts[i];
        let mut note = None;
        match &e.what {
            What::Write { bytes, .. } => {
                replies.push(*end);
                *end += bytes.len() as u64;
            }
            What::Read { at, bytes, .. } => {
                let (from, to) = (*at, *at + bytes.len() as u64);
                // The replies this read's bytes fall in, and the part of each.
                let mut parts = Vec::new();
                for (k, &start) in replies.iter().enumerate() {
                    let stop = replies.get(k + 1).copied().unwrap_or(*end);
                    let (a, b) = (from.max(start), to.min(stop));
                    if a < b {
                        parts.push((k + 1, a - start + 1, b - start, stop - start));
                    }
                }
                // One whole reply needs no note.
                note = match parts.as_slice() {
                    [] => None,
                    [(_, 1, b, n)] if b == n => None,
                    [(k, a, b, n)] => Some(
                        Msg::new("chk-read-part")
                            .arg("reply", *k as u64)
                            .arg("from", *a)
                            .arg("to", *b)
                            .arg("of", *n),
                    ),
                    [(k, ..), ..] => Some(
                        Msg::new("chk-read-across")
                            .arg("reply", *k as u64)
                            .arg("replies", parts.len() as u64),
                    ),
                };
            }
            _ => {}
        }
        let side = e.side;
        out.push(Event {
            seq: out.len() + 1,
            ..e
        });
        if let Some(text) = note {
            out.push(Event {
                seq: out.len() + 1,
                side,
                what: What::Note { text, bad: true },
            });
        }
    }
    out
}

/// One run: a proxy with the shape, the client through it, the verdict.
/// `at`: the byte the cut shape closes after, or the split shape splits
/// after.
pub(super) fn run_once(
    config: &CheckConfig,
    to: SocketAddr,
    shape: ShapeName,
    seed: u64,
    at: u64,
    direction: Directions,
) -> Result<(Run, Vec<Event>), CheckError> {
    let error = |e: io::Error| CheckError(e.to_string());
    let (down, up) = shapes(shape, seed, at, config.stall, direction).map_err(error)?;
    let proxy = Proxy::start(ProxyConfig {
        quiet: false,
        record: true,
        paced_by_reader: true,
        watch_reads: true,
        patience: config.stall * PATIENCE_STALLS,
        ..ProxyConfig::new(to).downstream(down).upstream(up)
    })
    .map_err(error)?;
    let addr = proxy.addr();
    let started = Instant::now();
    let (ended, output, watched) =
        client::run_client(config, addr, &|| proxy.traffic().idle).map_err(error)?;
    // A client that traces (or runs under strace or gdb) was refused what
    // it asked for: not a verdict on its framing, and --untraced runs it.
    if watched.uses_ptrace {
        proxy.stop();
        return Err(CheckError(
            "the client calls ptrace itself (it traces, or runs under strace or gdb), \
             and check traces its client to count the reply bytes it leaves unread: \
             run it with --untraced"
                .into(),
        ));
    }
    let millis = started.elapsed().as_millis() as u64;
    proxy.settle(Duration::from_millis(500));
    // The client has ended: its sockets are closed, measured as it closed
    // them when it ran traced.
    let unread = proxy.unread(Duration::from_millis(200), &watched.let_go);
    let traffic = proxy.traffic();
    let connections = proxy.connections();
    let events = proxy.events();
    proxy.stop();
    let exchange = judge::Exchange {
        connections,
        traffic,
        refused: events
            .iter()
            .any(|e| matches!((e.side, &e.what), (Side::Upstream(_), What::Refused))),
        unread,
    };
    let (passed, reason) = judge::judge(config, shape, &ended, &output.stdout, &exchange);
    let run = Run {
        shape,
        seed: (shape == ShapeName::Random).then_some(seed),
        direction,
        passed,
        blame: None,
        signal: match ended {
            Ended::Signalled(s) => Some(signal_name(s)),
            _ => None,
        },
        ended,
        reason,
        blamed: None,
        shaped: describe_shaping(&events, config.stdin_lines.as_ref()),
        shaping: judge::shaping(&events),
        last_output: judge::last_lines(&output.both, 12),
        millis,
        received: None,
        expected: None,
        reproduce: String::new(),
        calls: Vec::new(),
    };
    // A failing run shows the bytes of the first connection: what the
    // client was delivered, and what the server sent.
    let on = |side: Side, write: bool| -> Vec<u8> {
        let mut bytes = Vec::new();
        for e in events.iter().filter(|e| e.side == side) {
            match (&e.what, write) {
                (What::Write { bytes: b, .. }, true) | (What::Read { bytes: b, .. }, false) => {
                    bytes.extend_from_slice(b);
                }
                _ => {}
            }
            if bytes.len() > Run::SHOWN_BYTES {
                break;
            }
        }
        bytes
    };
    let run = match run.passed {
        true => run,
        false => Run {
            received: Some(Run::shown(&on(Side::Downstream(1), true))),
            expected: Some(Run::shown(&on(Side::Upstream(1), false))),
            // Its last socket calls: the read that took part of a reply.
            calls: last_calls(&watched.calls, addr, config.upstream.is_none()),
            ..run
        },
    };
    Ok((run, events))
}
