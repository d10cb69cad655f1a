//! Every process a run left behind, ended: those that left the client's (or
//! server's) process group too (`setsid`, a daemon's double fork). When this
//! process is a child subreaper (the `tcp-boundary check` binary makes
//! itself one), such orphans come back to us instead of to init, and
//! [`end_descendants`] ends every process left under us.

use std::thread;
use std::time::{Duration, Instant};

/// How long [`end_descendants`] waits for what it killed to be gone.
const SWEEP_PATIENCE: Duration = Duration::from_secs(2);

/// Whether orphans come to this process rather than to init: it is a child
/// subreaper. Only the `tcp-boundary check` binary makes itself one. A
/// program that runs checks on threads of its own (the tests run many at
/// once) is not, and then nothing is swept: the processes under it are not
/// one check's alone.
fn subreaper() -> bool {
    let mut set: libc::c_int = 0;
    // SAFETY: PR_GET_CHILD_SUBREAPER writes one int through a valid pointer.
    let asked = unsafe { libc::prctl(libc::PR_GET_CHILD_SUBREAPER, &mut set as *mut libc::c_int) };
    asked == 0 && set != 0
}

/// A process as `/proc/PID/stat` shows it.
struct Proc {
    pid: i32,
    ppid: i32,
    /// Dead (a zombie, or on its way out): nothing left to kill.
    dead: bool,
}

/// Every process `/proc` lists (threads are not listed, only processes).
fn processes() -> Vec<Proc> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|entry| {
            let pid: i32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // `PID (COMM) STATE PPID …`: the name may hold spaces and
            // parentheses, so the fields are counted after the last `)`.
            let mut fields = stat.get(stat.rfind(')')? + 1..)?.split_whitespace();
            let state = fields.next()?;
            let ppid = fields.next()?.parse().ok()?;
            Some(Proc {
                pid,
                ppid,
                dead: matches!(state, "Z" | "X" | "x"),
            })
        })
        .collect()
}

/// The processes under `root`: its children, theirs, and so on.
fn under(table: &[Proc], root: i32) -> Vec<&Proc> {
    let mut found: Vec<&Proc> = Vec::new();
    let mut parents = vec![root];
    while let Some(parent) = parents.pop() {
        for p in table.iter().filter(|p| p.ppid == parent && p.pid != root) {
            if !found.iter().any(|f| f.pid == p.pid) {
                found.push(p);
                parents.push(p.pid);
            }
        }
    }
    found
}

/// End every process under us: the run's leftovers, those that left its
/// process group included (they came back to us as orphans). Only when we
/// are the subreaper; at most [`SWEEP_PATIENCE`]. With `reap`, the dead
/// among our own children are waited for, so none stays a zombie: only when
/// no `Child` of ours is still to be waited for by its owner.
pub(super) fn end_descendants(reap: bool) {
    if !subreaper() {
        return;
    }
    let me = std::process::id() as i32;
    let deadline = Instant::now() + SWEEP_PATIENCE;
    loop {
        let table = processes();
        let mut alive = false;
        for p in under(&table, me) {
            if !p.dead {
                alive = true;
                // SAFETY: kill sends a signal to a process under us; one that
                // has just ended is an error we ignore.
                unsafe {
                    libc::kill(p.pid, libc::SIGKILL);
                }
            } else if reap && p.ppid == me {
                let mut status = 0;
                // SAFETY: waitpid for a child of ours that has ended, without
                // blocking; it writes its status through a valid pointer.
                unsafe {
                    libc::waitpid(p.pid, &mut status, libc::WNOHANG);
                }
            }
        }
        // Killed ones take a moment to die, and their orphans to come to
        // us: until a look finds nothing alive.
        if !alive || Instant::now() >= deadline {
            return;
        }
        thread::sleep(Duration::from_millis(2));
    }
}

/// Whether a process we started left one alive under us (a daemon that
/// forked away and goes on): only known when we are the subreaper.
pub(super) fn detached_alive() -> bool {
    if !subreaper() {
        return false;
    }
    let me = std::process::id() as i32;
    under(&processes(), me).iter().any(|p| !p.dead)
}
