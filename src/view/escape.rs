//! Showing bytes on a console without mangling them.
//!
//! TCP carries bytes, not text. A reply may hold half a UTF-8 character, a NUL, or
//! two lines at once, and each of those is part of the lesson. So the console never
//! prints received bytes raw: every byte that is not printable ASCII is written as
//! an escape (`\n`, `\0`, `\xff`), and a backslash as `\\`. Two messages that
//! arrived in one read then show up on one line, `hello\nworld\n`, which is exactly
//! what a reader needs to see.

use std::io::{self, Write};

/// The escape for one byte that cannot be shown as itself, or `None` for
/// printable ASCII (other than the backslash).
fn escape_of(b: u8, hex: &mut [u8; 4]) -> Option<&[u8]> {
    Some(match b {
        b'\n' => b"\\n",
        b'\r' => b"\\r",
        b'\t' => b"\\t",
        b'\0' => b"\\0",
        b'\\' => b"\\\\",
        0x20..=0x7e => return None,
        _ => {
            const DIGITS: &[u8; 16] = b"0123456789abcdef";
            *hex = [
                b'\\',
                b'x',
                DIGITS[(b >> 4) as usize],
                DIGITS[(b & 15) as usize],
            ];
            hex
        }
    })
}

/// Escape `bytes` for display: printable ASCII as is, everything else escaped.
///
/// ```
/// assert_eq!(tcp_boundary::view::escape::escape(b"hi\n\0\xff\\"), r"hi\n\0\xff\\");
/// ```
pub fn escape(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len());
    write_escaped(&mut out, bytes).expect("writing to a Vec cannot fail");
    String::from_utf8(out).expect("escaped output is ASCII")
}

/// Write `bytes` escaped to `out` without allocating: runs of printable bytes
/// are written as they are, each other byte as its escape. The echo server
/// uses this for every message it shows, so showing costs no allocation.
pub fn write_escaped<W: Write + ?Sized>(out: &mut W, bytes: &[u8]) -> io::Result<()> {
    let mut hex = [0u8; 4];
    let mut rest = bytes;
    loop {
        // A tight scan for the next byte that needs escaping: most messages are
        // text, and the run before it is written in one piece.
        let run = rest
            .iter()
            .position(|&b| !(0x20..=0x7e).contains(&b) || b == b'\\')
            .unwrap_or(rest.len());
        out.write_all(&rest[..run])?;
        let Some((&b, tail)) = rest[run..].split_first() else {
            return Ok(());
        };
        out.write_all(escape_of(b, &mut hex).unwrap_or(&[b]))?;
        rest = tail;
    }
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

/// The escape of one byte as display text, with a space at the edge of a cell
/// shown as `␣` (a reply of one space must not look empty).
fn unit(b: u8, edge: bool) -> String {
    if edge && b == b' ' {
        return "␣".to_string();
    }
    let mut hex = [0u8; 4];
    match escape_of(b, &mut hex) {
        Some(esc) => String::from_utf8_lossy(esc).into_owned(),
        None => (b as char).to_string(),
    }
}

/// `bytes` escaped to fit `max` columns: whole if they fit, else their start
/// and their end with `…` between. Only the bytes that can be shown are
/// escaped, so showing a 64 KiB read costs no more than showing 40 bytes.
/// Spaces at either end are shown as `␣`.
pub fn escape_fit(bytes: &[u8], max: usize) -> String {
    let last = bytes.len().saturating_sub(1);
    fit(bytes.len(), |i| unit(bytes[i], i == 0 || i == last), max)
}

/// `units` (each already display text: an escaped byte, a decoded header)
/// fitted to `max` columns as [`escape_fit`] does.
pub fn fit_units(units: &[String], max: usize) -> String {
    fit(units.len(), |i| units[i].clone(), max)
}

/// The `n` units `show(i)` gives, whole if they fit in `max` columns, else the
/// first and the last ones with `…` between. At most `max` units from each end
/// are looked at: every unit takes at least one column.
fn fit(n: usize, show: impl Fn(usize) -> String, max: usize) -> String {
    let width = |u: &str| unicode_width::UnicodeWidthStr::width(u);
    let mut full = String::new();
    let mut used = 0;
    for i in 0..n.min(max + 1) {
        let u = show(i);
        used += width(&u);
        full.push_str(&u);
    }
    if used <= max && n <= max {
        return full;
    }
    if max == 0 {
        return String::new();
    }
    let room = max - 1; // for the `…`
    let (mut head, mut tail) = (Vec::new(), Vec::new());
    let (mut head_w, mut tail_w) = (0, 0);
    let (mut i, mut j) = (0, n);
    // Take from the front and the back in turn, so both ends show.
    loop {
        let mut moved = false;
        if i < j {
            let u = show(i);
            if head_w + tail_w + width(&u) <= room && head_w <= tail_w {
                head_w += width(&u);
                head.push(u);
                i += 1;
                moved = true;
            }
        }
        if i < j {
            let u = show(j - 1);
            if head_w + tail_w + width(&u) <= room && tail_w < head_w {
                tail_w += width(&u);
                tail.push(u);
                j -= 1;
                moved = true;
            }
        }
        if !moved {
            break;
        }
    }
    tail.reverse();
    format!("{}…{}", head.concat(), tail.concat())
}

/// `bytes` as display units, with a length reader's 4-byte headers decoded:
/// `starts` are the stream offsets where headers begin, `at` the offset of
/// `bytes[0]`. A header wholly inside `bytes` shows as `⟨13⟩`; one cut by the
/// edge of a read shows as its raw bytes, as the reader saw them.
pub fn units_with_headers(bytes: &[u8], at: u64, starts: &[u64]) -> Vec<String> {
    let last = bytes.len().saturating_sub(1);
    let mut units = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let here = at + i as u64;
        if starts.contains(&here)
            && let Some(h) = bytes.get(i..i + 4)
        {
            let len = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
            units.push(format!("⟨{len}⟩"));
            i += 4;
            continue;
        }
        units.push(unit(bytes[i], i == 0 || i == last));
        i += 1;
    }
    units
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
    fn fitted_form_keeps_both_ends_and_shows_edge_spaces() {
        assert_eq!(escape_fit(b"abcdef", 6), "abcdef");
        assert_eq!(escape_fit(b"abcdefgh", 5), "ab…gh");
        assert_eq!(escape_fit(b"ab\ncd\n", 7), r"ab\n…\n");
        assert_eq!(escape_fit(b" ", 5), "␣");
        assert_eq!(escape_fit(b" a ", 5), "␣a␣");
        assert_eq!(escape_fit(b"abc", 0), "");
        // A 64 KiB read shown in 20 columns.
        let big = vec![b'x'; 64 * 1024];
        assert_eq!(escape_fit(&big, 20).chars().count(), 20);
    }

    #[test]
    fn length_headers_are_decoded_where_they_start() {
        let mut frame = 13u32.to_be_bytes().to_vec();
        frame.extend_from_slice(b"hello, class\n");
        assert_eq!(
            fit_units(&units_with_headers(&frame, 0, &[0]), 40),
            r"⟨13⟩hello, class\n"
        );
        // A read that starts two bytes into the header shows them raw.
        assert_eq!(
            fit_units(&units_with_headers(&frame[2..6], 2, &[0]), 40),
            r"\0\rhe"
        );
    }

    #[test]
    fn short_form_cuts_with_an_ellipsis() {
        assert_eq!(escape_short(b"abcdef", 4), "abc…");
        assert_eq!(escape_short(b"abc", 4), "abc");
    }
}
