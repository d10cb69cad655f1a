//! Another person's program, as a command line: its placeholders filled in
//! with the address it is to talk to, and found before it is run.

use std::io;
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `command` (a program and its arguments) to be run against `addr`: its
/// placeholders filled in, the address also in `TCP_BOUNDARY_ADDR`,
/// `TCP_BOUNDARY_HOST` and `TCP_BOUNDARY_PORT`, in a process group of its
/// own (so that a timeout or a Ctrl-C ends it and everything it started).
/// An empty command is an error.
pub fn against(command: &[String], addr: SocketAddr) -> io::Result<Command> {
    let (program, args) = command
        .split_first()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no command to run"))?;
    let mut command = Command::new(substitute(program, addr));
    command
        .args(args.iter().map(|a| substitute(a, addr)))
        .env("TCP_BOUNDARY_ADDR", addr.to_string())
        .env("TCP_BOUNDARY_HOST", addr.ip().to_string())
        .env("TCP_BOUNDARY_PORT", addr.port().to_string())
        .process_group(0);
    Ok(command)
}

/// `{addr}`, `{host}` and `{port}` in a word, replaced.
pub fn substitute(word: &str, addr: SocketAddr) -> String {
    word.replace("{addr}", &addr.to_string())
        .replace("{host}", &addr.ip().to_string())
        .replace("{port}", &addr.port().to_string())
}

/// Where `program` would be run from: itself when it names a path, else the
/// first match on PATH. Found before the first run, so a misspelt command is
/// an error of the check, not a failing client.
pub fn find_program(program: &str) -> io::Result<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let runnable = |p: &Path| {
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    let not_found =
        |why: &str| io::Error::new(io::ErrorKind::NotFound, format!("{program}: {why}"));
    if program.is_empty() {
        return Err(not_found("an empty command"));
    }
    if program.contains('/') {
        let path = PathBuf::from(program);
        return match runnable(&path) {
            true => Ok(path),
            false if path.exists() => Err(not_found("not an executable file")),
            false => Err(not_found("no such file")),
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| runnable(p))
        .ok_or_else(|| not_found("command not found on PATH"))
}
