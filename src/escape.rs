//! Showing bytes on a console without mangling them.
//!
//! TCP carries bytes, not text. A reply may hold half a UTF-8 character, a NUL, or
//! two lines at once, and each of those is part of the lesson. So the console never
//! prints received bytes raw: every byte that is not printable ASCII is written as
//! an escape (`\n`, `\0`, `\xff`), and a backslash as `\\`. Two messages that
//! arrived in one read then show up on one line, `hello\nworld\n`, which is exactly
//! what a reader needs to see.

/// Escape `bytes` for display: printable ASCII as is, everything else escaped.
///
/// ```
/// assert_eq!(tcp_boundary::escape::escape(b"hi\n\0\xff\\"), r"hi\n\0\xff\\");
/// ```
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            b'\0' => out.push_str("\\0"),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out
}

/// Like [`escape`], but keeps at most `max` characters of output, ending in `…`
/// when it had to cut. Used where a column on a projector has a fixed width.
pub fn escape_short(bytes: &[u8], max: usize) -> String {
    let full = escape(bytes);
    if full.chars().count() <= max {
        return full;
    }
    let mut cut: String = full.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_ascii_is_kept() {
        assert_eq!(escape(b"Hello, class!"), "Hello, class!");
    }

    #[test]
    fn control_and_high_bytes_are_escaped() {
        assert_eq!(escape(b"a\r\n\t"), r"a\r\n\t");
        assert_eq!(escape(&[0x00, 0x7f, 0x80, 0xff]), r"\0\x7f\x80\xff");
        // Half of a UTF-8 character ("é" is c3 a9) is shown, not replaced.
        assert_eq!(escape(&[0xc3]), r"\xc3");
    }

    #[test]
    fn short_form_cuts_with_an_ellipsis() {
        assert_eq!(escape_short(b"abcdef", 4), "abc…");
        assert_eq!(escape_short(b"abc", 4), "abc");
    }
}
