//! A program's sockets seen from outside, at the moments that matter: when it
//! lets go of one.
//!
//! A client that quits with part of its reply unread has taken a piece of a
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
//! `dup2`/`dup3` over one) and at the exit of each of its threads (when the
//! kernel closes whatever is left open): every other call runs at full speed.
//! At each stop, while the program is held, each TCP socket it is letting go
//! of is copied into this process (`pidfd_getfd`) and asked what it has
//! received and what still waits unread, then the program goes on.
//!
//! What this does not see: a socket closed because an `exec` closed its
//! descriptor (`FD_CLOEXEC`), and programs of another architecture than ours
//! (a 32-bit client on a 64-bit machine) are run but not measured. A traced
//! program cannot gain privileges through a set-user-ID program
//! (`PR_SET_NO_NEW_PRIVS`, which a seccomp filter requires), and a stop
//! signal sent to it is not delivered (a traced program stopped would stop
//! the check).
//!
//! Where the machine does not allow it (ptrace forbidden, a kernel before
//! 5.6), [`allowed`] says so, and the caller runs the program untraced.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;

use super::queue::inq;

/// One TCP socket as the traced program let go of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LetGo {
    /// The program's end of the connection.
    pub local: SocketAddr,
    /// The other end.
    pub peer: SocketAddr,
    /// Every byte the socket had received, read or not (`tcpi_bytes_received`).
    pub received: u64,
    /// Of those, the bytes still waiting in its receive queue: never read.
    pub unread: usize,
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
}

/// A program running traced.
#[derive(Debug)]
pub struct Traced {
    pid: u32,
    seen: Arc<Mutex<Seen>>,
}

impl Traced {
    /// Start `command` traced. Its process is the child of a thread of ours
    /// that traces it and every process it starts, until the last has ended
    /// (so that a program is never left to run untraced: its filter would
    /// then fail every `close`, and the kernel ends the traced processes if
    /// that thread ends first). Fails where the machine does not allow
    /// tracing; nothing has run then.
    pub fn spawn(mut command: Command) -> io::Result<Traced> {
        let filter = filter();
        // SAFETY: the closure runs in the child between fork and exec and
        // makes only async-signal-safe calls (prctl, ptrace, seccomp), on a
        // filter built before the fork.
        unsafe {
            command.pre_exec(move || {
                if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
                    || libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0) != 0
                {
                    return Err(io::Error::last_os_error());
                }
                let program = libc::sock_fprog {
                    len: filter.len() as u16,
                    filter: filter.as_ptr() as *mut libc::sock_filter,
                };
                let set = libc::syscall(
                    libc::SYS_seccomp,
                    libc::SECCOMP_SET_MODE_FILTER,
                    0,
                    &program as *const libc::sock_fprog,
                );
                if set != 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let seen = Arc::new(Mutex::new(Seen::default()));
        let (started, start) = mpsc::channel();
        let shared = seen.clone();
        thread::Builder::new()
            .name("tracer".into())
            .spawn(move || {
                // The tracer is the thread that started the program: it must
                // be this one, which then waits for every stop.
                let root = match command.spawn() {
                    Ok(child) => child.id() as i32,
                    Err(e) => {
                        let _ = started.send(Err(e));
                        return;
                    }
                };
                drop(command);
                let _ = started.send(Ok(root as u32));
                follow(root, &shared);
            })?;
        let pid = start
            .recv()
            .map_err(|_| io::Error::other("the tracer ended"))??;
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

    /// Every TCP socket the program has let go of so far, in order.
    pub fn let_go(&self) -> Vec<LetGo> {
        self.lock().let_go.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Whether this machine lets us trace our children as [`Traced::spawn`]
/// does: found once, by a child that asks for it all (to be traced, the
/// seccomp filter) and exits, and by copying a descriptor of our own the way
/// a measure does (`pidfd_getfd`, Linux 5.6).
pub fn allowed() -> bool {
    static ALLOWED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ALLOWED.get_or_init(|| {
        let filter = filter();
        let program = libc::sock_fprog {
            len: filter.len() as u16,
            filter: filter.as_ptr() as *mut libc::sock_filter,
        };
        // SAFETY: the child makes only async-signal-safe calls (prctl,
        // ptrace, syscall, _exit) on memory prepared before the fork; the
        // parent waits for it.
        let traced = unsafe {
            let pid = libc::fork();
            if pid == 0 {
                let ok = libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0
                    && libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0) == 0
                    && libc::syscall(
                        libc::SYS_seccomp,
                        libc::SECCOMP_SET_MODE_FILTER,
                        0,
                        &program as *const libc::sock_fprog,
                    ) == 0;
                libc::_exit(if ok { 0 } else { 1 });
            }
            let mut status = 0;
            pid > 0
                && libc::waitpid(pid, &mut status, 0) == pid
                && libc::WIFEXITED(status)
                && libc::WEXITSTATUS(status) == 0
        };
        // SAFETY: getpid cannot fail.
        let me = unsafe { libc::getpid() };
        traced
            && pidfd(me).is_some_and(|process| {
                use std::os::fd::AsRawFd;
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

/// `AUDIT_ARCH_*` (linux/audit.h) of the machine we run on: the filter stops
/// only calls of this architecture, whose numbers it knows.
#[cfg(target_arch = "x86_64")]
const ARCH: u32 = 0xC000_003E;
#[cfg(target_arch = "aarch64")]
const ARCH: u32 = 0xC000_00B7;

/// `dup2` and `dup3`: each closes the descriptor it copies onto.
#[cfg(target_arch = "x86_64")]
const DUPS: &[libc::c_long] = &[libc::SYS_dup2, libc::SYS_dup3];
#[cfg(target_arch = "aarch64")]
const DUPS: &[libc::c_long] = &[libc::SYS_dup3];

/// The calls that let go of a descriptor.
fn letting_go() -> Vec<libc::c_long> {
    let mut calls = vec![libc::SYS_close, libc::SYS_close_range];
    calls.extend_from_slice(DUPS);
    calls
}

/// The seccomp program: stop the calls of [`letting_go`] for the tracer
/// (`SECCOMP_RET_TRACE`), let everything else run.
fn filter() -> Vec<libc::sock_filter> {
    let op = |code: u32, jt: u8, jf: u8, k: u32| libc::sock_filter {
        code: code as u16,
        jt,
        jf,
        k,
    };
    let load = libc::BPF_LD | libc::BPF_W | libc::BPF_ABS;
    let equal = libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K;
    let ret = libc::BPF_RET | libc::BPF_K;
    let calls = letting_go();
    let n = calls.len() as u8;
    // struct seccomp_data: int nr at 0, __u32 arch at 4.
    let mut program = vec![
        op(load, 0, 0, 4),
        // Another architecture: allowed (its numbers mean other calls).
        op(equal, 0, n + 1, ARCH),
        op(load, 0, 0, 0),
    ];
    for (i, nr) in calls.iter().enumerate() {
        // Equal: on to the last instruction (trace), else the next test.
        program.push(op(equal, n - i as u8, 0, *nr as u32));
    }
    program.push(op(ret, 0, 0, libc::SECCOMP_RET_ALLOW));
    program.push(op(ret, 0, 0, libc::SECCOMP_RET_TRACE));
    program
}

/// Wait for every stop of the traced processes until none is left: at each,
/// measure what is let go of, then let it go on.
fn follow(root: i32, seen: &Mutex<Seen>) {
    let record = |found: Vec<LetGo>| {
        if !found.is_empty() {
            let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
            seen.let_go.extend(found);
        }
    };
    // Processes we have seen stop once (a new one's first stop is the
    // SIGSTOP it is attached with).
    let mut known: Vec<i32> = Vec::new();
    loop {
        let mut status = 0;
        // SAFETY: waitpid writes the status through a valid pointer.
        // __WNOTHREAD: only this thread's children and tracees, never a child
        // another thread of this process waits for.
        let pid = unsafe { libc::waitpid(-1, &mut status, libc::__WALL | libc::__WNOTHREAD) };
        if pid < 0 {
            match io::Error::last_os_error().raw_os_error() {
                Some(libc::EINTR) => continue,
                // No process left to trace.
                _ => return,
            }
        }
        if libc::WIFEXITED(status) || libc::WIFSIGNALED(status) {
            known.retain(|&p| p != pid);
            if pid == root {
                let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
                seen.status = Some(ExitStatus::from_raw(status));
            }
            continue;
        }
        if !libc::WIFSTOPPED(status) {
            continue;
        }
        let signal = libc::WSTOPSIG(status);
        let event = (status >> 16) & 0xff;
        let first = !known.contains(&pid);
        if first {
            known.push(pid);
        }
        let deliver = match event {
            libc::PTRACE_EVENT_SECCOMP => {
                record(at_call(pid));
                0
            }
            libc::PTRACE_EVENT_EXIT => {
                record(sockets_of(pid, |_| true));
                0
            }
            // A fork, a thread, an exec: nothing to measure.
            e if e != 0 => 0,
            _ if first && pid == root => {
                // The program's first stop, at its exec: from now on, the
                // filter's stops, each exit, and every process it starts,
                // traced alike. If we are gone, the kernel ends them.
                let options = libc::PTRACE_O_TRACESECCOMP
                    | libc::PTRACE_O_TRACEEXIT
                    | libc::PTRACE_O_TRACEFORK
                    | libc::PTRACE_O_TRACEVFORK
                    | libc::PTRACE_O_TRACECLONE
                    | libc::PTRACE_O_TRACEEXEC
                    | libc::PTRACE_O_EXITKILL;
                // SAFETY: PTRACE_SETOPTIONS on a tracee stopped for us.
                unsafe {
                    libc::ptrace(libc::PTRACE_SETOPTIONS, pid, 0, options);
                }
                0
            }
            // A new process's first stop, as it is attached.
            _ if first && signal == libc::SIGSTOP => 0,
            // Stop signals would stop a program we wait for: not delivered.
            libc::SIGSTOP | libc::SIGTSTP | libc::SIGTTIN | libc::SIGTTOU => 0,
            _ => signal,
        };
        // SAFETY: PTRACE_CONT on a tracee stopped for us; one killed meanwhile
        // is an error we ignore.
        unsafe {
            libc::ptrace(libc::PTRACE_CONT, pid, 0, deliver);
        }
    }
}

/// At a call the filter stopped: the TCP sockets it lets go of.
fn at_call(pid: i32) -> Vec<LetGo> {
    // SAFETY: a zeroed ptrace_syscall_info is valid (integers and a union of
    // integers); PTRACE_GET_SYSCALL_INFO writes at most its size into it.
    let mut info: libc::ptrace_syscall_info = unsafe { std::mem::zeroed() };
    let size = std::mem::size_of::<libc::ptrace_syscall_info>();
    // SAFETY: as above, on a tracee stopped for us.
    let got = unsafe {
        libc::ptrace(
            libc::PTRACE_GET_SYSCALL_INFO,
            pid,
            size,
            &mut info as *mut libc::ptrace_syscall_info,
        )
    };
    if got <= 0 || info.op != libc::PTRACE_SYSCALL_INFO_SECCOMP {
        return Vec::new();
    }
    // SAFETY: op says the union holds its seccomp member.
    let call = unsafe { info.u.seccomp };
    let (nr, args) = (call.nr as libc::c_long, call.args);
    let fd = |a: u64| a as u32 as i32;
    match nr {
        libc::SYS_close => sockets_of(pid, |n| n == fd(args[0])),
        libc::SYS_close_range if args[2] as u32 & libc::CLOSE_RANGE_CLOEXEC == 0 => {
            let (first, last) = (args[0] as u32, args[1] as u32);
            sockets_of(pid, |n| (first..=last).contains(&(n as u32)))
        }
        // dup2/dup3 onto a descriptor close it first (dup2 of one onto
        // itself closes nothing).
        n if DUPS.contains(&n) && fd(args[0]) != fd(args[1]) => {
            sockets_of(pid, |n| n == fd(args[1]))
        }
        _ => Vec::new(),
    }
}

/// The TCP sockets among the descriptors of `pid` that `chosen` picks, each
/// measured now.
fn sockets_of(pid: i32, chosen: impl Fn(i32) -> bool) -> Vec<LetGo> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return Vec::new();
    };
    let fds: Vec<i32> = dir
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .filter(|&n| chosen(n))
        // Sockets only (the link reads `socket:[INODE]`): most descriptors
        // a program closes are files, not worth copying.
        .filter(|n| {
            std::fs::read_link(format!("/proc/{pid}/fd/{n}"))
                .is_ok_and(|l| l.as_os_str().as_encoded_bytes().starts_with(b"socket:"))
        })
        .collect();
    if fds.is_empty() {
        return Vec::new();
    }
    let Some(process) = pidfd(pid) else {
        return Vec::new();
    };
    fds.into_iter()
        .filter_map(|n| measure(&process, n))
        .collect()
}

/// A pidfd of the process `tid` belongs to (a thread's descriptors are its
/// process's).
fn pidfd(tid: i32) -> Option<OwnedFd> {
    let status = std::fs::read_to_string(format!("/proc/{tid}/status")).ok()?;
    let tgid: i32 = status
        .lines()
        .find_map(|l| l.strip_prefix("Tgid:"))?
        .trim()
        .parse()
        .ok()?;
    // SAFETY: pidfd_open returns a new descriptor we then own, or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, tgid, 0) };
    // SAFETY: a descriptor just opened, owned by nobody else.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// The socket at descriptor `n` of `process`, copied here and asked, then
/// closed again (the program's own descriptor is untouched). `None` for
/// anything but a connected TCP socket.
fn measure(process: &OwnedFd, n: i32) -> Option<LetGo> {
    use std::os::fd::AsRawFd;
    // SAFETY: pidfd_getfd returns a new descriptor we then own, or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_getfd, process.as_raw_fd(), n, 0) };
    if fd < 0 {
        return None;
    }
    // SAFETY: a descriptor just made, owned by nobody else. A TcpStream of
    // something that is not a TCP socket fails the asks below.
    let socket = TcpStream::from(unsafe { OwnedFd::from_raw_fd(fd as i32) });
    let local = socket.local_addr().ok()?;
    let peer = socket.peer_addr().ok()?;
    let received = bytes_received(&socket)?;
    let unread = inq(&socket).ok()?;
    Some(LetGo {
        local,
        peer,
        received,
        unread,
    })
}

/// `tcpi_bytes_received` of our socket: every byte it has received.
fn bytes_received(socket: &TcpStream) -> Option<u64> {
    use std::os::fd::AsRawFd;
    // SAFETY: a zeroed tcp_info is valid (integers only).
    let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into `info`.
    let r = unsafe {
        libc::getsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            &mut info as *mut libc::tcp_info as *mut libc::c_void,
            &mut len,
        )
    };
    // A socket that is not TCP fails; a kernel too old to say it is short.
    let enough = std::mem::offset_of!(libc::tcp_info, tcpi_bytes_received) + 8;
    (r == 0 && len as usize >= enough).then_some(info.tcpi_bytes_received)
}

#[cfg(test)]
mod tests;
