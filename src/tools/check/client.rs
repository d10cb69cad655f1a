//! Running the client under test: its command with the proxy's address put
//! in, in a process group of its own (so that it ends whole, children
//! included), its output kept (the tail of it, in the order it was written),
//! a terminal for its output when it is a book-style client, and the limits
//! of a run: no progress for `timeout`, or a run longer than `run_limit`.
//!
//! A process that leaves its group (`setsid`, a daemon's double fork) is not
//! ended by its group's end: [`super::sweep`] ends those.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use super::output::{Output, read_output};
use super::sweep::end_descendants;
use super::{CheckConfig, Ended};
use crate::tools::command::against;
use crate::tools::group::ProgramGroup;
use crate::transport::trace::calls::Call;
use crate::transport::trace::{self, LetGo, Traced, end_group};

/// The client (or server under test) running now, for [`end_client`].
static RUNNING: ProgramGroup = ProgramGroup::new();

/// End the client that is running now, and every process it started: for a
/// Ctrl-C or SIGTERM to `check` (called from the handler's thread, not from
/// the signal itself).
pub fn end_client() {
    RUNNING.end();
    // And what it detached from its group, a server under test's daemon
    // included. Not reaped: the client's own process belongs to the thread
    // that waits for it, and we are about to exit.
    end_descendants(false);
}

/// The server under test that is running now (its pid; 0: none). While one
/// runs, the end of a client run leaves the processes under us alone: the
/// server's detached children could not be told from the client's.
static LIVE_SERVER: AtomicI32 = AtomicI32::new(0);

/// The server under test `pid` is running.
pub(super) fn server_started(pid: u32) {
    LIVE_SERVER.store(pid as i32, Ordering::SeqCst);
}

/// The server under test `pid` has ended.
pub(super) fn server_ended(pid: u32) {
    let _ = LIVE_SERVER.compare_exchange(pid as i32, 0, Ordering::SeqCst, Ordering::SeqCst);
}

/// If `check` itself is killed (SIGKILL, SIGQUIT: nothing it can catch),
/// the kernel ends the program `command` starts.
fn die_with_us(command: &mut Command) {
    // SAFETY: prctl is async-signal-safe, as pre_exec requires.
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
}

/// The client's process: traced when the machine allows it, so that what
/// it leaves unread in its sockets when it lets go of them is measured (see
/// [`crate::transport::trace`]); a plain child where it does not.
pub(super) enum ClientProcess {
    Traced(Traced),
    Plain(Child),
}

impl ClientProcess {
    pub(super) fn id(&self) -> u32 {
        match self {
            ClientProcess::Traced(t) => t.id(),
            ClientProcess::Plain(c) => c.id(),
        }
    }

    pub(super) fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        match self {
            ClientProcess::Traced(t) => Ok(t.try_wait()),
            ClientProcess::Plain(c) => c.try_wait(),
        }
    }

    /// Wait for a client just killed to be gone (a traced one is reaped by
    /// its tracer: waited for at most a second).
    pub(super) fn reap(&mut self) {
        match self {
            ClientProcess::Traced(t) => {
                let deadline = Instant::now() + Duration::from_secs(1);
                while t.try_wait().is_none() && Instant::now() < deadline {
                    thread::sleep(Duration::from_millis(1));
                }
            }
            ClientProcess::Plain(c) => {
                let _ = c.wait();
            }
        }
    }

    /// What the tracer saw (nothing when untraced).
    pub(super) fn watched(&self) -> Watched {
        match self {
            ClientProcess::Traced(t) => Watched {
                let_go: t.let_go(),
                uses_ptrace: t.uses_ptrace(),
                calls: t.calls(),
            },
            ClientProcess::Plain(_) => Watched::default(),
        }
    }
}

/// Start the client (in a process group of its own) as the program
/// [`end_client`] ends, traced if the machine allows it.
fn spawn_client(mut command: Command, config: &CheckConfig) -> io::Result<ClientProcess> {
    die_with_us(&mut command);
    RUNNING.track(
        || match (!config.untraced && trace::allowed(), config.trace) {
            (true, true) => Traced::spawn_recording(command).map(ClientProcess::Traced),
            (true, false) => Traced::spawn(command).map(ClientProcess::Traced),
            (false, _) => command.spawn().map(ClientProcess::Plain),
        },
        ClientProcess::id,
    )
}

/// Start the server under test (in a process group of its own) as the
/// program [`end_client`] ends; with `recording` (`check --server --trace`)
/// traced with its socket calls recorded, where the machine allows it.
pub(super) fn spawn_server(mut command: Command, recording: bool) -> io::Result<ClientProcess> {
    die_with_us(&mut command);
    RUNNING.track(
        || match recording && trace::allowed() {
            true => Traced::spawn_recording(command).map(ClientProcess::Traced),
            false => command.spawn().map(ClientProcess::Plain),
        },
        ClientProcess::id,
    )
}

/// The tracked program has ended: nothing for [`end_client`] to end.
pub(super) fn forget_group() {
    RUNNING.forget();
}

/// What a traced client was seen doing.
#[derive(Debug, Default)]
pub(super) struct Watched {
    /// Its sockets as it let go of them.
    pub(super) let_go: Vec<LetGo>,
    /// It called `ptrace` (it traces, or runs under strace or gdb).
    pub(super) uses_ptrace: bool,
    /// Its socket calls, when recorded (`--trace`).
    pub(super) calls: Vec<Call>,
}

/// Run the client against `addr` until it exits or a limit; its output,
/// and what it was seen doing when traced.
/// `idle` says how long nothing has moved between the client and the server.
pub(super) fn run_client(
    config: &CheckConfig,
    addr: SocketAddr,
    idle: &dyn Fn() -> Duration,
) -> io::Result<(Ended, Output, Watched)> {
    let program = config.command.first().map_or("", String::as_str);
    // A book-style client reads and prints on a terminal, as when a student
    // runs it: C's stdio writes each line at once only there, and before it
    // reads a line typed at the terminal it writes out what it printed so far
    // (on pipes it holds it, and a client killed by SIGPIPE loses it).
    // Our own copy of the terminal's client side is closed only once the
    // client has ended and its last lines have crossed the terminal: a
    // terminal whose every writer is gone may drop what it still holds.
    let mut held_terminal = None;
    let mut typed = None;
    let (stdin, stdout, out_reader) = match config.stdin_lines {
        Some(_) => {
            let (ours, theirs) = terminal()?;
            held_terminal = Some(theirs.try_clone()?);
            typed = Some(ours.try_clone()?);
            (Stdio::from(theirs.try_clone()?), Stdio::from(theirs), ours)
        }
        None => {
            let (reader, writer) = std::io::pipe()?;
            (Stdio::null(), Stdio::from(writer), OwnedFd::from(reader))
        }
    };
    let (err_reader, err_writer) = std::io::pipe()?;
    let mut command = against(&config.command, addr)?;
    command
        .stdin(stdin)
        .stdout(stdout)
        .stderr(Stdio::from(err_writer));
    // Our copies of the writing ends go with the command, so the streams end
    // when the client's processes have all closed them.
    let mut child = spawn_client(command, config)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot run {program}: {e}")))?;
    let group = child.id();
    let stop = Arc::new(AtomicBool::new(false));
    if let (Some(lines), Some(typed), Some(held)) = (&config.stdin_lines, typed, &held_terminal) {
        feed(
            std::fs::File::from(typed),
            held.try_clone()?,
            lines,
            stop.clone(),
        );
    }
    let reader = read_output(out_reader, OwnedFd::from(err_reader), stop.clone());
    let ended = wait_until(&mut child, config, idle);
    // Whatever the client started and left running ends with it.
    end_group(group);
    RUNNING.forget();
    // And what left its group (`setsid`, a daemon): every process under us
    // is this run's, unless a server under test is running too.
    if LIVE_SERVER.load(Ordering::SeqCst) == 0 {
        end_descendants(true);
    }
    if let Some(held) = held_terminal.take() {
        thread::sleep(Duration::from_millis(50));
        drop(held);
    }
    // What is still in the pipes is read; a process that escaped the group
    // and holds them open is not waited for.
    let drain = Instant::now() + Duration::from_millis(500);
    while !reader.is_finished() && Instant::now() < drain {
        thread::sleep(Duration::from_millis(5));
    }
    stop.store(true, Ordering::SeqCst);
    let output = reader.join().unwrap_or_default();
    Ok((ended?, output, child.watched()))
}

/// Every message as a line, then `q`, typed at the client's terminal, one
/// line at a time as a student types them: the next once the client has read
/// the last (C's stdio writes out what the client printed before it reads a
/// new line from the terminal). From a thread of its own: a client that
/// stops reading its input (or has quit) is not waited for.
fn feed(
    mut keys: std::fs::File,
    terminal: OwnedFd,
    lines: &super::StdinLines,
    stop: Arc<AtomicBool>,
) {
    let mut typed: Vec<Vec<u8>> = lines
        .messages
        .iter()
        .map(|m| format!("{m}\n").into_bytes())
        .collect();
    typed.push(b"q\n".to_vec());
    thread::spawn(move || {
        for line in typed {
            if keys.write_all(&line).is_err() {
                return;
            }
            // Until the client has read it: the line reaches the terminal's
            // input (the terminal passes it on a moment after our write),
            // then nothing is left there. A client that stops reading is
            // given up on after a while.
            let waiting = || {
                let mut n: libc::c_int = 0;
                // SAFETY: FIONREAD writes one int through a valid pointer.
                let r = unsafe { libc::ioctl(terminal.as_raw_fd(), libc::FIONREAD, &mut n) };
                (r >= 0).then_some(n)
            };
            let arrive = Instant::now() + Duration::from_millis(100);
            while waiting() == Some(0) && Instant::now() < arrive {
                thread::sleep(Duration::from_micros(200));
            }
            let read = Instant::now() + FEED_PATIENCE;
            while waiting().is_some_and(|n| n > 0) {
                if Instant::now() > read || stop.load(Ordering::SeqCst) {
                    return;
                }
                thread::sleep(Duration::from_millis(1));
            }
        }
    });
}

/// How long a line typed at a book-style client waits to be read before the
/// rest is given up on (the client has quit, or reads no more).
const FEED_PATIENCE: Duration = Duration::from_secs(30);

/// A pseudo-terminal: the side we read, and the side the client writes to.
fn terminal() -> io::Result<(OwnedFd, OwnedFd)> {
    let (ours, theirs) = crate::transport::pty()?;
    // What we type reaches the client byte for byte: no line editing (whose
    // lines are at most 4 KiB), no echo, no signals from its bytes, no CR
    // turned into LF. Output is processed as on any terminal.
    // SAFETY: a termios read from, then written to, an open terminal.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(theirs.as_raw_fd(), &mut t) == 0 {
            t.c_lflag &= !(libc::ICANON | libc::ECHO | libc::ISIG | libc::IEXTEN);
            t.c_iflag &= !(libc::ICRNL | libc::INLCR | libc::IGNCR | libc::IXON | libc::ISTRIP);
            t.c_cc[libc::VMIN] = 1;
            t.c_cc[libc::VTIME] = 0;
            libc::tcsetattr(theirs.as_raw_fd(), libc::TCSANOW, &t);
        }
    }
    Ok((ours, theirs))
}

/// Wait for the child until it exits, nothing has moved for the timeout
/// (a hang), or the run has taken its whole limit (too slow).
fn wait_until(
    child: &mut ClientProcess,
    config: &CheckConfig,
    idle: &dyn Fn() -> Duration,
) -> io::Result<Ended> {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(match (status.code(), status.signal()) {
                (Some(code), _) => Ended::Exited(code),
                (None, signal) => Ended::Signalled(signal.unwrap_or(0)),
            });
        }
        // Quiet since the start counts too: a client that never connects.
        let quiet = idle().min(started.elapsed());
        let ended = if quiet >= config.timeout {
            Some(Ended::Hung)
        } else if started.elapsed() >= config.run_limit {
            Some(Ended::TooSlow)
        } else {
            None
        };
        if let Some(ended) = ended {
            end_group(child.id());
            child.reap();
            return Ok(ended);
        }
        thread::sleep(Duration::from_millis(5));
    }
}
