//! `tcp-boundary check`'s switches, and the run they ask for.

use std::path::PathBuf;
use std::time::Duration;

use super::shape::number_in;
use super::{LangArg, UsageError, host_port};
use crate::shape::MAX_CUT_AFTER;
use crate::tools::check::{
    BOOK_PREFIX, CheckConfig, DEFAULT_MESSAGES, MAX_MESSAGE, MAX_MESSAGES, MAX_SEEDS,
    MAX_TIMEOUT_SECS, ShapeName, StdinLines,
};

/// Run COMMAND once per shape of fragmentation; its exit status is its
/// verdict (0: every reply it got was right).
#[derive(Debug, clap::Args)]
#[command(allow_negative_numbers = true)]
pub struct CheckArgs {
    /// Check against this server instead of our echo server: a shaping proxy
    /// is put in front of it, both directions shaped.
    #[arg(long, value_name = "HOST:PORT")]
    pub upstream: Option<String>,
    /// Run this shape alone.
    #[arg(long, value_enum)]
    pub shape: Option<ShapeName>,
    /// The seed of the random shape (with no --shape: the random shape alone,
    /// with this seed).
    #[arg(long, value_name = "N", value_parser = number_in(0, u64::MAX))]
    pub seed: Option<u64>,
    /// How many seeds of the random shape to run (seeds 1 to N).
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = number_in(1, MAX_SEEDS))]
    pub seeds: u64,
    /// The longest one run may take, in seconds; a client still running then
    /// is killed and counted as hung.
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = number_in(1, MAX_TIMEOUT_SECS))]
    pub timeout: u64,
    /// Where the cut shape cuts the reply, in bytes (default: half of the first
    /// reply, measured by a run without shaping).
    #[arg(long, value_name = "BYTES", value_parser = number_in(0, MAX_CUT_AFTER))]
    pub cut_after: Option<u64>,
    /// A client in the book's style: feed each message as a line on its
    /// standard input, then `q`, and judge the replies it prints.
    #[arg(long)]
    pub stdin_lines: bool,
    /// A message for --stdin-lines (repeat for more; default three short
    /// lines).
    #[arg(long, value_name = "TEXT", requires = "stdin_lines")]
    pub message: Vec<String>,
    /// What a --stdin-lines client prints before each reply.
    #[arg(long, value_name = "TEXT", requires = "stdin_lines", default_value = BOOK_PREFIX)]
    pub reply_prefix: String,
    /// Print the report as JSON (in English, whatever --lang says).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub lang: LangArg,
    /// Also write the report as JUnit XML to this file (one test case per
    /// shape and seed).
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub junit: Option<PathBuf>,
    /// The client to run, and its arguments: `{addr}` (HOST:PORT), `{host}`
    /// and `{port}` are replaced, and TCP_BOUNDARY_ADDR, TCP_BOUNDARY_HOST and
    /// TCP_BOUNDARY_PORT are set.
    #[arg(last = true, required = true, value_name = "COMMAND", value_hint = clap::ValueHint::CommandWithArguments)]
    pub command: Vec<String>,
}

impl CheckArgs {
    /// The run's configuration, its limits checked: which shapes and seeds,
    /// the messages of a `--stdin-lines` client, the upstream resolved.
    pub fn config(&self) -> anyhow::Result<CheckConfig> {
        let runs = match (self.shape, self.seed) {
            (Some(ShapeName::Random) | None, Some(seed)) => vec![(ShapeName::Random, seed)],
            (Some(shape), Some(_)) => {
                return Err(UsageError(format!(
                    "--seed is for the random shape only, not {shape}"
                ))
                .into());
            }
            (Some(ShapeName::Random), None) => CheckConfig::every_shape(self.seeds)
                .into_iter()
                .filter(|(s, _)| *s == ShapeName::Random)
                .collect(),
            (Some(shape), None) => vec![(shape, 0)],
            (None, None) => CheckConfig::every_shape(self.seeds),
        };
        let stdin_lines = self.stdin_lines.then(|| StdinLines {
            messages: if self.message.is_empty() {
                DEFAULT_MESSAGES.iter().map(|m| m.to_string()).collect()
            } else {
                self.message.clone()
            },
            prefix: self.reply_prefix.clone(),
        });
        if let Some(lines) = &stdin_lines {
            if lines.messages.len() > MAX_MESSAGES {
                return Err(UsageError(format!("at most {MAX_MESSAGES} --message")).into());
            }
            for m in &lines.messages {
                if m.len() > MAX_MESSAGE || m.contains('\n') || m.trim().eq_ignore_ascii_case("q") {
                    return Err(UsageError(format!(
                        "--message {m:?}: one line of at most {MAX_MESSAGE} bytes, and not `q` (which quits)"
                    ))
                    .into());
                }
            }
        }
        let upstream = match &self.upstream {
            Some(s) => Some(host_port("--upstream", s)?),
            None => None,
        };
        Ok(CheckConfig {
            command: self.command.clone(),
            upstream,
            runs,
            timeout: Duration::from_secs(self.timeout),
            stdin_lines,
            cut_after: self.cut_after,
        })
    }
}
