//! `tcp-boundary check` on clients written for these tests, one per bug, in
//! Python (as a user's client would be), and on a real server through
//! `--upstream`. Each buggy client must be reported failing with a command
//! that fails again the same way; the correct one must pass every shape.

mod common;

use std::path::{Path, PathBuf};

use common::{check, check_json, failed_shapes, python, tcp_boundary_bin};
use serde_json::Value;

/// The start of every test client: connect to the address given, send three
/// messages, check each reply, exit 0 only if all were right.
const PRELUDE: &str = r#"
import socket, struct, sys
host, port = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((host, int(port)))
MESSAGES = [b"hello, class\n", b"TCP is a byte stream\n", b"one write() is not one read()\n"]
def fail(why):
    print(why)
    sys.exit(1)
"#;

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

fn client(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(format!("{name}.py"));
    std::fs::write(&path, format!("{PRELUDE}{body}")).unwrap();
    path
}

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
                "one-byte", "pieces", "random 1", "random 2", "random 3", "stall",
            ],
        ),
        (
            "whole_header",
            WHOLE_HEADER,
            vec!["one-byte", "pieces", "random 1", "random 2", "random 3"],
        ),
        ("early_end", EARLY_END, vec!["cut"]),
    ];
    for (name, body, broken_by) in cases {
        let script = client(dir.path(), name, body);
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
    let script = client(dir.path(), "correct", CORRECT);
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
    let script = client(dir.path(), "one_read", ONE_READ);
    let junit = dir.path().join("check.xml");
    let out = check(&[
        "--shape",
        "pieces",
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
        text.contains("✗ pieces: exit status 1 (0 expected)"),
        "{text}"
    );
    assert!(
        text.contains("reproduce: tcp-boundary check --shape pieces"),
        "{text}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<testcase ").count(), 1, "{xml}");
    assert_eq!(xml.matches("<failure").count(), 1, "{xml}");
    assert!(
        xml.contains("reproduce: tcp-boundary check --shape pieces"),
        "{xml}"
    );
}

#[test]
fn a_client_that_hangs_fails_within_its_timeout() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let script = client(dir.path(), "hangs", HANGS);
    let started = std::time::Instant::now();
    let (report, code) = check_json(
        &["--shape", "whole", "--timeout", "1"],
        &[py, script.to_str().unwrap(), "{addr}"],
    );
    assert_eq!(code, 1);
    assert_eq!(report["runs"][0]["ended"], "hung", "{report:#}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

/// A client in the book's style: reads lines, prints the book's prefix and
/// the reply, `q` quits, always exits 0.
fn book_client(dir: &Path, name: &str, whole: bool) -> PathBuf {
    let read = if whole {
        // Read until the whole line is back; an early end is an error.
        "got = b''\n        while not got.endswith(b'\\n'):\n            c = s.recv(1024)\n            if not c:\n                print('error: the server closed mid-reply')\n                sys.exit(1)\n            got += c"
    } else {
        "got = s.recv(1024)"
    };
    let body = format!(
        r#"
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
while True:
    sys.stdout.write("Input message(Q to quit): ")
    sys.stdout.flush()
    line = sys.stdin.readline()
    if not line or line.strip() in ("q", "Q"):
        break
    s.sendall(line.encode())
    if True:
        {read}
    sys.stdout.write("Message from server : " + got.decode(errors="replace"))
    sys.stdout.flush()
"#
    );
    let path = dir.join(format!("{name}.py"));
    std::fs::write(&path, body).unwrap();
    path
}

#[test]
fn stdin_lines_judges_a_book_client_by_what_it_prints() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let naive = book_client(dir.path(), "book_naive", false);
    let (report, code) = check_json(
        &["--stdin-lines"],
        &[py, naive.to_str().unwrap(), "{host}", "{port}"],
    );
    assert_eq!(code, 1, "{report:#}");
    let failed = failed_shapes(&report);
    assert!(failed.contains(&"pieces".to_string()), "{failed:?}");
    assert!(!failed.contains(&"whole".to_string()), "{failed:?}");
    let pieces = report["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["shape"] == "pieces")
        .unwrap();
    // What it printed after the prefix: the piece, then its next prompt.
    assert_eq!(
        pieces["reason"],
        r#"reply 1 was "helInput message(Q to quit): ", not the message "hello, class""#
    );
    assert!(
        pieces["shaped"]
            .to_string()
            .contains("reply 1 (13 bytes) reached the client as 3+3+3"),
        "{pieces:#}"
    );
    let whole = book_client(dir.path(), "book_whole", true);
    let (report, code) = check_json(
        &["--stdin-lines"],
        &[py, whole.to_str().unwrap(), "{host}", "{port}"],
    );
    assert_eq!(code, 0, "{report:#}");
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

/// A client in C as the chapter writes it: one `read()` per reply, stdio
/// output, killed by SIGPIPE when it writes to a closed connection.
const BOOK_C: &str = r#"
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#define BUF_SIZE 1024
int main(int argc, char *argv[]) {
    char message[BUF_SIZE];
    struct sockaddr_in serv_addr;
    int sock = socket(PF_INET, SOCK_STREAM, 0);
    memset(&serv_addr, 0, sizeof(serv_addr));
    serv_addr.sin_family = AF_INET;
    serv_addr.sin_addr.s_addr = inet_addr(argv[1]);
    serv_addr.sin_port = htons(atoi(argv[2]));
    if (connect(sock, (struct sockaddr *)&serv_addr, sizeof(serv_addr)) == -1) return 1;
    puts("connected .....");
    while (1) {
        fputs("Input message (Q to quit) : ", stdout);
        if (!fgets(message, BUF_SIZE, stdin)) break;
        if (!strcmp(message, "q\n") || !strcmp(message, "Q\n")) break;
        write(sock, message, strlen(message));
        int len = read(sock, message, BUF_SIZE - 1);
        if (len < 0) len = 0;
        message[len] = 0;
        printf("Message from server : %s \n", message);
    }
    close(sock);
    return 0;
}
"#;

#[test]
fn the_chapter_s_c_client_fails_even_when_sigpipe_kills_it() {
    let cc = std::process::Command::new("cc").arg("--version").output();
    if !cc.is_ok_and(|o| o.status.success()) {
        common::skip_without("no C compiler (cc) for the book's C client");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("client.c");
    std::fs::write(&source, BOOK_C).unwrap();
    let binary = dir.path().join("client");
    let built = std::process::Command::new("cc")
        .arg("-o")
        .arg(&binary)
        .arg(&source)
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let (report, code) = check_json(
        &["--stdin-lines"],
        &[binary.to_str().unwrap(), "{host}", "{port}"],
    );
    assert_eq!(code, 1, "{report:#}");
    // Its output reaches us line by line (a terminal), so even the cut, after
    // which SIGPIPE kills it, shows the half reply it printed.
    let failed = failed_shapes(&report);
    for shape in ["one-byte", "pieces", "stall", "cut"] {
        assert!(failed.contains(&shape.to_string()), "{shape}: {report:#}");
    }
    assert!(!failed.contains(&"whole".to_string()), "{report:#}");
}

/// A correct client of messages of `SIZE` bytes (its second argument): each
/// echo read until it is whole. The check-speed benchmark runs it too.
const SIZED: &str = include_str!("../benchmark/clients/sized.py");

/// One `recv` for the whole of a large message: the bug, with big buffers.
const SIZED_NAIVE: &str = r#"
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
size = int(sys.argv[2])
s = socket.create_connection((host, int(port)))
m = b"x" * (size - 1) + b"\n"
s.sendall(m)
got = s.recv(1 << 20)
if got != m:
    sys.exit("got %d of %d bytes" % (len(got), len(m)))
"#;

fn script(dir: &Path, name: &str, body: &str) -> String {
    let path = dir.join(format!("{name}.py"));
    std::fs::write(&path, body).unwrap();
    path.to_str().unwrap().to_string()
}

fn reasons(report: &Value) -> Vec<String> {
    report["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_correct_client_with_large_messages_passes_every_shape() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let sized = script(dir.path(), "sized", SIZED);
    // Paced by the reader, a shape costs what the client's reads cost, not
    // a pause per piece: messages of 64 KiB pass every shape, no run hangs.
    for size in ["3000", "65536"] {
        let (report, code) = check_json(&[], &[py, &sized, "{addr}", size]);
        assert_eq!(code, 0, "{size}: {report:#}");
        assert_eq!(report["runs"].as_array().unwrap().len(), 10, "{size}");
    }
}

#[test]
fn a_client_that_exchanges_nothing_fails_every_shape() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (report, code) = check_json(&[], &["true"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(failed_shapes(&report).len(), 10, "{report:#}");
    assert!(
        reasons(&report)
            .iter()
            .all(|r| r == "the client never connected"),
        "{report:#}"
    );
    let silent = script(
        dir.path(),
        "silent",
        "import socket, sys\nh, p = sys.argv[1].rsplit(':', 1)\nsocket.create_connection((h, int(p))).close()\n",
    );
    let (report, code) = check_json(&[], &[py, &silent, "{addr}"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(failed_shapes(&report).len(), 10, "{report:#}");
    assert!(
        reasons(&report)
            .iter()
            .all(|r| r == "the client connected but sent nothing"),
        "{report:#}"
    );
    // Not a failure of its reads: nothing to blame on a direction.
    assert!(report["runs"][1]["blame"].is_null(), "{report:#}");
}

#[test]
fn a_client_that_frames_by_sleeping_fails_the_stall() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let sleeper = client(
        dir.path(),
        "sleeper",
        r#"
import time
for m in MESSAGES:
    s.sendall(m)
    time.sleep(0.3)
    r = s.recv(1024)
    if r != m:
        fail("wrong reply %r" % r)
"#,
    );
    let (report, code) = check_json(
        &["--shape", "stall"],
        &[py, sleeper.to_str().unwrap(), "{addr}"],
    );
    assert_eq!(code, 1, "{report:#}");
    let run = &report["runs"][0];
    assert_eq!(run["blame"], "client", "{run:#}");
    assert_eq!(run["reason"], "exit status 1 (0 expected)", "{run:#}");
    // Held half way: the first reply reached it in two writes.
    assert_eq!(run["shaping"]["replies"]["written"][0], 7, "{run:#}");
}

#[test]
fn a_naive_client_with_a_large_message_fails_the_same_way_every_time() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let naive = script(dir.path(), "naive", SIZED_NAIVE);
    for shape in [&["--shape", "small-buffers"][..], &["--seed", "2"]] {
        let verdicts: Vec<(Value, Value)> = (0..5)
            .map(|_| {
                let (report, _) = check_json(shape, &[py, &naive, "{addr}", "65536"]);
                let run = &report["runs"][0];
                (run["passed"].clone(), run["reason"].clone())
            })
            .collect();
        assert!(
            verdicts
                .iter()
                .all(|v| v.0 == false && v.1 == verdicts[0].1),
            "{shape:?}: {verdicts:?}"
        );
    }
}

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
    let sized = script(dir.path(), "sized", SIZED);
    // A child left running does not keep the check waiting, and is gone.
    // (The markers are arguments of `sh -c`, so that check's own command
    // line does not hold `sleep MARKER`.)
    let marker = "37.25";
    let started = std::time::Instant::now();
    let command = format!("sleep \"$1\" & exec {py} {sized} \"$0\" 13");
    let (report, code) = check_json(
        &["--shape", "pieces"],
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
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(
        !running(&format!("sleep {marker}")),
        "the client outlived check"
    );
}

#[test]
fn a_book_client_that_exits_at_once_is_a_failing_row_not_a_silent_death() {
    // More input than a pipe holds, and a client that reads none of it.
    let long = "x".repeat(60_000);
    let out = check(&[
        "--stdin-lines",
        "--shape",
        "whole",
        "--message",
        &long,
        "--message",
        &long,
        "--",
        "sh",
        "-c",
        "exit 0",
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("✗ whole: the client never connected"),
        "{text}"
    );
}

#[test]
fn a_book_client_is_judged_by_the_bytes_it_was_sent() {
    // Our echo-client shows replies escaped: a backslash as \\, a tab as \t,
    // the newline as \n; a trailing space is part of the message.
    let message = "a\\b\tc ";
    let (report, code) = check_json(
        &[
            "--stdin-lines",
            "--message",
            message,
            "--message",
            "hello, class",
        ],
        &[common::echo_client_bin(), "{host}", "{port}"],
    );
    assert_eq!(code, 0, "{report:#}");
    let (report, code) = check_json(
        &["--stdin-lines", "--shape", "whole", "--message", "a\\b\tc"],
        &[
            "sh",
            "-c",
            "printf 'Message from server : a\\\\\\\\b\\\\tc \\\\n\\n'; sleep 1",
            "{addr}",
        ],
    );
    assert_eq!(code, 1, "{report:#}");
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
    let server = script(dir.path(), "naive_server", NAIVE_SERVER);
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
    let correct = client(dir.path(), "correct", CORRECT);
    let (report, code) = check_json(
        &["--upstream", &upstream, "--shape", "pieces"],
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
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{args:?}"
        );
    }
}

#[test]
fn a_slow_client_is_too_slow_and_a_killed_one_is_named_by_its_signal() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    // Bytes keep moving, so it is not hung; it never ends, so it is too slow.
    let trickle = client(
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
    let segv = client(
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

#[test]
fn the_split_sweep_names_the_first_split_point_that_breaks_a_client() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let one_read = client(dir.path(), "one_read", ONE_READ);
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
    let correct = client(dir.path(), "correct", CORRECT);
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
    let later = client(
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
    // And a correct client does not wait out the stalls.
    let correct = client(dir.path(), "correct", CORRECT);
    let started = std::time::Instant::now();
    let (report, code) = check_json(
        &["--shape", "stall"],
        &[py, correct.to_str().unwrap(), "{addr}"],
    );
    assert_eq!(code, 0, "{report:#}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
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
