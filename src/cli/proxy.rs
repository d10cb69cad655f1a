//! The proxy's switches: where to listen, where to forward, and the shaping of
//! each direction (`--down-…` for server → client, `--up-…` for client → server).

use clap::Args;

use super::UsageError;
use super::shape::{DownShapeArgs, SeedArg, UpShapeArgs, number_in};
use crate::shape::{Shape, seeded};
use crate::tools::proxy::MAX_CONNECTIONS_LIMIT;

/// `tcp-boundary proxy`'s switches.
#[derive(Debug, Clone, Args)]
#[command(allow_negative_numbers = true)]
pub struct ProxyArgs {
    /// Where to listen: PORT, or ADDR:PORT (the address defaults to 127.0.0.1).
    #[arg(long, value_name = "[ADDR:]PORT")]
    pub listen: String,
    /// The server to forward to.
    #[arg(long, value_name = "HOST:PORT")]
    pub to: String,
    /// Log connections only, not each read and write.
    #[arg(long)]
    pub quiet: bool,
    /// The most connections open at once (1 to 1000000); one more is closed
    /// as soon as it is accepted, and the refusals are told in one row per
    /// burst. Each connection costs two threads of 128 KiB of stack and a
    /// 64 KiB read buffer a direction, reserved (what a read has written to
    /// is the process's), and two descriptors.
    /// [default: 10000, or what the kernel's vm.max_map_count allows
    /// threads for]
    #[arg(long, value_name = "N", value_parser = number_in(1, MAX_CONNECTIONS_LIMIT as u64))]
    pub max_connections: Option<u64>,
    #[command(flatten)]
    pub down: DownShapeArgs,
    #[command(flatten)]
    pub up: UpShapeArgs,
    #[command(flatten)]
    pub seed: SeedArg,
    #[command(flatten)]
    pub lang: super::LangArg,
}

impl ProxyArgs {
    /// The downstream and upstream shapes, and the note that says which seed
    /// was chosen (one seed for both directions).
    pub fn shapes(&self) -> Result<(Shape, Shape, Option<String>), UsageError> {
        let (down, up) = (self.down.spec(), self.up.spec());
        let ([down, up], note) = seeded([&down, &up], self.seed.seed).map_err(|(i, e)| {
            UsageError(match i {
                Some(0) => format!("down: {e}"),
                Some(_) => format!("up: {e}"),
                None => e.to_string(),
            })
        })?;
        Ok((down, up, note))
    }
}
