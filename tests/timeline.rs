//! The timeline a class is shown: every row true, said once.

mod common;

use common::{run_with_input, tcp_boundary_bin, text};
use tcp_boundary::lesson::reader::ReaderKind;

fn run_text(args: &[&str]) -> String {
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    let out = run_with_input(tcp_boundary_bin(), &all, b"");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn one_seed_is_stated_once_the_one_in_force() {
    let out = run_text(&["random-chunks", "--seed", "7", "--reader", "naive"]);
    assert_eq!(out.matches("(seed 7)").count(), 1, "{out}");
    assert!(!out.contains("seed:"), "{out}");
    assert!(!out.contains("2024"), "{out}");
}

/// Every report of `run --all --json`, for every reader.
fn all_reports() -> Vec<serde_json::Value> {
    let out = run_with_input(tcp_boundary_bin(), &["run", "--all", "--json"], b"");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The rules every timeline keeps, checked from the JSON, not the text: a
/// read comes after the writes of its bytes (per connection and direction),
/// never returns more than it asked for nor asks for more than its buffer,
/// and no client reads after it closed.
#[test]
fn every_timeline_keeps_causality_buffer_bounds_and_no_read_after_quit() {
    use std::collections::{HashMap, HashSet};
    let reports = all_reports();
    // Twelve scenarios, five readers each.
    assert_eq!(reports.len(), 60);
    for r in &reports {
        let name = format!("{} {}", r["scenario"], r["reader"]);
        let client_buffer = r["client_buffer"].as_u64().unwrap();
        let server_buffer = r["server_buffer"].as_u64().unwrap();
        // Bytes written so far per (client, direction): 0 up, 1 down.
        let mut written: HashMap<(u64, u8), u64> = HashMap::new();
        let mut closed: HashSet<u64> = HashSet::new();
        let mut serving = 0; // the client of the server's last accept
        for e in r["timeline"].as_array().unwrap() {
            let kind = e["kind"].as_str().unwrap();
            let is_client = e["side"] == "client";
            let client = if is_client {
                e["client"].as_u64().unwrap()
            } else {
                serving
            };
            if kind == "accept" {
                serving = e["client"].as_u64().unwrap();
            }
            let dir = |client_side: bool| -> u8 { if client_side { 0 } else { 1 } };
            match kind {
                "write" => {
                    let len = e["len"].as_u64().unwrap();
                    assert_eq!(
                        e["at"].as_u64().unwrap(),
                        written.get(&(client, dir(is_client))).copied().unwrap_or(0),
                        "{name}: {e}"
                    );
                    *written.entry((client, dir(is_client))).or_default() += len;
                }
                "read" => {
                    let len = e["len"].as_u64().unwrap();
                    let asked = e["asked"].as_u64().unwrap();
                    let at = e["at"].as_u64().unwrap();
                    let buffer = if is_client {
                        client_buffer
                    } else {
                        server_buffer
                    };
                    assert!(len <= asked && asked <= buffer, "{name}: {e}");
                    // The peer's writes in this direction cover the bytes read.
                    let peer_wrote = written.get(&(client, dir(!is_client))).copied();
                    assert!(
                        at + len <= peer_wrote.unwrap_or(0),
                        "{name}: read before write: {e}"
                    );
                    assert!(
                        !(is_client && closed.contains(&client)),
                        "{name}: read after quit: {e}"
                    );
                }
                "close" | "shutdown" if is_client => {
                    closed.insert(client);
                }
                _ => {}
            }
        }
    }
}

#[test]
fn every_scenario_fits_80_columns_in_both_languages() {
    use unicode_width::UnicodeWidthStr;
    for lang in ["en", "ko"] {
        for (name, _) in tcp_boundary::scenario::BUILTIN {
            for reader in ReaderKind::ALL.map(ReaderKind::name) {
                let out = assert_cmd::Command::new(tcp_boundary_bin())
                    .args(["run", name, "--reader", reader, "--lang", lang])
                    .env("COLUMNS", "80")
                    .timeout(common::LIMIT)
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{name} {reader} {lang}: {}",
                    text(&out.stderr)
                );
                let text = text(&out.stdout);
                assert!(!text.is_empty(), "{name} {reader} {lang}: no output");
                for line in text.lines() {
                    assert!(
                        line.width() <= 80,
                        "{name} {reader} {lang}: {} columns: {line}",
                        line.width()
                    );
                }
            }
        }
        for args in [
            &["list"][..],
            &["show", "random-chunks"],
            &["show", "split-character"],
            &["run", "--all"],
        ] {
            let out = assert_cmd::Command::new(tcp_boundary_bin())
                .args(args)
                .args(["--lang", lang])
                .env("COLUMNS", "80")
                .timeout(common::LIMIT)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{args:?} {lang}: {}",
                text(&out.stderr)
            );
            let shown = text(&out.stdout);
            assert!(shown.lines().count() > 1, "{args:?} {lang}: no output");
            for line in shown.lines() {
                assert!(line.width() <= 80, "{args:?} {lang}: {line}");
            }
        }
    }
}

/// At the narrowest layout (60 columns) every line still fits: the
/// timeline's header wraps its titles in their columns and a cell of the
/// rounds table is clipped to its column (`✗ overflows` was one column too wide).
#[test]
fn every_line_fits_60_columns_in_both_languages() {
    use unicode_width::UnicodeWidthStr;
    for lang in ["en", "ko"] {
        let mut runs: Vec<Vec<&str>> = tcp_boundary::scenario::BUILTIN
            .iter()
            .map(|(name, _)| vec!["run", name])
            .collect();
        runs.extend([
            vec!["run", "large-message", "--reader", "length"],
            vec!["run", "--all"],
            vec!["list"],
            vec!["show", "backlog"],
        ]);
        for args in runs {
            let out = assert_cmd::Command::new(tcp_boundary_bin())
                .args(&args)
                .args(["--lang", lang])
                .env("COLUMNS", "60")
                .timeout(common::LIMIT)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{args:?} {lang}: {}",
                text(&out.stderr)
            );
            let text = text(&out.stdout);
            assert!(text.lines().count() > 1, "{args:?} {lang}: no output");
            for line in text.lines() {
                assert!(
                    line.width() <= 60,
                    "{args:?} {lang}: {} columns: {line}",
                    line.width()
                );
            }
        }
    }
}

/// Wrapping is linear in the text's length: a word of 40,000 combining
/// marks (one column in all) took 6 to 20 s when each added character
/// measured the whole line again.
#[test]
fn wrapping_40000_combining_marks_is_quick() {
    let word = format!("e{}", "\u{301}".repeat(40_000));
    let text = format!("a {word} b");
    let started = std::time::Instant::now();
    let lines = tcp_boundary::view::timeline::wrap(&text, 20);
    let took = started.elapsed();
    // Five columns in all: one line.
    assert_eq!(lines, vec![text.clone()]);
    assert!(took < std::time::Duration::from_secs(2), "took {took:?}");
}

/// random-chunks shows both shapes of the lesson whatever the seed: a client
/// read that joins bytes of two server writes, and a reply that arrives over
/// several reads (a read that ends inside a message).
#[test]
fn random_chunks_shows_both_shapes_for_any_seed() {
    use tcp_boundary::event::{Side, What};
    use tcp_boundary::lesson::reader::ReaderKind;
    use tcp_boundary::scenario::Scenario;
    let s = Scenario::builtin("random-chunks").unwrap();
    for seed in (0..40).chain([2024, u64::MAX]) {
        let r = s.run(ReaderKind::Naive, Some(seed)).unwrap();
        // The server's writes and the client's reads, as stream ranges.
        let ranges = |server: bool| -> Vec<(u64, u64)> {
            r.timeline
                .iter()
                .filter_map(|e| match (&e.what, e.side) {
                    (What::Write { at, bytes }, Side::Server) if server => {
                        Some((*at, at + bytes.len() as u64))
                    }
                    (What::Read { at, bytes, .. }, Side::Client(_)) if !server => {
                        Some((*at, at + bytes.len() as u64))
                    }
                    _ => None,
                })
                .collect()
        };
        let (writes, reads) = (ranges(true), ranges(false));
        let joins_two_writes = reads
            .iter()
            .any(|&(a, b)| writes.iter().filter(|&&(wa, wb)| wa < b && a < wb).count() >= 2);
        // Message boundaries in the stream: the ends of the messages sent.
        let mut ends = Vec::new();
        let mut end = 0;
        for round in &r.rounds {
            end += round.sent.len() as u64;
            ends.push(end);
        }
        let ends_mid_message = reads.iter().any(|&(_, b)| !ends.contains(&b));
        assert!(joins_two_writes, "seed {seed}: no read joins two writes");
        assert!(ends_mid_message, "seed {seed}: no reply over several reads");
        assert!(r.as_expected, "seed {seed}");
    }
}

#[test]
fn pace_waits_the_pauses_and_step_waits_for_enter() {
    use std::io::{Read, Write};
    use std::time::{Duration, Instant};
    // partial-read's server pauses 150 ms twice: --pace really waits them.
    let started = Instant::now();
    let out = run_with_input(tcp_boundary_bin(), &["run", "partial-read", "--pace"], b"");
    assert_eq!(out.status.code(), Some(0));
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(text(&out.stdout).contains("(pause 150 ms)"));

    // --step shows nothing of the timeline until Enter.
    let mut child = std::process::Command::new(tcp_boundary_bin())
        .args(["run", "partial-read", "--step"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_millis(500);
    while let Ok(chunk) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        seen.extend(chunk);
    }
    let before = String::from_utf8_lossy(&seen).into_owned();
    assert!(before.contains("timeline, naive reader"), "{before}");
    assert!(
        !before.contains("c1 connect"),
        "a row before Enter: {before}"
    );
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"\n").unwrap();
    let first_row = rx.recv_timeout(common::LIMIT).unwrap();
    assert!(String::from_utf8_lossy(&first_row).contains("c1 connect"));
    drop(stdin); // the end of input shows the rest at once
    assert_eq!(common::wait_limited(&mut child).code(), Some(0));
}

#[test]
fn the_length_header_is_shown_decoded() {
    let out = run_text(&["partial-read", "--reader", "length", "--no-pager"]);
    assert!(
        out.contains("c1 write 17 B @0 ⟨13⟩hello, class\\n"),
        "{out}"
    );
    assert!(!out.contains("\\0\\0\\0\\r"), "{out}");
}

/// `--pace FACTOR` stretches every pause; a factor outside 0.1 to 20 is a
/// usage error (exit 2) that says the limits.
#[test]
fn pace_takes_a_factor_within_its_limits() {
    use std::time::{Duration, Instant};
    // partial-read's exact timeline pauses 150 ms four times: at --pace 2,
    // 1.2 s.
    let started = Instant::now();
    let out = run_with_input(
        tcp_boundary_bin(),
        &["run", "partial-read", "--reader", "exact", "--pace", "2"],
        b"",
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(started.elapsed() >= Duration::from_millis(1200));
    for bad in ["50", "0", "-1", "fast"] {
        let out = run_with_input(
            tcp_boundary_bin(),
            &["run", "partial-read", "--pace", bad],
            b"",
        );
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = text(&out.stderr);
        assert!(err.contains("from 0.1 to 20"), "{bad}: {err}");
        assert!(out.stdout.is_empty());
    }
}

/// Every row names its call: the server's broken pipe in split-character
/// comes after a pause row, and it was the echo's next write that failed.
#[test]
fn a_failed_call_s_row_names_the_call() {
    use tcp_boundary::event::What;
    use tcp_boundary::lesson::reader::ReaderKind;
    use tcp_boundary::scenario::Scenario;
    let report = Scenario::builtin("split-character")
        .unwrap()
        .run(ReaderKind::Naive, None)
        .unwrap();
    let failed = report
        .timeline
        .iter()
        .find(|e| matches!(e.what, What::Error { .. }))
        .expect("the server's write fails");
    assert!(
        matches!(
            failed.what,
            What::Error {
                call: Some("write"),
                ..
            }
        ),
        "{failed:?}"
    );
    let json = serde_json::to_value(failed).unwrap();
    assert_eq!(json["call"], "write", "{json}");
    for (lang, said) in [
        ("en", "write failed: broken pipe"),
        ("ko", "write 오류: EPIPE: 상대가 이미 연결을 닫음"),
    ] {
        let out = run_with_input(
            tcp_boundary_bin(),
            &[
                "run",
                "split-character",
                "--reader",
                "naive",
                "--lang",
                lang,
            ],
            b"",
        );
        assert!(
            text(&out.stdout).contains(said),
            "{lang}: {}",
            text(&out.stdout)
        );
    }
}
