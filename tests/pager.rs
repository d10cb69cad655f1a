//! The timeline on a terminal: taller than the screen it goes through the
//! pager, in colour when asked; a pager that cannot start loses nothing.

mod common;

use common::{run_with_input, tcp_boundary_bin, text};

/// Runs `tcp-boundary ARGS` on a pseudo-terminal (util-linux `script`) of
/// `lines` rows, with a pager that announces itself.
fn on_a_terminal(lines: &str, args: &str) -> Option<String> {
    on_a_terminal_paged(lines, args, Some("echo PAGED; cat")).map(|(out, _)| out)
}

/// Runs `tcp-boundary ARGS` on a pseudo-terminal of `lines` rows with `PAGER`
/// set to `pager` (unset: `None`); its output (standard output and error, as
/// a terminal shows them) and exit status. `None` where `script` is missing
/// and CI does not require it.
fn on_a_terminal_paged(
    lines: &str,
    args: &str,
    pager: Option<&str>,
) -> Option<(String, Option<i32>)> {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("TCP_BOUNDARY_REQUIRE_TOOLS").is_none(),
            "script (util-linux) is missing, and CI requires it"
        );
        eprintln!("skipped: `script` (util-linux) is not installed");
        return None;
    }
    let mut cmd = assert_cmd::Command::new("script");
    // -e: script exits with the program's status.
    cmd.args([
        "-qec",
        &format!("{} {args}", tcp_boundary_bin()),
        "/dev/null",
    ])
    .env("LINES", lines)
    .env("COLUMNS", "80")
    .timeout(common::LIMIT);
    match pager {
        Some(p) => cmd.env("PAGER", p),
        None => cmd.env_remove("PAGER"),
    };
    let out = cmd.output().unwrap();
    Some((text(&out.stdout), out.status.code()))
}

#[test]
fn a_report_taller_than_the_terminal_goes_through_the_pager_with_colour() {
    let Some(tall) = on_a_terminal("10", "run partial-read") else {
        return;
    };
    assert!(tall.starts_with("PAGED"), "{tall}");
    assert!(
        tall.contains('\u{1b}'),
        "colour kept through the pager: {tall}"
    );
    let Some(fits) = on_a_terminal("200", "run partial-read") else {
        return;
    };
    assert!(!fits.contains("PAGED"), "{fits}");
    let Some(asked_not) = on_a_terminal("10", "run partial-read --no-pager") else {
        return;
    };
    assert!(!asked_not.contains("PAGED"), "{asked_not}");
}

#[test]
fn colour_as_asked() {
    let run = |args: &[&str]| {
        let out = run_with_input(tcp_boundary_bin(), args, b"");
        text(&out.stdout)
    };
    assert!(run(&["run", "partial-read", "--color", "always"]).contains('\u{1b}'));
    assert!(!run(&["--color", "never", "run", "partial-read"]).contains('\u{1b}'));
    // Piped, with the default: plain.
    assert!(!run(&["run", "partial-read"]).contains('\u{1b}'));
}

/// A scenario whose verdict is not as expected (`run` exits 1), with a long
/// report (about 29 KiB: as long as the cost model lets one reader's run be),
/// so that a pager that does not read it all may close the pipe under the
/// writer: partial-read with a long message, expecting the exact reader to
/// break.
fn surprise(dir: &std::path::Path) -> String {
    let path = dir.join("surprise.toml");
    let message = "hello, class ".repeat(300);
    let file = include_str!("../scenarios/partial-read.toml")
        .replace("exact = \"intact\"", "exact = \"broken\"")
        .replace("hello, class\\n", &format!("{message}\\n"))
        // Chunks within the cost model's limits on rows and pauses.
        .replace("chunk = 4\n", "chunk = 16\n")
        .replace("chunk_delay_ms = 150\n", "chunk_delay_ms = 0\n");
    assert!(file.contains(&message) && file.contains("exact = \"broken\""));
    std::fs::write(&path, file).unwrap();
    format!("{} --reader exact", path.display())
}

#[test]
fn a_pager_that_cannot_start_loses_nothing_and_no_pager_changes_the_exit_status() {
    let tmp = tempfile::tempdir().unwrap();
    let run = format!("run {}", surprise(tmp.path()));
    let the_report = "some verdicts were not as expected";
    // Not installed: the report is written directly, with one line saying why.
    let Some((out, code)) = on_a_terminal_paged("10", &run, Some("tcp-boundary-no-such-pager -R"))
    else {
        return;
    };
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains(the_report), "{out}");
    let why: Vec<&str> = out.lines().filter(|l| l.contains("pager")).collect();
    assert_eq!(
        why,
        [
            "the pager 'tcp-boundary-no-such-pager -R' was not found: the report is written without it"
        ],
        "{out}"
    );
    // PAGER unset and no `less` on the PATH: the same.
    let no_less = format!(
        "env PATH={} {} {run}",
        tmp.path().display(),
        tcp_boundary_bin()
    );
    let out = assert_cmd::Command::new("script")
        .args(["-qec", &no_less, "/dev/null"])
        .env("LINES", "10")
        .env_remove("PAGER")
        .timeout(common::LIMIT)
        .output()
        .unwrap();
    let shown = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(shown.contains("the pager 'less' was not found"), "{shown}");
    assert!(shown.contains(the_report), "{shown}");
    // Through a shell, a command it cannot find: the same.
    let (out, code) =
        on_a_terminal_paged("10", &run, Some("tcp-boundary-no-such-pager; exit 127")).unwrap();
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("was not found by the shell"), "{out}");
    assert!(out.contains(the_report), "{out}");
    // A pager that fails, one that quits after a line, and one that closes
    // its input before the report is written (the pipe closed under the
    // writer, every time): the status is still the verdict's, not 0 and not
    // 141 (SIGPIPE).
    for pager in ["false", "head -1", "exec 0<&-; sleep 0.3"] {
        let (out, code) = on_a_terminal_paged("10", &run, Some(pager)).unwrap();
        assert_eq!(code, Some(1), "PAGER={pager}: {out}");
        assert!(!out.contains("pager"), "PAGER={pager}: {out}");
    }
    // The pager did start: what it showed is the report's first line only.
    let (out, _) = on_a_terminal_paged("10", &run, Some("head -1")).unwrap();
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.contains("surprise"), "{out}");
    // A verdict as expected stays 0 through a pager that fails.
    let (out, code) = on_a_terminal_paged("10", "run partial-read", Some("false")).unwrap();
    assert_eq!(code, Some(0), "{out}");
}

/// A pager's name that cannot start is said escaped: the escape codes and
/// the bidi override in `$PAGER` do not reach the terminal.
#[test]
fn the_name_of_a_pager_that_cannot_start_is_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let run = format!("run {}", surprise(tmp.path()));
    let pager = "no-such-pager\u{1b}]0:owned\u{7}\u{202e}x";
    let Some((out, code)) = on_a_terminal_paged("10", &run, Some(pager)) else {
        return;
    };
    assert_eq!(code, Some(1), "{out}");
    let why: Vec<&str> = out.lines().filter(|l| l.contains("pager")).collect();
    assert_eq!(
        why,
        [
            r"the pager 'no-such-pager\x1b]0:owned\x07\u{202e}x' was not found: the report is written without it"
        ],
        "{out:?}"
    );
    for raw in ["\u{7}", "\u{202e}", "\u{1b}]0"] {
        assert!(!out.contains(raw), "{raw:?} reached the terminal: {out:?}");
    }
}
