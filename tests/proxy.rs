//! `tcp-boundary proxy` and `tcp_boundary::tools::proxy`: reshaping any client's and any
//! server's stream. Real sockets, loopback, bounded.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::{
    LIMIT, ProxyProc, assert_reply_in_parts, first_reply, interrupt, run_client, start_server, text,
};
use tcp_boundary::lesson::reader::ReaderKind;
use tcp_boundary::shape::Shape;
use tcp_boundary::shape::fragment::{ChunkRange, Chunks, FragmentPlan};
use tcp_boundary::tools::proxy::{Proxy, ProxyConfig};

#[test]
fn through_a_slicing_proxy_naive_fails_and_the_framing_readers_pass() {
    let message = "a message long enough to arrive in many reads\n";
    for reader in ReaderKind::ALL.map(ReaderKind::name) {
        let server = start_server(&["--clients", "1"]);
        let proxy = ProxyProc::start(
            server.port,
            &["--down-chunk", "2", "--down-chunk-delay-ms", "40"],
        );
        let input = format!("{message}q\n");
        let out = run_client(proxy.port, &["--reader", reader], input.as_bytes());
        assert_reply_in_parts(reader, &first_reply(&out.stdout), message);
        if reader != "naive" {
            assert!(out.status.success(), "{reader}: {}", text(&out.stderr));
        }
        assert_eq!(server.finish().2, 0);
    }
}

#[test]
fn coalescing_merges_two_client_writes_into_one_server_read() {
    let server = start_server(&["--clients", "1"]);
    let to = format!("127.0.0.1:{}", server.port).parse().unwrap();
    let up = Shape {
        read_delay: Duration::from_secs(2),
        ..Shape::default()
    };
    let proxy = Proxy::start(ProxyConfig::new(to).upstream(up)).unwrap();
    let mut c = TcpStream::connect(proxy.addr()).unwrap();
    c.set_nodelay(true).unwrap();
    c.set_read_timeout(Some(LIMIT)).unwrap();
    // Two writes 100 ms apart: without the proxy, two reads on the server.
    c.write_all(b"one\n").unwrap();
    thread::sleep(Duration::from_millis(100));
    c.write_all(b"two\n").unwrap();
    let mut back = [0u8; 8];
    c.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"one\ntwo\n");
    drop(c);
    proxy.stop();
    let (out, _, _) = server.finish();
    assert!(
        out.contains("Message from client : one\\ntwo\\n\n"),
        "{out}"
    );
}

#[test]
fn cut_and_reset_reach_the_client_as_the_readers_define_them() {
    for (switch, want, book_s) in [
        (
            "--down-cut-after",
            "peer closed mid-message",
            "the book's loop would spin forever",
        ),
        ("--down-reset-after", "reset", "reset"),
    ] {
        // Every reader but the naive one, which takes the first five bytes
        // for the reply.
        for kind in ReaderKind::ALL
            .into_iter()
            .filter(|&k| k != ReaderKind::Naive)
        {
            let reader = kind.name();
            let want = if kind == ReaderKind::Book {
                book_s
            } else {
                want
            };
            let server = start_server(&["--clients", "1"]);
            let proxy = ProxyProc::start(server.port, &[switch, "5"]);
            let out = run_client(proxy.port, &["--reader", reader], b"hello, world\nq\n");
            assert_eq!(out.status.code(), Some(1), "{switch} {reader}");
            let err = text(&out.stderr);
            assert!(err.contains(want), "{switch} {reader}: {err}");
            assert_eq!(err.lines().count(), 1, "{err}");
        }
    }
}

/// A `Write` the test can read back: the proxy's log.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Our echo server in this process, serving until dropped, saying nothing.
fn quiet_echo_server() -> tcp_boundary::tools::spawned::Running {
    tcp_boundary::tools::spawned::spawn(
        TcpListener::bind("127.0.0.1:0").unwrap(),
        tcp_boundary::lesson::server::ServerConfig {
            clients: 0,
            quiet: true,
            ..Default::default()
        },
    )
    .unwrap()
}

/// A proxy on a free loopback port whose every row is captured.
fn logged_proxy(mut config: ProxyConfig) -> (Proxy, Captured) {
    config.quiet = false;
    let log = Captured::default();
    let proxy = Proxy::start_on(
        TcpListener::bind("127.0.0.1:0").unwrap(),
        config,
        Box::new(log.clone()),
    )
    .unwrap();
    (proxy, log)
}

/// The sizes of the writes a seeded proxy makes to the client for one message.
fn downstream_chunks(seed: u64) -> Vec<usize> {
    let server = quiet_echo_server();
    let down = Shape {
        plan: FragmentPlan {
            chunks: Chunks::Random(ChunkRange::new(1, 5).unwrap()),
            seed,
            ..FragmentPlan::default()
        },
        ..Shape::default()
    };
    let (proxy, log) = logged_proxy(ProxyConfig::new(server.addr).downstream(down));
    let mut c = TcpStream::connect(proxy.addr()).unwrap();
    c.set_read_timeout(Some(LIMIT)).unwrap();
    let msg = b"the same traffic, the same chunks\n";
    c.write_all(msg).unwrap();
    let mut back = vec![0u8; msg.len()];
    c.read_exact(&mut back).unwrap();
    assert_eq!(&back[..], &msg[..]);
    c.shutdown(Shutdown::Both).unwrap();
    proxy.stop();
    let log = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    // Rows of writes to the client (left column) read "to c1: write N B @…".
    log.lines()
        .filter_map(|l| {
            let (left, _) = l.split_once('│')?;
            let rest = left.split("to c1: write").nth(1)?;
            rest.trim().split(' ').next()?.parse().ok()
        })
        .collect()
}

#[test]
fn the_same_seed_reproduces_the_same_chunks() {
    let a = downstream_chunks(42);
    assert_eq!(a.iter().sum::<usize>(), 34, "{a:?}");
    assert!(a.iter().all(|&n| (1..=5).contains(&n)), "{a:?}");
    assert_eq!(downstream_chunks(42), a);
    assert_ne!(downstream_chunks(43), a);
}

#[test]
fn serves_many_connections_at_once() {
    // A backend that serves clients concurrently, so only the proxy could make
    // them wait for each other.
    let backend = TcpListener::bind("127.0.0.1:0").unwrap();
    let to = backend.local_addr().unwrap();
    thread::spawn(move || {
        for s in backend.incoming().take(2) {
            let mut s = s.unwrap();
            thread::spawn(move || {
                let mut buf = [0u8; 64];
                while let Ok(n) = s.read(&mut buf) {
                    if n == 0 || s.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            });
        }
    });
    let proxy = Proxy::start(ProxyConfig::new(to)).unwrap();
    let mut a = TcpStream::connect(proxy.addr()).unwrap();
    let mut b = TcpStream::connect(proxy.addr()).unwrap();
    for s in [&a, &b] {
        s.set_read_timeout(Some(LIMIT)).unwrap();
    }
    // b is served while a is still open and idle.
    b.write_all(b"b\n").unwrap();
    let mut back = [0u8; 2];
    b.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"b\n");
    a.write_all(b"a\n").unwrap();
    a.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"a\n");
    assert_eq!(proxy.connections(), 2);
    drop((a, b));
    proxy.stop();
}

#[test]
fn an_upstream_that_refuses_is_reported_and_the_proxy_keeps_serving() {
    let closed = common::refused_port();
    let log = Captured::default();
    let proxy = Proxy::start_on(
        TcpListener::bind("127.0.0.1:0").unwrap(),
        ProxyConfig::new(closed.addr),
        Box::new(log.clone()),
    )
    .unwrap();
    for _ in 0..2 {
        let mut c = TcpStream::connect(proxy.addr()).unwrap();
        c.set_read_timeout(Some(LIMIT)).unwrap();
        let mut buf = [0u8; 8];
        // The proxy closes the client's connection cleanly: end of stream
        // (a timeout would be an error here, not a pass).
        assert_eq!(c.read(&mut buf).expect("end of stream, not an error"), 0);
    }
    assert_eq!(proxy.connections(), 2);
    proxy.stop();
    let log = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert_eq!(log.matches("refused").count(), 2, "{log}");
}

#[test]
fn ctrl_c_stops_the_proxy_cleanly() {
    let server = start_server(&["--clients", "1"]);
    let mut proxy = ProxyProc::start(server.port, &[]);
    let mut c = TcpStream::connect(("127.0.0.1", proxy.port)).unwrap();
    c.write_all(b"hi\n").unwrap();
    let mut back = [0u8; 3];
    c.set_read_timeout(Some(LIMIT)).unwrap();
    c.read_exact(&mut back).unwrap();
    let status = interrupt(&mut proxy.child);
    assert_eq!(status.code(), Some(0));
    let mut err = String::new();
    proxy
        .child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(err.contains("proxy stopped after 1 connection"), "{err}");
    // The open connection was closed, not left hanging: end of stream at once
    // (a timeout would be an error here, not a pass).
    let mut buf = [0u8; 1];
    assert_eq!(c.read(&mut buf).expect("end of stream, not an error"), 0);
}

#[test]
fn each_direction_has_its_own_switches() {
    // Downstream chunks and upstream coalescing together start fine.
    let server = start_server(&["--clients", "1"]);
    let proxy = ProxyProc::start(
        server.port,
        &[
            "--down-chunk",
            "3",
            "--up-read-delay-ms",
            "50",
            "--down-chunk-delay-ms",
            "10",
        ],
    );
    assert_eq!(
        proxy.shapes,
        [
            "downstream (server → client): chunks of at most 3 bytes, 10 ms pause after each",
            "upstream (client → server): reads late: waits 50 ms before each read",
        ]
    );
    let out = run_client(proxy.port, &["--reader", "exact"], b"directions\nq\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(first_reply(&out.stdout), "directions\\n");
    drop(proxy);
}

#[test]
fn ctrl_c_ends_the_proxy_even_inside_a_long_pause() {
    let server = start_server(&["--clients", "1"]);
    // One byte, then a pause of a minute before the next.
    let mut proxy = ProxyProc::start(
        server.port,
        &["--down-chunk", "1", "--down-chunk-delay-ms", "60000"],
    );
    let mut c = TcpStream::connect(("127.0.0.1", proxy.port)).unwrap();
    c.set_read_timeout(Some(LIMIT)).unwrap();
    c.write_all(b"hi\n").unwrap();
    let mut first = [0u8; 1];
    c.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"h");
    // The proxy is now in its pause.
    let asked = Instant::now();
    let status = interrupt(&mut proxy.child);
    assert_eq!(status.code(), Some(0));
    // Well within the minute's pause, however loaded the machine.
    assert!(
        asked.elapsed() < Duration::from_secs(30),
        "took {:?} to stop",
        asked.elapsed()
    );
}

#[test]
fn the_proxy_log_puts_each_write_before_the_read_of_its_bytes_in_one_convention() {
    let server = quiet_echo_server();
    let (proxy, log) = logged_proxy(ProxyConfig::new(server.addr));
    let mut c = TcpStream::connect(proxy.addr()).unwrap();
    c.set_read_timeout(Some(LIMIT)).unwrap();
    for _ in 0..20 {
        c.write_all(b"ping\n").unwrap();
        let mut back = [0u8; 5];
        c.read_exact(&mut back).unwrap();
    }
    drop(c);
    proxy.stop();
    let log = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    let rows: Vec<&str> = log.lines().collect();
    // The client's end on the left, the server's on the right, each row
    // saying which way its bytes go.
    let left = |r: &str| r.split('│').next().unwrap_or("").to_string();
    let right = |r: &str| r.split('│').nth(1).unwrap_or("").to_string();
    let from_c1 = rows
        .iter()
        .filter(|r| left(r).contains("from c1: read"))
        .count();
    let to_s1 = rows
        .iter()
        .filter(|r| right(r).contains("to s1: write"))
        .count();
    let from_s1 = rows
        .iter()
        .filter(|r| right(r).contains("from s1: read"))
        .count();
    let to_c1 = rows
        .iter()
        .filter(|r| left(r).contains("to c1: write"))
        .count();
    assert!(
        from_c1 >= 1 && to_s1 >= 1 && from_s1 >= 1 && to_c1 >= 1,
        "{log}"
    );
    // Causes before effects: each byte offset is written before it is read.
    let offset = |r: &str, what: &str| -> Option<u64> {
        let rest = r.split(what).nth(1)?;
        rest.split('@').nth(1)?.split(' ').next()?.parse().ok()
    };
    for (i, r) in rows.iter().enumerate() {
        if let Some(at) = offset(r, "from s1: read") {
            let written_before = rows[..i]
                .iter()
                .filter_map(|w| offset(w, "to s1: write"))
                .any(|w| w >= at);
            assert!(
                written_before,
                "row {i} reads @{at} before its write:\n{log}"
            );
        }
    }
}
