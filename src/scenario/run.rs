//! Running a scenario: the server on a thread, the script on this one, both
//! under a conductor; the timeline, the rounds and the verdict come back.

use std::collections::{BTreeMap, VecDeque};
use std::io::{self, Read};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::{Scenario, ScenarioError, Step, Verdict};
use crate::event::{Event, Side, What};
use crate::lesson::client::{ClientConfig, ClientError, Session};
use crate::lesson::reader::{ReadError, ReaderKind};
use crate::lesson::server::{self, ServerConfig};
use crate::scenario::conductor::{
    Actor, Conducted, ConductedListener, ConductedLog, Conductor, Stalled,
};
use crate::shape::SocketOptions;
use crate::shape::{ShapeError, ShapeSpec};
use crate::transport::Transport;
use crate::transport::net;
use crate::view::escape::escape;

/// How one round (one message and its reply) went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome", content = "detail")]
pub enum Outcome {
    /// The reply equals the message.
    Intact,
    /// The reader returned something else as the reply.
    Wrong,
    /// The reader would have waited forever.
    Stalled,
    /// The reader reported that the peer closed mid-message.
    ClosedMidMessage,
    /// The peer closed the connection before the reply.
    Closed,
    /// Another error.
    Failed(String),
}

/// One message and the reply the reader came back with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Round {
    /// Which client.
    pub client: usize,
    /// The round's number for that client.
    pub round: usize,
    /// The message sent.
    #[serde(serialize_with = "ser_bytes")]
    pub sent: Vec<u8>,
    /// The reply as the reader returned it.
    #[serde(serialize_with = "ser_opt_bytes")]
    pub received: Option<Vec<u8>>,
    /// How it went.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Milliseconds from the message's write to its reply.
    pub waited_ms: u64,
}

fn ser_bytes<S: serde::Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&escape(b))
}

fn ser_opt_bytes<S: serde::Serializer>(b: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
    match b {
        Some(b) => s.serialize_str(&escape(b)),
        None => s.serialize_none(),
    }
}

/// Something the scenario asserts besides the replies (a refused connection, the
/// order in which clients were served).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was checked, and what was found.
    pub what: String,
    /// Whether it held.
    pub ok: bool,
}

/// Everything one run of a scenario with one reader produced.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The scenario's name.
    pub scenario: String,
    /// The reader used.
    pub reader: ReaderKind,
    /// The seed of the random cuts and pauses, if any.
    pub seed: Option<u64>,
    /// Socket buffer sizes asked for and granted.
    pub buffers: Vec<String>,
    /// Every call, in order.
    pub timeline: Vec<Event>,
    /// Each message and its reply.
    pub rounds: Vec<Round>,
    /// Other checks.
    pub checks: Vec<Check>,
    /// How the reader came out.
    pub verdict: Verdict,
    /// How it was expected to come out.
    pub expected: Verdict,
    /// Verdict as expected and every check held.
    pub as_expected: bool,
}

impl Report {
    /// The timeline without anything that varies between runs: what a test
    /// compares to prove two runs the same.
    pub fn shape(&self) -> Vec<(Side, What)> {
        self.timeline
            .iter()
            .map(|e| (e.side, e.what.clone()))
            .collect()
    }
}

/// The counts of [`Scenario::repeat`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Repetition {
    /// The scenario's name.
    pub scenario: String,
    /// The reader.
    pub reader: ReaderKind,
    /// Runs made.
    pub runs: usize,
    /// Runs whose verdict and checks were as expected.
    pub as_expected: usize,
    /// Runs whose timeline was the same as the first run's.
    pub same_timeline: usize,
}

impl Repetition {
    /// Every run as expected and alike.
    pub fn perfect(&self) -> bool {
        self.as_expected == self.runs && self.same_timeline == self.runs
    }
}

/// A run that could not be carried out (the machine, not the lesson, failed).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The scenario does not validate.
    #[error(transparent)]
    Invalid(#[from] ScenarioError),
    /// The loopback listener could not be set up.
    #[error("cannot start the server on loopback: {0}")]
    Listen(io::Error),
    /// The server thread panicked.
    #[error("the server side of the run failed: {0}")]
    Server(String),
}

impl Scenario {
    /// The server's shaping: the file's keys, with the command line's
    /// switches ([`Scenario::shape_override`]) over them.
    pub fn server_spec(&self) -> ShapeSpec {
        self.shape_override.over(self.server.spec())
    }

    /// The server configuration this scenario runs with (`seed` overrides the
    /// file's seed).
    pub fn server_config(&self, seed: Option<u64>) -> Result<ServerConfig, ShapeError> {
        let shape = self
            .server_spec()
            .shape(seed.or(self.server.seed).unwrap_or(0))?;
        Ok(ServerConfig {
            clients: self.server.clients,
            buffer_size: self.server.buffer_size,
            shape,
            idle_timeout: None,
            quiet: true,
        })
    }

    fn client_config(
        &self,
        reader: ReaderKind,
    ) -> Result<(ClientConfig, SocketOptions), ShapeError> {
        let shape = self.client.spec().shape(0)?;
        Ok((
            ClientConfig {
                reader,
                buffer_size: self.client.buffer_size,
                write_plan: shape.plan,
                ..ClientConfig::default()
            },
            shape.socket,
        ))
    }

    /// The seed a run uses, if the scenario draws anything at random.
    pub fn effective_seed(&self, seed: Option<u64>) -> Option<u64> {
        self.server_spec()
            .needs_seed()
            .then(|| seed.or(self.server.seed).unwrap_or(0))
    }

    /// Run the scenario once with `reader`. `seed` overrides a random scenario's
    /// seed. Server and client share one process and real loopback sockets.
    pub fn run(&self, reader: ReaderKind, seed: Option<u64>) -> Result<Report, RunError> {
        self.validate()?;
        let bad_shape = |e: ShapeError| {
            RunError::Invalid(ScenarioError {
                origin: format!("<{}>", self.name),
                line: None,
                message: e.to_string(),
            })
        };
        let config = self.server_config(seed).map_err(bad_shape)?;
        let addr: SocketAddr = ([127, 0, 0, 1], 0).into();
        let (listener, server_sizes) =
            net::listen(addr, 5, &config.shape.socket).map_err(RunError::Listen)?;
        let addr = listener.local_addr().map_err(RunError::Listen)?;
        let conductor = Arc::new(Conductor::new());

        let server = {
            let conductor = conductor.clone();
            let config = config.clone();
            thread::spawn(move || serve_conducted(listener, conductor, &config))
        };

        let (client_config, client_opts) = self.client_config(reader).map_err(bad_shape)?;
        let mut clients = Clients {
            conductor: conductor.clone(),
            addr,
            config: client_config,
            opts: client_opts,
            open: BTreeMap::new(),
            rounds: Vec::new(),
            checks: Vec::new(),
            buffers: Vec::new(),
        };
        if conductor.begin(Actor::Client).is_ok() {
            for step in &self.steps {
                clients.step(step);
            }
        }
        clients.quit_all();
        conductor.finish(Actor::Client);

        match server.join() {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => clients.checks.push(Check {
                what: format!("the server failed: {e}"),
                ok: false,
            }),
            Err(_) => return Err(RunError::Server("the server thread panicked".into())),
        }

        let timeline = conductor.events();
        let mut checks = clients.checks;
        checks.extend(served_in_turn(&timeline));
        let verdict = verdict_of(&clients.rounds);
        let expected = self.expect.of(reader);
        let mut buffers: Vec<String> = server_sizes
            .lines()
            .into_iter()
            .map(|l| format!("server {l}"))
            .collect();
        buffers.extend(clients.buffers);
        Ok(Report {
            scenario: self.name.clone(),
            reader,
            seed: self.effective_seed(seed),
            buffers,
            as_expected: verdict == expected && checks.iter().all(|c| c.ok),
            timeline,
            rounds: clients.rounds,
            checks,
            verdict,
            expected,
        })
    }

    /// Run the scenario `times` times with `reader` and count how many runs came
    /// out as expected and how many had exactly the first run's timeline.
    pub fn repeat(
        &self,
        reader: ReaderKind,
        seed: Option<u64>,
        times: usize,
    ) -> Result<Repetition, RunError> {
        let first = self.run(reader, seed)?;
        let shape = first.shape();
        let mut rep = Repetition {
            scenario: self.name.clone(),
            reader,
            runs: 1,
            as_expected: usize::from(first.as_expected),
            same_timeline: 1,
        };
        for _ in 1..times {
            let report = self.run(reader, seed)?;
            rep.runs += 1;
            rep.as_expected += usize::from(report.as_expected);
            rep.same_timeline += usize::from(report.shape() == shape);
        }
        Ok(rep)
    }
}

fn serve_conducted(
    listener: TcpListener,
    conductor: Arc<Conductor>,
    config: &ServerConfig,
) -> io::Result<()> {
    /// Hands the baton on however the server ends, so the client never waits
    /// for a server that is gone.
    struct Finish(Arc<Conductor>);
    impl Drop for Finish {
        fn drop(&mut self) {
            self.0.finish(Actor::Server);
        }
    }
    let _finish = Finish(conductor.clone());
    let mut log = ConductedLog(conductor.clone());
    let acceptor = ConductedListener::new(listener, conductor);
    // `serve` drops the acceptor (and so closes the listening socket) before it
    // returns, and only then does `_finish` let the client go on: a client that
    // connects after that is refused, as with the real server.
    server::serve(acceptor, config, &mut log)
}

struct Pending {
    message: Vec<u8>,
    wire_len: usize,
    sent_at: Instant,
}

struct Client {
    session: Session<Conducted>,
    owed: VecDeque<Pending>,
    rounds: usize,
}

struct Clients {
    conductor: Arc<Conductor>,
    addr: SocketAddr,
    config: ClientConfig,
    opts: SocketOptions,
    open: BTreeMap<usize, Client>,
    rounds: Vec<Round>,
    checks: Vec<Check>,
    buffers: Vec<String>,
}

impl Clients {
    fn note(&self, k: usize, text: String, bad: bool) {
        self.conductor
            .note(Side::Client(k), What::Note { text, bad });
    }

    /// The open client `k`, connecting it first if needed.
    fn client(&mut self, k: usize) -> Option<&mut Client> {
        if !self.open.contains_key(&k) {
            match self.conductor.connect(self.addr, &self.opts, k) {
                Ok((stream, sizes)) => {
                    if k == 1 {
                        self.buffers
                            .extend(sizes.lines().into_iter().map(|l| format!("client {l}")));
                    }
                    let session = Session::new(stream, &self.config);
                    self.open.insert(
                        k,
                        Client {
                            session,
                            owed: VecDeque::new(),
                            rounds: 0,
                        },
                    );
                }
                Err(e) => {
                    self.checks.push(Check {
                        what: format!("client {k} could not connect: {e}"),
                        ok: false,
                    });
                    return None;
                }
            }
        }
        self.open.get_mut(&k)
    }

    fn step(&mut self, step: &Step) {
        match step {
            Step::Send { client, messages } => {
                self.write(*client, messages);
                self.read(*client);
            }
            Step::Write { client, messages } => self.write(*client, messages),
            Step::Read { client } => self.read(*client),
            Step::Pause { client, ms } => {
                if self.open.contains_key(client) {
                    self.note(*client, format!("(waits {ms} ms)"), false);
                }
                thread::sleep(Duration::from_millis(*ms));
            }
            Step::Connect { client, refused } => self.connect(*client, *refused),
            Step::Quit { client } => self.quit(*client),
        }
    }

    fn connect(&mut self, k: usize, expect_refused: bool) {
        if !expect_refused {
            self.client(k);
            return;
        }
        match self.conductor.connect(self.addr, &self.opts, k) {
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => self.checks.push(Check {
                what: format!("client {k} was refused: nothing listens any more"),
                ok: true,
            }),
            Err(e) => self.checks.push(Check {
                what: format!("client {k} should have been refused, but: {e}"),
                ok: false,
            }),
            Ok(_connected) => {
                self.checks.push(Check {
                    what: format!("client {k} should have been refused, but it connected"),
                    ok: false,
                });
            }
        }
    }

    fn write(&mut self, k: usize, messages: &[Vec<u8>]) {
        let mut failed = Vec::new();
        if let Some(c) = self.client(k) {
            for m in messages {
                match c.session.send(m) {
                    Ok(wire_len) => c.owed.push_back(Pending {
                        message: m.clone(),
                        wire_len,
                        sent_at: Instant::now(),
                    }),
                    Err(e) => {
                        c.rounds += 1;
                        failed.push((c.rounds, m.clone(), e));
                    }
                }
            }
        }
        for (round, m, e) in failed {
            self.note(k, format!("✗ round {round}: {e}"), true);
            self.rounds.push(Round {
                client: k,
                round,
                sent: m,
                received: None,
                outcome: Outcome::Failed(e.to_string()),
                waited_ms: 0,
            });
        }
    }

    fn read(&mut self, k: usize) {
        let Some(c) = self.open.get_mut(&k) else {
            return;
        };
        while let Some(p) = c.owed.pop_front() {
            c.rounds += 1;
            let result = c.session.receive(p.wire_len);
            let waited_ms = p.sent_at.elapsed().as_millis() as u64;
            let (received, outcome) = match result {
                Ok(got) if got == p.message => (Some(got), Outcome::Intact),
                Ok(got) => (Some(got), Outcome::Wrong),
                Err(ReadError::Io(e)) if Stalled::is(&e) => (None, Outcome::Stalled),
                Err(ReadError::ClosedMidMessage { .. }) => (None, Outcome::ClosedMidMessage),
                Err(ReadError::Closed) => (None, Outcome::Closed),
                Err(e) => (None, Outcome::Failed(ClientError::from(e).to_string())),
            };
            let round = Round {
                client: k,
                round: c.rounds,
                sent: p.message,
                received,
                outcome,
                waited_ms,
            };
            // The verdict on this reply goes into the timeline right after the
            // reads that made it, where a class can see why.
            self.conductor.note(Side::Client(k), reply_row(&round));
            self.rounds.push(round);
        }
    }

    /// Shut down the write side, read whatever is still on its way (the naive
    /// reader leaves bytes behind), then close.
    fn quit(&mut self, k: usize) {
        // Replies still owed are read first, as a client would before leaving.
        self.read(k);
        let Some(mut c) = self.open.remove(&k) else {
            return;
        };
        let stream = c.session.stream_mut();
        if stream.close_write().is_err() {
            return;
        }
        let mut left = Vec::new();
        let mut buf = [0u8; 4096];
        // Bounded: the server closes once it has read our FIN.
        for _ in 0..10_000 {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => left.extend_from_slice(&buf[..n]),
            }
        }
        if !left.is_empty() {
            self.note(
                k,
                format!("{} bytes left unread when the client quit", left.len()),
                false,
            );
        }
    }

    fn quit_all(&mut self) {
        let open: Vec<usize> = self.open.keys().copied().collect();
        for k in open {
            self.quit(k);
        }
    }
}

/// The timeline row for a reply: the reply itself, or what stopped it.
fn reply_row(r: &Round) -> What {
    match (&r.received, &r.outcome) {
        (Some(got), o) => What::Reply {
            round: r.round,
            ok: *o == Outcome::Intact,
            got: got.clone(),
            sent: r.sent.clone(),
        },
        (None, Outcome::Stalled) => What::Note {
            text: format!("✗ reply {}: would wait forever", r.round),
            bad: true,
        },
        (None, o) => What::Note {
            text: format!("! reply {}: {}", r.round, outcome_words(o)),
            bad: false,
        },
    }
}

fn outcome_words(o: &Outcome) -> String {
    match o {
        Outcome::Intact => "intact".into(),
        Outcome::Wrong => "wrong reply".into(),
        Outcome::Stalled => "would wait forever".into(),
        Outcome::ClosedMidMessage => "peer closed mid-message".into(),
        Outcome::Closed => "peer closed the connection".into(),
        Outcome::Failed(e) => e.clone(),
    }
}

/// The verdict from a reader's rounds: any wrong reply or stall is broken; an
/// error without a wrong reply is an honest detection; otherwise intact.
pub fn verdict_of(rounds: &[Round]) -> Verdict {
    if rounds
        .iter()
        .any(|r| matches!(r.outcome, Outcome::Wrong | Outcome::Stalled))
    {
        Verdict::Broken
    } else if rounds.iter().all(|r| r.outcome == Outcome::Intact) {
        Verdict::Intact
    } else {
        Verdict::Detected
    }
}

/// With several clients: the iterative server accepted each one only after it had
/// closed the one before. Read off the real timeline.
fn served_in_turn(timeline: &[Event]) -> Vec<Check> {
    let mut checks = Vec::new();
    let mut open = false;
    let mut accepts = 0;
    for e in timeline.iter().filter(|e| e.side == Side::Server) {
        match e.what {
            What::Accept => {
                accepts += 1;
                if accepts > 1 {
                    checks.push(Check {
                        what: format!(
                            "client {accepts} was accepted only after the server closed client {}",
                            accepts - 1
                        ),
                        ok: !open,
                    });
                }
                open = true;
            }
            What::Close => open = false,
            _ => {}
        }
    }
    checks
}
