//! The tracer's loop: every stop of the traced processes, until none is left.
//!
//! A stop is one of: the filter's, at a call's entry (measure what it lets
//! go of; for a recorded socket call, note what it asks and what waits in
//! its queue, then have it stop again as it returns); a recorded call's
//! return (what it returned, and its bytes); a thread's exit (measure every
//! socket still open); a process or thread starting, an exec, a signal.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::sync::Mutex;
use std::thread;
use std::time::Duration;

use super::calls::{Buffer, Call, KEPT_IN_ALL, Verb, bind_loopback, verb_of};
use super::filter::{Stop, stop};
use super::measure::{
    close_on_exec, copy, ends, every_fd, is_socket, process_of, sockets_of, status_field,
};
use super::{Go, Hold, LetGo, Seen};
use crate::transport::queue::inq;

/// The calls the filter stops, as [`super::filter::calls`] lists them.
type Table = [(u32, Vec<(u32, Stop)>)];

/// A recorded call between its entry and its return.
struct Pending {
    call: Call,
    buffer: Buffer,
    /// `MSG_TRUNC`: on TCP the bytes are thrown away, not copied.
    thrown: bool,
}

/// Wait for every stop of the traced processes until none is left: at each,
/// measure (and record) what the program does, then let it go on.
pub(super) fn follow(
    root: i32,
    seen: &Mutex<Seen>,
    table: &Table,
    recording: bool,
    mut hold: Option<Box<dyn Hold>>,
) {
    let lock = || seen.lock().unwrap_or_else(|e| e.into_inner());
    // Until its first exec, the program is still the copy of this process
    // the fork made, holding every descriptor of ours: nothing to measure.
    let mut started = false;
    // Recorded calls that have entered and not yet returned, by thread.
    let mut pending: HashMap<i32, Pending> = HashMap::new();
    // Closes of sockets a holder let go on, by thread, until they return.
    let mut held_closes: HashMap<i32, Vec<Call>> = HashMap::new();
    // Bytes of the calls kept so far (see KEPT_IN_ALL).
    let mut kept = 0usize;
    // Every traced thread alive, and its process (thread group).
    let mut alive: HashMap<i32, i32> = HashMap::new();
    // Each socket's ends once known, by its link (`socket:[INODE]`): a
    // socket whose connection has ended (both FINs) no longer names its
    // peer, but it is still the same connection.
    let mut known = Known::new();
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
            thread::sleep(Duration::from_millis(1));
            continue;
        }
        let mut status = 0;
        // SAFETY: waitpid writes the status through a valid pointer.
        if unsafe { libc::waitpid(pid, &mut status, flags) } != pid {
            continue;
        }
        if libc::WIFEXITED(status) || libc::WIFSIGNALED(status) {
            // A call it was still in when it ended: said as such.
            if let Some(call) = unfinished(&mut pending, pid) {
                lock().calls.push(call.clone());
                if let Some(h) = hold.as_deref_mut() {
                    h.returned(&call);
                }
            }
            alive.remove(&pid);
            if pid == root {
                lock().status = Some(ExitStatus::from_raw(status));
            }
            continue;
        }
        if !libc::WIFSTOPPED(status) {
            continue;
        }
        if let std::collections::hash_map::Entry::Vacant(new) = alive.entry(pid) {
            new.insert(process_of(pid).unwrap_or(pid));
        }
        // A recorded call returning (PTRACE_O_TRACESYSGOOD marks the stop).
        if libc::WSTOPSIG(status) == libc::SIGTRAP | 0x80 {
            if let Some(p) = pending.remove(&pid) {
                let room = KEPT_IN_ALL.saturating_sub(kept);
                // The program's sockets are copied here to be asked: no
                // program is forked while a copy is open (see `closing`).
                let copying = super::closing();
                let call = returned(pid, p, room, &mut known);
                drop(copying);
                kept += call.bytes.len();
                lock().calls.push(call.clone());
                if let Some(h) = hold.as_deref_mut() {
                    h.returned(&call);
                }
            }
            for close in held_closes.remove(&pid).unwrap_or_default() {
                if let Some(h) = hold.as_deref_mut() {
                    h.returned(&close);
                }
            }
            resume(pid, libc::PTRACE_CONT, 0);
            continue;
        }
        let event = (status >> 16) & 0xff;
        if pid == root && event == libc::PTRACE_EVENT_EXEC {
            started = true;
        }
        let ours = pid == root && !started;
        let mut request = libc::PTRACE_CONT;
        let deliver = match event {
            _ if ours && event != 0 => 0,
            libc::PTRACE_EVENT_SECCOMP => {
                let copying = super::closing();
                let entry = entered(pid, table, recording, hold.is_some(), &mut known);
                // A copy's close (another descriptor still holds the
                // socket) is not the connection's.
                let closes: Vec<Call> = match recording {
                    true => entry
                        .closing
                        .iter()
                        .filter(|&&fd| !held_elsewhere(pid, fd, &alive))
                        .filter_map(|&fd| closing(pid, fd, entry.how, &mut known))
                        .collect(),
                    false => Vec::new(),
                };
                drop(copying);
                {
                    let mut seen = lock();
                    seen.uses_ptrace |= entry.ptrace;
                    seen.calls.extend(closes.iter().cloned());
                    seen.let_go.extend(entry.let_go);
                }
                let pending_call = entry.pending.filter(|_| recording);
                // A holder decides when the call runs: it is held here.
                let mut go = Go::On;
                if let Some(h) = hold.as_deref_mut() {
                    if entry.input {
                        go = h.reading_input();
                    }
                    if let Some(bytes) = &entry.printed {
                        h.printing(bytes);
                    }
                    if let Some(p) = &pending_call
                        && go == Go::On
                    {
                        go = h.entering(&p.call);
                    }
                    for close in &closes {
                        if go == Go::On {
                            go = h.entering(close);
                        }
                    }
                    if !closes.is_empty() {
                        held_closes.insert(pid, closes);
                        request = libc::PTRACE_SYSCALL;
                    }
                }
                if go == Go::End {
                    // Killed where it is held: the call never runs.
                    end(pid, &alive);
                }
                if let Some(p) = pending_call {
                    pending.insert(pid, p);
                    // Stop again as the call returns.
                    request = libc::PTRACE_SYSCALL;
                }
                0
            }
            libc::PTRACE_EVENT_EXIT => {
                // A call it was still in (killed while it waited) comes
                // before what its end closes.
                if let Some(call) = unfinished(&mut pending, pid) {
                    lock().calls.push(call.clone());
                    if let Some(h) = hold.as_deref_mut() {
                        h.returned(&call);
                    }
                }
                let copying = super::closing();
                let fds = every_fd(pid);
                let found = sockets_of(pid, fds.iter().copied());
                let mut seen = lock();
                // Only its process's last thread closes what is open.
                let mut closes = Vec::new();
                if recording && threads(pid) <= 1 {
                    let open = fds.iter().filter(|&&fd| is_socket(pid, fd));
                    let last = open.filter(|&&fd| !held_elsewhere(pid, fd, &alive));
                    closes.extend(last.filter_map(|&fd| closing(pid, fd, "exit", &mut known)));
                    seen.calls.extend(closes.iter().cloned());
                }
                seen.let_go.extend(found);
                drop(seen);
                drop(copying);
                // Its exit closes them once it goes on: the holder sees
                // them go now, as the last thing the program does.
                if let Some(h) = hold.as_deref_mut() {
                    for close in &closes {
                        h.entering(close);
                        h.returned(close);
                    }
                }
                0
            }
            // A fork or a thread: the new one is known from now on (its
            // first stop may come later than its parent's next close).
            libc::PTRACE_EVENT_FORK | libc::PTRACE_EVENT_VFORK | libc::PTRACE_EVENT_CLONE => {
                let mut new: libc::c_ulong = 0;
                // SAFETY: PTRACE_GETEVENTMSG writes one unsigned long through
                // a valid pointer, on a tracee stopped for us.
                let got = unsafe { libc::ptrace(libc::PTRACE_GETEVENTMSG, pid, 0, &mut new) };
                if got == 0 && new > 0 {
                    let process = match event {
                        libc::PTRACE_EVENT_CLONE => alive.get(&pid).copied().unwrap_or(pid),
                        _ => new as i32,
                    };
                    alive.entry(new as i32).or_insert(process);
                }
                0
            }
            // An exec, a new process's first stop, or a group stop: nothing
            // to measure.
            e if e != 0 => 0,
            // Stop signals would stop a program we wait for: not delivered.
            _ => match libc::WSTOPSIG(status) {
                libc::SIGSTOP | libc::SIGTSTP | libc::SIGTTIN | libc::SIGTTOU => 0,
                signal => signal,
            },
        };
        resume(pid, request, deliver);
    }
}

/// The recorded call thread `pid` was still in as it ended (a read that
/// waited for bytes that never came), said as one that did not return.
fn unfinished(pending: &mut HashMap<i32, Pending>, pid: i32) -> Option<Call> {
    pending.remove(&pid).map(|p| Call {
        returned: false,
        ..p.call
    })
}

/// End the process of thread `pid`, held at a stop: killed, it never makes
/// the call it was held at.
fn end(pid: i32, alive: &HashMap<i32, i32>) {
    let process = alive.get(&pid).copied().unwrap_or(pid);
    // SAFETY: kill of a traced process of ours.
    unsafe {
        libc::kill(process, libc::SIGKILL);
    }
}

/// How many threads the process of thread `tid` has.
fn threads(tid: i32) -> usize {
    status_field(tid, "Threads:").map_or(1, |n| n as usize)
}

/// Whether the socket at descriptor `fd` of thread `pid` is held by another
/// descriptor too, of its own process or of another traced one: closing
/// this one then closes a copy, not the connection.
fn held_elsewhere(pid: i32, fd: i32, alive: &HashMap<i32, i32>) -> bool {
    let link = |p: i32, n: i32| std::fs::read_link(format!("/proc/{p}/fd/{n}")).ok();
    let Some(socket) = link(pid, fd) else {
        return false;
    };
    let own = alive.get(&pid).copied().unwrap_or(pid);
    let mut processes: Vec<i32> = alive.values().copied().collect();
    processes.sort_unstable();
    processes.dedup();
    processes.into_iter().any(|p| {
        every_fd(p)
            .into_iter()
            .any(|n| !(p == own && n == fd) && link(p, n).as_ref() == Some(&socket))
    })
}

/// Let a stopped tracee go on (`PTRACE_CONT`, or `PTRACE_SYSCALL` to stop
/// it as its call returns), delivering `signal` (0: none).
fn resume(pid: i32, request: libc::c_uint, signal: libc::c_int) {
    // SAFETY: a ptrace restart of a tracee stopped for us; one killed
    // meanwhile is an error we ignore.
    unsafe {
        libc::ptrace(request, pid, 0, signal);
    }
}

/// Each socket's ends once known, by its link (`socket:[INODE]`).
type Known = HashMap<std::path::PathBuf, (SocketAddr, SocketAddr)>;

/// The ends of the socket at `fd` of `pid` (`socket` its copy here): as it
/// says now, or as it said when last asked.
fn ends_known(
    pid: i32,
    fd: i32,
    socket: &std::net::TcpStream,
    known: &mut Known,
) -> Option<(SocketAddr, SocketAddr)> {
    let link = std::fs::read_link(format!("/proc/{pid}/fd/{fd}")).ok()?;
    match ends(socket) {
        Some(now) => {
            known.insert(link, now);
            Some(now)
        }
        None => known.get(&link).copied(),
    }
}

/// The TCP socket at `fd` of `pid` let go of, as a recorded `close` (or
/// `exit`, `execve`, `dup2`: what let go of it), with what it left unread.
fn closing(pid: i32, fd: i32, how: &'static str, known: &mut Known) -> Option<Call> {
    let socket = copy(pid, fd)?;
    socket.nodelay().ok()?;
    Some(Call {
        pid,
        name: how,
        fd,
        ends: ends_known(pid, fd, &socket, known),
        verb: Verb::Close {
            unread: inq(&socket).unwrap_or(0),
        },
        result: Ok(0),
        returned: true,
        bytes: Vec::new(),
    })
}

/// What a call's entry showed.
struct Entry {
    /// The sockets it lets go of, measured.
    let_go: Vec<LetGo>,
    /// The socket descriptors it lets go of.
    closing: Vec<i32>,
    /// The call's name, for what it lets go of.
    how: &'static str,
    /// It is `ptrace`.
    ptrace: bool,
    /// A socket call to record once it returns.
    pending: Option<Pending>,
    /// A read of the program's standard input (descriptor 0, not a socket).
    input: bool,
    /// What it writes to its standard output or error (descriptor 1 or 2,
    /// not a socket), when held: at most [`PRINTED_KEPT`] bytes of it.
    printed: Option<Vec<u8>>,
}

/// The most bytes of one write to a held program's console passed on.
const PRINTED_KEPT: usize = 4096;

/// The call's number, architecture and arguments at a filter stop.
fn syscall_info(pid: i32) -> Option<libc::ptrace_syscall_info> {
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
    (got > 0).then_some(info)
}

/// At a call the filter stopped.
fn entered(pid: i32, table: &Table, recording: bool, held: bool, known: &mut Known) -> Entry {
    let mut entry = Entry {
        let_go: Vec::new(),
        closing: Vec::new(),
        how: "close",
        ptrace: false,
        pending: None,
        input: false,
        printed: None,
    };
    let Some(info) = syscall_info(pid).filter(|i| i.op == libc::PTRACE_SYSCALL_INFO_SECCOMP) else {
        return entry;
    };
    // SAFETY: op says the union holds its seccomp member.
    let stopped = unsafe { info.u.seccomp };
    let args = stopped.args;
    let fd = |a: u64| a as u32 as i32;
    let closing: Vec<i32> = match stop(table, info.arch, stopped.nr) {
        Some(Stop::Close) => vec![fd(args[0])],
        Some(Stop::CloseRange) if args[2] as u32 & libc::CLOSE_RANGE_CLOEXEC == 0 => {
            let (first, last) = (args[0] as u32, args[1] as u32);
            entry.how = "close_range";
            every_fd(pid)
                .into_iter()
                .filter(|&n| (first..=last).contains(&(n as u32)))
                .collect()
        }
        // Onto itself, dup2 closes nothing.
        Some(Stop::Dup) if fd(args[0]) != fd(args[1]) => {
            entry.how = "dup2";
            vec![fd(args[1])]
        }
        // The exec may fail, and then they stay open: a later close or exit
        // is measured again, and the last measure of a socket counts.
        Some(Stop::Exec) => {
            entry.how = "execve";
            let fds = every_fd(pid).into_iter();
            fds.filter(|&n| close_on_exec(pid, n)).collect()
        }
        Some(Stop::Ptrace) => {
            entry.ptrace = true;
            Vec::new()
        }
        Some(Stop::Recorded(name)) if recording => {
            entry.pending = entering(pid, name, &args, held, known);
            let unrecorded = entry.pending.is_none();
            entry.input = unrecorded && matches!(name, "read" | "readv") && fd(args[0]) == 0;
            if held
                && unrecorded
                && matches!(name, "write" | "writev")
                && matches!(fd(args[0]), 1 | 2)
            {
                let buffer = Buffer::of(name, &args);
                let n = buffer.size(pid).min(PRINTED_KEPT);
                entry.printed = Some(buffer.bytes(pid, n));
            }
            Vec::new()
        }
        _ => Vec::new(),
    };
    entry.closing = closing.into_iter().filter(|&n| is_socket(pid, n)).collect();
    entry.let_go = sockets_of(pid, entry.closing.iter().copied());
    entry
}

/// A recorded socket call entering: what it asks, and (for a read) what
/// waits in its queue now. `None` for a call on anything but a TCP socket.
///
/// A held program's `bind` to any address is given the loopback address
/// instead (its sockaddr written over as the call enters): what it serves,
/// it serves on this machine only.
fn entering(
    pid: i32,
    name: &'static str,
    args: &[u64; 6],
    held: bool,
    known: &mut Known,
) -> Option<Pending> {
    let fd = |a: u64| a as u32 as i32;
    // The socket the call is on: its first argument, but for sendfile the
    // first (where it writes) and for splice either end.
    let (socket_fd, verb) = match name {
        "splice" if is_socket(pid, fd(args[2])) => (fd(args[2]), Verb::Moved { to_socket: true }),
        "splice" => (fd(args[0]), Verb::Moved { to_socket: false }),
        _ => (fd(args[0]), verb_of(name)?(0)),
    };
    if !is_socket(pid, socket_fd) {
        return None;
    }
    let socket = copy(pid, socket_fd)?;
    // A TCP socket answers TCP_NODELAY; a UNIX or UDP one does not.
    socket.nodelay().ok()?;
    let buffer = Buffer::of(name, args);
    let mut thrown = false;
    let verb = match verb {
        Verb::Read { .. } => {
            // recvfrom's flags are its fourth argument, recvmsg's its third.
            let flags = match name {
                "recvfrom" => args[3],
                "recvmsg" => args[2],
                _ => 0,
            } as i32;
            thrown = flags & libc::MSG_TRUNC != 0;
            Verb::Read {
                asked: buffer.size(pid),
                queued: inq(&socket).ok(),
                peek: flags & libc::MSG_PEEK != 0,
                thrown,
            }
        }
        Verb::Write { .. } => Verb::Write {
            asked: buffer.size(pid),
        },
        Verb::Shutdown { .. } => Verb::Shutdown {
            how: args[1] as i32,
        },
        Verb::Listen { .. } => Verb::Listen {
            backlog: args[1] as i32,
        },
        Verb::Bind { .. } => Verb::Bind {
            loopback: held && bind_loopback(pid, args[1], args[2]),
        },
        other => other,
    };
    // Named as the program knows them: `recvfrom` with no address is the
    // `recv` it called, `sendto` the `send`.
    let name = match (name, args[4]) {
        ("recvfrom", 0) => "recv",
        ("sendto", 0) => "send",
        _ => name,
    };
    Some(Pending {
        call: Call {
            pid,
            name,
            fd: socket_fd,
            ends: ends_known(pid, socket_fd, &socket, known),
            verb,
            result: Ok(0),
            returned: true,
            bytes: Vec::new(),
        },
        buffer,
        thrown,
    })
}

/// A recorded call returning: its result, and the bytes it moved (at most
/// `room` of them); a connect, the ends it connected.
fn returned(pid: i32, pending: Pending, room: usize, known: &mut Known) -> Call {
    let Pending {
        mut call,
        buffer,
        thrown,
    } = pending;
    if call.verb == Verb::Connect
        && let Some(socket) = copy(pid, call.fd)
    {
        call.ends = ends_known(pid, call.fd, &socket, known);
    }
    let Some(info) = syscall_info(pid).filter(|i| i.op == libc::PTRACE_SYSCALL_INFO_EXIT) else {
        return call;
    };
    // SAFETY: op says the union holds its exit member.
    let exit = unsafe { info.u.exit };
    call.result = match exit.is_error {
        0 => Ok(exit.sval.max(0) as usize),
        _ => Err((-exit.sval) as i32),
    };
    // An accepted connection's ends are those of the descriptor it returned.
    if let (Verb::Accept, Ok(new)) = (call.verb, call.result)
        && let Some(socket) = copy(pid, new as i32)
    {
        call.ends = ends_known(pid, new as i32, &socket, known);
    }
    // Peeked bytes and truncated ones (MSG_TRUNC, which throws them away
    // on TCP) are what the buffer holds, at most the call's count.
    if let (Ok(n), false) = (call.result, thrown) {
        call.bytes = buffer.bytes(pid, n.min(room));
    }
    call
}
