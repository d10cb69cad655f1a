//! `tcp-boundary run`'s switches, and the scenario argument of `show` and
//! `run`, which completes to the built-in scenarios' names.

use clap::builder::PossibleValue;

use super::LangArg;
use super::complete::Offered;
use super::shape::{ShapeArgs, number_in};
use crate::lesson::reader::ReaderKind;
use crate::scenario::{BUILTIN, Scenario};

/// `tcp-boundary run`'s switches.
#[derive(Debug, clap::Args)]
#[command(allow_negative_numbers = true)]
pub struct RunArgs {
    /// A scenario name (see `list`) or the path of a scenario file.
    #[arg(required_unless_present = "all", conflicts_with = "all", value_parser = Offered(scenario_names), hide_possible_values = true)]
    pub scenario: Option<String>,
    /// Run every shipped scenario.
    #[arg(long)]
    pub all: bool,
    /// Run only this reader (its timeline is shown).
    #[arg(long, value_enum)]
    pub reader: Option<ReaderKind>,
    /// Override the seed of a scenario with random cuts or pauses.
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = number_in(0, u64::MAX))]
    pub seed: Option<u64>,
    /// Print the reports as JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Run each scenario and reader this many times and count the runs that came
    /// out as expected and with the same timeline as the first (proof that the
    /// runs do not depend on timing).
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = number_in(1, 100_000))]
    pub repeat: Option<u64>,
    /// Show the timeline as the run happened: each pause (which the
    /// conductor does not wait, see README) is waited out before the next row.
    #[arg(long, conflicts_with_all = ["step", "json", "repeat"])]
    pub pace: bool,
    /// Show the timeline one row at a time: Enter shows the next.
    #[arg(long, conflicts_with_all = ["json", "repeat"])]
    pub step: bool,
    /// Write the run as a lesson page to this file: one self-contained HTML
    /// page (every reader, the one given by --reader first) that opens in any
    /// browser, offline.
    #[arg(long, value_name = "PAGE.html", value_hint = clap::ValueHint::FilePath, conflicts_with_all = ["all", "json", "repeat", "pace", "step"])]
    pub html: Option<std::path::PathBuf>,
    /// Shaping switches over the scenario's server (e.g. `--chunk 3` to try
    /// another cutting).
    #[command(flatten)]
    pub shape: ShapeArgs,
    #[command(flatten)]
    pub lang: LangArg,
}

/// The built-in scenarios, each with its one-line lesson, as shell
/// completion offers them for a scenario argument (any name or path is
/// taken: `show` and `run` say which names exist when one is not found).
pub fn scenario_names() -> Vec<PossibleValue> {
    BUILTIN
        .iter()
        .map(|&(name, _)| {
            let lesson = Scenario::builtin(name)
                .map(|s| s.lesson)
                .unwrap_or_default();
            PossibleValue::new(name).help(lesson)
        })
        .collect()
}
