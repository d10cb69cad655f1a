//! The conducted stream on its own: what its calls put in the timeline, the
//! socket options it sets, and how a read waits for its bytes.

use std::io::{Read, Write};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use super::super::tests::{accept, conduct, connect, listening, read, rows, within};
use super::super::{Actor, Conductor, ConnectOutcome, PATIENCE};
use super::{Conducted, Peer};
use crate::event::What;
use crate::lesson::server::{Acceptor, ServerConfig};
use crate::transport::Transport;
use crate::transport::net::SocketOptions;
use crate::transport::queue;

/// A conducted connection with both ends here: the client connected with
/// `client_opts`, the server accepted it and prepared it with `config`, and
/// both sides are done with the baton, so calls that are not reads run at
/// once.
fn pair(
    client_opts: SocketOptions,
    config: ServerConfig,
) -> (Arc<Conductor>, Conducted, Conducted) {
    let (conductor, mut conducted, addr) = listening();
    let on_server = conductor.clone();
    let server = thread::spawn(move || {
        let mut conn = accept(&mut conducted);
        conducted.prepare(&mut conn, &config).unwrap();
        on_server.finish(Actor::Server);
        conn
    });
    conductor.begin(Actor::Client).unwrap();
    let client = match conductor.connect(addr, &client_opts, 1).unwrap() {
        ConnectOutcome::Done(stream, _) => stream,
        ConnectOutcome::Waits(_) => panic!("an empty listen queue made a connect wait"),
    };
    // Handing the baton on lets the server accept.
    conductor.finish(Actor::Client);
    let server = server.join().unwrap();
    // Both sides are done, which the conductor takes for a stall; a test
    // that reads on from here is the client's next turn, not a stalled one.
    conductor.lock().stall = false;
    (conductor, client, server)
}

fn plain_pair() -> (Arc<Conductor>, Conducted, Conducted) {
    pair(SocketOptions::default(), ServerConfig::default())
}

#[test]
fn both_ends_give_up_a_blocking_call_after_the_conductor_s_patience() {
    let (_conductor, client, server) = plain_pair();
    for end in [&client, &server] {
        assert_eq!(end.stream.read_timeout().unwrap(), Some(PATIENCE));
        assert_eq!(end.stream.write_timeout().unwrap(), Some(PATIENCE));
    }
}

#[test]
fn the_server_s_socket_options_reach_the_accepted_connection() {
    let (_c, _client, server) = plain_pair();
    assert!(!server.stream.nodelay().unwrap());
    let mut config = ServerConfig::default();
    config.shape.socket.nodelay = true;
    let (_c, _client, server) = pair(SocketOptions::default(), config);
    assert!(server.stream.nodelay().unwrap());
}

#[test]
fn a_read_into_no_room_is_a_read_of_nothing_not_the_end_of_the_stream() {
    let conductor = conduct(
        |listener| {
            let mut conn = accept(listener);
            conn.write_all(b"hi").unwrap();
            assert_eq!(read(&mut conn), 0);
            assert!(listener.accept().unwrap().is_none());
        },
        |conductor, addr| {
            let mut conn = connect(conductor, addr);
            assert_eq!(conn.read(&mut []).unwrap(), 0);
            // The bytes are still there for the next read.
            assert_eq!(read(&mut conn), 2);
        },
    );
    assert_eq!(
        rows(&conductor),
        [
            "c1 connect",
            "server accept c1",
            "server write hi",
            "c1 read ",
            "c1 read hi",
            "c1 close",
            "server eof",
            "server close",
        ]
    );
}

#[test]
fn a_read_waits_for_bytes_written_that_have_not_arrived_yet() {
    let (conductor, client, mut server) = plain_pair();
    // The server's write is counted, but its bytes reach the socket only
    // 100 ms later (a write on its way, slowed down).
    conductor.lock().conns[0].written[Actor::Server.index()] += 5;
    let late = thread::spawn(move || {
        thread::sleep(Duration::from_millis(100));
        server.stream.write_all(b"hello").unwrap();
        server
    });
    let queued = within(move || {
        client.wait_readable(5);
        queue::inq(&*client.stream).unwrap()
    });
    assert_eq!(queued, 5);
    drop(late.join().unwrap());
}

#[test]
fn the_peer_says_when_a_small_window_holds_the_rest_of_a_write_back() {
    let small = SocketOptions {
        recv_buffer: Some(4096),
        ..SocketOptions::default()
    };
    let (_conductor, client, mut server) = pair(small, ServerConfig::default());
    // Nothing written: nothing on its way, nothing held back.
    assert_eq!(client.peer(0), Peer::HeldBack);
    let big = vec![b'x'; 12000];
    let wrote = server.write(&big).unwrap();
    // Until the kernels settle, bytes are on their way; then our queue
    // holds the window's worth and the rest waits unsent.
    let mut queued = 0;
    let mut settled = false;
    for _ in 0..2000 {
        queued = queue::inq(&*client.stream).unwrap();
        if client.peer(queued) == Peer::HeldBack {
            settled = true;
            break;
        }
        thread::sleep(Duration::from_millis(1));
    }
    assert!(settled, "never settled: {queued} B queued of {wrote}");
    assert!(queued > 0 && queued < wrote, "{queued} B queued of {wrote}");
    assert_eq!(
        queue::unsent(&*server.stream).unwrap(),
        wrote - queued,
        "the rest is unsent"
    );
    // A byte missing from our queue is a byte on its way.
    assert_eq!(client.peer(queued - 1), Peer::OnTheWay);
    // Once the peer has closed, there is no send queue to ask.
    drop(server);
    assert_eq!(client.peer(queued), Peer::Closed);
}

#[test]
fn an_abort_resets_the_connection_the_other_side_reads() {
    let conductor = conduct(
        |listener| {
            let mut conn = accept(listener);
            let mut buf = [0u8; 8];
            let err = conn.read(&mut buf).unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset);
            assert!(listener.accept().unwrap().is_none());
        },
        |conductor, addr| {
            let mut conn = connect(conductor, addr);
            conn.abort().unwrap();
        },
    );
    let rows = rows(&conductor);
    assert!(
        rows.iter()
            .any(|r| r.starts_with("server Error") && r.contains("Reset")),
        "{rows:?}"
    );
}

#[test]
fn a_half_close_is_a_row_and_the_other_side_reads_the_end_then_answers() {
    let conductor = conduct(
        |listener| {
            let mut conn = accept(listener);
            assert_eq!(read(&mut conn), 2);
            assert_eq!(read(&mut conn), 0);
            conn.write_all(b"ok").unwrap();
            assert!(listener.accept().unwrap().is_none());
        },
        |conductor, addr| {
            let mut conn = connect(conductor, addr);
            conn.write_all(b"hi").unwrap();
            conn.close_write().unwrap();
            assert_eq!(read(&mut conn), 2);
        },
    );
    assert_eq!(
        rows(&conductor),
        [
            "c1 connect",
            "c1 write hi",
            "c1 Shutdown",
            "server accept c1",
            "server read hi",
            "server eof",
            "server write ok",
            "c1 read ok",
            "c1 close",
            "server close",
        ]
    );
}

#[test]
fn a_read_takes_every_byte_written_before_it_even_those_still_on_their_way() {
    let (conductor, mut client, mut server) = plain_pair();
    // Two writes the server has made (counted), whose bytes reach the
    // socket 50 ms apart: slowed down on their way.
    conductor.lock().conns[0].written[Actor::Server.index()] += 5;
    // The first part not there yet: the peer's queues are empty, but the
    // count says bytes are coming.
    assert_eq!(client.peer(0), Peer::OnTheWay);
    let late = thread::spawn(move || {
        server.stream.write_all(b"he").unwrap();
        thread::sleep(Duration::from_millis(50));
        server.stream.write_all(b"llo").unwrap();
        server
    });
    let got = within(move || {
        let mut buf = [0u8; 64];
        let n = client.read(&mut buf).unwrap();
        buf[..n].to_vec()
    });
    assert_eq!(got, b"hello", "one read takes both parts");
    drop(late.join().unwrap());
}

#[test]
fn each_read_and_write_says_where_in_the_stream_its_bytes_begin() {
    let conductor = conduct(
        |listener| {
            let mut conn = accept(listener);
            conn.write_all(b"he").unwrap();
            conn.pause(Duration::from_millis(10));
            conn.write_all(b"llo").unwrap();
            assert_eq!(read(&mut conn), 0);
            assert!(listener.accept().unwrap().is_none());
        },
        |conductor, addr| {
            let mut conn = connect(conductor, addr);
            assert_eq!(read(&mut conn), 2);
            assert_eq!(read(&mut conn), 3);
        },
    );
    let offsets: Vec<(&str, u64)> = conductor
        .events()
        .iter()
        .filter_map(|e| match e.what {
            What::Write { at, .. } => Some(("write", at)),
            What::Read { at, .. } => Some(("read", at)),
            _ => None,
        })
        .collect();
    assert_eq!(
        offsets,
        [("write", 0), ("read", 0), ("write", 2), ("read", 2)]
    );
}

#[test]
fn a_late_read_goes_after_the_other_side_has_done_all_it_can() {
    let conductor = conduct(
        |listener| {
            let mut conn = accept(listener);
            assert_eq!(read(&mut conn), 2);
            conn.write_all(b"a").unwrap();
            // A pause hands the baton to a reader, but not to a late one.
            conn.pause(Duration::from_millis(10));
            conn.write_all(b"b").unwrap();
            assert_eq!(read(&mut conn), 0);
            assert!(listener.accept().unwrap().is_none());
        },
        |conductor, addr| {
            let mut conn = connect(conductor, addr);
            conn.write_all(b"hi").unwrap();
            conn.read_late(Duration::from_millis(30));
            assert_eq!(read(&mut conn), 2);
        },
    );
    let late: Vec<bool> = conductor
        .events()
        .iter()
        .filter_map(|e| match e.what {
            What::Pause { late, .. } => Some(late),
            _ => None,
        })
        .collect();
    assert_eq!(late, [true, false], "the client's pause, then the server's");
    assert_eq!(
        rows(&conductor),
        [
            "c1 connect",
            "c1 write hi",
            "c1 pause",
            "server accept c1",
            "server read hi",
            "server write a",
            "server pause",
            "server write b",
            "c1 read ab",
            "c1 close",
            "server eof",
            "server close",
        ]
    );
}
