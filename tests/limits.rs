//! Every number a user can type is checked against its documented limit
//! before anything is allocated, bound or connected: huge, negative and zero
//! values of every numeric flag of every program end at once in exit 2 with
//! one line naming the flag, never in a panic, an abort or a hang.

mod common;

use common::{echo_client_bin, echo_server_bin, run_with_input, tcp_boundary_bin, text};

/// Flags every shaping group has, and whether 0 is a valid value.
const SHAPE: &[(&str, bool)] = &[
    ("chunk", false),
    ("chunk-delay-ms", true),
    ("read-delay-ms", true),
    ("cut-after", true),
    ("reset-after", true),
    ("send-buffer", false),
    ("recv-buffer", false),
];

/// (program, the arguments before the flag, the flag, 0 is valid).
fn cases() -> Vec<(&'static str, Vec<&'static str>, String, bool)> {
    let server = echo_server_bin();
    let client = echo_client_bin();
    let tb = tcp_boundary_bin();
    let mut all = Vec::new();
    let mut add = |bin: &'static str, pre: &[&'static str], flag: String, zero_ok: bool| {
        all.push((bin, pre.to_vec(), flag, zero_ok));
    };
    for (flag, zero_ok) in [
        ("backlog", false),
        ("clients", true),
        ("buffer-size", false),
        ("idle-timeout", false),
    ] {
        add(server, &["0"], format!("--{flag}"), zero_ok);
    }
    for (flag, zero_ok) in [
        ("buffer-size", false),
        ("max-line", false),
        ("max-frame", false),
        ("timeout", false),
    ] {
        add(client, &["127.0.0.1", "9"], format!("--{flag}"), zero_ok);
    }
    for &(flag, zero_ok) in SHAPE {
        add(server, &["0"], format!("--{flag}"), zero_ok);
        add(tb, &["run", "classic"], format!("--{flag}"), zero_ok);
        for dir in ["down", "up"] {
            add(
                tb,
                &["proxy", "--listen", "0", "--to", "127.0.0.1:9"],
                format!("--{dir}-{flag}"),
                zero_ok,
            );
        }
    }
    for (flag, zero_ok) in [("chunk", false), ("chunk-delay-ms", true)] {
        add(client, &["127.0.0.1", "9"], format!("--{flag}"), zero_ok);
    }
    for (flag, zero_ok) in [
        ("count", false),
        ("size", false),
        ("warmup", true),
        ("bytes", false),
        ("write-size", false),
        ("concurrent", false),
        ("hold-ms", true),
        ("max-seconds", false),
        ("buffer-size", false),
        ("backlog", false),
    ] {
        add(
            tb,
            &["bench", "rtt", "--spawn-server"],
            format!("--{flag}"),
            zero_ok,
        );
    }
    add(tb, &["run", "classic"], "--repeat".into(), false);
    all
}

#[test]
fn huge_negative_and_zero_numbers_are_refused_with_one_line() {
    for (bin, pre, flag, zero_ok) in cases() {
        let mut values = vec!["18446744073709551616", "99999999999999", "-1"];
        if !zero_ok {
            values.push("0");
        }
        for value in values {
            let mut args = pre.clone();
            args.push(&flag);
            args.push(value);
            let out = run_with_input(bin, &args, b"");
            let err = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            let first = err.lines().next().unwrap_or_default();
            assert!(first.starts_with("error: "), "{args:?}: {err}");
            assert!(first.contains(flag.as_str()), "{args:?}: {err}");
            assert!(err.lines().count() <= 3, "{args:?}: {err}");
        }
    }
}

#[test]
fn random_chunk_ranges_out_of_bounds_are_refused() {
    for range in [
        "0-2",
        "5-2",
        "-1-2",
        "1-99999999999",
        "1-18446744073709551616",
    ] {
        let out = run_with_input(echo_server_bin(), &["0", "--random-chunks", range], b"");
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{range}: {err}");
        assert!(err.starts_with("error: "), "{range}: {err}");
        assert!(err.contains("--random-chunks"), "{range}: {err}");
    }
}
