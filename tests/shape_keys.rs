//! The shaping keys are declared once, in `shape::with_shaping_keys!`, and
//! `ShapeSpec`, a scenario's `[server]` table and the command line's switches
//! are written from that list. These tests hold every place that takes them
//! to `ShapeSpec`'s names and meanings: a scenario's `[server]` and `[client]`
//! tables (the client's keys renamed `write_…`), and the command line's
//! switches (`echo-server`, `tcp-boundary run`, the proxy's two directions).

use clap::CommandFactory;
use serde_json::{Value, json};
use tcp_boundary::cli::{EchoServerArgs, TcpBoundaryArgs};
use tcp_boundary::scenario::{ClientSettings, ServerSettings};
use tcp_boundary::shape::ShapeSpec;

/// Every shaping key, with a value it takes that is not its default.
fn samples() -> Value {
    json!({
        "chunk": 3,
        "chunk_delay_ms": 5,
        "random_chunks": "1-8",
        "random_pauses": true,
        "burst": 2,
        "read_delay_ms": 5,
        "cut_after": 7,
        "reset_after": 9,
        "nodelay": true,
        "send_buffer": 4096,
        "recv_buffer": 8192,
    })
}

/// The field names of a value serialized as a map.
fn keys(v: Value) -> Vec<String> {
    let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

#[test]
fn the_samples_name_every_shaping_key() {
    assert_eq!(
        keys(serde_json::to_value(ShapeSpec::default()).unwrap()),
        keys(samples())
    );
}

#[test]
fn a_scenario_server_takes_every_shaping_key_by_its_name_and_meaning() {
    // The server's own keys, and the shaping keys: nothing else.
    let mut expected = keys(samples());
    expected.extend(["backlog", "buffer_size", "clients", "seed"].map(String::from));
    expected.sort();
    assert_eq!(
        keys(serde_json::to_value(ServerSettings::default()).unwrap()),
        expected
    );
    // Each key alone lands in the switch of the same name.
    let unshaped = serde_json::to_value(ServerSettings::default().spec()).unwrap();
    for (key, value) in samples().as_object().unwrap() {
        let settings: ServerSettings = serde_json::from_value(json!({ key: value }))
            .unwrap_or_else(|e| panic!("[server] {key} = {value}: {e}"));
        let spec = serde_json::to_value(settings.spec()).unwrap();
        assert_eq!(&spec[key], value, "[server] {key}");
        for (other, was) in unshaped.as_object().unwrap() {
            if other != key {
                assert_eq!(&spec[other], was, "[server] {key} set {other} too");
            }
        }
    }
}

#[test]
fn a_scenario_client_takes_the_writer_s_keys_spelled_write() {
    // The client's keys, each with the shaping key it stands for.
    let client_keys = [
        ("write_chunk", "chunk"),
        ("write_delay_ms", "chunk_delay_ms"),
        ("nodelay", "nodelay"),
        ("send_buffer", "send_buffer"),
        ("recv_buffer", "recv_buffer"),
    ];
    let mut expected: Vec<String> = client_keys.iter().map(|(k, _)| k.to_string()).collect();
    expected.push("buffer_size".into());
    expected.sort();
    assert_eq!(
        keys(serde_json::to_value(ClientSettings::default()).unwrap()),
        expected
    );
    let samples = samples();
    for (key, shaping) in client_keys {
        let value = &samples[shaping];
        let settings: ClientSettings = serde_json::from_value(json!({ key: value }))
            .unwrap_or_else(|e| panic!("[client] {key} = {value}: {e}"));
        let spec = serde_json::to_value(settings.spec()).unwrap();
        assert_eq!(&spec[shaping], value, "[client] {key}");
    }
}

/// The long names of a command's switches.
fn switches(cmd: &clap::Command) -> Vec<String> {
    cmd.get_arguments()
        .filter_map(|a| a.get_long().map(String::from))
        .collect()
}

#[test]
fn the_command_line_has_a_switch_for_every_shaping_key() {
    let tcp_boundary = TcpBoundaryArgs::command();
    let run = tcp_boundary.find_subcommand("run").unwrap();
    let proxy = tcp_boundary.find_subcommand("proxy").unwrap();
    for key in keys(samples()) {
        let switch = key.replace('_', "-");
        for (program, cmd, prefixes) in [
            ("echo-server", &EchoServerArgs::command(), &[""][..]),
            ("tcp-boundary run", run, &[""][..]),
            ("tcp-boundary proxy", proxy, &["down-", "up-"][..]),
        ] {
            for prefix in prefixes {
                assert!(
                    switches(cmd).contains(&format!("{prefix}{switch}")),
                    "{program} has no --{prefix}{switch}"
                );
            }
        }
    }
}
