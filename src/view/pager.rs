//! Long reports through a pager, as git does: a class must not lose the
//! header and the key rows off the top of the projector's screen.
//!
//! A report taller than the terminal goes to `$PAGER` (default `less` with
//! `LESS=FRX`: colours kept, quits at once if the report fits after all);
//! anything else, and any output that is not a terminal, is written as is.

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
        if let Some(result) = through_pager(text, choice) {
            return result;
        }
    }
    let mut out = anstream::stdout();
    out.write_all(text)?;
    out.flush()
}

/// `None` when no pager could be started: the caller writes directly.
fn through_pager(text: &[u8], choice: anstream::ColorChoice) -> Option<io::Result<()>> {
    let pager = std::env::var("PAGER")
        .ok()
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| "less".to_string());
    let mut cmd = Command::new("sh");
    cmd.args(["-c", &pager]).stdin(Stdio::piped());
    if std::env::var_os("LESS").is_none() {
        // Raw colour codes, quit if one screen, leave the screen as it was.
        cmd.env("LESS", "FRX");
    }
    let mut child = cmd.spawn().ok()?;
    let stdin = child.stdin.take()?;
    // A reader who quits the pager early closes the pipe: that is no error.
    let mut stdin = stdin;
    let wrote = if choice == anstream::ColorChoice::Never {
        stdin.write_all(&anstream::adapter::strip_bytes(text).into_vec())
    } else {
        stdin.write_all(text)
    };
    drop(stdin);
    let waited = child.wait();
    Some(match (wrote, waited) {
        (Err(e), _) if e.kind() != io::ErrorKind::BrokenPipe => Err(e),
        (_, Err(e)) => Err(e),
        _ => Ok(()),
    })
}

/// The terminal's height: `LINES`, else the terminal's, else 24.
fn terminal_rows() -> usize {
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
