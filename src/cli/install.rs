//! What installing the programs takes, made from their command lines: the
//! shell completion scripts (`tcp-boundary completions`) and the man pages
//! (`tcp-boundary man`). Both come from the clap definitions the binaries
//! parse, so a switch added there is completed and documented at once.

use std::io;
use std::path::{Path, PathBuf};

use clap::builder::PossibleValue;
use clap_complete::Shell;

use super::complete::Offered;
use super::{Program, UsageError};

/// `tcp-boundary completions`'s switches.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell the script is for.
    #[arg(value_enum)]
    pub shell: Shell,
    /// Print this program's script alone (default: the three programs'
    /// scripts, one after the other).
    #[arg(long, value_enum)]
    pub program: Option<Program>,
}

impl CompletionsArgs {
    /// The programs asked for.
    pub fn programs(&self) -> Vec<Program> {
        match self.program {
            Some(p) => vec![p],
            None => Program::ALL.to_vec(),
        }
    }
}

/// The completion script of `programs` for `shell`, one after the other:
/// sourced together, they complete each program's subcommands, switches and
/// values (scenario names, readers, languages, …).
pub fn completion_script(shell: Shell, programs: &[Program]) -> Vec<u8> {
    let mut script = Vec::new();
    for (i, &program) in programs.iter().enumerate() {
        let mut one = Vec::new();
        clap_complete::generate(shell, &mut program.command(), program.name(), &mut one);
        let mut one = String::from_utf8_lossy(&one).into_owned();
        if shell == Shell::Bash {
            one = bash_hyphen_fix(&one, program.name());
        }
        if i > 0 {
            script.push(b'\n');
        }
        for line in one.lines() {
            // PowerShell takes `using` statements only at the top of a
            // script: the first program's stay, the same lines of the next
            // ones are dropped.
            if shell == Shell::PowerShell && i > 0 && line.starts_with("using namespace ") {
                continue;
            }
            script.extend_from_slice(line.as_bytes());
            script.push(b'\n');
        }
    }
    script
}

/// clap_complete's bash script names the state of a subcommand two ways when
/// the program's name has a hyphen: its loop reaches `tcp__boundary__subcmd__run`
/// while the case arm says `tcp__subcmd__boundary__subcmd__run`, so nothing
/// after a subcommand completes (clap-rs/clap#6421). The arms are renamed the
/// way the loop spells them; once clap_complete spells them alike, this
/// changes nothing.
fn bash_hyphen_fix(script: &str, name: &str) -> String {
    const SEP: &str = "__subcmd__";
    let loop_spelling = format!("{}{SEP}", name.replace('-', "__"));
    let arm_spelling = format!("{}{SEP}", name.replace('-', SEP));
    script.replace(&arm_spelling, &loop_spelling)
}

/// `tcp-boundary man`'s switches.
#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// The page to print: a program (tcp-boundary, echo-server, echo-client)
    /// or a subcommand's page (tcp-boundary-run); default tcp-boundary.
    #[arg(value_name = "PAGE", value_parser = Offered(|| page_names().into_iter().map(PossibleValue::new).collect()), hide_possible_values = true)]
    pub page: Option<String>,
    /// Write every page (tcp-boundary.1, one tcp-boundary-SUBCOMMAND.1 per
    /// subcommand, echo-server.1, echo-client.1) to this folder, created if
    /// missing, instead of printing one.
    #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath, conflicts_with = "page")]
    pub out: Option<PathBuf>,
}

/// One man page: its name (`tcp-boundary-run`) and the command it documents.
#[derive(Debug, Clone)]
pub struct ManPage {
    /// The page's name, also its title: `tcp-boundary`, `tcp-boundary-run`,
    /// `echo-server`.
    pub name: String,
    /// The command the page documents, built (global switches included).
    pub command: clap::Command,
}

impl ManPage {
    /// The page's file name, in section 1: `tcp-boundary-run.1`.
    pub fn file_name(&self) -> String {
        format!("{}.1", self.name)
    }

    /// The page as roff, for `man`.
    pub fn render(&self) -> Vec<u8> {
        let man = clap_mangen::Man::new(self.command.clone())
            .title(self.name.as_str())
            .source(format!("tcp-boundary {}", env!("CARGO_PKG_VERSION")))
            .manual("tcp-boundary");
        let mut page = Vec::new();
        man.render(&mut page).expect("writing to memory");
        page
    }
}

/// Every man page: each program's, and one per subcommand of tcp-boundary
/// (but `help`), in `Program::ALL`'s order.
pub fn man_pages() -> Vec<ManPage> {
    let mut pages = Vec::new();
    for program in Program::ALL {
        let mut command = program.command().disable_help_subcommand(true);
        command.build();
        let subcommands: Vec<ManPage> = command
            .get_subcommands()
            .filter(|s| !s.is_hide_set())
            .map(|sub| ManPage {
                name: format!("{}-{}", program.name(), sub.get_name()),
                command: sub.clone(),
            })
            .collect();
        pages.push(ManPage {
            name: program.name().to_string(),
            command,
        });
        pages.extend(subcommands);
    }
    pages
}

/// The names of every man page, without building the commands (shell
/// completion of `man PAGE`).
fn page_names() -> Vec<String> {
    let mut names = Vec::new();
    for program in Program::ALL {
        names.push(program.name().to_string());
        for sub in program
            .command()
            .get_subcommands()
            .filter(|s| !s.is_hide_set())
        {
            names.push(format!("{}-{}", program.name(), sub.get_name()));
        }
    }
    names
}

/// The page `name` names (a program, or `tcp-boundary-SUBCOMMAND`).
pub fn man_page(name: &str) -> Result<ManPage, UsageError> {
    man_pages()
        .into_iter()
        .find(|p| p.name == name)
        .ok_or_else(|| {
            UsageError(format!(
                "no man page named '{name}' (try one of: {})",
                page_names().join(", ")
            ))
        })
}

/// Write every page to `dir` (created if missing), replacing a symbolic link
/// found in a page's place rather than writing through it; the files
/// written, in order.
pub fn write_man_pages(dir: &Path) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for page in man_pages() {
        let path = dir.join(page.file_name());
        crate::view::file::replace_file(&path, &page.render())?;
        written.push(path);
    }
    Ok(written)
}
