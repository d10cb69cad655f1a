//! No false pass from `tcp-boundary check` (issue 34): the programs an
//! engineer meets in the first week, written here in Python, one test each.
//! Clients that quit with their reply unread or frame by a silence must
//! fail; servers whose late bytes change, that take one read for one frame
//! or that crash on a partial first read must fail, the same way every time;
//! a correct server with a 64 KiB request must pass, and a server whose
//! replies carry a random id must be told so, not blamed on its reads.
//!
//! How long a check takes is not tested here: each check is only bounded,
//! by the common time limit (twice it where a row may run to its own
//! --run-limit), so that a hang fails; the figures are in
//! benchmark/check-speed.sh.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{check_json, failed_shapes, python, python_client, write_script};
use serde_json::Value;

/// A correct line server: each line echoed once it is whole. The
/// check-speed benchmark times its check too.
const LINE_ECHO: &str = include_str!("../benchmark/servers/line_echo.py");

/// A naive length-prefixed server: one recv taken for one frame. The
/// check-speed benchmark times its failing check.
const NAIVE_FRAMES: &str = include_str!("../benchmark/servers/naive_frames.py");

/// `check --server --json EXTRA -- COMMAND`: the report and the exit code.
fn server_json(extra: &[&str], command: &[&str]) -> (Value, i32) {
    server_json_within(common::LIMIT, extra, command)
}

/// As [`server_json`], the check killed after `limit`; the test then fails
/// saying so, rather than on the empty report.
fn server_json_within(limit: Duration, extra: &[&str], command: &[&str]) -> (Value, i32) {
    let args = [&["check", "--server", "--json"], extra, &["--"], command].concat();
    let out = assert_cmd::Command::new(common::tcp_boundary_bin())
        .args(&args)
        .timeout(limit)
        .output()
        .unwrap();
    let Some(code) = out.status.code() else {
        panic!("check did not end within {limit:?}: {args:?}");
    };
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (report, code)
}

/// The report's verdict, held against the exit code: 0 with a pass, 1 with
/// a failure. The top-level `passed` when the report has one, else its
/// `verdict`.
fn passed(report: &Value, code: i32) -> bool {
    let passed = match report["passed"].as_bool() {
        Some(passed) => passed,
        None => report["verdict"] == "pass",
    };
    assert_eq!(code, if passed { 0 } else { 1 }, "{report:#}");
    passed
}

/// The run of `shape` (the first, for the random shape's seeds).
fn row<'a>(report: &'a Value, shape: &str) -> &'a Value {
    report["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["shape"] == shape)
        .unwrap_or_else(|| panic!("no {shape} row: {report:#}"))
}

/// A request file in `dir`, its bytes as they are, for `--requests`.
fn request_file(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn a_client_that_stops_after_two_reads_fails_every_shape_that_holds_its_reply() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    // Two messages, 34 bytes of echo, and two reads of at most 3 bytes: the
    // client exits 0 with most of the echo never taken. Its exit status
    // cannot be its verdict.
    let client = python_client(
        dir.path(),
        "two_reads",
        r#"
for m in MESSAGES[:2]:
    s.sendall(m)
for _ in range(2):
    if not s.recv(3):
        break
"#,
    );
    let (report, code) = check_json(&[], &[py, client.to_str().unwrap(), "{addr}"]);
    assert!(!passed(&report, code), "{report:#}");
    // Every shape fails, with the count of bytes it never took: those the
    // proxy held back until the client had read what came before, and those
    // in the client's kernel when it closed (measured at its close, the
    // client traced); the cut fails too (exit 0 after a cut reply).
    let failed = failed_shapes(&report);
    for shape in [
        "whole",
        "one-byte",
        "chunks",
        "merged",
        "small-buffers",
        "random 1",
        "random 2",
        "random 3",
        "stall",
        "cut",
    ] {
        assert!(failed.contains(&shape.to_string()), "{shape}: {report:#}");
    }
    // Whole, the echo reached the client's kernel at once: it read 6 bytes
    // of 34 in two reads of 3.
    assert_eq!(
        row(&report, "whole")["reason"],
        "ended with 28 of 34 reply bytes never read",
        "{report:#}"
    );
    let one_byte = row(&report, "one-byte");
    let reason = one_byte["reason"].as_str().unwrap();
    // Of what the server had sent when the client ended (the request was
    // still being passed on a byte at a time, so not always all 34).
    assert!(
        reason.starts_with("ended with ") && reason.ends_with(" reply bytes never read"),
        "{reason}"
    );
    // The failing row shows what came (the bytes the client was given) and
    // what the server sent.
    // Shown escaped: a space at either end of what was clipped is drawn `␣`.
    let shown = |key: &str| {
        let text = one_byte[key].as_str().unwrap();
        match text.strip_suffix('␣') {
            Some(rest) => format!("{rest} "),
            None => text.to_string(),
        }
    };
    let (received, expected) = (shown("received"), shown("expected"));
    let (received, expected) = (received.as_str(), expected.as_str());
    let echo = r"hello, class\nTCP is a byte stream\n";
    assert!(echo.starts_with(expected), "{one_byte:#}");
    assert!(
        !received.is_empty() && expected.starts_with(received),
        "{one_byte:#}"
    );
    // It fails with whole replies too: no shape is to blame.
    assert_eq!(report["blame"], Value::Null, "{report:#}");
}

#[test]
fn a_client_that_exits_0_on_a_short_read_fails_every_shape_that_splits_its_reply() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    // One message, one recv: what came is checked as a start of the echo,
    // not as all of it, so a short read exits 0.
    let client = python_client(
        dir.path(),
        "short_read",
        r#"
m = MESSAGES[0]
s.sendall(m)
got = s.recv(4096)
if not m.startswith(got):
    fail("wrong reply %r" % got)
"#,
    );
    let (report, code) = check_json(&[], &[py, client.to_str().unwrap(), "{addr}"]);
    assert!(!passed(&report, code), "{report:#}");
    // Whole, the one recv gets the 13 bytes: it read everything and passes.
    assert_eq!(row(&report, "whole")["passed"], true, "{report:#}");
    // Every shape that hands the reply over in chunks leaves the rest unread:
    // a failure, though the client exited 0.
    let failed = failed_shapes(&report);
    for shape in [
        "one-byte", "chunks", "random 1", "random 2", "random 3", "stall", "cut",
    ] {
        assert!(failed.contains(&shape.to_string()), "{shape}: {report:#}");
    }
}

#[test]
fn a_client_that_frames_by_a_silence_fails_the_stall() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    // It takes a reply to be whole once the socket has been quiet for
    // 300 ms: right whenever the reply comes in one burst, wrong when the
    // rest of it is late.
    let client = python_client(
        dir.path(),
        "silence",
        r#"
import select
for m in MESSAGES[:2]:
    s.sendall(m)
    got = b""
    while select.select([s], [], [], 0.3)[0]:
        d = s.recv(4096)
        if not d:
            break
        got += d
    if got != m:
        fail("wrong reply %r" % got)
"#,
    );
    let (report, code) = check_json(&[], &[py, client.to_str().unwrap(), "{addr}"]);
    assert!(!passed(&report, code), "{report:#}");
    assert_eq!(row(&report, "whole")["passed"], true, "{report:#}");
    // The stall holds the rest of each reply for --stall-ms (1000 ms by
    // default) after the client has read the first part: a real silence,
    // longer than its 300 ms, so it takes half a reply for the whole.
    let stall = row(&report, "stall");
    assert_eq!(stall["passed"], false, "{stall:#}");
    assert_eq!(stall["blame"], "client", "{stall:#}");
}

#[test]
fn a_server_that_acks_at_once_and_answers_300_ms_later_fails() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    // Each recv gets "ACK\n" at once and, 300 ms later, "RESULT " and that
    // recv's bytes: one read taken for one request, seen only in the late
    // part of the reply.
    let server = write_script(
        dir.path(),
        "ack",
        r#"
import socket, sys, threading
srv = socket.create_server(("127.0.0.1", int(sys.argv[1])))
def serve(c):
    lock = threading.Lock()
    def send(data):
        with lock:
            try:
                c.sendall(data)
            except OSError:
                pass
    while True:
        d = c.recv(4096)
        if not d:
            return
        send(b"ACK\n")
        threading.Timer(0.3, send, args=(b"RESULT " + d,)).start()
while True:
    threading.Thread(target=serve, args=(srv.accept()[0],), daemon=True).start()
"#,
    );
    // One request: with replies ended by a fixed 150 ms of quiet, only the
    // ACKs were compared and every shape passed. The reply is whole when
    // the baseline says so, RESULT included, so a split request, answered
    // with two ACKs and two RESULTs, differs.
    let (report, code) = server_json(&["--request", r"hello, class\n"], &[py, &server, "{port}"]);
    assert!(!passed(&report, code), "{report:#}");
    let split = row(&report, "split");
    assert_eq!(split["passed"], false, "{split:#}");
    assert_eq!(split["blame"], "server", "{split:#}");
    // Every failure is the server's reads', and the report says so once;
    // the failing row shows the reply that came and the one sent whole.
    assert_eq!(report["blame"], "server", "{report:#}");
    assert!(split["received"].is_string() && split["expected"].is_string());
}

#[test]
fn a_naive_length_prefixed_server_fails_and_the_check_ends() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    // Each recv is taken for one frame: a 2-byte big-endian length, then the
    // body, answered with the body upper-cased behind its length. A recv
    // shorter than its length field says is taken for a broken client and
    // the connection closed, as many servers answer a malformed frame; so
    // every split point ends with a closed connection, which the split row
    // once waited on, point after point (minutes for 300 bytes).
    let server = write_script(dir.path(), "frames", NAIVE_FRAMES);
    // One frame of 300 bytes: its length field (298) and a lower-case body.
    let body = &b"a length field says how long the frame is; ".repeat(7)[..298];
    let frame = [&298u16.to_be_bytes()[..], body].concat();
    let requests = request_file(dir.path(), "frame.bin", &frame);
    // The check ends by itself and the split breaks the server. Ending is
    // what is tested, not how fast (the benchmark's figure): the bound is
    // twice the common limit, room for a split row that runs to its own
    // bound (--run-limit, 60 s) and the rows after it.
    let (report, code) = server_json_within(
        2 * common::LIMIT,
        &["--requests", &requests],
        &[py, &server, "{port}"],
    );
    assert!(!passed(&report, code), "{report:#}");
    let split = row(&report, "split");
    assert_eq!(split["passed"], false, "{split:#}");
    assert_eq!(split["blame"], "server", "{split:#}");
}

#[test]
fn a_correct_server_with_a_64_kib_request_passes() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    // Reads until a whole line is in, echoes it: right however the request
    // is split, on a thread per connection.
    let server = write_script(dir.path(), "line_echo", LINE_ECHO);
    // The longest request there is, 64 KiB, one line: the split row cannot
    // try every one of its points within the limit, it must choose.
    let mut line = b"0123456789abcdef".repeat(4096);
    *line.last_mut().unwrap() = b'\n';
    let requests = request_file(dir.path(), "line.txt", &line);
    let (report, code) = server_json(&["--requests", &requests], &[py, &server, "{port}"]);
    assert!(passed(&report, code), "{report:#}");
    assert_eq!(failed_shapes(&report), Vec::<String>::new(), "{report:#}");
}

#[test]
fn replies_with_a_random_id_are_said_to_vary_not_blamed_on_the_server_s_reads() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    // A line server that frames right, with a new random id before each
    // line it sends back: no two runs get the same bytes.
    let server = write_script(
        dir.path(),
        "random_id",
        r#"
import os, socket, sys, threading
srv = socket.create_server(("127.0.0.1", int(sys.argv[1])))
def serve(c):
    f = c.makefile("rb")
    with c:
        for line in f:
            c.sendall(b"id=%08x " % int.from_bytes(os.urandom(4), "big") + line)
while True:
    threading.Thread(target=serve, args=(srv.accept()[0],), daemon=True).start()
"#,
    );
    let (report, _) = server_json(&[], &[py, &server, "{port}"]);
    let runs = report["runs"].as_array().unwrap();
    // The baseline, run twice, sees the ids differ and says so, with the
    // bytes that vary and the --ignore that would leave them out.
    assert!(
        runs.iter().any(|r| r["reason"]
            .as_str()
            .is_some_and(|r| r.contains("replies vary between runs"))),
        "{report:#}"
    );
    // The varying bytes are masked in the shaped runs: the server reads its
    // requests right, so no shape fails it.
    for run in runs.iter().filter(|r| r["shape"] != "whole") {
        assert_eq!(run["passed"], true, "{run:#}");
    }
}

#[test]
fn concurrent_gives_one_verdict_for_a_server_that_crashes_on_a_cut_request() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    // It expects each connection's first recv to end a line and dies (exit
    // 3) when it does not; otherwise it echoes lines. A connection closed
    // before any byte (check's own probe whether it listens) is no request.
    let server = write_script(
        dir.path(),
        "crash",
        r#"
import os, socket, sys, threading
srv = socket.create_server(("127.0.0.1", int(sys.argv[1])))
def serve(c):
    with c:
        buf = c.recv(65536)
        if buf and not buf.endswith(b"\n"):
            os._exit(3)
        while True:
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                c.sendall(line + b"\n")
            d = c.recv(65536)
            if not d:
                return
            buf += d
while True:
    threading.Thread(target=serve, args=(srv.accept()[0],), daemon=True).start()
"#,
    );
    // Whether the server read the first connection's first half alone used
    // to depend on how fast it read, so one command could pass or fail.
    // Twenty runs in a row, each within the common limit, must agree.
    let verdicts: Vec<(i32, Value, Value)> = (0..20)
        .map(|_| {
            let (report, code) = server_json(&["--shape", "concurrent"], &[py, &server, "{port}"]);
            let run = &report["runs"][0];
            assert_eq!(run["shape"], "concurrent", "{report:#}");
            (code, run["passed"].clone(), run["reason"].clone())
        })
        .collect();
    assert!(verdicts.iter().all(|v| *v == verdicts[0]), "{verdicts:#?}");
    // And the one verdict is a failure: the second connection's requests go
    // once the server has read the first connection's first chunk, alone,
    // which this server cannot take.
    assert_eq!(verdicts[0].0, 1, "{verdicts:#?}");
    assert_eq!(verdicts[0].1, false, "{verdicts:#?}");
}

#[test]
fn a_client_that_quits_before_its_server_answers_in_full_fails() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    // The server answers "ACK\n" at once and the result 300 ms later; the
    // client reads the acknowledgement and quits, exit 0. The result reaches
    // a client that has closed: bytes it never read.
    let server = write_script(
        dir.path(),
        "late",
        r#"
import socket, sys, threading, time
srv = socket.create_server(("127.0.0.1", 0))
print(srv.getsockname()[1], flush=True)
srv.settimeout(30)
def serve(c):
    d = c.recv(4096)
    if not d:
        return
    c.sendall(b"ACK\n")
    time.sleep(0.3)
    try:
        c.sendall(b"RESULT " + d)
    except OSError:
        pass
    time.sleep(0.5)
while True:
    threading.Thread(target=serve, args=(srv.accept()[0],), daemon=True).start()
"#,
    );
    let mut child = std::process::Command::new(py)
        .arg(&server)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let upstream = format!("127.0.0.1:{}", line.trim());
    let client = python_client(
        dir.path(),
        "quits",
        r#"
s.sendall(MESSAGES[0])
got = b""
while not got.endswith(b"\n"):
    got += s.recv(1)
"#,
    );
    let (report, code) = check_json(
        &["--upstream", &upstream, "--shape", "whole"],
        &[py, client.to_str().unwrap(), "{addr}"],
    );
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        report["runs"][0]["reason"], "ended with 20 of 24 reply bytes never read",
        "{report:#}"
    );
}

#[test]
fn a_correct_client_that_closes_with_a_reset_on_purpose_passes() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    // Every reply read whole, then the socket closed with SO_LINGER 0: a
    // reset on purpose (as Java's setSoLinger(true, 0) or Go's SetLinger(0)
    // close), not bytes left unread. The kernel counts the two apart.
    let client = python_client(
        dir.path(),
        "linger",
        r#"
for m in MESSAGES[:2]:
    s.sendall(m)
    got = b""
    while len(got) < len(m):
        d = s.recv(len(m) - len(got))
        if not d:
            fail("closed")
        got += d
    if got != m:
        fail("wrong reply %r" % got)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
"#,
    );
    for _ in 0..3 {
        let (report, code) = check_json(&[], &[py, client.to_str().unwrap(), "{addr}"]);
        assert!(passed(&report, code), "{report:#}");
    }
}

#[test]
fn a_part_left_out_by_ignore_may_grow_and_a_late_part_is_waited_for_when_told() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    // A correct server that numbers its replies: past #9 the number is a
    // byte longer than it was in the baseline. Left out by --ignore, it is
    // no failure of any shape.
    let counter = write_script(
        dir.path(),
        "counter",
        r#"
import itertools, socket, sys, threading
srv = socket.create_server(("127.0.0.1", int(sys.argv[1])))
count = itertools.count(1)
def serve(c):
    for line in c.makefile("rb"):
        c.sendall(b"OK #%d " % next(count) + line)
    c.close()
while True:
    threading.Thread(target=serve, args=(srv.accept()[0],), daemon=True).start()
"#,
    );
    let (report, code) = server_json(&["--ignore", "#[0-9]+"], &[py, &counter, "{port}"]);
    assert!(passed(&report, code), "{report:#}");
    // A server whose result comes 700 ms after its acknowledgement, wrong
    // when the request came in chunks: past the default quiet of 500 ms the
    // result is not part of the reply; told to wait longer, it is, and the
    // wrong result is seen.
    let late = write_script(
        dir.path(),
        "late",
        r#"
import socket, sys, threading, time
srv = socket.create_server(("127.0.0.1", int(sys.argv[1])))
def serve(c):
    buf, chunks = b"", False
    while True:
        d = c.recv(65536)
        if not d:
            break
        buf += d
        chunks = chunks or not d.endswith(b"\n")
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            c.sendall(b"ACK\n")
            time.sleep(0.7)
            c.sendall(b"RESULT " + (line.upper() if chunks else line) + b"\n")
            chunks = False
    c.close()
while True:
    threading.Thread(target=serve, args=(srv.accept()[0],), daemon=True).start()
"#,
    );
    let (report, code) = server_json(
        &[
            "--reply-quiet-ms",
            "1500",
            "--request",
            r"hello, class\n",
            "--shape",
            "one-byte",
        ],
        &[py, &late, "{port}"],
    );
    assert!(!passed(&report, code), "{report:#}");
    let reproduce = report["runs"][0]["reproduce"].as_str().unwrap();
    assert!(reproduce.contains("--reply-quiet-ms 1500"), "{reproduce}");
}

#[test]
fn a_split_asked_for_past_the_reply_is_said_not_passed() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let client = python_client(
        dir.path(),
        "one",
        r#"
s.sendall(MESSAGES[0])
got = b""
while len(got) < len(MESSAGES[0]):
    got += s.recv(64)
"#,
    );
    // The first reply is 13 bytes: a split after byte 50 would split
    // nothing, and pass whatever the client does.
    let out = common::check(&[
        "--shape",
        "split",
        "--at",
        "50",
        "--",
        py,
        client.to_str().unwrap(),
        "{addr}",
    ]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the first reply is 13 bytes"), "{err}");
}

#[test]
fn a_daemon_that_listens_after_it_forked_away_is_waited_for_and_ended() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    // The first process forks, the child starts a session and forks again,
    // and the grandchild listens 300 ms later, once its parent has exited 0.
    let daemon = write_script(
        dir.path(),
        "late_daemon",
        r#"
import os, signal, socket, sys, time
port = int(sys.argv[1])
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        signal.alarm(30)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        time.sleep(0.3)
        srv = socket.create_server(("127.0.0.1", port))
        while True:
            c, _ = srv.accept()
            for line in c.makefile("rb"):
                c.sendall(line)
            c.close()
    os._exit(0)
os.wait()
"#,
    );
    let (report, code) = server_json(&["--shape", "whole"], &[py, &daemon, "{port}"]);
    assert!(passed(&report, code), "{report:#}");
    // And it ended with the check: no process runs the script any more.
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    let running = || {
        std::fs::read_dir("/proc").unwrap().flatten().any(|e| {
            std::fs::read(e.path().join("cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(daemon.as_str()))
        })
    };
    while running() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!running(), "the daemon outlived the check");
}

#[test]
fn bytes_left_in_the_client_s_kernel_are_counted_traced_and_said_not_looked_for_untraced() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    // An IPv6 socket reaching the IPv4 proxy (as Java's do by default):
    // the first reply read whole, the second left in its kernel, exit 0.
    let client = write_script(
        dir.path(),
        "mapped",
        r#"
import socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
s = socket.socket(socket.AF_INET6)
s.connect(("::ffff:" + host, int(port)))
first, second = b"hello, class\n", b"TCP is a byte stream\n"
s.sendall(first)
got = b""
while len(got) < len(first):
    got += s.recv(4096)
s.sendall(second)
time.sleep(0.3)  # its echo has reached this socket's queue, unread
s.close()
"#,
    );
    let command = [py, client.as_str(), "{addr}"];
    let (report, code) = check_json(&["--shape", "whole"], &command);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["tracing"], "traced");
    let reason = report["runs"][0]["reason"].as_str().unwrap();
    // The second echo was in its kernel when it closed: never read.
    assert_eq!(
        reason, "ended with 21 of 34 reply bytes never read",
        "{report:#}"
    );
    // Untraced, those bytes cannot be told apart from a reset on purpose:
    // the run passes, and the report says what was not looked for.
    let (report, code) = check_json(&["--shape", "whole", "--untraced"], &command);
    assert_eq!(
        (code, report["tracing"].as_str()),
        (0, Some("untraced")),
        "{report:#}"
    );
    let args = [&["--shape", "whole", "--untraced", "--"][..], &command].concat();
    let out = common::check(&args);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("note: the client ran untraced (--untraced)"),
        "{text}"
    );
}

#[test]
fn a_client_that_traces_is_a_check_that_cannot_be_made_unless_untraced() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    // A correct client that also calls ptrace (as one run under strace or
    // gdb does): refused while traced, which is not its framing's fault.
    let client = python_client(
        dir.path(),
        "traces",
        r#"
import ctypes
ctypes.CDLL(None).ptrace(0, 0, 0, 0)
m = MESSAGES[0]
s.sendall(m)
got = b""
while len(got) < len(m):
    got += s.recv(4096)
"#,
    );
    let command = [py, client.to_str().unwrap(), "{addr}"];
    let args = [&["--shape", "whole", "--"][..], &command].concat();
    let out = common::check(&args);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let error = String::from_utf8_lossy(&out.stderr);
    assert!(
        error.contains("the client calls ptrace itself") && error.contains("--untraced"),
        "{error}"
    );
    let (report, code) = check_json(&["--shape", "whole", "--untraced"], &command);
    assert_eq!(code, 0, "{report:#}");
}
