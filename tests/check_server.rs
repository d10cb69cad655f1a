//! `tcp-boundary check --server`: servers written for these tests (one per
//! bug, in Python), the chapter's server in C, our echo server, and real
//! servers (Redis, Python's `http.server`). A server that frames by reads
//! must fail with the split that breaks it and a command that fails again;
//! correct ones must pass, dates in their replies included.

mod common;

use std::path::Path;

use common::{check, failed_shapes, python, write_script};
use serde_json::Value;

/// `check --server --json EXTRA -- COMMAND`: the report and the exit code.
fn check_json(extra: &[&str], command: &[&str]) -> (Value, i32) {
    common::check_json(&[&["--server"], extra].concat(), command)
}

/// A line server: `OK ` and the line back for each line. With `naive` as
/// its second argument it takes one `recv` for one request: the bug.
const LINE_SERVER: &str = r#"
import socket, sys, threading
srv = socket.create_server(("127.0.0.1", int(sys.argv[1])))
naive = len(sys.argv) > 2
def serve(c):
    buf = b""
    with c:
        while True:
            d = c.recv(1024)
            if not d:
                return
            if naive:
                c.sendall(b"OK " + d.strip() + b"\n")
                continue
            buf += d
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                c.sendall(b"OK " + line + b"\n")
while True:
    threading.Thread(target=serve, args=(srv.accept()[0],), daemon=True).start()
"#;

#[test]
fn a_server_that_takes_one_read_for_one_request_fails_at_its_first_split() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = write_script(dir.path(), "line", LINE_SERVER);
    let (report, code) = check_json(&[], &[py, &server, "{port}"]);
    assert_eq!(code, 0, "the correct one passes: {report:#}");
    assert_eq!(report["verdict"], "pass");
    let (report, code) = check_json(&[], &[py, &server, "{port}", "naive"]);
    assert_eq!(code, 1, "{report:#}");
    let failed = failed_shapes(&report);
    for shape in ["split", "one-byte", "merged"] {
        assert!(failed.contains(&shape.to_string()), "{shape}: {report:#}");
    }
    let split = &report["runs"][1];
    assert_eq!(split["shape"], "split");
    assert_eq!(split["blame"], "server");
    let reason = split["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(r"request 1 split after byte 1 (h│ello, class\n)"),
        "{reason}"
    );
    assert!(
        reason.ends_with("split points tried: all 61, 60 of them fail"),
        "{reason}"
    );
    // The reproduce command fails again, at that split alone.
    let words = shlex::split(split["reproduce"].as_str().unwrap()).unwrap();
    assert_eq!(words[..4], ["tcp-boundary", "check", "--server", "--shape"]);
    assert!(words.contains(&"--at".to_string()), "{words:?}");
    let mut args = vec!["--json".to_string()];
    args.extend(words[2..].iter().cloned());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = check(&args);
    assert_eq!(out.status.code(), Some(1), "{words:?}");
    let again: Value = serde_json::from_slice(&out.stdout).unwrap();
    let again = again["runs"][0]["reason"].as_str().unwrap();
    assert!(
        again.starts_with(r"request 1 split after byte 1 (h│ello, class\n)")
            && again.ends_with("split points tried: the one asked for (--at), 1 of them fail"),
        "{again}"
    );
}

#[test]
fn a_server_that_dies_on_a_partial_request_fails_saying_so() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = write_script(
        dir.path(),
        "dies",
        r#"
import socket, sys, os
srv = socket.create_server(("127.0.0.1", int(sys.argv[1])))
while True:
    c, _ = srv.accept()
    while True:
        d = c.recv(1024)
        if not d:
            break
        if not d.endswith(b"\n"):
            os._exit(3)
        c.sendall(d)
    c.close()
"#,
    );
    let (report, code) = check_json(&[], &[py, &server, "{port}"]);
    assert_eq!(code, 1, "{report:#}");
    let runs = report["runs"].as_array().unwrap();
    assert_eq!(runs[0]["passed"], true, "whole requests do not kill it");
    let split = &runs[1];
    assert_eq!(split["ended"], "exited");
    assert_eq!(split["code"], 3);
    assert_eq!(
        split["reason"],
        r"the server exited with status 3 after request 1 split after byte 1 (h│ello, class\n)"
    );
    // It is started again for the next shapes: merged sends whole requests.
    let merged = runs.iter().find(|r| r["shape"] == "merged").unwrap();
    assert_eq!(merged["passed"], true, "{merged:#}");
}

#[test]
fn our_echo_server_and_the_chapter_s_server_pass() {
    // Ours serves five clients, as the book's, then ends well: it is started
    // again between connections.
    let (report, code) = check_json(&[], &[common::echo_server_bin(), "{port}"]);
    assert_eq!(code, 0, "{report:#}");
    let chapter =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("book/echo_server.c"))
            .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let Some(binary) = common::compile_c(dir.path(), "server", &chapter) else {
        return;
    };
    let (report, code) = check_json(&[], &[binary.to_str().unwrap(), "{port}"]);
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn real_servers_pass_dates_in_their_replies_included() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.txt"), "hello, class\n").unwrap();
    let root = dir.path().to_str().unwrap();
    let (report, code) = check_json(
        &["--request", r"GET /index.txt HTTP/1.0\r\n\r\n"],
        &[
            py,
            "-m",
            "http.server",
            "{port}",
            "--bind",
            "127.0.0.1",
            "--directory",
            root,
        ],
    );
    assert_eq!(code, 0, "{report:#}");
    // A clock in every reply: ignored as the default pattern says (an HTTP
    // Date line), or as --ignore says.
    let clock = write_script(
        dir.path(),
        "clock",
        r#"
import socket, sys, threading, time
srv = socket.create_server(("127.0.0.1", int(sys.argv[1])))
def serve(c):
    f = c.makefile("rb")
    with c:
        for line in f:
            c.sendall(b"Date: %.6f\r\nOK " % time.time() + line)
while True:
    threading.Thread(target=serve, args=(srv.accept()[0],), daemon=True).start()
"#,
    );
    let (report, code) = check_json(&[], &[py, &clock, "{port}"]);
    assert_eq!(code, 0, "{report:#}");
    let (report, code) = check_json(&["--ignore", "nothing"], &[py, &clock, "{port}"]);
    assert_eq!(code, 1, "without the pattern the clock differs: {report:#}");
    if let Some(redis) = which("redis-server") {
        let (report, code) = check_json(
            &[
                "--request",
                r"*1\r\n$4\r\nPING\r\n",
                "--request",
                r"*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n",
            ],
            &[
                &redis,
                "--port",
                "{port}",
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
        );
        assert_eq!(code, 0, "{report:#}");
    }
}

fn which(program: &str) -> Option<String> {
    let found = std::process::Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    if found.is_none() {
        assert!(
            std::env::var_os("TCP_BOUNDARY_REQUIRE_TOOLS").is_none(),
            "{program} is missing, and CI requires it"
        );
    }
    found
}

#[test]
fn a_server_that_never_listens_is_a_check_that_cannot_be_made() {
    let started = std::time::Instant::now();
    let out = check(&["--server", "--start-timeout", "1", "--", "sleep", "10"]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("did not listen on 127.0.0.1:") && err.contains("within 1 s"),
        "{err}"
    );
    // Its 1 s, not the default 5 s.
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let out = check(&["--server", "--", "sh", "-c", "echo no port >&2; exit 4"]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("the server exited with status 4 before it listened")
            && err.contains("no port"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn server_shapes_and_split_points_are_checked_as_usage() {
    for (args, said) in [
        (
            &["--server", "--shape", "small-buffers", "--", "true"][..],
            "is for clients",
        ),
        (
            &["--server", "--at", "3", "--", "true"],
            "--at needs --shape split",
        ),
        (
            &["--server", "--shape", "split", "--at", "99", "--", "true"],
            "--at 99",
        ),
        (
            &["--server", "--request", r"bad\q", "--", "true"],
            "--request",
        ),
        (&["--server", "--ignore", "(", "--", "true"], "--ignore"),
        (&["--shape", "concurrent", "--", "true"], "is for servers"),
    ] {
        let out = check(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(said), "{args:?}: {err}");
    }
}
