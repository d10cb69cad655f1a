//! The tracer's loop: every stop of the traced processes, until none is left.
//!
//! A stop is one of: the filter's, at a call's entry (measure what it lets
//! go of; for a recorded socket call, note what it asks and what waits in
//! its queue, then have it stop again as it returns); a recorded call's
//! return (what it returned, and its bytes); a thread's exit (measure every
//! socket still open); a process or thread starting, an exec, a signal.

use std::collections::HashMap;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::sync::Mutex;
use std::thread;
use std::time::Duration;

use super::at_call::{Known, PendingCall, Table, closing, entered, returned};
use super::calls::{Call, KEPT_IN_ALL};
use super::measure::{every_fd, is_socket, process_of, sockets_of, status_field};
use super::{Go, Hold, Seen};

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
    // The holder's word on binds, the same for every call.
    let loopback = hold.as_ref().is_some_and(|h| h.binds_to_loopback());
    // Until its first exec, the program is still the copy of this process
    // the fork made, holding every descriptor of ours: nothing to measure.
    let mut started = false;
    // Recorded calls that have entered and not yet returned, by thread.
    let mut pending: HashMap<i32, PendingCall> = HashMap::new();
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
                recorded(seen, &mut hold, call);
            }
            // What its exit closed is closed now.
            closed(&mut hold, held_closes.remove(&pid));
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
                recorded(seen, &mut hold, call);
            }
            closed(&mut hold, held_closes.remove(&pid));
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
                let entry = entered(pid, table, recording, hold.is_some(), loopback, &mut known);
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
                    recorded(seen, &mut hold, call);
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
                // them begin to go now, as the last thing the program does,
                // and gone once the process has ended (its descriptors
                // closed by the kernel).
                if let Some(h) = hold.as_deref_mut() {
                    for close in &closes {
                        h.entering(close);
                    }
                    if !closes.is_empty() {
                        held_closes.insert(pid, closes);
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
fn unfinished(pending: &mut HashMap<i32, PendingCall>, pid: i32) -> Option<Call> {
    pending.remove(&pid).map(|p| Call {
        returned: false,
        ..p.call
    })
}

/// A call returned (or ended with its thread): recorded, and its holder, if
/// any, told.
fn recorded(seen: &Mutex<Seen>, hold: &mut Option<Box<dyn Hold>>, call: Call) {
    let lock = || seen.lock().unwrap_or_else(|e| e.into_inner());
    match hold.as_deref_mut() {
        Some(h) => {
            lock().calls.push(call.clone());
            h.returned(&call);
        }
        None => lock().calls.push(call),
    }
}

/// The closes a holder was told of have happened: it is told they returned.
fn closed(hold: &mut Option<Box<dyn Hold>>, closes: Option<Vec<Call>>) {
    if let Some(h) = hold.as_deref_mut() {
        for close in closes.unwrap_or_default() {
            h.returned(&close);
        }
    }
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
