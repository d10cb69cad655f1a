//! A call of a traced program, at its entry and at its return: what it
//! asks, what waits in its socket's queue, what it returned and the bytes it
//! moved, and the sockets a call lets go of, measured as it does.

use std::collections::HashMap;
use std::net::SocketAddr;

use super::LetGo;
use super::calls::{Buffer, Call, Verb, bind_loopback, verb_of};
use super::filter::{Stop, stop};
use super::measure::{close_on_exec, copy, ends, every_fd, is_socket, sockets_of};
use crate::transport::queue::inq;

/// The calls the filter stops, as [`super::filter::calls`] lists them.
pub(super) type Table = [(u32, Vec<(u32, Stop)>)];

/// A recorded call between its entry and its return.
pub(super) struct PendingCall {
    pub(super) call: Call,
    buffer: Buffer,
    /// `MSG_TRUNC`: on TCP the bytes are thrown away, not copied.
    thrown: bool,
}

/// Each socket's ends once known, by its link (`socket:[INODE]`).
pub(super) type Known = HashMap<std::path::PathBuf, (SocketAddr, SocketAddr)>;

/// The ends of the socket at `fd` of `pid` (`socket` its copy here): as it
/// says now, or as it said when last asked.
pub(super) fn ends_known(
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
pub(super) fn closing(pid: i32, fd: i32, how: &'static str, known: &mut Known) -> Option<Call> {
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
pub(super) struct Entry {
    /// The sockets it lets go of, measured.
    pub(super) let_go: Vec<LetGo>,
    /// The socket descriptors it lets go of.
    pub(super) closing: Vec<i32>,
    /// The call's name, for what it lets go of.
    pub(super) how: &'static str,
    /// It is `ptrace`.
    pub(super) ptrace: bool,
    /// A socket call to record once it returns.
    pub(super) pending: Option<PendingCall>,
    /// A read of the program's standard input (descriptor 0, not a socket).
    pub(super) input: bool,
    /// What it writes to its standard output or error (descriptor 1 or 2,
    /// not a socket), when held: at most [`PRINTED_KEPT`] bytes of it.
    pub(super) printed: Option<Vec<u8>>,
}

/// The most bytes of one write to a held program's console passed on.
const PRINTED_KEPT: usize = 4096;

/// The call's number, architecture and arguments at a filter stop.
pub(super) fn syscall_info(pid: i32) -> Option<libc::ptrace_syscall_info> {
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
pub(super) fn entered(
    pid: i32,
    table: &Table,
    recording: bool,
    held: bool,
    loopback: bool,
    known: &mut Known,
) -> Entry {
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
            entry.pending = entering(pid, name, &args, loopback, known);
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
/// With `loopback` (its holder's [`super::Hold::binds_to_loopback`]), a `bind` to
/// any address is given the loopback address instead (its sockaddr written
/// over as the call enters).
pub(super) fn entering(
    pid: i32,
    name: &'static str,
    args: &[u64; 6],
    loopback: bool,
    known: &mut Known,
) -> Option<PendingCall> {
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
            loopback: loopback && bind_loopback(pid, args[1], args[2]),
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
    Some(PendingCall {
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
pub(super) fn returned(pid: i32, pending: PendingCall, room: usize, known: &mut Known) -> Call {
    let PendingCall {
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
