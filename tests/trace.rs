//! `tcp-boundary trace`: a student's own client, traced against our echo
//! server, its socket calls shown: which read took which part of a reply.

mod common;

use std::time::{Duration, Instant};

use common::{python, write_script};
use serde_json::Value;

/// `tcp-boundary ARGS`, nothing on its standard input.
fn tcp_boundary(args: &[&str]) -> std::process::Output {
    common::run_with_input(common::tcp_boundary_bin(), args, b"")
}

/// `trace --json ARGS -- COMMAND`: the report and the exit code.
fn trace_json(args: &[&str], command: &[&str]) -> (Value, i32) {
    let all = [&["trace", "--json"], args, &["--"], command].concat();
    let out = assert_cmd::Command::new(common::tcp_boundary_bin())
        .args(&all)
        .timeout(common::LIMIT)
        .output()
        .unwrap();
    (common::json_report(&out), out.status.code().unwrap())
}

/// The reads of a report: (asked, bytes, queued before).
fn reads(report: &Value) -> Vec<(u64, String, Value)> {
    report["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "read")
        .map(|e| {
            (
                e["asked"].as_u64().unwrap(),
                e["bytes"].as_str().unwrap().to_string(),
                e["queued"].clone(),
            )
        })
        .collect()
}

const ONCE: &str = r#"
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((host, int(port)))
s.sendall(b"hello, class\n")
print(s.recv(1024))
"#;

const LOOP: &str = r#"
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((host, int(port)))
m = b"hello, class\n"
s.sendall(m)
got = b""
while len(got) < len(m):
    got += s.recv(1024)
s.close()
"#;

#[test]
fn a_client_that_reads_once_is_seen_taking_a_part_of_its_reply() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let client = write_script(dir.path(), "once", ONCE);
    // The server sends the echo 4 bytes at a time, 150 ms apart: the one
    // recv asks for 1024 and takes the first 4 (which were waiting, or came
    // while it waited: the queue is measured as the call begins).
    let (report, code) = trace_json(&["--fragment"], &[py, &client, "{addr}"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        (report["ended"].as_str(), report["code"].as_i64()),
        (Some("exited"), Some(0))
    );
    let reads = reads(&report);
    assert_eq!(reads.len(), 1, "{report:#}");
    let (asked, bytes, queued) = &reads[0];
    assert_eq!((*asked, bytes.as_str()), (1024, "hell"), "{report:#}");
    assert!(matches!(queued.as_u64(), Some(0 | 4)), "{report:#}");
    let kinds: Vec<&str> = report["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["connect", "write", "read", "close"], "{report:#}");
    // On a terminal's report, the same calls as rows.
    let out = tcp_boundary(&["trace", "--fragment", "--", py, &client, "{addr}"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("c1 read(1024) → 4 B @0 hell"), "{text}");
    assert!(text.contains("it exited with status 0"), "{text}");
}

#[test]
fn a_client_that_loops_is_seen_reading_each_chunk() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let client = write_script(dir.path(), "loop", LOOP);
    let (report, code) = trace_json(&["--fragment"], &[py, &client, "{addr}"]);
    assert_eq!(code, 0, "{report:#}");
    let got: Vec<(u64, String)> = reads(&report).into_iter().map(|(a, b, _)| (a, b)).collect();
    assert_eq!(
        got,
        [
            (1024, "hell".to_string()),
            (1024, "o, c".to_string()),
            (1024, "lass".to_string()),
            (1024, r"\n".to_string()),
        ],
        "{report:#}"
    );
    // Each read is placed in the stream: 0, 4, 8, 12.
    let at: Vec<u64> = report["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "read")
        .map(|e| e["at"].as_u64().unwrap())
        .collect();
    assert_eq!(at, [0, 4, 8, 12]);
}

#[test]
fn what_cannot_be_traced_is_said_and_nothing_outlives_the_trace() {
    // No such program: exit 3, one line.
    let out = tcp_boundary(&["trace", "--", "/nonexistent/client"]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such file"));
    // A limit out of bounds: usage.
    let out = tcp_boundary(&["trace", "--limit", "0", "--", "true"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    // A program that leaves a child behind in its group, then hangs: at its
    // limit both end.
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("child.pid");
    let script = write_script(
        dir.path(),
        "leaves",
        &format!(
            r#"
import os, time
pid = os.fork()
if pid == 0:
    time.sleep(60)
    os._exit(0)
open({:?}, "w").write(str(pid))
time.sleep(60)
"#,
            pid_file.to_str().unwrap()
        ),
    );
    let started = Instant::now();
    let (report, code) = trace_json(&["--limit", "1"], &[py, &script]);
    assert_eq!(
        (code, report["ended"].as_str()),
        (0, Some("too_slow")),
        "{report:#}"
    );
    assert!(started.elapsed() < Duration::from_secs(20));
    let child: i32 = std::fs::read_to_string(&pid_file).unwrap().parse().unwrap();
    let gone = Instant::now() + Duration::from_secs(5);
    let alive = |pid: i32| {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|s| !s.contains(") Z ") && !s.contains(") X "))
    };
    while alive(child) && Instant::now() < gone {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!alive(child), "the child it left is still running");
}

#[test]
fn our_exact_reader_is_seen_asking_for_what_is_left_and_closing_once() {
    // The book-style client, typed to: it reads with a copy of its socket
    // (closed before the end), asking each time for what is left of the
    // reply. One close is the connection's: the copy's is not shown.
    let out = common::run_with_input(
        common::tcp_boundary_bin(),
        &[
            "trace",
            "--json",
            "--fragment",
            "--",
            common::echo_client_bin(),
            "{host}",
            "{port}",
        ],
        b"hello, class\nq\n",
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let asked: Vec<(u64, String)> = reads(&report).into_iter().map(|(a, b, _)| (a, b)).collect();
    assert_eq!(
        asked,
        [
            (13, "hell".to_string()),
            (9, "o, c".to_string()),
            (5, "lass".to_string()),
            (1, r"\n".to_string()),
        ],
        "{report:#}"
    );
    let closes = report["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "close")
        .count();
    assert_eq!(closes, 1, "{report:#}");
}

#[test]
fn check_with_trace_shows_the_read_that_took_part_of_a_reply() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    // One message of 13 bytes, its echo taken from one recv(65536).
    let naive = write_script(
        dir.path(),
        "sized",
        include_str!("../benchmark/clients/sized.py"),
    );
    let command = [py, naive.as_str(), "{addr}", "13", "naive", "1"];
    let (report, code) = common::check_json(&["--trace", "--shape", "chunks"], &command);
    assert_eq!(code, 1, "{report:#}");
    let run = &report["runs"][0];
    let reads: Vec<(u64, u64)> = run["calls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "read")
        .map(|e| (e["asked"].as_u64().unwrap(), e["len"].as_u64().unwrap()))
        .collect();
    // The chunks shape passes the echo on 3 bytes at a time: the one read
    // took the first 3.
    assert_eq!(reads, [(65536, 3)], "{run:#}");
    assert!(
        run["reproduce"].as_str().unwrap().contains("--trace"),
        "{run:#}"
    );
    // In words, under the failing row.
    let args = [&["--trace", "--shape", "chunks", "--"][..], &command].concat();
    let out = common::check(&args);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("its last socket calls (--trace):"), "{text}");
    assert!(text.contains("read(65536) → 3 B @0 000"), "{text}");
    // And which part of which reply that was: the replies are the client's
    // own writes, echoed.
    assert!(
        text.contains("that read took bytes 1-3 of reply 1, which has 13"),
        "{text}"
    );
    // A passing run shows none: only failures carry their calls.
    let correct = [py, naive.as_str(), "{addr}", "13", "correct", "1"];
    let (report, code) = common::check_json(&["--trace", "--shape", "chunks"], &correct);
    assert_eq!(code, 0, "{report:#}");
    assert!(report["runs"][0].get("calls").is_none(), "{report:#}");
}

/// Run `tcp-boundary ARGS` where ptrace is refused, as a container's seccomp
/// policy refuses it: a filter that fails every `ptrace` call with EPERM,
/// installed (by a Python wrapper) before tcp-boundary starts.
fn without_ptrace(py: &str, args: &[&str]) -> std::process::Output {
    let wrapper = r#"
import ctypes, os, platform, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
ptrace = {"x86_64": 101, "aarch64": 117}[platform.machine()]
# Load the call's number; ptrace: fail with EPERM; anything else: allow.
code = [(0x20, 0, 0, 0), (0x15, 0, 1, ptrace), (0x06, 0, 0, 0x00050000 | 1), (0x06, 0, 0, 0x7FFF0000)]
raw = b"".join(struct.pack("HBBI", *op) for op in code)
buf = ctypes.create_string_buffer(raw)
class Prog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
prog = Prog(len(code), ctypes.addressof(buf))
assert libc.prctl(38, 1, 0, 0, 0) == 0  # PR_SET_NO_NEW_PRIVS
assert libc.prctl(22, 2, ctypes.byref(prog), 0, 0) == 0  # PR_SET_SECCOMP, filter
os.execv(sys.argv[1], sys.argv[1:])
"#;
    let dir = tempfile::tempdir().unwrap();
    let script = write_script(dir.path(), "no_ptrace", wrapper);
    let all = [&[script.as_str(), common::tcp_boundary_bin()][..], args].concat();
    common::run_with_input(py, &all, b"")
}

#[test]
fn where_ptrace_is_refused_trace_says_so_and_check_runs_untraced_saying_so() {
    let Some(py) = python() else { return };
    let out = without_ptrace(py, &["trace", "--", "true"]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let error = String::from_utf8_lossy(&out.stderr);
    assert!(
        error.contains("does not let a program be traced"),
        "{error}"
    );
    // check goes on untraced, and says what it could not look for.
    let dir = tempfile::tempdir().unwrap();
    let client = write_script(
        dir.path(),
        "sized",
        include_str!("../benchmark/clients/sized.py"),
    );
    let command = [py, client.as_str(), "{addr}", "13", "correct", "1"];
    let args = [&["check", "--json", "--shape", "whole", "--"][..], &command].concat();
    let out = without_ptrace(py, &args);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["tracing"], "not-allowed", "{report:#}");
    let args = [&["check", "--shape", "whole", "--"][..], &command].concat();
    let out = without_ptrace(py, &args);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("note: this machine does not let check trace the client"),
        "{text}"
    );
}

#[test]
fn where_ptrace_is_refused_the_book_s_programs_cannot_play_a_scenario_exit_3() {
    let Some(py) = python() else { return };
    if !common::cc() {
        return;
    }
    for side in ["--client", "--server"] {
        let out = without_ptrace(py, &["run", "classic", side, "book-c"]);
        assert_eq!(out.status.code(), Some(3), "{out:?}");
        let error = String::from_utf8_lossy(&out.stderr);
        assert!(
            error.contains("does not let a program be traced") && error.trim().lines().count() == 1,
            "{error}"
        );
        assert!(out.stdout.is_empty());
    }
}

/// The kinds and texts of a report's events, as `kind` or `note: TEXT`.
fn rows(report: &Value) -> Vec<String> {
    report["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| match e["kind"].as_str().unwrap() {
            "note" => format!("note: {}", e["text"].as_str().unwrap()),
            kind => format!("c{} {kind}", e["client"]),
        })
        .collect()
}

#[test]
fn a_connection_that_has_ended_both_ways_is_still_the_same_connection() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    // Twice: send, shut down the write side, read to the end of the stream,
    // close. Once both FINs have crossed, the socket no longer names its
    // peer; its reads and its close are still this connection's.
    let client = write_script(
        dir.path(),
        "shut",
        r#"
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
for i in range(2):
    s = socket.create_connection((host, int(port)))
    s.sendall(b"x%d\n" % i)
    s.shutdown(socket.SHUT_WR)
    while s.recv(64):
        pass
    s.close()
"#,
    );
    let (report, code) = trace_json(&[], &[py, &client, "{addr}"]);
    assert_eq!(code, 0, "{report:#}");
    let each = ["connect", "write", "shutdown", "read", "eof", "close"];
    let expected: Vec<String> = (1..=2)
        .flat_map(|c| each.iter().map(move |k| format!("c{c} {k}")))
        .collect();
    assert_eq!(rows(&report), expected, "{report:#}");
}

#[test]
fn what_a_row_cannot_say_is_said_beside_it() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    // A peek (the bytes stay), a read side shut (no FIN), and a read that
    // never returns: the program is ended at its limit while it waits.
    let client = write_script(
        dir.path(),
        "peek",
        r#"
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((host, int(port)))
s.sendall(b"peekaboo\n")
s.recv(4, socket.MSG_PEEK | socket.MSG_WAITALL)
s.recv(100)
s.recv(10)
"#,
    );
    let (report, code) = trace_json(&["--limit", "1"], &[py, &client, "{addr}"]);
    assert_eq!(
        (code, report["ended"].as_str()),
        (0, Some("too_slow")),
        "{report:#}"
    );
    let rows = rows(&report);
    assert_eq!(
        rows,
        [
            "c1 connect",
            "c1 write",
            "note: peeked at 4 bytes (MSG_PEEK), left in the queue: peek",
            "c1 read",
            "note: still in recv(10) when it ended: waiting for bytes that never came",
            "note: its process ended: the kernel closes what it left open",
            "c1 close",
        ],
        "{report:#}"
    );
    // The read after the peek starts where the peek did.
    let read = report["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "read")
        .unwrap();
    assert_eq!(
        (read["at"].as_u64(), read["len"].as_u64()),
        (Some(0), Some(9))
    );
}

#[test]
fn a_child_that_goes_on_with_the_socket_is_watched_to_its_end() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    // The parent exits at once; its child reads the echo 300 ms later and
    // closes. The parent's exit closes a copy: not the connection's close.
    let client = write_script(
        dir.path(),
        "orphan",
        r#"
import os, socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((host, int(port)))
s.sendall(b"orph\n")
if os.fork() == 0:
    time.sleep(0.3)
    s.recv(10)
    s.close()
    os._exit(0)
"#,
    );
    let (report, code) = trace_json(&[], &[py, &client, "{addr}"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        rows(&report),
        ["c1 connect", "c1 write", "c1 read", "c1 close"],
        "{report:#}"
    );
}

#[test]
fn ctrl_c_ends_the_program_and_still_shows_what_it_did() {
    use std::io::BufRead;
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let client = write_script(
        dir.path(),
        "forever",
        r#"
import socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((host, int(port)))
s.sendall(b"stay\n")
s.recv(10)
print("ready", flush=True)
time.sleep(60)
"#,
    );
    let mut trace = std::process::Command::new(common::tcp_boundary_bin())
        .args(["trace", "--json", "--", py, &client, "{addr}"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The program's output comes on trace's standard error.
    let mut ready = String::new();
    std::io::BufReader::new(trace.stderr.take().unwrap())
        .read_line(&mut ready)
        .unwrap();
    assert_eq!(ready, "ready\n");
    let mut stdout = trace.stdout.take().unwrap();
    let status = common::interrupt(&mut trace);
    assert_eq!(status.code(), Some(130));
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut stdout, &mut out).unwrap();
    let report: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(report["interrupted"], true, "{report:#}");
    assert_eq!(
        rows(&report),
        [
            "c1 connect",
            "c1 write",
            "c1 read",
            "note: its process ended: the kernel closes what it left open",
            "c1 close"
        ],
        "{report:#}"
    );
}

/// `trace --book-client`: the book's own client, compiled from
/// book/echo_client.c, typed to, traced: its one `read(BUF_SIZE - 1)` takes
/// the first chunk of a fragmented echo, and it prints that chunk as the reply.
#[test]
fn the_book_s_own_client_is_compiled_and_traced_reading_part_of_a_reply() {
    if !common::cc() {
        return;
    }
    let cache = tempfile::tempdir().unwrap();
    let out = assert_cmd::Command::new(common::tcp_boundary_bin())
        .args(["trace", "--json", "--book-client", "--fragment"])
        .env("XDG_CACHE_HOME", cache.path())
        .write_stdin("hello, class\nQ\n")
        .timeout(common::LIMIT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::text(&out.stderr));
    let report = common::json_report(&out);
    let reads = reads(&report);
    assert_eq!(reads.len(), 1, "{report:#}");
    assert_eq!(reads[0].0, 1023, "the book's BUF_SIZE - 1: {report:#}");
    assert_eq!(reads[0].1, "hell", "{report:#}");
    // Its own console text, on our standard error.
    let said = common::text(&out.stderr);
    assert!(said.contains("Message from server : hell"), "{said}");
    // Built once, into the cache folder given.
    let built: Vec<_> = walk(cache.path())
        .into_iter()
        .filter(|p| p.ends_with("echo_client"))
        .collect();
    assert_eq!(built.len(), 1, "{built:?}");
    // No compiler: one line, exit 3.
    common::assert_needs_a_c_compiler(&["trace", "--book-client"]);
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        match path.is_dir() {
            true => all.extend(walk(&path)),
            false => all.push(path),
        }
    }
    all
}

/// The report a page carries (its `<script id="report">`).
fn page_report(page: &str) -> Value {
    let start = r#"<script type="application/json" id="report">"#;
    let at = page.find(start).expect("the page carries its report") + start.len();
    let end = page[at..].find("</script>").unwrap();
    serde_json::from_str(&page[at..at + end]).unwrap()
}

#[test]
fn trace_html_writes_a_page_that_steps_through_the_program_s_calls() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let client = write_script(dir.path(), "once", ONCE);
    let page = dir.path().join("trace.html");
    let out = tcp_boundary(&[
        "trace",
        "--fragment",
        "--html",
        page.to_str().unwrap(),
        "--",
        py,
        &client,
        "{addr}",
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("wrote "));
    let html = std::fs::read_to_string(&page).unwrap();
    // The calls it made, stepped through: the same rows as the timeline.
    let report = page_report(&html);
    let kinds: Vec<&str> = report[0]["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["connect", "write", "read", "close"]);
    assert!(html.contains("read(1024)"), "the read's box");
    // The command as it ran, its address filled in.
    assert!(html.contains("once.py 127.0.0.1:"), "{html}");
    assert!(!html.contains("{addr}"));
    // No queue drawn that was not measured, no code that is not its own.
    assert!(!html.contains(r#"class="queues""#));
    assert!(!html.contains("echo_server.c") && !html.contains("echo_client.c"));
    // --html and --json are one or the other.
    let out = tcp_boundary(&["trace", "--json", "--html", "x.html", "--", "true"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn trace_html_of_the_book_s_client_marks_its_own_code() {
    if !common::cc() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("book.html");
    let out = assert_cmd::Command::new(common::tcp_boundary_bin())
        .args(["trace", "--book-client", "--fragment", "--html"])
        .arg(&page)
        .env("XDG_CACHE_HOME", dir.path())
        .write_stdin("hello, class\nQ\n")
        .timeout(common::LIMIT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains("echo_client 127.0.0.1 "),
        "named, not its cache path"
    );
    assert!(
        html.contains("The book&#39;s client, echo_client.c")
            || html.contains("The book's client, echo_client.c")
    );
    assert!(html.contains("read(1023)"), "its own read");
}

#[test]
fn check_server_with_trace_shows_the_server_s_read_that_took_part_of_a_request() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    // One recv taken for one frame: a request sent a byte at a time breaks it.
    let server = write_script(
        dir.path(),
        "naive_frames",
        include_str!("../benchmark/servers/naive_frames.py"),
    );
    let out = common::check(&[
        "--server",
        "--json",
        "--trace",
        "--shape",
        "one-byte",
        "--request",
        "\\x00\\x05hello",
        "--",
        py,
        &server,
        "{port}",
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let run = &report["runs"][0];
    // The server's own recv, asking for 65536 and taking 1 byte of the
    // request's 7, then its close of the connection.
    let calls = run["calls"].as_array().unwrap();
    assert!(
        calls
            .iter()
            .any(|e| e["kind"] == "read" && e["asked"] == 65536 && e["len"] == 1),
        "{run:#}"
    );
    assert!(run["reproduce"].as_str().unwrap().contains("--trace"));
    // Without --trace, none.
    let out = common::check(&[
        "--server",
        "--json",
        "--shape",
        "one-byte",
        "--request",
        "\\x00\\x05hello",
        "--",
        py,
        &server,
        "{port}",
    ]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["runs"][0].get("calls").is_none(), "{report:#}");
}
