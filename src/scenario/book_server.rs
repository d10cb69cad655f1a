//! The book's own server in a scenario: `book/echo_server.c`, compiled, run
//! traced, and conducted like ours.
//!
//! As with the book's client ([`super::book_client`]), the program is held
//! at the entry of each socket call until the conductor's turn: its
//! `accept` waits for a client the script has connected, its `read(clientSock,
//! message, BUF_SIZE)` for its turn, and the rows are its own calls. It binds
//! any address (`INADDR_ANY`) on the port it is given; here it is given port
//! 0 (the kernel picks one) and its `bind` is held to the loopback address,
//! which a row says: nothing it serves can be reached from another machine.
//!
//! The book's server serves five clients, one after another, then exits. A
//! scenario of fewer leaves it waiting in `accept` for the next one once the
//! script is done: it is ended there, and a row says so. It shapes nothing
//! (it echoes what each read returned), so only a scenario whose server does
//! not shape can be played by it ([`Scenario::book_server_fits`]).

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::Duration;

use super::Scenario;
use super::book_client::CannotRun;
use super::held::{Console, HeldEnds, printed};
use crate::event::{Side, What};
use crate::lang::Msg;
use crate::lesson::book_c::BookProgram;
use crate::lesson::server::{BOOK_BACKLOG, BOOK_BUF_SIZE};
use crate::scenario::conductor::{AcceptTurn, Actor, Conductor};
use crate::shape::ShapeSpec;
use crate::transport::trace::calls::{Call, Verb};
use crate::transport::trace::{self, Go, Hold, Traced};

/// How many clients the book's server serves before it exits: its
/// `for(i = 0; i < 5; i++)`.
pub const BOOK_SERVER_CLIENTS: usize = 5;

/// The longest the book's server may take to listen once started.
const LISTEN_PATIENCE: Duration = Duration::from_secs(10);

impl Scenario {
    /// Whether the book's echo_server.c can play this scenario's server, or
    /// why not: it shapes nothing, reads into a buffer of 1024, listens with
    /// a backlog of 5 and serves at most five clients.
    pub fn book_server_fits(&self) -> Result<(), Msg> {
        let name = self.name.as_str();
        let s = &self.server;
        // Shaped: a shape other than none's (a pause of 0 is no pause). The
        // shape that runs is the switches over the file's keys; said as the
        // file's when the file alone shapes it.
        let none = ShapeSpec::default().shape(0).ok();
        let shapes = |spec: ShapeSpec| spec.shape(0).ok() != none;
        if shapes(self.server_spec()) {
            return Err(match shapes(s.spec()) {
                true => Msg::new("book-c-server-shapes").arg("name", name),
                false => Msg::new("book-c-switches"),
            });
        }
        if s.buffer_size != BOOK_BUF_SIZE {
            let why = Msg::new("book-c-server-buffer")
                .arg("name", name)
                .arg("n", s.buffer_size);
            return Err(why.arg("book", BOOK_BUF_SIZE));
        }
        if s.backlog != BOOK_BACKLOG {
            let why = Msg::new("book-c-server-backlog")
                .arg("name", name)
                .arg("n", s.backlog);
            return Err(why.arg("book", BOOK_BACKLOG));
        }
        if s.clients == 0 || s.clients > BOOK_SERVER_CLIENTS {
            let why = Msg::new("book-c-server-clients")
                .arg("name", name)
                .arg("clients", s.clients);
            return Err(why.arg("book", BOOK_SERVER_CLIENTS));
        }
        Ok(())
    }
}

/// The book's server, running held.
pub(super) struct BookServer {
    traced: Traced,
    console: thread::JoinHandle<Vec<u8>>,
}

/// Start the book's server, held by `conductor`, and wait until it
/// listens: it, and its address.
pub(super) fn start(conductor: &Arc<Conductor>) -> Result<(BookServer, SocketAddr), CannotRun> {
    let program = super::held::book_program(BookProgram::Server)?;
    let cannot = |e: io::Error| CannotRun(e.to_string());
    let console = Console::open().map_err(cannot)?;
    let mut command = super::held::command(&program);
    command
        // Port 0: the kernel picks one, read back once it listens.
        .arg("0")
        .stdin(std::process::Stdio::null())
        .stdout(console.theirs.try_clone().map_err(cannot)?)
        .stderr(console.theirs.try_clone().map_err(cannot)?);
    let (listening, address) = mpsc::channel();
    let holder = ServerHolder {
        conductor: conductor.clone(),
        listener: None,
        ends: HeldEnds::default(),
        accept: None,
        listening: Some(listening),
        loopback: false,
    };
    let traced = Traced::spawn_held(command, Box::new(holder))
        .map_err(|e| CannotRun(format!("cannot run {}: {e}", program.display())))?;
    let console = console.read_all();
    let server = BookServer { traced, console };
    match address.recv_timeout(LISTEN_PATIENCE) {
        Ok(addr) => Ok((server, addr)),
        Err(_) => {
            server.traced.end_group();
            let console = server.join();
            Err(CannotRun(format!(
                "the book's echo_server did not listen: {}",
                String::from_utf8_lossy(&console).trim()
            )))
        }
    }
}

impl BookServer {
    /// Wait until it has ended (the conductor ends it where it waits for a
    /// client that will not come): what it printed.
    pub(super) fn join(self) -> Vec<u8> {
        super::held::wait(&self.traced);
        self.console.join().unwrap_or_default()
    }
}

/// The conductor's hand on the book's server.
struct ServerHolder {
    conductor: Arc<Conductor>,
    /// Its listening socket (the program's descriptor, and our copy, which
    /// the conductor measures the listen queue on).
    listener: Option<(i32, TcpStream)>,
    ends: HeldEnds,
    /// The connection its accept will return.
    accept: Option<AcceptTurn>,
    /// Where its address goes once it listens.
    listening: Option<mpsc::Sender<SocketAddr>>,
    /// Its bind asked for any address, and was given loopback.
    loopback: bool,
}

impl ServerHolder {
    fn is_listener(&self, fd: i32) -> bool {
        self.listener.as_ref().is_some_and(|(l, _)| *l == fd)
    }
}

impl Hold for ServerHolder {
    /// What it serves, it serves on this machine only: its `bind` to any
    /// address is given 127.0.0.1.
    fn binds_to_loopback(&self) -> bool {
        true
    }

    /// What it prints, a row at the moment it prints it.
    fn printing(&mut self, bytes: &[u8]) {
        self.conductor.note(Side::Server, printed(bytes));
    }

    fn entering(&mut self, call: &Call) -> Go {
        match call.verb {
            Verb::Accept => match self.conductor.accept_begins() {
                Ok(Some(turn)) => {
                    self.accept = Some(turn);
                    Go::On
                }
                // The script is done and no client will come: the book's
                // server would wait here for ever.
                _ => {
                    self.conductor.note(
                        Side::Server,
                        What::Note {
                            text: Msg::new("note-book-server-waits"),
                            bad: false,
                        },
                    );
                    Go::End
                }
            },
            Verb::Close { .. } if self.is_listener(call.fd) => {
                if call.name == "close" {
                    self.conductor.unlisten();
                    self.conductor.note(Side::Server, What::CloseListener);
                }
                // Our copy closed first, so that the program's close is the
                // listener's.
                let _closing = trace::closing();
                self.listener = None;
                Go::On
            }
            // A server's read never stalls (it waits for clients), and
            // nothing else fails: a failure here is a bug's timeout.
            _ => match self.ends.entering(call) {
                Ok(()) => Go::On,
                Err(_) => Go::End,
            },
        }
    }

    fn returned(&mut self, call: &Call) {
        match (call.verb, call.result) {
            (Verb::Bind { loopback }, Ok(_)) => self.loopback = loopback,
            (Verb::Listen { backlog }, Ok(_)) => {
                let Some(copy) = trace::socket_of(call.pid, call.fd) else {
                    return;
                };
                let Ok(addr) = copy.local_addr() else {
                    return;
                };
                // The chapter's steps 1 to 3, done: the timeline starts with
                // them (the loopback note, if any, after them).
                let backlog = backlog.max(0) as u32;
                // Listening: its queue measured from the first row on.
                self.conductor.listening(copy.as_raw_fd());
                for what in [What::Socket, What::Bind, What::Listen { backlog }] {
                    self.conductor.note(Side::Server, what);
                }
                if self.loopback {
                    let text = Msg::new("note-book-server-loopback");
                    let what = What::Note { text, bad: false };
                    self.conductor.note(Side::Server, what);
                }
                self.listener = Some((call.fd, copy));
                if let Some(tx) = self.listening.take() {
                    let _ = tx.send(addr);
                }
            }
            (Verb::Accept, Ok(new)) => {
                let Some(turn) = self.accept.take() else {
                    return;
                };
                let new = new as i32;
                let Some(stream) = trace::socket_of(call.pid, new) else {
                    return;
                };
                let Ok(peer) = stream.peer_addr() else {
                    return;
                };
                if let Ok(conn) = self.conductor.accept_ended(turn, stream, peer) {
                    self.ends.adopt(new, conn);
                }
            }
            _ => {
                self.ends.returned(call);
            }
        }
    }
}

impl Drop for ServerHolder {
    /// The program has ended: the server side does nothing more, and the
    /// client never waits for a server that is gone.
    fn drop(&mut self) {
        if self.listener.is_some() {
            self.conductor.unlisten();
            let _closing = trace::closing();
            self.listener = None;
        }
        self.conductor.finish(Actor::Server);
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::Scenario;

    /// The book's server plays what runs, the switches over the file's
    /// keys: a pause of 0 is no pause, whether the file or the command line
    /// says it, and over a file's pause it takes that pause away.
    #[test]
    fn the_book_s_server_is_refused_a_shape_not_a_key() {
        let mut s = Scenario::builtin("classic").unwrap();
        assert!(s.book_server_fits().is_ok());
        s.server.chunk_delay_ms = Some(0);
        s.server.read_delay_ms = Some(0);
        assert!(s.book_server_fits().is_ok());
        s.shape_override.chunk_delay_ms = Some(5);
        assert_eq!(s.book_server_fits().unwrap_err().id(), "book-c-switches");
        s.shape_override.chunk_delay_ms = None;
        s.server.chunk_delay_ms = Some(5);
        assert_eq!(
            s.book_server_fits().unwrap_err().id(),
            "book-c-server-shapes"
        );
        s.shape_override.chunk_delay_ms = Some(0);
        assert!(s.book_server_fits().is_ok());
    }
}
