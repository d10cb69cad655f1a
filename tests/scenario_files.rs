//! Scenario files a user writes: a bad one names the file and the line, one
//! that would cost too much is refused before anything runs (and the cost
//! model bounds every run), and text from a file stays inert on a terminal,
//! a tty, in JSON and in a page.

mod common;

use common::{run_with_input, tcp_boundary_bin, text};
use tcp_boundary::lesson::reader::ReaderKind;
use tcp_boundary::scenario::Scenario;

fn parse_error(src: &str) -> String {
    Scenario::parse("bad", "bad.toml", src)
        .unwrap_err()
        .to_string()
}

#[test]
fn bad_scenario_files_name_the_file_and_the_line() {
    assert!(Scenario::parse("good", "good.toml", common::GOOD_SCENARIO).is_ok());
    let cases = [
        // Malformed TOML.
        (
            common::GOOD_SCENARIO.replace("chunk = 1", "chunk = = 1"),
            "bad.toml:6: extra `=`, expected nothing",
        ),
        // An unknown key.
        (
            common::GOOD_SCENARIO.replace("chunk = 1", "chunk = 1\nchonk = 4"),
            "bad.toml:7: unknown field `chonk`, expected one of `clients`, `backlog`, `buffer_size`, \
             `seed`, `chunk`, `chunk_delay_ms`, `random_chunks`, `random_pauses`, `burst`, \
             `nodelay`, `send_buffer`, `recv_buffer`, `read_delay_ms`, `cut_after`, `reset_after`",
        ),
        // A negative number, said by its key and in words.
        (
            common::GOOD_SCENARIO.replace("chunk = 1", "chunk = -1"),
            "bad.toml:6: server.chunk: invalid value: integer `-1`, expected a whole number, 0 or more",
        ),
        // A message of neither form.
        (
            common::GOOD_SCENARIO.replacen("send = [", "send = [3, ", 1),
            "bad.toml:10: step.send: each message is a string, or a table { pattern = \"…\", size = N }",
        ),
        // A wrong type.
        (
            common::GOOD_SCENARIO.replace("chunk = 1", "chunk = \"three\""),
            "bad.toml:6: server.chunk: invalid type: string \"three\", expected a whole number, 0 or more",
        ),
        // An impossible value, in a section.
        (
            common::GOOD_SCENARIO.replace("chunk = 1", "chunk = 0"),
            "bad.toml:6: [server] chunk = 0 is out of range: 1 to 16777216",
        ),
        (
            common::GOOD_SCENARIO.replace("chunk = 1", "random_chunks = \"5-2\""),
            "bad.toml:6: server.random_chunks: random chunks: MIN (5) is larger than MAX (2)",
        ),
        (
            common::GOOD_SCENARIO.replace("chunk = 1", "random_chunks = \"1-2\""),
            "bad.toml:5: [server] random chunks or pauses need a seed, so that every run is the same",
        ),
        // A step with two actions, or none.
        (
            common::GOOD_SCENARIO.replace("send = [\"hi\\n\"]", "send = [\"hi\\n\"]\nquit = true"),
            "bad.toml:9: a step takes only one action: send, write, read, pause_ms, connect or quit",
        ),
        (
            common::GOOD_SCENARIO.replace("send = [\"hi\\n\"]", "client = 1"),
            "bad.toml:9: a step needs one action: send, write, read, pause_ms, connect or quit",
        ),
        // A message without its newline.
        (
            common::GOOD_SCENARIO.replace("[\"hi\\n\"]", "[\"hi\"]"),
            "bad.toml:9: message 'hi' must end with a newline and hold no other, so that every \
             reader (line included) sends the same bytes",
        ),
        // A verdict that does not exist, and a missing one.
        (
            common::GOOD_SCENARIO.replace("\"broken\"", "\"maybe\""),
            "bad.toml:13: expect.naive: unknown variant `maybe`, expected one of `intact`, `broken`, `detected`",
        ),
        (
            common::GOOD_SCENARIO.replace("length = \"intact\"\n", ""),
            "bad.toml:12: missing field `length`",
        ),
    ];
    for (src, want) in cases {
        let got = parse_error(&src);
        assert_eq!(got, want);
    }
}

#[test]
fn scenario_files_that_would_run_long_or_allocate_much_are_refused() {
    let cases = [
        (
            common::GOOD_SCENARIO.replace(
                "send = [\"hi\\n\"]",
                "send = [{ pattern = \"x\", size = 100000000000 }]",
            ),
            "bad.toml:9: a message of 100000000000 bytes is over the limit of 16384",
        ),
        (
            common::GOOD_SCENARIO
                .replace("chunk = 1", "chunk = 1\nsend_buffer = 1")
                .replace("[[step]]", "[client]\nrecv_buffer = 1\n\n[[step]]")
                .replace(
                    "send = [\"hi\\n\"]",
                    "send = [{ pattern = \"x\", size = 16384 }]",
                ),
            "bad.toml:13: a message of 16384 bytes does not fit the socket buffers of 2 bytes \
             asked for (the writer's send and the reader's receive buffer): a write would wait \
             for a reader who waits for its turn",
        ),
        (
            common::GOOD_SCENARIO.replace("chunk = 1", "chunk = 1\nclients = 20"),
            "bad.toml:5: [server] clients is at most 10",
        ),
        (
            common::GOOD_SCENARIO.replace("chunk = 1", "chunk = 1\nbuffer_size = 100000000"),
            "bad.toml:5: [server] buffer_size is at most 1048576",
        ),
        (
            common::GOOD_SCENARIO.replace(
                "send = [\"hi\\n\"]",
                "pause_ms = 3000\n\n[[step]]\npause_ms = 3000\n\n[[step]]\nsend = [\"hi\\n\"]",
            ),
            "bad.toml:12: the pauses add up to more than 5000 ms",
        ),
    ];
    for (src, want) in cases {
        assert_eq!(parse_error(&src), want);
    }
}

/// Escape codes in TOML's own escapes: a window title and BEL, clear screen,
/// a C1 CSI (U+009B), a bidi override (U+202E) and a zero-width space.
const CODES: &str = r"\u001b]0;owned\u0007\u001b[2J\u009b31m\u202e\u200b";

/// The same characters, decoded.
const RAW: [&str; 5] = ["\u{1b}", "\u{7}", "\u{9b}", "\u{202e}", "\u{200b}"];

/// A scenario file whose every text holds escape codes, in a folder, under a
/// file name that holds some too; and the path to it.
fn hostile_file(dir: &std::path::Path) -> std::path::PathBuf {
    let text = |what: &str| format!("\"{what} {CODES} end\"");
    let src = format!(
        "lesson = {}\ndescription = {}\npoint_at = {}\n\
         [ko]\nlesson = {}\ndescription = {}\npoint_at = {}\n\
         [[step]]\nsend = [\"hi {CODES}\\n\"]\n\
         [[step]]\nsend = [{{ pattern = \"{CODES}\", size = 64 }}]\n\
         [expect]\nnaive = \"intact\"\nexact = \"intact\"\nline = \"intact\"\nlength = \"intact\"\n",
        text("lesson"),
        text("description"),
        text("point"),
        text("수업"),
        text("설명"),
        text("짚기"),
    );
    let path = dir.join("evil\u{1b}[31m\u{202e}\u{9b}.toml");
    std::fs::write(&path, src).unwrap();
    path
}

fn assert_inert(what: &str, out: &str) {
    for raw in RAW {
        assert!(!out.contains(raw), "{what}: {raw:?} passed raw: {out:?}");
    }
}

/// Text from a file is shown like bytes from a peer: escaped on a terminal,
/// on a pipe and on a tty alike (`--color always` writes what a tty gets),
/// for `show` and `run`, and in error lines quoting the path, keys and values.
#[test]
fn text_from_a_file_is_escaped_on_a_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let path = hostile_file(tmp.path());
    for (args, color) in [
        (vec!["show"], "never"),
        (vec!["show"], "always"),
        (vec!["show", "--lang", "ko"], "never"),
        (vec!["run"], "never"),
        (vec!["run"], "always"),
        (vec!["run", "--lang", "ko", "--repeat", "1"], "never"),
    ] {
        let out = assert_cmd::Command::new(tcp_boundary_bin())
            .args(&args)
            .arg(&path)
            .args(["--color", color, "--no-pager"])
            .env("COLUMNS", "200")
            .timeout(common::LIMIT)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        let shown = if color == "always" {
            // Only the report's own colours: every ESC starts one.
            stdout.replace("\u{1b}[", "").replace("\u{1b}[0m", "")
        } else {
            stdout.clone()
        };
        assert_inert(&format!("{args:?} {color}"), &shown);
        // `--repeat` shows the name alone.
        assert!(
            args.contains(&"--repeat")
                || stdout.contains(r"\x1b]0;owned\x07\x1b[2J\u{9b}31m\u{202e}\u{200b}"),
            "{args:?}: {stdout}"
        );
        assert!(stdout.contains(r"evil\x1b[31m\u{202e}\u{9b}"), "{stdout}");
    }

    // Error lines: a key, a value and a path, each with escape codes.
    let bad = |from: &str, to: &str| {
        let src = std::fs::read_to_string(&path)
            .unwrap()
            .replacen(from, to, 1);
        let p = tmp.path().join(format!("bad\u{1b}[2J{}.toml", from.len()));
        std::fs::write(&p, src).unwrap();
        p
    };
    for (file, quoted) in [
        (
            bad("[[step]]", &format!("\"{CODES}\" = 1\n[[step]]")),
            "unknown field",
        ),
        (
            bad("naive = \"intact\"", &format!("naive = \"{CODES}\"")),
            "unknown variant",
        ),
        (tmp.path().join("missing\u{1b}]0;x\u{7}.toml"), "missing"),
    ] {
        let out = assert_cmd::Command::new(tcp_boundary_bin())
            .arg("show")
            .arg(&file)
            .timeout(common::LIMIT)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = text(&out.stderr);
        assert_inert("error line", &err);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(quoted), "{err}");
        assert!(err.contains(r"\x1b"), "{err}");
    }
}

/// A backslash typed in a scenario's text is doubled on a terminal, so that
/// a typed `\x1b` cannot pass for a real ESC, nor a real ESC for typed text.
#[test]
fn a_backslash_in_a_scenario_s_text_is_doubled_on_a_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    // TOML: `\\x1b` is the four characters `\x1b`, `\u001b` is ESC.
    let src = std::fs::read_to_string(hostile_file(tmp.path()))
        .unwrap()
        .replacen("\"lesson ", "\"typed \\\\x1b real \\u001b lesson ", 1)
        .replacen("\"point ", "\"typed \\\\x1b real \\u001b point ", 1);
    let path = tmp.path().join("typed.toml");
    std::fs::write(&path, src).unwrap();
    for args in [vec!["show"], vec!["run", "--reader", "exact"], vec!["list"]] {
        let mut cmd = assert_cmd::Command::new(tcp_boundary_bin());
        cmd.args(&args);
        if args[0] != "list" {
            cmd.arg(&path);
        }
        let out = cmd
            .args(["--no-pager"])
            .env("COLUMNS", "200")
            .timeout(common::LIMIT)
            .output()
            .unwrap();
        let stdout = text(&out.stdout);
        if args[0] == "list" {
            // The shipped lessons hold no backslash: nothing else changes.
            assert!(!stdout.contains('\\'), "{stdout}");
            continue;
        }
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert!(
            stdout.contains(r"typed \\x1b real \x1b lesson"),
            "{args:?}: {stdout}"
        );
        if args[0] == "show" {
            assert!(stdout.contains(r"typed \\x1b real \x1b point"), "{stdout}");
        }
        assert_inert(&format!("{args:?}"), &stdout);
    }
}

/// On a real terminal (util-linux `script`), the same.
#[test]
fn text_from_a_file_is_escaped_on_a_tty() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        common::skip_without("`script` (util-linux) is not installed");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let path = hostile_file(tmp.path());
    let out = assert_cmd::Command::new("script")
        .args(["-qec", "\"$BIN\" show \"$FILE\" --no-pager", "/dev/null"])
        .env("BIN", tcp_boundary_bin())
        .env("FILE", &path)
        .env("COLUMNS", "200")
        .timeout(common::LIMIT)
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(stdout.contains(r"\u{202e}"), "{stdout}");
    let shown = stdout.replace("\u{1b}[", "");
    assert_inert("show on a tty", &shown);
}

/// In JSON and in a page the text is exact once decoded, and the output
/// itself holds none of the raw codes.
#[test]
fn text_from_a_file_is_exact_but_inert_in_json_and_html() {
    let tmp = tempfile::tempdir().unwrap();
    let path = hostile_file(tmp.path());
    let out = assert_cmd::Command::new(tcp_boundary_bin())
        .arg("run")
        .arg(&path)
        .arg("--json")
        .timeout(common::LIMIT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json = text(&out.stdout);
    assert_inert("run --json", &json);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v[0]["scenario"], "evil\u{1b}[31m\u{202e}\u{9b}");

    let page = tmp.path().join("page\u{1b}[2J.html");
    let out = assert_cmd::Command::new(tcp_boundary_bin())
        .arg("run")
        .arg(&path)
        .arg("--html")
        .arg(&page)
        .timeout(common::LIMIT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_inert("run --html's line", &text(&out.stdout));
    assert!(text(&out.stdout).contains(r"page\x1b[2J.html"));
    let html = std::fs::read_to_string(&page).unwrap();
    assert_inert("the page", &html);
    let lesson = tcp_boundary::text::escape::html_text(&format!(
        "lesson {} end",
        "\u{1b}]0;owned\u{7}\u{1b}[2J\u{9b}31m\u{202e}\u{200b}"
    ));
    assert!(lesson.contains("&#x202e;"), "{lesson}");
    assert!(html.contains(&format!("<bdi>{lesson}</bdi>")), "{html}");
}

/// A file of `steps` (TOML), with the texts and verdicts around them.
fn file_of(server: &str, steps: &str, naive: &str) -> String {
    format!(
        "lesson = \"l\"\ndescription = \"d\"\n[server]\n{server}\n{steps}\n\
         [expect]\nnaive = \"{naive}\"\nexact = \"intact\"\nline = \"intact\"\nlength = \"intact\"\n"
    )
}

/// The files of issue 23 whose cost exploded, rebuilt: each is refused at
/// once, exit 2, one line saying which limit and what the file asks for, and
/// no page written. (Before: 37 s and 138 MB; a 50 MB page; 151 s; `show`
/// aborted at 300 MB of address space, 1.45 GB without a limit.)
#[test]
fn small_files_with_huge_costs_are_refused_before_anything_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let sixteen = vec!["{ pattern = \"a\", size = 16384 }"; 16].join(", ");
    let queue: String = [1, 2, 3, 4, 5, 3, 4, 5, 3, 4, 5]
        .iter()
        .map(|k| format!("[[step]]\nclient = {k}\nwrite = [\"c{k}\\n\"]\n"))
        .collect();
    let many = vec!["{ pattern = \"a\", size = 16384 }"; 31_000].join(", ");
    let cases = [
        (
            "chunk-1",
            file_of(
                "chunk = 1",
                &format!("[[step]]\nsend = [{sixteen}]"),
                "broken",
            ),
            "the messages up to here add up to 131104 bytes",
        ),
        (
            "page",
            file_of(
                "chunk = 1",
                "[[step]]\nsend = [{ pattern = \"a\", size = 16000 }]",
                "broken",
            ),
            "timeline rows",
        ),
        (
            "queue",
            file_of("clients = 10\nbacklog = 0", &queue, "intact"),
            "4 connect(s) that may wait 3700 ms each on a full listen queue",
        ),
        (
            "generated",
            file_of("", &format!("[[step]]\nsend = [{many}]"), "intact"),
            "the messages up to here add up to",
        ),
    ];
    for (name, src, said) in cases {
        let file = tmp.path().join(format!("{name}.toml"));
        std::fs::write(&file, &src).unwrap();
        if name != "generated" {
            assert!(src.len() < 1000, "{name}: {} bytes", src.len());
        }
        let page = tmp.path().join(format!("{name}.html"));
        let started = std::time::Instant::now();
        // Within 300 MB of address space: parsing is bounded too.
        let out = assert_cmd::Command::new("sh")
            .args(["-c", "ulimit -v 300000; exec \"$@\"", "sh"])
            .arg(tcp_boundary_bin())
            .arg("run")
            .arg(&file)
            .arg("--html")
            .arg(&page)
            .timeout(common::LIMIT)
            .output()
            .unwrap();
        let took = started.elapsed();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(err.contains(said), "{name}: {err}");
        assert!(err.contains("limit"), "{name}: {err}");
        assert!(!page.exists(), "{name}: a page was written");
        assert!(
            took < std::time::Duration::from_secs(10),
            "{name}: {took:?}"
        );
        // `show` refuses it too, before building a message.
        let out = assert_cmd::Command::new(tcp_boundary_bin())
            .arg("show")
            .arg(&file)
            .timeout(common::LIMIT)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
    }
    // The command line's shaping is costed too: a shipped scenario split into
    // chunks of one byte and paced.
    let out = run_with_input(
        tcp_boundary_bin(),
        &["run", "large-message", "--chunk", "1"],
        b"",
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("timeline rows"));
}

/// The cost model's figures are bounds: for every shipped scenario and for a
/// file just within the row limit, every reader's run makes no more rows
/// than counted, takes no longer, and its page is no larger.
#[test]
fn the_cost_model_bounds_what_every_run_makes() {
    use tcp_boundary::lang::Lang;
    use tcp_boundary::scenario::{MAX_PAGE, MAX_ROWS, MAX_RUN_MS};
    use tcp_boundary::view::page;
    // The longest message, split into chunks of one byte and paced, that the
    // row limit lets through.
    let edge = |size: usize| {
        file_of(
            "chunk = 1\nchunk_delay_ms = 1",
            &format!("[[step]]\nsend = [{{ pattern = \"ab\", size = {size} }}]"),
            "broken",
        )
    };
    let size = (2..2000)
        .take_while(|&n| Scenario::parse("edge", "edge.toml", &edge(n)).is_ok())
        .last()
        .unwrap();
    assert!(size > 50, "{size}");
    let err = Scenario::parse("edge", "edge.toml", &edge(size + 1)).unwrap_err();
    assert!(err.to_string().contains("timeline rows"), "{err}");
    let mut all = Scenario::builtins();
    all.push(Scenario::parse("edge", "edge.toml", &edge(size)).unwrap());
    for s in all {
        let cost = s.cost();
        assert!(cost.rows <= MAX_ROWS && cost.run_ms <= MAX_RUN_MS && cost.page <= MAX_PAGE);
        let mut reports = Vec::new();
        for reader in ReaderKind::ALL {
            let started = std::time::Instant::now();
            let report = s.run(reader, None).unwrap();
            let took = started.elapsed().as_millis() as u64;
            assert!(
                took <= cost.run_ms,
                "{} {reader}: {took} ms, {cost:?}",
                s.name
            );
            let rows = report.timeline.len() as u64;
            assert!(
                rows <= cost.rows,
                "{} {reader}: {rows} rows, {cost:?}",
                s.name
            );
            reports.push(report);
        }
        let html = page::scenario_page(&s, &reports, &page::Nav::default(), Lang::En);
        assert!(
            html.len() as u64 <= cost.page,
            "{}: a page of {} bytes, {cost:?}",
            s.name,
            html.len()
        );
    }
}
