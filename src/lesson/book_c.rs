//! The book's own C programs, compiled: `book/echo_client.c` and
//! `book/echo_server.c`, as the chapter prints them.
//!
//! The class is shown our Rust port of them everywhere else; here they are
//! the real thing, built once with the system's C compiler (`$CC`, else
//! `cc`) into a cache folder (`$XDG_CACHE_HOME/tcp-boundary/book-c`, else
//! `~/.cache/…`), named after a hash of the source and the compiler, so an
//! edited source or another compiler builds anew and nothing stale is run.
//! A build goes to a temporary file first and is renamed into place: two
//! runs at once never see half a program.

use std::hash::{Hash, Hasher};
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One of the book's two programs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookProgram {
    /// `echo_client.c`: `echo_client <IP> <PORT>`, one `read(BUF_SIZE - 1)`
    /// per message typed.
    Client,
    /// `echo_server.c`: `echo_server <PORT>`, five clients, one after
    /// another.
    Server,
}

impl BookProgram {
    /// Its name, as the book's file is named.
    pub fn name(self) -> &'static str {
        match self {
            BookProgram::Client => "echo_client",
            BookProgram::Server => "echo_server",
        }
    }

    /// Its source, as shipped in `book/`.
    pub fn source(self) -> &'static str {
        match self {
            BookProgram::Client => include_str!("../../book/echo_client.c"),
            BookProgram::Server => include_str!("../../book/echo_server.c"),
        }
    }
}

/// Why a program could not be built: one line, said as the reason the
/// command could not run (exit 3).
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// No C compiler to run.
    #[error(
        "the book's {0}.c needs a C compiler, and `{1}` cannot be run: install one (Debian: apt-get install gcc) or set CC"
    )]
    NoCompiler(&'static str, String),
    /// The compiler refused the source.
    #[error("`{compiler}` could not build the book's {program}.c: {first_line}")]
    Failed {
        /// The program.
        program: &'static str,
        /// The compiler run.
        compiler: String,
        /// The first line it said.
        first_line: String,
    },
    /// No cache folder could be made or written.
    #[error("cannot build the book's {0}.c in {1}: {2}")]
    Cache(&'static str, PathBuf, io::Error),
}

/// The compiler: `$CC`, else `cc`.
fn compiler() -> String {
    std::env::var("CC")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .unwrap_or_else(|| "cc".into())
}

/// Where compiled programs are kept.
fn cache_root() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|p| Path::new(p).is_absolute())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("tcp-boundary").join("book-c")
}

/// The compiled `program`: built now if it is not in the cache yet.
pub fn build(program: BookProgram) -> Result<PathBuf, BuildError> {
    build_in(&cache_root(), program, &compiler())
}

/// One build at a time in this process: runs side by side (a scenario's
/// readers) that each need the program wait for the first to build it,
/// then find it built.
static BUILDING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// [`build`] into the cache folder `root` with `compiler`.
pub fn build_in(root: &Path, program: BookProgram, compiler: &str) -> Result<PathBuf, BuildError> {
    let name = program.name();
    // Named by what made it: the same source and compiler, the same file.
    let mut hash = std::collections::hash_map::DefaultHasher::new();
    (program.source(), compiler).hash(&mut hash);
    let dir = root.join(format!("{:016x}", hash.finish()));
    let binary = dir.join(name);
    let _one = BUILDING.lock().unwrap_or_else(|e| e.into_inner());
    // A program in the cache is one the compiler wrote (an ELF file);
    // anything else there (a file truncated, overwritten) is built anew.
    if is_program(&binary) {
        return Ok(binary);
    }
    let cache = |e: io::Error| BuildError::Cache(name, dir.clone(), e);
    std::fs::create_dir_all(&dir).map_err(cache)?;
    let source = dir.join(format!("{name}.c"));
    std::fs::write(&source, program.source()).map_err(cache)?;
    // A name of this process's own, renamed into place once built.
    let building = dir.join(format!(".{name}-{}", std::process::id()));
    // `$CC` may carry flags (`gcc -m32`): split on spaces, as make does.
    let mut words = compiler.split_whitespace();
    let cc = words.next().unwrap_or("cc");
    let built = Command::new(cc)
        .args(words)
        .arg("-o")
        .arg(&building)
        .arg(&source)
        .output()
        .map_err(|_| BuildError::NoCompiler(name, compiler.to_string()))?;
    // A "compiler" that succeeds and writes nothing (`CC=true`) failed.
    if built.status.success() && !is_program(&building) {
        let _ = std::fs::remove_file(&building);
        return Err(BuildError::Failed {
            program: name,
            compiler: compiler.to_string(),
            first_line: "it wrote no program".into(),
        });
    }
    if !built.status.success() {
        let _ = std::fs::remove_file(&building);
        let said = String::from_utf8_lossy(&built.stderr);
        let first_line = said
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("it failed and said nothing")
            .chars()
            .take(300)
            .collect();
        return Err(BuildError::Failed {
            program: name,
            compiler: compiler.to_string(),
            first_line,
        });
    }
    std::fs::rename(&building, &binary).map_err(cache)?;
    Ok(binary)
}

/// Whether `path` is a program a compiler wrote: an ELF file.
fn is_program(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok_and(|()| magic == *b"\x7fELF")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn have_cc() -> bool {
        Command::new("cc")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    }

    #[test]
    fn a_program_is_built_once_and_found_in_the_cache_after() {
        if !have_cc() {
            return;
        }
        let root = tempfile::tempdir().unwrap();
        let first = build_in(root.path(), BookProgram::Client, "cc").unwrap();
        assert!(first.is_file());
        let made = std::fs::metadata(&first).unwrap().modified().unwrap();
        let again = build_in(root.path(), BookProgram::Client, "cc").unwrap();
        assert_eq!(first, again);
        assert_eq!(std::fs::metadata(&again).unwrap().modified().unwrap(), made);
        // The book's client, run: where nothing listens, its connect fails
        // in its own words.
        let nothing = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = nothing.local_addr().unwrap().port().to_string();
        drop(nothing);
        let out = Command::new(&first)
            .args(["127.0.0.1", &port])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("connect () error!"));
        // Another compiler (the same, named with a flag) is another build.
        let other = build_in(root.path(), BookProgram::Client, "cc -O0").unwrap();
        assert_ne!(first, other);
        // What is in the cache and is not a program is built anew.
        std::fs::write(&first, b"garbage").unwrap();
        let anew = build_in(root.path(), BookProgram::Client, "cc").unwrap();
        assert_eq!(anew, first);
        assert!(is_program(&anew));
        // A compiler that writes nothing has failed.
        let none = build_in(root.path(), BookProgram::Server, "true");
        assert!(
            matches!(&none, Err(BuildError::Failed { first_line, .. }) if first_line == "it wrote no program"),
            "{none:?}"
        );
    }

    #[test]
    fn no_compiler_is_one_line_that_says_what_to_do() {
        let root = tempfile::tempdir().unwrap();
        let err = build_in(root.path(), BookProgram::Server, "no_such_cc_here").unwrap_err();
        let said = err.to_string();
        assert!(matches!(err, BuildError::NoCompiler(..)), "{said}");
        assert!(
            said.contains("echo_server.c") && said.contains("set CC"),
            "{said}"
        );
        assert!(!said.contains('\n'));
    }

    #[test]
    fn a_compiler_that_fails_is_said_with_its_first_line() {
        let root = tempfile::tempdir().unwrap();
        // `false` runs and fails, saying nothing.
        let err = build_in(root.path(), BookProgram::Client, "false").unwrap_err();
        assert!(matches!(err, BuildError::Failed { .. }), "{err}");
        assert!(
            err.to_string()
                .contains("could not build the book's echo_client.c")
        );
    }
}
