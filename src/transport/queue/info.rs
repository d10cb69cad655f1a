//! What the kernel's `TCP_INFO` says of a socket: a listener's accept queue,
//! a connection's segments and bytes.
//!
//! `getsockopt(TCP_INFO)` fills a `struct tcp_info` (linux/tcp.h). On a
//! connection it counts what TCP did: segments sent, bytes received, the
//! largest segment (MSS). On a listening socket two of its fields mean
//! something else: `tcpi_unacked` is the number of connections waiting in
//! the accept queue and `tcpi_sacked` the most it takes (what `ss -lt`
//! shows as Recv-Q and Send-Q).

use std::io;
use std::mem::{offset_of, size_of};
use std::os::fd::AsRawFd;

use serde::Serialize;

/// The socket's `tcp_info`, and how many of its bytes the kernel filled (an
/// older kernel fills fewer: its fields past that are zero and unknown).
fn tcp_info(socket: &impl AsRawFd) -> io::Result<(libc::tcp_info, usize)> {
    // SAFETY: a zeroed tcp_info is valid (integers only).
    let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
    let mut len = size_of::<libc::tcp_info>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into `info`.
    let r = unsafe {
        libc::getsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            (&raw mut info).cast(),
            &mut len,
        )
    };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((info, len as usize))
}

/// A listening socket's accept queue (the chapter's listen queue):
/// connections whose handshake is done, waiting for `accept()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ListenQueue {
    /// Connections waiting now.
    pub waiting: u32,
    /// The backlog `listen()` was given, as the kernel holds it. Linux lets
    /// one more than this wait: a new handshake is dropped only once
    /// `waiting` is over `backlog`.
    pub backlog: u32,
}

/// The accept queue of `listener`, as the kernel counts it now.
pub fn listen_queue(listener: &impl AsRawFd) -> io::Result<ListenQueue> {
    let (info, _) = tcp_info(listener)?;
    if info.tcpi_state != super::TCP_LISTEN {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a listening socket",
        ));
    }
    Ok(ListenQueue {
        waiting: info.tcpi_unacked,
        backlog: info.tcpi_sacked,
    })
}

/// `TCP_CLOSE`: a connection ended by a reset (or never made).
const TCP_CLOSE: u8 = 7;

/// True when `stream`'s connection is over in its kernel (`TCP_CLOSE`: a
/// reset ended it): its send queue was thrown away.
pub fn closed(stream: &impl AsRawFd) -> bool {
    tcp_info(stream).is_ok_and(|(info, _)| info.tcpi_state == TCP_CLOSE)
}

/// What a connection's kernel has sent so far, in segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentsOut {
    /// Segments that carried data (`tcpi_data_segs_out`), retransmissions
    /// included; a bare ACK or FIN is not one.
    pub data: u32,
    /// The most bytes one segment may carry now (`tcpi_snd_mss`).
    pub mss: u32,
}

/// The data segments `stream`'s kernel has sent, or `None` on a kernel too
/// old to count them (before 4.6).
pub fn segments_out(stream: &impl AsRawFd) -> io::Result<Option<SegmentsOut>> {
    let (info, len) = tcp_info(stream)?;
    let enough = offset_of!(libc::tcp_info, tcpi_data_segs_out) + size_of::<u32>();
    Ok((len >= enough).then_some(SegmentsOut {
        data: info.tcpi_data_segs_out,
        mss: info.tcpi_snd_mss,
    }))
}

/// Every byte `stream` has received, read or not (`tcpi_bytes_received`),
/// or `None` on a kernel too old to say (before 4.1).
pub fn bytes_received(stream: &impl AsRawFd) -> io::Result<Option<u64>> {
    let (info, len) = tcp_info(stream)?;
    let enough = offset_of!(libc::tcp_info, tcpi_bytes_received) + size_of::<u64>();
    Ok((len >= enough).then_some(info.tcpi_bytes_received))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::{TcpListener, TcpStream};

    #[test]
    fn a_listener_counts_the_connections_it_has_not_accepted() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        assert_eq!(listen_queue(&listener).unwrap().waiting, 0);
        let _a = TcpStream::connect(addr).unwrap();
        let _b = TcpStream::connect(addr).unwrap();
        // On loopback the handshake is done when connect returns.
        assert_eq!(listen_queue(&listener).unwrap().waiting, 2);
        let _c = listener.accept().unwrap();
        assert_eq!(listen_queue(&listener).unwrap().waiting, 1);
        assert!(listen_queue(&_a).is_err(), "a connection is no listener");
    }

    #[test]
    fn a_listener_says_its_backlog() {
        let socket =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        socket
            .bind(
                &"127.0.0.1:0"
                    .parse::<std::net::SocketAddr>()
                    .unwrap()
                    .into(),
            )
            .unwrap();
        socket.listen(3).unwrap();
        assert_eq!(listen_queue(&socket).unwrap().backlog, 3);
    }

    #[test]
    fn a_write_is_counted_in_segments_and_bytes() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        client.set_nodelay(true).unwrap();
        let before = segments_out(&client).unwrap().unwrap();
        client.write_all(b"hello").unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while bytes_received(&server).unwrap() != Some(5) {
            assert!(
                std::time::Instant::now() < deadline,
                "5 bytes never arrived"
            );
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let after = segments_out(&client).unwrap().unwrap();
        assert_eq!(after.data - before.data, 1);
        assert!(after.mss > 5);
    }
}
