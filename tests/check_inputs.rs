//! `tcp-boundary check`'s processes and inputs: every process a client or a
//! server under test leaves, detached from its group or not, ends with the
//! check; a request file that is not a regular file, a report path that
//! cannot be written and a server command that does not say where to listen
//! are each one clear line, before the first run.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::{check, python, tcp_boundary_bin, wait_limited, write_script};

/// How long a killed process may take to be gone once `check` has exited.
const GONE_WITHIN: Duration = Duration::from_secs(2);

/// How long a check that refuses its input may take: no run is made.
const REFUSED_WITHIN: Duration = Duration::from_secs(10);

/// A marker no other test's process holds: `sleep` for about `secs` seconds
/// (so that a process the check failed to end still ends by itself), the
/// digits after the point this test process's id and `which`.
fn marker(secs: u32, which: u32) -> String {
    format!("{secs}.{}{which}", std::process::id())
}

/// Whether process `pid` is still running with `marker` in its command line
/// (a zombie's is empty; a pid used again by another program holds no marker).
fn running(pid: u32, marker: &str) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
        String::from_utf8_lossy(&c)
            .replace('\0', " ")
            .contains(marker)
    })
}

/// Whether process `pid` (with `marker`) is gone within [`GONE_WITHIN`].
fn gone(pid: u32, marker: &str) -> bool {
    let deadline = Instant::now() + GONE_WITHIN;
    while running(pid, marker) {
        if Instant::now() > deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(20));
    }
    true
}

/// The pid a test program wrote to `file`, waiting for it up to 10 s.
fn pid_in(file: &Path) -> u32 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(pid) = std::fs::read_to_string(file)
            .ok()
            .and_then(|t| t.trim().parse().ok())
        {
            return pid;
        }
        assert!(
            Instant::now() < deadline,
            "{} never written",
            file.display()
        );
        thread::sleep(Duration::from_millis(20));
    }
}

/// A correct client of the echo protocol that first starts `sleep MARKER`
/// in a session of its own (`setsid`: out of the client's process group,
/// which is what `check` used to end), its pid written to PIDFILE. Its
/// arguments: ADDR MARKER PIDFILE [hold], `hold` to wait instead of talking.
/// The pid is written by `sh -c '… exec sleep MARKER'`, whose command line
/// already holds `sleep MARKER`: a pid read from the file is never that of a
/// process not yet marked.
const DETACHING_CLIENT: &str = r#"
import os, socket, sys, time
addr, marker, pidfile = sys.argv[1:4]
if os.fork() == 0:
    os.setsid()
    os.execvp("sh", ["sh", "-c", 'echo $$ > "$0.tmp" && mv "$0.tmp" "$0" && exec sleep ' + marker, pidfile])
# The child has told its pid before the client goes on: a client that ends
# first would have its run's end take the child before it said who it is.
deadline = time.time() + 10
while not os.path.exists(pidfile) and time.time() < deadline:
    time.sleep(0.01)
if len(sys.argv) > 4:
    time.sleep(30)
    sys.exit(1)
host, port = addr.rsplit(":", 1)
s = socket.create_connection((host, int(port)))
for m in [b"hello, class\n", b"TCP is a byte stream\n"]:
    s.sendall(m)
    got = b""
    while len(got) < len(m):
        d = s.recv(len(m) - len(got))
        if not d:
            sys.exit(1)
        got += d
    if got != m:
        sys.exit(1)
"#;

/// An echo server that daemonises as daemons do: it listens, then forks,
/// the child starts a session of its own and forks again, and the
/// grandchild (its pid written to PIDFILE) serves while the first two exit
/// 0. Arguments: PORT PIDFILE. The daemon ends by itself after 30 s,
/// whatever the check does.
const DAEMON_SERVER: &str = r#"
import os, signal, socket, sys
srv = socket.create_server(("127.0.0.1", int(sys.argv[1])))
pidfile = sys.argv[2]
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        signal.alarm(30)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        with open(pidfile + ".tmp", "w") as f:
            f.write(str(os.getpid()))
        os.rename(pidfile + ".tmp", pidfile)
        while True:
            c, _ = srv.accept()
            with c:
                while True:
                    d = c.recv(65536)
                    if not d:
                        break
                    c.sendall(d)
    os._exit(0)
os.wait()
"#;

#[test]
fn what_a_client_detaches_from_its_group_ends_with_its_run() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let client = write_script(dir.path(), "detaching", DETACHING_CLIENT);
    let marker = marker(29, 1);
    let pidfile = dir.path().join("sleep.pid");
    let out = check(&[
        "--shape",
        "whole",
        "--",
        py,
        &client,
        "{addr}",
        &marker,
        pidfile.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let pid = pid_in(&pidfile);
    assert!(
        gone(pid, &format!("sleep {marker}")),
        "the client's detached child (pid {pid}) outlived check"
    );
}

#[test]
fn a_daemonising_server_s_daemon_ends_with_the_check() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = write_script(dir.path(), "daemon", DAEMON_SERVER);
    let pidfile = dir.path().join("daemon.pid");
    let out = check(&[
        "--server",
        "--shape",
        "whole",
        "--",
        py,
        &server,
        "{port}",
        pidfile.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    // The daemon served the check (the first process had exited), and is
    // gone: it no longer listens.
    let pid = pid_in(&pidfile);
    assert!(
        gone(pid, &server),
        "the server's daemon (pid {pid}) outlived check"
    );
}

#[test]
fn sigterm_to_check_ends_what_its_client_detached() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let client = write_script(dir.path(), "holding", DETACHING_CLIENT);
    let marker = marker(28, 2);
    let pidfile = dir.path().join("sleep.pid");
    let mut check = Command::new(tcp_boundary_bin())
        .args(["check", "--shape", "whole", "--", py, &client, "{addr}"])
        .args([marker.as_str(), pidfile.to_str().unwrap(), "hold"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let pid = pid_in(&pidfile);
    assert!(running(pid, &format!("sleep {marker}")));
    assert!(
        Command::new("kill")
            .args(["-TERM", &check.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let status = wait_limited(&mut check);
    assert_eq!(status.code(), Some(130), "{status:?}");
    assert!(
        gone(pid, &format!("sleep {marker}")),
        "the client's detached child (pid {pid}) outlived check"
    );
}

/// `check ARGS` is refused with `code` and one error line holding `said`,
/// before any run and within [`REFUSED_WITHIN`].
fn refused(args: &[&str], code: i32, said: &str) -> Output {
    let started = Instant::now();
    let out = assert_cmd::Command::new(tcp_boundary_bin())
        .arg("check")
        .args(args)
        .timeout(REFUSED_WITHIN * 2)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "{args:?}: {out:?}");
    assert!(err.starts_with("error: ") && err.contains(said), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(out.stdout.is_empty(), "no run before the error: {out:?}");
    assert!(started.elapsed() < REFUSED_WITHIN, "{args:?}");
    out
}

/// A FIFO at `path`, with no writer and no reader.
fn fifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(made.success(), "mkfifo {}", path.display());
}

#[test]
fn requests_are_read_from_regular_files_only_and_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let pipe = dir.path().join("requests.fifo");
    fifo(&pipe);
    let directory = dir.path().to_str().unwrap();
    for path in ["/dev/zero", pipe.to_str().unwrap(), directory] {
        refused(
            &["--server", "--requests", path, "--", "true"],
            2,
            &format!("--requests {path}: not a regular file"),
        );
    }
    // A regular file past the limit is refused by its size, unread.
    let large = dir.path().join("large");
    std::fs::write(&large, vec![b'x'; 64 * 1024 + 1]).unwrap();
    refused(
        &[
            "--server",
            "--requests",
            large.to_str().unwrap(),
            "--",
            "true",
        ],
        2,
        "65537 bytes, more than the 65536 a request may hold",
    );
}

#[test]
fn a_report_path_that_cannot_be_written_is_exit_3_before_the_first_run() {
    let dir = tempfile::tempdir().unwrap();
    let pipe = dir.path().join("report.fifo");
    fifo(&pipe);
    let directory = dir.path().to_str().unwrap();
    for path in ["/dev/full", "/dev/null", pipe.to_str().unwrap(), directory] {
        let said = format!("cannot write the JUnit report {path}: not a regular file");
        refused(
            &["--junit", path, "--shape", "whole", "--", "true"],
            3,
            &said,
        );
        refused(
            &[
                "--server", "--junit", path, "--shape", "whole", "--", "true",
            ],
            3,
            &said,
        );
    }
}

#[test]
fn a_server_that_was_not_told_where_to_listen_is_said_so() {
    // Neither `{port}` nor `{addr}`: told only by TCP_BOUNDARY_PORT, which
    // this server does not read.
    let hint = "its command has no {port} or {addr}, so it was told where to listen only by TCP_BOUNDARY_PORT";
    let out = refused(
        &["--server", "--start-timeout", "1", "--", "sleep", "3"],
        3,
        "the server did not listen on 127.0.0.1:",
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("within 1 s: {hint}")), "{err}");
    // Told by `{port}` (or `{addr}`), and still not listening: no hint.
    for word in ["{port}", "{addr}"] {
        let out = refused(
            &[
                "--server",
                "--start-timeout",
                "1",
                "--",
                "sh",
                "-c",
                "sleep 3",
                word,
            ],
            3,
            "the server did not listen on 127.0.0.1:",
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("{port}"), "{err}");
    }
}
