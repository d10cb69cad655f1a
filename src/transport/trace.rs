//! A program's sockets seen from outside, at the moments that matter: when it
//! lets go of one.
//!
//! A client that quits with part of its reply unread has taken a part of a
//! reply for the whole. Bytes still on their way are seen from our side of the
//! connection; bytes that reached the client's kernel and were never read are
//! not: when it closes, the kernel throws them away and resets the
//! connection, and a client that read everything and closed with `SO_LINGER`
//! 0 resets it the same way. Nothing outside the client can tell the two
//! apart afterwards. At the instant of its `close()` the answer is plain: the
//! bytes still in its receive queue are the bytes it never read.
//!
//! So the program runs traced (`ptrace`, as `strace` runs one, no privilege
//! needed for one's own child), its process tree with it (forks, threads and
//! `exec`s followed). A seccomp filter installed before it starts stops it
//! only at the calls that let go of a descriptor (`close`, `close_range`,
//! `dup2`/`dup3` over one, `execve` for those marked close-on-exec), at the
//! exit of each of its threads (when the kernel closes whatever is left
//! open), and at `ptrace` (a program that traces, as `strace` or `gdb` do,
//! cannot be traced: [`Traced::uses_ptrace`] says it tried). Every other call
//! runs at full speed. At each stop, while the program is held, each TCP
//! socket it is letting go of is copied into this process (`pidfd_getfd`)
//! and asked what it has received and what still waits unread, then the
//! program goes on. On x86_64, calls made through the 32-bit gate (a 32-bit
//! program, or `int $0x80`) are stopped alike.
//!
//! What this does not see: a socket closed by io_uring (`IORING_OP_CLOSE`),
//! or through a descriptor passed to a process we do not trace. A traced
//! program cannot gain privileges through a set-user-ID program
//! (`PR_SET_NO_NEW_PRIVS`, which a seccomp filter requires), and a stop
//! signal sent to it is not delivered (a traced program stopped would stop
//! the check). Each stop costs a few tens of microseconds: a program that
//! closes a hundred thousand files runs seconds slower.
//!
//! Where the machine does not allow it (ptrace forbidden, a kernel before
//! 5.6), [`allowed`] says so, and the caller runs the program untraced.

mod at_call;
pub mod calls;
mod filter;
mod follow;
mod measure;

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitStatus};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::thread;

use calls::Call;
use measure::pidfd;

/// One TCP socket as the traced program let go of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LetGo {
    /// The descriptor it was, in the process that let go of it.
    pub fd: i32,
    /// The program's end of the connection (an IPv4 address an IPv6 socket
    /// reached is written as IPv4, as the other end sees it).
    pub local: SocketAddr,
    /// The other end.
    pub peer: SocketAddr,
    /// Every byte the socket had received, read or not (`tcpi_bytes_received`).
    pub received: u64,
    /// Of those, the bytes still waiting in its receive queue: never read.
    pub unread: usize,
}

/// An address as both ends of a loopback connection name it: `::ffff:127.0.0.1`
/// (an IPv6 socket, as Java's are, that reached an IPv4 one) is 127.0.0.1.
pub fn canonical(a: SocketAddr) -> SocketAddr {
    SocketAddr::new(a.ip().to_canonical(), a.port())
}

impl LetGo {
    /// The bytes the program had read from this socket.
    pub fn read(&self) -> u64 {
        self.received.saturating_sub(self.unread as u64)
    }
}

/// What the tracing thread has seen, shared with the program's owner.
#[derive(Debug, Default)]
struct Seen {
    /// How the program (the first process) ended, once it has.
    status: Option<ExitStatus>,
    /// Every socket let go of, in order.
    let_go: Vec<LetGo>,
    /// A process of the program called `ptrace`.
    uses_ptrace: bool,
    /// Its socket calls, in order, when they are recorded.
    calls: Vec<Call>,
    /// Every traced process has ended: the tracer has nothing left to do.
    finished: bool,
    /// `spawn` has returned: the program's process, should its exec fail,
    /// is no longer the spawning thread's to reap.
    spawned: bool,
}

/// Whether a held call may go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Go {
    /// Let the program make the call.
    On,
    /// End the program instead (it is killed, held where it was: a read
    /// that would wait forever, say).
    End,
}

/// Who decides when a held program goes on: called on the tracing thread,
/// the program stopped until each call returns, so whatever this does
/// happens between the program's calls, in their order.
pub trait Hold: Send {
    /// A socket call is about to run (`call` says what it asks, its result
    /// not yet known), or a close about to let go of a socket (a
    /// [`calls::Verb::Close`] with what it leaves unread).
    fn entering(&mut self, call: &Call) -> Go;
    /// That call has returned (`call.returned` false: the program ended in
    /// it). A close made by the program's exit has its `entering` at the
    /// exit, its `returned` once the process has ended.
    fn returned(&mut self, call: &Call);
    /// The program is about to read its standard input.
    fn reading_input(&mut self) -> Go {
        Go::On
    }
    /// The program is about to write `bytes` to its standard output or
    /// error (the first few KiB of one write).
    fn printing(&mut self, bytes: &[u8]) {
        let _ = bytes;
    }
    /// Whether the program's `bind` to any address (INADDR_ANY, `::`) is
    /// given the loopback address instead, as the call enters (its sockaddr
    /// written over): a server that is to serve this machine only.
    fn binds_to_loopback(&self) -> bool {
        false
    }
}

/// Held (to write) while a traced program is started: from its fork to its
/// exec, the child holds a copy of every descriptor of this process, and a
/// socket is closed only when its last copy is. See [`closing`].
static FORKING: std::sync::RwLock<()> = std::sync::RwLock::new(());

/// Hold this while closing a socket whose close must reach the kernel at
/// once (a conducted run's: a listener closed must refuse the next
/// connect, a connection closed must send its FIN or reset now): no traced
/// program is being started meanwhile, whose fork would keep a copy of the
/// socket open until its exec. A close made by a traced program is held
/// from its entry to its return.
pub fn closing() -> std::sync::RwLockReadGuard<'static, ()> {
    FORKING.read().unwrap_or_else(|e| e.into_inner())
}

/// A copy, in this process, of the socket at descriptor `fd` of the traced
/// process (or thread) `pid` (`pidfd_getfd`): the same socket, asked or
/// measured here. `None` where it is gone or not a socket.
pub fn socket_of(pid: i32, fd: i32) -> Option<std::net::TcpStream> {
    measure::copy(pid, fd)
}

/// A program running traced.
#[derive(Debug)]
pub struct Traced {
    pid: u32,
    seen: Arc<Mutex<Seen>>,
}

/// The options every traced process has: the filter's stops, each exit and
/// exec, every process and thread it starts traced alike, and all of them
/// killed if the tracer ends first (a program left untraced would find every
/// `close` failing, since its filter stops it for a tracer).
const OPTIONS: libc::c_int = libc::PTRACE_O_TRACESECCOMP
    | libc::PTRACE_O_TRACESYSGOOD
    | libc::PTRACE_O_TRACEEXIT
    | libc::PTRACE_O_TRACEFORK
    | libc::PTRACE_O_TRACEVFORK
    | libc::PTRACE_O_TRACECLONE
    | libc::PTRACE_O_TRACEEXEC
    | libc::PTRACE_O_EXITKILL;

impl Traced {
    /// Start `command` traced: it and every process it starts, until the
    /// last has ended. Call it from a thread that outlives the program (a
    /// parent-death signal the command asks for comes when this thread
    /// ends). Fails where the machine does not allow tracing; nothing has
    /// run then.
    pub fn spawn(command: Command) -> io::Result<Traced> {
        Traced::start(command, false)
    }

    /// As [`Traced::spawn`], every socket call of the program recorded too
    /// (see [`calls`]): [`Traced::calls`] lists them. Each stops the
    /// program twice, and so does each read or write of a file.
    pub fn spawn_recording(command: Command) -> io::Result<Traced> {
        Traced::start(command, true)
    }

    /// As [`Traced::spawn_recording`], the program held at each of its
    /// socket calls (and before each read of its standard input) until
    /// `hold` lets it go on: the program runs when another's turn says so
    /// (see [`Hold`]).
    pub fn spawn_held(command: Command, hold: Box<dyn Hold>) -> io::Result<Traced> {
        Traced::start_with(command, true, Some(hold))
    }

    fn start(command: Command, recording: bool) -> io::Result<Traced> {
        Traced::start_with(command, recording, None)
    }

    fn start_with(
        mut command: Command,
        recording: bool,
        mut hold: Option<Box<dyn Hold>>,
    ) -> io::Result<Traced> {
        let table = filter::calls(recording);
        let filter = filter::program(&table);
        // The child says its pid on one pipe, then waits on the other until
        // the tracer has seized it with its options set: its own execve,
        // the filter's first stop, then finds the tracer ready.
        let (mut pid_read, pid_write) = io::pipe()?;
        let (go_read, mut go_write) = io::pipe()?;
        let (pid_fd, go_fd) = (pid_write.as_raw_fd(), go_read.as_raw_fd());
        // The fork's copies of the ends that are not the child's: closed
        // first, so that a tracer gone before it said go (this process
        // ended) is an end of file, not a wait for ever.
        let (not_child, also_not) = (go_write.as_raw_fd(), pid_read.as_raw_fd());
        // SAFETY: the closure runs in the child between fork and exec and
        // makes only async-signal-safe calls (close, prctl, getpid, read,
        // write, seccomp), on a filter built before the fork.
        unsafe {
            command.pre_exec(move || {
                libc::close(not_child);
                libc::close(also_not);
                if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                    return Err(io::Error::last_os_error());
                }
                let me = libc::getpid().to_ne_bytes();
                let mut go = 0u8;
                if libc::write(pid_fd, me.as_ptr().cast(), me.len()) != me.len() as isize
                    || libc::read(go_fd, (&mut go as *mut u8).cast(), 1) != 1
                    || go != 1
                {
                    return Err(io::Error::from_raw_os_error(libc::EPERM));
                }
                install(&filter)
            });
        }
        let seen = Arc::new(Mutex::new(Seen::default()));
        let shared = seen.clone();
        // The tracer: it seizes the child, then waits for every stop. It
        // must be the thread that seized, and it must not be this one, which
        // is held in `spawn` until the exec.
        thread::Builder::new()
            .name("tracer".into())
            .spawn(move || {
                let mut pid = [0u8; 4];
                if pid_read.read_exact(&mut pid).is_err() {
                    return; // No child (the fork failed).
                }
                let root = i32::from_ne_bytes(pid);
                // SAFETY: PTRACE_SEIZE of our own child, which waits for us.
                let seized = unsafe { libc::ptrace(libc::PTRACE_SEIZE, root, 0, OPTIONS) } == 0;
                let _ = go_write.write_all(&[seized as u8]);
                drop(go_write);
                if seized {
                    follow::follow(root, &shared, &table, recording, hold.take());
                }
                shared.lock().unwrap_or_else(|e| e.into_inner()).finished = true;
            })?;
        // No socket of ours is closed while the child holds a copy of it.
        let forking = FORKING.write().unwrap_or_else(|e| e.into_inner());
        let child = command.spawn();
        drop(forking);
        // Our copies of the pipes' other ends: a child that never wrote
        // (none was made) ends the tracer's wait.
        drop(command);
        drop((pid_write, go_read));
        seen.lock().unwrap_or_else(|e| e.into_inner()).spawned = true;
        // Reaped by the tracer, not by `Child::wait`.
        let pid = child?.id();
        Ok(Traced { pid, seen })
    }

    /// The program's process id (it leads its own process group when the
    /// command asked for one).
    pub fn id(&self) -> u32 {
        self.pid
    }

    /// How the program ended, once it has (its process; those it started may
    /// still run).
    pub fn try_wait(&self) -> Option<ExitStatus> {
        self.lock().status
    }

    /// End the program's process group (it leads one when the command
    /// asked for its own group, `process_group(0)`): everything in it is
    /// killed.
    pub fn end_group(&self) {
        end_group(self.pid);
    }

    /// Every TCP socket the program has let go of so far, in order.
    pub fn let_go(&self) -> Vec<LetGo> {
        self.lock().let_go.clone()
    }

    /// Every process of the program has ended (those it started too).
    pub fn finished(&self) -> bool {
        self.lock().finished
    }

    /// Its socket calls so far, in order (none unless recorded).
    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    /// A process of the program called `ptrace` (it traces, as `strace`
    /// and `gdb` do): a traced program cannot, and fails where it would not.
    pub fn uses_ptrace(&self) -> bool {
        self.lock().uses_ptrace
    }

    fn lock(&self) -> MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Install the seccomp `filter` in this process (between fork and exec: only
/// async-signal-safe calls).
fn install(filter: &[libc::sock_filter]) -> io::Result<()> {
    let program = libc::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_ptr() as *mut libc::sock_filter,
    };
    // SAFETY: seccomp reads the program, which lives through the call.
    let set = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            0,
            &program as *const libc::sock_fprog,
        )
    };
    match set {
        0 => Ok(()),
        _ => Err(io::Error::last_os_error()),
    }
}

/// Whether this machine lets us trace our children as [`Traced::spawn`]
/// does: found once, with a child traced the same way (seized, its filter
/// installed) that then exits, and by copying a descriptor of our own the way
/// a measure does (`pidfd_getfd`, Linux 5.6).
pub fn allowed() -> bool {
    static ALLOWED: OnceLock<bool> = OnceLock::new();
    *ALLOWED.get_or_init(|| {
        let Ok((go_read, mut go_write)) = io::pipe() else {
            return false;
        };
        let filter = filter::program(&filter::calls(false));
        // The child holds a copy of every descriptor of ours until it exits.
        let forking = FORKING.write().unwrap_or_else(|e| e.into_inner());
        // SAFETY: the child makes only async-signal-safe calls (prctl, read,
        // seccomp, _exit) on memory prepared before the fork.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            let mut go = 0u8;
            // SAFETY: as above.
            unsafe {
                let ok = libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0
                    && libc::read(go_read.as_raw_fd(), (&mut go as *mut u8).cast(), 1) == 1
                    && go == 1
                    && install(&filter).is_ok();
                libc::_exit(if ok { 0 } else { 1 });
            }
        }
        if pid < 0 {
            return false;
        }
        // SAFETY: PTRACE_SEIZE of our own child, which waits for us.
        let seized = unsafe { libc::ptrace(libc::PTRACE_SEIZE, pid, 0, OPTIONS) } == 0;
        let _ = go_write.write_all(&[seized as u8]);
        // Its stops (its exit) let go on, until it has ended.
        let status = loop {
            let mut status = 0;
            // SAFETY: waitpid for our child, writing through a valid pointer.
            let got = unsafe { libc::waitpid(pid, &mut status, libc::__WALL) };
            if got != pid {
                break None;
            }
            if !libc::WIFSTOPPED(status) {
                break Some(status);
            }
            // SAFETY: PTRACE_CONT on our tracee, stopped for us.
            unsafe { libc::ptrace(libc::PTRACE_CONT, pid, 0, 0) };
        };
        drop(forking);
        let traced =
            seized && status.is_some_and(|s| libc::WIFEXITED(s) && libc::WEXITSTATUS(s) == 0);
        // SAFETY: getpid cannot fail.
        let me = unsafe { libc::getpid() };
        traced
            && pidfd(me).is_some_and(|process| {
                // SAFETY: pidfd_getfd of our own descriptor 0 (or -1 when
                // it is closed: then the error says whether the call exists).
                let fd = unsafe { libc::syscall(libc::SYS_pidfd_getfd, process.as_raw_fd(), 0, 0) };
                let error = io::Error::last_os_error().raw_os_error();
                if fd >= 0 {
                    // SAFETY: the copy just made, closed once.
                    unsafe { libc::close(fd as i32) };
                }
                fd >= 0 || error == Some(libc::EBADF)
            })
    })
}

/// SIGKILL to every process of the group `leader` leads (a program we
/// started in a group of its own); a group already gone is no error.
pub fn end_group(leader: u32) {
    // SAFETY: killpg of a group one of our children leads; one already gone
    // is an error we ignore.
    unsafe {
        libc::killpg(leader as i32, libc::SIGKILL);
    }
}

#[cfg(test)]
mod tests;
