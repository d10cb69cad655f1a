//! A traced program's sockets, copied here and asked, while it is held.

use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use super::{LetGo, canonical};
use crate::transport::queue::{bytes_received, inq};

/// Every open descriptor of `pid`.
pub(super) fn every_fd(pid: i32) -> Vec<i32> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect()
}

/// Whether descriptor `n` of `pid` is marked close-on-exec (`O_CLOEXEC` in
/// the flags `/proc/PID/fdinfo/N` gives, in octal).
pub(super) fn close_on_exec(pid: i32, n: i32) -> bool {
    let Ok(info) = std::fs::read_to_string(format!("/proc/{pid}/fdinfo/{n}")) else {
        return false;
    };
    info.lines()
        .find_map(|l| l.strip_prefix("flags:"))
        .and_then(|f| i64::from_str_radix(f.trim(), 8).ok())
        .is_some_and(|flags| flags & libc::O_CLOEXEC as i64 != 0)
}

/// Whether descriptor `n` of `pid` is a socket (its link reads
/// `socket:[INODE]`): most descriptors a program reads or closes are files,
/// not worth copying.
pub(super) fn is_socket(pid: i32, n: i32) -> bool {
    std::fs::read_link(format!("/proc/{pid}/fd/{n}"))
        .is_ok_and(|l| l.as_os_str().as_encoded_bytes().starts_with(b"socket:"))
}

/// The TCP sockets among descriptors `fds` of `pid`, each measured now.
pub(super) fn sockets_of(pid: i32, fds: impl Iterator<Item = i32>) -> Vec<LetGo> {
    let sockets: Vec<i32> = fds.filter(|&n| is_socket(pid, n)).collect();
    if sockets.is_empty() {
        return Vec::new();
    }
    let Some(process) = pidfd(pid) else {
        return Vec::new();
    };
    sockets
        .into_iter()
        .filter_map(|n| measure(&process, n))
        .collect()
}

/// The socket at descriptor `n` of `pid`, copied here (our copy closes
/// when dropped; the program's own descriptor is untouched). `None` when it
/// is not a socket, or is gone.
pub(super) fn copy(pid: i32, n: i32) -> Option<TcpStream> {
    let process = pidfd(pid)?;
    copy_from(&process, n)
}

fn copy_from(process: &OwnedFd, n: i32) -> Option<TcpStream> {
    // SAFETY: pidfd_getfd returns a new descriptor we then own, or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_getfd, process.as_raw_fd(), n, 0) };
    // SAFETY: a descriptor just made, owned by nobody else. A TcpStream of
    // something that is not a TCP socket fails every ask made of it.
    (fd >= 0).then(|| TcpStream::from(unsafe { OwnedFd::from_raw_fd(fd as i32) }))
}

/// A socket's two ends, ours and the other. `::ffff:127.0.0.1` is
/// 127.0.0.1: an IPv6 socket (Java's default) reaching an IPv4 one is named
/// as the other end names it. `None`: not a connected TCP socket.
pub(super) fn ends(socket: &TcpStream) -> Option<(SocketAddr, SocketAddr)> {
    Some((
        canonical(socket.local_addr().ok()?),
        canonical(socket.peer_addr().ok()?),
    ))
}

/// A pidfd of the process `tid` belongs to (a thread's descriptors are its
/// process's).
pub(super) fn pidfd(tid: i32) -> Option<OwnedFd> {
    let tgid = process_of(tid)?;
    // SAFETY: pidfd_open returns a new descriptor we then own, or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, tgid, 0) };
    // SAFETY: a descriptor just opened, owned by nobody else.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// The process (thread group) thread `tid` belongs to.
pub(super) fn process_of(tid: i32) -> Option<i32> {
    status_field(tid, "Tgid:")
}

/// A number from `/proc/TID/status`.
pub(super) fn status_field(tid: i32, field: &str) -> Option<i32> {
    let status = std::fs::read_to_string(format!("/proc/{tid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))?
        .trim()
        .parse()
        .ok()
}

/// The socket at descriptor `n` of `process`, copied here and asked, then
/// closed again (the program's own descriptor is untouched). `None` for
/// anything but a connected TCP socket.
fn measure(process: &OwnedFd, n: i32) -> Option<LetGo> {
    let socket = copy_from(process, n)?;
    let (local, peer) = ends(&socket)?;
    let received = bytes_received(&socket).ok()??;
    let unread = inq(&socket).ok()?;
    Some(LetGo {
        fd: n,
        local,
        peer,
        received,
        unread,
    })
}
