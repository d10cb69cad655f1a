//! Helpers shared by the integration tests: start the real binaries on an
//! ephemeral loopback port, feed them input, and never wait forever.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// The longest any test waits for a process; far above what a test needs, so a
/// loaded machine does not fail a test, while a hang still ends.
pub const LIMIT: Duration = Duration::from_secs(60);

pub fn echo_server_bin() -> &'static str {
    env!("CARGO_BIN_EXE_echo-server")
}

pub fn echo_client_bin() -> &'static str {
    env!("CARGO_BIN_EXE_echo-client")
}

/// A running `echo-server` on 127.0.0.1 with an ephemeral port.
pub struct Server {
    pub child: Child,
    pub port: u16,
    stderr: mpsc::Receiver<String>,
}

/// Start `echo-server 0 ARGS…` and wait for its `listening on` line.
pub fn start_server(args: &[&str]) -> Server {
    let mut child = Command::new(echo_server_bin())
        .arg("0")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start echo-server");
    let (tx, rx) = mpsc::channel();
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
        .unwrap_or_else(|| panic!("unexpected first line: {first}"))
        .parse()
        .unwrap();
    Server {
        child,
        port,
        stderr: rx,
    }
}

impl Server {
    /// Wait for the server to exit by itself; returns its stdout and exit code.
    pub fn finish(mut self) -> (String, String, i32) {
        let deadline = Instant::now() + LIMIT;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("echo-server did not exit by itself");
            }
            thread::sleep(Duration::from_millis(10));
        };
        let mut out = String::new();
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        // The process has exited, so its stderr pipe is closed: collect every
        // line until the reader thread reaches the end and hangs up.
        let mut err = Vec::new();
        while let Ok(line) = self.stderr.recv_timeout(LIMIT) {
            err.push(line);
        }
        (out, err.join("\n"), status.code().unwrap_or(-1))
    }

    pub fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        s.set_read_timeout(Some(LIMIT)).unwrap();
        s
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Wait for `child` to exit, for at most [`LIMIT`]; kill it and fail the test
/// if it does not.
pub fn wait_limited(child: &mut Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + LIMIT;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("process {} did not exit in time", child.id());
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// Ctrl-C: send SIGINT to `child` and wait (bounded) for it to end.
pub fn interrupt(child: &mut Child) -> std::process::ExitStatus {
    let pid = child.id().to_string();
    let sent = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(sent.success(), "kill -INT {pid}");
    wait_limited(child)
}

/// Run a binary with `input` on stdin; fail the test if it runs past the limit.
pub fn run_with_input(bin: &str, args: &[&str], input: &[u8]) -> Output {
    assert_cmd::Command::new(bin)
        .args(args)
        .write_stdin(input)
        .timeout(LIMIT)
        .output()
        .expect("process did not finish in time")
}

/// `echo-client 127.0.0.1 PORT ARGS…` with `input`.
pub fn run_client(port: u16, args: &[&str], input: &[u8]) -> Output {
    let port = port.to_string();
    let mut all = vec!["127.0.0.1", port.as_str()];
    all.extend_from_slice(args);
    run_with_input(echo_client_bin(), &all, input)
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn tcp_boundary_bin() -> &'static str {
    env!("CARGO_BIN_EXE_tcp-boundary")
}

/// The reply an `echo-client` printed for its first message (the text after
/// the first `Message from server : `, to the end of that line).
pub fn first_reply(stdout: &[u8]) -> String {
    let out = text(stdout);
    out.split("Message from server : ")
        .nth(1)
        .and_then(|r| r.lines().next())
        .unwrap_or_else(|| panic!("no reply in {out}"))
        .to_string()
}

/// A loopback port where a connection is always refused: a socket is bound to
/// it but never listens, and holding it keeps any other test from taking the
/// port (a listener bound and dropped would free it for the next `bind(0)`).
pub struct RefusedPort {
    _socket: socket2::Socket,
    pub addr: std::net::SocketAddr,
}

pub fn refused_port() -> RefusedPort {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket
        .bind(&std::net::SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .unwrap();
    let addr = socket.local_addr().unwrap().as_socket().unwrap();
    RefusedPort {
        _socket: socket,
        addr,
    }
}

/// The lesson's assertion on a reply to `message` that arrived over several
/// reads: the naive reader shows a strict prefix (its one read returned with
/// the first chunks), every other reader the whole message. Both are shown escaped.
pub fn assert_reply_in_parts(reader: &str, reply: &str, message: &str) {
    let escaped = message.replace('\n', "\\n");
    if reader == "naive" {
        assert!(
            reply.len() < escaped.len() && escaped.starts_with(reply),
            "naive printed {reply:?}"
        );
    } else {
        assert_eq!(reply, escaped, "reader {reader}");
    }
}

/// A `redis-server` of its own on a free loopback port, stopped on drop.
pub struct Redis {
    pub addr: std::net::SocketAddr,
    child: Child,
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Something a test needs is missing (a program, the IPv6 loopback): the
/// test is skipped on a machine without it, and fails where CI requires it
/// (`TCP_BOUNDARY_REQUIRE_TOOLS`, which `.ci/run` sets).
pub fn skip_without(what: &str) {
    assert!(
        std::env::var_os("TCP_BOUNDARY_REQUIRE_TOOLS").is_none(),
        "{what}, and TCP_BOUNDARY_REQUIRE_TOOLS requires it"
    );
    eprintln!("skipped: {what}");
}

/// Whether a C compiler (`cc`) is here, for the book's own programs; when it
/// is not, the check that needs it is skipped (CI has one: it links Rust).
pub fn cc() -> bool {
    let cc = std::process::Command::new("cc").arg("--version").output();
    let have = cc.is_ok_and(|o| o.status.success());
    if !have {
        skip_without("no C compiler (cc)");
    }
    have
}

/// Whether the program `name` (a shell, as zsh or fish) is here to run; when
/// it is not, the check that needs it is skipped on a machine without it, and
/// fails where CI requires it (`.ci/run` installs it).
pub fn tool(name: &str) -> bool {
    let found = assert_cmd::Command::new(name)
        .args(["-c", "exit 0"])
        .timeout(LIMIT)
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("TCP_BOUNDARY_REQUIRE_TOOLS").is_none(),
            "{name} is missing, and CI requires it"
        );
        eprintln!("{name} check skipped: {name} not found (Debian: apt-get install {name})");
    }
    found
}

/// Start `redis-server`, or say why not: skipped on a machine without it,
/// a failure where CI requires it (`.ci/run` installs it).
pub fn redis() -> Option<Redis> {
    let found = Command::new("redis-server").arg("--version").output();
    if !found.is_ok_and(|o| o.status.success()) {
        assert!(
            std::env::var_os("TCP_BOUNDARY_REQUIRE_TOOLS").is_none(),
            "redis-server is missing, and CI requires it"
        );
        eprintln!(
            "redis tests skipped: redis-server not found (Debian: apt-get install redis-server)"
        );
        return None;
    }
    // A free port: bound and released, then given to redis (it cannot take 0).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("redis-server")
        .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
        .args([
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "yes",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start redis-server");
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + LIMIT;
    while TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "redis-server did not start");
        thread::sleep(Duration::from_millis(20));
    }
    Some(Redis { addr, child })
}

/// `python3`, for the tests' clients and servers written in Python; `None`
/// (the test skipped) where it is missing, a failure where CI requires it.
pub fn python() -> Option<&'static str> {
    let found = Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        skip_without("python3 is not installed (Debian: apt-get install python3)");
    }
    found.then_some("python3")
}

/// `tcp-boundary check ARGS`, within the time limit.
pub fn check(args: &[&str]) -> Output {
    assert_cmd::Command::new(tcp_boundary_bin())
        .arg("check")
        .args(args)
        .timeout(LIMIT)
        .output()
        .unwrap()
}

/// `check --json EXTRA -- COMMAND`: the report, and the exit code.
pub fn check_json(extra: &[&str], command: &[&str]) -> (serde_json::Value, i32) {
    let mut args = vec!["--json"];
    args.extend(extra);
    args.push("--");
    args.extend(command);
    let out = check(&args);
    (json_report(&out), out.status.code().unwrap())
}

/// A run's standard output as JSON; a test that gets anything else fails
/// saying what it got, both streams.
pub fn json_report(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The runs of a check report that failed: each shape, with its seed when
/// it has one (`random 2`).
pub fn failed_shapes(report: &serde_json::Value) -> Vec<String> {
    report["runs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["passed"] == false)
        .map(|r| match r["seed"].as_u64() {
            Some(seed) => format!("{} {seed}", r["shape"].as_str().unwrap()),
            None => r["shape"].as_str().unwrap().to_string(),
        })
        .collect()
}

/// `tcp-boundary proxy --listen 0 --to 127.0.0.1:PORT ARGS…`, its port.
pub struct ProxyProc {
    pub child: Child,
    pub port: u16,
    /// The start-up lines describing each direction's shape.
    pub shapes: Vec<String>,
}

impl ProxyProc {
    pub fn start(to: u16, args: &[&str]) -> ProxyProc {
        let to = format!("127.0.0.1:{to}");
        let mut child = Command::new(tcp_boundary_bin())
            .args(["proxy", "--listen", "0", "--to", &to, "--quiet"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        stderr.read_line(&mut line).unwrap();
        let mut shapes = Vec::new();
        for _ in 0..2 {
            let mut l = String::new();
            stderr.read_line(&mut l).unwrap();
            shapes.push(l.trim_end().to_string());
        }
        child.stderr = Some(stderr.into_inner());
        let port = line
            .split(", ")
            .next()
            .and_then(|l| l.rsplit(':').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        ProxyProc {
            child,
            port,
            shapes,
        }
    }
}

impl Drop for ProxyProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A small scenario file that runs as its expectations say: tests change
/// one line of it to make it bad.
pub const GOOD_SCENARIO: &str = r#"
lesson = "l"
description = "d"

[server]
chunk = 1
chunk_delay_ms = 5

[[step]]
send = ["hi\n"]

[expect]
naive = "broken"
exact = "intact"
line = "intact"
length = "intact"
"#;

/// Write `body` as the Python script `dir/NAME.py`; its path.
pub fn write_script(dir: &std::path::Path, name: &str, body: &str) -> String {
    let path = dir.join(format!("{name}.py"));
    std::fs::write(&path, body).unwrap();
    path.to_str().unwrap().to_string()
}

/// The start of every test client: connect to the address given, send three
/// messages, check each reply, exit 0 only if all were right.
pub const CLIENT_PRELUDE: &str = r#"
import socket, struct, sys
host, port = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((host, int(port)))
MESSAGES = [b"hello, class\n", b"TCP is a byte stream\n", b"one write() is not one read()\n"]
def fail(why):
    print(why)
    sys.exit(1)
"#;

pub fn python_client(dir: &std::path::Path, name: &str, body: &str) -> std::path::PathBuf {
    let path = dir.join(format!("{name}.py"));
    std::fs::write(&path, format!("{CLIENT_PRELUDE}{body}")).unwrap();
    path
}

/// `source` (C) built with the machine's `cc` as `dir/NAME`: its path; `None`
/// (the test skipped, or failed where CI requires `cc`) without a compiler.
pub fn compile_c(dir: &std::path::Path, name: &str, source: &str) -> Option<std::path::PathBuf> {
    let cc = Command::new("cc").arg("--version").output();
    if !cc.is_ok_and(|o| o.status.success()) {
        skip_without("no C compiler (cc)");
        return None;
    }
    let file = dir.join(format!("{name}.c"));
    std::fs::write(&file, source).unwrap();
    let binary = dir.join(name);
    let built = Command::new("cc")
        .arg("-o")
        .arg(&binary)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    Some(binary)
}

/// The CPU time process `pid` has used so far, in clock ticks (user and
/// system: fields 14 and 15 of /proc/PID/stat).
pub fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The command's name, in parentheses, may hold spaces: count after it.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// The memory process `pid` holds now (VmRSS), in KiB.
pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap()
}

/// Leave process `pid` `free` descriptors beyond those it holds now: its
/// soft RLIMIT_NOFILE set from here (prlimit), its hard limit and the
/// test's own untouched, so that a later call may raise it again.
pub fn leave_files(pid: u32, free: u64) {
    let open: Vec<u64> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .filter_map(|f| f.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    // The limit bounds the numbers of new descriptors, not how many are
    // open: those open at or above it (inherited, far up) leave no room.
    let below = |max: u64| open.iter().filter(|&&fd| fd < max).count() as u64;
    let mut max = free;
    while max != free + below(max) {
        max = free + below(max);
    }
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: valid rlimits: the first call reads the limit, the second sets it.
    let set = unsafe {
        let pid = pid as libc::pid_t;
        match libc::prlimit(pid, libc::RLIMIT_NOFILE, std::ptr::null(), &mut limit) {
            0 => {
                limit.rlim_cur = max.min(limit.rlim_max);
                libc::prlimit(pid, libc::RLIMIT_NOFILE, &limit, std::ptr::null_mut())
            }
            failed => failed,
        }
    };
    assert_eq!(set, 0, "prlimit: {}", std::io::Error::last_os_error());
}

/// tcp-boundary `args` where no C compiler is to be found (`CC` names none,
/// the cache is empty): one line that says so, exit 3, nothing on stdout.
pub fn assert_needs_a_c_compiler(args: &[&str]) {
    let cache = tempfile::tempdir().unwrap();
    let out = assert_cmd::Command::new(tcp_boundary_bin())
        .args(args)
        .env("XDG_CACHE_HOME", cache.path())
        .env("CC", "no_such_cc_here")
        .write_stdin("")
        .timeout(LIMIT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{args:?}");
    let said = text(&out.stderr);
    assert!(
        said.contains("needs a C compiler") && said.trim().lines().count() == 1,
        "{args:?}: {said}"
    );
    assert!(out.stdout.is_empty(), "{args:?}");
}
