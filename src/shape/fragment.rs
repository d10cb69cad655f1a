//! Fragmentation: how one buffer is cut into writes, and how those writes are paced.
//!
//! This is the component that makes TCP's missing boundaries visible on demand. The
//! fragmenting echo server uses it to cut each echo, the client uses it to split the
//! messages it sends, and the proxy uses it on whatever passes through. One cutter,
//! used everywhere, so a cut means the same thing in every tool.
//!
//! A [`Fragmenter`] hands out piece lengths one at a time ([`Fragmenter::next_piece`])
//! instead of building a list, so cutting a message costs no allocation however long
//! the stream. With random cuts the lengths come from a generator seeded with a
//! number the user can see and repeat: the same seed gives the same cuts.

use std::io;
use std::str::FromStr;
use std::time::Duration;

use crate::lang::Lang;
use crate::tr;
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

use crate::transport::Transport;

/// A bad fragmentation parameter. Each names the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FragmentError {
    /// A piece of zero bytes would never make progress.
    #[error("chunk size must be at least 1 byte")]
    ZeroChunk,
    /// `MIN-MAX` with MIN = 0.
    #[error("random chunks: MIN must be at least 1 byte (got {0})")]
    ZeroMin(usize),
    /// `MIN-MAX` with MIN > MAX.
    #[error("random chunks: MIN ({min}) is larger than MAX ({max})")]
    MinAboveMax {
        /// The smallest piece asked for.
        min: usize,
        /// The largest piece asked for.
        max: usize,
    },
    /// Not of the form `MIN-MAX`.
    #[error("random chunks: expected MIN-MAX, such as 2-5 (got '{0}')")]
    BadRange(String),
}

/// Inclusive bounds for random piece sizes, written `MIN-MAX` on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkRange {
    /// Smallest piece, at least 1.
    pub min: usize,
    /// Largest piece, at least `min`.
    pub max: usize,
}

impl ChunkRange {
    /// Check the bounds: `1 <= min <= max`.
    pub fn new(min: usize, max: usize) -> Result<Self, FragmentError> {
        if min == 0 {
            return Err(FragmentError::ZeroMin(min));
        }
        if min > max {
            return Err(FragmentError::MinAboveMax { min, max });
        }
        Ok(ChunkRange { min, max })
    }
}

impl FromStr for ChunkRange {
    type Err = FragmentError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || FragmentError::BadRange(s.to_string());
        let (min, max) = s.split_once('-').ok_or_else(bad)?;
        let min = min.trim().parse().map_err(|_| bad())?;
        let max = max.trim().parse().map_err(|_| bad())?;
        ChunkRange::new(min, max)
    }
}

impl std::fmt::Display for ChunkRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.min, self.max)
    }
}

/// How a buffer is cut into writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cuts {
    /// One write for the whole buffer (what the book's server does).
    #[default]
    Whole,
    /// Pieces of at most this many bytes.
    Fixed(usize),
    /// Pieces of a random size within the range, drawn from a seeded generator.
    Random(ChunkRange),
}

/// Everything that decides how a stream is fragmented: validated, ready to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FragmentPlan {
    /// Where the cuts fall.
    pub cuts: Cuts,
    /// The pause after each piece (zero: no pause).
    pub delay: Duration,
    /// Draw each pause at random between zero and `delay` (a zero pause is no
    /// pause at all: that piece and the next leave back to back).
    pub random_pauses: bool,
    /// Seed of the generator behind [`Cuts::Random`].
    pub seed: u64,
    /// Pieces per burst: the pause comes after every `burst`-th piece (and
    /// after the last), so the pieces of one burst leave back to back and
    /// arrive as one read. 0 or 1: a pause after every piece.
    pub burst: usize,
    /// Cut only the edges of each buffer: its first `edges` pieces and its
    /// last `edges` pieces as the plan says, the middle as one write. The
    /// boundaries a reader can trip on (where a message starts and ends) are
    /// still cut, at a cost that does not grow with the buffer. 0: cut it all.
    pub edges: usize,
}

impl FragmentPlan {
    /// A plan from the command-line form of the switches. `chunk` and `random`
    /// together are contradictory, and zero sizes are rejected.
    pub fn new(
        chunk: Option<usize>,
        random: Option<ChunkRange>,
        delay: Duration,
        seed: u64,
    ) -> Result<Self, FragmentError> {
        let cuts = match (chunk, random) {
            (Some(0), _) => return Err(FragmentError::ZeroChunk),
            (Some(n), None) => Cuts::Fixed(n),
            (None, Some(range)) => Cuts::Random(ChunkRange::new(range.min, range.max)?),
            (None, None) => Cuts::Whole,
            // Callers (clap) reject this combination before we get here; if one
            // does not, fixed pieces win over random ones, predictably.
            (Some(n), Some(_)) => Cuts::Fixed(n),
        };
        Ok(FragmentPlan {
            cuts,
            delay,
            random_pauses: false,
            seed,
            burst: 1,
            edges: 0,
        })
    }

    /// True when this plan changes anything compared to one plain write.
    pub fn is_active(&self) -> bool {
        self.cuts != Cuts::Whole || !self.delay.is_zero()
    }

    /// True when the plan draws anything from the seeded generator.
    pub fn is_random(&self) -> bool {
        matches!(self.cuts, Cuts::Random(_)) || (self.random_pauses && !self.delay.is_zero())
    }

    /// A one-line description for start-up messages, e.g.
    /// `random pieces of 2-5 bytes (seed 42), 100 ms pause after each`.
    pub fn describe(&self) -> String {
        self.describe_in(Lang::En)
    }

    /// [`FragmentPlan::describe`] in `lang`.
    pub fn describe_in(&self, lang: Lang) -> String {
        let cuts = match self.cuts {
            Cuts::Whole => tr!(lang, "plan-whole"),
            Cuts::Fixed(n) => tr!(
                lang,
                "plan-fixed",
                n = crate::text::bytes_in(n as u64, lang)
            ),
            Cuts::Random(r) => tr!(lang, "plan-random", range = r.to_string()),
        };
        let ms = self.delay.as_millis() as u64;
        let burst = self.burst.max(1);
        let pauses = match (self.delay.is_zero(), self.random_pauses) {
            (true, _) => String::new(),
            (false, false) => tr!(lang, "plan-pause", ms = ms, burst = burst),
            (false, true) => tr!(lang, "plan-random-pause", ms = ms, burst = burst),
        };
        let seed = if self.is_random() {
            tr!(lang, "plan-seed", seed = self.seed.to_string())
        } else {
            String::new()
        };
        format!("{cuts}{pauses}{seed}")
    }
}

/// Cuts buffers into pieces according to a [`FragmentPlan`] and writes them.
#[derive(Debug)]
pub struct Fragmenter {
    plan: FragmentPlan,
    rng: ChaCha8Rng,
}

impl Fragmenter {
    /// A fragmenter whose random cuts start from `plan.seed`.
    pub fn new(plan: FragmentPlan) -> Self {
        Fragmenter {
            plan,
            rng: ChaCha8Rng::seed_from_u64(plan.seed),
        }
    }

    /// The length of the next piece when `remaining` bytes are left to write:
    /// always at least 1 and at most `remaining` (for `remaining > 0`).
    pub fn next_piece(&mut self, remaining: usize) -> usize {
        let want = match self.plan.cuts {
            Cuts::Whole => remaining,
            Cuts::Fixed(n) => n,
            Cuts::Random(r) => self.rng.random_range(r.min..=r.max),
        };
        want.clamp(1, remaining.max(1))
    }

    /// The pause after the next piece: the plan's delay, or a random part of it.
    pub fn next_pause(&mut self) -> Duration {
        if self.plan.random_pauses && !self.plan.delay.is_zero() {
            let max = self.plan.delay.as_millis() as u64;
            Duration::from_millis(self.rng.random_range(0..=max))
        } else {
            self.plan.delay
        }
    }

    /// All piece lengths for a buffer of `len` bytes, in order. They add up to `len`.
    /// Handy in tests and for showing a plan; the write path uses [`Self::next_piece`].
    pub fn pieces(&mut self, len: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut left = len;
        while left > 0 {
            let n = self.next_piece(left);
            out.push(n);
            left -= n;
        }
        out
    }

    /// With [`FragmentPlan::edges`], the sizes of every piece of a buffer of
    /// `len` bytes: the first and the last `edges` pieces as the plan cuts
    /// them, and one piece for what lies between.
    fn edge_pieces(&mut self, len: usize) -> Option<std::collections::VecDeque<usize>> {
        let edges = self.plan.edges;
        if edges == 0 {
            return None;
        }
        let mut left = len;
        let mut draw = |count: usize| {
            let mut sizes = Vec::new();
            while sizes.len() < count && left > 0 {
                let n = self.next_piece(left);
                sizes.push(n);
                left -= n;
            }
            sizes
        };
        let head = draw(edges);
        let tail = draw(edges);
        let middle = (left > 0).then_some(left);
        Some(head.into_iter().chain(middle).chain(tail).collect())
    }

    /// Write `data` as a series of pieces, pausing after each one if the plan says
    /// so. `on_write` sees each piece once it has been written in full.
    ///
    /// Each piece goes out with `write_all`: on a blocking socket that is one
    /// `write` system call unless the kernel accepts fewer bytes, in which case it
    /// is called again for the rest. A short write is not an error, and losing the
    /// rest of a message is.
    pub fn write<T: Transport + ?Sized>(
        &mut self,
        stream: &mut T,
        data: &[u8],
        mut on_write: impl FnMut(&[u8]),
    ) -> io::Result<()> {
        let mut rest = data;
        let mut pieces = 0;
        let mut planned = self.edge_pieces(data.len());
        while !rest.is_empty() {
            let n = match planned.as_mut() {
                Some(sizes) => sizes.pop_front().unwrap_or(rest.len()),
                None => self.next_piece(rest.len()),
            };
            let (piece, tail) = rest.split_at(n);
            stream.write_all(piece)?;
            on_write(piece);
            rest = tail;
            pieces += 1;
            // The pieces of one burst leave back to back: no pause between
            // them, so a reader gets them together, two writes in one read.
            if pieces % self.plan.burst.max(1) != 0 && !rest.is_empty() {
                continue;
            }
            let delay = self.next_pause();
            if !delay.is_zero() {
                // The lesson: between these two writes the reader may well read,
                // and then it holds only part of the message.
                stream.pause(delay);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(cuts: Cuts, seed: u64) -> FragmentPlan {
        FragmentPlan {
            cuts,
            seed,
            ..FragmentPlan::default()
        }
    }

    // What mutation testing found unpinned: the plan's own questions.

    #[test]
    fn edges_cut_the_first_and_last_pieces_and_send_the_middle_whole() {
        let pieces = |len: usize| {
            let mut cutter = Fragmenter::new(FragmentPlan {
                edges: 2,
                ..plan(Cuts::Fixed(3), 0)
            });
            let mut stream = crate::transport::mock::ScriptedStream::new();
            let mut sizes = Vec::new();
            let data = vec![b'x'; len];
            cutter
                .write(&mut stream, &data, |p| sizes.push(p.len()))
                .unwrap();
            assert_eq!(stream.written(), &data[..]);
            sizes
        };
        assert_eq!(pieces(20), [3, 3, 8, 3, 3]);
        // Too short for a middle: the tail gets what the head left.
        assert_eq!(pieces(7), [3, 3, 1]);
        assert_eq!(pieces(12), [3, 3, 3, 3]);
    }

    #[test]
    fn a_range_is_shown_as_it_is_written() {
        let r: ChunkRange = "2-5".parse().unwrap();
        assert_eq!(r.to_string(), "2-5");
    }

    #[test]
    fn a_plan_is_active_when_it_cuts_or_pauses() {
        let ms = Duration::from_millis;
        let with = |cuts, delay| FragmentPlan {
            cuts,
            delay,
            ..FragmentPlan::default()
        };
        assert!(!with(Cuts::Whole, ms(0)).is_active());
        assert!(with(Cuts::Fixed(3), ms(0)).is_active());
        assert!(with(Cuts::Whole, ms(5)).is_active());
    }

    #[test]
    fn a_plan_is_random_when_it_draws_cuts_or_pauses() {
        let range = ChunkRange::new(1, 3).unwrap();
        let with = |cuts, delay_ms, random_pauses| FragmentPlan {
            cuts,
            delay: Duration::from_millis(delay_ms),
            random_pauses,
            ..FragmentPlan::default()
        };
        assert!(with(Cuts::Random(range), 0, false).is_random());
        assert!(with(Cuts::Whole, 10, true).is_random());
        assert!(!with(Cuts::Whole, 0, true).is_random());
        assert!(!with(Cuts::Fixed(2), 10, false).is_random());
    }

    #[test]
    fn pauses_are_the_delay_or_drawn_up_to_it() {
        let with = |delay_ms, random_pauses| FragmentPlan {
            delay: Duration::from_millis(delay_ms),
            random_pauses,
            seed: 7,
            ..FragmentPlan::default()
        };
        let mut fixed = Fragmenter::new(with(40, false));
        assert!((0..20).all(|_| fixed.next_pause() == Duration::from_millis(40)));
        let mut none = Fragmenter::new(with(0, true));
        assert!((0..20).all(|_| none.next_pause().is_zero()));
        let mut drawn = Fragmenter::new(with(40, true));
        let pauses: Vec<Duration> = (0..50).map(|_| drawn.next_pause()).collect();
        assert!(pauses.iter().all(|p| *p <= Duration::from_millis(40)));
        assert!(
            pauses.iter().any(|p| *p != Duration::from_millis(40)),
            "{pauses:?}"
        );
    }

    #[test]
    fn same_seed_gives_same_cuts() {
        let range = ChunkRange::new(1, 7).unwrap();
        let a = Fragmenter::new(plan(Cuts::Random(range), 42)).pieces(500);
        let b = Fragmenter::new(plan(Cuts::Random(range), 42)).pieces(500);
        let c = Fragmenter::new(plan(Cuts::Random(range), 43)).pieces(500);
        assert_eq!(a, b);
        assert_ne!(a, c, "another seed should cut differently");
    }

    #[test]
    fn cuts_cover_the_buffer_exactly_within_bounds() {
        for seed in 0..50 {
            for len in [0, 1, 2, 9, 100, 4097] {
                let range = ChunkRange::new(2, 5).unwrap();
                let pieces = Fragmenter::new(plan(Cuts::Random(range), seed)).pieces(len);
                assert_eq!(pieces.iter().sum::<usize>(), len);
                // Every piece but the last is within bounds; the last may be shorter.
                if let Some((_, init)) = pieces.split_last() {
                    assert!(init.iter().all(|&n| (2..=5).contains(&n)), "{pieces:?}");
                }
            }
        }
    }

    #[test]
    fn fixed_cuts_are_the_chunk_size_then_the_rest() {
        let pieces = Fragmenter::new(plan(Cuts::Fixed(3), 0)).pieces(10);
        assert_eq!(pieces, vec![3, 3, 3, 1]);
        assert_eq!(Fragmenter::new(plan(Cuts::Whole, 0)).pieces(10), vec![10]);
    }

    #[test]
    fn bad_parameters_are_rejected() {
        assert_eq!(
            FragmentPlan::new(Some(0), None, Duration::ZERO, 0),
            Err(FragmentError::ZeroChunk)
        );
        assert_eq!("0-5".parse::<ChunkRange>(), Err(FragmentError::ZeroMin(0)));
        assert_eq!(
            "6-5".parse::<ChunkRange>(),
            Err(FragmentError::MinAboveMax { min: 6, max: 5 })
        );
        assert!(matches!(
            "5".parse::<ChunkRange>(),
            Err(FragmentError::BadRange(_))
        ));
        assert!(matches!(
            "a-b".parse::<ChunkRange>(),
            Err(FragmentError::BadRange(_))
        ));
        assert_eq!(
            "2-5".parse::<ChunkRange>(),
            Ok(ChunkRange { min: 2, max: 5 })
        );
    }

    /// A stream that records each write, and each pause as an empty entry.
    struct Sink(Vec<Vec<u8>>);
    impl io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.push(buf.to_vec());
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    impl io::Read for Sink {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Ok(0)
        }
    }
    impl Transport for Sink {
        fn pause(&mut self, _: Duration) {
            self.0.push(Vec::new());
        }

        fn close_write(&mut self) -> io::Result<()> {
            Ok(())
        }

        fn abort(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn writes_each_piece_and_reports_it() {
        let mut sink = Sink(Vec::new());
        let mut seen = Vec::new();
        Fragmenter::new(plan(Cuts::Fixed(2), 0))
            .write(&mut sink, b"hello", |p| seen.push(p.to_vec()))
            .unwrap();
        assert_eq!(sink.0, vec![b"he".to_vec(), b"ll".to_vec(), b"o".to_vec()]);
        assert_eq!(seen, sink.0);
    }

    #[test]
    fn a_burst_leaves_back_to_back_and_pauses_after_it() {
        let burst = FragmentPlan {
            delay: Duration::from_millis(80),
            burst: 2,
            ..plan(Cuts::Fixed(1), 0)
        };
        let mut sink = Sink(Vec::new());
        Fragmenter::new(burst)
            .write(&mut sink, b"abc", |_| {})
            .unwrap();
        let shown: Vec<&str> = sink
            .0
            .iter()
            .map(|w| {
                if w.is_empty() {
                    "pause"
                } else {
                    std::str::from_utf8(w).unwrap()
                }
            })
            .collect();
        // Two pieces in a row, a pause; the last piece ends its burst early.
        assert_eq!(shown, ["a", "b", "pause", "c", "pause"]);
        assert_eq!(
            burst.describe(),
            "pieces of at most 1 byte, 80 ms pause after each 2 in a row"
        );
        let single = FragmentPlan { burst: 1, ..burst };
        assert_eq!(
            single.describe(),
            "pieces of at most 1 byte, 80 ms pause after each"
        );
        let no_pause = FragmentPlan {
            burst: 0,
            delay: Duration::ZERO,
            ..burst
        };
        assert_eq!(no_pause.describe(), "pieces of at most 1 byte");
    }
}
