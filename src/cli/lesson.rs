//! `tcp-boundary lesson`'s switches.

use std::path::PathBuf;

use super::LangArg;

/// `tcp-boundary lesson`'s switches.
#[derive(Debug, clap::Args)]
pub struct LessonArgs {
    /// The folder to write the site to (created if missing). Only
    /// `index.html` and one `NAME.html` per scenario are written there.
    #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub out: PathBuf,
    #[command(flatten)]
    pub lang: LangArg,
}
