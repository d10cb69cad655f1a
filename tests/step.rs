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
