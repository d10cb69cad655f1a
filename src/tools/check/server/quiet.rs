//! A server's reply read until the server has been quiet for a while: the
//! baseline's way to find where a reply ends without knowing its protocol.

use std::io::{self, Read};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use super::MAX_REPLIES;

/// What one reply read until a quiet moment was: its bytes, whether the
/// stream ended, and the longest silence between its bytes.
pub(super) struct Quiet {
    pub(super) bytes: Vec<u8>,
    pub(super) ended: bool,
    pub(super) gap: Duration,
    /// From the start of the read to the reply's last byte.
    pub(super) took: Duration,
}

/// Read what arrives until the server has been quiet for `quiet`, or the
/// end of the stream.
pub(super) fn read_quiet(s: &mut TcpStream, limit: Duration, quiet: Duration) -> io::Result<Quiet> {
    let mut got = Quiet {
        bytes: Vec::new(),
        ended: false,
        gap: Duration::ZERO,
        took: Duration::ZERO,
    };
    let mut buf = vec![0u8; 65536];
    let started = Instant::now();
    let mut last = started;
    loop {
        // Before the first byte, as long as a reply may take; after it, a
        // moment of quiet ends the reply.
        let wait = match got.bytes.is_empty() {
            true => limit
                .saturating_sub(started.elapsed())
                .max(Duration::from_millis(1)),
            false => quiet,
        };
        s.set_read_timeout(Some(wait))?;
        match s.read(&mut buf) {
            Ok(0) => {
                got.ended = true;
                return Ok(got);
            }
            Ok(n) => {
                if !got.bytes.is_empty() {
                    got.gap = got.gap.max(last.elapsed());
                }
                last = Instant::now();
                got.took = started.elapsed();
                got.bytes.extend_from_slice(&buf[..n]);
                if got.bytes.len() > MAX_REPLIES {
                    return Err(io::Error::other("the replies passed 16 MiB"));
                }
            }
            Err(e) if crate::event::is_timeout(&e) => return Ok(got),
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => {
                got.ended = true;
                return Ok(got);
            }
            Err(e) => return Err(e),
        }
    }
}
