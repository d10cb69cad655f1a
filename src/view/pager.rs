//! Long reports through a pager, as git does: a class must not lose the
//! header and the key rows off the top of the projector's screen.
//!
//! A report taller than the terminal goes to `$PAGER` (default `less` with
//! `LESS=FRX`: colours kept, quits at once if the report fits after all);
//! anything else, and any output that is not a terminal, is written as is.
//!
//! A pager that cannot start (not installed, not executable) loses nothing:
//! the report is written directly and one line on standard error says why.
//! Whatever the pager does (quits early, fails, is `false`) is not the
//! program's outcome: the caller's exit status stays the verdict's.

use std::io::{self, IsTerminal, Write};
use std::process::{Command, Stdio};

/// Write `text` (with ANSI colours) to standard output, through a pager when
/// `allowed`, standard output is a terminal, and `text` is taller than it.
/// Colours follow the choice for standard output (`--color`, `NO_COLOR`).
pub fn show(text: &[u8], allowed: bool) -> io::Result<()> {
    let stdout = io::stdout();
    let tall = text.iter().filter(|&&b| b == b'\n').count() + 1 > terminal_rows();
    if allowed && stdout.is_terminal() && tall {
        let choice = anstream::AutoStream::choice(&stdout);
        match through_pager(text, choice) {
            Ok(()) => return Ok(()),
            Err(NotStarted(why)) => eprintln!("{why}: the report is written without it"),
        }
    }
    let mut out = anstream::stdout();
    out.write_all(text)?;
    out.flush()
}

/// Why the pager did not show the report, in words: the caller writes the
/// report directly.
struct NotStarted(String);

/// The pager's command: `$PAGER` if set and not blank, else `less`.
fn pager_command() -> String {
    std::env::var("PAGER")
        .ok()
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| "less".to_string())
}

/// Characters that make `$PAGER` a shell command rather than a program and
/// its words (git's rule, without the space).
const SHELL_SPECIAL: &[char] = &[
    '|', '&', ';', '<', '>', '(', ')', '$', '`', '\\', '"', '\'', '*', '?', '[', '#', '~', '=',
    '%', '\n',
];

/// Run the pager and give it `text`. Whatever the pager does once started is
/// its reader's business; only a pager that could not start is an error.
fn through_pager(text: &[u8], choice: anstream::ColorChoice) -> Result<(), NotStarted> {
    let pager = pager_command();
    // A program and its words (`less -R`) is started directly, so that one
    // that is not installed is known here; anything else through `sh -c`,
    // whose 127 and 126 say the same.
    let through_shell = pager.contains(SHELL_SPECIAL);
    let mut cmd = if through_shell {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", &pager]);
        cmd
    } else {
        let mut words = pager.split_whitespace();
        let mut cmd = Command::new(words.next().unwrap_or("less"));
        cmd.args(words);
        cmd
    };
    cmd.stdin(Stdio::piped());
    if std::env::var_os("LESS").is_none() {
        // Raw colour codes, quit if one screen, leave the screen as it was.
        cmd.env("LESS", "FRX");
    }
    // The name comes from the environment: escaped, as any text from
    // outside is (ESC, BEL or a bidi override must not reach the terminal).
    let shown = crate::text::escape::escape(pager.as_bytes());
    let cannot = |why: &str| NotStarted(format!("the pager '{shown}' {why}"));
    let mut child = cmd.spawn().map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => cannot("was not found"),
        io::ErrorKind::PermissionDenied => cannot("cannot be run (permission denied)"),
        _ => cannot(&format!("could not start ({e})")),
    })?;
    if let Some(mut stdin) = child.stdin.take() {
        let text = if choice == anstream::ColorChoice::Never {
            anstream::adapter::strip_bytes(text).into_vec()
        } else {
            text.to_vec()
        };
        // A reader who quits the pager early closes the pipe: that is no
        // error, and must not end this program by SIGPIPE (which `main`
        // restores to its default for closed standard output) before it can
        // exit with its verdict.
        let _ = without_sigpipe(|| stdin.write_all(&text));
    }
    match child.wait().ok().and_then(|status| status.code()) {
        Some(127) if through_shell => Err(cannot("was not found by the shell")),
        Some(126) if through_shell => Err(cannot("cannot be run by the shell")),
        _ => Ok(()),
    }
}

/// Run `write` with SIGPIPE ignored, so that a closed pipe is the error EPIPE
/// and not the end of the process; the disposition is restored after.
fn without_sigpipe<T>(write: impl FnOnce() -> T) -> T {
    // SAFETY: setting and restoring a signal's disposition; the report is
    // shown once every other thread of the run has finished.
    let before = unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    let result = write();
    if before != libc::SIG_ERR {
        unsafe {
            libc::signal(libc::SIGPIPE, before);
        }
    }
    result
}

/// The terminal's height: `LINES`, else the terminal's, else 24.
/// The terminal's height in rows: `LINES` if set, else what the terminal
/// says, else 24.
pub fn terminal_rows() -> usize {
    if let Some(n) = std::env::var("LINES")
        .ok()
        .and_then(|l| l.trim().parse().ok())
    {
        return n;
    }
    // SAFETY: TIOCGWINSZ fills a winsize; a zeroed one is a valid argument.
    let mut size: libc::winsize = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) } == 0;
    if ok && size.ws_row > 0 {
        size.ws_row as usize
    } else {
        24
    }
}
