//! Running the client under test: its command with the proxy's address put
//! in, its output kept (the tail of it), a terminal for its output when it is
//! a book-style client, and a time limit.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::{CheckConfig, Ended, KEPT_OUTPUT};

/// `{addr}`, `{host}` and `{port}` in a word, replaced.
fn substitute(word: &str, addr: SocketAddr) -> String {
    word.replace("{addr}", &addr.to_string())
        .replace("{host}", &addr.ip().to_string())
        .replace("{port}", &addr.port().to_string())
}

/// Keep the last `KEPT_OUTPUT` bytes of a stream, read to its end.
fn keep_tail(mut from: impl Read + Send + 'static) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut kept = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => return kept,
                Ok(n) => {
                    kept.extend_from_slice(&buf[..n]);
                    if kept.len() > 2 * KEPT_OUTPUT {
                        kept.drain(..kept.len() - KEPT_OUTPUT);
                    }
                }
            }
        }
    })
}

/// Run the client against `addr` until it exits or the timeout; its output.
pub(super) fn run_client(
    config: &CheckConfig,
    addr: SocketAddr,
) -> io::Result<(Ended, Vec<u8>, Vec<u8>)> {
    let (program, args) = config
        .command
        .split_first()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no command to check"))?;
    // A book-style client prints to a terminal, and C's stdio writes each line
    // at once only there: on a pipe it holds its output until exit, and a
    // client killed by SIGPIPE would lose what it printed. So its output goes
    // to a pseudo-terminal, as when a student runs it.
    let (stdout, terminal) = match config.stdin_lines {
        Some(_) => {
            let (reader, writer) = terminal()?;
            (Stdio::from(writer), Some(reader))
        }
        None => (Stdio::piped(), None),
    };
    let mut child = Command::new(substitute(program, addr))
        .args(args.iter().map(|a| substitute(a, addr)))
        .env("TCP_BOUNDARY_ADDR", addr.to_string())
        .env("TCP_BOUNDARY_HOST", addr.ip().to_string())
        .env("TCP_BOUNDARY_PORT", addr.port().to_string())
        .stdin(if config.stdin_lines.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| io::Error::new(e.kind(), format!("cannot run {program}: {e}")))?;
    if let (Some(lines), Some(mut stdin)) = (&config.stdin_lines, child.stdin.take()) {
        // Every message as a line, then `q`; a client that stops reading its
        // input (or has quit) is not waited for.
        let mut input = String::new();
        for m in &lines.messages {
            input.push_str(m);
            input.push('\n');
        }
        input.push_str("q\n");
        thread::spawn(move || {
            let _ = stdin.write_all(input.as_bytes());
        });
    }
    let out = match terminal {
        Some(reader) => keep_tail(std::fs::File::from(reader)),
        None => keep_tail(child.stdout.take().expect("piped")),
    };
    let err = keep_tail(child.stderr.take().expect("piped"));
    let ended = wait_until(&mut child, config.timeout)?;
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    Ok((ended, stdout, stderr))
}

/// A pseudo-terminal: the side we read, and the side the client writes to.
fn terminal() -> io::Result<(std::os::fd::OwnedFd, std::os::fd::OwnedFd)> {
    use std::os::fd::FromRawFd;
    let (mut reader, mut writer) = (-1, -1);
    // SAFETY: openpty fills two descriptors, which we then own; the name,
    // termios and window size are optional and left null.
    let ok = unsafe {
        libc::openpty(
            &mut reader,
            &mut writer,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    if ok != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both descriptors are open and nothing else owns them.
    Ok(unsafe {
        (
            std::os::fd::OwnedFd::from_raw_fd(reader),
            std::os::fd::OwnedFd::from_raw_fd(writer),
        )
    })
}

/// Wait for the child for at most `limit`; kill it if it is still running.
fn wait_until(child: &mut Child, limit: Duration) -> io::Result<Ended> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(match status.code() {
                Some(code) => Ended::Exited(code),
                None => Ended::Signalled,
            });
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(Ended::Hung);
        }
        thread::sleep(Duration::from_millis(5));
    }
}
