//! The echo server's switches, shared by `echo-server` and
//! `tcp-boundary bench --spawn-server`.

use std::net::IpAddr;
use std::time::Duration;

use clap::Args;

use super::UsageError;
use super::shape::{SeedArg, ShapeArgs, bytes_in, number_in};
use crate::lang::Lang;
use crate::lesson::server::{BOOK_BACKLOG, BOOK_BUF_SIZE, ServerConfig};
use crate::shape::seeded;
use crate::tr;
use crate::transport::net::SocketOptions;

/// The largest read buffer (`--buffer-size`): 16 MiB.
pub const MAX_BUFFER: u64 = 16 << 20;
/// The longest listen backlog (`--backlog`): Linux's default cap, somaxconn.
pub const MAX_BACKLOG: i32 = 4096;
/// The most clients one run serves (`--clients`).
pub const MAX_SERVED_CLIENTS: u64 = 1_000_000;
/// The longest idle timeout (`--idle-timeout`): a day, in seconds.
pub const MAX_IDLE_SECS: u64 = 86_400;

/// The echo server's switches (without the port).
#[derive(Debug, Clone, Args)]
pub struct ServerArgs {
    /// Address to listen on. The default, loopback, is reachable from this machine
    /// only; use 0.0.0.0 (or ::) to let a classroom network in.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Length of the listen backlog (1 to 4096): connections the kernel completes
    /// and parks while the server is busy with another client.
    #[arg(long, allow_negative_numbers = true, default_value_t = BOOK_BACKLOG as u64, value_parser = number_in(1, MAX_BACKLOG as u64))]
    pub backlog: u64,
    /// Serve this many clients one after another, then exit (0: until killed;
    /// at most 1000000).
    #[arg(long, allow_negative_numbers = true, default_value_t = 5, value_parser = number_in(0, MAX_SERVED_CLIENTS))]
    pub clients: u64,
    /// Size of the read buffer, the most one read returns (the book's BUF_SIZE;
    /// 1 to 16M).
    #[arg(long, allow_negative_numbers = true, value_name = "BYTES", default_value_t = BOOK_BUF_SIZE as u64, value_parser = bytes_in(1, MAX_BUFFER))]
    pub buffer_size: u64,
    /// Leave out the per-message lines.
    #[arg(long)]
    pub quiet: bool,
    /// Drop a client that sends nothing for this many seconds (1 to 86400);
    /// without it, one idle client holds the iterative server forever.
    #[arg(long, allow_negative_numbers = true, value_name = "SECS", value_parser = number_in(1, MAX_IDLE_SECS))]
    pub idle_timeout: Option<u64>,
    /// Classroom preset: --nodelay --chunk 4 --chunk-delay-ms 150 (explicit
    /// switches win over the preset).
    #[arg(long)]
    pub fragment: bool,
    #[command(flatten)]
    pub shape: ShapeArgs,
    #[command(flatten)]
    pub seed: SeedArg,
}

/// The preset behind `--fragment`: small chunks, a visible pause, no Nagle.
pub const FRAGMENT_PRESET_CHUNK: u64 = 4;
/// The pause of the `--fragment` preset.
pub const FRAGMENT_PRESET_DELAY_MS: u64 = 150;

/// A server configuration built from the switches, with what to tell the user.
#[derive(Debug, Clone)]
pub struct ResolvedServer {
    /// The configuration for [`crate::lesson::server::serve`].
    pub config: ServerConfig,
    /// Options for [`crate::transport::net::listen`] (buffers are set on the listener).
    pub socket: SocketOptions,
    /// Start-up lines for the console (the shape, the chosen seed).
    pub notes: Vec<String>,
}

impl ServerArgs {
    /// Turn the switches into a configuration, choosing a seed when needed;
    /// its start-up lines in the locale's language.
    pub fn resolve(&self) -> Result<ResolvedServer, UsageError> {
        self.resolve_in(Lang::from_env())
    }

    /// [`ServerArgs::resolve`], its start-up lines in `lang`.
    pub fn resolve_in(&self, lang: Lang) -> Result<ResolvedServer, UsageError> {
        let mut spec = self.shape.spec();
        if self.fragment {
            spec.nodelay = true;
            if spec.chunk.is_none() && spec.random_chunks.is_none() {
                spec.chunk = Some(FRAGMENT_PRESET_CHUNK);
            }
            spec.chunk_delay_ms.get_or_insert(FRAGMENT_PRESET_DELAY_MS);
        }
        let ([shape], note) =
            seeded([&spec], self.seed.seed).map_err(|(_, e)| UsageError(e.to_string()))?;
        // The start-up lines in the class's language; the console's own
        // lines stay the book's.
        let mut notes: Vec<String> = note.into_iter().collect();
        notes.extend(
            shape
                .describe(lang)
                .into_iter()
                .map(|words| tr!(lang, "server-shaping", words = words)),
        );
        if shape.socket.nodelay {
            notes.push(tr!(lang, "server-nodelay"));
        }
        let config = ServerConfig {
            clients: self.clients as usize,
            buffer_size: self.buffer_size as usize,
            shape,
            idle_timeout: self.idle_timeout.map(Duration::from_secs),
            quiet: self.quiet,
        };
        Ok(ResolvedServer {
            config,
            socket: shape.socket,
            notes,
        })
    }
}
