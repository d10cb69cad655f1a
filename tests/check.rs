//! `tcp-boundary check` on clients written for these tests, one per bug, in
//! Python (as a user's client would be), and on a real server through
//! `--upstream`. Each buggy client must be reported failing with a command
//! that fails again the same way, blamed on the side whose reads broke; the
//! correct one must pass every shape.

mod common;

use common::{check, check_json, failed_shapes, python, python_client, write_script};
use serde_json::Value;

/// One read per reply: the classic bug.
const ONE_READ: &str = r#"
for m in MESSAGES:
    s.sendall(m)
    r = s.recv(1024)
    if r != m:
        fail("wrong reply %r" % r)
print("all replies right")
"#;

/// A length header, assumed to arrive in one read.
const WHOLE_HEADER: &str = r#"
for m in MESSAGES:
    s.sendall(struct.pack(">I", len(m)) + m)
    header = s.recv(4)
    (n,) = struct.unpack(">I", header)
    body = b""
    while len(body) < n:
        chunk = s.recv(n - len(body))
        if not chunk:
            fail("closed mid-reply")
        body += chunk
    if body != m:
        fail("wrong reply %r" % body)
print("all replies right")
"#;

/// Reads until the reply is whole or the stream ends, and takes an early end
/// for the end of the reply.
const EARLY_END: &str = r#"
for m in MESSAGES:
    s.sendall(m)
    got = b""
    ended = False
    while len(got) < len(m):
        chunk = s.recv(1024)
        if not chunk:
            ended = True
            break
        got += chunk
    print("reply:", got)
    if ended:
        break
print("done")
"#;

/// Reads until the whole reply is back; an early end is an error.
const CORRECT: &str = r#"
for m in MESSAGES:
    s.sendall(m)
    got = b""
    while len(got) < len(m):
        chunk = s.recv(1024)
        if not chunk:
            fail("the server closed mid-reply")
        got += chunk
    if got != m:
        fail("wrong reply %r" % got)
print("all replies right")
"#;

/// Never finishes.
const HANGS: &str = r#"
import time
time.sleep(600)
"#;

/// Each failure's reproduce command, run as printed (with our binary for
/// `tcp-boundary`), fails again with the same reason.
fn reproduce_each_failure(report: &Value) {
    for run in report["runs"].as_array().unwrap() {
        if run["passed"] == true {
            continue;
        }
        let words = shlex::split(run["reproduce"].as_str().unwrap()).unwrap();
        assert_eq!(words[..2], ["tcp-boundary", "check"], "{words:?}");
        let mut args = vec!["--json".to_string()];
        args.extend(words[2..].iter().cloned());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = check(&args);
        assert_eq!(out.status.code(), Some(1), "{words:?}");
        let again: Value = serde_json::from_slice(&out.stdout).unwrap();
        let again = &again["runs"][0];
        assert_eq!(again["shape"], run["shape"]);
        assert_eq!(again["passed"], false);
        assert_eq!(again["reason"], run["reason"], "{words:?}");
    }
}

#[test]
fn each_buggy_client_fails_with_a_command_that_fails_again() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "one_read",
            ONE_READ,
            vec![
                "one-byte", "chunks", "random 1", "random 2", "random 3", "stall",
            ],
        ),
        (
            "whole_header",
            WHOLE_HEADER,
            vec!["one-byte", "chunks", "random 1", "random 2", "random 3"],
        ),
        ("early_end", EARLY_END, vec!["cut"]),
    ];
    for (name, body, broken_by) in cases {
        let script = python_client(dir.path(), name, body);
        let (report, code) = check_json(&[], &[py, script.to_str().unwrap(), "{addr}"]);
        assert_eq!(code, 1, "{name}: {report}");
        assert_eq!(failed_shapes(&report), broken_by, "{name}: {report:#}");
        // The simplest shape that breaks it is never the unshaped one.
        assert_eq!(report["runs"][0]["passed"], true, "{name}");
        reproduce_each_failure(&report);
    }
}

#[test]
fn a_correct_client_passes_every_shape_and_junit_says_so() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let script = python_client(dir.path(), "correct", CORRECT);
    let junit = dir.path().join("check.xml");
    let (report, code) = check_json(
        &["--junit", junit.to_str().unwrap()],
        &[py, script.to_str().unwrap(), "{addr}"],
    );
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["runs"].as_array().unwrap().len(), 10);
    assert_eq!(
        (report["verdict"].clone(), report["failures"].clone()),
        ("pass".into(), 0.into())
    );
    assert_eq!(report["schema"], 2);
    // It ran traced, measured as it closed its socket: a machine that does
    // not allow it (ptrace or seccomp forbidden) fails here, rather than
    // every check on it passing clients that leave replies unread.
    assert_eq!(report["tracing"], "traced", "{report:#}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<testcase ").count(), 10, "{xml}");
    assert!(!xml.contains("<failure"), "{xml}");
    assert!(xml.contains(r#"name="random seed 3""#), "{xml}");
    // Named after the script, without the dot a JUnit reader takes for a
    // package.
    assert!(xml.contains(r#"<testsuite name="correct_py""#), "{xml}");
    assert!(xml.contains(r#"classname="correct_py""#), "{xml}");
}

#[test]
fn junit_reports_each_failure_with_its_reproduce_command() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let script = python_client(dir.path(), "one_read", ONE_READ);
    let junit = dir.path().join("check.xml");
    let out = check(&[
        "--shape",
        "chunks",
        "--junit",
        junit.to_str().unwrap(),
        "--",
        py,
        script.to_str().unwrap(),
        "{addr}",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("✗ chunks: exit status 1 (0 expected)"),
        "{text}"
    );
    assert!(
        text.contains("reproduce: tcp-boundary check --shape chunks"),
        "{text}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<testcase ").count(), 1, "{xml}");
    assert_eq!(xml.matches("<failure").count(), 1, "{xml}");
    assert!(
        xml.contains("reproduce: tcp-boundary check --shape chunks"),
        "{xml}"
    );
}

#[test]
fn a_client_that_hangs_fails_within_its_timeout() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let script = python_client(dir.path(), "hangs", HANGS);
    let started = std::time::Instant::now();
    let (report, code) = check_json(
        &["--shape", "whole", "--timeout", "1"],
        &[py, script.to_str().unwrap(), "{addr}"],
    );
    assert_eq!(code, 1);
    assert_eq!(report["runs"][0]["ended"], "hung", "{report:#}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn upstream_puts_the_shapes_in_front_of_a_real_server() {
    let Some(py) = python() else { return };
    let Some(redis) = common::redis() else { return };
    let dir = tempfile::tempdir().unwrap();
    let addr = redis.addr.to_string();
    // redis-cli frames its replies: it passes every shape, the cut included.
    let (report, code) = check_json(
        &["--upstream", &addr],
        &["redis-cli", "-h", "{host}", "-p", "{port}", "PING"],
    );
    assert_eq!(code, 0, "{report:#}");
    assert!(report["server"].as_str().unwrap().contains(&addr));
    // A client that reads each reply with one recv does not.
    let naive = dir.path().join("redis_naive.py");
    std::fs::write(
        &naive,
        r#"
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
for cmd, want in [(b"PING", b"+PONG\r\n"), (b"ECHO hello", b"$5\r\nhello\r\n")]:
    s.sendall(cmd + b"\r\n")
    got = s.recv(1024)
    if got != want:
        print("wrong reply %r" % got)
        sys.exit(1)
"#,
    )
    .unwrap();
    let (report, code) = check_json(
        &["--upstream", &addr],
        &[py, naive.to_str().unwrap(), "{host}", "{port}"],
    );
    assert_eq!(code, 1, "{report:#}");
    assert!(
        failed_shapes(&report).contains(&"one-byte".to_string()),
        "{report:#}"
    );
    reproduce_each_failure(&report);
}

/// A line server that takes one `recv` for one request: the server-side bug.
/// It prints its port, then serves until the test ends.
const NAIVE_SERVER: &str = r#"
import socket, sys, threading
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(16)
print(srv.getsockname()[1], flush=True)
def serve(c):
    while True:
        d = c.recv(1024)
        if not d:
            break
        c.sendall(d if d.endswith(b"\n") else b"?" * len(d))
    c.close()
srv.settimeout(60)
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
"#;

#[test]
fn blame_falls_on_the_server_whose_reads_broke() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = write_script(dir.path(), "naive_server", NAIVE_SERVER);
    let mut child = std::process::Command::new(py)
        .arg(&server)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut port = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut port,
    )
    .unwrap();
    let upstream = format!("127.0.0.1:{}", port.trim());
    let correct = python_client(dir.path(), "correct", CORRECT);
    let (report, code) = check_json(
        &["--upstream", &upstream, "--shape", "chunks"],
        &[py, correct.to_str().unwrap(), "{addr}"],
    );
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(code, 1, "{report:#}");
    let run = &report["runs"][0];
    assert_eq!(run["blame"], "server", "{run:#}");
    assert_eq!(
        run["blamed"], "the server's: requests shaped alone break it",
        "{run:#}"
    );
    assert!(
        run["reproduce"]
            .as_str()
            .unwrap()
            .contains("--direction up"),
        "{run:#}"
    );
}

#[test]
fn the_split_sweep_names_the_first_split_point_that_breaks_a_client() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let one_read = python_client(dir.path(), "one_read", ONE_READ);
    let (report, code) = check_json(
        &["--shape", "split"],
        &[py, one_read.to_str().unwrap(), "{addr}"],
    );
    assert_eq!(code, 1, "{report:#}");
    let run = &report["runs"][0];
    let reason = run["reason"].as_str().unwrap();
    // The first reply, "hello, class\n", has 12 points to split after.
    assert!(
        reason.starts_with("each reply split after byte 1: exit status 1")
            && reason.ends_with("12 of 12 split points fail"),
        "{reason}"
    );
    assert!(
        run["reproduce"]
            .as_str()
            .unwrap()
            .contains("--shape split --at 1 --"),
        "{run:#}"
    );
    let (again, code) = check_json(
        &["--shape", "split", "--at", "1"],
        &[py, one_read.to_str().unwrap(), "{addr}"],
    );
    assert_eq!(code, 1, "{again:#}");
    assert_eq!(
        again["runs"][0]["reason"],
        "each reply split after byte 1: exit status 1 (0 expected); 1 of 1 split points fail"
    );
    let correct = python_client(dir.path(), "correct", CORRECT);
    let (report, code) = check_json(
        &["--shape", "split", "--at", "5"],
        &[py, correct.to_str().unwrap(), "{addr}"],
    );
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn a_client_that_waits_before_a_later_reply_fails_the_stall() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    // Its first reply read until whole; each later one after a wait, in one
    // recv: every reply is stalled, not only the first.
    let later = python_client(
        dir.path(),
        "later",
        r#"
import time
for i, m in enumerate(MESSAGES):
    s.sendall(m)
    if i == 0:
        got = b""
        while len(got) < len(m):
            got += s.recv(1024)
    else:
        time.sleep(0.4)
        got = s.recv(1024)
    if got != m:
        fail("wrong reply %r" % got)
"#,
    );
    let (report, code) = check_json(
        &["--shape", "stall"],
        &[py, later.to_str().unwrap(), "{addr}"],
    );
    assert_eq!(code, 1, "{report:#}");
    // And a correct client waits out each silence and passes.
    let correct = python_client(dir.path(), "correct", CORRECT);
    let (report, code) = check_json(
        &["--shape", "stall"],
        &[py, correct.to_str().unwrap(), "{addr}"],
    );
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn reports_keep_what_was_there_and_say_only_what_was_printed() {
    let dir = tempfile::tempdir().unwrap();
    // A check that cannot be made leaves the previous JUnit report alone.
    let old = dir.path().join("old.xml");
    std::fs::write(&old, "<old/>").unwrap();
    let out = check(&[
        "--junit",
        old.to_str().unwrap(),
        "--",
        "no-such-client-program",
    ]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(std::fs::read_to_string(&old).unwrap(), "<old/>");
    let new = dir.path().join("new.xml");
    let out = check(&[
        "--junit",
        new.to_str().unwrap(),
        "--",
        "no-such-client-program",
    ]);
    assert_eq!(out.status.code(), Some(3));
    assert!(!new.exists(), "no empty report left behind");
    // Lines of both streams in the order they came, no empty ones between.
    let (report, _) = check_json(
        &["--shape", "whole"],
        &[
            "sh",
            "-c",
            "echo out1; echo err1 >&2; echo out2; echo err2 >&2; exit 1",
        ],
    );
    let last = &report["runs"][0]["last_output"];
    assert_eq!(last.as_array().unwrap().len(), 4, "{last:#}");
    assert_eq!(last[0], "out1");
    assert_eq!(last[3], "(stderr) err2");
    // A seed past 64 bits is a usage error, not the largest seed.
    let out = check(&["--seed", "18446744073709551616", "--", "true"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

#[test]
fn a_slow_client_is_too_slow_and_a_killed_one_is_named_by_its_signal() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    // Bytes keep moving, so it is not hung; it never ends, so it is too slow.
    let trickle = python_client(
        dir.path(),
        "trickle",
        "import time\nwhile True:\n    s.sendall(b'x')\n    time.sleep(0.2)\n",
    );
    let (report, _) = check_json(
        &["--shape", "whole", "--timeout", "1", "--run-limit", "2"],
        &[py, trickle.to_str().unwrap(), "{addr}"],
    );
    let run = &report["runs"][0];
    assert_eq!(run["ended"], "too_slow", "{run:#}");
    assert!(
        run["reason"]
            .as_str()
            .unwrap()
            .starts_with("too slow for this shape"),
        "{run:#}"
    );
    let segv = python_client(
        dir.path(),
        "segv",
        "import os, signal\ns.sendall(b'hi\\n')\nos.kill(os.getpid(), signal.SIGSEGV)\n",
    );
    let (report, _) = check_json(
        &["--shape", "whole"],
        &[py, segv.to_str().unwrap(), "{addr}"],
    );
    let run = &report["runs"][0];
    assert_eq!(run["signal"], "SIGSEGV", "{run:#}");
    assert_eq!(run["reason"], "killed by SIGSEGV", "{run:#}");
}
