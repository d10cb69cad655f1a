//! A reshaping TCP proxy: put fragmentation in front of any client and any server.
//!
//! The scenarios prove the lesson on our own programs. This proxy brings the same
//! pressure to anyone's: it sits between a TCP client and a TCP server and
//! reshapes each direction of the byte stream on its own. It can slice it into
//! pieces, pace the pieces, merge separate writes into one (coalescing), or end
//! the connection part way through a message, cleanly or with a reset.
//!
//! Unlike the lesson's server, the proxy is not iterative: every connection gets
//! two threads, one per direction, so many clients are served at once.
//!
//! ```
//! use std::io::{Read, Write};
//! use std::net::TcpStream;
//! use std::time::Duration;
//! use tcp_boundary::shape::Shape;
//! use tcp_boundary::shape::fragment::{Cuts, FragmentPlan};
//! use tcp_boundary::tools::proxy::{Proxy, ProxyConfig};
//!
//! // Any server will do; here, our echo server on a free loopback port.
//! let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
//! let config = tcp_boundary::lesson::server::ServerConfig { clients: 0, ..Default::default() };
//! let server = tcp_boundary::lesson::server::spawn(listener, config).unwrap();
//!
//! // Replies come back in pieces of 2 bytes, 20 ms apart.
//! let downstream = Shape {
//!     plan: FragmentPlan { cuts: Cuts::Fixed(2), delay: Duration::from_millis(20), ..Default::default() },
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

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::event::{ErrorKind, describe_io, is_timeout};
use crate::event::{Event, Side, What};
use crate::shape::Shape;
use crate::shape::fragment::Fragmenter;
use crate::transport::Transport;
use crate::view::timeline;

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
}

/// The most events a recording proxy keeps: a client that streams for long
/// does not grow the proxy's memory without bound.
pub const MAX_RECORDED: usize = 100_000;

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

/// The timeline the proxy writes, from every connection's threads: rows
/// numbered in the order their calls began and printed in that order.
///
/// A write's row number is taken *before* the write, so the read that gets its
/// bytes on the other side (another thread, microseconds later) always comes
/// after it on screen: causes before effects. A row waits to be printed until
/// every row before it is complete.
struct Log {
    state: Mutex<LogState>,
    quiet: bool,
    layout: timeline::Layout,
}

struct LogState {
    /// Row numbers handed out so far.
    taken: usize,
    /// Rows printed so far: every row up to this one.
    printed: usize,
    /// Complete rows waiting for an earlier one.
    waiting: std::collections::BTreeMap<usize, Event>,
    out: Box<dyn Write + Send>,
    /// The events kept, when recording.
    recorded: Option<Vec<Event>>,
}

impl Log {
    fn lock(&self) -> std::sync::MutexGuard<'_, LogState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A row number for a call about to be made.
    fn take(&self) -> usize {
        let mut st = self.lock();
        st.taken += 1;
        st.taken
    }

    /// The row `seq` is complete: print it and every complete row after it.
    fn fill(&self, seq: usize, side: Side, what: What) {
        let mut st = self.lock();
        st.waiting.insert(seq, Event { seq, side, what });
        while let Some(event) = {
            let next = st.printed + 1;
            st.waiting.remove(&next)
        } {
            st.printed = event.seq;
            // A log that cannot be written must not stop the traffic.
            let _ = timeline::render_row(&event, self.layout, st.out.as_mut());
            if let Some(kept) = st.recorded.as_mut().filter(|k| k.len() < MAX_RECORDED) {
                kept.push(event);
            }
        }
        let _ = st.out.flush();
    }

    fn row(&self, side: Side, what: What, always: bool) {
        if self.quiet && !always {
            return;
        }
        let seq = self.take();
        self.fill(seq, side, what);
    }

    fn note(&self, side: Side, text: String, bad: bool) {
        self.row(side, What::Note { text, bad }, true);
    }
}

/// One proxied connection: the client's socket and the server's.
struct Link {
    client: TcpStream,
    server: TcpStream,
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
    stop: AtomicBool,
    connections: AtomicUsize,
    live: Mutex<Vec<(Weak<Link>, JoinHandle<()>)>>,
}

/// A running proxy. Dropping it (or [`Proxy::stop`]) closes the listener and
/// every connection, and waits for their threads.
pub struct Proxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
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
            log: Log {
                state: Mutex::new(LogState {
                    taken: 0,
                    printed: 0,
                    waiting: std::collections::BTreeMap::new(),
                    out: log,
                    recorded: config.record.then(Vec::new),
                }),
                quiet: config.quiet,
                layout: config.layout,
            },
            stop: AtomicBool::new(false),
            connections: AtomicUsize::new(0),
            live: Mutex::new(Vec::new()),
        });
        let accept = {
            let shared = shared.clone();
            thread::spawn(move || accept_loop(listener, &shared))
        };
        Ok(Proxy {
            addr,
            shared,
            accept: Some(accept),
        })
    }

    /// Where clients should connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The events recorded so far (with [`ProxyConfig::record`]), in order.
    pub fn events(&self) -> Vec<Event> {
        self.shared.log.lock().recorded.clone().unwrap_or_default()
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
        let live = std::mem::take(&mut *self.shared.live.lock().unwrap_or_else(|e| e.into_inner()));
        for (link, handle) in live {
            if let Some(link) = link.upgrade() {
                link.shut();
            }
            let _ = handle.join();
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shut();
    }
}

fn accept_loop(listener: TcpListener, shared: &Arc<Shared>) {
    for conn in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        let client = match conn {
            Ok(c) => c,
            Err(e) => {
                shared
                    .log
                    .note(Side::Server, format!("accept failed: {e}"), true);
                continue;
            }
        };
        let n = shared.connections.fetch_add(1, Ordering::SeqCst) + 1;
        let peer = client
            .peer_addr()
            .map_or_else(|_| "?".to_string(), |a| a.to_string());
        shared
            .log
            .note(Side::Downstream(n), format!("accepted {peer}"), false);
        let to = shared.config.to;
        let server = match TcpStream::connect_timeout(&to, Duration::from_secs(10)) {
            Ok(s) => s,
            Err(e) => {
                // This client gets a closed connection; the proxy goes on.
                let what = match ErrorKind::of(&e) {
                    ErrorKind::Refused => What::Refused,
                    _ => error_of(&e),
                };
                shared.log.row(Side::Upstream(n), what, true);
                continue;
            }
        };
        // Forward each piece the moment it is written, as the shape decides,
        // instead of letting Nagle's algorithm merge pieces behind our back.
        let _ = client.set_nodelay(true);
        let _ = server.set_nodelay(true);
        // A direction's buffer sizes: its sender's send buffer, its receiver's
        // receive buffer.
        let (down, up) = (
            shared.config.downstream.socket,
            shared.config.upstream.socket,
        );
        let _ = size_buffers(&client, down.send_buffer, up.recv_buffer);
        let _ = size_buffers(&server, up.send_buffer, down.recv_buffer);
        let link = Arc::new(Link { client, server });
        let weak = Arc::downgrade(&link);
        let shared_conn = shared.clone();
        let handle = thread::spawn(move || serve_link(n, &link, &shared_conn));
        let mut live = shared.live.lock().unwrap_or_else(|e| e.into_inner());
        live.retain(|(l, _)| l.strong_count() > 0);
        live.push((weak, handle));
    }
}

/// Where one direction writes: the socket, with pauses that end early when the
/// proxy stops, so that Ctrl-C never waits out a long `--…-chunk-delay-ms`.
struct Paced<'a> {
    stream: &'a TcpStream,
    stop: &'a AtomicBool,
    /// Each write is a row of this log, on this side, from this offset on.
    log: &'a Log,
    side: Side,
    at: u64,
}

impl Read for Paced<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&mut &*self.stream).read(buf)
    }
}

impl Write for Paced<'_> {
    /// One write system call, and its row: numbered before the call (so the
    /// read of its bytes on the other side comes after it), filled in after.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.log.quiet {
            let result = (&mut &*self.stream).write(buf);
            if let Err(e) = &result {
                self.log.row(self.side, error_of(e), true);
            }
            return result;
        }
        let seq = self.log.take();
        let result = (&mut &*self.stream).write(buf);
        let what = match &result {
            Ok(n) => What::Write {
                at: self.at,
                bytes: buf[..*n].to_vec(),
            },
            Err(e) => error_of(e),
        };
        self.log.fill(seq, self.side, what);
        if let Ok(n) = result {
            self.at += n as u64;
        }
        result
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Transport for Paced<'_> {
    fn pause(&mut self, delay: Duration) {
        let end = Instant::now() + delay;
        while !self.stop.load(Ordering::SeqCst) {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            thread::sleep(left.min(Duration::from_millis(10)));
        }
    }

    fn close_write(&mut self) -> io::Result<()> {
        self.stream.shutdown(Shutdown::Write)
    }

    fn abort(&mut self) -> io::Result<()> {
        socket2::SockRef::from(self.stream).set_linger(Some(Duration::ZERO))
    }
}

fn size_buffers(s: &TcpStream, send: Option<usize>, recv: Option<usize>) -> io::Result<()> {
    let s = socket2::SockRef::from(s);
    if let Some(n) = send {
        s.set_send_buffer_size(n)?;
    }
    if let Some(n) = recv {
        s.set_recv_buffer_size(n)?;
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Dir {
    Up,
    Down,
}

fn serve_link(n: usize, link: &Arc<Link>, shared: &Arc<Shared>) {
    let up = {
        let (link, shared) = (link.clone(), shared.clone());
        thread::spawn(move || pump(n, Dir::Up, &link, &shared))
    };
    pump(n, Dir::Down, link, shared);
    let _ = up.join();
    shared
        .log
        .note(Side::Downstream(n), "connection closed".into(), false);
}

/// Copy one direction of a connection, reshaped. Every read and write is one
/// system call and one row of the timeline.
fn pump(n: usize, dir: Dir, link: &Link, shared: &Shared) {
    let (src, dst, shape, src_side, dst_side) = match dir {
        Dir::Up => (
            &link.client,
            &link.server,
            shared.config.upstream,
            Side::Downstream(n),
            Side::Upstream(n),
        ),
        Dir::Down => (
            &link.server,
            &link.client,
            shared.config.downstream,
            Side::Upstream(n),
            Side::Downstream(n),
        ),
    };
    let log = &shared.log;
    let mut fragmenter = Fragmenter::new(shape.plan);
    let mut buf = vec![0u8; 64 * 1024];
    let mut gathered = Vec::new();
    let limit = shape.cut_after.or(shape.reset_after);
    let mut forwarded: u64 = 0;
    // Bytes read so far in this direction: where the next read starts.
    let mut received: u64 = 0;
    loop {
        // One read: what has arrived, as the kernel hands it over.
        let mut eof = match read_logged(src, &mut buf, src_side, log, &mut received) {
            Ok(0) => true,
            Ok(k) => {
                gathered.extend_from_slice(&buf[..k]);
                false
            }
            Err(_) => {
                link.shut();
                return;
            }
        };
        if !shape.read_delay.is_zero() && !eof {
            // A late reader: keep reading until the delay after the first byte
            // has passed, so separate writes go on as one.
            let deadline = Instant::now() + shape.read_delay;
            loop {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() || src.set_read_timeout(Some(left)).is_err() {
                    break;
                }
                match read_logged(src, &mut buf, src_side, log, &mut received) {
                    Ok(0) => {
                        eof = true;
                        break;
                    }
                    Ok(k) => gathered.extend_from_slice(&buf[..k]),
                    Err(e) if is_timeout(&e) => break,
                    Err(_) => {
                        link.shut();
                        return;
                    }
                }
            }
            let _ = src.set_read_timeout(None);
        }
        let room = limit.map_or(gathered.len(), |l| {
            (l - forwarded).min(gathered.len() as u64) as usize
        });
        let mut out = Paced {
            stream: dst,
            stop: &shared.stop,
            log,
            side: dst_side,
            at: forwarded,
        };
        // Each write is logged by `out` itself (a failed one as an error row).
        if fragmenter
            .write(&mut out, &gathered[..room], |_| {})
            .is_err()
        {
            link.shut();
            return;
        }
        forwarded += room as u64;
        gathered.clear();
        if limit.is_some_and(|l| forwarded >= l) {
            end_early(link, dir, shape, forwarded, log, n);
            return;
        }
        if eof {
            // Pass the half-close on: the other side learns there is no more.
            let _ = dst.shutdown(Shutdown::Write);
            log.row(dst_side, What::Shutdown, false);
            return;
        }
    }
}

/// The timeline row for a failed socket call.
fn error_of(e: &io::Error) -> What {
    What::Error {
        error: ErrorKind::of(e),
        message: describe_io(e),
    }
}

fn read_logged(
    src: &TcpStream,
    buf: &mut [u8],
    side: Side,
    log: &Log,
    received: &mut u64,
) -> io::Result<usize> {
    let mut src = src;
    let asked = buf.len();
    match src.read(buf) {
        Ok(0) => {
            log.row(side, What::Eof, false);
            Ok(0)
        }
        Ok(k) => {
            if !log.quiet {
                let bytes = buf[..k].to_vec();
                let at = *received;
                log.row(side, What::Read { asked, at, bytes }, false);
            }
            *received += k as u64;
            Ok(k)
        }
        Err(e) if is_timeout(&e) => Err(e),
        Err(e) => {
            log.row(side, error_of(&e), true);
            Err(e)
        }
    }
}

/// `--cut-after` / `--reset-after`: end the connection after `forwarded` bytes,
/// in the middle of whatever message was passing.
fn end_early(link: &Link, dir: Dir, shape: Shape, forwarded: u64, log: &Log, n: usize) {
    // The socket of the peer that was receiving, and the other one.
    let (receiver, other, side) = match dir {
        Dir::Down => (&link.client, &link.server, Side::Downstream(n)),
        Dir::Up => (&link.server, &link.client, Side::Upstream(n)),
    };
    if shape.reset_after.is_some() && shape.cut_after.is_none() {
        // SO_LINGER 0: when the last reference to the socket closes, the kernel
        // sends RST instead of FIN. Only the read side is shut down here (a
        // write-side shutdown would send a FIN first); that wakes the thread of
        // the other direction, which then lets go of the socket.
        let _ = socket2::SockRef::from(receiver).set_linger(Some(Duration::ZERO));
        log.note(
            side,
            format!(
                "reset after {}, as configured",
                crate::view::bytes(forwarded)
            ),
            true,
        );
        let _ = receiver.shutdown(Shutdown::Read);
        let _ = other.shutdown(Shutdown::Both);
    } else {
        log.note(
            side,
            format!(
                "closed after {}, as configured",
                crate::view::bytes(forwarded)
            ),
            true,
        );
        link.shut();
    }
}
