//! Sockets with the options the lesson turns: TCP_NODELAY and buffer sizes.
//!
//! std's `TcpListener::bind` and `TcpStream::connect` give no chance to set
//! options *before* `listen` or `connect`, and that order matters: an accepted
//! socket inherits the listener's buffer sizes, and the receive buffer decides the
//! window the peer is told about during the handshake. So sockets are made with
//! `socket2`, configured, and only then turned into std's blocking types.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};

use socket2::{Domain, Protocol, SockRef, Socket, Type};

use crate::lang::{Lang, Msg};

/// Socket options shared by the server, the clients and the proxy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SocketOptions {
    /// Set TCP_NODELAY: send each write at once instead of letting Nagle's
    /// algorithm hold small writes back to merge them.
    pub nodelay: bool,
    /// Ask for this SO_SNDBUF size.
    pub send_buffer: Option<usize>,
    /// Ask for this SO_RCVBUF size.
    pub recv_buffer: Option<usize>,
}

/// The buffer sizes the kernel reports after a request. Linux doubles the value it
/// is given (to leave room for its own bookkeeping) and enforces a floor, so the
/// number asked for is rarely the number in force: we always show both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BufferSizes {
    /// SO_SNDBUF asked for, and what the kernel reports.
    pub send: Option<(usize, usize)>,
    /// SO_RCVBUF asked for, and what the kernel reports.
    pub recv: Option<(usize, usize)>,
}

impl BufferSizes {
    /// One line per buffer that was asked for, in English for the echo
    /// pair's console, e.g.
    /// `SO_RCVBUF: asked for 4096 bytes, the kernel reports 8192`.
    pub fn lines(&self) -> Vec<String> {
        self.said(None).iter().map(|m| m.say(Lang::En)).collect()
    }

    /// One message per buffer that was asked for, `who`'s, e.g.
    /// `client SO_RCVBUF: asked for 4096 bytes, the kernel reports 8192`.
    pub fn said(&self, who: Option<Msg>) -> Vec<Msg> {
        let mut out = Vec::new();
        for (name, pair) in [("SO_SNDBUF", self.send), ("SO_RCVBUF", self.recv)] {
            if let Some((asked, actual)) = pair {
                let msg = match &who {
                    Some(who) => Msg::new("buffer-size").arg("who", who.clone()),
                    None => Msg::new("buffer-size-own"),
                };
                out.push(
                    msg.arg("name", name)
                        .arg("asked", asked)
                        .arg("actual", actual),
                );
            }
        }
        out
    }
}

fn configure(socket: &Socket, opts: &SocketOptions) -> io::Result<BufferSizes> {
    let mut sizes = BufferSizes::default();
    if let Some(n) = opts.send_buffer {
        socket.set_send_buffer_size(n)?;
        sizes.send = Some((n, socket.send_buffer_size()?));
    }
    if let Some(n) = opts.recv_buffer {
        socket.set_recv_buffer_size(n)?;
        sizes.recv = Some((n, socket.recv_buffer_size()?));
    }
    if opts.nodelay {
        socket.set_tcp_nodelay(true)?;
    }
    Ok(sizes)
}

/// Bind and listen on `addr` with a backlog of `backlog` pending connections,
/// buffer sizes set before `listen` so that accepted sockets inherit them.
///
/// `SO_REUSEADDR` is set, as most servers do, so a server restarted right after a
/// class demo does not fail on connections still in TIME_WAIT; a port another
/// program listens on is still refused ("address in use").
pub fn listen(
    addr: SocketAddr,
    backlog: i32,
    opts: &SocketOptions,
) -> io::Result<(TcpListener, BufferSizes)> {
    // 1. socket(): a TCP socket, not yet anywhere.
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    if addr.is_ipv6() {
        // `--bind ::1` means IPv6 only, as the address says.
        socket.set_only_v6(true)?;
    }
    let sizes = configure(&socket, opts)?;
    // 2. bind(): the address and port clients will connect to.
    socket.bind(&addr.into())?;
    // 3. listen(): from now on the kernel completes handshakes by itself and
    // queues the connections for accept(), `backlog` of them (Linux: one
    // more). When the queue is full it drops a new client's SYN, and that
    // client's connect() waits for its kernel to send the SYN again.
    socket.listen(backlog)?;
    Ok((socket.into(), sizes))
}

/// Connect to `addr` with `opts` applied before the handshake.
pub fn connect(addr: SocketAddr, opts: &SocketOptions) -> io::Result<(TcpStream, BufferSizes)> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    let sizes = configure(&socket, opts)?;
    socket.connect(&addr.into())?;
    Ok((socket.into(), sizes))
}

/// A connect begun without waiting for it: the SYN is sent, and on loopback
/// the answer (SYN-ACK, or RST from a port where nothing listens) has been
/// handled by the kernel before this returns. [`Connecting::within`] says
/// how it ended.
#[derive(Debug)]
pub struct Connecting {
    socket: Socket,
    sizes: BufferSizes,
}

impl Connecting {
    /// Begin connecting to `addr` with `opts` applied before the handshake.
    pub fn begin(addr: SocketAddr, opts: &SocketOptions) -> io::Result<Connecting> {
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
        let sizes = configure(&socket, opts)?;
        socket.set_nonblocking(true)?;
        match socket.connect(&addr.into()) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
            Err(e) => return Err(e),
        }
        Ok(Connecting { socket, sizes })
    }

    /// Wait at most `limit` for the handshake: the connected stream
    /// (blocking again), the connect's error (refused…), or `Err(self)` when
    /// it is still waiting (a full listen queue dropped the SYN, and the
    /// kernel will send it again).
    #[allow(clippy::result_large_err)]
    pub fn within(
        self,
        limit: std::time::Duration,
    ) -> Result<io::Result<(TcpStream, BufferSizes)>, Connecting> {
        use std::os::fd::AsRawFd;
        let mut fd = libc::pollfd {
            fd: self.socket.as_raw_fd(),
            events: libc::POLLOUT,
            revents: 0,
        };
        let ms = limit.as_millis().min(i32::MAX as u128) as i32;
        let ready = loop {
            // SAFETY: one valid pollfd, for the duration of the call.
            let ready = unsafe { libc::poll(&mut fd, 1, ms) };
            let e = io::Error::last_os_error();
            match ready {
                // A signal: ask again (a loaded machine gains a little time).
                -1 if e.kind() == io::ErrorKind::Interrupted => continue,
                -1 => return Ok(Err(e)),
                n => break n,
            }
        };
        if ready == 0 {
            return Err(self);
        }
        if let Some(e) = match self.socket.take_error() {
            Ok(e) => e,
            Err(e) => Some(e),
        } {
            return Ok(Err(e));
        }
        let done = self.socket.set_nonblocking(false);
        Ok(done.map(|()| (self.socket.into(), self.sizes)))
    }
}

/// Apply the per-connection options to an accepted socket. Buffer sizes were
/// inherited from the listener; TCP_NODELAY is set here, on each connection.
pub fn apply_accepted(stream: &TcpStream, opts: &SocketOptions) -> io::Result<()> {
    if opts.nodelay {
        stream.set_nodelay(true)?;
    }
    Ok(())
}

/// Make the coming close of `stream` abort the connection: `SO_LINGER` with
/// a zero timeout, so that when its last descriptor closes the kernel sends
/// RST instead of FIN and drops whatever was not sent yet.
pub fn abort_on_close(stream: &TcpStream) -> io::Result<()> {
    SockRef::from(stream).set_linger(Some(std::time::Duration::ZERO))
}

/// Close `stream` with a reset (RST) instead of a FIN (see
/// [`abort_on_close`]).
pub fn reset(stream: TcpStream) -> io::Result<()> {
    abort_on_close(&stream)?;
    drop(stream);
    Ok(())
}

/// Stop a thread blocked in `accept()` on `addr`: set its stop flag, then
/// connect once so that `accept` returns and the thread sees the flag. A
/// blocked `accept` has no other portable wake-up. If nothing listens any more,
/// the connect just fails, and that is fine.
pub fn stop_accepting(stop: &AtomicBool, addr: SocketAddr) {
    stop.store(true, Ordering::SeqCst);
    let _ = TcpStream::connect(addr);
}

/// Resolve `host:port` to the first address, with an error that names the host.
pub fn resolve(host: &str, port: u16) -> io::Result<SocketAddr> {
    let mut addrs = (host, port)
        .to_socket_addrs()
        .map_err(|e| io::Error::new(e.kind(), format!("cannot resolve host '{host}': {e}")))?;
    addrs.next().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::NotFound,
            format!("cannot resolve host '{host}': no address"),
        )
    })
}
