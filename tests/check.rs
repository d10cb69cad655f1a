//! `tcp-boundary check` on clients written for these tests, one per bug, in
//! Python (as a user's client would be), and on a real server through
//! `--upstream`. Each buggy client must be reported failing with a command
//! that fails again the same way; the correct one must pass every shape.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use common::{LIMIT, tcp_boundary_bin};
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

fn python() -> Option<&'static str> {
    let found = std::process::Command::new("python3")
        .arg("--version")
        .output();
    match found {
        Ok(o) if o.status.success() => Some("python3"),
        _ => {
            assert!(
                std::env::var_os("TCP_BOUNDARY_REQUIRE_TOOLS").is_none(),
                "python3 is missing, and CI requires it"
            );
            eprintln!("check tests skipped: python3 not found (Debian: apt-get install python3)");
            None
        }
    }
}

fn client(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(format!("{name}.py"));
    std::fs::write(&path, format!("{PRELUDE}{body}")).unwrap();
    path
}

fn check(args: &[&str]) -> Output {
    Command::new(tcp_boundary_bin())
        .arg("check")
        .args(args)
        .timeout(LIMIT)
        .output()
        .unwrap()
}

/// `check --json` on a client; the report, and the exit code.
fn check_json(extra: &[&str], command: &[&str]) -> (Value, i32) {
    let mut args = vec!["--json"];
    args.extend(extra);
    args.push("--");
    args.extend(command);
    let out = check(&args);
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (report, out.status.code().unwrap())
}

fn failed_shapes(report: &Value) -> Vec<String> {
    report["runs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["passed"] == false)
        .map(|r| match r["seed"].as_u64() {
            Some(seed) => format!("{} {seed}", r["shape"].as_str().unwrap()),
            None => r["shape"].as_str().unwrap().to_string(),
        })
        .collect()
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
            vec!["one-byte", "pieces", "random 1", "random 2", "random 3"],
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
    assert_eq!(report["runs"].as_array().unwrap().len(), 9);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<testcase ").count(), 9, "{xml}");
    assert!(!xml.contains("<failure"), "{xml}");
    assert!(xml.contains(r#"name="random seed 3""#), "{xml}");
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
    assert_eq!(report["runs"][0]["ended"]["ended"], "hung", "{report:#}");
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
        r#"reply 1 was "helInput message(Q to quit):", not the message "hello, class""#
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
        eprintln!("C client test skipped: no C compiler (cc)");
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
    for shape in ["one-byte", "pieces", "cut"] {
        assert!(failed.contains(&shape.to_string()), "{shape}: {report:#}");
    }
    assert!(!failed.contains(&"whole".to_string()), "{report:#}");
}
