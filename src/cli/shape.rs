//! The shaping switches: one definition, flattened wherever a stream is shaped.
//!
//! echo-server, `tcp-boundary run` (over the scenario's server) and
//! `bench --spawn-server` take them as they are; echo-client takes the part
//! that shapes what it writes ([`WriteShapeArgs`]), not the late read, cut or
//! reset that only a server or a proxy makes; the
//! proxy takes them twice, once per direction, as `--down-…` (server → client)
//! and `--up-…` (client → server). [`shape_switches!`] writes each of those
//! structs from the one list of switches below, so a switch added there exists
//! everywhere, with the same help and the same limits.

use clap::Args;

use crate::shape::fragment::ChunkRange;
use crate::shape::{
    MAX_BURST, MAX_CHUNK, MAX_CUT_AFTER, MAX_DELAY_MS, MAX_SOCKET_BUFFER, ShapeSpec,
};

/// A byte count from 1 to `max`, with an optional unit: `4096`, `64K`, `16MiB`
/// (K, M and G are powers of 1024).
pub fn bytes_in(min: u64, max: u64) -> impl Fn(&str) -> Result<u64, String> + Clone {
    move |s: &str| {
        if s.trim_start().starts_with('-') {
            return Err(format!("must be from {min} to {max} bytes, not negative"));
        }
        let n = parse_size::Config::new()
            .with_binary()
            .parse_size(s.trim())
            .map_err(|e| format!("expected a number of bytes such as 4096 or 64K ({e})"))?;
        if n < min || n > max {
            return Err(format!("must be from {min} to {max} bytes"));
        }
        Ok(n)
    }
}

/// A whole number from `min` to `max`, with a message that says so for any
/// other input (negative, too large, not a number).
pub fn number_in(min: u64, max: u64) -> impl Fn(&str) -> Result<u64, String> + Clone {
    move |s: &str| {
        let s = s.trim();
        let n: u64 = match s.parse() {
            Ok(n) => n,
            Err(_) if s.starts_with('-') => {
                return Err(format!("must be from {min} to {max}, not negative"));
            }
            // Too large for 64 bits: past any maximum.
            Err(_) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
                return Err(format!("must be from {min} to {max}"));
            }
            Err(_) => return Err(format!("expected a whole number from {min} to {max}")),
        };
        if n < min || n > max {
            return Err(format!("must be from {min} to {max}"));
        }
        Ok(n)
    }
}

/// Milliseconds from 0 to the longest pause.
pub fn millis(s: &str) -> Result<u64, String> {
    if s.trim_start().starts_with('-') {
        return Err(format!("must be from 0 to {MAX_DELAY_MS} ms, not negative"));
    }
    let n: u64 = s
        .trim()
        .parse()
        .map_err(|_| format!("expected a whole number of milliseconds from 0 to {MAX_DELAY_MS}"))?;
    if n > MAX_DELAY_MS {
        return Err(format!("must be at most {MAX_DELAY_MS} ms"));
    }
    Ok(n)
}

/// `MIN-MAX` chunk sizes, each from 1 to the largest chunk.
pub fn chunk_range(s: &str) -> Result<ChunkRange, String> {
    let r: ChunkRange = s.parse().map_err(|e| format!("{e}"))?;
    if r.max as u64 > MAX_CHUNK {
        return Err(format!("MAX must be at most {MAX_CHUNK} bytes"));
    }
    Ok(r)
}

/// Defines the clap argument structs with the shaping switches, their long
/// names prefixed with `$prefix` (`""`, `"down-"`, `"up-"`), and their
/// `spec()`: `$writes`, how an end splits and paces what it writes and its
/// socket's options, and `$name`, which adds what only the end that answers
/// does to a connection (a late read, a cut, a reset).
macro_rules! shape_switches {
    ($(#[$meta:meta])* $name:ident, $(#[$wmeta:meta])* $writes:ident, $prefix:literal, $heading:literal) => {
        $(#[$wmeta])*
        #[derive(Debug, Clone, Default, Args)]
        #[command(next_help_heading = $heading)]
        pub struct $writes {
            /// Split each write into chunks of at most BYTES (1 to 16M).
            #[arg(long = concat!($prefix, "chunk"), id = concat!($prefix, "chunk"),
                  allow_negative_numbers = true, value_name = "BYTES", value_parser = bytes_in(1, MAX_CHUNK),
                  conflicts_with = concat!($prefix, "random-chunks"))]
            pub chunk: Option<u64>,
            /// Pause MS after each chunk (0 to 60000): a reader on the other end
            /// gets the part that has arrived.
            #[arg(long = concat!($prefix, "chunk-delay-ms"), id = concat!($prefix, "chunk-delay-ms"),
                  allow_negative_numbers = true, value_name = "MS", value_parser = millis)]
            pub chunk_delay_ms: Option<u64>,
            /// Split into chunks of random sizes between MIN and MAX bytes (seeded).
            #[arg(long = concat!($prefix, "random-chunks"), id = concat!($prefix, "random-chunks"),
                  allow_hyphen_values = true, value_name = "MIN-MAX", value_parser = chunk_range)]
            pub random_chunks: Option<ChunkRange>,
            /// Draw each pause at random between 0 and the chunk delay (seeded); a
            /// pause of 0 sends the next chunk straight after.
            #[arg(long = concat!($prefix, "random-pauses"), id = concat!($prefix, "random-pauses"),
                  requires = concat!($prefix, "chunk-delay-ms"))]
            pub random_pauses: bool,
            /// Send the chunks in bursts of N (1 to 1000): the pause comes after
            /// every Nth chunk, so N writes in a row arrive as one read.
            #[arg(long = concat!($prefix, "burst"), id = concat!($prefix, "burst"),
                  allow_negative_numbers = true, value_name = "N",
                  value_parser = number_in(1, MAX_BURST))]
            pub burst: Option<u64>,
            /// Set TCP_NODELAY: every write leaves at once, so small writes are
            /// not merged by Nagle's algorithm.
            #[arg(long = concat!($prefix, "nodelay"), id = concat!($prefix, "nodelay"))]
            pub nodelay: bool,
            /// Ask for this SO_SNDBUF (1 to 64M; the kernel's size is printed).
            #[arg(long = concat!($prefix, "send-buffer"), id = concat!($prefix, "send-buffer"),
                  allow_negative_numbers = true, value_name = "BYTES", value_parser = bytes_in(1, MAX_SOCKET_BUFFER))]
            pub send_buffer: Option<u64>,
            /// Ask for this SO_RCVBUF (1 to 64M; the kernel's size is printed): a
            /// small one makes a large message arrive over several reads.
            #[arg(long = concat!($prefix, "recv-buffer"), id = concat!($prefix, "recv-buffer"),
                  allow_negative_numbers = true, value_name = "BYTES", value_parser = bytes_in(1, MAX_SOCKET_BUFFER))]
            pub recv_buffer: Option<u64>,
        }

        impl $writes {
            /// The switches as the library takes them.
            pub fn spec(&self) -> ShapeSpec {
                ShapeSpec {
                    chunk: self.chunk,
                    chunk_delay_ms: self.chunk_delay_ms,
                    random_chunks: self.random_chunks,
                    random_pauses: self.random_pauses,
                    burst: self.burst,
                    nodelay: self.nodelay,
                    send_buffer: self.send_buffer,
                    recv_buffer: self.recv_buffer,
                    read_delay_ms: None,
                    cut_after: None,
                    reset_after: None,
                }
            }
        }

        $(#[$meta])*
        #[derive(Debug, Clone, Default, Args)]
        #[command(next_help_heading = $heading)]
        pub struct $name {
            #[command(flatten)]
            pub writes: $writes,
            /// Read late: wait MS (0 to 60000) before each read, so that separate
            /// writes arrive as one read (coalescing).
            #[arg(long = concat!($prefix, "read-delay-ms"), id = concat!($prefix, "read-delay-ms"),
                  allow_negative_numbers = true, value_name = "MS", value_parser = millis)]
            pub read_delay_ms: Option<u64>,
            /// Close the connection cleanly (FIN) after BYTES (0 to 1T): a
            /// peer that vanishes mid-message.
            #[arg(long = concat!($prefix, "cut-after"), id = concat!($prefix, "cut-after"),
                  allow_negative_numbers = true, value_name = "BYTES", value_parser = bytes_in(0, MAX_CUT_AFTER),
                  conflicts_with = concat!($prefix, "reset-after"))]
            pub cut_after: Option<u64>,
            /// Abort the connection (RST) after BYTES (0 to 1T).
            #[arg(long = concat!($prefix, "reset-after"), id = concat!($prefix, "reset-after"),
                  allow_negative_numbers = true, value_name = "BYTES", value_parser = bytes_in(0, MAX_CUT_AFTER))]
            pub reset_after: Option<u64>,
        }

        impl $name {
            /// The switches as the library takes them.
            pub fn spec(&self) -> ShapeSpec {
                ShapeSpec {
                    read_delay_ms: self.read_delay_ms,
                    cut_after: self.cut_after,
                    reset_after: self.reset_after,
                    ..self.writes.spec()
                }
            }
        }
    };
}

shape_switches!(
    /// The shaping switches of the echo server, `run` and the bench's server.
    ShapeArgs,
    /// What the client shapes: its writes and its socket. A late read, a cut
    /// or a reset are the server's or the proxy's to make.
    WriteShapeArgs,
    "",
    "Shaping"
);
shape_switches!(
    /// `run`'s shaping switches: over the scenario's server only (the
    /// scenario's client keeps its own `[client]` settings).
    RunShapeArgs,
    /// The writes and socket part of [`RunShapeArgs`].
    RunWriteShapeArgs,
    "",
    "Shaping the scenario's server (its client keeps the scenario's settings)"
);
shape_switches!(
    /// The proxy's shaping of server → client.
    DownShapeArgs,
    /// The writes and socket part of [`DownShapeArgs`].
    DownWriteShapeArgs,
    "down-",
    "Shaping server → client (down)"
);
shape_switches!(
    /// The proxy's shaping of client → server.
    UpShapeArgs,
    /// The writes and socket part of [`UpShapeArgs`].
    UpWriteShapeArgs,
    "up-",
    "Shaping client → server (up)"
);

/// `--seed`: once per program, for every random switch in it.
#[derive(Debug, Clone, Default, Args)]
pub struct SeedArg {
    /// Seed for random chunks and pauses: the same seed gives the same chunks and
    /// pauses (one is chosen and printed when a random switch needs it).
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = number_in(0, u64::MAX))]
    pub seed: Option<u64>,
}
