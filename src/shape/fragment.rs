//! Fragmentation: how one buffer is split into chunks, one write each, and how those writes are paced.
//!
//! This is the component that makes TCP's missing boundaries visible on demand. The
//! fragmenting echo server uses it to split each echo, the client uses it to split the
//! messages it sends, and the proxy uses it on whatever passes through. One fragmenter,
//! used everywhere, so a chunk means the same thing in every tool.
//!
//! A [`Fragmenter`] hands out chunk lengths one at a time ([`Fragmenter::next_chunk`])
//! instead of building a list, so fragmenting a message costs no allocation however long
//! the stream. With random chunks the lengths come from a generator seeded with a
//! number the user can see and repeat: the same seed gives the same chunks.

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
    /// `MIN-MAX` with MIN = 0.
    #[error("random chunks: MIN must be at least 1 byte (got {0})")]
    ZeroMin(usize),
    /// `MIN-MAX` with MIN > MAX.
    #[error("random chunks: MIN ({min}) is larger than MAX ({max})")]
    MinAboveMax {
        /// The smallest chunk asked for.
        min: usize,
        /// The largest chunk asked for.
        max: usize,
    },
    /// Not of the form `MIN-MAX`.
    #[error("random chunks: expected MIN-MAX, such as 2-5 (got '{0}')")]
    BadRange(String),
}

/// Inclusive bounds for random chunk sizes, written `MIN-MAX` on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkRange {
    /// Smallest chunk, at least 1.
    pub min: usize,
    /// Largest chunk, at least `min`.
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
        // A number too large for memory is as large as one can be: past
        // any limit, which says so.
        let size = |n: &str| -> Result<usize, FragmentError> {
            let n: u128 = n.trim().parse().map_err(|_| bad())?;
            Ok(usize::try_from(n).unwrap_or(usize::MAX))
        };
        ChunkRange::new(size(min)?, size(max)?)
    }
}

impl std::fmt::Display for ChunkRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.min, self.max)
    }
}

/// How a buffer is split into chunks, one write each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Chunks {
    /// One write for the whole buffer (what the book's server does).
    #[default]
    Whole,
    /// Chunks of at most this many bytes.
    Fixed(usize),
    /// Chunks of a random size within the range, drawn from a seeded generator.
    Random(ChunkRange),
}

/// Everything that decides how a stream is fragmented: validated, ready to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FragmentPlan {
    /// The chunks' sizes.
    pub chunks: Chunks,
    /// The pause after each chunk (zero: no pause).
    pub delay: Duration,
    /// Draw each pause at random between zero and `delay` (a zero pause is no
    /// pause at all: that chunk and the next leave back to back).
    pub random_pauses: bool,
    /// Seed of the generator behind [`Chunks::Random`].
    pub seed: u64,
    /// Chunks per burst: the pause comes after every `burst`-th chunk (and
    /// after the last), so the chunks of one burst leave back to back and
    /// arrive as one read. 0 or 1: a pause after every chunk.
    pub burst: usize,
    /// Fragment only the edges of each buffer: its first `edges` chunks and its
    /// last `edges` chunks as the plan says, the middle as one write. The
    /// boundaries a reader can trip on (where a message starts and ends) are
    /// still split, at a cost that does not grow with the buffer. 0: all of it.
    pub edges: usize,
}

/// A plan is made from the switches in one place only,
/// [`ShapeSpec::shape`](crate::shape::ShapeSpec::shape), which checks every
/// rule between them.
impl FragmentPlan {
    /// True when this plan changes anything compared to one plain write.
    pub fn is_active(&self) -> bool {
        self.chunks != Chunks::Whole || !self.delay.is_zero()
    }

    /// True when the plan draws anything from the seeded generator.
    pub fn is_random(&self) -> bool {
        matches!(self.chunks, Chunks::Random(_)) || (self.random_pauses && !self.delay.is_zero())
    }

    /// The plan in words, in `lang`, e.g. `random chunks of 2-5 bytes (seed
    /// 42), 100 ms pause after each` (a part of [`crate::shape::Shape::describe`]).
    pub fn describe_in(&self, lang: Lang) -> String {
        let chunks = match self.chunks {
            Chunks::Whole => tr!(lang, "plan-whole"),
            Chunks::Fixed(n) => tr!(
                lang,
                "plan-fixed",
                n = crate::text::bytes_in(n as u64, lang)
            ),
            Chunks::Random(r) => tr!(lang, "plan-random", range = r.to_string()),
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
        format!("{chunks}{pauses}{seed}")
    }
}

/// Chunks buffers into chunks according to a [`FragmentPlan`] and writes them.
#[derive(Debug)]
pub struct Fragmenter {
    plan: FragmentPlan,
    rng: ChaCha8Rng,
}

impl Fragmenter {
    /// A fragmenter whose random chunks start from `plan.seed`.
    pub fn new(plan: FragmentPlan) -> Self {
        Fragmenter {
            plan,
            rng: ChaCha8Rng::seed_from_u64(plan.seed),
        }
    }

    /// The length of the next chunk when `remaining` bytes are left to write:
    /// always at least 1 and at most `remaining` (for `remaining > 0`).
    pub fn next_chunk(&mut self, remaining: usize) -> usize {
        let want = match self.plan.chunks {
            Chunks::Whole => remaining,
            Chunks::Fixed(n) => n,
            Chunks::Random(r) => self.rng.random_range(r.min..=r.max),
        };
        want.clamp(1, remaining.max(1))
    }

    /// The pause after the next chunk: the plan's delay, or a random part of it.
    pub fn next_pause(&mut self) -> Duration {
        if self.plan.random_pauses && !self.plan.delay.is_zero() {
            let max = self.plan.delay.as_millis() as u64;
            Duration::from_millis(self.rng.random_range(0..=max))
        } else {
            self.plan.delay
        }
    }

    /// All chunk lengths for a buffer of `len` bytes, in order. They add up to `len`.
    /// Handy in tests and for showing a plan; the write path uses [`Self::next_chunk`].
    pub fn chunks(&mut self, len: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut left = len;
        while left > 0 {
            let n = self.next_chunk(left);
            out.push(n);
            left -= n;
        }
        out
    }

    /// With [`FragmentPlan::edges`], the sizes of every chunk of a buffer of
    /// `len` bytes: the first and the last `edges` chunks as the plan makes
    /// them, and one chunk for what lies between.
    fn edge_chunks(&mut self, len: usize) -> Option<std::collections::VecDeque<usize>> {
        let edges = self.plan.edges;
        if edges == 0 {
            return None;
        }
        let mut left = len;
        let mut draw = |count: usize| {
            let mut sizes = Vec::new();
            while sizes.len() < count && left > 0 {
                let n = self.next_chunk(left);
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

    /// Write `data` as a series of chunks, pausing after each one if the plan says
    /// so. `on_write` sees the bytes of each `write` system call, once it has
    /// returned: one call per chunk, or more when the kernel takes less.
    pub fn write<T: Transport + ?Sized>(
        &mut self,
        stream: &mut T,
        data: &[u8],
        mut on_write: impl FnMut(&[u8]),
    ) -> io::Result<()> {
        let mut rest = data;
        let mut chunks = 0;
        let mut planned = self.edge_chunks(data.len());
        while !rest.is_empty() {
            let n = match planned.as_mut() {
                Some(sizes) => sizes.pop_front().unwrap_or(rest.len()),
                None => self.next_chunk(rest.len()),
            };
            let (chunk, tail) = rest.split_at(n);
            write_chunk(stream, chunk, &mut on_write)?;
            rest = tail;
            chunks += 1;
            // The chunks of one burst leave back to back: no pause between
            // them, so a reader gets them together, two writes in one read.
            if chunks % self.plan.burst.max(1) != 0 && !rest.is_empty() {
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

/// Write one chunk, one `write` system call at a time. On a blocking socket
/// that is one call, unless the kernel accepts fewer bytes than asked (its
/// send buffer had room for only part of the chunk): then `write` is called
/// again for the rest. A short write is not an error, and losing the rest of a
/// message would be. Each call is reported on its own, so a short write shows
/// as the two writes it was.
fn write_chunk<T: Transport + ?Sized>(
    stream: &mut T,
    chunk: &[u8],
    on_write: &mut impl FnMut(&[u8]),
) -> io::Result<()> {
    let mut left = chunk;
    while !left.is_empty() {
        match stream.write(left) {
            // A socket never takes nothing; a stream that does would loop forever.
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "failed to write whole buffer",
                ));
            }
            Ok(n) => {
                on_write(&left[..n]);
                left = &left[n..];
            }
            // A signal arrived before any byte was taken: ask again.
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
