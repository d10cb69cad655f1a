//! A held program's connections, conducted as ours are.
//!
//! Our own conducted stream waits for its turn inside its `read`, makes the
//! call, then records it. A program that is not ours (the book's C client or
//! server, run traced) makes its own calls; the tracer holds each at its
//! entry and again at its return, and here each half of the conducted call
//! is done at those two moments: the turn and the measure before the read at
//! its entry, the row and the measure after at its return.

use std::collections::HashMap;
use std::io;

use crate::scenario::conductor::{Conducted, ReadTurn, WriteTurn};
use crate::transport::trace::calls::{Call, Verb};

/// One connection of the program, and the call it is in.
struct Held {
    conn: Conducted,
    read: Option<ReadTurn>,
    write: Option<WriteTurn>,
}

/// The program's conducted connections, by its descriptor for each.
#[derive(Default)]
pub(super) struct HeldEnds {
    conns: HashMap<i32, Held>,
}

impl HeldEnds {
    /// The connection at the program's descriptor `fd`, conducted from now on.
    pub(super) fn adopt(&mut self, fd: i32, conn: Conducted) {
        self.conns.insert(
            fd,
            Held {
                conn,
                read: None,
                write: None,
            },
        );
    }

    /// A call of the program enters, held: on a conducted connection, a
    /// read waits for its turn (an error: a read that would wait forever),
    /// a write notes what was sent before it, a close begins.
    pub(super) fn entering(&mut self, call: &Call) -> io::Result<()> {
        let Some(held) = self.conns.get_mut(&call.fd) else {
            return Ok(());
        };
        match call.verb {
            Verb::Read { asked, .. } => held.read = Some(held.conn.read_begins(asked)?),
            Verb::Write { .. } => held.write = Some(held.conn.write_begins()),
            Verb::Close { .. } => held.conn.close_begins(),
            _ => {}
        }
        Ok(())
    }

    /// The call has returned: its row and the measures after it; for a
    /// read, what it returned. A close ends the connection here.
    pub(super) fn returned(&mut self, call: &Call) -> Option<io::Result<usize>> {
        if !call.returned {
            return None;
        }
        let result = || call.result.map_err(io::Error::from_raw_os_error);
        match call.verb {
            Verb::Read { .. } => {
                let held = self.conns.get_mut(&call.fd)?;
                let turn = held.read.take()?;
                held.conn.read_ended(turn, &result(), &call.bytes);
                Some(result())
            }
            Verb::Write { .. } => {
                let held = self.conns.get_mut(&call.fd)?;
                if let Some(turn) = held.write.take() {
                    held.conn.write_ended(turn, &result(), &call.bytes);
                }
                None
            }
            // The close has happened: the conducted end, dropped, finishes
            // it (its measure, and a client's turn handed on).
            Verb::Close { .. } => {
                self.conns.remove(&call.fd);
                None
            }
            _ => None,
        }
    }
}

/// The row of a held program's write to its console: what it printed,
/// escaped as received bytes are.
pub(super) fn printed(bytes: &[u8]) -> crate::event::What {
    crate::event::What::Note {
        text: crate::lang::Msg::new("note-printed").arg("text", crate::text::escape::escape(bytes)),
        bad: false,
    }
}

/// A command for a held program: in a process group of its own (ended with
/// everything it starts), and killed if the thread that runs it ends first
/// (this process ended by Ctrl-C, say: once traced it dies with its tracer,
/// but before its exec nothing else would end it).
pub(super) fn command(program: &std::path::Path) -> std::process::Command {
    use std::os::unix::process::CommandExt;
    let mut command = std::process::Command::new(program);
    command.process_group(0);
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: the closure runs in the child between fork and exec and makes
    // only async-signal-safe calls (prctl, getppid).
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(io::Error::last_os_error());
            }
            // Ended already, before the signal was asked for.
            if libc::getppid() != parent {
                return Err(io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
    command
}

/// How long a held program's run may take at most before it is ended: far
/// beyond any scenario's (the conductor's own patience is 30 s a step);
/// only a bug waits this long.
const LONGEST_RUN: std::time::Duration = std::time::Duration::from_secs(120);

/// The book's `program`, built (see [`crate::lesson::book_c`]), where this
/// machine lets it run held: its path, or why it cannot run.
pub(super) fn book_program(
    program: crate::lesson::book_c::BookProgram,
) -> Result<std::path::PathBuf, super::CannotRun> {
    let built =
        crate::lesson::book_c::build(program).map_err(|e| super::CannotRun(e.to_string()))?;
    if !crate::transport::trace::allowed() {
        return Err(super::CannotRun(format!(
            "the book's {} runs traced, and this machine does not let a program be traced here (ptrace or seccomp forbidden, or a kernel before 5.6)",
            program.name()
        )));
    }
    Ok(built)
}

/// Wait until the held program and every process it started have ended
/// (ended first if it runs past [`LONGEST_RUN`]).
pub(super) fn wait(traced: &crate::transport::trace::Traced) {
    let since = std::time::Instant::now();
    while !traced.finished() {
        if since.elapsed() > LONGEST_RUN {
            traced.end_group();
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

/// The most of a held program's console text kept.
const CONSOLE_KEPT: usize = 64 * 1024;

/// A held program's console: a terminal of its own (a pseudo-terminal in
/// raw mode, so that its bytes come through as it wrote them), so that the C
/// library writes each line as it is printed instead of keeping it in a
/// buffer a program ended where it waits never writes.
pub(super) struct Console {
    /// Our end, read until the program's end has closed.
    ours: std::fs::File,
    /// The program's end: its standard output and error.
    pub(super) theirs: std::os::fd::OwnedFd,
}

impl Console {
    /// A new console; `None` where the system has no pseudo-terminal to give.
    pub(super) fn open() -> io::Result<Console> {
        let (ours, theirs) = crate::transport::pty()?;
        let ours = std::fs::File::from(ours);
        // Raw (no "\n" made "\r\n", no line discipline: every byte typed
        // reaches the program as it is), but what is typed is echoed, as on
        // a student's terminal, each byte as it is.
        // SAFETY: a zeroed termios is valid; tcgetattr fills it.
        let mut mode: libc::termios = unsafe { std::mem::zeroed() };
        use std::os::fd::AsRawFd;
        // SAFETY: terminal calls on the descriptor just opened.
        unsafe {
            if libc::tcgetattr(theirs.as_raw_fd(), &mut mode) == 0 {
                libc::cfmakeraw(&mut mode);
                mode.c_lflag |= libc::ECHO;
                mode.c_lflag &= !libc::ECHOCTL;
                libc::tcsetattr(theirs.as_raw_fd(), libc::TCSANOW, &mode);
            }
            // Neither end goes to another program this process starts (a
            // program of another run holding this terminal's end would keep
            // its console open after its program ended); the program's own
            // copies, made for its standard input and outputs, are not
            // closed on its exec.
            libc::fcntl(ours.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC);
            libc::fcntl(theirs.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC);
        }
        Ok(Console { ours, theirs })
    }

    /// Where to type what the program reads from its end.
    pub(super) fn keyboard(&self) -> io::Result<std::fs::File> {
        self.ours.try_clone()
    }

    /// Read everything the program writes, on a thread of its own (a full
    /// terminal would stop it), until its end is closed everywhere: at most
    /// [`CONSOLE_KEPT`] bytes of it.
    pub(super) fn read_all(self) -> std::thread::JoinHandle<Vec<u8>> {
        let Console { mut ours, theirs } = self;
        // Only the program keeps its end open: once it has ended, a read
        // of ours fails (EIO), which is the end.
        drop(theirs);
        std::thread::spawn(move || {
            use std::io::Read;
            let mut kept = Vec::new();
            let mut chunk = [0u8; 4096];
            while let Ok(n) = ours.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                let room = CONSOLE_KEPT.saturating_sub(kept.len());
                kept.extend_from_slice(&chunk[..n.min(room)]);
            }
            kept
        })
    }
}
