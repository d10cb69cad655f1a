//! Files the programs write where a user points them (`lesson --out DIR`,
//! `man --out DIR`, `run --html FILE`): never through what is there.

use std::io::{self, Write};
use std::path::Path;

/// Write `contents` as the file `path`, never through what is there: it is
/// written to a new file beside it (created, not opened: a link in its place
/// makes this fail) and renamed over `path`, which replaces a symbolic link
/// found there instead of writing to the file it points at.
pub fn replace_file(path: &Path, contents: &(impl AsRef<[u8]> + ?Sized)) -> io::Result<()> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .and_then(|mut f| f.write_all(contents.as_ref()));
    match written.and_then(|()| std::fs::rename(&tmp, path)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}
