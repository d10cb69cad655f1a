//! What an installed copy ships beside the programs: completion scripts and
//! man pages, both made from the clap definitions, and `--version`. The
//! subcommands and flags each script and page must name are read from those
//! same definitions (`tcp_boundary::cli::Program`), so a flag that a page or a
//! script leaves out fails here.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{LIMIT, echo_client_bin, echo_server_bin, run_with_input, tcp_boundary_bin, text};
use tcp_boundary::cli::Program;

/// `tcp-boundary ARGS…`, which must succeed; its standard output.
fn tcp_boundary(args: &[&str]) -> String {
    let out = run_with_input(tcp_boundary_bin(), args, b"");
    assert!(
        out.status.success(),
        "tcp-boundary {args:?}: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// A program's command line as its binary parses it, built: `help`, `--help`,
/// `--version` and the global switches are where the parser puts them.
fn built(program: Program) -> clap::Command {
    let mut command = program.command();
    command.build();
    command
}

/// Every page `tcp-boundary man --out` must write, with the command it
/// documents: one per program and one per subcommand but `help`.
fn expected_pages() -> Vec<(String, clap::Command)> {
    let mut pages = Vec::new();
    for program in Program::ALL {
        let command = built(program);
        for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
            pages.push((
                format!("{}-{}", program.name(), sub.get_name()),
                sub.clone(),
            ));
        }
        pages.push((program.name().to_string(), command));
    }
    pages
}

/// The words a command's documentation must hold: each flag's long and short
/// form, each positional's value name.
fn flag_words(command: &clap::Command) -> Vec<String> {
    let mut words = Vec::new();
    for arg in command.get_arguments().filter(|a| !a.is_hide_set()) {
        if arg.is_positional() {
            let names = arg.get_value_names().map(<[_]>::to_vec).unwrap_or_default();
            match names.first() {
                Some(name) => words.push(name.to_string()),
                None => words.push(arg.get_id().to_string().to_uppercase()),
            }
        }
        words.extend(arg.get_long().map(|l| format!("--{l}")));
        words.extend(arg.get_short().map(|s| format!("-{s}")));
    }
    words
}

/// Run `shell ARGS…` with a time limit; it must succeed. Its standard output.
fn run_shell(shell: &str, args: &[&str]) -> String {
    let out = assert_cmd::Command::new(shell)
        .args(args)
        .timeout(LIMIT)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{shell} {args:?}: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
}

#[test]
fn the_bash_script_parses_and_names_every_subcommand_and_flag() {
    let script = tcp_boundary(&["completions", "bash"]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tcp-boundary.bash");
    std::fs::write(&path, &script).unwrap();
    run_shell("bash", &["-n", path.to_str().unwrap()]);

    let words: BTreeSet<&str> = script
        .split(|c: char| c.is_whitespace() || c == '"' || c == '(' || c == ')')
        .collect();
    for program in Program::ALL {
        let command = built(program);
        assert!(
            script.contains(&format!(" {}\n", program.name())),
            "no `complete … {}` line",
            program.name()
        );
        let mut commands = vec![&command];
        commands.extend(command.get_subcommands());
        for sub in command.get_subcommands() {
            assert!(
                words.contains(sub.get_name()),
                "the script does not name the subcommand {} {}",
                program.name(),
                sub.get_name()
            );
        }
        for c in commands {
            for flag in flag_words(c).iter().filter(|w| w.starts_with('-')) {
                assert!(
                    words.contains(flag.as_str()),
                    "the script does not name {flag} of {} {}",
                    program.name(),
                    c.get_name()
                );
            }
        }
    }
}

#[test]
fn bash_completes_subcommands_flags_and_scenario_names() {
    let script = tcp_boundary(&["completions", "bash"]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tcp-boundary.bash");
    std::fs::write(&path, &script).unwrap();
    // What bash does on Tab: call the function `complete` registered for the
    // program with the words so far, then offer COMPREPLY.
    let complete = |words: &[&str]| -> BTreeSet<String> {
        let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
        let probe = format!(
            "source '{}'\n\
             COMP_WORDS=({})\n\
             COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))\n\
             f=$(complete -p {} | sed 's/.*-F \\([^ ]*\\).*/\\1/')\n\
             \"$f\" \"${{COMP_WORDS[0]}}\" \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
             printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            path.display(),
            quoted.join(" "),
            words[0]
        );
        run_shell("bash", &["-c", &probe])
            .lines()
            .map(String::from)
            .collect()
    };
    let set =
        |words: &[&str]| -> BTreeSet<String> { words.iter().map(|w| w.to_string()).collect() };

    assert!(complete(&["tcp-boundary", ""]).is_superset(&set(&["run", "check", "man"])));
    assert_eq!(complete(&["tcp-boundary", "com"]), set(&["completions"]));
    // After a subcommand, its own switches and values (clap-rs/clap#6421:
    // a program whose name has a hyphen completed nothing there).
    assert_eq!(
        complete(&["tcp-boundary", "run", "part"]),
        set(&["partial-read"])
    );
    assert_eq!(
        complete(&["tcp-boundary", "show", "co"]),
        set(&["coalesced"])
    );
    assert_eq!(
        complete(&["tcp-boundary", "run", "--all", "--reader", ""]),
        set(&["naive", "exact", "line", "length", "book"])
    );
    assert_eq!(
        complete(&["tcp-boundary", "check", "--sha"]),
        set(&["--shape"])
    );
    assert_eq!(
        complete(&["tcp-boundary", "man", "echo"]),
        set(&["echo-server", "echo-client"])
    );
    assert_eq!(
        complete(&["echo-server", "9190", "--frag"]),
        set(&["--fragment"])
    );
    assert_eq!(
        complete(&["echo-client", "127.0.0.1", "9190", "--reader", "l"]),
        set(&["line", "length"])
    );
}

/// What a shell's script says to register its completion for `program`.
fn registers(shell: &str, program: &str) -> String {
    match shell {
        "bash" => format!("complete -F _{} ", program.replace('-', "__")),
        "zsh" => format!("compdef _{program} {program}"),
        "fish" => format!("complete -c {program} "),
        "elvish" => format!("arg-completer[{program}]"),
        "powershell" => format!("-CommandName '{program}'"),
        other => panic!("{other}"),
    }
}

#[test]
fn every_shell_gets_a_script_for_each_program_or_the_one_asked_for() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let all = tcp_boundary(&["completions", shell]);
        for program in Program::ALL {
            assert!(
                all.contains(&registers(shell, program.name())),
                "{shell}: {}",
                program.name()
            );
            let one = tcp_boundary(&["completions", shell, "--program", program.name()]);
            for other in Program::ALL {
                assert_eq!(
                    one.contains(&registers(shell, other.name())),
                    other == program,
                    "{shell} --program {}: {}",
                    program.name(),
                    other.name()
                );
            }
        }
    }
    // PowerShell takes `using` only at the top of a script: once, first.
    let ps = tcp_boundary(&["completions", "powershell"]);
    let usings: Vec<usize> = ps
        .lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with("using "))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(usings, [1, 2], "{ps}");
}

#[test]
fn the_zsh_and_fish_scripts_parse() {
    let dir = tempfile::tempdir().unwrap();
    for (name, check) in [("zsh", "-n"), ("fish", "--no-execute")] {
        if !common::tool(name) {
            continue;
        }
        let path = dir.path().join(format!("completions.{name}"));
        std::fs::write(&path, tcp_boundary(&["completions", name])).unwrap();
        run_shell(name, &[check, path.to_str().unwrap()]);
    }
}

#[test]
fn completions_without_a_known_shell_is_a_usage_error() {
    for args in [&["completions"][..], &["completions", "tcsh"]] {
        let out = run_with_input(tcp_boundary_bin(), args, b"");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(text(&out.stderr).starts_with("error: "), "{args:?}");
    }
}

/// The roff source as `man` shows it: `\-` is a hyphen, font changes are not
/// text.
fn page_text(roff: &str) -> String {
    roff.replace("\\-", "-")
        .replace("\\fB", "")
        .replace("\\fI", "")
        .replace("\\fR", "")
}

/// A page begins as a roff man page: requests only, then `.TH NAME 1` before
/// any section.
fn assert_roff_page(name: &str, roff: &str) {
    let lines: Vec<&str> = roff.lines().collect();
    let th = lines
        .iter()
        .position(|l| l.starts_with(".TH "))
        .unwrap_or_else(|| panic!("{name}: no .TH line"));
    assert!(th < 5, "{name}: .TH on line {}", th + 1);
    assert!(
        lines[..th].iter().all(|l| l.starts_with('.')),
        "{name}: text before .TH"
    );
    assert!(
        lines[th].starts_with(&format!(".TH {name} 1 ")),
        "{name}: {}",
        lines[th]
    );
    assert!(lines[th + 1] == ".SH NAME", "{name}: {}", lines[th + 1]);
}

#[test]
fn man_writes_a_roff_page_per_program_and_subcommand_naming_every_flag() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("man1");
    let said = tcp_boundary(&["man", "--out", out_dir.to_str().unwrap()]);

    let expected = expected_pages();
    let written: BTreeSet<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let files: BTreeSet<String> = expected.iter().map(|(n, _)| format!("{n}.1")).collect();
    assert_eq!(written, files);
    for file in &files {
        let path = out_dir.join(file);
        assert!(
            said.lines().any(|l| Path::new(l) == path),
            "{file} not reported: {said}"
        );
    }
    for (name, command) in &expected {
        let roff = std::fs::read_to_string(out_dir.join(format!("{name}.1"))).unwrap();
        assert_roff_page(name, &roff);
        let shown = page_text(&roff);
        for word in flag_words(command) {
            assert!(
                shown.contains(&word),
                "the page {name} does not name {word}"
            );
        }
        for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
            assert!(
                shown.contains(&format!("{name}-{}(1)", sub.get_name())),
                "the page {name} does not point at {name}-{}(1)",
                sub.get_name()
            );
        }
    }
}

#[test]
fn man_prints_one_page_tcp_boundary_by_default() {
    let main = tcp_boundary(&["man"]);
    assert_roff_page("tcp-boundary", &main);
    for name in ["echo-server", "echo-client", "tcp-boundary-run"] {
        assert_roff_page(name, &tcp_boundary(&["man", name]));
    }
}

#[test]
fn man_refuses_an_unknown_page_and_an_unwritable_folder_in_one_line() {
    let out = run_with_input(tcp_boundary_bin(), &["man", "tcp-boundary-nope"], b"");
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: no man page named 'tcp-boundary-nope' (try one of: tcp-boundary, "),
        "{err}"
    );

    // A folder under a file cannot be made, even by root.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let inside = file.join("man1");
    let out = run_with_input(
        tcp_boundary_bin(),
        &["man", "--out", inside.to_str().unwrap()],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!(
            "error: cannot write the man pages to {}: ",
            inside.display()
        )),
        "{err}"
    );
    assert!(out.stdout.is_empty());

    let out = run_with_input(
        tcp_boundary_bin(),
        &["man", "echo-server", "--out", "x"],
        b"",
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn every_program_says_its_version() {
    for (program, bin) in [
        ("tcp-boundary", tcp_boundary_bin()),
        ("echo-server", echo_server_bin()),
        ("echo-client", echo_client_bin()),
    ] {
        for flag in ["--version", "-V"] {
            let out = run_with_input(bin, &[flag], b"");
            assert!(out.status.success(), "{program} {flag}");
            assert_eq!(
                text(&out.stdout),
                format!("{program} {}\n", env!("CARGO_PKG_VERSION"))
            );
        }
    }
}

/// `man --out DIR` replaces a symbolic link it finds in a page's place, and
/// never writes through it: the file it points at is left as it was (the
/// rule `lesson --out` keeps).
#[test]
fn man_out_replaces_a_symlink_instead_of_writing_through_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man");
    std::fs::create_dir(&out).unwrap();
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "not a page").unwrap();
    let page = out.join("echo-server.1");
    std::os::unix::fs::symlink(&victim, &page).unwrap();
    tcp_boundary(&["man", "--out", out.to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "not a page");
    let meta = std::fs::symlink_metadata(&page).unwrap();
    assert!(meta.file_type().is_file(), "the page is not a plain file");
    assert_roff_page("echo-server", &std::fs::read_to_string(&page).unwrap());
    // Nothing left behind but the pages.
    for entry in std::fs::read_dir(&out).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(name.ends_with(".1") && !name.starts_with('.'), "{name}");
    }
}
