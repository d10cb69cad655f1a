//! The conductor on its own: two sides on loopback, each a short script of
//! calls, and the order the conductor gave their turns.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use super::{
    Actor, Conducted, ConductedListener, Conductor, ConnectOutcome, Stalled, State, Status,
};
use crate::event::{Side, What};
use crate::lesson::server::Acceptor;
use crate::transport::Transport;
use crate::transport::net::SocketOptions;

/// The timeline in short: `c1 write hello`, `server read hello`, …
pub(super) fn rows(conductor: &Conductor) -> Vec<String> {
    conductor
        .events()
        .into_iter()
        .filter_map(|e| {
            let who = match e.side {
                Side::Client(n) => format!("c{n}"),
                Side::Server => "server".to_string(),
                _ => return None,
            };
            let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
            let what = match &e.what {
                What::Connect => "connect".to_string(),
                What::Accept { client } => format!("accept c{client}"),
                What::Write { bytes, .. } => format!("write {}", text(bytes)),
                What::Read { bytes, .. } => format!("read {}", text(bytes)),
                What::Eof => "eof".to_string(),
                What::Pause { .. } => "pause".to_string(),
                What::Close { .. } => "close".to_string(),
                other => format!("{other:?}"),
            };
            Some(format!("{who} {what}"))
        })
        .collect()
}

/// How long a conductor test may take: every step is a few bytes on
/// loopback, so a test that runs longer has hung.
pub(super) const LIMIT: Duration = Duration::from_secs(20);

/// Run `f` on a thread of its own and fail the test if it has not returned
/// within [`LIMIT`]: a bug in the baton or in a read's wait then fails the
/// test instead of hanging it. (The stuck thread is left behind.)
pub(super) fn within<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
    });
    match rx.recv_timeout(LIMIT) {
        Ok(Ok(value)) => value,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("the conducted calls did not end within {LIMIT:?}"),
    }
}

/// A new conductor and a conducted listener on a free loopback port.
pub(super) fn listening() -> (Arc<Conductor>, ConductedListener, std::net::SocketAddr) {
    let conductor = Arc::new(Conductor::new());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    (
        conductor.clone(),
        ConductedListener::new(listener, conductor),
        addr,
    )
}

/// Run `server` on its own thread and `client` on another, both conducted,
/// the way a scenario runs them; the server side is handed a listener, the
/// client side the conductor and the address. Both must end within
/// [`LIMIT`].
pub(super) fn conduct(
    server: impl FnOnce(&mut ConductedListener) + Send + 'static,
    client: impl FnOnce(&Arc<Conductor>, std::net::SocketAddr) + Send + 'static,
) -> Arc<Conductor> {
    within(move || {
        let (conductor, mut conducted, addr) = listening();
        let on_server = conductor.clone();
        let server = thread::spawn(move || {
            server(&mut conducted);
            on_server.finish(Actor::Server);
        });
        conductor.begin(Actor::Client).unwrap();
        client(&conductor, addr);
        conductor.finish(Actor::Client);
        server.join().unwrap();
        conductor
    })
}

pub(super) fn connect(conductor: &Arc<Conductor>, addr: std::net::SocketAddr) -> Conducted {
    match conductor
        .connect(addr, &SocketOptions::default(), 1)
        .unwrap()
    {
        ConnectOutcome::Done(stream, _) => stream,
        ConnectOutcome::Waits(_) => panic!("an empty listen queue made a connect wait"),
    }
}

pub(super) fn accept(listener: &mut ConductedListener) -> Conducted {
    listener.accept().unwrap().expect("a connection").0
}

pub(super) fn read(stream: &mut Conducted) -> usize {
    let mut buf = [0u8; 64];
    stream.read(&mut buf).unwrap()
}

#[test]
fn turns_go_to_a_waiting_reader_at_each_pause_and_a_burst_is_read_whole() {
    let conductor = conduct(
        |listener| {
            let mut conn = accept(listener);
            assert_eq!(read(&mut conn), 5);
            conn.write_all(b"he").unwrap();
            conn.pause(Duration::from_millis(10));
            conn.write_all(b"l").unwrap();
            conn.write_all(b"lo").unwrap();
            assert_eq!(read(&mut conn), 0);
            assert!(listener.accept().unwrap().is_none());
        },
        |conductor, addr| {
            let mut conn = connect(conductor, addr);
            conn.write_all(b"hello").unwrap();
            assert_eq!(read(&mut conn), 2);
            assert_eq!(read(&mut conn), 3);
        },
    );
    assert_eq!(
        rows(&conductor),
        [
            "c1 connect",
            "c1 write hello",
            "server accept c1",
            "server read hello",
            "server write he",
            "server pause",
            "c1 read he",
            "server write l",
            "server write lo",
            "c1 read llo",
            "c1 close",
            "server eof",
            "server close",
        ]
    );
}

#[test]
fn a_client_whose_read_would_block_forever_is_told_it_stalled() {
    let conductor = conduct(
        |listener| {
            let mut conn = accept(listener);
            // Both sides read: neither will ever write.
            assert_eq!(read(&mut conn), 0);
            assert!(listener.accept().unwrap().is_none());
        },
        |conductor, addr| {
            let mut conn = connect(conductor, addr);
            let mut buf = [0u8; 8];
            let err = conn.read(&mut buf).unwrap_err();
            assert!(Stalled::is(&err), "{err}");
        },
    );
    assert_eq!(
        rows(&conductor),
        [
            "c1 connect",
            "server accept c1",
            "c1 close",
            "server eof",
            "server close"
        ]
    );
}

#[test]
fn a_client_s_close_lets_the_server_meet_the_end_before_the_client_goes_on() {
    let conductor = conduct(
        |listener| {
            let mut conn = accept(listener);
            assert_eq!(read(&mut conn), 3);
            assert_eq!(read(&mut conn), 0);
            assert!(listener.accept().unwrap().is_none());
        },
        |conductor, addr| {
            let mut conn = connect(conductor, addr);
            conn.write_all(b"bye").unwrap();
            drop(conn);
            // A row of the client's own, the next thing it does.
            conductor.note(Side::Client(1), What::Socket);
        },
    );
    assert_eq!(
        rows(&conductor),
        [
            "c1 connect",
            "c1 write bye",
            "c1 close",
            "server accept c1",
            "server read bye",
            "server eof",
            // What the client does after its close comes after the eof.
            "c1 Socket",
            "server close",
        ]
    );
}

/// The scheduler's rule on its own: who runs next from each side's status.
/// The conductor's state with one connection: each side's status, the
/// bytes each has written, which have closed, and whether it was accepted.
fn state(
    client: Status,
    server: Status,
    written: [u64; 2],
    closed: [bool; 2],
    accepted: bool,
) -> State {
    State {
        baton: Actor::Server,
        status: [client, server],
        conns: vec![super::Conn {
            written,
            consumed: [0; 2],
            closed,
            accepted,
            client: 1,
            client_addr: ([127, 0, 0, 1], 9).into(),
            fds: [None; 2],
            probe: None,
        }],
        accept_queue: Default::default(),
        stall: false,
        events: Vec::new(),
        measures: Vec::new(),
        listener: None,
    }
}

#[test]
fn a_side_with_nothing_to_do_never_gets_the_baton() {
    let st = |client, server, written, closed| state(client, server, written, closed, true);
    let reading = Status::Reading {
        conn: 0,
        late: false,
    };
    let late = Status::Reading {
        conn: 0,
        late: true,
    };
    // Both read, nothing written: nobody can run.
    let both = st(reading, reading, [0, 0], [false; 2]);
    assert_eq!(both.next(Actor::Client), None);
    assert_eq!(both.next(Actor::Server), None);
    // The server's bytes wake the client before the server goes on from its pause.
    let woken = st(reading, Status::Paused, [0, 2], [false; 2]);
    assert_eq!(woken.next(Actor::Server), Some(Actor::Client));
    // A late reader waits until the other side can do nothing more.
    let later = st(late, Status::Paused, [0, 2], [false; 2]);
    assert_eq!(later.next(Actor::Client), Some(Actor::Server));
    assert_eq!(
        st(late, reading, [0, 2], [false; 2]).next(Actor::Server),
        Some(Actor::Client)
    );
    // A close wakes a reader as bytes do.
    let closed = st(Status::Paused, reading, [0, 0], [true, false]);
    assert_eq!(closed.next(Actor::Client), Some(Actor::Server));
    // An equal claim goes to the other side.
    let tie = st(Status::Paused, Status::Paused, [0, 0], [false; 2]);
    assert_eq!(tie.next(Actor::Client), Some(Actor::Server));
    assert_eq!(tie.next(Actor::Server), Some(Actor::Client));
    // A server waiting for a connection that nobody makes cannot run.
    let accepting = st(reading, Status::Accepting, [0, 0], [false; 2]);
    assert_eq!(accepting.next(Actor::Client), None);
}

/// A conducted pair whose server side accepts the client and does nothing
/// more (its end of the connection stays open, in the thread's result); the
/// client side has begun and connected.
pub(super) fn a_server_that_accepts_and_ends()
-> (Arc<Conductor>, Conducted, thread::JoinHandle<Conducted>) {
    let (conductor, mut conducted, addr) = listening();
    let on_server = conductor.clone();
    let server = thread::spawn(move || {
        let conn = accept(&mut conducted);
        on_server.finish(Actor::Server);
        conn
    });
    conductor.begin(Actor::Client).unwrap();
    let conn = connect(&conductor, addr);
    (conductor, conn, server)
}

#[test]
fn a_server_that_ends_holding_a_connection_leaves_the_reading_client_stalled() {
    // The server side ends with the connection still open: no byte and no
    // close will ever come to the client.
    let (_conductor, mut conn, server) = a_server_that_accepts_and_ends();
    let mut buf = [0u8; 8];
    let err = conn.read(&mut buf).unwrap_err();
    assert!(Stalled::is(&err), "{err}");
    drop(server.join().unwrap());
}

#[test]
fn only_the_conductor_s_stall_is_a_stall() {
    assert!(Stalled::is(&std::io::Error::other(Stalled)));
    assert!(!Stalled::is(&std::io::Error::other("another error")));
    assert!(!Stalled::is(&std::io::ErrorKind::WouldBlock.into()));
}

#[test]
fn a_client_queued_on_a_listener_that_is_gone_may_read_its_reset() {
    let st = |client, server, accepted| state(client, server, [0; 2], [false; 2], accepted);
    let reading = Status::Reading {
        conn: 0,
        late: false,
    };
    // Never accepted, and the server is done: the kernel resets the
    // connection, so the client's read returns and the client may run.
    assert!(st(reading, Status::Done, false).can_run(Actor::Client));
    // While the server may still accept it, or once it was accepted, the
    // client waits for bytes like any reader.
    assert!(!st(reading, Status::Accepting, false).can_run(Actor::Client));
    assert!(!st(reading, Status::Done, true).can_run(Actor::Client));
    // The server never reads a connection it did not accept.
    assert!(!st(Status::Done, reading, false).can_run(Actor::Server));
}

#[test]
fn the_client_begins_only_when_the_server_hands_it_the_baton_and_rows_count_from_one() {
    let conductor = Arc::new(Conductor::new());
    let client = {
        let conductor = conductor.clone();
        thread::spawn(move || {
            conductor.begin(Actor::Client).unwrap();
            conductor.note(Side::Client(1), What::Connect);
        })
    };
    // The server holds the baton first: whatever it does before it hands
    // the baton on comes before anything the client does.
    thread::sleep(Duration::from_millis(50));
    conductor.note(Side::Server, What::Socket);
    conductor.finish(Actor::Server);
    client.join().unwrap();
    let events = conductor.events();
    let order: Vec<(usize, &What)> = events.iter().map(|e| (e.seq, &e.what)).collect();
    assert_eq!(order, [(1, &What::Socket), (2, &What::Connect)]);
}

#[test]
fn the_server_s_log_adds_only_what_the_server_alone_knows() {
    use super::ConductedLog;
    use crate::event::{Ending, ServerEvent, ServerLog};
    let conductor = Arc::new(Conductor::new());
    let mut log = ConductedLog(conductor.clone());
    let peer: std::net::SocketAddr = ([127, 0, 0, 1], 9).into();
    let ended = |how| ServerEvent::Ended {
        client: 1,
        peer,
        how,
    };
    for e in [
        ended(Ending::Cut(3)),
        ended(Ending::Reset(4)),
        ended(Ending::Idle(Duration::from_millis(250))),
        // A clean end of stream is already in the timeline, as the read of 0.
        ended(Ending::Eof),
        ServerEvent::Received {
            client: 1,
            bytes: b"hi",
        },
        ServerEvent::Closed,
    ] {
        log.event(e).unwrap();
    }
    let whats: Vec<What> = conductor.events().into_iter().map(|e| e.what).collect();
    assert_eq!(
        whats,
        [
            What::Cut {
                after: 3,
                reset: false
            },
            What::Cut {
                after: 4,
                reset: true
            },
            What::Dropped { idle_ms: 250 },
            What::CloseListener,
        ]
    );
}

#[test]
fn a_write_of_nothing_is_a_write_not_the_end_of_the_stream() {
    let (conductor, mut conn, server) = a_server_that_accepts_and_ends();
    assert_eq!(conn.write(&[]).unwrap(), 0);
    let rows = rows(&conductor);
    assert_eq!(
        rows.last().map(String::as_str),
        Some("c1 write "),
        "{rows:?}"
    );
    conductor.finish(Actor::Client);
    drop(server.join().unwrap());
}
