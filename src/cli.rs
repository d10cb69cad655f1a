//! What the binaries share: argument groups, exit codes and the error line.
//!
//! Exit codes, the same for every binary:
//!
//! | code | meaning |
//! |------|---------|
//! | 0 | done as asked (for `run`: every verdict as expected) |
//! | 1 | a runtime failure (address in use, connection refused, a reset…) or, for `run`, a verdict not as expected |
//! | 2 | a usage error: a bad argument, a bad scenario file |

use std::net::IpAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use crate::fragment::{ChunkRange, FragmentPlan};
use crate::net::SocketOptions;
use crate::server::ServerConfig;

/// Done as asked.
pub const EXIT_OK: u8 = 0;
/// A runtime failure, or a verdict not as expected.
pub const EXIT_FAILURE: u8 = 1;
/// A usage error: bad argument or bad scenario file.
pub const EXIT_USAGE: u8 = 2;

/// An error that is the user's input, not the network: exits with [`EXIT_USAGE`].
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Print `error: …` on one line (the causes joined by `: `) and pick the exit code.
pub fn exit_with(result: anyhow::Result<u8>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let line = format!("{e:#}").replace('\n', " ");
            eprintln!("error: {line}");
            if e.chain().any(|c| c.is::<UsageError>()) {
                ExitCode::from(EXIT_USAGE)
            } else {
                ExitCode::from(EXIT_FAILURE)
            }
        }
    }
}

/// A size in bytes that must be at least 1 (`--chunk`, `--buffer-size`, …).
pub fn positive(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1".to_string()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

/// Socket options, the same switches for the server and the client.
#[derive(Debug, Clone, Args)]
pub struct SocketArgs {
    /// Set TCP_NODELAY: every write leaves at once, so small writes are not merged
    /// by Nagle's algorithm.
    #[arg(long)]
    pub nodelay: bool,
    /// Ask for this SO_SNDBUF (the kernel's reported size is printed).
    #[arg(long, value_name = "BYTES", value_parser = positive)]
    pub send_buffer: Option<usize>,
    /// Ask for this SO_RCVBUF (the kernel's reported size is printed): a small one
    /// makes a large reply arrive over several reads.
    #[arg(long, value_name = "BYTES", value_parser = positive)]
    pub recv_buffer: Option<usize>,
}

impl SocketArgs {
    /// The options as the library takes them.
    pub fn options(&self) -> SocketOptions {
        SocketOptions {
            nodelay: self.nodelay,
            send_buffer: self.send_buffer,
            recv_buffer: self.recv_buffer,
        }
    }
}

/// The echo server's switches (without the port), shared by `echo-server` and
/// `tcp-boundary bench --spawn-server`.
#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("randomness").args(["random_chunks", "random_pauses"]).multiple(true)))]
pub struct ServerArgs {
    /// Address to listen on. The default, loopback, is reachable from this machine
    /// only; use 0.0.0.0 (or ::) to let a classroom network in.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Length of the listen backlog: connections the kernel completes and parks
    /// while the server is busy with another client.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(i32).range(1..))]
    pub backlog: i32,
    /// Serve this many clients one after another, then exit (0: until killed).
    #[arg(long, default_value_t = 5)]
    pub clients: usize,
    /// Size of the read buffer, the most one read returns (the seed's BUF_SIZE).
    #[arg(long, value_name = "BYTES", default_value_t = 1024, value_parser = positive)]
    pub buffer_size: usize,
    /// Leave out the per-message lines.
    #[arg(long)]
    pub quiet: bool,
    /// Drop a client that sends nothing for this many seconds (without it, one
    /// idle client holds the iterative server forever).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout: Option<u64>,
    #[command(flatten)]
    pub socket: SocketArgs,
    /// Cut each echo into writes of at most this many bytes.
    #[arg(long, value_name = "BYTES", value_parser = positive, conflicts_with = "random_chunks")]
    pub chunk: Option<usize>,
    /// Pause this long after each write of an echo: the client reads in between.
    #[arg(long, value_name = "MS")]
    pub chunk_delay_ms: Option<u64>,
    /// Cut each echo into pieces of random sizes between MIN and MAX bytes.
    #[arg(long, value_name = "MIN-MAX")]
    pub random_chunks: Option<ChunkRange>,
    /// Seed for --random-chunks and --random-pauses: the same seed gives the same
    /// cuts and pauses (one is chosen and printed when not given).
    #[arg(long, value_name = "N", requires = "randomness")]
    pub seed: Option<u64>,
    /// Draw each pause at random between 0 and --chunk-delay-ms (seeded like the
    /// cuts); a pause of 0 sends the next piece straight after.
    #[arg(long, requires = "chunk_delay_ms")]
    pub random_pauses: bool,
    /// Wait this long before each read, so that what the client wrote meanwhile
    /// arrives as one read (coalescing).
    #[arg(long, value_name = "MS")]
    pub read_delay_ms: Option<u64>,
    /// Close a client's connection after echoing this many bytes to it: a server
    /// that vanishes mid-reply.
    #[arg(long, value_name = "BYTES")]
    pub cut_after: Option<u64>,
    /// Classroom preset: --nodelay --chunk 4 --chunk-delay-ms 150 (explicit
    /// switches win over the preset).
    #[arg(long)]
    pub fragment: bool,
}

/// The preset behind `--fragment`: small pieces, a visible pause, no Nagle.
pub const FRAGMENT_PRESET_CHUNK: usize = 4;
/// The pause of the `--fragment` preset.
pub const FRAGMENT_PRESET_DELAY_MS: u64 = 150;

/// A server configuration built from the switches, with what to tell the user.
#[derive(Debug, Clone)]
pub struct ResolvedServer {
    /// The configuration for [`crate::server::serve`].
    pub config: ServerConfig,
    /// Options for [`crate::net::listen`] (buffers are set on the listener).
    pub socket: SocketOptions,
    /// Start-up lines for the console (fragmentation plan, chosen seed).
    pub notes: Vec<String>,
}

impl ServerArgs {
    /// Turn the switches into a configuration, choosing a seed when needed.
    pub fn resolve(&self) -> ResolvedServer {
        let mut socket = self.socket.options();
        let mut chunk = self.chunk;
        let mut delay = self.chunk_delay_ms;
        if self.fragment {
            socket.nodelay = true;
            if chunk.is_none() && self.random_chunks.is_none() {
                chunk = Some(FRAGMENT_PRESET_CHUNK);
            }
            delay.get_or_insert(FRAGMENT_PRESET_DELAY_MS);
        }
        let mut notes = Vec::new();
        let random = self.random_chunks.is_some() || self.random_pauses;
        let seed = match (random, self.seed) {
            (true, Some(s)) => s,
            (true, None) => {
                let s = rand::random::<u32>() as u64;
                notes.push(format!(
                    "no --seed given: chose seed {s} (repeat with --seed {s})"
                ));
                s
            }
            (false, _) => 0,
        };
        let mut plan = FragmentPlan::new(
            chunk,
            self.random_chunks,
            Duration::from_millis(delay.unwrap_or(0)),
            seed,
        )
        .expect("switches were validated by the argument parser");
        plan.random_pauses = self.random_pauses;
        if plan.is_active() {
            notes.push(format!("fragmenting: {}", plan.describe()));
        }
        if socket.nodelay {
            notes.push("TCP_NODELAY on accepted sockets".to_string());
        }
        let read_delay = Duration::from_millis(self.read_delay_ms.unwrap_or(0));
        if !read_delay.is_zero() {
            notes.push(format!(
                "reading late: {} ms before each read",
                read_delay.as_millis()
            ));
        }
        let config = ServerConfig {
            clients: self.clients,
            buffer_size: self.buffer_size,
            socket,
            fragment: plan,
            read_delay,
            idle_timeout: self.idle_timeout.map(Duration::from_secs),
            cut_after: self.cut_after,
            quiet: self.quiet,
        };
        ResolvedServer {
            config,
            socket,
            notes,
        }
    }
}

/// A byte count with an optional binary suffix: `4096`, `64K`, `256MiB`, `1G`.
pub fn byte_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("expected a number of bytes such as 4096 or 64K (got '{s}')"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("unknown unit '{unit}' (use K, M or G)")),
    };
    match n.checked_mul(mult) {
        Some(0) => Err("must be at least 1 byte".to_string()),
        Some(v) => Ok(v),
        None => Err("too large".to_string()),
    }
}
