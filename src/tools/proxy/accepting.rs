//! The proxy's accept loop: each connection accepted (or refused past
//! `--max-connections`, accepts backing off when short of descriptors), its
//! way to the server opened, and its two pumps started.

use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use super::delivery::Delivery;
use super::pump::{Buffers, error_of, serve_link, size_buffers};
use super::{Link, PUMP_STACK, Shared, connections_the_kernel_allows, lock};
use crate::event::{ErrorKind, Side, What};
use crate::lang::Msg;
use crate::transport::accept::{self, Backoff, Burst};

/// Connections refused because [`ProxyConfig::max_connections`] were open,
/// counted and told as one row a burst, as failed accepts are: when a
/// connection is served again, every [`accept::SAY_EVERY`] while they go
/// on, and when the proxy stops.
#[derive(Default)]
struct Refusals {
    /// How many, when the first and the last came.
    pending: Option<(u64, Instant, Instant)>,
    /// When this burst was last told.
    said: Option<Instant>,
}

impl Refusals {
    /// One more refused: the burst to tell, when it is due.
    fn refused(&mut self) -> Option<(u64, Duration)> {
        let now = Instant::now();
        let (count, first) = self.pending.map_or((0, now), |(c, f, _)| (c, f));
        self.pending = Some((count + 1, first, now));
        let due = now.duration_since(self.said.unwrap_or(first)) >= accept::SAY_EVERY;
        if !due {
            return None;
        }
        self.said = Some(now);
        self.take()
    }

    /// The refusals not told yet, ending the burst.
    fn take(&mut self) -> Option<(u64, Duration)> {
        self.pending
            .take()
            .map(|(count, first, last)| (count, last.duration_since(first)))
    }
}

pub(super) fn accept_loop(listener: TcpListener, shared: &Arc<Shared>) {
    // Accepts that fail for want of descriptors or memory wait, longer each
    // time, and are told one row a burst (see transport::accept).
    let mut backoff = Backoff::new();
    let tell = |burst: Option<Burst>| {
        if let Some(b) = burst {
            let msg = Msg::new("proxy-accept-failed")
                .arg("count", crate::text::grouped(b.count))
                .arg("secs", format!("{:.1}", b.over.as_secs_f64()))
                .arg("error", b.reason());
            shared.log.note(Side::Server, msg, true);
        }
    };
    // No more than the kernel's maps allow threads for.
    let max = shared
        .config
        .max_connections
        .min(connections_the_kernel_allows().unwrap_or(usize::MAX))
        .max(1);
    let mut refusals = Refusals::default();
    // Stacks of joined threads the C library keeps mapped for new threads to
    // reuse (as many as its cache holds).
    let mut kept = 0usize;
    let tell_full = |burst: Option<(u64, Duration)>| {
        if let Some((count, over)) = burst {
            let msg = Msg::new("proxy-full")
                .arg("count", crate::text::grouped(count))
                .arg("secs", format!("{:.1}", over.as_secs_f64()))
                .arg("max", crate::text::grouped(max as u64));
            shared.log.note(Side::Server, msg, true);
        }
    };
    loop {
        let conn = listener.accept();
        if shared.stop.load(Ordering::SeqCst) {
            tell(backoff.take());
            tell_full(refusals.take());
            break;
        }
        let client = match conn {
            Ok((c, _)) => {
                tell(backoff.succeeded());
                c
            }
            Err(e) if accept::short_of_resources(&e) => {
                tell(backoff.failed(e, Some(&shared.stop)));
                continue;
            }
            // One connection's error (it was aborted before we took it…):
            // the next is another connection.
            Err(e) => {
                shared.log.note(
                    Side::Server,
                    Msg::new("proxy-accept-error").arg("error", e.to_string()),
                    true,
                );
                continue;
            }
        };
        // The proxy's own connection to its server, come back: its server
        // leads to its own listener. Serving it would connect again, and
        // again, until the descriptors run out.
        if let (Ok(from), Ok(to)) = (client.peer_addr(), client.local_addr())
            && lock(&shared.own).contains(&(from, to))
        {
            let said = Msg::new("proxy-loop").arg("peer", from.to_string());
            shared.log.note(Side::Server, said, true);
            continue;
        }
        // As many open as allowed: this one is closed at once (dropped).
        if shared.activity.open() >= max {
            tell_full(refusals.refused());
            continue;
        }
        tell_full(refusals.take());
        // The connection's memory, before anything is done for it: without
        // it, it is refused and the proxy goes on.
        let (down, up) = (&shared.config.downstream, &shared.config.upstream);
        let buffers = match Buffers::for_shape(down).and_then(|d| Ok((d, Buffers::for_shape(up)?)))
        {
            Ok(buffers) => buffers,
            Err(_) => {
                let peer = client
                    .peer_addr()
                    .map_or_else(|_| "?".to_string(), |a| a.to_string());
                // A console that fails is no reason to stop.
                let _ = writeln!(
                    io::stderr(),
                    "connection from {peer} refused: no memory for its buffers"
                );
                let said = Msg::new("proxy-no-memory").arg("peer", peer);
                shared.log.note(Side::Server, said, true);
                continue;
            }
        };
        shared.activity.opened();
        let n = shared.connections.fetch_add(1, Ordering::SeqCst) + 1;
        let peer = client
            .peer_addr()
            .map_or_else(|_| "?".to_string(), |a| a.to_string());
        shared.log.note(
            Side::Downstream(n),
            Msg::new("proxy-accepted").arg("peer", peer.to_string()),
            false,
        );
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
                shared.activity.closed();
                continue;
            }
        };
        // Forward each chunk the moment it is written, as the shape decides,
        // instead of letting Nagle's algorithm merge chunks behind our back.
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
        let delivery = match shared.config.watch_reads {
            true => Delivery::watch(&client).map(Arc::new),
            false => None,
        };
        if let Some(d) = &delivery {
            shared.deliveries.add(d.clone());
        }
        let link = Arc::new(Link {
            client,
            server,
            delivery,
            from_client: AtomicU64::new(0),
        });
        let own = link
            .server
            .local_addr()
            .ok()
            .zip(link.server.peer_addr().ok());
        if let Some(own) = own {
            lock(&shared.own).insert(own);
        }
        let weak = Arc::downgrade(&link);
        let shared_conn = shared.clone();
        let mut live = shared.live.lock().unwrap_or_else(|e| e.into_inner());
        // Let go of the threads of links that have ended first: their stacks
        // are what a new thread may need.
        // Joined, not only let go: a joined thread's stack is in the C
        // library's cache when the join returns, for the next thread.
        let (ended, running): (Vec<_>, Vec<_>) =
            live.drain(..).partition(|(l, _)| l.strong_count() == 0);
        *live = running;
        for (_, handle) in ended {
            // Its link is gone: the thread is returning (it joins the
            // other direction's thread first).
            let _ = handle.join();
            kept = (kept + 2).min(STACKS_CACHED);
        }
        // A thread needs more than its stack: as it starts, the runtime maps
        // it an alternate signal stack, and a start that finds no memory for
        // that aborts the whole proxy (the runtime has no way to report it).
        // So the room for both of the connection's threads is asked first
        // (their stacks too, unless ended links left theirs to reuse):
        // without it, the connection is refused as one with no thread is.
        let reused = kept >= 2;
        kept = kept.saturating_sub(2);
        let spawned = if room_for_threads(2, reused) {
            thread::Builder::new()
                .stack_size(PUMP_STACK)
                .spawn(move || {
                    serve_link(n, &link, &shared_conn, buffers);
                    if let Some(own) = own {
                        lock(&shared_conn.own).remove(&own);
                    }
                    shared_conn.activity.closed();
                })
        } else {
            Err(io::Error::from_raw_os_error(libc::ENOMEM))
        };
        match spawned {
            Ok(handle) => live.push((weak, handle)),
            Err(e) => {
                drop(live);
                if let Some(own) = own {
                    lock(&shared.own).remove(&own);
                }
                // No thread for this connection (a limit on threads or
                // memory): the failed spawn dropped the link, which closed
                // both ends. It is refused; the proxy goes on accepting.
                // A console that fails is no reason to stop.
                let _ = writeln!(
                    io::stderr(),
                    "connection {n} from {peer} refused: no thread could be started for it ({e})"
                );
                shared.log.note(
                    Side::Downstream(n),
                    Msg::new("proxy-no-thread").arg("error", e.to_string()),
                    true,
                );
                shared.activity.closed();
            }
        }
    }
}

/// What a thread of the proxy takes beyond its stack: the alternate signal
/// stack the runtime maps as it starts (`SIGSTKSZ` and a guard page, a few
/// pages) and its thread-local state, generously.
const THREAD_EXTRA: usize = 32 << 10;

/// How many stacks of [`PUMP_STACK`] the C library keeps for reuse at most
/// (glibc's cache holds 40 MiB of them).
const STACKS_CACHED: usize = (40 << 20) / PUMP_STACK;

/// True if `threads` more threads of [`PUMP_STACK`] fit in the address space
/// the process may still map (`ulimit -v`): a mapping of their size is made
/// and let go at once. With `stacks_kept`, their stacks are taken from those
/// of ended threads (the C library keeps them mapped for reuse), and only
/// what a thread takes beyond its stack is asked for.
fn room_for_threads(threads: usize, stacks_kept: bool) -> bool {
    let each = match stacks_kept {
        true => THREAD_EXTRA,
        false => PUMP_STACK + THREAD_EXTRA,
    };
    let len = threads * each;
    // SAFETY: an anonymous mapping no one uses, unmapped before returning;
    // PROT_NONE and MAP_NORESERVE: it costs address space only, which is
    // what the limit counts.
    unsafe {
        let p = libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        );
        if p == libc::MAP_FAILED {
            return false;
        }
        libc::munmap(p, len);
    }
    true
}
