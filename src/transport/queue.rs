//! Where the bytes wait: the kernel's queues of a TCP connection, measured.
//!
//! Between a `write()` on one end and the `read()` on the other, the bytes sit
//! in the kernel: first in the writer's send queue (written, not yet
//! acknowledged), then in the reader's receive queue (arrived, not yet read).
//! That receive queue is why one read can return two writes, or part of one.
//!
//! - [`inq`] and [`outq`]: our own socket's two queues (`ioctl` `SIOCINQ`,
//!   `SIOCOUTQ`).
//! - [`PeerQueue`]: the *other* end's receive queue, when the other end is a
//!   socket on this machine (loopback). Linux answers that through `sock_diag`,
//!   the netlink interface `ss` uses: we name the connection by its four
//!   addresses and ports, and the kernel says how many bytes wait in it.
//!
//! `check`'s proxy uses these to pace a shape by the receiver instead of by
//! the clock: the next chunk is written once the receiver has read the last
//! one, so each chunk is one read, and a fast reader is not kept waiting.

use std::io;
use std::mem::size_of;
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

mod info;

pub use info::{ListenQueue, SegmentsOut, bytes_received, closed, listen_queue, segments_out};

/// Bytes waiting in our socket's receive queue: arrived, not yet read.
pub fn inq(stream: &impl AsRawFd) -> io::Result<usize> {
    ioctl_count(stream, libc::FIONREAD)
}

/// Bytes in our socket's send queue: written, not yet acknowledged by the
/// peer's kernel.
pub fn outq(stream: &impl AsRawFd) -> io::Result<usize> {
    ioctl_count(stream, libc::TIOCOUTQ)
}

/// Bytes in our socket's send queue not yet sent at all (`SIOCOUTQNSD`): the
/// part of [`outq`] still waiting for room in the peer's receive window.
pub fn unsent(stream: &impl AsRawFd) -> io::Result<usize> {
    ioctl_count(stream, UNSENT)
}

/// `SIOCOUTQNSD` (linux/sockios.h).
const UNSENT: libc::Ioctl = 0x894B;

fn ioctl_count(stream: &impl AsRawFd, request: libc::Ioctl) -> io::Result<usize> {
    let mut n: libc::c_int = 0;
    // SAFETY: each request writes one int through the pointer, which is valid.
    let r = unsafe { libc::ioctl(stream.as_raw_fd(), request, &mut n) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n.max(0) as usize)
}

// The netlink messages of sock_diag (linux/inet_diag.h, linux/sock_diag.h).
const SOCK_DIAG_BY_FAMILY: u16 = 20;
const INET_DIAG_NOCOOKIE: u32 = !0;
/// The attribute that carries the socket's `struct tcp_info`.
const INET_DIAG_INFO: u16 = 2;
/// Where `tcpi_bytes_received` lies in `struct tcp_info` (linux/tcp.h):
/// every byte the socket has received, read or not.
const BYTES_RECEIVED_AT: usize = 128;

/// The state of a listening socket (`TCP_LISTEN`, include/net/tcp_states.h).
const TCP_LISTEN: u8 = 10;

/// `struct inet_diag_sockid`: one connection, by its ends. Ports and
/// addresses in network byte order.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct SockId {
    sport: [u8; 2],
    dport: [u8; 2],
    src: [u8; 16],
    dst: [u8; 16],
    interface: u32,
    cookie: [u32; 2],
}

/// `struct inet_diag_req_v2`, after its netlink header.
#[repr(C)]
#[derive(Clone, Copy)]
struct Request {
    header: libc::nlmsghdr,
    family: u8,
    protocol: u8,
    ext: u8,
    pad: u8,
    states: u32,
    id: SockId,
}

/// `struct inet_diag_msg`: the start of the kernel's answer.
#[repr(C)]
#[derive(Clone, Copy)]
struct Answer {
    family: u8,
    state: u8,
    timer: u8,
    retrans: u8,
    id: SockId,
    expires: u32,
    rqueue: u32,
    wqueue: u32,
    uid: u32,
    inode: u32,
}

/// The receive queue of the socket at the other end of `stream`, asked of
/// the kernel through `sock_diag`.
pub struct PeerQueue {
    netlink: OwnedFd,
    request: Request,
}

impl std::fmt::Debug for PeerQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeerQueue").finish_non_exhaustive()
    }
}

fn put(addr: IpAddr) -> [u8; 16] {
    let mut out = [0u8; 16];
    match addr {
        IpAddr::V4(a) => out[..4].copy_from_slice(&a.octets()),
        IpAddr::V6(a) => out = a.octets(),
    }
    out
}

impl PeerQueue {
    /// A probe for the peer of `stream`. The peer is found by its addresses,
    /// so it must be a socket of this machine's network (loopback); for any
    /// other, [`PeerQueue::waiting`] answers `None`.
    pub fn of(stream: &TcpStream) -> io::Result<PeerQueue> {
        PeerQueue::between(stream.local_addr()?, stream.peer_addr()?)
    }

    /// A probe for the socket at `peer` connected to `local`: the other end
    /// of our socket at `local`, by its addresses alone.
    pub fn between(local: SocketAddr, peer: SocketAddr) -> io::Result<PeerQueue> {
        // SAFETY: socket(2) with constant arguments; the descriptor is checked
        // and then owned.
        let fd = unsafe {
            libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
                libc::NETLINK_SOCK_DIAG,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fd is a fresh descriptor that nothing else owns.
        let netlink = unsafe { OwnedFd::from_raw_fd(fd) };
        // The peer's socket, seen from its side: its source is our peer
        // address, its destination our local one.
        let id = SockId {
            sport: peer.port().to_be_bytes(),
            dport: local.port().to_be_bytes(),
            src: put(peer.ip()),
            dst: put(local.ip()),
            interface: 0,
            cookie: [INET_DIAG_NOCOOKIE; 2],
        };
        let family = match peer {
            SocketAddr::V4(_) => libc::AF_INET,
            SocketAddr::V6(_) => libc::AF_INET6,
        };
        let request = Request {
            header: libc::nlmsghdr {
                nlmsg_len: size_of::<Request>() as u32,
                nlmsg_type: SOCK_DIAG_BY_FAMILY,
                nlmsg_flags: libc::NLM_F_REQUEST as u16,
                nlmsg_seq: 0,
                nlmsg_pid: 0,
            },
            family: family as u8,
            protocol: libc::IPPROTO_TCP as u8,
            // Ask for tcp_info too: how many bytes the peer has received.
            ext: 1 << (INET_DIAG_INFO - 1),
            pad: 0,
            // Every TCP state: the peer may have half-closed already.
            states: !0,
            id,
        };
        Ok(PeerQueue { netlink, request })
    }

    /// Bytes waiting in the peer's receive queue, or `None` when the kernel
    /// does not know the peer (not on this machine, or gone).
    pub fn waiting(&mut self) -> io::Result<Option<usize>> {
        Ok(self.ask()?.map(|p| p.unread))
    }

    /// The peer's receive side: what waits in its queue, and every byte it
    /// has received (when the kernel says). `None` when the kernel does not
    /// know the peer.
    pub fn ask(&mut self) -> io::Result<Option<PeerReceived>> {
        self.request.header.nlmsg_seq = self.request.header.nlmsg_seq.wrapping_add(1);
        let fd = self.netlink.as_raw_fd();
        // To the kernel (netlink address 0); one request, one answer.
        // SAFETY: a zeroed sockaddr_nl is the kernel's address; the request is
        // a plain repr(C) value of the length given.
        let sent = unsafe {
            let mut to: libc::sockaddr_nl = std::mem::zeroed();
            to.nl_family = libc::AF_NETLINK as u16;
            libc::sendto(
                fd,
                (&raw const self.request).cast(),
                size_of::<Request>(),
                0,
                (&raw const to).cast(),
                size_of::<libc::sockaddr_nl>() as u32,
            )
        };
        if sent < 0 {
            return Err(io::Error::last_os_error());
        }
        let mut buf = [0u64; 512];
        loop {
            // SAFETY: the buffer is valid for its length in bytes.
            let got = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), size_of_val(&buf), 0) };
            if got < 0 {
                let e = io::Error::last_os_error();
                // A signal (a child of ours ending) is no answer: wait on.
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            let got = got as usize;
            let header_len = size_of::<libc::nlmsghdr>();
            if got < header_len {
                return Ok(None);
            }
            // SAFETY: the buffer holds at least one header, and is aligned
            // for it (u64s).
            let header: libc::nlmsghdr = unsafe { std::ptr::read(buf.as_ptr().cast()) };
            if header.nlmsg_seq != self.request.header.nlmsg_seq {
                // The answer to an earlier request that was given up on.
                continue;
            }
            if header.nlmsg_type == SOCK_DIAG_BY_FAMILY && got >= header_len + size_of::<Answer>() {
                // SAFETY: checked above that the answer is there in full.
                let answer: Answer = unsafe {
                    std::ptr::read_unaligned(buf.as_ptr().cast::<u8>().add(header_len).cast())
                };
                // No connection by that name: the kernel's lookup falls back
                // to a socket listening on the port, which is not the peer.
                if answer.state == TCP_LISTEN {
                    return Ok(None);
                }
                // SAFETY: u64s seen as the bytes they are.
                let bytes: &[u8] =
                    unsafe { std::slice::from_raw_parts(buf.as_ptr().cast(), size_of_val(&buf)) };
                let end = (header.nlmsg_len as usize).min(got);
                let attrs = bytes
                    .get(header_len + size_of::<Answer>()..end)
                    .unwrap_or(&[]);
                return Ok(Some(PeerReceived {
                    unread: answer.rqueue as usize,
                    unsent: answer.wqueue as usize,
                    received: received_in(attrs),
                    // A socket no file refers to (inode 0) was closed by its
                    // process: what the kernel still keeps is its goodbye.
                    held: answer.inode != 0,
                }));
            }
            // NLMSG_ERROR: no such socket (ENOENT), or sock_diag refused.
            return Ok(None);
        }
    }
}

/// What a wait for the peer's read does when the peer has bytes in its own
/// send queue ([`PeerQueue::wait_read`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhileWriting {
    /// Return at once ([`PeerRead::Writing`]): a peer blocked writing to us
    /// reads once that write is done, and waiting would only hold it up.
    Return,
    /// Wait on: bytes in its send queue (a reply not yet acknowledged) are
    /// no sign that it has read ours.
    WaitOn,
}

/// How a wait for the peer to read what we wrote ended
/// ([`PeerQueue::wait_read`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerRead {
    /// It has received every byte written and read them all.
    Read,
    /// It is blocked writing to us: it reads once that write is done, and
    /// waiting for it would only hold its write up.
    Writing,
    /// The wait ran out, or was stopped.
    NotReading,
    /// It has closed: nothing to wait for.
    Gone,
}

impl PeerQueue {
    /// Wait until the peer has received the first `written` bytes we wrote
    /// to it through `ours` and read them all, at most until `end`, and not
    /// once `stop` says so; `writing` says what to do while the peer has
    /// bytes in its send queue. Asked often at first (a reader waiting in
    /// `read()` takes the bytes within microseconds), then every
    /// millisecond. An error: the kernel cannot be asked, and the caller's
    /// clock must pace instead.
    pub fn wait_read(
        &mut self,
        ours: &TcpStream,
        written: u64,
        end: std::time::Instant,
        writing: WhileWriting,
        stop: &dyn Fn() -> bool,
    ) -> io::Result<PeerRead> {
        use std::time::{Duration, Instant};
        let mut nap = Duration::from_micros(20);
        loop {
            let Some(peer) = self.ask()? else {
                return Ok(PeerRead::Gone);
            };
            let arrived = match peer.received {
                Some(n) => n >= written,
                // A kernel before 4.1: nothing left in our send queue.
                None => outq(ours)? == 0,
            };
            if arrived && peer.unread == 0 {
                return Ok(PeerRead::Read);
            }
            if peer.unsent > 0 && writing == WhileWriting::Return {
                return Ok(PeerRead::Writing);
            }
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() || stop() {
                return Ok(PeerRead::NotReading);
            }
            std::thread::sleep(nap.min(left));
            nap = (nap * 2).min(Duration::from_millis(1));
        }
    }
}

/// What the peer's side of the connection has received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerReceived {
    /// Bytes in its receive queue: arrived, not yet read.
    pub unread: usize,
    /// Bytes in its send queue: written, not yet taken by our side. A peer
    /// with bytes here is (or was just) blocked writing to us.
    pub unsent: usize,
    /// Every byte it has received, read or not (`tcpi_bytes_received`;
    /// `None` on kernels before 4.1).
    pub received: Option<u64>,
    /// A process still holds the socket: it has not closed it (a socket
    /// half-closed with `shutdown` is still held; one closed, lingering in
    /// `FIN_WAIT` or `TIME_WAIT`, is not).
    pub held: bool,
}

/// `tcpi_bytes_received` from the attributes after the answer: each is a
/// length (u16, header included), a type (u16) and a payload, 4-aligned.
fn received_in(mut attrs: &[u8]) -> Option<u64> {
    while attrs.len() >= 4 {
        let len = u16::from_ne_bytes([attrs[0], attrs[1]]) as usize;
        let kind = u16::from_ne_bytes([attrs[2], attrs[3]]);
        if len < 4 || len > attrs.len() {
            return None;
        }
        if kind == INET_DIAG_INFO {
            let at = 4 + BYTES_RECEIVED_AT;
            let field = attrs.get(at..at + 8).filter(|_| len >= at + 8)?;
            return Some(u64::from_ne_bytes(field.try_into().ok()?));
        }
        attrs = attrs.get(len.next_multiple_of(4)..).unwrap_or(&[]);
    }
    None
}

#[cfg(test)]
mod tests;
