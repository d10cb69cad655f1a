//! The shapes a check runs, from gentle to hostile, and the shaping
//! switches of each direction they stand for.

use std::io;
use std::time::Duration;

use serde::Serialize;

use super::EDGE_CHUNKS;
use crate::shape::fragment::ChunkRange;
use crate::shape::{Shape, ShapeSpec};

/// The shapes, from gentle to hostile.
///
/// Every shape with pauses is paced by the reader: a pause ends as soon as
/// the receiver has read the chunk before it (its kernel's receive queue is
/// empty), so each chunk is one read, as fast as the receiver reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ShapeName {
    /// Passed on as it comes: a client that fails here is broken regardless.
    Whole,
    /// One byte per write, each read before the next is written.
    OneByte,
    /// Chunks of 3 bytes, each read before the next: partial reads.
    Chunks,
    /// Separate writes read late and passed on as one: coalescing.
    Merged,
    /// As through small socket buffers: a large message passed on 4 KiB at a
    /// time, each read before the next, so it arrives over many reads.
    SmallBuffers,
    /// Chunks of random sizes, 1-8 bytes, seeded, each read before the next.
    Random,
    /// Each reply (each request, for a server) held back half way: once the
    /// first half is read, a silence of `--stall-ms` (1 s) before the rest.
    /// A program that takes a quiet moment for the end of a message gets
    /// half of it.
    Stall,
    /// The reply cut in the middle, then the connection closed: the client
    /// must fail, since taking half a reply for a whole one is the bug. For
    /// a server: a request cut half way and the connection closed; the
    /// server must go on answering new connections.
    Cut,
    /// Each request (servers) or each reply (clients) split once, at every
    /// byte in turn (`--at` for one split). Not among a client's shapes
    /// unless asked for: a client runs once per split point.
    Split,
    /// Servers: a second connection opened, its requests sent, while the
    /// first is mid-request.
    Concurrent,
}

impl ShapeName {
    /// Every shape, in order.
    pub const ALL: [ShapeName; 8] = [
        ShapeName::Whole,
        ShapeName::OneByte,
        ShapeName::Chunks,
        ShapeName::Merged,
        ShapeName::SmallBuffers,
        ShapeName::Random,
        ShapeName::Stall,
        ShapeName::Cut,
    ];

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ShapeName::Whole => "whole",
            ShapeName::OneByte => "one-byte",
            ShapeName::Chunks => "chunks",
            ShapeName::Merged => "merged",
            ShapeName::SmallBuffers => "small-buffers",
            ShapeName::Random => "random",
            ShapeName::Stall => "stall",
            ShapeName::Cut => "cut",
            ShapeName::Split => "split",
            ShapeName::Concurrent => "concurrent",
        }
    }

    /// True for the shape the client must fail.
    pub fn must_fail(self) -> bool {
        self == ShapeName::Cut
    }

    /// True for the shapes of replies only (server → client).
    pub fn replies_only(self) -> bool {
        matches!(self, ShapeName::Stall | ShapeName::Cut | ShapeName::Split)
    }

    /// The shaping switches of each direction: (server → client, client →
    /// server). `cut_after` is the cut shape's byte count. The stall is
    /// not a switch: see [`shapes`].
    pub fn specs(self, cut_after: u64) -> (ShapeSpec, ShapeSpec) {
        let both = |spec: ShapeSpec| (spec, spec);
        // The pauses are the longest a chunk waits for its reader: a reader
        // that is reading takes it within microseconds.
        let paced = |chunk, random| ShapeSpec {
            chunk,
            random_chunks: random,
            chunk_delay_ms: Some(250),
            ..ShapeSpec::default()
        };
        match self {
            ShapeName::Whole | ShapeName::Stall | ShapeName::Split | ShapeName::Concurrent => {
                both(ShapeSpec::default())
            }
            ShapeName::OneByte => both(paced(Some(1), None)),
            ShapeName::Chunks => both(paced(Some(3), None)),
            ShapeName::Merged => both(ShapeSpec {
                read_delay_ms: Some(60),
                ..ShapeSpec::default()
            }),
            // Not the socket options themselves: windows that small make
            // loopback TCP wait on delayed acknowledgements (a 64 KiB echo
            // took seconds, 1 MiB over a minute), and how much one read gets
            // then depends on timing. Chunks of 4 KiB, each read before the
            // next, are what such buffers let through, on every run.
            ShapeName::SmallBuffers => both(paced(Some(4096), None)),
            ShapeName::Random => both(paced(None, Some(ChunkRange { min: 1, max: 8 }))),
            ShapeName::Cut => (
                ShapeSpec {
                    cut_after: Some(cut_after),
                    ..ShapeSpec::default()
                },
                ShapeSpec::default(),
            ),
        }
    }
}

impl std::fmt::Display for ShapeName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Which directions a run shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Directions {
    /// Requests and replies.
    #[default]
    Both,
    /// Replies only (server → client): what the client's reads get.
    Down,
    /// Requests only (client → server): what the server's reads get.
    Up,
}

impl Directions {
    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Directions::Both => "both",
            Directions::Down => "down",
            Directions::Up => "up",
        }
    }
}

/// Each of `shapes` once, the random one with seeds `1..=seeds`.
pub(crate) fn with_seeds(shapes: &[ShapeName], seeds: u64) -> Vec<(ShapeName, u64)> {
    shapes
        .iter()
        .flat_map(|&s| match s {
            ShapeName::Random => (1..=seeds).map(|seed| (s, seed)).collect::<Vec<_>>(),
            _ => vec![(s, 0)],
        })
        .collect()
}

/// The shapes of one run, as the proxy takes them: (server → client,
/// client → server), the direction not shaped passed on as it comes. `at`:
/// the byte the cut shape closes after, or the split shape splits after.
pub fn shapes(
    shape: ShapeName,
    seed: u64,
    at: u64,
    stall: Duration,
    direction: Directions,
) -> io::Result<(Shape, Shape)> {
    let (down, up) = shape.specs(at);
    let make = |spec: ShapeSpec| -> io::Result<Shape> {
        let mut made = spec.shape(seed).map_err(io::Error::other)?;
        made.plan.edges = EDGE_CHUNKS;
        // A chunk waits for its reader as long as a stall holds: a reader
        // that waits a while before it reads still gets one chunk.
        if !made.plan.delay.is_zero() {
            made.plan.delay = stall;
        }
        Ok(made)
    };
    let (mut down, mut up) = (make(down)?, make(up)?);
    if shape == ShapeName::Stall {
        down.stall = Some(stall);
    }
    if shape == ShapeName::Split {
        down.split_at = Some(at as usize);
    }
    match direction {
        Directions::Both => {}
        Directions::Down => up = Shape::default(),
        Directions::Up => down = Shape::default(),
    }
    Ok((down, up))
}
