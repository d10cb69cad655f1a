//! The proxy's timeline, written from every connection's threads in the order
//! the calls began, by a thread of its own.

use std::io::Write;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use super::{MAX_RECORDED, MAX_RECORDED_BYTES, ProxyConfig};
use crate::event::{Event, Side, What};
use crate::lang::Msg;
use crate::view::timeline;

/// The most bytes of rows on their way to the log's writer. A pump whose row
/// would pass it waits: a terminal slower than the traffic slows the
/// traffic, and never fills the memory.
pub const LOG_BUDGET: usize = 4 << 20;

/// How many bytes of either end of a read or write a row keeps when the
/// proxy is not recording: more than a row can show (the middle of a long
/// one is elided on screen anyway), so a 64 KiB call costs a 4 KiB copy.
pub const ROW_ENDS: usize = 2048;

/// A row on its way to the writer: the event, and how many bytes its call
/// moved (its bytes may be kept only at either end).
struct Row {
    event: Event,
    len: usize,
}

/// The timeline the proxy writes, from every connection's threads: rows
/// numbered in the order their calls began and printed in that order.
///
/// A write's row is handed over *before* the write, so the read that gets its
/// bytes on the other side (another thread, microseconds later) always comes
/// after it on screen: causes before effects. Nothing waits for a call to
/// return, so a write blocked for good (a peer that stopped reading) holds
/// back no other row. Formatting and writing happen on the log's own
/// thread, off the path from a read to the next write.
pub(super) struct Log {
    /// The next row number, and where rows go: one lock, so that numbers and
    /// the order rows arrive in agree.
    sender: Mutex<(usize, Option<Sender<Row>>)>,
    shared: Arc<Shared>,
    writer: Mutex<Option<JoinHandle<()>>>,
    pub(super) quiet: bool,
    record: bool,
}

/// What the pumps and the writer share.
struct Shared {
    /// Bytes of rows handed over and not yet written, and rows written.
    flight: Mutex<Flight>,
    moved: Condvar,
    /// The events kept, when recording.
    recorded: Mutex<Option<Recorded>>,
}

#[derive(Default)]
struct Flight {
    bytes: usize,
    written: usize,
}

#[derive(Default)]
struct Recorded {
    events: Vec<Event>,
    bytes: usize,
}

/// The bytes a row holds.
fn size(what: &What) -> usize {
    match what {
        What::Read { bytes, .. } | What::Write { bytes, .. } => bytes.len(),
        _ => 0,
    }
}

impl Log {
    pub(super) fn new(out: Box<dyn Write + Send>, config: &ProxyConfig) -> Log {
        let shared = Arc::new(Shared {
            flight: Mutex::new(Flight::default()),
            moved: Condvar::new(),
            recorded: Mutex::new(config.record.then(Recorded::default)),
        });
        let (tx, rx) = mpsc::channel();
        let writer = {
            let (shared, layout) = (shared.clone(), config.layout);
            std::thread::Builder::new()
                .name("proxy-log".into())
                .spawn(move || write_rows(rx, out, layout, &shared))
                .ok()
        };
        Log {
            // No writer thread: the rows go nowhere, the traffic goes on.
            sender: Mutex::new((0, writer.as_ref().map(|_| tx))),
            shared,
            writer: Mutex::new(writer),
            quiet: config.quiet,
            record: config.record,
        }
    }

    /// The events recorded so far, in order (none when not recording): every
    /// row handed over before this call is in.
    pub(super) fn recorded(&self) -> Vec<Event> {
        let handed = lock(&self.sender).0;
        let mut flight = lock(&self.shared.flight);
        // Every row handed over is written, or counted as written when the
        // writer is gone.
        while flight.written < handed {
            flight = self
                .shared
                .moved
                .wait(flight)
                .unwrap_or_else(|e| e.into_inner());
        }
        drop(flight);
        lock(&self.shared.recorded)
            .as_ref()
            .map(|r| r.events.clone())
            .unwrap_or_default()
    }

    /// The row of a read (`asked` bytes, `queued` in the kernel as it began)
    /// or a write (`None`) of `bytes`:
    /// all of them when recording, else what a row can show.
    pub(super) fn call(
        &self,
        side: Side,
        asked: Option<(usize, Option<usize>)>,
        at: u64,
        bytes: &[u8],
    ) {
        if self.quiet {
            return;
        }
        let kept = match self.record || bytes.len() <= 2 * ROW_ENDS {
            true => bytes.to_vec(),
            false => [&bytes[..ROW_ENDS], &bytes[bytes.len() - ROW_ENDS..]].concat(),
        };
        let what = match asked {
            Some((asked, queued)) => What::Read {
                asked,
                at,
                queued,
                bytes: kept,
            },
            None => What::Write { at, bytes: kept },
        };
        self.hand(side, what, bytes.len());
    }

    /// Hand a row to the writer, numbered.
    pub(super) fn row(&self, side: Side, what: What, always: bool) {
        if self.quiet && !always {
            return;
        }
        let len = size(&what);
        self.hand(side, what, len);
    }

    fn hand(&self, side: Side, what: What, len: usize) {
        // Wait for room: the rows in flight hold at most the budget (a row
        // larger than the budget goes alone).
        let bytes = size(&what);
        {
            let mut flight = lock(&self.shared.flight);
            while flight.bytes > 0 && flight.bytes + bytes > LOG_BUDGET {
                flight = self
                    .shared
                    .moved
                    .wait(flight)
                    .unwrap_or_else(|e| e.into_inner());
            }
            flight.bytes += bytes;
        }
        let mut sender = lock(&self.sender);
        sender.0 += 1;
        let seq = sender.0;
        let sent = match &sender.1 {
            Some(tx) => tx
                .send(Row {
                    event: Event { seq, side, what },
                    len,
                })
                .is_ok(),
            None => false,
        };
        if !sent {
            let mut flight = lock(&self.shared.flight);
            flight.bytes -= bytes;
            flight.written += 1;
        }
    }

    pub(super) fn note(&self, side: Side, text: Msg, bad: bool) {
        self.row(side, What::Note { text, bad }, true);
    }

    /// Write every row handed over, then stop the writer.
    pub(super) fn finish(&self) {
        lock(&self.sender).1 = None;
        if let Some(writer) = lock(&self.writer).take() {
            let _ = writer.join();
        }
        self.shared.moved.notify_all();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The log's thread: each row printed as it comes, flushed whenever no
/// other row is waiting.
fn write_rows(
    rows: Receiver<Row>,
    out: Box<dyn Write + Send>,
    layout: timeline::Layout,
    shared: &Shared,
) {
    // Rows written in batches: one system call for every row waiting, not
    // one per row (standard output is line-buffered).
    let mut out = std::io::BufWriter::with_capacity(64 << 10, out);
    while let Ok(mut row) = rows.recv() {
        loop {
            // A log that cannot be written must not stop the traffic.
            let _ = timeline::render_row_of_len(&row.event, row.len, layout, &mut out);
            let bytes = size(&row.event.what);
            if let Some(kept) = lock(&shared.recorded).as_mut()
                && kept.events.len() < MAX_RECORDED
                && kept.bytes + bytes <= MAX_RECORDED_BYTES
            {
                kept.bytes += bytes;
                kept.events.push(row.event);
            }
            {
                let mut flight = lock(&shared.flight);
                flight.bytes -= bytes;
                flight.written += 1;
            }
            shared.moved.notify_all();
            match rows.try_recv() {
                Ok(next) => row = next,
                Err(_) => break,
            }
        }
        let _ = out.flush();
    }
    let _ = out.flush();
}
