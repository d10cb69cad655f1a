//! Every bad input and network failure gets one `error:` line and a documented
//! exit code: 2 for usage, 1 for the network. Never a panic.

mod common;

use std::io::Read;
use std::net::TcpListener;

use common::{
    echo_client_bin, echo_server_bin, run_client, run_with_input, start_server, tcp_boundary_bin,
    text,
};
use tcp_boundary::lesson::reader::ReaderKind;

fn assert_one_error_line(stderr: &[u8], needle: &str) {
    let err = text(stderr);
    let first = err.lines().next().unwrap_or_default();
    assert!(first.starts_with("error: "), "{err}");
    assert!(first.contains(needle), "expected {needle:?} in {err}");
    // The cause is said once, not once per layer of context.
    assert_eq!(first.matches(needle).count(), 1, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!err.contains("RUST_BACKTRACE"), "{err}");
}

#[test]
fn address_in_use_is_exit_1() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = run_with_input(echo_server_bin(), &[&port], b"");
    assert_eq!(out.status.code(), Some(1));
    assert_one_error_line(&out.stderr, "cannot listen on 127.0.0.1:");
    assert_one_error_line(&out.stderr, "in use");
}

#[test]
fn an_address_not_on_this_machine_is_exit_1() {
    // TEST-NET-1 (192.0.2.0/24) is never assigned: bind fails at once, and no
    // packet is sent anywhere.
    let out = run_with_input(echo_server_bin(), &["0", "--bind", "192.0.2.1"], b"");
    assert_eq!(out.status.code(), Some(1));
    assert_one_error_line(&out.stderr, "cannot listen on 192.0.2.1:0");
}

#[test]
fn connection_refused_is_exit_1() {
    let closed = common::refused_port();
    let out = run_client(closed.addr.port(), &[], b"hi\n");
    assert_eq!(out.status.code(), Some(1));
    assert_one_error_line(&out.stderr, "cannot connect to 127.0.0.1:");
    assert_one_error_line(&out.stderr, "refused");
}

#[test]
fn unresolvable_host_is_exit_1() {
    let out = run_with_input(echo_client_bin(), &["no-such-host.invalid", "9190"], b"");
    assert_eq!(out.status.code(), Some(1));
    assert_one_error_line(&out.stderr, "cannot resolve host 'no-such-host.invalid'");
}

#[test]
fn a_server_that_resets_is_exit_1_for_the_client() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let peer = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = [0u8; 16];
        let _ = s.read(&mut buf);
        // Close with SO_LINGER 0: the client gets a reset, not a clean end.
        tcp_boundary::transport::net::reset(s).unwrap();
    });
    let out = run_client(port, &[], b"hi\nq\n");
    peer.join().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_one_error_line(&out.stderr, "reset");
}

#[test]
fn a_server_that_closes_is_exit_1_for_every_reader() {
    for reader in ReaderKind::ALL.map(ReaderKind::name) {
        let server = start_server(&["--clients", "1", "--cut-after", "3"]);
        let out = run_client(server.port, &["--reader", reader], b"hello\nagain\nq\n");
        assert_eq!(out.status.code(), Some(1), "reader {reader}");
        let err = text(&out.stderr);
        if reader == "naive" {
            // The naive reader takes "hel" as the reply (the bug) and carries on;
            // it only notices on its next round, which finds the connection gone
            // (closed, or reset because it wrote to a closed socket).
            assert!(text(&out.stdout).contains("Message from server : hel\n"));
            assert!(
                err.starts_with("error: ") && err.lines().count() == 1,
                "{err}"
            );
        } else if reader == "book" {
            // The book's loop holds "hel" and meets the end of the stream: it
            // would spin forever, and says so.
            assert_one_error_line(&out.stderr, "the book's loop would spin forever");
        } else {
            assert_one_error_line(&out.stderr, "peer closed mid-message");
        }
        assert!(!err.contains("panicked"));
    }
}

#[test]
fn bad_arguments_are_exit_2_with_a_line_naming_the_flag() {
    let cases: &[(&str, &[&str], &str)] = &[
        ("server", &["70000"], "<PORT>"),
        ("server", &["0", "--chunk", "0"], "--chunk"),
        ("server", &["0", "--buffer-size", "0"], "--buffer-size"),
        (
            "server",
            &["0", "--random-chunks", "5-2"],
            "MIN (5) is larger than MAX (2)",
        ),
        (
            "server",
            &["0", "--random-chunks", "0-2"],
            "MIN must be at least 1",
        ),
        (
            "server",
            &["0", "--chunk", "3", "--random-chunks", "1-2"],
            "cannot be used with",
        ),
        ("server", &["0", "--seed", "3"], "--random-chunks"),
        ("server", &["0", "--backlog", "0"], "--backlog"),
        // Past 64 bits: past the limit, said as the limit.
        (
            "server",
            &["0", "--chunk", "18446744073709551616"],
            "must be from 1 to 16777216 bytes",
        ),
        (
            "server",
            &["0", "--random-chunks", "1-18446744073709551616"],
            "random chunks: MAX must be at most 16777216 bytes",
        ),
        (
            "server",
            &["0", "--random-pauses", "--chunk-delay-ms", "0"],
            "chunk_delay_ms above 0",
        ),
        ("client", &["127.0.0.1", "99999"], "<PORT>"),
        (
            "client",
            &["127.0.0.1", "1", "--reader", "magic"],
            "--reader",
        ),
        ("client", &["127.0.0.1", "1", "--chunk", "0"], "--chunk"),
    ];
    for (which, args, needle) in cases {
        let bin = if *which == "server" {
            echo_server_bin()
        } else {
            echo_client_bin()
        };
        let out = run_with_input(bin, args, b"");
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{which} {args:?}: {err}");
        // One `error:` line naming the flag and the rule; clap's own errors
        // add its usage line.
        let lines: Vec<&str> = err.lines().collect();
        assert!(lines.len() <= 2, "{err}");
        assert!(lines[0].starts_with("error: "), "{err}");
        assert!(lines[0].contains(needle), "expected {needle:?} in {err}");
        if let Some(second) = lines.get(1) {
            assert!(
                second.starts_with("Usage: ") || second.starts_with("For more information"),
                "{err}"
            );
        }
    }
}

#[test]
fn no_subcommand_is_exit_2_with_an_error_line_then_the_help() {
    let out = run_with_input(tcp_boundary_bin(), &[], b"");
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    let mut lines = err.lines();
    assert_eq!(lines.next(), Some("error: no subcommand given"));
    assert!(
        err.contains("Usage: tcp-boundary [OPTIONS] <COMMAND>"),
        "{err}"
    );
}

#[test]
fn a_closed_stdout_ends_the_program_quietly() {
    // `head -c 1` closes the pipe after one byte; the rest of the report then
    // meets a closed pipe. Nothing may be printed about it, and no panic.
    let script = format!("{} run --all --repeat 2 | head -c 1", tcp_boundary_bin());
    let out = run_with_input("sh", &["-c", &script], b"");
    assert_eq!(text(&out.stdout).len(), 1);
    assert_eq!(text(&out.stderr), "", "stderr must be empty");
}

#[test]
fn a_server_that_never_answers_is_exit_1_after_the_client_timeout() {
    // A listener whose backlog completes the handshake; nobody ever reads.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port().to_string();
    for reader in ReaderKind::ALL.map(ReaderKind::name) {
        let out = run_with_input(
            echo_client_bin(),
            &["127.0.0.1", &port, "--reader", reader, "--timeout", "1"],
            b"hello\nq\n",
        );
        assert_eq!(out.status.code(), Some(1), "{reader}");
        assert_one_error_line(
            &out.stderr,
            "no whole reply from the server within the timeout",
        );
    }
}

/// A server that trickles its reply a byte a second: each read gets a byte
/// well within any per-read timeout, yet the reply never ends. `--timeout`
/// bounds the whole reply, so the client ends at about its timeout.
#[test]
fn a_server_that_trickles_its_reply_ends_the_client_at_its_timeout() {
    let trickler = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = trickler.local_addr().unwrap().port();
    // It ends by itself: once the client is gone, or after 20 bytes.
    let server = std::thread::spawn(move || {
        use std::io::Write;
        let Ok((mut s, _)) = trickler.accept() else {
            return;
        };
        let _ = s.set_read_timeout(Some(common::LIMIT));
        let mut buf = [0u8; 64];
        let _ = s.read(&mut buf);
        for _ in 0..20 {
            if s.write_all(b"h").is_err() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
    });
    let started = std::time::Instant::now();
    let out = run_client(port, &["--reader", "line", "--timeout", "2"], b"hello\nq\n");
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_one_error_line(
        &out.stderr,
        "no whole reply from the server within the timeout",
    );
    assert!(
        took >= std::time::Duration::from_millis(1900) && took < std::time::Duration::from_secs(5),
        "the client ended after {took:?}, its timeout is 2 s"
    );
    server.join().unwrap();
}

/// `--help` (and `--version`, and `help SUBCOMMAND`) written to a full
/// disk: exit 1 with one line on standard error, in each program, never a
/// silent 0.
#[test]
fn a_help_that_cannot_be_written_is_exit_1_with_a_line() {
    if std::fs::metadata("/dev/full").is_err() {
        common::skip_without("/dev/full is missing");
        return;
    }
    let cases: [(&str, &[&str]); 5] = [
        (tcp_boundary_bin(), &["--help"]),
        (tcp_boundary_bin(), &["help", "run"]),
        (tcp_boundary_bin(), &["--version"]),
        (echo_server_bin(), &["--help"]),
        (echo_client_bin(), &["--help"]),
    ];
    for (bin, args) in cases {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let mut child = std::process::Command::new(bin)
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(full)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Waited for at most LIMIT, then ended.
        let deadline = std::time::Instant::now() + common::LIMIT;
        while child.try_wait().unwrap().is_none() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{bin} {args:?}: {out:?}");
        assert_eq!(
            text(&out.stderr),
            "error: cannot write to standard output (no space left on device)\n",
            "{bin} {args:?}"
        );
    }
}

#[test]
fn echo_client_offers_only_the_switches_it_takes() {
    let help = assert_cmd::Command::new(common::echo_client_bin())
        .arg("--help")
        .timeout(common::LIMIT)
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    assert!(help.contains("--chunk"), "{help}");
    for flag in ["--read-delay-ms", "--cut-after", "--reset-after"] {
        assert!(!help.contains(flag), "{flag} in:\n{help}");
        let out = assert_cmd::Command::new(common::echo_client_bin())
            .args(["127.0.0.1", "9", flag, "5"])
            .timeout(common::LIMIT)
            .output()
            .unwrap();
        // Refused by the command line itself, with clap's own words.
        assert_eq!(out.status.code(), Some(2), "{flag}: {out:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.contains(&format!("unexpected argument '{flag}'")),
            "{err}"
        );
        // Nor does its completion offer them, in any shell.
        for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
            let script = assert_cmd::Command::new(common::tcp_boundary_bin())
                .args(["completions", shell, "--program", "echo-client"])
                .timeout(common::LIMIT)
                .output()
                .unwrap();
            assert!(script.status.success(), "{shell}: {script:?}");
            let script = String::from_utf8(script.stdout).unwrap();
            assert!(script.contains("chunk-delay-ms"), "{shell}: {script}");
            assert!(!script.contains(&flag[2..]), "{shell} offers {flag}");
        }
    }
}

/// `run`'s shaping switches over a scenario's keys: a pair that cannot be
/// one shape, or a seed that nothing in the scenario draws on, is a usage
/// error before anything runs, one line, exit 2.
#[test]
fn run_s_switches_that_do_not_go_with_the_scenario_are_exit_2() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["run", "random-chunks", "--chunk", "3"],
            "scenario random-chunks: the shaping switches over its [server] keys: \
             chunk and random_chunks cannot both be given",
        ),
        (
            &["run", "cut-mid-message", "--reset-after", "3"],
            "cut_after and reset_after cannot both be given",
        ),
        (
            &["run", "classic", "--seed", "4"],
            "--seed is only used with",
        ),
    ];
    for (args, needle) in cases {
        let out = run_with_input(tcp_boundary_bin(), args, b"");
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    // A seed that the scenario draws on is taken.
    let out = run_with_input(
        tcp_boundary_bin(),
        &["run", "random-chunks", "--seed", "4"],
        b"",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}
