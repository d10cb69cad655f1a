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
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::event::{ErrorKind, Event, Side, What};
use crate::lang::{Lang, Msg};
use crate::lesson::book_c::{self, BookProgram};
use crate::lesson::server::ServerConfig;
use crate::tools::check::Ended;
use crate::tools::command::{against, find_program};
use crate::tools::group::ProgramGroup;
use crate::tr;
use crate::transport::net::SocketOptions;
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
    /// Trace the book's own client instead of `command`: `book/echo_client.c`
    /// compiled (see [`crate::lesson::book_c`]), run as `echo_client HOST
    /// PORT`.
    pub book_client: bool,
    /// Our echo server, as it serves the program.
    pub server: ServerConfig,
    /// The server's socket options (its buffers, TCP_NODELAY).
    pub socket: SocketOptions,
    /// The longest the program may run: then it is ended.
    pub limit: Duration,
    /// The address the server listens on (its port chosen).
    pub bind: std::net::IpAddr,
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
    /// `trace` was interrupted (Ctrl-C, SIGTERM) and ended the program.
    pub interrupted: bool,
    /// Its socket calls, as a timeline: `client` N is its N-th connection.
    pub events: Vec<Event>,
    /// The program was the book's own client.
    #[serde(skip)]
    pub book_client: bool,
}

impl TraceReport {
    /// The command as it ran, for a reader: its placeholders filled in, and
    /// the book's client by its name rather than its place in the cache.
    pub fn command_line(&self) -> String {
        let (host, port) = (self.server.ip().to_string(), self.server.port().to_string());
        let ran: Vec<String> = self
            .command
            .iter()
            .enumerate()
            .map(|(i, word)| match (i, self.book_client) {
                (0, true) => BookProgram::Client.name().to_string(),
                _ => word
                    .replace("{addr}", &self.server.to_string())
                    .replace("{host}", &host)
                    .replace("{port}", &port),
            })
            .collect();
        super::check::quote::line(ran.iter().map(String::as_str))
    }
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
    let given = match config.book_client {
        true => {
            let built =
                book_c::build(BookProgram::Client).map_err(|e| TraceError(e.to_string()))?;
            let path = built.to_string_lossy().into_owned();
            vec![path, "{host}".into(), "{port}".into()]
        }
        false => config.command.clone(),
    };
    let program = given
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
    let (listener, _) =
        crate::transport::net::listen(SocketAddr::new(config.bind, 0), 128, &config.socket)
            .map_err(error)?;
    let server = start_server(listener, config.server.clone()).map_err(error)?;
    let addr = server.addr;
    let mut command = against(&given, addr).map_err(error)?;
    command.stdout(Stdio::from(
        std::os::fd::AsFd::as_fd(&io::stderr())
            .try_clone_to_owned()
            .map_err(error)?,
    ));
    let traced = PROGRAM
        .track(|| Traced::spawn_recording(command), Traced::id)
        .map_err(|e| TraceError(format!("cannot run {program}: {e}")))?;
    // Until every process of the program has ended (a child that goes on
    // with its socket is watched to its end), or its limit.
    let started = Instant::now();
    let mut limited = false;
    while !traced.finished() {
        if started.elapsed() >= config.limit && !limited {
            limited = true;
            traced.end_group();
        }
        // Ended at its limit: its processes are gone within moments.
        if limited && started.elapsed() >= config.limit + Duration::from_secs(2) {
            break;
        }
        thread::sleep(Duration::from_millis(5));
    }
    PROGRAM.forget();
    // Whatever it left running in its group ends with it.
    traced.end_group();
    drop(server);
    if traced.uses_ptrace() {
        return Err(TraceError(
            "the program calls ptrace itself (it traces, or runs under strace or gdb), \
             and a traced program cannot"
                .into(),
        ));
    }
    let ended = match (limited, traced.try_wait()) {
        (true, _) => Ended::TooSlow,
        (false, Some(status)) => match (status.code(), status.signal()) {
            (Some(code), _) => Ended::Exited(code),
            (None, signal) => Ended::Signalled(signal.unwrap_or(0)),
        },
        (false, None) => Ended::Running,
    };
    Ok(TraceReport {
        schema: SCHEMA,
        command: given,
        server: addr,
        ended,
        interrupted: INTERRUPTED.load(Ordering::SeqCst),
        events: timeline(&traced.calls(), Some(addr)),
        book_client: config.book_client,
    })
}

/// The program being traced, for [`end_program`].
static PROGRAM: ProgramGroup = ProgramGroup::new();
/// [`end_program`] was called.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// End the program being traced, and every process it started: for a
/// Ctrl-C or SIGTERM to `trace` (from the handler's thread), so that what
/// it did is still shown.
pub fn end_program() {
    INTERRUPTED.store(true, Ordering::SeqCst);
    PROGRAM.end();
}

/// Our echo server on a thread, serving every connection of the program.
fn start_server(
    listener: TcpListener,
    config: ServerConfig,
) -> io::Result<crate::tools::spawned::Running> {
    crate::tools::spawned::spawn(listener, config)
}

/// A traced program's socket calls as a timeline: each connection to
/// `server` (all of them without one) a client of its own, numbered as they
/// first appear (a connect that failed is one never made), each read and
/// write placed in its connection's stream (`at`: the bytes before it that
/// way). What a row cannot say is said by a note beside it: a peek, a
/// shutdown of the read side, bytes moved by `sendfile` or `splice`, a call
/// the program was still in when it ended, a close made by the process's
/// end, bytes not kept.
pub fn timeline(calls: &[Call], server: Option<SocketAddr>) -> Vec<Event> {
    /// A connection's ends (none for a connect that failed), and the bytes
    /// read and written on it so far.
    type Connection = (Option<(SocketAddr, SocketAddr)>, u64, u64);
    let mut connections: Vec<Connection> = Vec::new();
    let mut events: Vec<Event> = Vec::new();
    for call in calls {
        // A non-blocking read or write that found nothing to do: not a
        // step of the exchange.
        if call.result == Err(libc::EAGAIN) && call.returned {
            continue;
        }
        // Only the program's connections to the server (a socket of its
        // own, a listener's, is another story).
        let ours = match (server, call.ends) {
            (Some(server), Some((_, peer))) => peer == server,
            // Ends unknown: a connect that failed is one of its tries; any
            // other call is on a socket that never reached the server.
            (Some(_), None) => call.verb == Verb::Connect,
            (None, _) => true,
        };
        if !ours {
            continue;
        }
        let known = call
            .ends
            .and_then(|ends| connections.iter().position(|(c, _, _)| *c == Some(ends)));
        let n = known.unwrap_or_else(|| {
            connections.push((call.ends, 0, 0));
            connections.len() - 1
        });
        let side = Side::Client(n + 1);
        let mut push = |what: What| {
            events.push(Event {
                seq: events.len() + 1,
                side,
                what,
            })
        };
        let note = |text: Msg| What::Note { text, bad: false };
        let bytes = |n: usize| Msg::new("bytes").arg("n", n as u64);
        let (_, read, written) = &mut connections[n];
        let moved = call.result.unwrap_or(0);
        if !call.returned {
            let asked = match call.verb {
                Verb::Read { asked, .. } | Verb::Write { asked } => asked,
                _ => 0,
            };
            push(note(
                Msg::new("trace-waiting")
                    .arg("call", call.name)
                    .arg("asked", asked as u64),
            ));
            continue;
        }
        let what = match (call.verb, call.result) {
            (Verb::Connect, Ok(_) | Err(libc::EINPROGRESS)) => What::Connect,
            (Verb::Connect, Err(libc::ECONNREFUSED)) => What::Refused,
            (Verb::Read { .. }, Ok(0)) => What::Eof,
            (Verb::Read { peek: true, .. }, Ok(_)) => note(
                Msg::new("trace-peek")
                    .arg("n", bytes(moved))
                    .arg("bytes", crate::text::escape::escape_fit(&call.bytes, 40)),
            ),
            (Verb::Read { thrown: true, .. }, Ok(_)) => {
                *read += moved as u64;
                note(Msg::new("trace-thrown").arg("n", bytes(moved)))
            }
            (Verb::Read { asked, queued, .. }, Ok(_)) => {
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
            (Verb::Moved { to_socket }, Ok(_)) => {
                let count = if to_socket { written } else { read };
                *count += moved as u64;
                note(
                    Msg::new("trace-moved")
                        .arg("call", call.name)
                        .arg("n", bytes(moved)),
                )
            }
            (Verb::Shutdown { how: libc::SHUT_RD }, Ok(_)) => note(Msg::new("trace-shut-read")),
            (Verb::Shutdown { .. }, Ok(_)) => What::Shutdown,
            // A server's own calls: not on a connection to our server.
            (Verb::Bind { .. } | Verb::Listen { .. } | Verb::Accept, Ok(_)) => continue,
            (Verb::Close { unread }, _) => {
                if call.name == "exit" {
                    push(note(Msg::new("trace-closed-at-exit")));
                }
                What::Close {
                    unread: unread as u64,
                }
            }
            (_, Err(e)) => {
                let error = io::Error::from_raw_os_error(e);
                What::Error {
                    error: ErrorKind::of(&error),
                    message: crate::event::describe_io(&error),
                    call: Some(call.name),
                }
            }
        };
        let carries = matches!(what, What::Read { .. } | What::Write { .. });
        push(what);
        if carries && call.bytes.len() < moved {
            push(note(
                Msg::new("trace-not-kept")
                    .arg("n", bytes(moved))
                    .arg("kept", bytes(call.bytes.len())),
            ));
        }
    }
    events
}

/// The report on a console: what ran against what, its calls as the
/// timeline (the program on the left), and how it ended.
pub fn text(report: &TraceReport, layout: Layout, out: &mut dyn Write) -> io::Result<()> {
    let lang = layout.lang;
    let command = report.command_line();
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
    writeln!(out, "{}", ended(report, lang))
}

/// The report as a page for a browser: its calls stepped through as a
/// scenario's are (see [`crate::view::page::trace_page`]).
pub fn page(report: &TraceReport, lang: Lang) -> String {
    let command = report.command_line();
    let about = [tr!(lang, "trace-against", addr = report.server.to_string())];
    let ended = ended(report, lang);
    let run = crate::view::page::TracedPage {
        command: &command,
        about: &about,
        events: &report.events,
        book_client: report.book_client,
        ended: &ended,
    };
    crate::view::page::trace_page(&run, lang)
}

/// How the program ended, in words.
fn ended(report: &TraceReport, lang: Lang) -> String {
    match &report.ended {
        _ if report.interrupted => tr!(lang, "trace-interrupted"),
        Ended::Exited(code) => tr!(lang, "trace-exited", code = *code),
        Ended::Signalled(s) => {
            tr!(
                lang,
                "trace-signalled",
                signal = crate::tools::check::signal_name(*s)
            )
        }
        _ => tr!(lang, "trace-limit"),
    }
}

/// The report as JSON.
pub fn json(report: &TraceReport, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}
