//! A verdict of `tcp-boundary check` that can be trusted: no false failure
//! (a correct client with messages up to 1 MiB passes), no false pass (a
//! client that exchanges nothing, or frames by sleeping, fails), and a naive
//! client fails the same way every time.

mod common;

use common::{check_json, failed_shapes, python, python_client, write_script};
use serde_json::Value;

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
    let sized = write_script(dir.path(), "sized", SIZED);
    // Paced by the reader, a shape costs what the client's reads cost, not
    // a pause per chunk: messages of 64 KiB pass every shape, no run hangs.
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
    let silent = write_script(
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
    let sleeper = python_client(
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
    let naive = write_script(dir.path(), "naive", SIZED_NAIVE);
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
