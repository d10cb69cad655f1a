//! The kernel's receive queue, measured before every read and recorded with
//! it: checked from the JSON every view is built from.

use serde_json::Value;
use tcp_boundary::lesson::reader::ReaderKind;
use tcp_boundary::scenario::Scenario;

/// The JSON of one run.
fn json(scenario: &str, reader: ReaderKind) -> Value {
    let report = Scenario::builtin(scenario)
        .unwrap()
        .run(reader, None)
        .unwrap();
    serde_json::to_value(&report).unwrap()
}

fn reads(v: &Value) -> Vec<&Value> {
    v["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "read")
        .collect()
}

#[test]
fn every_read_of_every_scenario_has_its_queue_measured() {
    for s in Scenario::builtins() {
        let v = json(&s.name, ReaderKind::Exact);
        let reads = reads(&v);
        assert!(!reads.is_empty(), "{}: no reads", s.name);
        for r in reads {
            let queued = r["queued"].as_u64();
            assert!(
                queued.is_some(),
                "{}: a read without its queue: {r}",
                s.name
            );
            // The scenario's reads wait for what the peer has written: the
            // bytes a read returned were in the queue as it began.
            let len = r["len"].as_u64().unwrap();
            assert!(
                queued.unwrap() >= len.min(1),
                "{}: read {len} B from a queue of {queued:?}: {r}",
                s.name
            );
        }
    }
}

#[test]
fn coalesced_s_server_read_finds_both_messages_queued() {
    let v = json("coalesced", ReaderKind::Naive);
    let server: Vec<_> = reads(&v)
        .into_iter()
        .filter(|r| r["side"] == "server")
        .collect();
    assert_eq!(server[0]["queued"], 12, "{}", server[0]);
    assert_eq!(server[0]["len"], 12);
}

#[test]
fn partial_read_s_client_finds_only_the_first_chunk_queued() {
    let v = json("partial-read", ReaderKind::Exact);
    let client: Vec<_> = reads(&v)
        .into_iter()
        .filter(|r| r["side"] == "client")
        .collect();
    assert!(client.len() > 1, "{client:?}");
    assert_eq!(client[0]["queued"], 4, "{}", client[0]);
}

/// The row of `run SCENARIO --reader READER` at `columns` that holds
/// `what`.
fn terminal_row(scenario: &str, reader: &str, columns: &str, what: &str) -> String {
    let out = assert_cmd::Command::new(env!("CARGO_BIN_EXE_tcp-boundary"))
        .args(["run", scenario, "--reader", reader])
        .env("COLUMNS", columns)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines()
        .find(|l| l.contains(what))
        .unwrap_or_else(|| panic!("no row {what}:\n{text}"))
        .to_string()
}

#[test]
fn the_terminal_shows_the_queue_on_the_read_row() {
    let row = terminal_row("coalesced", "naive", "120", "[5] read(1024) → 12 B");
    assert!(row.contains("[queued 12]"), "{row}");
}

/// A read whose bytes are clipped on the row anyway keeps its queue, in
/// short (large-message's reads took all their queue: the point is the
/// count, 4096 where 8192 was asked); a write's segments likewise.
#[test]
fn a_row_whose_bytes_are_elided_anyway_keeps_its_queue_and_its_segments_in_short() {
    let row = |what: &str| terminal_row("large-message", "exact", "100", what);
    let read = row("c1 read(8192) → 4096 B");
    assert!(read.contains('…') && read.contains(" q4096"), "{read}");
    let write = row("[5] write 12000 B");
    assert!(write.contains('…') && write.contains("seg"), "{write}");
}

#[test]
fn the_page_shows_the_queue_on_every_read_box() {
    use tcp_boundary::lang::Lang;
    use tcp_boundary::view::page;
    let s = Scenario::builtin("coalesced").unwrap();
    let report = s.run(ReaderKind::Naive, None).unwrap();
    let reads = report
        .timeline
        .iter()
        .filter(|e| matches!(e.what, tcp_boundary::event::What::Read { .. }))
        .count();
    let html = page::scenario_page(&s, &[report], &page::Nav::default(), Lang::En);
    assert_eq!(html.matches("class=\"queued\"").count(), reads, "{html}");
    assert!(html.contains(">queued 12 B<"));
    assert!(
        html.contains("the kernel&#39;s receive queue held 12 bytes")
            || html.contains("the kernel's receive queue held 12 bytes")
    );
}

/// large-message: with a small receive buffer and a large read, the kernel
/// splits one write by itself, with no pause anywhere: a client read asks for
/// more than it gets while the server's write is not all read yet; and the
/// run, split and all, repeats.
#[test]
fn large_message_s_client_read_gets_less_than_it_asked_while_more_is_to_come() {
    let s = Scenario::builtin("large-message").unwrap();
    for reader in [ReaderKind::Naive, ReaderKind::Exact] {
        let v = json("large-message", reader);
        let timeline = v["timeline"].as_array().unwrap();
        assert!(timeline.iter().all(|e| e["kind"] != "pause"), "{v}");
        let written: u64 = timeline
            .iter()
            .filter(|e| e["kind"] == "write" && e["side"] == "server")
            .map(|e| e["len"].as_u64().unwrap())
            .sum();
        let mut read = 0;
        let mut split = false;
        for r in reads(&v).into_iter().filter(|r| r["side"] == "client") {
            let (asked, len) = (r["asked"].as_u64().unwrap(), r["len"].as_u64().unwrap());
            read += len;
            // Less than it asked, and all its queue held: the rest of the
            // write was still in the server's kernel, not yet let through.
            if len < asked && read < written {
                assert_eq!(r["queued"].as_u64(), Some(len), "{r}");
                split = true;
            }
        }
        assert!(split, "{reader}: no read got less than it asked: {v}");
        let rep = s.repeat(reader, None, 5).unwrap();
        assert!(rep.perfect(), "{rep:?}");
    }
}

/// The measure at row `seq` of a run's JSON.
fn measure_at(v: &Value, seq: u64) -> &Value {
    v["measures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["seq"] == seq)
        .unwrap_or_else(|| panic!("no measure at row {seq}: {v}"))
}

fn seq_of(v: &Value, side: &str, kind: &str) -> Vec<u64> {
    v["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["side"] == side && e["kind"] == kind)
        .map(|e| e["seq"].as_u64().unwrap())
        .collect()
}

/// Every row has the kernel's counts beside it, and a write its segments.
#[test]
fn every_row_of_every_scenario_is_measured_and_every_write_has_its_segments() {
    for s in Scenario::builtins() {
        let v = json(&s.name, ReaderKind::Exact);
        let timeline = v["timeline"].as_array().unwrap();
        let measures = v["measures"].as_array().unwrap();
        assert_eq!(measures.len(), timeline.len(), "{}", s.name);
        for e in timeline {
            let m = measure_at(&v, e["seq"].as_u64().unwrap());
            if e["kind"] == "write" {
                let seg = &m["segments"];
                assert!(seg["sent"].as_u64().is_some(), "{}: {e} {m}", s.name);
                assert!(seg["mss"].as_u64().unwrap() > 0, "{}: {m}", s.name);
            }
        }
    }
}

/// large-message: the server's one write leaves in several segments, and
/// the rest of it waits unsent in the server's send queue while the
/// client's receive queue is full; the naive client's close throws away
/// what its own queue held, not what the server still holds.
#[test]
fn large_message_s_rest_waits_in_the_server_s_send_queue_as_measured() {
    let v = json("large-message", ReaderKind::Naive);
    let write = seq_of(&v, "server", "write")[0];
    let m = measure_at(&v, write);
    assert!(m["segments"]["sent"].as_u64().unwrap() >= 2, "{m}");
    let (client, server) = (&m["client"], &m["server"]);
    let unsent = server["unsent"].as_u64().unwrap();
    assert!(unsent > 0, "{m}");
    assert!(server["send_q"].as_u64().unwrap() >= unsent, "{m}");
    // Every byte of the write is in one of the two queues.
    assert_eq!(client["recv_q"].as_u64().unwrap() + unsent, 12000, "{m}");
    let close = seq_of(&v, "client", "close")[0];
    let e = &v["timeline"][close as usize - 1];
    // The connection's last measure before the close (a reply's row is
    // on no connection).
    let before = v["measures"]
        .as_array()
        .unwrap()
        .iter()
        .rfind(|m| m["seq"].as_u64().unwrap() < close && m["connection"] == 1)
        .unwrap();
    assert_eq!(e["unread"], before["client"]["recv_q"], "{e} {before}");
    assert!(e["unread"].as_u64().unwrap() < 12000 - 4096, "{e}");
    // The reset that close sent threw the server's send queue away: nothing
    // waits there any more.
    let failed = seq_of(&v, "server", "error")[0];
    let m = measure_at(&v, failed);
    assert_eq!(m["server"]["send_q"], 0, "{m}");
    assert_eq!(m["server"]["unsent"], 0, "{m}");
    // At the client's read, every count as the read began: its queue the
    // read's `queued`, and the rest of the write unsent in the server's.
    let read = seq_of(&v, "client", "read")[0];
    let before = &measure_at(&v, read)["before"];
    let e = &v["timeline"][read as usize - 1];
    assert_eq!(before["client"]["recv_q"], e["queued"], "{before}");
    assert_eq!(
        before["client"]["recv_q"].as_u64().unwrap() + before["server"]["unsent"].as_u64().unwrap(),
        12000,
        "{before}"
    );
}

/// queued-client: the second client's connection waits in the listen
/// queue, its bytes already in its receive queue on the server's side,
/// until the server accepts it; backlog: a full listen queue holds backlog
/// + 1, and the client whose handshake was dropped has no connection.
#[test]
fn the_listen_queue_holds_the_connections_not_yet_accepted_as_measured() {
    let v = json("queued-client", ReaderKind::Naive);
    let c2: Vec<&Value> = v["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["client"] == 2)
        .collect();
    let write = c2.iter().find(|e| e["kind"] == "write").unwrap();
    let m = measure_at(&v, write["seq"].as_u64().unwrap());
    assert_eq!(m["listen"]["waiting"], 1, "{m}");
    assert_eq!(m["waiting"][0]["client"], 2, "{m}");
    assert_eq!(m["waiting"][0]["recv_q"], write["len"], "{m}");
    assert_eq!(m["server"]["recv_q"], write["len"], "{m}");
    let accept = c2.iter().find(|e| e["kind"] == "accept").unwrap();
    let m = measure_at(&v, accept["seq"].as_u64().unwrap());
    // As the accept returned: client 2 taken off the queue, which the
    // count and the list both say.
    assert_eq!(m["listen"]["waiting"], 0, "{m}");
    assert!(m.get("waiting").is_none(), "{m}");

    let v = json("backlog", ReaderKind::Naive);
    let waits = seq_of(&v, "client", "connect_waits");
    assert!(!waits.is_empty(), "{v}");
    let m = measure_at(&v, waits[0]);
    let backlog = m["listen"]["backlog"].as_u64().unwrap();
    assert_eq!(m["listen"]["waiting"].as_u64(), Some(backlog + 1), "{m}");
    assert!(m.get("connection").is_none(), "{m}");
    let closed = *seq_of(&v, "server", "close_listener").last().unwrap();
    assert!(measure_at(&v, closed)["listen"].is_null());
}

/// nagle: with Nagle's algorithm on, a small write made while an earlier
/// segment is unacknowledged waits unsent in the client's send queue, its
/// row sent in no segment; the server, unshaped, reads the messages joined.
#[test]
fn nagle_s_small_writes_wait_unsent_behind_an_unacknowledged_one() {
    let v = json("nagle", ReaderKind::Exact);
    let writes = seq_of(&v, "client", "write");
    let held: Vec<&Value> = writes
        .iter()
        .map(|&w| measure_at(&v, w))
        .filter(|m| m["segments"]["sent"] == 0)
        .collect();
    assert!(!held.is_empty(), "no write held back: {v}");
    for m in held {
        assert_eq!(m["segments"]["nagle"], true, "{m}");
        assert!(m["client"]["unsent"].as_u64().unwrap() > 0, "{m}");
        // Behind bytes sent and not yet acknowledged.
        assert!(
            m["client"]["send_q"].as_u64().unwrap() > m["client"]["unsent"].as_u64().unwrap(),
            "{m}"
        );
    }
    let server_reads: Vec<u64> = reads(&v)
        .iter()
        .filter(|r| r["side"] == "server")
        .map(|r| r["len"].as_u64().unwrap())
        .collect();
    assert!(server_reads.iter().any(|&n| n > 6), "{server_reads:?}");
}
