//! The proxy's switches: where to listen, where to forward, and the shaping of
//! each direction (`--down-…` for server → client, `--up-…` for client → server).

use clap::Args;

use super::UsageError;
use super::shape::{DownShapeArgs, SeedArg, UpShapeArgs};
use crate::shape::{Shape, choose_seed};

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
        let (seed, note) = choose_seed(self.seed.seed, down.needs_seed() || up.needs_seed())
            .map_err(|e| UsageError(e.to_string()))?;
        let shape = |name: &str, spec: crate::shape::ShapeSpec| {
            spec.shape(seed)
                .map_err(|e| UsageError(format!("{name}: {e}")))
        };
        Ok((shape("down", down)?, shape("up", up)?, note))
    }
}
