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

impl LessonArgs {
    /// The command that makes this site, as a page's footer can name it:
    /// `tcp-boundary lesson --out DIR`, with `--lang` for a site not in
    /// English, as the pages of `run --html` name theirs. (The path is shown
    /// as given, escaped as any text from outside is.) For the page's footer,
    /// which takes it from the binary: the page cannot call up into `cli`.
    pub fn command(&self) -> String {
        let out = crate::text::escape::escape_text(&self.out.display().to_string());
        match self.lang.lang() {
            crate::lang::Lang::En => format!("tcp-boundary lesson --out {out}"),
            lang => format!("tcp-boundary lesson --out {out} --lang {}", lang.code()),
        }
    }
}
