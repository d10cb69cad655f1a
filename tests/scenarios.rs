//! Every shipped scenario, every reader: the verdict is asserted, runs repeat
//! exactly, and bad scenario files are refused with file and line.

mod common;

use std::collections::BTreeSet;

use common::{run_with_input, tcp_boundary_bin, text};
use tcp_boundary::lesson::reader::ReaderKind;
use tcp_boundary::scenario::{BUILTIN, Outcome, Scenario, Step, Verdict};

#[test]
fn every_file_in_scenarios_is_shipped_and_every_shipped_one_has_a_file() {
    let files: BTreeSet<String> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
            .collect();
    let shipped: BTreeSet<String> = BUILTIN.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(files, shipped);
    for name in [
        "classic",
        "five-clients",
        "queued-client",
        "partial-read",
        "coalesced",
        "large-message",
        "out-of-step",
        "random-chunks",
        "cut-mid-message",
    ] {
        assert!(shipped.contains(name), "{name} missing");
    }
}

#[test]
fn every_scenario_gives_every_reader_its_expected_verdict() {
    for s in Scenario::builtins() {
        let fragmenting = s.server_config(None).unwrap().fragmenting()
            || s.client.write_chunk.is_some()
            || s.client.recv_buffer.is_some();
        for reader in ReaderKind::ALL {
            let report = s.run(reader, None).unwrap();
            assert!(
                report.as_expected,
                "{} with {reader}: {:?} expected {:?}, checks {:?}",
                s.name, report.verdict, report.expected, report.checks
            );
            assert_eq!(report.verdict, s.expect.of(reader));
            // The lesson itself: the naive reader breaks wherever the stream is
            // split or merged, and a correct reader never takes a wrong reply.
            if reader == ReaderKind::Naive && fragmenting {
                assert_eq!(report.verdict, Verdict::Broken, "{}", s.name);
            }
            if reader.is_correct() {
                assert_ne!(report.verdict, Verdict::Broken, "{} with {reader}", s.name);
            }
        }
    }
}

#[test]
fn repeated_runs_have_identical_timelines() {
    // Bounded: 5 runs of each scenario with each reader (the 1000-run proof under
    // load is `tcp-boundary run --all --repeat 1000`; see README).
    for s in Scenario::builtins() {
        // queued-client pauses, and backlog waits for a SYN retry (a second).
        let times = match s.name.as_str() {
            "queued-client" | "backlog" => 2,
            _ => 5,
        };
        for reader in ReaderKind::ALL {
            let rep = s.repeat(reader, None, times).unwrap();
            assert!(rep.perfect(), "{rep:?}");
        }
    }
}

#[test]
fn the_same_seed_gives_the_same_timeline_and_another_seed_another() {
    let s = Scenario::builtin("random-chunks").unwrap();
    let a = s.run(ReaderKind::Naive, Some(7)).unwrap();
    let b = s.run(ReaderKind::Naive, Some(7)).unwrap();
    let c = s.run(ReaderKind::Naive, Some(8)).unwrap();
    assert_eq!(a.seed, Some(7));
    assert_eq!(a.shape(), b.shape());
    assert_eq!(a.verdict, b.verdict);
    assert_ne!(a.shape(), c.shape());
    // Whatever the seed, the correct readers recover every message.
    for seed in 0..20 {
        for reader in [ReaderKind::Exact, ReaderKind::Line, ReaderKind::Length] {
            assert_eq!(s.run(reader, Some(seed)).unwrap().verdict, Verdict::Intact);
        }
    }
}

#[test]
fn the_naive_reader_stays_out_of_step() {
    let s = Scenario::builtin("out-of-step").unwrap();
    let report = s.run(ReaderKind::Naive, None).unwrap();
    let got: Vec<Vec<u8>> = report
        .rounds
        .iter()
        .map(|r| r.received.clone().unwrap())
        .collect();
    assert_eq!(
        got,
        [
            &b"first re"[..],
            b"ply\n",
            b"two\nthre",
            b"e\n",
            b"four\nfiv"
        ]
        .map(|b| b.to_vec())
    );
    assert!(report.rounds.iter().all(|r| r.outcome == Outcome::Wrong));
}

#[test]
fn coalesced_replies_arrive_in_one_read_and_the_naive_reader_then_stalls() {
    let s = Scenario::builtin("coalesced").unwrap();
    let report = s.run(ReaderKind::Naive, None).unwrap();
    assert_eq!(
        report.rounds[0].received.as_deref(),
        Some(&b"hello\nworld\n"[..])
    );
    assert_eq!(report.rounds[1].outcome, Outcome::Stalled);
}

#[test]
fn the_correct_readers_report_a_cut_as_closed_mid_message() {
    let s = Scenario::builtin("cut-mid-message").unwrap();
    for reader in [ReaderKind::Exact, ReaderKind::Line, ReaderKind::Length] {
        let report = s.run(reader, None).unwrap();
        assert_eq!(
            report.rounds[0].outcome,
            Outcome::ClosedMidMessage,
            "{reader}"
        );
    }
}

#[test]
fn a_scenario_built_in_code_runs() {
    let mut s = Scenario::default();
    s.server.chunk = Some(1);
    s.server.chunk_delay_ms = Some(1);
    s.steps = vec![Step::Send {
        client: 1,
        messages: vec![b"abc\n".to_vec(), b"de\n".to_vec()],
    }];
    let naive = s.run(ReaderKind::Naive, None).unwrap();
    assert_eq!(naive.verdict, Verdict::Broken);
    assert_eq!(naive.rounds[0].received.as_deref(), Some(&b"a"[..]));
    let line = s.run(ReaderKind::Line, None).unwrap();
    assert_eq!(line.verdict, Verdict::Intact);
    // Impossible values are refused before anything runs.
    s.server.chunk = Some(0);
    let err = s.run(ReaderKind::Exact, None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "<>: [server] chunk = 0 is out of range: 1 to 16777216"
    );
}

#[test]
fn cli_list_show_and_run() {
    let list = run_with_input(tcp_boundary_bin(), &["list"], b"");
    assert!(list.status.success());
    let out = text(&list.stdout);
    for (name, _) in BUILTIN {
        assert!(out.contains(name), "{out}");
    }

    assert_cmd::Command::new(tcp_boundary_bin())
        .args(["show", "partial-read"])
        .timeout(common::LIMIT)
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "  - chunks of at most 4 bytes, 150 ms pause after each\n",
        ));

    let run = run_with_input(tcp_boundary_bin(), &["run", "partial-read"], b"");
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let out = text(&run.stdout);
    assert!(out.contains("✗ reply 1: hell"), "{out}");
    assert!(out.contains("every verdict as expected"));
    // Piped output carries no colour codes.
    assert!(!out.contains('\u{1b}'), "{out:?}");
}

#[test]
fn cli_run_json_is_machine_readable() {
    let run = run_with_input(
        tcp_boundary_bin(),
        &["run", "coalesced", "--reader", "naive", "--json"],
        b"",
    );
    assert_eq!(run.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(v[0]["scenario"], "coalesced");
    assert_eq!(v[0]["verdict"], "broken");
    assert_eq!(v[0]["rounds"][0]["received"], "hello\\nworld\\n");
    assert_eq!(v[0]["rounds"][1]["outcome"], "stalled");
}

#[test]
fn cli_exit_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();

    // A verdict not as expected: exit 1.
    let surprise = dir.join("surprise.toml");
    std::fs::write(
        &surprise,
        common::GOOD_SCENARIO.replace("naive = \"broken\"", "naive = \"intact\""),
    )
    .unwrap();
    let out = run_with_input(
        tcp_boundary_bin(),
        &["run", surprise.to_str().unwrap()],
        b"",
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("some verdicts were not as expected"));

    // A bad file: exit 2, one line with file and line.
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        common::GOOD_SCENARIO.replace("chunk = 1", "chunk = 0"),
    )
    .unwrap();
    let out = run_with_input(tcp_boundary_bin(), &["run", bad.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.starts_with(&format!("error: {}:6: ", bad.display())),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    // A missing file and an unknown name: exit 2.
    let out = run_with_input(tcp_boundary_bin(), &["run", "no/such.toml"], b"");
    assert_eq!(out.status.code(), Some(2));
    let out = run_with_input(tcp_boundary_bin(), &["run", "no-such-scenario"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no scenario named 'no-such-scenario'"));

    // Usage: exit 2.
    let out = run_with_input(tcp_boundary_bin(), &["run"], b"");
    assert_eq!(out.status.code(), Some(2));
}

/// README's section on each scenario says what the scenario's own file says:
/// its lesson, description and what to point at.
#[test]
fn readme_scenario_sections_follow_the_scenario_files() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let join = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    for s in Scenario::builtins() {
        let section = format!(
            "#### `{}`\n\n**{}** {}\n\n*Point at:* {}\n\n",
            s.name,
            s.lesson,
            join(&s.description),
            join(&s.point_at)
        );
        assert!(
            readme.contains(&section),
            "README's section differs:\n{section}"
        );
    }
}

/// A scenario's texts quote the screen from the catalogue, `{=id n=…}`, in
/// their own language: `show coalesced --lang ko` says what the Korean
/// screen says; a quote of no message is refused.
#[test]
fn texts_quote_the_screen_from_the_catalogue_in_their_own_language() {
    use tcp_boundary::lang::Lang;
    let s = Scenario::builtin("coalesced").unwrap();
    let stalled = |lang: Lang| lang.say("outcome-stalled", &[]);
    assert!(
        s.point_at_in(Lang::En).contains(&stalled(Lang::En)),
        "{}",
        s.point_at
    );
    assert!(s.point_at_in(Lang::Ko).contains(&stalled(Lang::Ko)));
    assert!(!s.point_at_in(Lang::Ko).contains("{="));
    let large = Scenario::builtin("large-message").unwrap();
    assert!(large.point_at.contains("`q4096`"));
    let bad =
        common::GOOD_SCENARIO.replace("description = \"d\"", "description = \"see {=no-such-id}\"");
    let err = Scenario::parse("bad", "bad.toml", &bad).unwrap_err();
    assert!(err.to_string().contains("no-such-id"), "{err}");
}

/// Every reader's run of a scenario goes at once, each with its own listener
/// and conductor: backlog's one-second wait for a SYN to be resent is waited
/// once, not five times, and every verdict is what it is alone.
#[test]
fn the_readers_run_side_by_side_and_wait_once() {
    let s = Scenario::builtin("backlog").unwrap();
    let started = std::time::Instant::now();
    let reports = s.run_readers(&ReaderKind::ALL, None).unwrap();
    let took = started.elapsed();
    // One after another, five waits of a second or more would take 5 s at
    // least: anything under that (however loaded the machine) was side by
    // side.
    assert!(took < std::time::Duration::from_millis(4950), "{took:?}");
    let readers: Vec<ReaderKind> = reports.iter().map(|r| r.reader).collect();
    assert_eq!(readers, ReaderKind::ALL);
    for r in &reports {
        assert!(
            r.as_expected,
            "{}: {:?} {:?}",
            r.reader, r.verdict, r.checks
        );
    }
}

/// Our own usage errors speak the class's language: a scenario that does not
/// exist, under `--lang ko`, is one Korean line; in English it stays English.
#[test]
fn an_unknown_scenario_is_said_in_the_class_s_language() {
    let out = run_with_input(tcp_boundary_bin(), &["run", "nope", "--lang", "ko"], b"");
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("오류: 'nope' 시나리오가 없습니다"), "{err}");
    assert!(err.contains("large-message"), "{err}");
    let out = run_with_input(tcp_boundary_bin(), &["show", "nope", "--lang", "en"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("error: no scenario named 'nope'"));
}

/// `run`'s shaping switches say whose they are: the scenario's server's
/// (`run nagle --nodelay` leaves the client's Nagle on, as its file says).
#[test]
fn run_s_shaping_switches_say_they_shape_the_server() {
    let out = run_with_input(tcp_boundary_bin(), &["run", "--help"], b"");
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("Shaping the scenario's server (its client keeps the scenario's settings):"),
        "{help}"
    );
}
