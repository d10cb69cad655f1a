//! `tcp-boundary trace`: anyone's program, its socket calls shown as the
//! timeline. "Watch my program's reads."
//!
//! The program runs against our echo server on a loopback port (its `{addr}`,
//! `{host}` and `{port}` filled in, the server shaped by the usual
//! switches), traced with its socket calls recorded (see
//! [`crate::transport::trace`]): each read says how much it asked for, how
//! much waited in its socket's queue just before (measured), and what it
//! got; each write what it gave and what the call took. The calls become the
//! same typed events a scenario's run records ([`Event`]), so the terminal
//! timeline and the JSON show them as they show a scenario's.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener};
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::thread;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::event::{ErrorKind, Event, Side, What};
use crate::lang::Msg;
use crate::lesson::server::ServerConfig;
use crate::shape::SocketOptions;
use crate::tools::check::Ended;
use crate::tools::command::{against, find_program};
use crate::tr;
use crate::transport::trace::calls::{Call, Verb};
use crate::transport::trace::{self, Traced};
use crate::view::timeline::{Layout, render};

/// The longest a traced program may run (`--limit`), in seconds.
pub const MAX_LIMIT_SECS: u64 = 3600;
/// `--limit`'s default, in seconds.
pub const DEFAULT_LIMIT_SECS: u64 = 60;
/// The layout of [`TraceReport`] as JSON.
pub const SCHEMA: u32 = 1;

/// What to trace, against what.
#[derive(Debug, Clone)]
pub struct TraceConfig {
    /// The program and its arguments, placeholders not yet filled in.
    pub command: Vec<String>,
    /// Our echo server, as it serves the program.
    pub server: ServerConfig,
    /// The server's socket options (its buffers, TCP_NODELAY).
    pub socket: SocketOptions,
    /// The longest the program may run: then it is ended.
    pub limit: Duration,
}

/// What the program did.
#[derive(Debug, Clone, Serialize)]
pub struct TraceReport {
    /// [`SCHEMA`].
    pub schema: u32,
    /// The command as given.
    pub command: Vec<String>,
    /// Where our echo server listened.
    pub server: SocketAddr,
    /// How the program ended.
    #[serde(flatten)]
    pub ended: Ended,
    /// Its socket calls, as a timeline: `client` N is its N-th connection.
    pub events: Vec<Event>,
}

/// Why a trace could not be made: exit code 3, not a report.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TraceError(pub String);

/// Run the program traced until it ends (or its limit), and say what its
/// sockets did. Its standard input is ours (an interactive client can be
/// typed to), its output goes to our standard error, so that standard
/// output carries only the report.
pub fn trace(config: &TraceConfig) -> Result<TraceReport, TraceError> {
    let error = |e: io::Error| TraceError(e.to_string());
    let program = config
        .command
        .first()
        .ok_or_else(|| TraceError("no command to trace".into()))?;
    find_program(program).map_err(|e| TraceError(format!("cannot run {e}")))?;
    if !trace::allowed() {
        return Err(TraceError(
            "this machine does not let a program be traced here (ptrace or seccomp \
             forbidden, or a kernel before 5.6)"
                .into(),
        ));
    }
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let (listener, _) =
        crate::transport::net::listen(loopback, 128, &config.socket).map_err(error)?;
    let server = start_server(listener, config.server.clone()).map_err(error)?;
    let addr = server.addr;
    let mut command = against(&config.command, addr).map_err(error)?;
    command.stdout(Stdio::from(
        std::os::fd::AsFd::as_fd(&io::stderr())
            .try_clone_to_owned()
            .map_err(error)?,
    ));
    let traced = Traced::spawn_recording(command)
        .map_err(|e| TraceError(format!("cannot run {program}: {e}")))?;
    let started = Instant::now();
    let ended = loop {
        if let Some(status) = traced.try_wait() {
            break match (status.code(), status.signal()) {
                (Some(code), _) => Ended::Exited(code),
                (None, signal) => Ended::Signalled(signal.unwrap_or(0)),
            };
        }
        if started.elapsed() >= config.limit {
            // SAFETY: killpg of the program's own group.
            unsafe {
                libc::killpg(traced.id() as i32, libc::SIGKILL);
            }
            break Ended::TooSlow;
        }
        thread::sleep(Duration::from_millis(5));
    };
    // Whatever it left running in its group ends with it.
    // SAFETY: killpg of the program's own group; one already gone is an
    // error we ignore.
    unsafe {
        libc::killpg(traced.id() as i32, libc::SIGKILL);
    }
    drop(server);
    Ok(TraceReport {
        schema: SCHEMA,
        command: config.command.clone(),
        server: addr,
        ended,
        events: timeline(&traced.calls()),
    })
}

/// Our echo server on a thread, serving every connection of the program.
fn start_server(
    listener: TcpListener,
    config: ServerConfig,
) -> io::Result<crate::tools::spawned::Running> {
    crate::tools::spawned::spawn(listener, config)
}

/// A traced program's socket calls as a timeline: each connection a client
/// of its own (numbered as they first appear; a connect that failed is one
/// never made), each read and write placed in its connection's stream
/// (`at`: the bytes before it that way). A call longer than the bytes kept
/// of it is followed by a note that says how long it was.
pub fn timeline(calls: &[Call]) -> Vec<Event> {
    /// A connection's ends (none for a connect that failed), and the bytes
    /// read and written on it so far.
    type Connection = (Option<(SocketAddr, SocketAddr)>, u64, u64);
    let mut connections: Vec<Connection> = Vec::new();
    let mut events = Vec::new();
    for call in calls {
        // A non-blocking read or write that found nothing to do: not a
        // step of the exchange.
        if call.result == Err(libc::EAGAIN) {
            continue;
        }
        let known = call
            .ends
            .and_then(|ends| connections.iter().position(|(c, _, _)| *c == Some(ends)));
        let n = known.unwrap_or_else(|| {
            connections.push((call.ends, 0, 0));
            connections.len() - 1
        });
        let (_, read, written) = &mut connections[n];
        let moved = call.result.unwrap_or(0);
        let what = match (call.verb, call.result) {
            (Verb::Connect, Ok(_) | Err(libc::EINPROGRESS)) => What::Connect,
            (Verb::Connect, Err(libc::ECONNREFUSED)) => What::Refused,
            (Verb::Read { .. }, Ok(0)) => What::Eof,
            (Verb::Read { asked, queued }, Ok(_)) => {
                let at = *read;
                *read += moved as u64;
                What::Read {
                    asked,
                    at,
                    queued,
                    bytes: call.bytes.clone(),
                }
            }
            (Verb::Write { .. }, Ok(_)) => {
                let at = *written;
                *written += moved as u64;
                What::Write {
                    at,
                    bytes: call.bytes.clone(),
                }
            }
            (Verb::Shutdown, Ok(_)) => What::Shutdown,
            (Verb::Close { unread }, _) => What::Close {
                unread: unread as u64,
            },
            (_, Err(e)) => {
                let error = io::Error::from_raw_os_error(e);
                What::Error {
                    error: ErrorKind::of(&error),
                    message: crate::event::describe_io(&error),
                    call: Some(call.name),
                }
            }
        };
        let side = Side::Client(n + 1);
        events.push(Event {
            seq: events.len() + 1,
            side,
            what,
        });
        if call.bytes.len() < moved && !matches!(call.verb, Verb::Close { .. }) {
            let text = Msg::new("trace-not-kept")
                .arg("n", Msg::new("bytes").arg("n", moved as u64))
                .arg("kept", Msg::new("bytes").arg("n", call.bytes.len() as u64));
            events.push(Event {
                seq: events.len() + 1,
                side,
                what: What::Note { text, bad: false },
            });
        }
    }
    events
}

/// The report on a console: what ran against what, its calls as the
/// timeline (the program on the left), and how it ended.
pub fn text(report: &TraceReport, layout: Layout, out: &mut dyn Write) -> io::Result<()> {
    let lang = layout.lang;
    let command = super::check::quote::line(report.command.iter().map(String::as_str));
    writeln!(out, "{}", tr!(lang, "trace-tracing", command = command))?;
    let against = tr!(lang, "trace-against", addr = report.server.to_string());
    writeln!(out, "{against}")?;
    writeln!(out)?;
    if report.events.is_empty() {
        writeln!(out, "{}", tr!(lang, "trace-no-calls"))?;
    } else {
        render(&report.events, layout, out)?;
    }
    writeln!(out)?;
    let ended = match &report.ended {
        Ended::Exited(code) => tr!(lang, "trace-exited", code = *code),
        Ended::Signalled(s) => {
            tr!(
                lang,
                "trace-signalled",
                signal = crate::tools::check::signal_name(*s)
            )
        }
        _ => tr!(lang, "trace-limit"),
    };
    writeln!(out, "{ended}")
}

/// The report as JSON.
pub fn json(report: &TraceReport, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}
