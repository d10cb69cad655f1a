//! A traced program's socket calls, recorded as they happen: each read with
//! what it asked for, what waited in its socket's queue just before it, and
//! what it got; each write with what it gave and what the call took; each
//! connect, shutdown and close.
//!
//! The filter stops the program at each such call's entry (whatever its
//! descriptor: a read of a file stops too, and is let go at once, not
//! recorded). At the entry of a call on a TCP socket, the socket is copied
//! here and its receive queue asked; the program then runs the call and
//! stops again as it returns, where the result and the bytes are read from
//! its memory (`process_vm_readv`, copied once, at most [`KEPT_IN_ALL`] for
//! the whole program).

use std::net::SocketAddr;

/// The most bytes kept of all the calls of one program: past it, calls are
/// recorded without their bytes.
pub const KEPT_IN_ALL: usize = 64 * 1024 * 1024;

/// What a socket call does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// `connect`.
    Connect,
    /// `read`, `recv`, `recvfrom`, `readv`, `recvmsg`: asking for `asked`
    /// bytes, with `queued` waiting in the socket just before the call
    /// (`None`: the kernel could not be asked).
    Read {
        /// The buffer's size: the most it could return.
        asked: usize,
        /// Bytes waiting in the receive queue as the call began.
        queued: Option<usize>,
        /// `MSG_PEEK`: the bytes were copied, and left in the queue.
        peek: bool,
        /// `MSG_TRUNC`: on TCP, the bytes were taken and thrown away.
        thrown: bool,
    },
    /// `write`, `send`, `sendto`, `writev`, `sendmsg`, giving `asked` bytes.
    Write {
        /// The bytes given to the call (it may take fewer).
        asked: usize,
    },
    /// `shutdown`, with its `how` (`SHUT_RD`, `SHUT_WR`, `SHUT_RDWR`).
    Shutdown {
        /// Which side.
        how: i32,
    },
    /// `sendfile` or `splice`: bytes moved to or from the socket by the
    /// kernel, never through the program's memory (`to_socket`: a write).
    Moved {
        /// Toward the socket (a write), or from it (a read).
        to_socket: bool,
    },
    /// `bind`; `loopback`: the program asked for any address (INADDR_ANY,
    /// `::`), and a held program's call was given the loopback address
    /// instead (see [`super::Traced::spawn_held`]).
    Bind {
        /// Any address became loopback.
        loopback: bool,
    },
    /// `listen`, with its backlog.
    Listen {
        /// The backlog asked for.
        backlog: i32,
    },
    /// `accept`, `accept4`: the new connection's descriptor is its result,
    /// and its ends the call's.
    Accept,
    /// `close`, or the socket let go of another way (an exit, an exec, a
    /// `dup2` over it), with the bytes it had left unread.
    Close {
        /// Bytes still in its receive queue: never read.
        unread: usize,
    },
}

/// One socket call of a traced program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The process (or thread) that made it.
    pub pid: i32,
    /// The call's name as the program made it: `read`, `recvfrom`, …
    pub name: &'static str,
    /// The descriptor.
    pub fd: i32,
    /// The connection: the program's end and the other (unknown for a
    /// connect that failed, or a socket not yet connected).
    pub ends: Option<(SocketAddr, SocketAddr)>,
    /// What it did.
    pub verb: Verb,
    /// What it returned: a count of bytes (0 for calls that return none),
    /// or the error (`errno`).
    pub result: Result<usize, i32>,
    /// False for a call the program was still in when it ended (a read
    /// that waits for bytes that never come): `result` means nothing then.
    pub returned: bool,
    /// The bytes it read or wrote (none once [`KEPT_IN_ALL`] are kept, and
    /// none for [`Verb::Moved`]), so fewer than `result` says then.
    pub bytes: Vec<u8>,
}

/// The calls recorded, by their name and what they do (`None`: a call the
/// recorder stops only to let go of what it closes).
pub(super) fn verb_of(name: &str) -> Option<fn(usize) -> Verb> {
    match name {
        "read" | "recvfrom" | "readv" | "recvmsg" => Some(|asked| Verb::Read {
            asked,
            queued: None,
            peek: false,
            thrown: false,
        }),
        "write" | "sendto" | "writev" | "sendmsg" => Some(|asked| Verb::Write { asked }),
        "connect" => Some(|_| Verb::Connect),
        "bind" => Some(|_| Verb::Bind { loopback: false }),
        "listen" => Some(|_| Verb::Listen { backlog: 0 }),
        "accept" | "accept4" => Some(|_| Verb::Accept),
        "shutdown" => Some(|_| Verb::Shutdown { how: 0 }),
        "sendfile" => Some(|_| Verb::Moved { to_socket: true }),
        "splice" => Some(|_| Verb::Moved { to_socket: false }),
        _ => None,
    }
}

/// Where a call's bytes are in the program's memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Buffer {
    /// One buffer: its address and size.
    Plain(u64, u64),
    /// An array of `struct iovec`: its address and count.
    Vector(u64, u64),
    /// A `struct msghdr` (its `msg_iov` and `msg_iovlen`).
    Message(u64),
    /// None.
    Nothing,
}

impl Buffer {
    /// The buffer of the call `name`, from its arguments.
    pub(super) fn of(name: &str, args: &[u64; 6]) -> Buffer {
        match name {
            "read" | "recvfrom" | "write" | "sendto" => Buffer::Plain(args[1], args[2]),
            "readv" | "writev" => Buffer::Vector(args[1], args[2]),
            "recvmsg" | "sendmsg" => Buffer::Message(args[1]),
            _ => Buffer::Nothing,
        }
    }

    /// The regions of the buffer (address, size), read from `pid`'s memory
    /// where they are listed there (at most 64 of them).
    fn regions(self, pid: i32) -> Vec<(u64, u64)> {
        let vector = |at: u64, count: u64| -> Vec<(u64, u64)> {
            let count = count.min(64) as usize;
            let mut raw = vec![0u8; count * 16];
            if read_memory(pid, &[(at, raw.len() as u64)], &mut raw) != raw.len() {
                return Vec::new();
            }
            raw.chunks_exact(16)
                .map(|c| {
                    let word = |w: &[u8]| u64::from_ne_bytes(w.try_into().unwrap_or([0; 8]));
                    (word(&c[..8]), word(&c[8..]))
                })
                .collect()
        };
        match self {
            Buffer::Plain(at, size) => vec![(at, size)],
            Buffer::Vector(at, count) => vector(at, count),
            Buffer::Message(at) => {
                // struct msghdr: name (8), namelen (4, padded to 8), iov (8),
                // iovlen (8), … on 64-bit Linux.
                let mut raw = [0u8; 32];
                if read_memory(pid, &[(at, 32)], &mut raw) != 32 {
                    return Vec::new();
                }
                let word = |w: &[u8]| u64::from_ne_bytes(w.try_into().unwrap_or([0; 8]));
                vector(word(&raw[16..24]), word(&raw[24..32]))
            }
            Buffer::Nothing => Vec::new(),
        }
    }

    /// The size of the whole buffer: what a read asks for, a write gives.
    pub(super) fn size(self, pid: i32) -> usize {
        self.regions(pid)
            .iter()
            .map(|&(_, n)| n as usize)
            .fold(0usize, usize::saturating_add)
    }

    /// The first `n` bytes of the buffer, from `pid`'s memory.
    pub(super) fn bytes(self, pid: i32, n: usize) -> Vec<u8> {
        let mut want = n as u64;
        let mut regions = Vec::new();
        for (at, size) in self.regions(pid) {
            if want == 0 {
                break;
            }
            let take = size.min(want);
            regions.push((at, take));
            want -= take;
        }
        let total: u64 = regions.iter().map(|&(_, n)| n).sum();
        let mut out = vec![0u8; total as usize];
        let got = read_memory(pid, &regions, &mut out);
        out.truncate(got);
        out
    }
}

/// Where a `bind` of `pid` asks for any address (`INADDR_ANY`, `::`) in
/// its `struct sockaddr` at `at` (`len` bytes), write the loopback address
/// over it (`127.0.0.1`, `::1`): true if it did.
pub(super) fn bind_loopback(pid: i32, at: u64, len: u64) -> bool {
    let mut head = [0u8; 24];
    let n = (len as usize).min(head.len());
    if read_memory(pid, &[(at, n as u64)], &mut head[..n]) != n || n < 8 {
        return false;
    }
    let family = u16::from_ne_bytes([head[0], head[1]]) as i32;
    let (offset, any, loopback): (u64, &[u8], &[u8]) = match family {
        // sockaddr_in: family (2), port (2), address (4).
        libc::AF_INET if n >= 8 => (4, &[0; 4], &[127, 0, 0, 1]),
        // sockaddr_in6: family, port, flowinfo (4), address (16).
        libc::AF_INET6 if n >= 24 => (8, &[0; 16], &{
            let mut one = [0u8; 16];
            one[15] = 1;
            one
        }),
        _ => return false,
    };
    let start = offset as usize;
    if &head[start..start + any.len()] != any {
        return false;
    }
    write_memory(pid, at + offset, loopback)
}

/// Write `bytes` into `pid`'s memory at `at`: whether all of them went.
fn write_memory(pid: i32, at: u64, bytes: &[u8]) -> bool {
    let local = libc::iovec {
        iov_base: bytes.as_ptr() as *mut libc::c_void,
        iov_len: bytes.len(),
    };
    let remote = libc::iovec {
        iov_base: at as usize as *mut libc::c_void,
        iov_len: bytes.len(),
    };
    // SAFETY: our iovec covers `bytes`, which lives through the call; the
    // remote one is the program's address, checked by the kernel.
    let wrote = unsafe { libc::process_vm_writev(pid, &local, 1, &remote, 1, 0) };
    wrote == bytes.len() as isize
}

/// Copy `regions` of `pid`'s memory into `out`, in order: how many bytes came.
fn read_memory(pid: i32, regions: &[(u64, u64)], out: &mut [u8]) -> usize {
    if out.is_empty() || regions.is_empty() {
        return 0;
    }
    let remote: Vec<libc::iovec> = regions
        .iter()
        .map(|&(at, n)| libc::iovec {
            iov_base: at as usize as *mut libc::c_void,
            iov_len: n as usize,
        })
        .collect();
    let local = libc::iovec {
        iov_base: out.as_mut_ptr().cast(),
        iov_len: out.len(),
    };
    // SAFETY: our one iovec covers `out`, which lives through the call; the
    // remote ones are the program's addresses, checked by the kernel.
    let got = unsafe {
        libc::process_vm_readv(
            pid,
            &local,
            1,
            remote.as_ptr(),
            remote.len() as libc::c_ulong,
            0,
        )
    };
    got.max(0) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_own_memory_is_read_back_through_each_kind_of_buffer() {
        // SAFETY: getpid cannot fail.
        let me = unsafe { libc::getpid() };
        let data = b"hello, class".to_vec();
        let at = data.as_ptr() as u64;
        let plain = Buffer::Plain(at, data.len() as u64);
        assert_eq!(plain.size(me), 12);
        assert_eq!(plain.bytes(me, 5), b"hello");
        // Two regions in an iovec array: read in order, the size their sum.
        let iov = [
            libc::iovec {
                iov_base: data.as_ptr() as *mut libc::c_void,
                iov_len: 5,
            },
            libc::iovec {
                iov_base: data[7..].as_ptr() as *mut libc::c_void,
                iov_len: 5,
            },
        ];
        let vector = Buffer::Vector(iov.as_ptr() as u64, 2);
        assert_eq!(vector.size(me), 10);
        assert_eq!(vector.bytes(me, 10), b"helloclass");
        assert_eq!(vector.bytes(me, 7), b"hellocl");
        // SAFETY: a zeroed msghdr is valid; its iov points at ours.
        let mut message: libc::msghdr = unsafe { std::mem::zeroed() };
        message.msg_iov = iov.as_ptr() as *mut libc::iovec;
        message.msg_iovlen = 2;
        let message = Buffer::Message(&message as *const libc::msghdr as u64);
        assert_eq!(message.bytes(me, 100), b"helloclass");
        // Never more than the buffer holds, whatever was asked.
        assert_eq!(plain.bytes(me, 100), b"hello, class");
        assert!(Buffer::Nothing.bytes(me, 10).is_empty());
    }
}
