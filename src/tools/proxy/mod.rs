//! A reshaping TCP proxy: put fragmentation in front of any client and any server.
//!
//! The scenarios prove the lesson on our own programs. This proxy brings the same
//! pressure to anyone's: it sits between a TCP client and a TCP server and
//! reshapes each direction of the byte stream on its own. It can split it into
//! chunks, pace the chunks, merge separate writes into one (coalescing), or end
//! the connection part way through a message, cleanly or with a reset.
//!
//! Unlike the lesson's server, the proxy is not iterative: every connection gets
//! two threads, one per direction, so many clients are served at once. What a
//! connection costs is bounded and said: two threads of [`PUMP_STACK`], a
//! read buffer of [`READ_BUFFER`] a direction (and room for what a read delay
//! gathers, with one), taken before it is served: a connection that cannot
//! have them is refused with a row, not the process aborted; and at most
//! [`ProxyConfig::max_connections`] are open at once.
//!
//! ```
//! use std::io::{Read, Write};
//! use std::net::TcpStream;
//! use std::time::Duration;
//! use tcp_boundary::shape::Shape;
//! use tcp_boundary::shape::fragment::{Chunks, FragmentPlan};
//! use tcp_boundary::tools::proxy::{Proxy, ProxyConfig};
//!
//! // Any server will do; here, our echo server on a free loopback port.
//! let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
//! let config = tcp_boundary::lesson::server::ServerConfig { clients: 0, ..Default::default() };
//! let server = tcp_boundary::tools::spawned::spawn(listener, config).unwrap();
//!
//! // Replies come back in chunks of 2 bytes, 20 ms apart.
//! let downstream = Shape {
//!     plan: FragmentPlan { chunks: Chunks::Fixed(2), delay: Duration::from_millis(20), ..Default::default() },
//!     ..Shape::default()
//! };
//! let proxy = Proxy::start(ProxyConfig::new(server.addr).downstream(downstream)).unwrap();
//!
//! // A client that frames its messages still gets every reply whole.
//! let mut client = TcpStream::connect(proxy.addr()).unwrap();
//! client.write_all(b"hello, proxy\n").unwrap();
//! let mut reply = [0u8; 13];
//! client.read_exact(&mut reply).unwrap(); // read until all 13 bytes are back
//! assert_eq!(&reply, b"hello, proxy\n");
//! drop(client);
//! proxy.stop();
//! ```

use std::collections::HashSet;
use std::io::{self, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crate::event::Event;
use crate::shape::Shape;
use crate::transport::trace::LetGo;
use crate::view::timeline;

mod accepting;
mod activity;
mod delivery;
mod log;
mod paced;
mod pump;

use activity::Activity;
pub use activity::Traffic;
use delivery::{Deliveries, Delivery};
use log::Log;

/// Where to forward and how to reshape each direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyConfig {
    /// The server to forward to.
    pub to: SocketAddr,
    /// Server → client.
    pub downstream: Shape,
    /// Client → server.
    pub upstream: Shape,
    /// Log only connections, not each read and write.
    pub quiet: bool,
    /// How wide the logged timeline may be.
    pub layout: timeline::Layout,
    /// Keep the timeline's events (see [`Proxy::events`]), up to
    /// [`MAX_RECORDED`] of them.
    pub record: bool,
    /// End each pause of a shape as soon as the receiver has read what was
    /// written before it (its receive queue is empty: see
    /// [`PeerQueue`](crate::transport::queue::PeerQueue)), instead of at the
    /// end of the pause. Each chunk is still read alone by a reader that is
    /// reading, at the speed of that reader; a receiver that does not read
    /// waits out one pause, then gets the rest of the buffer without pauses.
    pub paced_by_reader: bool,
    /// With `paced_by_reader`: how long, in all, each direction waits for a
    /// receiver that neither reads nor writes (one that is blocked writing to
    /// us is never waited for: it reads once its write is done).
    pub patience: Duration,
    /// Watch what each client reads of the bytes delivered to it, so that
    /// [`Proxy::unread`] can say what a client left unread when it quit.
    pub watch_reads: bool,
    /// The most connections open at once (`--max-connections`): one more
    /// is closed as soon as it is accepted, and told in one row per burst.
    pub max_connections: usize,
}

/// The most events a recording proxy keeps: a client that streams for long
/// does not grow the proxy's memory without bound.
pub const MAX_RECORDED: usize = 100_000;
/// The most bytes the events a recording proxy keeps may hold: 32 MiB.
pub const MAX_RECORDED_BYTES: usize = 32 << 20;
/// The most a read delay gathers before it passes the bytes on: 256 KiB,
/// about what a socket's buffers hold.
pub const MAX_GATHER: usize = 256 << 10;
pub use log::LOG_BUDGET;
pub use pump::READ_BUFFER;
/// The stack of each thread that pumps a connection: 128 KiB instead of the
/// 2 MiB a thread gets by default. Measured: a pump's stack holds at most
/// 20 KiB (the thread's own data included, a debug build, shaped with a read
/// delay), and the tests of the proxy and of `check` (recording, paced by
/// the reader, watching reads) pass with 32 KiB.
pub const PUMP_STACK: usize = 128 << 10;
/// The most connections open at once unless told otherwise
/// (`--max-connections`).
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;
/// The most `--max-connections` may ask for.
pub const MAX_CONNECTIONS_LIMIT: usize = 1_000_000;

/// The most connections this machine lets the proxy hold without aborting,
/// if it can tell: each thread takes four memory maps (its stack, the stack's
/// guard page, and the signal stack Rust gives it with its own guard), two
/// threads a connection, within the kernel's `vm.max_map_count` (65,530 by
/// default: 8,000 connections), less 4,096 maps for the rest of the
/// process. Past it a new thread cannot set up its signal stack, and Rust
/// aborts the process.
pub fn connections_the_kernel_allows() -> Option<usize> {
    let maps: usize = std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(maps.saturating_sub(4096) / 8)
}

impl ProxyConfig {
    /// Forward to `to`, passing both directions on as read.
    pub fn new(to: SocketAddr) -> Self {
        ProxyConfig {
            to,
            downstream: Shape::default(),
            upstream: Shape::default(),
            quiet: true,
            layout: timeline::Layout::new(100),
            record: false,
            paced_by_reader: false,
            patience: Duration::from_secs(1),
            watch_reads: false,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }

    /// Reshape server → client.
    pub fn downstream(mut self, shape: Shape) -> Self {
        self.downstream = shape;
        self
    }

    /// Reshape client → server.
    pub fn upstream(mut self, shape: Shape) -> Self {
        self.upstream = shape;
        self
    }
}

/// One proxied connection: the client's socket and the server's.
struct Link {
    client: TcpStream,
    server: TcpStream,
    /// What the client did with the bytes written to it (with
    /// [`ProxyConfig::watch_reads`]).
    delivery: Option<Arc<Delivery>>,
    /// Bytes read from the client so far: a reply is what the server sends
    /// after the client last sent something.
    from_client: AtomicU64,
}

impl Link {
    /// End both sides at once (waking any thread blocked in a read).
    fn shut(&self) {
        let _ = self.client.shutdown(Shutdown::Both);
        let _ = self.server.shutdown(Shutdown::Both);
    }
}

struct Shared {
    config: ProxyConfig,
    log: Log,
    activity: Activity,
    stop: AtomicBool,
    connections: AtomicUsize,
    live: Mutex<Vec<(Weak<Link>, JoinHandle<()>)>>,
    deliveries: Deliveries,
    /// The proxy's open connections to its server, each as its two ends
    /// (local, remote): a client whose connection has the same two ends is
    /// the proxy itself, come back. (Its address alone is not enough: a
    /// client may use the same port on its way to the proxy as the proxy on
    /// its way to the server, one of every few thousand connections.)
    own: Mutex<HashSet<(SocketAddr, SocketAddr)>>,
}

/// A running proxy. Dropping it (or [`Proxy::stop`]) closes the listener and
/// every connection, and waits for their threads.
pub struct Proxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
    watcher: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy").field("addr", &self.addr).finish()
    }
}

impl Proxy {
    /// Start a proxy on an ephemeral loopback port, its log discarded: the form
    /// for regression tests.
    pub fn start(config: ProxyConfig) -> io::Result<Proxy> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        Proxy::start_on(listener, config, Box::new(io::sink()))
    }

    /// Start a proxy on `listener`, writing its timeline to `log`.
    pub fn start_on(
        listener: TcpListener,
        config: ProxyConfig,
        log: Box<dyn Write + Send>,
    ) -> io::Result<Proxy> {
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            config,
            log: Log::new(log, &config),
            activity: Activity::new(),
            stop: AtomicBool::new(false),
            connections: AtomicUsize::new(0),
            live: Mutex::new(Vec::new()),
            deliveries: Deliveries::default(),
            own: Mutex::new(HashSet::new()),
        });
        // The clients' reads, asked of the kernel every millisecond.
        let watcher = match config.watch_reads {
            true => {
                let shared = shared.clone();
                Some(thread::Builder::new().name("reads".into()).spawn(move || {
                    while !shared.stop.load(Ordering::SeqCst) {
                        // A client reading what was delivered to it is
                        // progress, though no byte crosses the proxy.
                        if shared.deliveries.sample() {
                            shared.activity.touch();
                        }
                        thread::sleep(delivery::EVERY);
                    }
                })?)
            }
            false => None,
        };
        let accept = {
            let shared = shared.clone();
            thread::spawn(move || accepting::accept_loop(listener, &shared))
        };
        Ok(Proxy {
            addr,
            shared,
            accept: Some(accept),
            watcher,
        })
    }

    /// Where clients should connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The events recorded so far (with [`ProxyConfig::record`]), in order.
    pub fn events(&self) -> Vec<Event> {
        self.shared.log.recorded()
    }

    /// The bytes moved so far, and how long nothing has moved.
    pub fn traffic(&self) -> Traffic {
        self.shared.activity.snapshot()
    }

    /// Wait, for at most `limit`, until every connection has ended and
    /// nothing has moved for a moment: what a client sent just before it
    /// exited is then counted.
    pub fn settle(&self, limit: Duration) {
        let deadline = std::time::Instant::now() + limit;
        while std::time::Instant::now() < deadline {
            let activity = &self.shared.activity;
            if activity.open() == 0 && self.traffic().idle >= Duration::from_millis(50) {
                return;
            }
            thread::sleep(Duration::from_millis(2));
        }
    }

    /// Bytes the server sent that a client never read: those the proxy
    /// still holds, and (with [`ProxyConfig::watch_reads`]) those written to
    /// a client that it had not read when it let go of its socket (`let_go`:
    /// the client's sockets measured then, by a
    /// [`trace`](crate::transport::trace)), or without such a measure those
    /// written to it after it had closed.
    /// Call it once the client has ended: it waits at most `limit` for the
    /// kernel to see every client's socket closed.
    pub fn unread(&self, limit: Duration, let_go: &[LetGo]) -> u64 {
        let held = self.traffic().undelivered().1;
        held + self.shared.deliveries.unread(limit, let_go)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Stop accepting, end every connection, wait for all threads.
    pub fn stop(mut self) {
        self.shut();
    }

    fn shut(&mut self) {
        crate::transport::net::stop_accepting(&self.shared.stop, self.addr);
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
        if let Some(t) = self.watcher.take() {
            let _ = t.join();
        }
        let live = std::mem::take(&mut *self.shared.live.lock().unwrap_or_else(|e| e.into_inner()));
        for (link, handle) in live {
            if let Some(link) = link.upgrade() {
                link.shut();
            }
            let _ = handle.join();
        }
        self.shared.log.finish();
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shut();
    }
}

/// True when a proxy listening on `listen` and forwarding to `to` would
/// forward to itself: the same port, and the same address or one that the
/// listener's wildcard address takes in (loopback, or itself unspecified).
pub fn leads_to_itself(listen: SocketAddr, to: SocketAddr) -> bool {
    let (l, t) = (listen.ip(), to.ip());
    listen.port() == to.port()
        && (l == t || (l.is_unspecified() && (t.is_loopback() || t.is_unspecified())))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
