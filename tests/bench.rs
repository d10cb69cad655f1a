//! `tcp-boundary bench`: every mode runs and reports sane, non-zero figures.
//! No test asserts a speed: speed belongs in the figures the bench prints.

mod common;

use common::{run_with_input, start_server, tcp_boundary_bin, text};
use serde_json::Value;

fn bench_json(args: &[&str]) -> Value {
    let mut all = vec!["bench"];
    all.extend_from_slice(args);
    all.push("--json");
    let out = run_with_input(tcp_boundary_bin(), &all, b"");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn positive(v: &Value) -> bool {
    v.as_f64().is_some_and(|x| x > 0.0 && x.is_finite())
}

#[test]
fn rtt_against_a_spawned_server() {
    let v = bench_json(&[
        "rtt",
        "--spawn-server",
        "--quiet",
        "--count",
        "300",
        "--warmup",
        "20",
    ]);
    assert_eq!(v["mode"], "rtt");
    for side in ["server", "raw"] {
        assert_eq!(v[side]["count"], 300);
        for f in ["p50_us", "p99_us", "mean_us"] {
            assert!(positive(&v[side][f]), "{side}.{f} = {}", v[side][f]);
        }
        assert!(v[side]["p50_us"].as_f64() <= v[side]["p99_us"].as_f64());
    }
}

#[test]
fn throughput_against_a_spawned_server() {
    let v = bench_json(&[
        "throughput",
        "--spawn-server",
        "--quiet",
        "--buffer-size",
        "65536",
        "--bytes",
        "8M",
    ]);
    for side in ["server", "raw"] {
        assert_eq!(v[side]["bytes"], 8 * 1024 * 1024, "{side}");
        assert!(positive(&v[side]["mb_per_s"]));
    }
}

#[test]
fn connect_against_a_spawned_server() {
    let v = bench_json(&["connect", "--spawn-server", "--quiet", "--count", "100"]);
    for side in ["server", "raw"] {
        assert_eq!(v[side]["count"], 100);
        assert!(positive(&v[side]["per_s"]));
    }
}

#[test]
fn queue_shows_each_client_waiting_for_the_ones_before() {
    let v = bench_json(&[
        "queue",
        "--spawn-server",
        "--quiet",
        "--concurrent",
        "3",
        "--hold-ms",
        "200",
    ]);
    let waits: Vec<f64> = v["server"]["waits_ms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_f64().unwrap())
        .collect();
    assert_eq!(waits.len(), 3);
    // Behaviour, not speed: the iterative server serves one client at a time,
    // so the k-th client served waited at least the holds of the k-1 before it.
    for (k, w) in waits.iter().enumerate() {
        assert!(
            *w >= 200.0 * k as f64,
            "client {} waited only {w} ms",
            k + 1
        );
    }
    assert_eq!(v["raw"]["waits_ms"].as_array().unwrap().len(), 3);
}

#[test]
fn against_the_echo_server_binary_with_its_peak_memory() {
    let server = start_server(&["--clients", "1", "--quiet"]);
    let addr = format!("127.0.0.1:{}", server.port);
    let pid = server.child.id().to_string();
    let out = run_with_input(
        tcp_boundary_bin(),
        &[
            "bench",
            "throughput",
            "--addr",
            &addr,
            "--bytes",
            "4M",
            "--pid",
            &pid,
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("MB/s"), "{stdout}");
    // The peak is a number of KiB read from /proc, not "not readable", and a
    // plausible one for a process that echoed 4 MB through a 1 KiB buffer.
    let prefix = format!("peak RSS of process {pid}: ");
    let line = stdout
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no peak RSS line in {stdout}"));
    let kib: u64 = line[prefix.len()..]
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no KiB figure in {line:?}"));
    assert!((100..64 * 1024).contains(&kib), "{line}");
    assert_eq!(server.finish().2, 0);
}

#[test]
fn bad_bench_arguments() {
    for args in [
        &["bench", "rtt"][..],
        &["bench", "rtt", "--addr", "nope"],
        &["bench", "throughput", "--spawn-server", "--bytes", "0"],
        &["bench", "throughput", "--spawn-server", "--bytes", "12X"],
        &["bench", "fast", "--spawn-server"],
    ] {
        let out = run_with_input(tcp_boundary_bin(), args, b"");
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(text(&out.stderr).starts_with("error: "));
    }
    // Nothing listening: a runtime error, exit 1.
    let closed = common::refused_port();
    let addr = closed.addr.to_string();
    let out = run_with_input(tcp_boundary_bin(), &["bench", "rtt", "--addr", &addr], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("refused"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn max_seconds_bounds_the_whole_run_and_every_figure_is_measured() {
    // Counts far beyond what fits in the time: the run still ends on time, and
    // both the server and the raw pair get measured.
    let started = std::time::Instant::now();
    let out = run_with_input(
        tcp_boundary_bin(),
        &[
            "bench",
            "rtt",
            "--spawn-server",
            "--quiet",
            "--warmup",
            "10000000",
            "--count",
            "10000000",
            "--max-seconds",
            "2",
            "--json",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["server"]["count"].as_u64().unwrap() > 0, "{v}");
    assert!(v["raw"]["count"].as_u64().unwrap() > 0, "{v}");
}

#[test]
fn a_queue_longer_than_the_time_allowed_is_a_usage_error() {
    let out = run_with_input(
        tcp_boundary_bin(),
        &[
            "bench",
            "queue",
            "--spawn-server",
            "--quiet",
            "--concurrent",
            "200",
            "--hold-ms",
            "1000",
            "--max-seconds",
            "10",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: 200 clients holding 1000 ms each need 400 s, more than the 10 s allowed \
         (--max-seconds)\n"
    );
}

/// A hostile server written here, on 127.0.0.1 port 0: each connection (at
/// most 64) is given to `serve` in a thread of its own, and every `serve`
/// below ends within [`common::LIMIT`].
fn hostile(serve: fn(std::net::TcpStream)) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for conn in listener.incoming().take(64) {
            let Ok(c) = conn else { break };
            std::thread::spawn(move || serve(c));
        }
    });
    addr
}

/// Writes as fast as it can, and never reads.
fn flood(mut c: std::net::TcpStream) {
    use std::io::Write;
    let start = std::time::Instant::now();
    let _ = c.set_write_timeout(Some(common::LIMIT));
    let block = vec![b'y'; 64 * 1024];
    while start.elapsed() < common::LIMIT && c.write_all(&block).is_ok() {}
}

/// Accepts, then neither reads nor writes.
fn silent(c: std::net::TcpStream) {
    std::thread::sleep(common::LIMIT);
    drop(c);
}

/// Reads everything, and writes nothing back.
fn sink(mut c: std::net::TcpStream) {
    let _ = c.set_read_timeout(Some(common::LIMIT));
    let _ = std::io::copy(&mut c, &mut std::io::sink());
}

/// Echoes everything, one message late: 16 bytes of its own come first.
fn one_behind(mut c: std::net::TcpStream) {
    use std::io::Write;
    let _ = c.set_read_timeout(Some(common::LIMIT));
    let mut back = c.try_clone().unwrap();
    if back.write_all(b"an old message!\n").is_ok() {
        let _ = std::io::copy(&mut c, &mut back);
    }
}

/// Echoes everything, but the 1001st byte of the stream comes back as `#`.
fn corrupting(mut c: std::net::TcpStream) {
    use std::io::{Read, Write};
    let _ = c.set_read_timeout(Some(common::LIMIT));
    let mut at = 0usize;
    let mut buf = [0u8; 4096];
    while let Ok(n @ 1..) = c.read(&mut buf) {
        if (at..at + n).contains(&1000) {
            buf[1000 - at] = b'#';
        }
        at += n;
        if c.write_all(&buf[..n]).is_err() {
            break;
        }
    }
}

/// `bench MODE --addr ADDR ARGS…`: its exit status, its stderr, and how long
/// it took.
fn bench_against(mode: &str, addr: &str, args: &[&str]) -> (Option<i32>, String, f64) {
    let started = std::time::Instant::now();
    let mut all = vec!["bench", mode, "--addr", addr];
    all.extend_from_slice(args);
    let out = run_with_input(tcp_boundary_bin(), &all, b"");
    (
        out.status.code(),
        text(&out.stderr),
        started.elapsed().as_secs_f64(),
    )
}

/// Every mode against `server` with `--max-seconds 2`: exit 1 within the two
/// seconds and the grace (1 s) with a margin for a loaded machine, and one
/// line of error in words that contains one of `said`.
fn every_mode_ends_on_time(server: fn(std::net::TcpStream), said: &[&str]) {
    let addr = hostile(server);
    for mode in ["rtt", "throughput", "connect", "queue"] {
        let (code, stderr, secs) = bench_against(mode, &addr, &["--max-seconds", "2"]);
        assert_eq!(code, Some(1), "{mode}: {stderr}");
        assert!(secs < 2.0 + 1.0 + 3.0, "{mode} took {secs:.1} s: {stderr}");
        assert!(stderr.starts_with("error: "), "{mode}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{mode}: {stderr}");
        assert!(!stderr.contains("os error"), "{mode}: {stderr}");
        assert!(said.iter().any(|s| stderr.contains(s)), "{mode}: {stderr}");
    }
}

#[test]
fn a_server_that_floods_and_never_reads_ends_the_run_at_once() {
    every_mode_ends_on_time(
        flood,
        &["is not what was sent", "sent back more than it was sent"],
    );
}

#[test]
fn a_silent_server_ends_the_run_at_max_seconds() {
    every_mode_ends_on_time(silent, &["before the time allowed ran out (--max-seconds)"]);
}

#[test]
fn a_server_that_reads_and_never_answers_ends_the_run_at_max_seconds() {
    // It closes once it has read everything: the throughput's end.
    every_mode_ends_on_time(
        sink,
        &[
            "before the time allowed ran out (--max-seconds)",
            "echoed 0 of the 268435456 bytes sent",
        ],
    );
}

#[test]
fn a_server_that_stops_answering_is_said_in_words_after_ten_seconds() {
    // Far from --max-seconds: what ends the wait is the stall of 10 s.
    let addr = hostile(silent);
    let (code, stderr, secs) = bench_against("rtt", &addr, &["--max-seconds", "60"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!((9.5..20.0).contains(&secs), "took {secs:.1} s: {stderr}");
    assert_eq!(
        stderr,
        format!("error: no echo from {addr} for 10 s: the server is not answering\n")
    );
}

#[test]
fn rtt_checks_that_every_echo_is_what_it_sent() {
    // An echo one message behind has the right length every time.
    let addr = hostile(one_behind);
    let (code, stderr, _) = bench_against("rtt", &addr, &["--count", "100"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "the echo from {addr} is not what was sent: in round trip 1, byte 1 of 16 came back \
             as 'a' where"
        )),
        "{stderr}"
    );
    // One byte wrong in the 63rd round trip of 16 bytes (the 1001st byte).
    let addr = hostile(corrupting);
    let (code, stderr, _) = bench_against("rtt", &addr, &["--count", "100", "--warmup", "0"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("in round trip 63, byte 9 of 16 came back as '#' where"),
        "{stderr}"
    );
    // connect and queue check their echoes too.
    for mode in ["connect", "queue"] {
        let addr = hostile(one_behind);
        let (code, stderr, _) = bench_against(mode, &addr, &[]);
        assert_eq!(code, Some(1), "{mode}: {stderr}");
        assert!(stderr.contains("is not what was sent"), "{mode}: {stderr}");
    }
}
