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

/// The most bytes of rows on their way to the log's writer, every kind of
/// row counted (its bytes and `ROW_COST`). A row that would pass it is left
/// out and counted, and a row says how many once there is room again: a
/// console slower than the traffic, or one nobody reads, neither slows the
/// traffic nor fills the memory. A recording proxy waits for room instead,
/// as it must keep every event (its log is not a console).
pub const LOG_BUDGET: usize = 4 << 20;

/// What a row costs beyond its bytes: the event, its words, its place in
/// the queue. A connection's rows without bytes (accepted, closed, an
/// error) are counted too.
pub const ROW_COST: usize = 256;

/// How long stopping waits for the log's writer to write what it holds: a
/// console that takes nothing (a pipe nobody reads) does not keep the proxy
/// from ending.
const FINISH_WAIT: std::time::Duration = std::time::Duration::from_millis(300);

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
    shared: Arc<LogShared>,
    writer: Mutex<Option<JoinHandle<()>>>,
    pub(super) quiet: bool,
    record: bool,
}

/// What the pumps and the writer share.
struct LogShared {
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
    /// Rows left out since the last was handed over.
    dropped: usize,
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

/// What a row costs against [`LOG_BUDGET`].
fn cost(what: &What) -> usize {
    size(what) + ROW_COST
}

impl Log {
    pub(super) fn new(out: Box<dyn Write + Send>, config: &ProxyConfig) -> Log {
        let shared = Arc::new(LogShared {
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
        // Room for the row: the rows in flight hold at most the budget (a
        // row larger than the budget goes alone). Without it, a recording
        // log waits and any other leaves the row out.
        let bytes = cost(&what);
        let dropped = {
            let mut flight = lock(&self.shared.flight);
            let full = |f: &Flight, extra: usize| f.bytes > 0 && f.bytes + extra > LOG_BUDGET;
            while self.record && full(&flight, bytes) {
                flight = self
                    .shared
                    .moved
                    .wait(flight)
                    .unwrap_or_else(|e| e.into_inner());
            }
            // The row saying how many were left out comes first, and has
            // to fit as well.
            let summary = match flight.dropped {
                0 => 0,
                _ => ROW_COST,
            };
            if full(&flight, bytes + summary) {
                flight.dropped += 1;
                return;
            }
            flight.bytes += bytes + summary;
            std::mem::take(&mut flight.dropped)
        };
        let mut sender = lock(&self.sender);
        if dropped > 0 {
            let text =
                Msg::new("proxy-rows-dropped").arg("n", crate::text::grouped(dropped as u64));
            let what = What::Note { text, bad: true };
            self.send(&mut sender, Side::Server, what, 0);
        }
        self.send(&mut sender, side, what, len);
    }

    /// Number a row and send it to the writer (its room is taken).
    fn send(&self, sender: &mut (usize, Option<Sender<Row>>), side: Side, what: What, len: usize) {
        sender.0 += 1;
        let seq = sender.0;
        let bytes = cost(&what);
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

    /// Write every row handed over, then stop the writer. A writer that
    /// cannot write (its console takes nothing) is waited for
    /// [`FINISH_WAIT`], then left behind: the rows it holds are lost, and the
    /// proxy ends.
    pub(super) fn finish(&self) {
        let dropped = std::mem::take(&mut lock(&self.shared.flight).dropped);
        if dropped > 0 {
            let text =
                Msg::new("proxy-rows-dropped").arg("n", crate::text::grouped(dropped as u64));
            let mut flight = lock(&self.shared.flight);
            flight.bytes += ROW_COST;
            drop(flight);
            let mut sender = lock(&self.sender);
            self.send(&mut sender, Side::Server, What::Note { text, bad: true }, 0);
        }
        lock(&self.sender).1 = None;
        if let Some(writer) = lock(&self.writer).take() {
            let deadline = std::time::Instant::now() + FINISH_WAIT;
            while !writer.is_finished() && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            if writer.is_finished() {
                let _ = writer.join();
            }
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
    shared: &LogShared,
) {
    // Rows written in batches: one system call for every row waiting, not
    // one per row (standard output is line-buffered).
    let mut out = std::io::BufWriter::with_capacity(64 << 10, out);
    while let Ok(mut row) = rows.recv() {
        loop {
            // A log that cannot be written must not stop the traffic.
            let _ = timeline::render_row_of_len(&row.event, row.len, layout, &mut out);
            let bytes = size(&row.event.what);
            let counted = cost(&row.event.what);
            if let Some(kept) = lock(&shared.recorded).as_mut()
                && kept.events.len() < MAX_RECORDED
                && kept.bytes + bytes <= MAX_RECORDED_BYTES
            {
                kept.bytes += bytes;
                kept.events.push(row.event);
            }
            {
                let mut flight = lock(&shared.flight);
                flight.bytes -= counted;
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::SyncSender;

    /// A console that takes nothing until told to, then keeps what it is
    /// given.
    struct HeldConsole {
        go: Option<Receiver<()>>,
        kept: Arc<Mutex<Vec<u8>>>,
    }

    impl Write for HeldConsole {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if let Some(go) = self.go.take() {
                let _ = go.recv();
            }
            lock(&self.kept).extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn held() -> (Log, SyncSender<()>, Arc<Mutex<Vec<u8>>>) {
        let (go, wait) = mpsc::sync_channel(1);
        let kept = Arc::new(Mutex::new(Vec::new()));
        let out = HeldConsole {
            go: Some(wait),
            kept: kept.clone(),
        };
        let config = ProxyConfig {
            quiet: false,
            layout: timeline::Layout::new(200),
            ..ProxyConfig::new(([127, 0, 0, 1], 9).into())
        };
        (Log::new(Box::new(out), &config), go, kept)
    }

    #[test]
    fn rows_a_stalled_console_has_no_room_for_are_left_out_and_counted() {
        let (log, go, kept) = held();
        // Rows without bytes, many more than the budget holds: none waits.
        let rows = 2 * LOG_BUDGET / ROW_COST;
        let started = std::time::Instant::now();
        for _ in 0..rows {
            log.note(Side::Server, Msg::new("proxy-closed"), false);
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        let held = lock(&log.shared.flight).bytes;
        assert!(held <= LOG_BUDGET, "{held} bytes in flight");
        assert!(lock(&log.shared.flight).dropped > 0);
        // The console takes again: the next row has room, after the one
        // that says how many were left out.
        go.send(()).unwrap();
        log.note(Side::Server, Msg::new("proxy-closed"), false);
        // The console drains what it holds (slowly, on a loaded machine:
        // waited for here, as `finish` waits only so long for a writer)
        // before the log is finished.
        let drained = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while lock(&log.shared.flight).bytes > 0 && std::time::Instant::now() < drained {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        log.finish();
        // Every row is written or counted in a row that says so.
        let text = String::from_utf8_lossy(&lock(&kept)).into_owned();
        // Without the colours' escapes.
        let text: String = text
            .split('\x1b')
            .enumerate()
            .map(|(i, part)| match i {
                0 => part,
                _ => part.split_once('m').map_or(part, |(_, rest)| rest),
            })
            .collect();
        let written = text.matches("connection closed").count();
        let left_out: usize = text
            .lines()
            .filter_map(|l| {
                let said = &l[..l.find(" rows left out: the console did not keep up")?];
                said.rsplit(' ')
                    .next()?
                    .replace(',', "")
                    .parse::<usize>()
                    .ok()
            })
            .sum();
        assert!(left_out > 0, "{}", &text[text.len() - 400..]);
        assert_eq!(written + left_out, rows + 1);
        assert_eq!(lock(&log.shared.flight).bytes, 0);
    }

    #[test]
    fn a_console_that_takes_nothing_does_not_keep_the_log_from_finishing() {
        let (log, _go, _) = held();
        log.note(Side::Server, Msg::new("proxy-closed"), false);
        let started = std::time::Instant::now();
        log.finish();
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }
}
