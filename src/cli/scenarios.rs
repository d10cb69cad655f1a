//! `tcp-boundary run`'s switches, and the scenario argument of `show` and
//! `run`, which completes to the built-in scenarios' names.

use std::io::IsTerminal;
use std::path::Path;

use clap::builder::PossibleValue;

use super::complete::Offered;
use super::shape::{RunShapeArgs, number_in};
use super::{LangArg, UsageError};
use crate::lang::Lang;
use crate::lesson::reader::ReaderKind;
use crate::scenario::{BUILTIN, Report, Scenario, SideProgram};
use crate::shape::choose_seed;
use crate::text::escape::escape_file_text;
use crate::tr;
use crate::view::page;
use crate::view::timeline::Pacing;

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
    /// The program that plays the client: ours (with each reader), or
    /// book-c, the book's own book/echo_client.c compiled with the system's
    /// C compiler ($CC, else cc), run traced and held at each socket call as
    /// ours is (its one read(1023) a message is the naive reader). A
    /// scenario whose script cannot be typed into it (several clients, two
    /// writes before a read) is refused.
    #[arg(long, value_enum, value_name = "PROGRAM", default_value_t = SideProgram::Ours, conflicts_with = "all")]
    pub client: SideProgram,
    /// The program that plays the server: ours, or book-c, the book's own
    /// book/echo_server.c compiled and run traced, held at each socket call
    /// as ours is (its bind of any address held to loopback). Only for a
    /// scenario whose server does not shape what it sends.
    #[arg(long, value_enum, value_name = "PROGRAM", default_value_t = SideProgram::Ours, conflicts_with = "all")]
    pub server: SideProgram,
    /// Override the seed of a scenario with random chunks or pauses.
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
    /// FACTOR (from 0.1 to 20, default 1) stretches every pause: `--pace 5`
    /// is five times slower, to talk over.
    #[arg(long, value_name = "FACTOR", num_args = 0..=1, default_missing_value = "1", value_parser = pace_factor, conflicts_with_all = ["step", "json", "repeat"])]
    pub pace: Option<f64>,
    /// Show the timeline one row at a time: Enter shows the next.
    #[arg(long, conflicts_with_all = ["json", "repeat"])]
    pub step: bool,
    /// Write the run as a lesson page to this file: one self-contained HTML
    /// page (every reader, the one given by --reader first) that opens in any
    /// browser, offline.
    #[arg(long, value_name = "PAGE.html", value_hint = clap::ValueHint::FilePath, conflicts_with_all = ["all", "json", "repeat", "pace", "step"])]
    pub html: Option<std::path::PathBuf>,
    /// Shaping switches over the scenario's server (e.g. `--chunk 3` to try
    /// another chunk size).
    #[command(flatten)]
    pub shape: RunShapeArgs,
    #[command(flatten)]
    pub lang: LangArg,
}

/// The slowest `--pace`: a pause of the longest kind (5 s) stretched this
/// much still ends within two minutes.
pub const MAX_PACE: f64 = 20.0;
/// The fastest `--pace`: below it the pauses are too short to see.
pub const MIN_PACE: f64 = 0.1;

/// `--pace FACTOR`: a number from [`MIN_PACE`] to [`MAX_PACE`].
pub fn pace_factor(s: &str) -> Result<f64, String> {
    let rule = format!("expected a factor from {MIN_PACE} to {MAX_PACE} (5: five times slower)");
    match s.trim().parse::<f64>() {
        Ok(f) if (MIN_PACE..=MAX_PACE).contains(&f) => Ok(f),
        _ => Err(rule),
    }
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

/// A built-in scenario by name, or a file by path. A name that is neither is
/// a usage error, in `lang`, that lists the names there are.
pub fn find_scenario(name_or_path: &str, lang: Lang) -> Result<Scenario, UsageError> {
    if name_or_path.ends_with(".toml") || name_or_path.contains('/') {
        return Scenario::load(Path::new(name_or_path)).map_err(|e| UsageError(e.to_string()));
    }
    Scenario::builtin(name_or_path).ok_or_else(|| {
        let names: Vec<&str> = BUILTIN.iter().map(|(name, _)| *name).collect();
        UsageError(tr!(
            lang,
            "no-scenario",
            name = name_or_path,
            names = names.join(", ")
        ))
    })
}

impl RunArgs {
    /// Whether the run's report is made whole and then shown through the
    /// pager: not JSON, nor a page written, nor a run that shows itself as
    /// it goes (`--repeat`'s running count, `--pace`, `--step`).
    pub fn paged(&self) -> bool {
        !(self.json
            || self.repeat.is_some()
            || self.pace.is_some()
            || self.step
            || self.html.is_some())
    }

    /// The scenarios to run, the command line's shaping over each and
    /// checked against the limits (it changes what a run costs, as a file's
    /// keys do). Switches that make the server's shape random need a seed:
    /// when none is given one is chosen, and the line saying so comes back.
    pub fn scenarios(&mut self) -> Result<(Vec<Scenario>, Option<String>), UsageError> {
        let lang = self.lang.lang();
        let mut scenarios = match &self.scenario {
            Some(name) => vec![find_scenario(name, lang)?],
            None => Scenario::builtins(),
        };
        let spec = self.shape.spec();
        let mut said = None;
        if spec.needs_seed() && self.seed.is_none() {
            let (seed, note) = choose_seed(None, true).map_err(|e| UsageError(e.to_string()))?;
            self.seed = Some(seed);
            said = note;
        }
        for s in &mut scenarios {
            s.shape_override = spec;
            s.client_program = self.client;
            s.server_program = self.server;
            s.validate().map_err(|e| UsageError(e.to_string()))?;
            // The switches over the file's keys: together they must make a
            // shape (a chunk size over a file's random chunks does not).
            if let Err(e) = s.server_spec().shape(0) {
                return Err(UsageError(format!(
                    "scenario {}: the shaping switches over its [server] keys: {e}",
                    s.name
                )));
            }
        }
        // A seed shapes nothing in scenarios that draw nothing at random.
        if self.seed.is_some() && !scenarios.iter().any(|s| s.server_spec().needs_seed()) {
            return Err(UsageError(
                "--seed is only used with random chunks or pauses (a random scenario, or \
                 --random-chunks or --random-pauses)"
                    .into(),
            ));
        }
        if self.client == SideProgram::BookC {
            if self.reader.is_some_and(|r| r != ReaderKind::Naive) {
                return Err(UsageError(tr!(lang, "book-c-reader")));
            }
            for s in &scenarios {
                s.book_client_script()
                    .map_err(|why| UsageError(why.say(lang)))?;
            }
        }
        if self.server == SideProgram::BookC {
            for s in &scenarios {
                s.book_server_fits()
                    .map_err(|why| UsageError(why.say(lang)))?;
            }
        }
        Ok((scenarios, said))
    }

    /// The readers to run: the one asked for, else all; a page shows every
    /// reader, the one asked for first.
    pub fn readers(&self) -> Vec<ReaderKind> {
        if self.client == SideProgram::BookC {
            // The book's client has one way to read.
            return vec![ReaderKind::Naive];
        }
        match (self.reader, &self.html) {
            (first, Some(_)) => page::reader_order(first),
            (Some(r), None) => vec![r],
            (None, None) => ReaderKind::ALL.to_vec(),
        }
    }

    /// How the timeline appears: `--pace`, `--step`, else all at once.
    pub fn pacing(&self) -> Pacing {
        match (self.pace, self.step) {
            (Some(factor), _) => Pacing::Pace(factor),
            (_, true) => Pacing::Step,
            _ => Pacing::AtOnce,
        }
    }

    /// Whether the readers asked for (all, without `--reader`) came out as
    /// expected: the exit status.
    pub fn as_expected(&self, results: &[(Scenario, Vec<Report>)]) -> bool {
        results
            .iter()
            .flat_map(|(_, reports)| reports)
            .all(|r| r.as_expected || self.reader.is_some_and(|k| k != r.reader))
    }

    /// What the runs will wait for in real time, one line each on standard
    /// error, so that a class does not look at a blank screen: only when a
    /// terminal shows it, and never with `--json`.
    pub fn say_waits(&self, scenarios: &[Scenario]) {
        if self.json || !std::io::stderr().is_terminal() {
            return;
        }
        let lang = self.lang.lang();
        for s in scenarios {
            for wait in s.real_waits() {
                eprintln!("{}: {}", escape_file_text(&s.name), wait.say(lang));
            }
        }
    }
}
