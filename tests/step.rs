//! `run --step` on a real terminal: tmux at 80x24, keys sent as a class's
//! teacher would press them, the screen read back.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux server of our own (its own socket), killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(command: &str) -> Option<Tmux> {
        let found = Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            assert!(
                std::env::var_os("TCP_BOUNDARY_REQUIRE_TOOLS").is_none(),
                "tmux is missing, and CI requires it"
            );
            eprintln!("--step check skipped: tmux not found (Debian: apt-get install tmux)");
            return None;
        }
        // A server of its own for each test: they run side by side.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmux = Tmux {
            socket: format!("tcp-boundary-step-{}-{n}", std::process::id()),
        };
        let ok = tmux
            .cmd(&[
                "new-session",
                "-d",
                "-s",
                "class",
                "-x",
                "80",
                "-y",
                "24",
                command,
            ])
            .status
            .success();
        assert!(ok, "tmux did not start");
        Some(tmux)
    }

    fn cmd(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .unwrap()
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "class"]).stdout)
            .into_owned()
    }

    fn keys(&self, keys: &str) {
        assert!(
            self.cmd(&["send-keys", "-t", "class", keys])
                .status
                .success()
        );
    }

    /// Wait until the screen shows `what`.
    fn wait_for(&self, what: &str) -> String {
        let deadline = Instant::now() + common::LIMIT;
        loop {
            let screen = self.screen();
            if screen.contains(what) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "no {what:?} on screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}

#[test]
fn step_keeps_its_header_without_blank_rows_and_q_ends_it() {
    let command = format!(
        "env -u COLUMNS -u LINES LC_ALL=C.UTF-8 LANG=C.UTF-8 {} run five-clients --step; \
         echo RUN-ENDED; sleep 60",
        common::tcp_boundary_bin()
    );
    let Some(tmux) = Tmux::start(&command) else {
        return;
    };
    // The keys are said before the first row.
    tmux.wait_for("Enter: next row · q: quit");
    for _ in 0..15 {
        tmux.keys("Enter");
    }
    // 15 Enters: the screen begins, then 14 rows after the folded setup.
    let screen = tmux.wait_for("\n  17  ");
    let lines: Vec<&str> = screen.lines().collect();
    assert!(
        lines[0].contains("client") && lines[0].contains("server"),
        "the header is gone:\n{screen}"
    );
    assert!(
        !screen.contains("  18  "),
        "more rows than Enters:\n{screen}"
    );
    // The rows follow one another: no blank row between them (no echo).
    let last_row = lines.iter().rposition(|l| l.starts_with("  17  ")).unwrap();
    assert!(
        lines[..=last_row].iter().all(|l| !l.trim().is_empty()),
        "a blank row:\n{screen}"
    );
    assert!(
        lines.last().is_some_and(|l| l.contains("q: quit")),
        "the keys are not said:\n{screen}"
    );
    tmux.keys("q");
    let end = tmux.wait_for("RUN-ENDED");
    assert!(!end.contains("  18  "), "q showed more rows:\n{end}");
}

/// A run that waits in real time says what for, on the terminal, in the
/// class's language (on standard error, so even with the report piped on);
/// with standard error not a terminal it says nothing of it.
#[test]
fn backlog_says_what_it_waits_for_on_a_terminal_only() {
    let command = format!(
        "env -u COLUMNS -u LINES LC_ALL=C.UTF-8 LANG=C.UTF-8 {} run backlog --reader naive \
         --lang ko --no-pager | tail -1; echo RUN-ENDED; sleep 60",
        common::tcp_boundary_bin()
    );
    let Some(tmux) = Tmux::start(&command) else {
        return;
    };
    let screen = tmux.wait_for("RUN-ENDED");
    let said = tcp_boundary::lang::Lang::Ko
        .say("wait-syn", &[("client", tcp_boundary::lang::Arg::Num(4))]);
    assert!(screen.contains(&said), "{said:?} not on screen:\n{screen}");
    // Standard error piped: not a word of it.
    let out = common::run_with_input(
        common::tcp_boundary_bin(),
        &["run", "backlog", "--reader", "naive", "--json"],
        b"",
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(common::text(&out.stderr), "");
}

/// The local flags of the terminal whose side `fd` is.
fn local_flags(fd: std::os::fd::RawFd) -> libc::tcflag_t {
    // SAFETY: a termios filled by tcgetattr on an open descriptor.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        assert_eq!(libc::tcgetattr(fd, &mut t), 0);
        t.c_lflag
    }
}

#[test]
fn a_signal_sent_to_step_gives_the_terminal_back() {
    use std::os::fd::AsRawFd;
    use std::os::unix::process::ExitStatusExt;
    let cooked = libc::ECHO | libc::ICANON | libc::ISIG;
    for sig in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP, libc::SIGQUIT] {
        // A pseudo-terminal of the test's own: `run --step` on its side.
        let (leader, follower) = tcp_boundary::transport::pty().unwrap();
        // Neither side is handed to the child but as its standard streams.
        for fd in [&leader, &follower] {
            // SAFETY: a flag set on a descriptor just opened.
            unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) };
        }
        assert_eq!(local_flags(follower.as_raw_fd()) & cooked, cooked);
        let mut command = Command::new(common::tcp_boundary_bin());
        // SAFETY: setrlimit is async-signal safe; only the child's limit is
        // set. SIGQUIT's default action dumps core: no core file is left.
        unsafe {
            use std::os::unix::process::CommandExt;
            command.pre_exec(|| {
                let none = libc::rlimit {
                    rlim_cur: 0,
                    rlim_max: 0,
                };
                libc::setrlimit(libc::RLIMIT_CORE, &none);
                Ok(())
            });
        }
        let mut child = command
            .args(["run", "five-clients", "--step"])
            .stdin(follower.try_clone().unwrap())
            .stdout(follower.try_clone().unwrap())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // The command holds copies of the terminal's side: let go of them,
        // so that the reader sees the end once the child is gone.
        drop(command);
        // Its output is read, so that it never waits on a full terminal.
        let mut screen = std::fs::File::from(leader);
        let reader = std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = std::io::Read::read_to_end(&mut screen, &mut sink);
        });
        // Raw mode once it waits for its first key.
        let deadline = Instant::now() + common::LIMIT;
        while local_flags(follower.as_raw_fd()) & cooked == cooked {
            assert!(Instant::now() < deadline, "never in raw mode");
            std::thread::sleep(Duration::from_millis(10));
        }
        // SAFETY: a signal to our own child, not yet waited for.
        unsafe { libc::kill(child.id() as libc::pid_t, sig) };
        let status = common::wait_limited(&mut child);
        assert_eq!(status.signal(), Some(sig), "{status:?}");
        let flags = local_flags(follower.as_raw_fd());
        assert_eq!(flags & cooked, cooked, "signal {sig}: lflag {flags:#o}");
        drop(follower);
        let _ = reader.join();
    }
}
