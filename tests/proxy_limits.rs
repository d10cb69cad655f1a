//! The proxy against hostile input and peers: bad parameters get one line
//! and exit 2, its memory stays flat when a peer stops reading, a read delay
//! gathers at most its limit, and a connection that cannot get a thread is
//! refused while the proxy goes on.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::{
    LIMIT, ProxyProc, cpu_ticks, leave_files, rss_kib, run_with_input, tcp_boundary_bin, text,
};
use tcp_boundary::event::What;
use tcp_boundary::shape::Shape;
use tcp_boundary::tools::proxy::{Proxy, ProxyConfig};

/// The most memory the proxy process has held (VmHWM), in KiB.
fn peak_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap()
}

#[test]
fn a_peer_that_stops_reading_does_not_grow_the_proxy_s_memory() {
    // The server: its first connection floods and never reads, its second
    // reads everything and answers nothing.
    let upstream = TcpListener::bind("127.0.0.1:0").unwrap();
    let to = upstream.local_addr().unwrap().port();
    thread::spawn(move || {
        let (mut flood, _) = upstream.accept().unwrap();
        thread::spawn(move || {
            let chunk = [b'x'; 65536];
            while flood.write_all(&chunk).is_ok() {}
        });
        let (mut sink, _) = upstream.accept().unwrap();
        let mut buf = vec![0; 65536];
        while matches!(sink.read(&mut buf), Ok(n) if n > 0) {}
    });
    // The proxy with its log (every row, to a file).
    let dir = tempfile::tempdir().unwrap();
    let log = std::fs::File::create(dir.path().join("log")).unwrap();
    let to = format!("127.0.0.1:{to}");
    let mut child = Command::new(tcp_boundary_bin())
        .args(["proxy", "--listen", "0", "--to", &to])
        .stdout(log)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Its standard error stays open (a closed pipe would end it on its next
    // line).
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    let port: u16 = first
        .split(", ")
        .next()
        .and_then(|l| l.rsplit(':').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"));
    let proxy = ProxyProc {
        child,
        port,
        shapes: Vec::new(),
    };
    // A client that never reads: the proxy's write to it blocks for good.
    let _stalled = TcpStream::connect(("127.0.0.1", proxy.port)).unwrap();
    thread::sleep(Duration::from_millis(300));
    // Beside it, a busy one: 300 MB through the proxy.
    let mut busy = TcpStream::connect(("127.0.0.1", proxy.port)).unwrap();
    let deadline = Instant::now() + LIMIT;
    let chunk = vec![b'y'; 1 << 20];
    for _ in 0..300 {
        busy.write_all(&chunk).unwrap();
        assert!(Instant::now() < deadline, "300 MB did not pass in time");
    }
    let peak = peak_kib(proxy.child.id());
    assert!(peak < 100 * 1024, "the proxy held {peak} KiB at its peak");
    drop(stderr);
}

#[test]
fn a_read_delay_gathers_at_most_its_limit_before_passing_bytes_on() {
    // A server that says when its first bytes came.
    let upstream = TcpListener::bind("127.0.0.1:0").unwrap();
    let to = upstream.local_addr().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    thread::spawn(move || {
        let (mut conn, _) = upstream.accept().unwrap();
        let mut buf = vec![0; 1 << 16];
        let n = conn.read(&mut buf).unwrap();
        let _ = tx.send(n);
        while matches!(conn.read(&mut buf), Ok(n) if n > 0) {}
    });
    // Requests read 30 s late: without a limit, nothing would reach the
    // server for 30 s while the client sends 2 MiB.
    let late = Shape {
        read_delay: Duration::from_secs(30),
        ..Shape::default()
    };
    let proxy = Proxy::start(ProxyConfig::new(to).upstream(late)).unwrap();
    let started = Instant::now();
    let mut client = TcpStream::connect(proxy.addr()).unwrap();
    let sender = thread::spawn(move || {
        let _ = client.write_all(&vec![b'z'; 2 << 20]);
        client
    });
    let first = rx.recv_timeout(LIMIT).expect("no bytes reached the server");
    assert!(first > 0);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the first bytes came after {:?}",
        started.elapsed()
    );
    drop(proxy);
    let _ = sender.join();
}

/// A backend that echoes each of at most `n` connections in a thread of its
/// own, so that only the proxy can make a client wait.
fn concurrent_echo(n: usize) -> u16 {
    let backend = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = backend.local_addr().unwrap().port();
    thread::spawn(move || {
        for s in backend.incoming().take(n) {
            let Ok(mut s) = s else { break };
            thread::spawn(move || {
                let _ = s.set_read_timeout(Some(LIMIT));
                let mut buf = [0u8; 64];
                while let Ok(n @ 1..) = s.read(&mut buf) {
                    if s.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            });
        }
    });
    port
}

/// The proxy started through `sh -c 'ulimit -v KIB; exec …'` (no limit:
/// `None`), with one malloc arena, so that a thread costs its stack (2 MiB)
/// and not an arena of 64 MiB as well: its process, port, timeline file and
/// standard error, line by line.
fn proxy_in_sh(
    to: u16,
    kib: Option<u64>,
    dir: &std::path::Path,
) -> (
    Child,
    u16,
    std::path::PathBuf,
    std::sync::mpsc::Receiver<String>,
) {
    proxy_limited(to, kib, dir, &["--quiet"], true)
}

/// The proxy started through `sh -c 'ulimit -v KIB; exec …'` with `args`
/// (no limit: `kib` is `None`), with one malloc arena or glibc's default
/// (`one_arena`): as [`proxy_in_sh`].
fn proxy_limited(
    to: u16,
    kib: Option<u64>,
    dir: &std::path::Path,
    args: &[&str],
    one_arena: bool,
) -> (
    Child,
    u16,
    std::path::PathBuf,
    std::sync::mpsc::Receiver<String>,
) {
    let limit = kib.map_or(String::new(), |k| format!("ulimit -v {k} && "));
    let timeline = dir.join(format!("timeline-{}.txt", kib.unwrap_or(0)));
    let mut cmd = Command::new("sh");
    cmd.args([
        "-c",
        &format!(
            "{limit}exec {} proxy --listen 0 --to 127.0.0.1:{to} {}",
            tcp_boundary_bin(),
            args.join(" ")
        ),
    ]);
    if one_arena {
        cmd.env("MALLOC_ARENA_MAX", "1");
    } else {
        cmd.env_remove("MALLOC_ARENA_MAX");
    }
    let mut child = cmd
        .env("COLUMNS", "200")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&timeline).unwrap())
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
    let first = rx.recv_timeout(LIMIT).expect("the proxy printed no line");
    let port = first
        .split(", ")
        .next()
        .and_then(|l| l.rsplit(':').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"));
    (child, port, timeline, rx)
}

/// The virtual memory of process `pid`, in KiB.
fn vm_size_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmSize:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap()
}

/// Connect through the proxy and send a line: `true` if it came back,
/// `false` if the proxy closed the connection instead.
fn echoed(port: u16) -> (bool, TcpStream) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(LIMIT)).unwrap();
    let sent = s.write_all(b"hi\n").is_ok();
    let mut back = [0u8; 3];
    let came_back = sent && s.read_exact(&mut back).is_ok() && &back == b"hi\n";
    (came_back, s)
}

#[test]
fn a_connection_that_cannot_get_its_memory_or_a_thread_is_refused_and_the_proxy_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let to = concurrent_echo(64);
    // The proxy's size with one connection served (its two threads
    // running), measured without a limit...
    let (mut free, free_port, _, _free_stderr) = proxy_in_sh(to, None, tmp.path());
    let (served, one) = echoed(free_port);
    assert!(served);
    let with_one = vm_size_kib(free.id());
    drop(one);
    let _ = free.kill();
    let _ = free.wait();
    // ...then a limit of 1 MiB more: room for a connection or two (two
    // threads of 128 KiB and two read buffers of 64 KiB each), not for
    // eight.
    let (mut child, port, timeline, stderr) = proxy_in_sh(to, Some(with_one + 1024), tmp.path());
    let mut open = Vec::new();
    let mut outcomes = Vec::new();
    for _ in 0..8 {
        let (served, s) = echoed(port);
        outcomes.push(served);
        open.push(s);
    }
    let served = outcomes.iter().filter(|&&s| s).count();
    let refused = outcomes.len() - served;
    // Served while there was room, refused from then on.
    assert!(served >= 1 && refused >= 1, "served: {outcomes:?}");
    assert!(
        outcomes[..served].iter().all(|&s| s),
        "served: {outcomes:?}"
    );
    // One line on stderr for each refused connection: its buffers or its
    // threads could not be had.
    let mut lines = Vec::new();
    while lines.len() < refused {
        let line = stderr
            .recv_timeout(LIMIT)
            .expect("no line for a refused connection");
        // The start-up lines describe the shapes.
        if !line.starts_with("downstream") && !line.starts_with("upstream") {
            lines.push(line);
        }
    }
    for line in &lines {
        assert!(
            line.starts_with("connection ")
                && (line.contains(" refused: no thread could be started for it (")
                    || line.ends_with(" refused: no memory for its buffers")),
            "{lines:?}"
        );
    }
    // Once the served ones close, the listener, which went on accepting,
    // serves again (their threads are let go at the next connection).
    drop(open);
    let deadline = Instant::now() + LIMIT;
    let later = loop {
        let (served, s) = echoed(port);
        if served || Instant::now() > deadline {
            break served;
        }
        drop(s);
        thread::sleep(Duration::from_millis(50));
    };
    assert!(later, "no connection served after the refused ones");
    // And a row in the timeline for each (written by the log's own thread,
    // a moment later).
    let deadline = Instant::now() + LIMIT;
    let (rows, noted) = loop {
        let rows = std::fs::read_to_string(&timeline).unwrap();
        let noted = rows
            .matches("refused: no thread could be started for it")
            .count()
            + rows.matches(": no memory for its buffers").count();
        if noted >= refused || Instant::now() > deadline {
            break (rows, noted);
        }
        thread::sleep(Duration::from_millis(20));
    };
    let _ = child.kill();
    let _ = child.wait();
    let rest: Vec<String> = stderr.try_iter().collect();
    assert!(!rest.iter().any(|l| l.contains("panicked")), "{rest:?}");
    assert!(noted >= refused, "{rows}");
}

#[test]
fn bad_parameters_exit_2_with_one_line() {
    // Each case: the switches, and the whole first line clap (or the shape's
    // own check) gives for them.
    let cases: &[(&[&str], &str)] = &[
        (
            &["--down-chunk", "0"],
            "error: invalid value '0' for '--down-chunk <BYTES>': must be from 1 to 16777216 bytes",
        ),
        (
            &["--up-chunk", "-5"],
            "error: invalid value '-5' for '--up-chunk <BYTES>': must be from 1 to 16777216 bytes, not negative",
        ),
        (
            &["--down-random-chunks", "5-2"],
            "error: invalid value '5-2' for '--down-random-chunks <MIN-MAX>': random chunks: MIN (5) is larger than MAX (2)",
        ),
        (
            &["--down-random-chunks", "0-2"],
            "error: invalid value '0-2' for '--down-random-chunks <MIN-MAX>': random chunks: MIN must be at least 1 byte (got 0)",
        ),
        (
            &["--sideways", "--down-chunk", "3"],
            "error: unexpected argument '--sideways' found",
        ),
        (
            &["--down-chunk", "3", "--down-random-chunks", "1-2"],
            "error: the argument '--down-chunk <BYTES>' cannot be used with '--down-random-chunks <MIN-MAX>'",
        ),
        (
            &["--up-chunk", "3", "--up-chunk", "4"],
            "error: the argument '--up-chunk <BYTES>' cannot be used multiple times",
        ),
        (
            &["--down-cut-after", "3", "--down-reset-after", "4"],
            "error: the argument '--down-cut-after <BYTES>' cannot be used with '--down-reset-after <BYTES>'",
        ),
        (
            &["--down-random-pauses"],
            "error: the following required arguments were not provided: --down-chunk-delay-ms <MS>",
        ),
        (
            &["--up-read-delay-ms", "99999999"],
            "error: invalid value '99999999' for '--up-read-delay-ms <MS>': must be at most 60000 ms",
        ),
    ];
    for (args, needle) in cases {
        let mut all = vec!["proxy", "--listen", "0", "--to", "127.0.0.1:9"];
        all.extend_from_slice(args);
        let out = run_with_input(tcp_boundary_bin(), &all, b"");
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().next(), Some(*needle), "{args:?}: {err}");
    }
    for (flag, value, needle) in [
        ("--listen", "nine", "--listen: expected PORT or ADDR:PORT"),
        ("--to", "nowhere", "--to: expected HOST:PORT"),
    ] {
        let mut all = vec!["proxy", "--listen", "0", "--to", "127.0.0.1:9"];
        let i = all.iter().position(|a| *a == flag).unwrap();
        all[i + 1] = value;
        let out = run_with_input(tcp_boundary_bin(), &all, b"");
        assert_eq!(out.status.code(), Some(2));
        let err = text(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{err}");
    }
}

#[test]
fn a_misspelt_switch_gets_clap_s_suggestion() {
    for (wrong, tip) in [
        (
            "--upstream",
            "tip: a similar argument exists: '--up-read-delay-ms'",
        ),
        (
            "--down-chunck",
            "tip: a similar argument exists: '--down-chunk'",
        ),
    ] {
        let all = ["proxy", "--listen", "0", "--to", "127.0.0.1:9", wrong, "3"];
        let out = run_with_input(tcp_boundary_bin(), &all, b"");
        assert_eq!(out.status.code(), Some(2));
        let err = text(&out.stderr);
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(
            lines[0],
            format!("error: unexpected argument '{wrong}' found")
        );
        assert_eq!(lines[1], tip, "{err}");
    }
}

/// `tcp-boundary proxy --listen 0 --to 127.0.0.1:TO ARGS…`, its timeline in
/// `timeline`: the process (killed when dropped, a failed test included) with
/// its port, and its standard error line by line.
fn proxy_to_file(
    to: u16,
    args: &[&str],
    timeline: &std::path::Path,
) -> (ProxyProc, std::sync::mpsc::Receiver<String>) {
    let mut child = Command::new(tcp_boundary_bin())
        .args(["proxy", "--listen", "0", "--to", &format!("127.0.0.1:{to}")])
        .args(args)
        .env("COLUMNS", "200")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(timeline).unwrap())
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
    let first = rx.recv_timeout(LIMIT).expect("the proxy printed no line");
    let port = first
        .split(", ")
        .next()
        .and_then(|l| l.rsplit(':').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"));
    let proxy = ProxyProc {
        child,
        port,
        shapes: Vec::new(),
    };
    (proxy, rx)
}

#[test]
fn out_of_descriptors_the_proxy_waits_instead_of_spinning_and_serves_again() {
    let tmp = tempfile::tempdir().unwrap();
    let timeline = tmp.path().join("timeline.txt");
    let to = concurrent_echo(10_000);
    let (proxy, _stderr) = proxy_to_file(to, &[], &timeline);
    let (pid, port) = (proxy.child.id(), proxy.port);
    // Room for ten connections (two descriptors each: the client's and the
    // server's), then accept fails with EMFILE while the other clients wait
    // in the listen queue.
    thread::sleep(Duration::from_millis(100));
    leave_files(pid, 20);
    let held: Vec<TcpStream> = (0..100)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
        .collect();
    thread::sleep(Duration::from_millis(500));
    let (ticks, started) = (cpu_ticks(pid), Instant::now());
    thread::sleep(Duration::from_secs(3));
    let used = cpu_ticks(pid) - ticks;
    let over = started.elapsed();
    // SC_CLK_TCK is 100 on Linux: 30 ticks are 0.3 s of CPU in 3 s, 10% of
    // a core (a spinning accept loop takes more than 100%).
    assert!(used < 30, "{used} ticks of CPU in {over:?}");
    let rss = rss_kib(pid);
    assert!(rss < 64 * 1024, "the proxy holds {rss} KiB");
    // The client lets go: the proxy's descriptors come back, and within a
    // pause (1 s at most) it accepts and serves again.
    drop(held);
    let deadline = Instant::now() + LIMIT;
    let served = loop {
        let (served, s) = echoed(port);
        if served || Instant::now() > deadline {
            break served;
        }
        drop(s);
        thread::sleep(Duration::from_millis(50));
    };
    assert!(served, "not served once the client let go");
    drop(proxy);
    // The failures in a few rows, each with its count, not one row each:
    // one for the seconds the client held on, one for each moment the
    // proxy ran short again while it served the clients that had waited.
    let rows = std::fs::read_to_string(&timeline).unwrap();
    let failed: Vec<&str> = rows
        .lines()
        .filter(|l| l.contains("accept failed"))
        .collect();
    assert!(!failed.is_empty() && failed.len() <= 20, "{rows}");
    assert!(
        failed
            .iter()
            .all(|l| l.contains("accept failed ×") && l.contains(" s: too many open files")),
        "{failed:#?}"
    );
    assert!(!failed[0].contains("×1 "), "{failed:#?}");
}

#[test]
fn a_console_nobody_reads_neither_stalls_the_traffic_nor_keeps_ctrl_c_from_ending_the_proxy() {
    let to = concurrent_echo(10_000);
    // The timeline goes to a pipe nobody reads: after its first 64 KiB,
    // every write to it blocks.
    let mut child = Command::new(tcp_boundary_bin())
        .args(["proxy", "--listen", "0", "--to", &format!("127.0.0.1:{to}")])
        .env("COLUMNS", "200")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _console = child.stdout.take().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    let port: u16 = first
        .split(", ")
        .next()
        .and_then(|l| l.rsplit(':').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"));
    let proxy = ProxyProc {
        child,
        port,
        shapes: Vec::new(),
    };
    // Many connections, each a few rows.
    for _ in 0..1000 {
        let (served, _) = echoed(port);
        assert!(served);
    }
    // And a stream whose rows, 4 KiB each, are many times the log's budget:
    // 64 MiB echoed in 16 KiB writes, within 20 s.
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let sender = thread::spawn(move || {
        let chunk = [b's'; 16 << 10];
        for _ in 0..4096 {
            if writer.write_all(&chunk).is_err() {
                break;
            }
        }
    });
    let mut buf = vec![0u8; 64 << 10];
    let mut back = 0usize;
    while back < 64 << 20 {
        match stream.read(&mut buf) {
            Ok(n @ 1..) => back += n,
            other => panic!("after {back} bytes echoed: {other:?}"),
        }
    }
    sender.join().unwrap();
    drop(stream);
    let pid = proxy.child.id();
    let peak = peak_kib(pid);
    assert!(peak < 64 * 1024, "the proxy held {peak} KiB at its peak");
    // Ctrl-C ends it within a second, its console still full.
    let mut proxy = proxy;
    let sent = Instant::now();
    // SAFETY: a signal to our own child, which has not been waited for.
    unsafe {
        libc::kill(pid as libc::pid_t, libc::SIGINT);
    }
    let ended = loop {
        if let Some(status) = proxy.child.try_wait().unwrap() {
            break Some(status);
        }
        if sent.elapsed() > Duration::from_secs(1) {
            break None;
        }
        thread::sleep(Duration::from_millis(10));
    };
    assert!(
        ended.is_some(),
        "the proxy was still running 1 s after SIGINT"
    );
}

/// A loopback port nothing listens on now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn a_proxy_told_to_forward_to_itself_refuses_at_start_with_one_line() {
    let port = free_port();
    for (listen, to) in [
        (format!("127.0.0.1:{port}"), format!("127.0.0.1:{port}")),
        (port.to_string(), format!("localhost:{port}")),
    ] {
        let args = ["proxy", "--listen", &listen, "--to", &to];
        let out = run_with_input(tcp_boundary_bin(), &args, b"");
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("error: --to 127.0.0.1:")
                && err.contains("that is this proxy's own listening address"),
            "{err}"
        );
    }
}

#[test]
fn a_connection_of_the_proxy_s_own_that_comes_back_is_refused_with_a_row() {
    // Forwarding to its own listener: known only once the connection comes
    // back (the command line refuses the addresses it can see are the same).
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let own = listener.local_addr().unwrap();
    let config = ProxyConfig {
        record: true,
        quiet: false,
        ..ProxyConfig::new(own)
    };
    let proxy = Proxy::start_on(listener, config, Box::new(std::io::sink())).unwrap();
    let mut client = TcpStream::connect(own).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let _ = client.write_all(b"hi\n");
    // The loop is ended at its first turn: the client's connection ends.
    let mut buf = [0u8; 16];
    match client.read(&mut buf) {
        Ok(0) => {}
        Err(e) if e.kind() != std::io::ErrorKind::WouldBlock => {}
        other => panic!("the looping connection did not end: {other:?}"),
    }
    assert_eq!(proxy.connections(), 1);
    let refused = proxy
        .events()
        .iter()
        .filter(|e| matches!(&e.what, What::Note { text, .. } if text.id() == "proxy-loop"))
        .count();
    assert_eq!(refused, 1);
}

#[test]
fn a_proxy_whose_console_is_full_goes_on_forwarding() {
    let to = concurrent_echo(64);
    let (mut proxy, stderr) = proxy_to_file(to, &[], std::path::Path::new("/dev/full"));
    let port = proxy.port;
    for _ in 0..3 {
        let (served, _) = echoed(port);
        assert!(served);
    }
    let status = common::interrupt(&mut proxy.child);
    assert_eq!(status.code(), Some(0));
    let lines: Vec<String> = stderr.try_iter().collect();
    let said: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("standard output"))
        .collect();
    assert_eq!(
        said,
        [
            "cannot write to standard output (no space left on device): its output stops here, the serving goes on"
        ],
        "{lines:?}"
    );
}

/// Under a limit of 1 GiB of address space (glibc's malloc arenas as they
/// come), a few hundred connections held open: the proxy neither aborts nor
/// stops; each connection is served or refused with a line, and once they
/// close it serves again. (A connection cost two threads of 2 MiB and two
/// buffers of 256 KiB before: 400 of them did not fit, and the proxy aborted
/// on the first buffer it could not have.)
#[test]
fn a_few_hundred_connections_under_one_gib_of_address_space_do_not_abort_the_proxy() {
    let tmp = tempfile::tempdir().unwrap();
    let to = concurrent_echo(10_000);
    let (mut child, port, _, stderr) =
        proxy_limited(to, Some(1 << 20), tmp.path(), &["--quiet"], false);
    let mut open = Vec::new();
    let mut served = 0;
    for _ in 0..400 {
        let (ok, s) = echoed(port);
        served += usize::from(ok);
        open.push(s);
    }
    let alive = child.try_wait().unwrap().is_none();
    // A line for each refused connection (a moment after it was closed).
    let mut lines: Vec<String> = Vec::new();
    let deadline = Instant::now() + LIMIT;
    while lines.iter().filter(|l| l.contains(" refused: ")).count() < 400 - served
        && Instant::now() < deadline
    {
        match stderr.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => lines.push(line),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(_) => break,
        }
    }
    drop(open);
    let deadline = Instant::now() + LIMIT;
    let again = loop {
        let (ok, s) = echoed(port);
        if ok || Instant::now() > deadline {
            break ok;
        }
        drop(s);
        thread::sleep(Duration::from_millis(50));
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(alive, "the proxy ended: {lines:?}");
    assert!(
        !lines
            .iter()
            .any(|l| l.contains("memory allocation") || l.contains("panicked")),
        "{lines:?}"
    );
    let refused = lines.iter().filter(|l| l.contains(" refused: ")).count();
    assert_eq!(served + refused, 400, "served {served}: {lines:?}");
    assert!(served >= 300, "served {served} of 400: {lines:?}");
    assert!(again, "not served once the connections closed");
}

/// `--max-connections 5`: a sixth connection open at once is closed as soon
/// as it is accepted, and said in a row; once one of the five closes, the
/// next is served.
#[test]
fn beyond_max_connections_a_connection_is_refused_and_said() {
    let tmp = tempfile::tempdir().unwrap();
    let timeline = tmp.path().join("timeline.txt");
    let to = concurrent_echo(100);
    let (proxy, _stderr) = proxy_to_file(to, &["--max-connections", "5"], &timeline);
    let mut five: Vec<TcpStream> = (0..5)
        .map(|i| {
            let (ok, s) = echoed(proxy.port);
            assert!(ok, "connection {} not served", i + 1);
            s
        })
        .collect();
    let (sixth, _s) = echoed(proxy.port);
    assert!(!sixth, "a sixth connection was served");
    // One of the five closes: room again (its threads end a moment later).
    drop(five.pop());
    let deadline = Instant::now() + LIMIT;
    let served = loop {
        let (ok, s) = echoed(proxy.port);
        if ok || Instant::now() > deadline {
            break ok;
        }
        drop(s);
        thread::sleep(Duration::from_millis(20));
    };
    assert!(served, "not served once one of the five closed");
    // The refusals, told in one row when a connection was served again.
    let deadline = Instant::now() + LIMIT;
    let rows = loop {
        let rows = std::fs::read_to_string(&timeline).unwrap();
        if rows.contains("refused ×") || Instant::now() > deadline {
            break rows;
        }
        thread::sleep(Duration::from_millis(20));
    };
    drop(proxy);
    let said: Vec<&str> = rows.lines().filter(|l| l.contains("refused ×")).collect();
    assert_eq!(said.len(), 1, "{rows}");
    assert!(
        said[0].contains(": 5 connections open, the most --max-connections allows"),
        "{rows}"
    );
}
