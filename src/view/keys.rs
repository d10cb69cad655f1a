//! The keys of `run --step`: Enter shows the next row, `q` ends the run.
//!
//! On a terminal, standard input is put in raw mode for the run (no echo, no
//! waiting for a line), so a key press shows one row and nothing else: the
//! rows stay one under the other, and `q` needs no Enter. The terminal's
//! settings are given back when the run ends, however it ends: a signal
//! sent to it (SIGTERM, SIGINT, SIGHUP, SIGQUIT) gives them back before the
//! signal's own exit. From a pipe,
//! each line is one key: a line `q` quits, the end of input shows the rest.

use std::io::{self, BufRead, IsTerminal};
use std::os::fd::AsRawFd;

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// Show the next row (Enter, space).
    Next,
    /// Stop here (`q`, Ctrl-C, Ctrl-D on a terminal).
    Quit,
    /// No more keys will come: show the rest at once.
    End,
}

/// Where the keys come from.
pub trait Keys {
    /// Wait for the next key that means something.
    fn next_key(&mut self) -> io::Result<Key>;
}

/// Keys from lines of text: a line is Enter, a line `q` quits.
#[derive(Debug)]
pub struct Lines<R>(pub R);

impl<R: BufRead> Keys for Lines<R> {
    fn next_key(&mut self) -> io::Result<Key> {
        let mut line = String::new();
        if self.0.read_line(&mut line)? == 0 {
            return Ok(Key::End);
        }
        Ok(match line.trim() {
            "q" | "Q" => Key::Quit,
            _ => Key::Next,
        })
    }
}

/// Standard input, a terminal, in raw mode until dropped.
pub struct RawTerminal {
    saved: libc::termios,
    /// The signals' actions before raw mode, put back with the settings.
    old: [libc::sigaction; 4],
}

impl RawTerminal {
    /// Raw mode on standard input, when it is a terminal.
    pub fn stdin() -> Option<RawTerminal> {
        let stdin = io::stdin();
        if !stdin.is_terminal() {
            return None;
        }
        let fd = stdin.as_raw_fd();
        // SAFETY: a termios read from an open terminal, changed, written back.
        unsafe {
            let mut saved: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(fd, &mut saved) != 0 {
                return None;
            }
            let mut raw = saved;
            // No echo, no line editing, and Ctrl-C as a key (so the settings
            // are always given back); output is left as it was.
            raw.c_lflag &= !(libc::ECHO | libc::ICANON | libc::ISIG);
            raw.c_cc[libc::VMIN] = 1;
            raw.c_cc[libc::VTIME] = 0;
            // The settings to give back are where a signal's handler can
            // find them before the terminal is changed.
            SAVED.with(|cell| *cell = saved);
            let old = on_signals(restore_and_die as *const () as libc::sighandler_t);
            if libc::tcsetattr(fd, libc::TCSANOW, &raw) != 0 {
                put_back(&old);
                return None;
            }
            Some(RawTerminal { saved, old })
        }
    }
}

/// The signals that end a program by default and can be caught: each one,
/// sent to `run --step` (not typed: ISIG is off), gives the terminal back
/// first.
const ENDING: [libc::c_int; 4] = [libc::SIGTERM, libc::SIGINT, libc::SIGHUP, libc::SIGQUIT];

/// The terminal's settings to give back, for a signal's handler (which can
/// reach only what is static). Written before the terminal is changed, read
/// only by the handler.
struct Saved(std::cell::UnsafeCell<libc::termios>);

// SAFETY: written once per raw mode, before any handler that reads it is
// installed; the handler only reads.
unsafe impl Sync for Saved {}

impl Saved {
    /// SAFETY: the caller is the only writer, and no handler reads it yet.
    unsafe fn with(&self, f: impl FnOnce(&mut libc::termios)) {
        // SAFETY: as the caller promises.
        f(unsafe { &mut *self.0.get() })
    }
}

// SAFETY: termios is plain data; all zeroes is a valid value.
static SAVED: Saved = Saved(std::cell::UnsafeCell::new(unsafe { std::mem::zeroed() }));

/// A signal's handler: the terminal's settings given back, then the
/// signal's own default action (the exit code a shell reports for it).
/// Only async-signal-safe calls: tcsetattr, signal, raise.
extern "C" fn restore_and_die(sig: libc::c_int) {
    // SAFETY: SAVED holds the settings read from this terminal; the rest
    // resets the signal to its default and sends it again.
    unsafe {
        libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, SAVED.0.get());
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}

/// Install `handler` for every [`ENDING`] signal; the actions they had.
///
/// SAFETY: `handler` is SIG_DFL, SIG_IGN or an async-signal-safe function.
unsafe fn on_signals(handler: libc::sighandler_t) -> [libc::sigaction; 4] {
    // SAFETY: sigaction structures zeroed then filled; the old ones kept.
    unsafe {
        let mut old: [libc::sigaction; 4] = std::mem::zeroed();
        for (sig, old) in ENDING.iter().zip(old.iter_mut()) {
            let mut act: libc::sigaction = std::mem::zeroed();
            act.sa_sigaction = handler;
            libc::sigemptyset(&mut act.sa_mask);
            libc::sigaction(*sig, &act, old);
        }
        old
    }
}

/// Put back the actions [`on_signals`] replaced.
fn put_back(old: &[libc::sigaction; 4]) {
    for (sig, old) in ENDING.iter().zip(old) {
        // SAFETY: an action sigaction itself returned.
        unsafe { libc::sigaction(*sig, old, std::ptr::null_mut()) };
    }
}

impl Keys for RawTerminal {
    fn next_key(&mut self) -> io::Result<Key> {
        let fd = io::stdin().as_raw_fd();
        loop {
            let mut b = 0u8;
            // SAFETY: one byte into a valid one-byte buffer.
            let n = unsafe { libc::read(fd, (&raw mut b).cast(), 1) };
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            match (n, b) {
                (0, _) => return Ok(Key::End),
                (_, b'\r' | b'\n' | b' ') => return Ok(Key::Next),
                // q, Ctrl-C, Ctrl-D.
                (_, b'q' | b'Q' | 3 | 4) => return Ok(Key::Quit),
                _ => {}
            }
        }
    }
}

impl std::fmt::Debug for RawTerminal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawTerminal").finish_non_exhaustive()
    }
}

impl Drop for RawTerminal {
    fn drop(&mut self) {
        // SAFETY: the settings read in `stdin`, written back to the terminal.
        unsafe { libc::tcsetattr(io::stdin().as_raw_fd(), libc::TCSANOW, &self.saved) };
        put_back(&self.old);
    }
}
