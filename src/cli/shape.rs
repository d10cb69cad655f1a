//! The shaping switches: one definition, flattened wherever a stream is shaped.
//!
//! echo-server, `tcp-boundary run` (over the scenario's server) and
//! `bench --spawn-server` take them as they are; echo-client takes the part
//! that shapes what it writes ([`WriteShapeArgs`]), not the late read, cut or
//! reset that only a server or a proxy makes; the
//! proxy takes them twice, once per direction, as `--down-…` (server → client)
//! and `--up-…` (client → server). [`shape_switches!`] writes each of those
//! structs from the one list of keys (`shape::with_shaping_keys!`), so a key
//! added there exists everywhere, with the same help and the same limits.

use clap::Args;

use crate::shape::fragment::ChunkRange;
use crate::shape::{
    MAX_BURST, MAX_CHUNK, MAX_CUT_AFTER, MAX_DELAY_MS, MAX_SOCKET_BUFFER, ShapeSpec,
    with_shaping_keys,
};

/// A byte count from 1 to `max`, with an optional unit: `4096`, `64K`, `16MiB`
/// (K, M and G are powers of 1024).
pub fn bytes_in(min: u64, max: u64) -> impl Fn(&str) -> Result<u64, String> + Clone {
    move |s: &str| {
        if s.trim_start().starts_with('-') {
            return Err(format!("must be from {min} to {max} bytes, not negative"));
        }
        let n = match parse_size::Config::new().with_binary().parse_size(s.trim()) {
            Ok(n) => n,
            // Too large for 64 bits: past any maximum.
            Err(parse_size::Error::PosOverflow) => {
                return Err(format!("must be from {min} to {max} bytes"));
            }
            Err(e) => {
                return Err(format!(
                    "expected a number of bytes such as 4096 or 64K, from {min} to {max} ({e})"
                ));
            }
        };
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
        return Err(format!(
            "random chunks: MAX must be at most {MAX_CHUNK} bytes"
        ));
    }
    Ok(r)
}

/// Defines the clap argument structs with the shaping switches, written from
/// the one list of keys (`shape::with_shaping_keys!`), their long names
/// prefixed with `$prefix` (`""`, `"down-"`, `"up-"`), and their `spec()`:
/// `$writes`, how an end splits and paces what it writes and its socket's
/// options, and `$name`, which adds what only the end that answers does to a
/// connection (a late read, a cut, a reset).
macro_rules! shape_switches {
    (($(#[$meta:meta])* $name:ident, $(#[$wmeta:meta])* $writes:ident, $prefix:literal, $heading:literal)
     writes { $( $(#[$wdoc:meta])* $w:ident $wlong:literal : $wty:ty
                 [$($wa:tt)*] [$($wrel:ident $wother:literal)*], )* }
     answers { $( $(#[$adoc:meta])* $a:ident $along:literal : $aty:ty
                  [$($aa:tt)*] [$($arel:ident $aother:literal)*], )* }
    ) => {
        $(#[$wmeta])*
        #[derive(Debug, Clone, Default, Args)]
        pub struct $writes {
            $(
                $(#[$wdoc])*
                #[arg(long = concat!($prefix, $wlong), id = concat!($prefix, $wlong),
                      help_heading = $heading, $($wrel = concat!($prefix, $wother),)* $($wa)*)]
                pub $w: $wty,
            )*
        }

        impl $writes {
            /// The switches as the library takes them.
            pub fn spec(&self) -> ShapeSpec {
                ShapeSpec {
                    $( $w: self.$w, )*
                    ..ShapeSpec::default()
                }
            }
        }

        $(#[$meta])*
        #[derive(Debug, Clone, Default, Args)]
        pub struct $name {
            #[command(flatten)]
            pub writes: $writes,
            $(
                $(#[$adoc])*
                #[arg(long = concat!($prefix, $along), id = concat!($prefix, $along),
                      help_heading = $heading, $($arel = concat!($prefix, $aother),)* $($aa)*)]
                pub $a: $aty,
            )*
        }

        impl $name {
            /// The switches as the library takes them.
            pub fn spec(&self) -> ShapeSpec {
                ShapeSpec {
                    $( $a: self.$a, )*
                    ..self.writes.spec()
                }
            }
        }
    };
}

with_shaping_keys!(shape_switches!
    /// The shaping switches of the echo server, `run` and the bench's server.
    ShapeArgs,
    /// What the client shapes: its writes and its socket. A late read, a cut
    /// or a reset are the server's or the proxy's to make.
    WriteShapeArgs,
    "",
    "Shaping"
);
with_shaping_keys!(shape_switches!
    /// `run`'s shaping switches: over the scenario's server only (the
    /// scenario's client keeps its own `[client]` settings).
    RunShapeArgs,
    /// The writes and socket part of [`RunShapeArgs`].
    RunWriteShapeArgs,
    "",
    "Shaping the scenario's server (its client keeps the scenario's settings)"
);
with_shaping_keys!(shape_switches!
    /// The proxy's shaping of server → client.
    DownShapeArgs,
    /// The writes and socket part of [`DownShapeArgs`].
    DownWriteShapeArgs,
    "down-",
    "Shaping server → client (down)"
);
with_shaping_keys!(shape_switches!
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
