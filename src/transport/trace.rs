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

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::thread;

use super::queue::inq;

/// One TCP socket as the traced program let go of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LetGo {
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
    /// `spawn` has returned: the program's process, should its exec fail,
    /// is no longer the spawning thread's to reap.
    spawned: bool,
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
    pub fn spawn(mut command: Command) -> io::Result<Traced> {
        let filter = filter();
        // The child says its pid on one pipe, then waits on the other until
        // the tracer has seized it with its options set: its own execve,
        // the filter's first stop, then finds the tracer ready.
        let (mut pid_read, pid_write) = io::pipe()?;
        let (go_read, mut go_write) = io::pipe()?;
        let (pid_fd, go_fd) = (pid_write.as_raw_fd(), go_read.as_raw_fd());
        // SAFETY: the closure runs in the child between fork and exec and
        // makes only async-signal-safe calls (prctl, getpid, read, write,
        // seccomp), on a filter built before the fork.
        unsafe {
            command.pre_exec(move || {
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
                    follow(root, &shared);
                }
            })?;
        let child = command.spawn();
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

    /// Every TCP socket the program has let go of so far, in order.
    pub fn let_go(&self) -> Vec<LetGo> {
        self.lock().let_go.clone()
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
        let filter = filter();
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

/// A call the filter stops, by what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    /// `close(fd)`.
    Close,
    /// `close_range(first, last, flags)`.
    CloseRange,
    /// `dup2(old, new)`, `dup3(old, new, flags)`: `new` is closed first.
    Dup,
    /// `execve`, `execveat`: descriptors marked close-on-exec go.
    Exec,
    /// `ptrace`: the program traces.
    Ptrace,
}

/// The calls the filter stops, by `AUDIT_ARCH_*` (linux/audit.h) and number.
#[cfg(target_arch = "x86_64")]
const CALLS: &[(u32, &[(u32, Call)])] = &[
    (
        0xC000_003E, // x86_64
        &[
            (3, Call::Close),
            (436, Call::CloseRange),
            (33, Call::Dup),
            (292, Call::Dup),
            (59, Call::Exec),
            (322, Call::Exec),
            (101, Call::Ptrace),
        ],
    ),
    (
        0x4000_0003, // i386: a 32-bit program, or `int $0x80`
        &[
            (6, Call::Close),
            (436, Call::CloseRange),
            (63, Call::Dup),
            (330, Call::Dup),
            (11, Call::Exec),
            (358, Call::Exec),
            (26, Call::Ptrace),
        ],
    ),
];
#[cfg(target_arch = "aarch64")]
const CALLS: &[(u32, &[(u32, Call)])] = &[(
    0xC000_00B7, // aarch64
    &[
        (57, Call::Close),
        (436, Call::CloseRange),
        (24, Call::Dup),
        (221, Call::Exec),
        (281, Call::Exec),
        (117, Call::Ptrace),
    ],
)];

/// The call `nr` of architecture `arch` is, when the filter stops it.
fn call(arch: u32, nr: u64) -> Option<Call> {
    let (_, calls) = CALLS.iter().find(|(a, _)| *a == arch)?;
    calls.iter().find(|(n, _)| *n as u64 == nr).map(|(_, c)| *c)
}

/// The seccomp program: stop the calls of [`CALLS`] for the tracer
/// (`SECCOMP_RET_TRACE`), let everything else run. One block per
/// architecture: its test, then each of its calls; a call it does not stop
/// falls through to the next block, whose architecture test fails, and so
/// on to "allow".
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
    let length: usize = CALLS.iter().map(|(_, c)| 3 + c.len()).sum::<usize>() + 2;
    let trace = length - 1;
    let mut program = Vec::with_capacity(length);
    // struct seccomp_data: int nr at 0, __u32 arch at 4.
    for (arch, calls) in CALLS {
        program.push(op(load, 0, 0, 4));
        program.push(op(equal, 0, 1 + calls.len() as u8, *arch));
        program.push(op(load, 0, 0, 0));
        for (nr, _) in calls.iter() {
            let jump = trace - (program.len() + 1);
            program.push(op(equal, jump as u8, 0, *nr));
        }
    }
    program.push(op(ret, 0, 0, libc::SECCOMP_RET_ALLOW));
    program.push(op(ret, 0, 0, libc::SECCOMP_RET_TRACE));
    program
}

/// Wait for every stop of the traced processes until none is left: at each,
/// measure what is let go of, then let it go on.
fn follow(root: i32, seen: &Mutex<Seen>) {
    let lock = || seen.lock().unwrap_or_else(|e| e.into_inner());
    // Until its first exec, the program is still the copy of this process
    // the fork made, holding every descriptor of ours: nothing to measure.
    let mut started = false;
    // __WNOTHREAD: only this thread's tracees, never a child another thread
    // of this process waits for.
    let flags = libc::__WALL | libc::__WNOTHREAD;
    loop {
        // Which process has something to say, left to be waited for: a
        // program whose exec failed is reaped by `spawn` itself (which
        // panics if it cannot), so it is left alone until `spawn` returns.
        // SAFETY: a zeroed siginfo_t is valid; waitid fills it.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: waitid writes through a valid pointer.
        let peeked = unsafe {
            libc::waitid(
                libc::P_ALL,
                0,
                &mut info,
                libc::WEXITED | libc::WSTOPPED | libc::WNOWAIT | flags,
            )
        };
        if peeked < 0 {
            match io::Error::last_os_error().raw_os_error() {
                Some(libc::EINTR) => continue,
                // No process left to trace.
                _ => return,
            }
        }
        // SAFETY: waitid filled in a child's pid.
        let pid = unsafe { info.si_pid() };
        let ended = matches!(
            info.si_code,
            libc::CLD_EXITED | libc::CLD_KILLED | libc::CLD_DUMPED
        );
        if pid == root && ended && !lock().spawned {
            thread::sleep(std::time::Duration::from_millis(1));
            continue;
        }
        let mut status = 0;
        // SAFETY: waitpid writes the status through a valid pointer.
        if unsafe { libc::waitpid(pid, &mut status, flags) } != pid {
            continue;
        }
        if libc::WIFEXITED(status) || libc::WIFSIGNALED(status) {
            if pid == root {
                lock().status = Some(ExitStatus::from_raw(status));
            }
            continue;
        }
        if !libc::WIFSTOPPED(status) {
            continue;
        }
        let event = (status >> 16) & 0xff;
        if pid == root && event == libc::PTRACE_EVENT_EXEC {
            started = true;
        }
        let ours = pid == root && !started;
        let deliver = match event {
            _ if ours && event != 0 => 0,
            libc::PTRACE_EVENT_SECCOMP => {
                let (found, ptrace) = at_call(pid);
                let mut seen = lock();
                seen.let_go.extend(found);
                seen.uses_ptrace |= ptrace;
                0
            }
            libc::PTRACE_EVENT_EXIT => {
                let found = sockets_of(pid, every_fd(pid).into_iter());
                lock().let_go.extend(found);
                0
            }
            // A fork, a thread, an exec, a new process's first stop, or a
            // group stop: nothing to measure.
            e if e != 0 => 0,
            // Stop signals would stop a program we wait for: not delivered.
            _ => match libc::WSTOPSIG(status) {
                libc::SIGSTOP | libc::SIGTSTP | libc::SIGTTIN | libc::SIGTTOU => 0,
                signal => signal,
            },
        };
        // SAFETY: PTRACE_CONT on a tracee stopped for us; one killed meanwhile
        // is an error we ignore.
        unsafe {
            libc::ptrace(libc::PTRACE_CONT, pid, 0, deliver);
        }
    }
}

/// At a call the filter stopped: the TCP sockets it lets go of, and whether
/// it is `ptrace`.
fn at_call(pid: i32) -> (Vec<LetGo>, bool) {
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
        return (Vec::new(), false);
    }
    // SAFETY: op says the union holds its seccomp member.
    let stopped = unsafe { info.u.seccomp };
    let args = stopped.args;
    let fd = |a: u64| a as u32 as i32;
    let found = match call(info.arch, stopped.nr) {
        Some(Call::Close) => sockets_of(pid, [fd(args[0])].into_iter()),
        Some(Call::CloseRange) if args[2] as u32 & libc::CLOSE_RANGE_CLOEXEC == 0 => {
            let (first, last) = (args[0] as u32, args[1] as u32);
            let fds = every_fd(pid).into_iter();
            sockets_of(pid, fds.filter(|&n| (first..=last).contains(&(n as u32))))
        }
        // Onto itself, dup2 closes nothing.
        Some(Call::Dup) if fd(args[0]) != fd(args[1]) => sockets_of(pid, [fd(args[1])].into_iter()),
        // The exec may fail, and then they stay open: a later close or exit
        // is measured again, and the last measure of a socket counts.
        Some(Call::Exec) => {
            let fds = every_fd(pid).into_iter();
            sockets_of(pid, fds.filter(|&n| close_on_exec(pid, n)))
        }
        Some(Call::Ptrace) => return (Vec::new(), true),
        _ => Vec::new(),
    };
    (found, false)
}

/// Every open descriptor of `pid`.
fn every_fd(pid: i32) -> Vec<i32> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect()
}

/// Whether descriptor `n` of `pid` is marked close-on-exec (`O_CLOEXEC` in
/// the flags `/proc/PID/fdinfo/N` gives, in octal).
fn close_on_exec(pid: i32, n: i32) -> bool {
    let Ok(info) = std::fs::read_to_string(format!("/proc/{pid}/fdinfo/{n}")) else {
        return false;
    };
    info.lines()
        .find_map(|l| l.strip_prefix("flags:"))
        .and_then(|f| i64::from_str_radix(f.trim(), 8).ok())
        .is_some_and(|flags| flags & libc::O_CLOEXEC as i64 != 0)
}

/// The TCP sockets among descriptors `fds` of `pid`, each measured now.
fn sockets_of(pid: i32, fds: impl Iterator<Item = i32>) -> Vec<LetGo> {
    // Sockets only (the link reads `socket:[INODE]`): most descriptors a
    // program closes are files, not worth copying.
    let sockets: Vec<i32> = fds
        .filter(|n| {
            std::fs::read_link(format!("/proc/{pid}/fd/{n}"))
                .is_ok_and(|l| l.as_os_str().as_encoded_bytes().starts_with(b"socket:"))
        })
        .collect();
    if sockets.is_empty() {
        return Vec::new();
    }
    let Some(process) = pidfd(pid) else {
        return Vec::new();
    };
    sockets
        .into_iter()
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
    // SAFETY: pidfd_getfd returns a new descriptor we then own, or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_getfd, process.as_raw_fd(), n, 0) };
    if fd < 0 {
        return None;
    }
    // SAFETY: a descriptor just made, owned by nobody else. A TcpStream of
    // something that is not a TCP socket fails the asks below.
    let socket = TcpStream::from(unsafe { OwnedFd::from_raw_fd(fd as i32) });
    // `::ffff:127.0.0.1` is 127.0.0.1: an IPv6 socket (Java's default)
    // reaching an IPv4 one is named as the other end names it.
    let canonical = |a: SocketAddr| SocketAddr::new(a.ip().to_canonical(), a.port());
    let local = canonical(socket.local_addr().ok()?);
    let peer = canonical(socket.peer_addr().ok()?);
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
