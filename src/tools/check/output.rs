//! What a program under check printed: each stream alone, and both in the
//! order they came, the tail of it kept.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use super::KEPT_OUTPUT;

/// Which stream a part of output came on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Pipe {
    Out,
    Err,
}

/// What a client printed: each stream alone, and both in the order the
/// parts arrived (as far as the operating system tells: two pipes read in
/// one loop).
#[derive(Debug, Default)]
pub(super) struct Output {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub both: Vec<(Pipe, Vec<u8>)>,
}

impl Output {
    fn keep(&mut self, stream: Pipe, bytes: &[u8]) {
        let kept = match stream {
            Pipe::Out => &mut self.stdout,
            Pipe::Err => &mut self.stderr,
        };
        kept.extend_from_slice(bytes);
        if kept.len() > 2 * KEPT_OUTPUT {
            kept.drain(..kept.len() - KEPT_OUTPUT);
        }
        match self.both.last_mut() {
            Some((s, b)) if *s == stream => b.extend_from_slice(bytes),
            _ => self.both.push((stream, bytes.to_vec())),
        }
        // The tail only: drop the oldest parts once there is twice enough.
        let total: usize = self.both.iter().map(|(_, b)| b.len()).sum();
        if total > 2 * KEPT_OUTPUT {
            let mut over = total - KEPT_OUTPUT;
            while over > 0 && !self.both.is_empty() {
                let first = &mut self.both[0].1;
                if first.len() <= over {
                    over -= first.len();
                    self.both.remove(0);
                } else {
                    first.drain(..over);
                    over = 0;
                }
            }
        }
    }
}

/// Read both streams in one loop until both end or `stop` is set.
pub(super) fn read_output(
    out: OwnedFd,
    err: OwnedFd,
    stop: Arc<AtomicBool>,
) -> thread::JoinHandle<Output> {
    thread::spawn(move || {
        let mut kept = Output::default();
        let mut open = [Some((out, Pipe::Out)), Some((err, Pipe::Err))];
        let mut buf = [0u8; 8192];
        while open.iter().any(Option::is_some) && !stop.load(Ordering::SeqCst) {
            let mut fds: Vec<libc::pollfd> = open
                .iter()
                .flatten()
                .map(|(fd, _)| libc::pollfd {
                    fd: fd.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                })
                .collect();
            // SAFETY: fds is a valid array of its length.
            let ready = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, 50) };
            if ready < 0 {
                if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                break;
            }
            for pfd in fds.iter().filter(|p| p.revents != 0) {
                let slot = open
                    .iter_mut()
                    .find(|s| s.as_ref().is_some_and(|(fd, _)| fd.as_raw_fd() == pfd.fd))
                    .expect("polled descriptors are open");
                let stream = slot.as_ref().map(|(_, s)| *s).expect("open");
                // SAFETY: the buffer is valid for its length.
                let n = unsafe { libc::read(pfd.fd, buf.as_mut_ptr().cast(), buf.len()) };
                match n {
                    // End of the stream; a terminal whose other side closed
                    // says EIO.
                    0 => *slot = None,
                    n if n < 0 => {
                        if io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
                            *slot = None;
                        }
                    }
                    n => kept.keep(stream, &buf[..n as usize]),
                }
            }
        }
        kept
    })
}
