//! Shaping a stream: how writes are split into chunks and paced, how late a reader reads,
//! when a connection is cut, and the socket options, so that TCP's missing
//! boundaries show on demand.
//!
//! The same switches shape the echo server's replies, the client's messages,
//! each direction of the proxy, and a scenario's server. They are written by a
//! user as a [`ShapeSpec`] (command-line switches or a scenario file's keys) and
//! turned into a [`Shape`] by one function, [`ShapeSpec::shape`]. The seed of the
//! random chunks and pauses is chosen in one place too, [`choose_seed`].
//!
//! - [`fragment`]: the one fragmenter, used by the server, the client and the proxy.
//! - [`conn`]: the echo server's connection with its shape applied (a late
//!   read, the fragmenter, a cut or a reset), so the server's loop stays the book's.

pub mod conn;
pub mod fragment;

use std::time::Duration;

use serde::{Serialize, Serializer};

use crate::lang::Lang;
use crate::text::bytes_in;
use crate::tr;
use crate::transport::net::SocketOptions;
use fragment::{ChunkRange, Chunks, FragmentPlan};

/// The largest chunk a write may be split into, and the largest socket buffer
/// one may ask for: 16 MiB.
pub const MAX_CHUNK: u64 = 16 << 20;
/// The longest pause after a chunk, and the longest read delay: 60 s.
pub const MAX_DELAY_MS: u64 = 60_000;
/// The largest SO_SNDBUF or SO_RCVBUF one may ask for (the kernel caps it
/// lower anyway): 64 MiB.
pub const MAX_SOCKET_BUFFER: u64 = 64 << 20;
/// The most chunks in one burst (`burst`).
pub const MAX_BURST: u64 = 1000;
/// The most bytes `cut_after`/`reset_after` may name: 1 TiB.
pub const MAX_CUT_AFTER: u64 = 1 << 40;

/// How one direction of a stream is shaped. `Default`: passed on as written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shape {
    /// How each buffer is split into chunks and paced.
    pub plan: FragmentPlan,
    /// Read late: wait this long before each read, so that separate writes
    /// pile up and one read returns them together (coalescing).
    pub read_delay: Duration,
    /// After this many bytes, close the connection cleanly (FIN).
    pub cut_after: Option<u64>,
    /// After this many bytes, abort the connection (RST).
    pub reset_after: Option<u64>,
    /// Hold each reply (the first buffer after the client last sent) back
    /// half way: the first half goes, and once it is read (paced by the
    /// reader), a silence this long before the rest: longer than a reader
    /// that frames by waiting for quiet waits.
    pub stall: Option<Duration>,
    /// Split each buffer once, after this many bytes; the rest goes once the
    /// receiver has read the first part (see the proxy's `paced_by_reader`).
    pub split_at: Option<usize>,
    /// TCP_NODELAY and buffer sizes.
    pub socket: SocketOptions,
}

impl Shape {
    /// The bytes passed on before the connection ends, when the shape ends
    /// it: with a FIN (`cut_after`) or a RST (`reset_after`).
    pub fn ends_after(&self) -> Option<u64> {
        self.cut_after.or(self.reset_after)
    }

    /// True when the shape changes the stream's bytes or timing (socket
    /// options aside), so its writes are worth showing.
    pub fn reshapes(&self) -> bool {
        self.plan.is_active()
            || !self.read_delay.is_zero()
            || self.cut_after.is_some()
            || self.reset_after.is_some()
            || self.stall.is_some()
            || self.split_at.is_some()
    }

    /// The shape in words, in the class's language, one phrase per part:
    /// `chunks of at most 3 bytes, 50 ms pause after each`, `reads late: waits
    /// 100 ms before each read`, … The one place a shape is worded: the
    /// scenarios' set-up lines, the echo server's start-up lines and the
    /// proxy's all say it this way.
    pub fn describe(&self, lang: Lang) -> Vec<String> {
        let mut parts = Vec::new();
        if self.plan.is_active() {
            parts.push(self.plan.describe_in(lang));
        }
        if !self.read_delay.is_zero() {
            let ms = self.read_delay.as_millis() as u64;
            parts.push(tr!(lang, "shape-reads-late", ms = ms));
        }
        if let Some(n) = self.cut_after {
            parts.push(tr!(lang, "shape-cut-after", n = bytes_in(n, lang)));
        }
        if let Some(n) = self.reset_after {
            parts.push(tr!(lang, "shape-reset-after", n = bytes_in(n, lang)));
        }
        if let Some(d) = self.stall {
            let ms = d.as_millis() as u64;
            parts.push(tr!(lang, "shape-stall", ms = ms));
        }
        if let Some(k) = self.split_at {
            parts.push(tr!(lang, "shape-split", n = bytes_in(k as u64, lang)));
        }
        parts
    }
}

/// A bad combination of shaping switches.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShapeError {
    /// Fixed and random chunks at once.
    #[error("chunk and random_chunks cannot both be given")]
    ChunkAndRandom,
    /// A clean cut and a reset at once.
    #[error("cut_after and reset_after cannot both be given")]
    CutAndReset,
    /// Random pauses with no longest pause.
    #[error("random_pauses needs a chunk_delay_ms above 0 (the longest pause)")]
    RandomPausesWithoutDelay,
    /// A seed where nothing is drawn at random.
    #[error("--seed is only used with --random-chunks or --random-pauses")]
    UnusedSeed,
    /// A number beyond its documented limit.
    #[error("{key} = {value} is out of range: {min} to {max}")]
    OutOfRange {
        /// The switch or key.
        key: &'static str,
        /// The value given.
        value: u64,
        /// The smallest value allowed.
        min: u64,
        /// The largest value allowed.
        max: u64,
    },
}

/// The shaping keys, each declared once: its name in code and in a scenario
/// file (`chunk_delay_ms`), on the command line (`chunk-delay-ms`), its type,
/// its help, how the command line reads it (`[...]`: clap's arguments) and
/// which other switch it excludes or needs (`[conflicts_with "…"]`, named
/// without the proxy's `down-`/`up-` prefix). `writes`: how an end splits
/// and paces what it writes, and its socket; `answers`: what only the end
/// that answers does to a connection.
///
/// Every place that takes the keys is written from this list by the macro
/// named first, which is given the rest of the arguments before the list:
/// [`ShapeSpec`] below, a scenario's `[server]` table
/// ([`ServerSettings`](crate::scenario::ServerSettings)) and the command
/// line's switches (`cli::shape`). A new key is one entry here, and its
/// effect in [`ShapeSpec::shape`] (or where its [`Shape`] is applied).
macro_rules! with_shaping_keys {
    ($then:ident ! $($args:tt)*) => {
        $then! { ($($args)*)
            writes {
                /// Split each write into chunks of at most BYTES (1 to 16M).
                chunk "chunk": Option<u64>
                    [allow_negative_numbers = true, value_name = "BYTES",
                     value_parser = bytes_in(1, MAX_CHUNK)]
                    [conflicts_with "random-chunks"],
                /// Pause MS after each chunk (0 to 60000): a reader on the other end
                /// gets the part that has arrived.
                chunk_delay_ms "chunk-delay-ms": Option<u64>
                    [allow_negative_numbers = true, value_name = "MS", value_parser = millis]
                    [],
                /// Split into chunks of random sizes between MIN and MAX bytes (1 to
                /// 16M; seeded).
                random_chunks "random-chunks": Option<ChunkRange>
                    [allow_hyphen_values = true, value_name = "MIN-MAX", value_parser = chunk_range]
                    [],
                /// Draw each pause at random between 0 and the chunk delay (seeded); a
                /// pause of 0 sends the next chunk straight after.
                random_pauses "random-pauses": bool
                    []
                    [requires "chunk-delay-ms"],
                /// Send the chunks in bursts of N (1 to 1000): the pause comes after
                /// every Nth chunk, so N writes in a row arrive as one read.
                burst "burst": Option<u64>
                    [allow_negative_numbers = true, value_name = "N",
                     value_parser = number_in(1, MAX_BURST)]
                    [],
                /// Set TCP_NODELAY: every write leaves at once, so small writes are
                /// not merged by Nagle's algorithm.
                nodelay "nodelay": bool
                    []
                    [],
                /// Ask for this SO_SNDBUF (1 to 64M; the kernel's size is printed).
                send_buffer "send-buffer": Option<u64>
                    [allow_negative_numbers = true, value_name = "BYTES",
                     value_parser = bytes_in(1, MAX_SOCKET_BUFFER)]
                    [],
                /// Ask for this SO_RCVBUF (1 to 64M; the kernel's size is printed): a
                /// small one makes a large message arrive over several reads.
                recv_buffer "recv-buffer": Option<u64>
                    [allow_negative_numbers = true, value_name = "BYTES",
                     value_parser = bytes_in(1, MAX_SOCKET_BUFFER)]
                    [],
            }
            answers {
                /// Read late: wait MS (0 to 60000) before each read, so that separate
                /// writes arrive as one read (coalescing).
                read_delay_ms "read-delay-ms": Option<u64>
                    [allow_negative_numbers = true, value_name = "MS", value_parser = millis]
                    [],
                /// Close the connection cleanly (FIN) after BYTES (0 to 1T): a
                /// peer that vanishes mid-message.
                cut_after "cut-after": Option<u64>
                    [allow_negative_numbers = true, value_name = "BYTES",
                     value_parser = bytes_in(0, MAX_CUT_AFTER)]
                    [conflicts_with "reset-after"],
                /// Abort the connection (RST) after BYTES (0 to 1T).
                reset_after "reset-after": Option<u64>
                    [allow_negative_numbers = true, value_name = "BYTES",
                     value_parser = bytes_in(0, MAX_CUT_AFTER)]
                    [],
            }
        }
    };
}
pub(crate) use with_shaping_keys;

/// Writes [`ShapeSpec`] from the list of keys.
macro_rules! shape_spec {
    (()
     writes { $( $(#[$wdoc:meta])* $w:ident $wlong:literal : $wty:ty [$($wa:tt)*] [$($wr:tt)*], )* }
     answers { $( $(#[$adoc:meta])* $a:ident $along:literal : $aty:ty [$($aa:tt)*] [$($ar:tt)*], )* }
    ) => {
        /// The shaping switches as a user gives them: on the command line (see
        /// `cli::shape`) or as keys of a scenario file's `[server]` table,
        /// written from the one list of keys (`with_shaping_keys!`).
        /// `tests/shape_keys.rs` holds a scenario's `[client]` keys and the
        /// command line to it, through this struct's serialized field names.
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
        pub struct ShapeSpec {
            $( $(#[$wdoc])* pub $w: $wty, )*
            $( $(#[$adoc])* pub $a: $aty, )*
        }

        impl ShapeSpec {
            /// Each switch of `self` that is set, else the one of `base`: switches on
            /// the command line over a scenario file's.
            pub fn over(self, base: ShapeSpec) -> ShapeSpec {
                ShapeSpec {
                    $( $w: Over::over(self.$w, base.$w), )*
                    $( $a: Over::over(self.$a, base.$a), )*
                }
            }
        }
    };
}
with_shaping_keys!(shape_spec!);

/// A switch given over another: an option when set, a flag when on.
trait Over {
    fn over(self, base: Self) -> Self;
}

impl<T> Over for Option<T> {
    fn over(self, base: Self) -> Self {
        self.or(base)
    }
}

impl Over for bool {
    fn over(self, base: Self) -> Self {
        self || base
    }
}

/// A range is written as the files and the command line spell it: `MIN-MAX`.
impl Serialize for ChunkRange {
    fn serialize<S: Serializer>(&self, to: S) -> Result<S::Ok, S::Error> {
        to.collect_str(self)
    }
}

impl ShapeSpec {
    /// True when the shape draws anything from the seeded generator, so a
    /// seed must be chosen.
    pub fn needs_seed(&self) -> bool {
        self.random_chunks.is_some() || (self.random_pauses && self.chunk_delay_ms.unwrap_or(0) > 0)
    }

    /// The one mapping from switches to a [`Shape`]: every limit and every
    /// rule between switches is checked here. `seed` is used when the shape
    /// is random (see [`choose_seed`]).
    pub fn shape(&self, seed: u64) -> Result<Shape, ShapeError> {
        let chunk_size = |key, v: Option<u64>| in_range(key, v, 1, MAX_CHUNK);
        let delay = |key, v: Option<u64>| in_range(key, v, 0, MAX_DELAY_MS);
        let buffer = |key, v: Option<u64>| in_range(key, v, 1, MAX_SOCKET_BUFFER);
        let after = |key, v: Option<u64>| in_range(key, v, 0, MAX_CUT_AFTER);
        let chunk = chunk_size("chunk", self.chunk)?;
        if let Some(r) = self.random_chunks {
            chunk_size("random_chunks", Some(r.max as u64))?;
        }
        let chunks = match (chunk, self.random_chunks) {
            (Some(_), Some(_)) => return Err(ShapeError::ChunkAndRandom),
            (Some(n), None) => Chunks::Fixed(n as usize),
            (None, Some(r)) => Chunks::Random(r),
            (None, None) => Chunks::Whole,
        };
        if self.random_pauses && self.chunk_delay_ms.unwrap_or(0) == 0 {
            return Err(ShapeError::RandomPausesWithoutDelay);
        }
        let burst = in_range("burst", self.burst, 1, MAX_BURST)?;
        if self.cut_after.is_some() && self.reset_after.is_some() {
            return Err(ShapeError::CutAndReset);
        }
        let ms = |v: Option<u64>| Duration::from_millis(v.unwrap_or(0));
        Ok(Shape {
            plan: FragmentPlan {
                chunks,
                delay: ms(delay("chunk_delay_ms", self.chunk_delay_ms)?),
                random_pauses: self.random_pauses,
                seed,
                burst: burst.unwrap_or(1) as usize,
                edges: 0,
            },
            stall: None,
            split_at: None,
            read_delay: ms(delay("read_delay_ms", self.read_delay_ms)?),
            cut_after: after("cut_after", self.cut_after)?,
            reset_after: after("reset_after", self.reset_after)?,
            socket: SocketOptions {
                nodelay: self.nodelay,
                send_buffer: buffer("send_buffer", self.send_buffer)?.map(|n| n as usize),
                recv_buffer: buffer("recv_buffer", self.recv_buffer)?.map(|n| n as usize),
            },
        })
    }
}

fn in_range(
    key: &'static str,
    v: Option<u64>,
    min: u64,
    max: u64,
) -> Result<Option<u64>, ShapeError> {
    match v {
        Some(value) if value < min || value > max => Err(ShapeError::OutOfRange {
            key,
            value,
            min,
            max,
        }),
        _ => Ok(v),
    }
}

/// What [`seeded`] gives: the shapes and the note on the seed chosen, or
/// the error and the index of the spec it is about (`None`: the seed).
pub type Seeded<const N: usize> = Result<([Shape; N], Option<String>), (Option<usize>, ShapeError)>;

/// Shapes from their switches with one seed between them: the one given,
/// or one chosen now when any of them draws at random (with the note that
/// says how to repeat the run). Seed, then shape, in one step for every
/// program that takes shaping switches; an error names the index of the
/// spec it is about (`None`: the seed itself).
pub fn seeded<const N: usize>(specs: [&ShapeSpec; N], given: Option<u64>) -> Seeded<N> {
    let needed = specs.iter().any(|s| s.needs_seed());
    let (seed, note) = choose_seed(given, needed).map_err(|e| (None, e))?;
    let mut shapes = [Shape::default(); N];
    for (i, spec) in specs.iter().enumerate() {
        shapes[i] = spec.shape(seed).map_err(|e| (Some(i), e))?;
    }
    Ok((shapes, note))
}

/// The seed for a shape: the one given, or, when the shape is random and none
/// was given, one chosen now with the note that says how to repeat the run.
/// The only place a seed is chosen. A seed given to a shape that draws
/// nothing at random is a mistake worth saying.
pub fn choose_seed(given: Option<u64>, needed: bool) -> Result<(u64, Option<String>), ShapeError> {
    Ok(match (given, needed) {
        (Some(_), false) => return Err(ShapeError::UnusedSeed),
        (Some(s), true) => (s, None),
        (None, true) => {
            let s = rand::random::<u32>() as u64;
            (
                s,
                Some(format!(
                    "no --seed given: chose seed {s} (repeat with --seed {s})"
                )),
            )
        }
        (None, false) => (0, None),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shape_is_worded_part_by_part_in_the_class_s_language() {
        let shape = ShapeSpec {
            chunk: Some(3),
            chunk_delay_ms: Some(50),
            read_delay_ms: Some(100),
            reset_after: Some(9),
            ..ShapeSpec::default()
        }
        .shape(0)
        .unwrap();
        let shape = Shape {
            stall: Some(Duration::from_millis(200)),
            split_at: Some(4),
            ..shape
        };
        assert_eq!(
            shape.describe(Lang::En),
            [
                "chunks of at most 3 bytes, 50 ms pause after each",
                "reads late: waits 100 ms before each read",
                "resets the connection (RST) after 9 bytes",
                "each reply held back half way: the rest 200 ms after the first half is read",
                "each buffer split once after 4 bytes",
            ]
        );
        let ko = shape.describe(Lang::Ko);
        assert_eq!(ko.len(), 5);
        assert!(
            ko.iter()
                .all(|p| ["after", "each", "waits"].iter().all(|w| !p.contains(w))),
            "{ko:?}"
        );
        assert!(Shape::default().describe(Lang::En).is_empty());
    }
}
