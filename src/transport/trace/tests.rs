use super::*;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// A listener that writes `reply` in one call to the one client it accepts,
/// then waits for that client to end the connection.
fn serve(reply: &'static [u8]) -> (SocketAddr, thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(reply).unwrap();
        let mut rest = Vec::new();
        let _ = s.read_to_end(&mut rest);
    });
    (addr, server)
}

/// Wait until the traced program has ended (at most 10 s).
fn ended(traced: Traced) -> Traced {
    let deadline = Instant::now() + Duration::from_secs(10);
    while traced.try_wait().is_none() {
        assert!(Instant::now() < deadline, "the traced program did not end");
        thread::sleep(Duration::from_millis(5));
    }
    traced
}

/// Run a bash script traced until it ends.
fn traced_bash(script: &str) -> Traced {
    let mut command = Command::new("bash");
    command.args(["-c", script]).stdin(Stdio::null());
    ended(Traced::spawn(command).unwrap())
}

/// A Python script with the server's port as its argument; `None` without
/// python3.
fn python(script: &str, port: u16) -> Option<Command> {
    let python = ["python3", "python"].into_iter().find(|p| {
        Command::new(p)
            .args(["-c", "pass"])
            .status()
            .is_ok_and(|s| s.success())
    })?;
    let mut command = Command::new(python);
    command
        .args(["-c", script, &port.to_string()])
        .stdin(Stdio::null());
    Some(command)
}

#[test]
fn a_close_with_bytes_unread_is_measured_at_the_close() {
    let (addr, server) = serve(b"0123456789");
    // Two bytes read (bash reads a socket a byte at a time), the socket
    // closed with the eight others in its queue, then a pause: the close is
    // what was measured, not the exit.
    let traced = traced_bash(&format!(
        "exec 3<>/dev/tcp/127.0.0.1/{}; read -r -N 2 -u 3 got; exec 3<&-; sleep 0.1; exit 7",
        addr.port()
    ));
    server.join().unwrap();
    assert_eq!(traced.try_wait().unwrap().code(), Some(7));
    // Bash lets go of the socket more than once (it moves its descriptor
    // about): every reading is of this connection, the last one at its close.
    let seen = traced.let_go();
    assert!(seen.iter().all(|s| s.peer == addr), "{seen:?}");
    let last = seen.last().expect("the close was seen");
    assert_eq!((last.received, last.unread, last.read()), (10, 8, 2));
}

#[test]
fn an_exit_with_the_socket_open_is_measured_at_the_exit() {
    let (addr, server) = serve(b"0123456789");
    let traced = traced_bash(&format!(
        "exec 3<>/dev/tcp/127.0.0.1/{}; read -r -N 3 -u 3 got; exit 0",
        addr.port()
    ));
    server.join().unwrap();
    assert_eq!(traced.try_wait().unwrap().code(), Some(0));
    let seen = traced.let_go();
    assert!(!seen.is_empty());
    // Bash's exit stop, and its process's: the last says what was left.
    let last = seen.last().unwrap();
    assert_eq!((last.received, last.unread), (10, 7), "{seen:?}");
}

#[test]
fn a_child_that_reads_it_all_leaves_nothing_unread() {
    let (addr, server) = serve(b"hello");
    // A child process (a subshell) reads it all, then the parent closes.
    let traced = traced_bash(&format!(
        "exec 3<>/dev/tcp/127.0.0.1/{}; (read -r -N 5 -u 3 got; exec 3<&-); exec 3<&-",
        addr.port()
    ));
    server.join().unwrap();
    let seen = traced.let_go();
    assert!(
        seen.len() >= 2,
        "the child's close and the parent's: {seen:?}"
    );
    assert!(seen.iter().all(|s| s.peer == addr));
    let last = seen.last().unwrap();
    assert_eq!((last.received, last.unread), (5, 0), "{seen:?}");
}

#[test]
fn a_program_that_cannot_start_is_an_error() {
    let command = Command::new("/nonexistent/program");
    assert!(Traced::spawn(command).is_err());
}

#[test]
fn the_filter_stops_each_call_it_names_and_allows_the_rest() {
    let table = filter::calls(true);
    let program = filter::program(&table);
    let (allow, trace) = (program.len() - 2, program.len() - 1);
    assert_eq!(program[trace].k, libc::SECCOMP_RET_TRACE);
    assert_eq!(program[allow].k, libc::SECCOMP_RET_ALLOW);
    // Run the program on a call, as the kernel would: where does it end?
    let run = |arch: u32, nr: u32| -> u32 {
        let (mut pc, mut acc) = (0usize, 0u32);
        loop {
            let op = program[pc];
            match op.code as u32 {
                c if c == libc::BPF_LD | libc::BPF_W | libc::BPF_ABS => {
                    acc = if op.k == 4 { arch } else { nr };
                    pc += 1;
                }
                c if c == libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K => {
                    pc += 1 + if acc == op.k { op.jt } else { op.jf } as usize;
                }
                _ => return op.k,
            }
        }
    };
    for (arch, calls) in &table {
        for (nr, _) in calls.iter() {
            assert_eq!(run(*arch, *nr), libc::SECCOMP_RET_TRACE, "{arch:x} {nr}");
        }
        // Calls it does not name (getpid, say): never stopped.
        for other in [0, 1, 2, 4, 5, 39, 172, 1000] {
            if calls.iter().all(|(n, _)| *n != other) {
                assert_eq!(
                    run(*arch, other),
                    libc::SECCOMP_RET_ALLOW,
                    "{arch:x} {other}"
                );
            }
        }
    }
    // Another architecture's close is not ours to read.
    assert_eq!(run(0x1234, 3), libc::SECCOMP_RET_ALLOW);
}

#[test]
fn an_exec_that_closes_a_socket_is_measured_before_it() {
    let (addr, server) = serve(b"0123456789");
    // Python's sockets are close-on-exec: the exec lets go of it, with 6
    // bytes unread.
    let script = "import socket, sys, os\n\
                  s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\n\
                  s.recv(4)\n\
                  os.execv('/bin/sh', ['sh', '-c', 'exit 3'])\n";
    let Some(traced) = traced_python(script, addr.port()) else {
        return;
    };
    server.join().unwrap();
    assert_eq!(traced.try_wait().unwrap().code(), Some(3));
    let seen = traced.let_go();
    let last = seen.last().expect("the exec was seen");
    assert_eq!(
        (last.peer, last.received, last.unread),
        (addr, 10, 6),
        "{seen:?}"
    );
}

#[test]
fn an_ipv6_socket_that_reached_an_ipv4_one_is_named_in_ipv4() {
    let (addr, server) = serve(b"hello");
    let script = "import socket, sys\n\
                  s = socket.socket(socket.AF_INET6)\n\
                  s.connect(('::ffff:127.0.0.1', int(sys.argv[1])))\n\
                  s.recv(1)\n\
                  s.close()\n";
    let Some(traced) = traced_python(script, addr.port()) else {
        return;
    };
    server.join().unwrap();
    let seen = traced.let_go();
    let last = seen.last().expect("the close was seen");
    assert_eq!(last.peer, addr, "{seen:?}");
    assert!(last.local.is_ipv4(), "{seen:?}");
    assert_eq!(last.unread, 4);
}

#[test]
fn a_program_that_calls_ptrace_is_said_to() {
    let (addr, server) = serve(b"x");
    // PTRACE_TRACEME, as a debugger's child does: refused, since we trace it.
    let script = "import ctypes, socket, sys\n\
                  s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\n\
                  sys.exit(0 if ctypes.CDLL(None).ptrace(0, 0, 0, 0) == -1 else 1)\n";
    let Some(traced) = traced_python(script, addr.port()) else {
        return;
    };
    server.join().unwrap();
    assert!(traced.uses_ptrace());
    assert_eq!(
        traced.try_wait().unwrap().code(),
        Some(0),
        "the call failed"
    );
    // Our own bash, which does not, is not said to.
    let (addr, server) = serve(b"x");
    let traced = traced_bash(&format!("exec 3<>/dev/tcp/127.0.0.1/{}", addr.port()));
    server.join().unwrap();
    assert!(!traced.uses_ptrace());
}

#[test]
fn a_recorded_program_s_socket_calls_say_what_each_asked_waited_and_got() {
    use calls::Verb;
    let (addr, server) = serve(b"0123456789");
    // Ten bytes wait when it asks for four; it sends two; it closes with six
    // unread. Its file reads (Python's own modules) are not recorded.
    let script = "import socket, sys, time\n\
                  s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\n\
                  time.sleep(0.2)\n\
                  s.recv(4)\n\
                  s.send(b'hi')\n\
                  s.close()\n";
    let Some(traced) = recorded_python(script, addr.port()) else {
        return;
    };
    server.join().unwrap();
    let calls = traced.calls();
    type Said<'a> = (&'a str, Verb, Result<usize, i32>, &'a [u8]);
    let said: Vec<Said> = calls
        .iter()
        .map(|c| (c.name, c.verb, c.result, c.bytes.as_slice()))
        .collect();
    assert_eq!(
        said,
        [
            ("connect", Verb::Connect, Ok(0), &b""[..]),
            (
                "recv",
                Verb::Read {
                    asked: 4,
                    queued: Some(10),
                    peek: false,
                    thrown: false,
                },
                Ok(4),
                b"0123"
            ),
            ("send", Verb::Write { asked: 2 }, Ok(2), b"hi"),
            ("close", Verb::Close { unread: 6 }, Ok(0), b""),
        ],
        "{calls:#?}"
    );
    assert!(
        calls
            .iter()
            .all(|c| c.ends.is_some_and(|(_, peer)| peer == addr))
    );
    // Only recorded when asked: the same program spawned plainly has none.
    let (addr, server) = serve(b"0123456789");
    let Some(plain) = traced_python(script, addr.port()) else {
        return;
    };
    server.join().unwrap();
    assert!(plain.calls().is_empty());
}

/// Run a Python script traced until it ends; `None` without python3.
fn traced_python(script: &str, port: u16) -> Option<Traced> {
    Some(ended(Traced::spawn(python(script, port)?).unwrap()))
}

/// Run a Python script traced, recording its socket calls, until it ends.
fn recorded_python(script: &str, port: u16) -> Option<Traced> {
    Some(ended(
        Traced::spawn_recording(python(script, port)?).unwrap(),
    ))
}
