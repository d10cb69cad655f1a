//! The keys of `run --step`: Enter shows the next row, `q` ends the run.
//!
//! On a terminal, standard input is put in raw mode for the run (no echo, no
//! waiting for a line), so a key press shows one row and nothing else: the
//! rows stay one under the other, and `q` needs no Enter. The terminal's
//! settings are given back when the run ends, however it ends. From a pipe,
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
#[derive(Debug)]
pub struct RawTerminal {
    saved: libc::termios,
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
            if libc::tcsetattr(fd, libc::TCSANOW, &raw) != 0 {
                return None;
            }
            Some(RawTerminal { saved })
        }
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

impl Drop for RawTerminal {
    fn drop(&mut self) {
        // SAFETY: the settings read in `stdin`, written back to the terminal.
        unsafe { libc::tcsetattr(io::stdin().as_raw_fd(), libc::TCSANOW, &self.saved) };
    }
}
