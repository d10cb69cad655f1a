//! Views: how runs are shown to people.
//!
//! - [`console`]: the echo server's console text, as the seed prints it.
//! - [`escape`]: received bytes and text from files on a console, in JSON
//!   and in pages, without letting them mangle it.
//! - [`page`]: lesson pages, a run drawn for a browser.
//! - [`pager`]: long reports through `$PAGER`, colours kept.
//! - [`timeline`]: the two-column timeline of writes and reads.
//! - [`report`]: scenarios, rounds and verdicts for a class.

pub mod console;
pub mod escape;
pub mod keys;
pub mod page;
pub mod pager;
pub mod report;
pub mod timeline;

/// A count of bytes in words: `1 byte`, `13 bytes`.
pub fn bytes(n: impl Into<u64>) -> String {
    bytes_in(n, crate::lang::Lang::En)
}

/// A count of bytes in words, in `lang`: `13 bytes`, `13바이트`.
pub fn bytes_in(n: impl Into<u64>, lang: crate::lang::Lang) -> String {
    crate::tr!(lang, "bytes", n = n.into())
}

/// What went wrong in a socket call, in `lang`: the kinds a class meets are
/// worded from the catalogue; any other error keeps the system's own words.
pub fn error_in(kind: crate::event::ErrorKind, message: &str, lang: crate::lang::Lang) -> String {
    use crate::event::ErrorKind;
    let id = match kind {
        ErrorKind::Refused => "err-refused",
        ErrorKind::Reset => "err-reset",
        ErrorKind::BrokenPipe => "err-broken-pipe",
        ErrorKind::Aborted => "err-aborted",
        ErrorKind::TimedOut => "err-timed-out",
        ErrorKind::Other => return message.to_string(),
    };
    crate::tr!(lang, id)
}

#[cfg(test)]
mod tests {
    use crate::event::ErrorKind;
    use crate::lang::Lang;

    #[test]
    fn a_known_error_is_worded_in_the_class_s_language() {
        let en = super::error_in(ErrorKind::BrokenPipe, "", Lang::En);
        assert_eq!(
            en,
            crate::event::describe_io(&std::io::Error::from(std::io::ErrorKind::BrokenPipe))
        );
        assert!(super::error_in(ErrorKind::Reset, "", Lang::Ko).contains("RST"));
        assert_eq!(
            super::error_in(ErrorKind::Other, "disk on fire", Lang::Ko),
            "disk on fire"
        );
    }

    #[test]
    fn one_byte_is_one_byte() {
        assert_eq!(super::bytes(1u64), "1 byte");
        assert_eq!(super::bytes(0u64), "0 bytes");
        assert_eq!(super::bytes(13u64), "13 bytes");
    }
}
