//! The server and the client survive every fault a real peer can produce.
//! Real binaries, real sockets, loopback only, every wait bounded.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener};
use std::process::{Command, Stdio};
use std::sync::mpsc::Receiver;
use std::thread;
use std::time::Duration;

use common::{LIMIT, cpu_ticks, leave_files, run_client, start_server, text};
use tcp_boundary::lesson::reader::ReaderKind;
use tcp_boundary::transport::net;

#[test]
fn a_client_that_resets_while_the_server_writes_or_reads_does_not_stop_it() {
    // Slow echo: 1 byte every 20 ms, so the server is mid-write when the reset comes.
    let server = start_server(&["--clients", "3", "--chunk", "1", "--chunk-delay-ms", "20"]);

    // 1. Reset while the server is writing the echo.
    let mut a = server.connect();
    a.write_all(b"a long message that takes a while to echo\n")
        .unwrap();
    let mut first = [0u8; 1];
    a.read_exact(&mut first).unwrap();
    net::reset(a).unwrap();

    // 2. Reset while the server is reading: half a message, then RST.
    let mut b = server.connect();
    b.write_all(b"half a mess").unwrap();
    thread::sleep(Duration::from_millis(50));
    net::reset(b).unwrap();

    // 3. The next client is served as if nothing happened.
    let out = run_client(server.port, &[], b"still here\nq\n");
    assert!(text(&out.stdout).contains("Message from server : still here\\n"));
    let (stdout, stderr, code) = server.finish();
    assert_eq!(code, 0, "the server exits normally: {stderr}");
    assert!(stdout.contains("connected client 3"));
    // Each broken session is logged in one line, and nothing panicked.
    assert!(
        stderr.contains("client 1 (") && stderr.contains("client 2 ("),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_half_closed_client_gets_its_echo_then_the_close() {
    let server = start_server(&["--clients", "1"]);
    let mut s = server.connect();
    s.write_all(b"before the FIN\n").unwrap();
    // "I will send no more" — but the client still reads.
    s.shutdown(Shutdown::Write).unwrap();
    let mut back = Vec::new();
    s.read_to_end(&mut back).unwrap();
    assert_eq!(back, b"before the FIN\n");
    assert_eq!(server.finish().2, 0);
}

#[test]
fn a_100_mb_stream_is_echoed_exactly_in_flat_memory() {
    const TOTAL: usize = 100 * 1024 * 1024;
    let server = start_server(&["--clients", "1", "--quiet"]);
    let pid = server.child.id();
    let s = server.connect();
    let mut writer = s.try_clone().unwrap();
    // A pattern that is not periodic in any small power of two, so a lost or
    // repeated block would not line up by chance.
    let byte = |i: usize| (i.wrapping_mul(2_654_435_761) >> 13) as u8;
    let send = thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        let mut sent = 0;
        while sent < TOTAL {
            let n = buf.len().min(TOTAL - sent);
            for (j, b) in buf[..n].iter_mut().enumerate() {
                *b = byte(sent + j);
            }
            writer.write_all(&buf[..n]).unwrap();
            sent += n;
        }
        writer.shutdown(Shutdown::Write).unwrap();
    });
    let mut reader = s;
    let mut buf = vec![0u8; 64 * 1024];
    let mut got = 0;
    let mut peak = 0;
    loop {
        let n = reader.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        for (j, b) in buf[..n].iter().enumerate() {
            assert_eq!(*b, byte(got + j), "byte {} differs", got + j);
        }
        got += n;
        if got % (8 * 1024 * 1024) < n {
            peak = peak.max(tcp_boundary::tools::bench::peak_rss_kib(pid).unwrap_or(0));
        }
    }
    send.join().unwrap();
    assert_eq!(got, TOTAL);
    peak = peak.max(tcp_boundary::tools::bench::peak_rss_kib(pid).unwrap_or(0));
    eprintln!("echo-server peak RSS while echoing 100 MiB: {peak} KiB");
    // Flat: the server's one 1 KiB buffer, whatever the stream's length. The
    // bound leaves room for the binary and the C library, not for the stream.
    assert!(peak < 16 * 1024, "peak RSS {peak} KiB");
    assert_eq!(server.finish().2, 0);
}

#[test]
fn an_idle_client_is_dropped_after_the_idle_timeout_and_the_next_is_served() {
    let server = start_server(&["--clients", "2", "--idle-timeout", "1"]);
    let idle = server.connect(); // connects, sends nothing
    // Served only once the idle client is dropped: the exchange completes.
    let out = run_client(server.port, &[], b"after the idle one\nq\n");
    assert!(text(&out.stdout).contains("Message from server : after the idle one\\n"));
    let (_, stderr, code) = server.finish();
    assert_eq!(code, 0);
    assert!(
        stderr.contains("sent or read nothing for 1 s, dropped"),
        "{stderr}"
    );
    drop(idle);
}

#[test]
fn a_client_that_sends_and_never_reads_is_dropped_after_the_idle_timeout() {
    let server = start_server(&["--clients", "2", "--idle-timeout", "1", "--quiet"]);
    // Send far more than the buffers hold and never read: the server's echo
    // blocks in write once this client's receive window is full.
    let hog = server.connect();
    hog.set_write_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let chunk = vec![b'x'; 64 * 1024];
    let mut sent = 0usize;
    while sent < 64 << 20 {
        match (&hog).write(&chunk) {
            Ok(n) => sent += n,
            Err(_) => break, // our own send buffer is full too, or we were dropped
        }
    }
    // The next client is served once the hog is dropped.
    let out = run_client(server.port, &[], b"next\nq\n");
    assert!(text(&out.stdout).contains("Message from server : next\\n"));
    let (_, stderr, code) = server.finish();
    assert_eq!(code, 0);
    assert!(
        stderr.contains("client 1 (127.0.0.1:") && stderr.contains("read nothing for 1 s, dropped"),
        "{stderr}"
    );
    drop(hog);
}

#[test]
fn out_of_descriptors_the_server_waits_for_one_and_serves_then() {
    let server = start_server(&["--clients", "2"]);
    let pid = server.child.id();
    // While the server serves a first client (its accept is done: a blocked
    // accept holds the number of its descriptor already), not one
    // descriptor is left to it: its next accept fails with EMFILE while the
    // second client waits in the listen queue.
    let mut first = server.connect();
    first.write_all(b"1\n").unwrap();
    let mut echo = [0u8; 2];
    first.read_exact(&mut echo).unwrap();
    leave_files(pid, 0);
    drop(first);
    let mut client = server.connect();
    client.write_all(b"hi\n").unwrap();
    let ticks = cpu_ticks(pid);
    thread::sleep(Duration::from_secs(2));
    // 20 ticks (SC_CLK_TCK is 100): 0.2 s of CPU in 2 s. The server waits
    // between its tries instead of spinning.
    let used = cpu_ticks(pid) - ticks;
    assert!(used < 20, "{used} ticks of CPU in 2 s");
    // Descriptors again: within a pause (1 s at most) the client is served.
    leave_files(pid, 10);
    let mut echo = [0u8; 3];
    client.read_exact(&mut echo).unwrap();
    assert_eq!(&echo, b"hi\n");
    drop(client);
    let (out, err, code) = server.finish();
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Message from client : hi"), "{out}");
    // The failures told in one line, with their count.
    let told: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("accept failed"))
        .collect();
    assert_eq!(told.len(), 1, "{err}");
    assert!(told[0].starts_with("accept failed ×"), "{err}");
    assert!(told[0].ends_with(" s: too many open files"), "{err}");
}

#[test]
fn a_thousand_clients_in_a_row_with_clients_0() {
    let server = start_server(&["--clients", "0", "--quiet"]);
    for i in 0..1000 {
        let mut s = server.connect();
        let msg = format!("client {i}\n");
        s.write_all(msg.as_bytes()).unwrap();
        s.shutdown(Shutdown::Write).unwrap();
        let mut back = String::new();
        s.read_to_string(&mut back).unwrap();
        assert_eq!(back, msg);
    }
    // --clients 0 serves until killed: still alive after 1000 clients.
    let mut server = server;
    assert!(server.child.try_wait().unwrap().is_none());
}

/// A peer that accepts one connection, reads once, writes back the first
/// `keep(n)` of the `n` bytes it read, and closes: a server that goes away.
fn one_shot_peer(keep: fn(usize) -> usize) -> (u16, thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let peer = thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = [0u8; 64];
        let n = s.read(&mut buf).unwrap();
        s.write_all(&buf[..keep(n)]).unwrap();
        let _ = s.shutdown(Shutdown::Both);
    });
    (port, peer)
}

#[test]
fn the_client_reports_a_server_that_vanishes_mid_session() {
    // The peer answers the first message, then dies without a word (FIN).
    for reader in ReaderKind::ALL.map(ReaderKind::name) {
        let (port, peer) = one_shot_peer(|n| n);
        let out = run_client(port, &["--reader", reader], b"one\ntwo\nthree\n");
        peer.join().unwrap();
        assert_eq!(out.status.code(), Some(1), "{reader}");
        assert!(
            text(&out.stdout).contains("Message from server : one\\n"),
            "{reader}"
        );
        let err = text(&out.stderr);
        assert!(
            err.starts_with("error: session with 127.0.0.1:"),
            "{reader}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

#[test]
fn the_client_never_hangs_on_a_peer_that_closes_mid_reply() {
    // A server that sends half the echo and closes: no reader may wait forever.
    for reader in ReaderKind::ALL.map(ReaderKind::name) {
        let (port, peer) = one_shot_peer(|n| n / 2);
        let out = run_client(port, &["--reader", reader], b"0123456789\nagain\n");
        peer.join().unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{reader}: {}",
            text(&out.stderr)
        );
        assert!(!text(&out.stderr).contains("panicked"));
    }
}

#[test]
fn the_client_ends_cleanly_at_end_of_input() {
    let server = start_server(&["--clients", "1"]);
    let out = run_client(server.port, &[], b"");
    assert!(out.status.success());
    assert_eq!(server.finish().2, 0);
}

#[test]
fn a_10_mb_message_cannot_deadlock_the_client() {
    let mut line = vec![b'x'; 10 << 20];
    line.extend_from_slice(b"\nq\n");
    // exact reads the echo while the message is still being written.
    let server = start_server(&["--clients", "1", "--quiet"]);
    let out = run_client(server.port, &["--reader", "exact"], &line);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let reply = stdout
        .split("Message from server : ")
        .nth(1)
        .expect("a reply line");
    assert_eq!(reply.trim_end_matches(|c| c != 'x').len(), 10 << 20);
    // naive stops after one read: the rest of the echo fills the buffers, and
    // the client says so instead of hanging.
    let server = start_server(&["--clients", "1", "--quiet"]);
    let out = run_client(server.port, &["--reader", "naive"], &line);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("write-before-read deadlock"), "{err}");
}

/// `echo-server 0 --clients 3` with its standard output on `stdout`: the
/// process, its port and its standard error line by line.
fn server_writing_to(stdout: std::process::Stdio) -> (std::process::Child, u16, Receiver<String>) {
    let mut child = Command::new(common::echo_server_bin())
        .args(["0", "--clients", "3"])
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let first = rx.recv_timeout(LIMIT).expect("echo-server printed no line");
    let port = first
        .strip_prefix("listening on 127.0.0.1:")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line: {first}"));
    (child, port, rx)
}

/// Three clients, each echoed in turn; then the server's exit status and
/// the rest of its standard error.
fn three_clients_served(
    mut child: std::process::Child,
    port: u16,
    stderr: Receiver<String>,
) -> (std::process::ExitStatus, Vec<String>) {
    for i in 0..3 {
        let mut client = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        client.set_read_timeout(Some(LIMIT)).unwrap();
        let message = format!("client {i}\n");
        client.write_all(message.as_bytes()).unwrap();
        let mut back = vec![0u8; message.len()];
        client
            .read_exact(&mut back)
            .unwrap_or_else(|e| panic!("client {i} not echoed: {e}"));
        assert_eq!(back, message.as_bytes());
    }
    let status = common::wait_limited(&mut child);
    let rest = stderr.try_iter().collect();
    (status, rest)
}

#[test]
fn a_server_whose_console_is_full_goes_on_serving() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let (child, port, stderr) = server_writing_to(full.into());
    let (status, rest) = three_clients_served(child, port, stderr);
    assert_eq!(status.code(), Some(0), "{rest:?}");
    let said: Vec<&String> = rest
        .iter()
        .filter(|l| l.contains("standard output"))
        .collect();
    assert_eq!(
        said,
        [
            "cannot write to standard output (no space left on device): its output stops here, the serving goes on"
        ],
        "{rest:?}"
    );
}

#[test]
fn a_server_whose_console_pipe_closes_early_goes_on_serving() {
    let (mut child, port, stderr) = server_writing_to(Stdio::piped());
    // Nobody reads its standard output any more.
    drop(child.stdout.take());
    let (status, rest) = three_clients_served(child, port, stderr);
    assert_eq!(status.code(), Some(0), "{status:?} {rest:?}");
    let said: Vec<&String> = rest
        .iter()
        .filter(|l| l.contains("standard output"))
        .collect();
    assert_eq!(said.len(), 1, "{rest:?}");
    assert!(said[0].contains("(broken pipe)"), "{rest:?}");
}
