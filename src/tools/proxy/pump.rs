//! One connection through the proxy: two pumps, one per direction, each
//! reading from one socket and writing to the other with the direction's shape.

use std::io::{self, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread;
use std::time::{Duration, Instant};

use super::activity::Leg;
use super::log::Log;
use super::paced::Paced;
use super::{Link, Shared};
use crate::event::{ErrorKind, describe_io, is_timeout};
use crate::event::{Side, What};
use crate::lang::Msg;
use crate::shape::Shape;
use crate::shape::fragment::Fragmenter;
use crate::transport::Transport;
use crate::transport::net::abort_on_close;
use crate::transport::queue::PeerQueue;

/// What one read may take: 64 KiB, so that a fast stream costs few calls
/// (and few rows of the log) and a connection a fixed amount of memory.
pub const READ_BUFFER: usize = 64 << 10;

/// One direction's memory, taken before its connection is served: the read
/// buffer, and room for what a read delay gathers (none without one). Only
/// reserved: a page is the process's once a read has written to it, so an
/// idle connection holds next to none of it.
pub(super) struct Buffers {
    read: Vec<u8>,
    gathered: Vec<u8>,
}

impl Buffers {
    /// The buffers `shape` needs, or the allocation's failure (the
    /// connection is then refused, not the process aborted).
    pub(super) fn for_shape(shape: &Shape) -> Result<Buffers, std::collections::TryReserveError> {
        let mut read = Vec::new();
        read.try_reserve_exact(READ_BUFFER)?;
        let mut gathered = Vec::new();
        if !shape.read_delay.is_zero() {
            // A gathering goes on while it holds less than MAX_GATHER, and
            // its last read adds at most READ_BUFFER.
            gathered.try_reserve_exact(super::MAX_GATHER + READ_BUFFER)?;
        }
        Ok(Buffers { read, gathered })
    }
}

/// The longest the split shape waits for the first part to be read.
const SPLIT_WAIT: Duration = Duration::from_millis(250);

pub(super) fn size_buffers(
    s: &TcpStream,
    send: Option<usize>,
    recv: Option<usize>,
) -> io::Result<()> {
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

pub(super) fn serve_link(
    n: usize,
    link: &Arc<Link>,
    shared: &Arc<Shared>,
    (down, up): (Buffers, Buffers),
) {
    let up = {
        let (link, shared) = (link.clone(), shared.clone());
        thread::Builder::new()
            .stack_size(super::PUMP_STACK)
            .spawn(move || pump(n, Dir::Up, &link, &shared, up))
    };
    let up = match up {
        Ok(up) => up,
        // No thread for the other direction: the connection is refused as
        // one with no thread at all is.
        Err(e) => {
            let peer = link
                .client
                .peer_addr()
                .map_or_else(|_| "?".to_string(), |a| a.to_string());
            // A console that fails is no reason to stop.
            let _ = writeln!(
                io::stderr(),
                "connection {n} from {peer} refused: no thread could be started for it ({e})"
            );
            let said = Msg::new("proxy-no-thread").arg("error", e.to_string());
            shared.log.note(Side::Downstream(n), said, true);
            link.shut();
            return;
        }
    };
    pump(n, Dir::Down, link, shared, down);
    let _ = up.join();
    shared
        .log
        .note(Side::Downstream(n), Msg::new("proxy-closed"), false);
}

/// Copy one direction of a connection, reshaped. Every read and write is one
/// system call and one row of the timeline.
fn pump(n: usize, dir: Dir, link: &Link, shared: &Shared, buffers: Buffers) {
    let (src, dst, shape, src_side, dst_side, leg_in, leg_out) = match dir {
        Dir::Up => (
            &link.client,
            &link.server,
            shared.config.upstream,
            Side::Downstream(n),
            Side::Upstream(n),
            Leg::FromClient,
            Leg::ToServer,
        ),
        Dir::Down => (
            &link.server,
            &link.client,
            shared.config.downstream,
            Side::Upstream(n),
            Side::Downstream(n),
            Leg::FromServer,
            Leg::ToClient,
        ),
    };
    let log = &shared.log;
    let activity = &shared.activity;
    // Paced by the reader: the receiver's queue, asked through the kernel.
    // A receiver the kernel does not know (not on this machine) is paced by
    // the clock.
    let mut probe = match shared.config.paced_by_reader {
        true => PeerQueue::of(dst)
            .ok()
            .and_then(|mut p| matches!(p.ask(), Ok(Some(_))).then_some(p)),
        false => None,
    };
    let mut patience = shared.config.patience;
    let stall = shape.stall;
    let mut fragmenter = Fragmenter::new(shape.plan);
    let Buffers {
        read: mut buf,
        mut gathered,
    } = buffers;
    // Without a read delay each read is passed on as it is, from `buf`.
    let gathering = !shape.read_delay.is_zero();
    let limit = shape.ends_after();
    let mut forwarded: u64 = 0;
    // Bytes read so far in this direction: where the next read starts.
    let mut received: u64 = 0;
    // The client's byte count when the last reply was stalled.
    let mut stalled_at: Option<u64> = None;
    loop {
        // One read: what has arrived, as the kernel hands it over.
        let mut eof = match read_logged(src, &mut buf, src_side, log, &mut received) {
            Ok(0) => true,
            Ok(k) => {
                activity.moved(leg_in, k);
                if let Dir::Up = dir {
                    link.from_client.fetch_add(k as u64, Ordering::SeqCst);
                }
                if gathering {
                    gathered.extend_from_slice(&buf);
                }
                false
            }
            Err(_) => {
                link.shut();
                return;
            }
        };
        if gathering && !eof {
            // A late reader: keep reading until the delay after the first byte
            // has passed, so separate writes go on as one; at most
            // MAX_GATHER bytes, then they go on at once.
            let deadline = Instant::now() + shape.read_delay;
            while gathered.len() < super::MAX_GATHER {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() || src.set_read_timeout(Some(left)).is_err() {
                    break;
                }
                match read_logged(src, &mut buf, src_side, log, &mut received) {
                    Ok(0) => {
                        eof = true;
                        break;
                    }
                    Ok(k) => {
                        activity.moved(leg_in, k);
                        if let Dir::Up = dir {
                            link.from_client.fetch_add(k as u64, Ordering::SeqCst);
                        }
                        gathered.extend_from_slice(&buf);
                    }
                    Err(e) if is_timeout(&e) => break,
                    Err(_) => {
                        link.shut();
                        return;
                    }
                }
            }
            let _ = src.set_read_timeout(None);
        }
        let pending: &[u8] = if gathering { &gathered } else { &buf };
        let room = limit.map_or(pending.len(), |l| {
            (l - forwarded).min(pending.len() as u64) as usize
        });
        let mut out = Paced {
            stream: dst,
            stop: &shared.stop,
            log,
            side: dst_side,
            at: forwarded,
            activity,
            leg: leg_out,
            probe: &mut probe,
            patience: &mut patience,
            delivery: match dir {
                Dir::Down => link.delivery.as_deref(),
                Dir::Up => None,
            },
        };
        // Stalled: the first half goes now; once the reader has read it, a
        // real silence of the whole hold; then the rest. A reader that takes
        // a quiet moment for the end of a reply gets half of it. One stall
        // per reply: the first buffer after the client last sent something
        // (a large reply comes in many buffers), what it sent during the
        // stall counted as the same request (a large request is still on its
        // way when the first of its echo is held).
        let mut now = &pending[..room];
        let asked = link.from_client.load(Ordering::SeqCst);
        if let Some(hold) = stall.filter(|_| room > 1 && stalled_at != Some(asked)) {
            let (first, rest) = now.split_at(room.div_ceil(2));
            if fragmenter.write(&mut out, first, |_| {}).is_err() {
                link.shut();
                return;
            }
            out.pause(hold);
            out.silence(hold);
            stalled_at = Some(link.from_client.load(Ordering::SeqCst));
            now = rest;
        }
        // Split once: the first part, a pause until it is read, the rest.
        if let Some(k) = shape.split_at.filter(|&k| k > 0 && k < now.len()) {
            let (first, rest) = now.split_at(k);
            if fragmenter.write(&mut out, first, |_| {}).is_err() {
                link.shut();
                return;
            }
            out.pause(SPLIT_WAIT);
            now = rest;
        }
        // Each write is logged by `out` itself (a failed one as an error row).
        if fragmenter.write(&mut out, now, |_| {}).is_err() {
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
pub(super) fn error_of(e: &io::Error) -> What {
    What::Error {
        error: ErrorKind::of(e),
        message: describe_io(e),
        call: None,
    }
}

/// One read of `src` into `buf`'s reserved room (its capacity): `buf` then
/// holds what the read returned, and only the pages the kernel wrote to are
/// the process's.
fn read_reserved(src: &TcpStream, buf: &mut Vec<u8>) -> io::Result<usize> {
    use std::os::fd::AsRawFd;
    buf.clear();
    let room = buf.spare_capacity_mut();
    loop {
        // SAFETY: `room` is valid for writes of its length, and recv writes
        // at most that many bytes.
        let got = unsafe { libc::recv(src.as_raw_fd(), room.as_mut_ptr().cast(), room.len(), 0) };
        if got >= 0 {
            // SAFETY: recv initialised the first `got` bytes.
            unsafe { buf.set_len(got as usize) };
            return Ok(got as usize);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

fn read_logged(
    src: &TcpStream,
    buf: &mut Vec<u8>,
    side: Side,
    log: &Log,
    received: &mut u64,
) -> io::Result<usize> {
    let asked = buf.capacity();
    // What already waits in the kernel as the call begins (the read may then
    // wait for more).
    let queued = crate::transport::queue::inq(src).ok();
    match read_reserved(src, buf) {
        Ok(0) => {
            log.row(side, What::Eof, false);
            Ok(0)
        }
        Ok(k) => {
            log.call(side, Some((asked, queued)), *received, &buf[..k]);
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
        let _ = abort_on_close(receiver);
        log.note(
            side,
            Msg::new("proxy-reset").arg("n", Msg::new("bytes").arg("n", forwarded)),
            true,
        );
        let _ = receiver.shutdown(Shutdown::Read);
        let _ = other.shutdown(Shutdown::Both);
    } else {
        log.note(
            side,
            Msg::new("proxy-cut").arg("n", Msg::new("bytes").arg("n", forwarded)),
            true,
        );
        link.shut();
    }
}
