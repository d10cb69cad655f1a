//! The proxy's timeline, written from every connection's threads in the order
//! the calls began.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Mutex;

use super::{MAX_RECORDED, ProxyConfig};
use crate::event::{Event, Side, What};
use crate::lang::Msg;
use crate::view::timeline;

/// The timeline the proxy writes, from every connection's threads: rows
/// numbered in the order their calls began and printed in that order.
///
/// A write's row number is taken *before* the write, so the read that gets its
/// bytes on the other side (another thread, microseconds later) always comes
/// after it on screen: causes before effects. A row waits to be printed until
/// every row before it is complete.
pub(super) struct Log {
    state: Mutex<LogState>,
    pub(super) quiet: bool,
    layout: timeline::Layout,
}

struct LogState {
    /// Row numbers handed out so far.
    taken: usize,
    /// Rows printed so far: every row up to this one.
    printed: usize,
    /// Complete rows waiting for an earlier one.
    waiting: BTreeMap<usize, Event>,
    out: Box<dyn Write + Send>,
    /// The events kept, when recording.
    recorded: Option<Vec<Event>>,
}

impl Log {
    pub(super) fn new(out: Box<dyn Write + Send>, config: &ProxyConfig) -> Log {
        Log {
            state: Mutex::new(LogState {
                taken: 0,
                printed: 0,
                waiting: BTreeMap::new(),
                out,
                recorded: config.record.then(Vec::new),
            }),
            quiet: config.quiet,
            layout: config.layout,
        }
    }

    /// The events recorded so far, in order (none when not recording).
    pub(super) fn recorded(&self) -> Vec<Event> {
        self.lock().recorded.clone().unwrap_or_default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LogState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A row number for a call about to be made.
    pub(super) fn take(&self) -> usize {
        let mut st = self.lock();
        st.taken += 1;
        st.taken
    }

    /// The row `seq` is complete: print it and every complete row after it.
    pub(super) fn fill(&self, seq: usize, side: Side, what: What) {
        let mut st = self.lock();
        st.waiting.insert(seq, Event { seq, side, what });
        while let Some(event) = {
            let next = st.printed + 1;
            st.waiting.remove(&next)
        } {
            st.printed = event.seq;
            // A log that cannot be written must not stop the traffic.
            let _ = timeline::render_row(&event, self.layout, st.out.as_mut());
            if let Some(kept) = st.recorded.as_mut().filter(|k| k.len() < MAX_RECORDED) {
                kept.push(event);
            }
        }
        let _ = st.out.flush();
    }

    pub(super) fn row(&self, side: Side, what: What, always: bool) {
        if self.quiet && !always {
            return;
        }
        let seq = self.take();
        self.fill(seq, side, what);
    }

    pub(super) fn note(&self, side: Side, text: Msg, bad: bool) {
        self.row(side, What::Note { text, bad }, true);
    }
}
