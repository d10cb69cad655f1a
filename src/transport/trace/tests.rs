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

/// Run a bash script traced until it ends (at most 10 s).
fn traced_bash(script: &str) -> Traced {
    let mut command = Command::new("bash");
    command.args(["-c", script]).stdin(Stdio::null());
    let traced = Traced::spawn(command).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while traced.try_wait().is_none() {
        assert!(Instant::now() < deadline, "the traced program did not end");
        thread::sleep(Duration::from_millis(5));
    }
    traced
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
fn the_filter_ends_in_its_two_answers() {
    let program = filter();
    let n = letting_go().len();
    assert_eq!(program.len(), 3 + n + 2);
    assert_eq!(program[program.len() - 1].k, libc::SECCOMP_RET_TRACE);
    assert_eq!(program[program.len() - 2].k, libc::SECCOMP_RET_ALLOW);
    // Each test of a call jumps to the last instruction when it matches.
    for (i, test) in program[3..3 + n].iter().enumerate() {
        assert_eq!(3 + i + 1 + test.jt as usize, program.len() - 1);
    }
    // Another architecture jumps to "allow".
    assert_eq!(1 + 1 + program[1].jf as usize, program.len() - 2);
}
