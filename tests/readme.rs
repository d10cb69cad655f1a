//! README's examples run as shown: every command in its `sh` blocks, the
//! Install section's `bash` blocks (run whole, as a shell session), and the
//! full-option scenario file.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use common::{echo_client_bin, echo_server_bin, interrupt, run_with_input, tcp_boundary_bin, text};
use tcp_boundary::lesson::reader::ReaderKind;
use tcp_boundary::scenario::Scenario;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

/// The commands of README's `sh` blocks: comments dropped, continued lines
/// joined, each as the program's name and its arguments.
type Env = Vec<(String, String)>;

fn commands() -> Vec<(Env, String, Vec<String>, i32)> {
    let readme = readme();
    let mut out = Vec::new();
    for block in readme.split("```sh\n").skip(1) {
        let block = &block[..block.find("```").unwrap()];
        let joined = block.replace("\\\n", " ");
        for line in joined.lines() {
            // A comment saying `exits N` is the exit status the command must give.
            let expected = match line.split_once(" #") {
                Some((_, comment)) if comment.trim().starts_with("exits ") => comment
                    .trim()
                    .trim_start_matches("exits ")
                    .split(|c: char| !c.is_ascii_digit())
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0),
                _ => 0,
            };
            let line = line.split(" #").next().unwrap().trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut words: Vec<String> = line.split_whitespace().map(String::from).collect();
            // `LANG=ko_KR.UTF-8 cargo run …`: variables for the command.
            let env: Vec<(String, String)> = words
                .iter()
                .take_while(|w| w.starts_with(|c: char| c.is_ascii_uppercase()) && w.contains('='))
                .map(|w| {
                    let (k, v) = w.split_once('=').unwrap();
                    (k.to_string(), v.to_string())
                })
                .collect();
            words.drain(..env.len());
            let (program, args) = match words.as_slice() {
                [c, r, rel, dd, rest @ ..]
                    if c == "cargo" && r == "run" && rel == "--release" && dd == "--" =>
                {
                    ("tcp-boundary".to_string(), rest.to_vec())
                }
                [c, r, rel, b, name, dd, rest @ ..]
                    if c == "cargo"
                        && r == "run"
                        && rel == "--release"
                        && b == "--bin"
                        && dd == "--" =>
                {
                    (name.clone(), rest.to_vec())
                }
                [c, t] if c == "cargo" && t == "test" => continue, // this very suite
                [first, rest @ ..] => (first.clone(), rest.to_vec()),
                [] => continue,
            };
            out.push((env, program, args, expected));
        }
    }
    out
}

fn bin(program: &str) -> &'static str {
    match program {
        "tcp-boundary" => tcp_boundary_bin(),
        "echo-server" => echo_server_bin(),
        "echo-client" => echo_client_bin(),
        other => panic!("README runs an unknown program: {other}"),
    }
}

/// A program that serves until stopped: start it on a free port, wait for its
/// first line, then stop it with Ctrl-C; it must have started and end cleanly.
fn starts_and_stops(program: &str, args: &[String]) {
    let mut child = Command::new(bin(program))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    err.read_line(&mut first).unwrap();
    // Keep reading what it says, so that it never writes to a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
    assert!(
        first.starts_with("listening on"),
        "{program} {args:?}: {first}"
    );
    let status = interrupt(&mut child);
    assert!(
        matches!(status.code(), Some(0) | Some(130)),
        "{program} {args:?}: {status}"
    );
}

#[test]
fn every_readme_command_runs_as_shown() {
    let commands = commands();
    assert!(commands.len() > 20, "{commands:?}");
    // Files a command writes (a page, a site) go to a folder of the test's own.
    let files = tempfile::tempdir().unwrap();
    for (env, program, mut args, expected) in commands {
        // Servers and the proxy run until stopped: on a free port, then Ctrl-C.
        let serving = program == "echo-server" || args.first().map(String::as_str) == Some("proxy");
        if serving {
            for a in args.iter_mut() {
                if a == "9190" || a == "7000" {
                    *a = "0".into();
                }
            }
            starts_and_stops(&program, &args);
            continue;
        }
        // Clients and `bench --addr` need a server: one of ours on a free port.
        let needs_server =
            program == "echo-client" || args.iter().any(|a| a.starts_with("127.0.0.1:9190"));
        let server = needs_server.then(|| common::start_server(&["--clients", "0", "--quiet"]));
        if let Some(server) = &server {
            let port = server.port.to_string();
            for a in args.iter_mut() {
                *a = a.replace("9190", &port);
            }
        }
        for i in 1..args.len() {
            if args[i - 1] == "--html" || args[i - 1] == "--out" {
                args[i] = files.path().join(&args[i]).to_string_lossy().into_owned();
            }
        }
        // Proving a thousand runs takes half an hour: two make the same point here.
        if let Some(i) = args.iter().position(|a| a == "--repeat") {
            args[i + 1] = "2".into();
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        // A client typed to, run by itself or through `trace`.
        let input = if program == "echo-client" || args.contains(&"echo-client") {
            &b"hi\nq\n"[..]
        } else {
            b""
        };
        // `check` runs the clients README names: ours, from this build.
        let args: Vec<&str> = args
            .iter()
            .map(|&a| match a {
                "echo-client" => echo_client_bin(),
                other => other,
            })
            .collect();
        let out = if env.is_empty() {
            run_with_input(bin(&program), &args, input)
        } else {
            assert_cmd::Command::new(bin(&program))
                .args(&args)
                .envs(env.iter().map(|(k, v)| (k, v)))
                .env_remove("LC_ALL")
                .env_remove("LC_MESSAGES")
                .write_stdin(input)
                .timeout(common::LIMIT)
                .output()
                .unwrap()
        };
        assert_eq!(
            out.status.code(),
            Some(expected),
            "{program} {args:?}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn the_full_option_scenario_file_runs_as_its_expectations_say() {
    let readme = readme();
    let start = readme
        .find("```toml\nlesson = \"One line: what this shows.\"")
        .unwrap()
        + 8;
    let end = start + readme[start..].find("```").unwrap();
    let s = Scenario::parse("example", "README.md", &readme[start..end]).unwrap();
    for reader in ReaderKind::ALL {
        let r = s.run(reader, None).unwrap();
        assert!(r.as_expected, "{reader}: {:?} {:?}", r.verdict, r.checks);
    }
}

/// README's Install section works as shown: its `bash` blocks run whole in
/// bash, in a home folder of the test's own, with this build's programs on
/// PATH (which is what `cargo install --path .` gives; the install itself, a
/// release build of its own, is left out). Then a new bash and a new zsh
/// complete the three programs, and the pages are where README says.
#[test]
fn the_install_section_works_as_shown() {
    let readme = readme();
    let start = readme.find("\n## Install\n").expect("an Install section");
    let end = start + 1 + readme[start + 1..].find("\n## ").unwrap();
    let section = &readme[start..end];
    let blocks: Vec<&str> = section
        .split("```bash\n")
        .skip(1)
        .map(|b| &b[..b.find("```").unwrap()])
        .collect();
    assert!(blocks.len() >= 3, "{section}");
    let script: String = blocks
        .concat()
        .lines()
        .filter(|l| !l.starts_with("cargo install "))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(script.contains("tcp-boundary completions bash"), "{script}");
    assert!(script.contains("tcp-boundary completions zsh"), "{script}");
    assert!(script.contains("tcp-boundary man --out"), "{script}");

    let home = tempfile::tempdir().unwrap();
    let bin_dir = Path::new(tcp_boundary_bin()).parent().unwrap().to_owned();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let shell = |program: &str, args: &[&str]| {
        let out = assert_cmd::Command::new(program)
            .args(args)
            .env("HOME", home.path())
            .env("PATH", &path)
            .env("MANPAGER", "cat")
            .env("PAGER", "cat")
            .env_remove("ZDOTDIR")
            .timeout(common::LIMIT)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{program} {args:?}: {}",
            text(&out.stderr)
        );
        text(&out.stdout)
    };
    let said = shell("bash", &["-e", "-c", &script]);
    // `man -l` shows the pages it was given.
    assert!(said.contains("tcp-boundary-check"), "{said}");
    assert!(said.contains("echo-client"), "{said}");
    let man1 = home.path().join(".local/share/man/man1");
    for page in [
        "tcp-boundary.1",
        "tcp-boundary-run.1",
        "echo-server.1",
        "echo-client.1",
    ] {
        assert!(man1.join(page).is_file(), "{page}");
    }

    let registered = shell(
        "bash",
        &[
            "-c",
            "source ~/.bashrc; complete -p tcp-boundary echo-server echo-client",
        ],
    );
    assert_eq!(registered.lines().count(), 3, "{registered}");
    if common::tool("zsh") {
        let registered = shell(
            "zsh",
            &[
                "-c",
                "source ~/.zshrc; print -l $_comps[tcp-boundary] $_comps[echo-server] $_comps[echo-client]",
            ],
        );
        assert_eq!(
            registered.lines().collect::<Vec<_>>(),
            ["_tcp-boundary", "_echo-server", "_echo-client"]
        );
    }
}
