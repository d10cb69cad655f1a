//! The program a tool is running now, as a process group: so that a Ctrl-C
//! or SIGTERM (handled on a thread of its own) ends it whole, the processes
//! it started included, and the tool can still say what it saw. `trace`'s
//! program and `check`'s client or server each start in a group of their
//! own, which [`ProgramGroup`] keeps until they have ended.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::transport::trace::end_group;

/// How long [`ProgramGroup::end`] waits for a program being started to have a
/// group it can end.
const STARTING_PATIENCE: Duration = Duration::from_millis(500);

/// The process group of the program running now (its leader's pid; 0: none).
#[derive(Debug)]
pub struct ProgramGroup {
    leader: AtomicI32,
    starting: AtomicBool,
}

impl ProgramGroup {
    /// No program running.
    pub const fn new() -> Self {
        ProgramGroup {
            leader: AtomicI32::new(0),
            starting: AtomicBool::new(false),
        }
    }

    /// Start a program with `start` (in a group of its own, which `id`'s
    /// process leads), known to [`ProgramGroup::end`] as soon as it has started.
    pub fn track<T>(
        &self,
        start: impl FnOnce() -> io::Result<T>,
        id: impl Fn(&T) -> u32,
    ) -> io::Result<T> {
        self.starting.store(true, Ordering::SeqCst);
        let started = start();
        if let Ok(program) = &started {
            self.leader.store(id(program) as i32, Ordering::SeqCst);
        }
        self.starting.store(false, Ordering::SeqCst);
        started
    }

    /// The program has ended: nothing for [`ProgramGroup::end`] to end.
    pub fn forget(&self) {
        self.leader.store(0, Ordering::SeqCst);
    }

    /// End the program running now, and every process of its group. A
    /// program being started has a group a moment later: that is waited for,
    /// so that it does not outlive us.
    pub fn end(&self) {
        let deadline = Instant::now() + STARTING_PATIENCE;
        while self.starting.load(Ordering::SeqCst) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(1));
        }
        let leader = self.leader.load(Ordering::SeqCst);
        if leader > 0 {
            end_group(leader as u32);
        }
    }
}

impl Default for ProgramGroup {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::{CommandExt, ExitStatusExt};
    use std::process::Command;

    /// A program started in a group of its own, with a child of its own:
    /// `end` ends both, and once it is forgotten `end` ends nothing.
    #[test]
    fn end_ends_the_tracked_group_whole() {
        let running = ProgramGroup::new();
        let mut shell = running
            .track(
                || {
                    Command::new("sh")
                        .args(["-c", "sleep 30 & wait"])
                        .process_group(0)
                        .spawn()
                },
                |c| c.id(),
            )
            .unwrap();
        let leader = shell.id();
        // The shell's child is in its group: wait until it is there.
        let deadline = Instant::now() + Duration::from_secs(10);
        // The live processes of the group (a zombie is gone, only not yet
        // reaped): from /proc/PID/stat, its state and its group after the
        // command's name.
        let members = || {
            std::fs::read_dir("/proc")
                .unwrap()
                .filter_map(|e| {
                    let stat = std::fs::read_to_string(e.ok()?.path().join("stat")).ok()?;
                    let after = &stat[stat.rfind(')')? + 2..];
                    let fields: Vec<&str> = after.split(' ').collect();
                    (fields[0] != "Z" && fields[2] == leader.to_string()).then_some(())
                })
                .count()
        };
        while members() < 2 && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(members(), 2);
        running.end();
        assert!(shell.wait().unwrap().signal() == Some(libc::SIGKILL));
        let deadline = Instant::now() + Duration::from_secs(10);
        while members() > 0 && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(members(), 0, "the shell's child outlived its group's end");
        // Forgotten: a group that is gone (and whose number could be reused)
        // is left alone.
        running.forget();
        assert_eq!(running.leader.load(Ordering::SeqCst), 0);
    }
}
