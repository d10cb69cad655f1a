//! The server under test as a process: started on a free loopback port,
//! connected to, started again when it ends well, and its output kept.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::OwnedFd;
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use super::ServerCheck;
use super::wrong::Wrong;
use crate::lang::Msg;
use crate::tools::check::client;
use crate::tools::check::output::{Output, read_output};
use crate::tools::check::sweep::{detached_alive, end_descendants};
use crate::tools::check::{CheckError, Ended, judge};
use crate::transport::trace::calls::Call;

/// The server under test, running.
pub(super) struct Server {
    pub(super) child: client::ClientProcess,
    pub(super) addr: SocketAddr,
    /// How many times it was started again after it ended well.
    pub(super) restarts: usize,
    pub(super) stop: Arc<AtomicBool>,
    pub(super) output: Option<thread::JoinHandle<Output>>,
}

impl Server {
    /// Start the server on a free loopback port and wait until it accepts.
    pub(super) fn start(config: &ServerCheck) -> Result<Server, CheckError> {
        let port = TcpListener::bind(("127.0.0.1", 0))
            .and_then(|l| l.local_addr())
            .map_err(|e| CheckError(format!("no free port for the server: {e}")))?
            .port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let program = config.command.first().map_or("", String::as_str);
        let (out_reader, out_writer) = io::pipe().map_err(|e| CheckError(e.to_string()))?;
        let (err_reader, err_writer) = io::pipe().map_err(|e| CheckError(e.to_string()))?;
        let mut command = crate::tools::command::against(&config.command, addr)
            .map_err(|_| CheckError("no server command to check".into()))?;
        command
            .stdin(Stdio::null())
            .stdout(Stdio::from(out_writer))
            .stderr(Stdio::from(err_writer));
        let child = client::spawn_server(command, config.trace)
            .map_err(|e| CheckError(format!("cannot run {program}: {e}")))?;
        client::server_started(child.id());
        let stop = Arc::new(AtomicBool::new(false));
        let output = read_output(
            OwnedFd::from(out_reader),
            OwnedFd::from(err_reader),
            stop.clone(),
        );
        let mut server = Server {
            child,
            addr,
            restarts: 0,
            stop,
            output: Some(output),
        };
        // Listening: a connection is accepted (by the kernel, into the
        // server's queue).
        let deadline = Instant::now() + config.start_timeout;
        loop {
            let connected = TcpStream::connect_timeout(&addr, Duration::from_millis(200));
            if connected.is_ok_and(|s| !met_itself(&s)) {
                return Ok(server);
            }
            // A daemon's first process exits 0 once its child has forked
            // away: that child is still ours (we are its subreaper), and it
            // is the one that listens.
            let daemon = |e: &Ended| *e == Ended::Exited(0) && detached_alive();
            if let Some(ended) = server.exited().filter(|e| !daemon(e)) {
                let said = server.said();
                return Err(CheckError(format!(
                    "the server {} before it listened on {addr}{said}",
                    ended_words(&ended)
                )));
            }
            if Instant::now() >= deadline {
                let said = server.said();
                return Err(CheckError(format!(
                    "the server did not listen on {addr} within {} s{}{said}",
                    config.start_timeout.as_secs(),
                    untold(&config.command),
                )));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// A connection to the server. A server that ended well between
    /// connections (exit status 0: the book's serves five clients, then
    /// stops) is started again, and the connection made to it.
    pub(super) fn connect(&mut self, config: &ServerCheck) -> Result<TcpStream, Wrong> {
        let refused = |e: io::Error| {
            Wrong::said(Msg::new("srv-io").arg("error", crate::event::describe_io(&e)))
        };
        let first = match TcpStream::connect_timeout(&self.addr, config.timeout) {
            Ok(s) => return Ok(s),
            Err(e) => e,
        };
        let wait_end = Instant::now() + Duration::from_millis(500);
        let mut ended = self.exited();
        while ended.is_none() && Instant::now() < wait_end {
            thread::sleep(Duration::from_millis(10));
            ended = self.exited();
        }
        if ended != Some(Ended::Exited(0)) {
            return Err(refused(first));
        }
        self.end();
        *self =
            Server::start(config).map_err(|e| Wrong::said(Msg::new("srv-io").arg("error", e.0)))?;
        self.restarts += 1;
        TcpStream::connect_timeout(&self.addr, config.timeout).map_err(refused)
    }

    /// How the server ended, if it has.
    pub(super) fn exited(&mut self) -> Option<Ended> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(match (status.code(), status.signal()) {
                (Some(code), _) => Ended::Exited(code),
                (None, signal) => Ended::Signalled(signal.unwrap_or(0)),
            }),
            _ => None,
        }
    }

    /// Stop it (its whole process group) and take what it printed.
    pub(super) fn end(&mut self) -> Output {
        crate::transport::trace::end_group(self.child.id());
        self.child.reap();
        client::forget_group();
        client::server_ended(self.child.id());
        // And what left its group: a daemon (double fork, `setsid`) that
        // still listens. Its own child waited for above, nothing under us is
        // still owned.
        end_descendants(true);
        let reader = self.output.take();
        let deadline = Instant::now() + Duration::from_millis(300);
        while reader.as_ref().is_some_and(|r| !r.is_finished()) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(5));
        }
        self.stop.store(true, Ordering::SeqCst);
        reader.and_then(|r| r.join().ok()).unwrap_or_default()
    }

    /// Its process, for telling one start from the next.
    pub(super) fn id(&self) -> u32 {
        self.child.id()
    }

    /// Its socket calls so far, when recorded (`--trace`).
    pub(super) fn calls(&self) -> Vec<Call> {
        self.child.watched().calls
    }

    /// `: it printed: …`, the last lines of its output, for an error.
    pub(super) fn said(&mut self) -> String {
        let output = self.end();
        let lines = judge::last_lines(&output.both, 3);
        match lines.is_empty() {
            true => String::new(),
            false => format!("; it printed: {}", lines.join(" / ")),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.output.is_some() {
            self.end();
        }
    }
}

/// Why a server may not have listened where we waited: `: …` when no word of
/// its command says where (`{port}`, `{addr}`), else nothing. It was still
/// started, for a server that reads `TCP_BOUNDARY_PORT`.
fn untold(command: &[String]) -> &'static str {
    match command
        .iter()
        .any(|w| w.contains("{port}") || w.contains("{addr}"))
    {
        true => "",
        false => {
            ": its command has no {port} or {addr}, so it was told where to listen only by TCP_BOUNDARY_PORT in its environment"
        }
    }
}

pub(super) fn ended_words(ended: &Ended) -> String {
    match ended {
        Ended::Exited(code) => format!("exited with status {code}"),
        Ended::Signalled(s) => format!("was killed by {}", crate::tools::check::signal_name(*s)),
        Ended::Hung | Ended::TooSlow | Ended::Running => "stopped".into(),
    }
}

/// A connect to a port nobody listens on can meet itself: the kernel may
/// give it that very port as its own, and the two ends of TCP's
/// simultaneous open are one socket. Tried again and again while a server
/// starts, a loaded machine sees it: that is no server listening.
fn met_itself(s: &TcpStream) -> bool {
    matches!((s.local_addr(), s.peer_addr()), (Ok(a), Ok(b)) if a == b)
}

#[cfg(test)]
mod self_connect {
    use super::met_itself;
    use socket2::{Domain, Socket, Type};
    use std::net::{SocketAddr, TcpListener, TcpStream};

    /// A socket bound to a free port and connected to that port is
    /// connected to itself; a connection to a listener is not.
    #[test]
    fn a_connect_that_met_itself_is_no_server() {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        socket.set_reuse_address(true).unwrap();
        socket.bind(&addr.into()).unwrap();
        socket.connect(&addr.into()).unwrap();
        assert!(met_itself(&TcpStream::from(socket)));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let to_a_server = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        assert!(!met_itself(&to_a_server));
    }
}
