//! The limits as the help and README's table say them are the constants the
//! programs check: a limit changed in the code and not in what is said (or
//! the other way round) fails here.

mod common;

use common::{echo_client_bin, echo_server_bin, run_with_input, tcp_boundary_bin, text};
use tcp_boundary::cli::{MAX_BACKLOG, MAX_BUFFER, MAX_IDLE_SECS, MAX_SERVED_CLIENTS};
use tcp_boundary::scenario::cost::{MAX_SCENARIO_MESSAGES, MAX_SENT};
use tcp_boundary::scenario::{
    MAX_FILE, MAX_PAUSE_MS, MAX_READ_BUFFER, MAX_SCENARIO_BACKLOG, MAX_SCENARIO_CLIENTS,
    MAX_SCENARIO_MESSAGE, MAX_STEPS,
};
use tcp_boundary::shape::{MAX_BURST, MAX_CHUNK, MAX_CUT_AFTER, MAX_DELAY_MS, MAX_SOCKET_BUFFER};
use tcp_boundary::tools::bench::{
    MAX_BENCH_MESSAGE, MAX_BENCH_SECONDS, MAX_CONCURRENT, MAX_COUNT, MAX_HOLD_MS, MAX_STREAM,
    MAX_WRITE,
};
use tcp_boundary::tools::check::server::{MAX_REPLIES, MAX_REQUEST, MAX_REQUESTS, MAX_START_SECS};
use tcp_boundary::tools::check::{
    MAX_CHECK_MESSAGE, MAX_CHECK_MESSAGES, MAX_RUN_LIMIT_SECS, MAX_SEEDS, MAX_STALL_MS,
    MAX_TIMEOUT_SECS,
};
use tcp_boundary::tools::proxy::{
    MAX_CONNECTIONS_LIMIT, MAX_GATHER, MAX_RECORDED, MAX_RECORDED_BYTES,
};
use tcp_boundary::tools::trace::MAX_LIMIT_SECS;

/// A count of bytes as README writes it: `16 MiB`, `64 KiB`, `1 TiB`, `5 B`.
fn size(n: u64) -> String {
    for (unit, shift) in [("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)] {
        if n >= 1 << shift && n.is_multiple_of(1 << shift) {
            return format!("{} {unit}", n >> shift);
        }
    }
    format!("{n} B")
}

/// A count of bytes as a flag takes it and its help says it: `16M`, `64K`.
fn short(n: u64) -> String {
    for (unit, shift) in [("T", 40), ("G", 30), ("M", 20), ("K", 10)] {
        if n >= 1 << shift && n.is_multiple_of(1 << shift) {
            return format!("{}{unit}", n >> shift);
        }
    }
    n.to_string()
}

/// README's limits table: each row's "what" and its limit cell.
fn readme_limits() -> Vec<(String, String)> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("### Limits")
        .expect("README has a Limits section");
    readme[start..]
        .lines()
        .skip_while(|l| !l.starts_with("| what |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let cells: Vec<&str> = l.split(" | ").collect();
            let what = cells[0].trim_start_matches("| ").to_string();
            (what, cells[2].trim_end_matches(" |").to_string())
        })
        .collect()
}

#[test]
fn readme_s_limits_are_the_constants_the_programs_check() {
    let rows = readme_limits();
    let expected = [
        ("read buffer", format!("1 B to {}", size(MAX_BUFFER))),
        ("chunk size", format!("1 B to {}", size(MAX_CHUNK))),
        ("pause, read delay", format!("0 to {MAX_DELAY_MS} ms")),
        ("cut, reset", format!("0 B to {}", size(MAX_CUT_AFTER))),
        (
            "socket buffers",
            format!("1 B to {} (", size(MAX_SOCKET_BUFFER)),
        ),
        ("listen backlog", format!("1 to {MAX_BACKLOG}")),
        (
            "clients served",
            format!("0 (no end) to {MAX_SERVED_CLIENTS}"),
        ),
        ("idle timeout", format!("1 to {MAX_IDLE_SECS} s")),
        ("line, frame", format!("1 B to {}", size(MAX_BUFFER))),
        ("bench counts", format!("1 (0 for warmup) to {MAX_COUNT}")),
        (
            "bench sizes",
            format!(
                "1 B to {}; {}; {}",
                size(MAX_BENCH_MESSAGE),
                size(MAX_WRITE),
                size(MAX_STREAM)
            ),
        ),
        (
            "bench queue",
            format!("1 to {MAX_CONCURRENT}; 0 to {MAX_HOLD_MS} ms"),
        ),
        ("bench time", format!("1 to {MAX_BENCH_SECONDS} s")),
        (
            "check",
            format!(
                "1 to {MAX_TIMEOUT_SECS} s; 1 to {MAX_RUN_LIMIT_SECS} s; 1 to {MAX_STALL_MS} ms; 1 to {MAX_SEEDS}; 0 B to {}",
                size(MAX_CUT_AFTER)
            ),
        ),
        (
            "check messages",
            format!(
                "{MAX_CHECK_MESSAGES} lines of at most {}",
                size(MAX_CHECK_MESSAGE as u64)
            ),
        ),
        (
            "server check",
            format!(
                "{MAX_REQUESTS} requests of 1 B to {}; 1 to {MAX_START_SECS} s; {} in all",
                size(MAX_REQUEST as u64),
                size(MAX_REPLIES as u64)
            ),
        ),
        (
            "check recording",
            format!(
                "{MAX_RECORDED}, holding at most {}",
                size(MAX_RECORDED_BYTES as u64)
            ),
        ),
        ("proxy read delay", size(MAX_GATHER as u64)),
        ("proxy connections", format!("1 to {MAX_CONNECTIONS_LIMIT}")),
        ("scenario file", size(MAX_FILE)),
        ("scenario message", size(MAX_SCENARIO_MESSAGE as u64)),
        (
            "scenario messages",
            format!("{MAX_SCENARIO_MESSAGES}; {}", size(MAX_SENT)),
        ),
        (
            "scenario run",
            format!(
                "{MAX_PAUSE_MS} ms; {MAX_STEPS}; {MAX_SCENARIO_CLIENTS}; {MAX_SCENARIO_BACKLOG}; {}",
                size(MAX_READ_BUFFER as u64)
            ),
        ),
    ];
    for (what, limit) in expected {
        let row = rows
            .iter()
            .find(|(w, _)| w == what)
            .unwrap_or_else(|| panic!("README's limits have no row {what:?}: {rows:?}"));
        assert!(
            row.1.starts_with(&limit),
            "README's {what:?} says {:?}, the code {limit:?}",
            row.1
        );
    }
}

/// Each program's help says the limit of each numeric flag as the code
/// checks it.
#[test]
fn the_help_says_each_limit_the_code_checks() {
    let help = |bin: &str, pre: &[&str]| {
        let mut args = pre.to_vec();
        args.push("--help");
        let out = run_with_input(bin, &args, b"");
        assert_eq!(out.status.code(), Some(0));
        // One line: clap wraps long help at the terminal's width.
        text(&out.stdout)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let server = help(echo_server_bin(), &[]);
    let client = help(echo_client_bin(), &[]);
    let bench = help(tcp_boundary_bin(), &["bench"]);
    let proxy = help(tcp_boundary_bin(), &["proxy"]);
    let trace = help(tcp_boundary_bin(), &["trace"]);
    let said = [
        (&server, format!("(1 to {MAX_BACKLOG})")),
        (&server, format!("1 to {})", short(MAX_BUFFER))),
        (&server, format!("(1 to {MAX_IDLE_SECS})")),
        (&server, format!("(1 to {})", short(MAX_CHUNK))),
        (&server, format!("(0 to {MAX_DELAY_MS})")),
        (&server, format!("(1 to {MAX_BURST})")),
        (&server, format!("(1 to {};", short(MAX_SOCKET_BUFFER))),
        (&client, format!("(1 to {})", short(MAX_BUFFER))),
        (&client, format!("(1 to {MAX_TIMEOUT_SECS})")),
        (&bench, format!("1 to {MAX_COUNT} ")),
        (&bench, format!("(queue; 1 to {MAX_CONCURRENT})")),
        (&bench, format!("(queue; 0 to {MAX_HOLD_MS})")),
        (&bench, format!("(1 to {MAX_BENCH_SECONDS})")),
        (&server, format!("at most {MAX_SERVED_CLIENTS})")),
        (&server, format!("(0 to {})", short(MAX_CUT_AFTER))),
        (&bench, format!("1 to {}:", short(MAX_BENCH_MESSAGE))),
        (&bench, format!("(throughput; 1 to {})", short(MAX_STREAM))),
        (&bench, format!("(throughput; 1 to {})", short(MAX_WRITE))),
        (&proxy, format!("(1 to {MAX_CONNECTIONS_LIMIT})")),
        (&trace, format!("(1 to {MAX_LIMIT_SECS})")),
    ];
    for (help, limit) in said {
        assert!(help.contains(&limit), "{limit:?} not in:\n{help}");
    }
}
