//! Running a scenario: the server on a thread, the script on this one, both
//! under a conductor; the timeline, the rounds and the verdict come back.

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::thread;

use super::clients::Clients;
use super::outcome::{Check, Repetition, Report, RunError, served_in_turn, verdict_of};
use super::{Scenario, ScenarioError, SideProgram};
use super::{book_client, book_server};
use crate::event::{Side, What};
use crate::lang::Msg;
use crate::lesson::client::ClientConfig;
use crate::lesson::reader::ReaderKind;
use crate::lesson::server::{self, ServerConfig};
use crate::scenario::conductor::{Actor, ConductedListener, ConductedLog, Conductor};
use crate::shape::{ShapeError, ShapeSpec};
use crate::transport::net;
use crate::transport::net::SocketOptions;

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
        let invalid = |why: Msg| {
            let message = why.say(crate::lang::Lang::En);
            RunError::Invalid(ScenarioError {
                origin: format!("<{}>", self.name),
                line: None,
                message,
            })
        };
        let conductor = Arc::new(Conductor::new());
        // The server side: ours on a thread, or the book's own program.
        let (server, addr, server_sizes) = match self.server_program {
            SideProgram::Ours => {
                let addr: SocketAddr = ([127, 0, 0, 1], 0).into();
                let backlog = self.server.backlog;
                let (listener, sizes) = net::listen(addr, backlog as i32, &config.shape.socket)
                    .map_err(RunError::Listen)?;
                let addr = listener.local_addr().map_err(RunError::Listen)?;
                conductor.listening(listener.as_raw_fd());
                // The chapter's steps 1 to 3, done by net::listen before any
                // client could connect: the timeline starts with them.
                for what in [What::Socket, What::Bind, What::Listen { backlog }] {
                    conductor.note(Side::Server, what);
                }
                let conductor = conductor.clone();
                let config = config.clone();
                let thread = thread::spawn(move || serve_conducted(listener, conductor, &config));
                (ServerSide::Ours(thread), addr, sizes)
            }
            SideProgram::BookC => {
                self.book_server_fits().map_err(&invalid)?;
                let (server, addr) = book_server::start(&conductor)?;
                let none = net::BufferSizes {
                    send: None,
                    recv: None,
                };
                (ServerSide::Book(server), addr, none)
            }
        };

        // The client side: ours with the reader, or the book's own program.
        let played = match self.client_program {
            SideProgram::Ours => {
                let (client_config, client_opts) = self.client_config(reader).map_err(bad_shape)?;
                let mut clients = Clients::new(conductor.clone(), addr, client_config, client_opts);
                if conductor.begin(Actor::Client).is_ok() {
                    for step in &self.steps {
                        clients.step(step);
                    }
                }
                clients.quit_all();
                Ok(ClientSide {
                    rounds: clients.rounds,
                    checks: clients.checks,
                    buffers: clients.buffers,
                    console: None,
                })
            }
            SideProgram::BookC => {
                let script = self.book_client_script().map_err(invalid);
                script.and_then(|script| {
                    let played = book_client::play(&conductor, addr, script)?;
                    Ok(ClientSide {
                        rounds: played.rounds,
                        checks: played.checks,
                        buffers: Vec::new(),
                        console: Some(played.console),
                    })
                })
            }
        };
        conductor.finish(Actor::Client);
        let mut server_console = None;
        let joined = match server {
            ServerSide::Ours(thread) => thread.join(),
            ServerSide::Book(book) => {
                server_console = Some(book.join());
                Ok(Ok(()))
            }
        };
        let mut played = played?;

        match joined {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => played.checks.push(Check {
                what: Msg::new("check-server-failed").arg("error", e.to_string()),
                ok: false,
            }),
            Err(_) => return Err(RunError::Server("the server thread panicked".into())),
        }

        let timeline = conductor.events();
        let mut checks = played.checks;
        checks.extend(served_in_turn(&timeline));
        let verdict = verdict_of(&played.rounds);
        let expected = self.expect.of(reader);
        let mut buffers = server_sizes.said(Some(Msg::new("col-server")));
        buffers.extend(played.buffers);
        Ok(Report {
            scenario: self.name.clone(),
            reader,
            client_program: self.client_program,
            console: played.console,
            server_program: self.server_program,
            server_console,
            seed: self.effective_seed(seed),
            buffers,
            client_buffer: self.client.buffer_size,
            server_buffer: self.server.buffer_size,
            as_expected: verdict == expected && checks.iter().all(|c| c.ok),
            timeline,
            measures: conductor.measures(),
            rounds: played.rounds,
            checks,
            verdict,
            expected,
        })
    }

    /// Run the scenario once with each of `readers`, side by side, the
    /// reports in the order of `readers`. Each run has its own listener,
    /// conductor and sockets, so running them at once changes nothing in any
    /// of them; and a scenario that waits in real time (backlog's client
    /// waits about a second for its kernel to send its SYN again) waits once
    /// for all the readers instead of once per reader.
    pub fn run_readers(
        &self,
        readers: &[ReaderKind],
        seed: Option<u64>,
    ) -> Result<Vec<Report>, RunError> {
        side_by_side(readers, |reader| self.run(reader, seed))
    }

    /// [`Scenario::repeat`] for each of `readers`, side by side (see
    /// [`Scenario::run_readers`]).
    pub fn repeat_readers(
        &self,
        readers: &[ReaderKind],
        seed: Option<u64>,
        times: usize,
    ) -> Result<Vec<Repetition>, RunError> {
        side_by_side(readers, |reader| self.repeat(reader, seed, times))
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

/// A run of one scenario that could not be made, and which scenario.
#[derive(Debug, thiserror::Error)]
#[error("scenario {scenario}")]
pub struct ScenarioRunError {
    /// The scenario's name.
    pub scenario: String,
    /// Why.
    #[source]
    pub error: RunError,
}

impl Scenario {
    /// Run each of `scenarios` with each of `readers` ([`Scenario::run_readers`]:
    /// a scenario's readers side by side, the scenarios one after another):
    /// each scenario with its reports.
    pub fn run_each(
        scenarios: Vec<Scenario>,
        readers: &[ReaderKind],
        seed: Option<u64>,
    ) -> Result<Vec<(Scenario, Vec<Report>)>, ScenarioRunError> {
        scenarios
            .into_iter()
            .map(|s| match s.run_readers(readers, seed) {
                Ok(reports) => Ok((s, reports)),
                Err(error) => Err(ScenarioRunError {
                    scenario: s.name.clone(),
                    error,
                }),
            })
            .collect()
    }

    /// [`Scenario::repeat_readers`] for each of `scenarios`, telling
    /// `each` every repetition as its scenario's are done: all of them.
    pub fn repeat_each(
        scenarios: &[Scenario],
        readers: &[ReaderKind],
        seed: Option<u64>,
        times: usize,
        each: &mut dyn FnMut(&Repetition) -> io::Result<()>,
    ) -> Result<Vec<Repetition>, RepeatError> {
        let mut all = Vec::new();
        for s in scenarios {
            let reps =
                s.repeat_readers(readers, seed, times)
                    .map_err(|error| ScenarioRunError {
                        scenario: s.name.clone(),
                        error,
                    })?;
            for rep in reps {
                each(&rep)?;
                all.push(rep);
            }
        }
        Ok(all)
    }
}

/// Why repeating scenarios stopped: a run that could not be made, or a
/// repetition that could not be shown.
#[derive(Debug, thiserror::Error)]
pub enum RepeatError {
    /// A run could not be made.
    #[error(transparent)]
    Run(#[from] ScenarioRunError),
    /// Showing a repetition failed (its output closed).
    #[error(transparent)]
    Shown(#[from] io::Error),
}

/// The server side of a run, as it is waited for.
enum ServerSide {
    /// Ours, on a thread.
    Ours(thread::JoinHandle<io::Result<()>>),
    /// The book's, running held.
    Book(book_server::BookServer),
}

/// What the client side did in a run, whichever program played it.
struct ClientSide {
    rounds: Vec<crate::scenario::Round>,
    checks: Vec<Check>,
    buffers: Vec<Msg>,
    console: Option<Vec<u8>>,
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

/// `job` for each of `readers`, each on a thread of its own, the results in
/// the order of `readers`.
fn side_by_side<T: Send>(
    readers: &[ReaderKind],
    job: impl Fn(ReaderKind) -> Result<T, RunError> + Sync,
) -> Result<Vec<T>, RunError> {
    thread::scope(|scope| {
        let job = &job;
        let runs: Vec<_> = readers
            .iter()
            .map(|&reader| scope.spawn(move || job(reader)))
            .collect();
        runs.into_iter()
            .map(|run| {
                run.join()
                    .unwrap_or_else(|_| Err(RunError::Server("a run panicked".into())))
            })
            .collect()
    })
}
