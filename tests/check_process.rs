//! `tcp-boundary check` and the client's process: its whole process group
//! ends with its run, its command is quoted, and a check that cannot be made
//! exits 3 before any run.

mod common;

use common::{check, check_json, python, tcp_boundary_bin, write_script};

/// A correct client of messages of `SIZE` bytes (its second argument).
const SIZED: &str = include_str!("../benchmark/clients/sized.py");

/// Whether a process whose command line holds `marker` is running.
fn running(marker: &str) -> bool {
    std::fs::read_dir("/proc").unwrap().flatten().any(|entry| {
        std::fs::read(entry.path().join("cmdline")).is_ok_and(|c| {
            String::from_utf8_lossy(&c)
                .replace('\0', " ")
                .contains(marker)
        })
    })
}

#[test]
fn the_client_s_whole_process_group_ends_with_its_run() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let sized = write_script(dir.path(), "sized", SIZED);
    // A child left running does not keep the check waiting, and is gone.
    // (The markers are arguments of `sh -c`, so that check's own command
    // line does not hold `sleep MARKER`.)
    let marker = "37.25";
    let started = std::time::Instant::now();
    let command = format!("sleep \"$1\" & exec {py} {sized} \"$0\" 13");
    let (report, code) = check_json(
        &["--shape", "chunks"],
        &["sh", "-c", &command, "{addr}", marker],
    );
    assert_eq!(code, 0, "{report:#}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert!(!running(&format!("sleep {marker}")));
    // SIGTERM to check ends its client, children included.
    let marker = "41.75";
    let mut check = std::process::Command::new(tcp_boundary_bin())
        .args(["check", "--shape", "whole", "--", "sh", "-c"])
        .args(["sleep \"$0\"; sleep \"$0\"", marker])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !running(&format!("sleep {marker}")) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let pid = check.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    common::wait_limited(&mut check);
    // Killed as check ends: gone within moments (polled, not slept on).
    let gone = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while running(&format!("sleep {marker}")) && std::time::Instant::now() < gone {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(
        !running(&format!("sleep {marker}")),
        "the client outlived check"
    );
}

#[test]
fn a_check_that_cannot_be_made_exits_3_before_any_run() {
    let refused = common::refused_port();
    let unwritable = "/nonexistent-dir/check.xml";
    let cases: [(&[&str], &str); 3] = [
        (
            &["--", "no-such-client-program"],
            "cannot run no-such-client-program",
        ),
        (
            &["--upstream", &refused.addr.to_string(), "--", "true"],
            "cannot connect to the upstream server",
        ),
        (
            &["--junit", unwritable, "--", "true"],
            "cannot write the JUnit report",
        ),
    ];
    for (args, said) in cases {
        let started = std::time::Instant::now();
        let out = check(args);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {out:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.starts_with("error: ") && err.contains(said), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(out.stdout.is_empty(), "no run before the error");
        // Before any run: at once, even on a loaded machine.
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{args:?}"
        );
    }
}

#[test]
fn a_command_s_control_characters_are_quoted_not_printed() {
    // The client's argument holds a terminal's title sequence.
    let out = check(&["--shape", "whole", "--", "true", "a\u{1b}]0;owned\u{7}b"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        !out.stdout.contains(&0x1b) && !out.stdout.contains(&0x07),
        "{out:?}"
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(r"reproduce: tcp-boundary check --shape whole -- true $'a\x1b]0;owned\x07b'"),
        "{text}"
    );
    let (report, _) = check_json(&["--shape", "whole"], &["true", "a\u{202e}b"]);
    assert!(
        report["runs"][0]["reproduce"]
            .as_str()
            .unwrap()
            .ends_with(r"true $'a\u202eb'"),
        "{report:#}"
    );
}
