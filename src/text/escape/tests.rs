//! What each escape shows, byte by byte: controls, invalid bytes, characters
//! that steer a screen, and the cheap window of a long read.

#[test]
fn unescape_gives_back_the_bytes_escape_shows() {
    let samples: [&[u8]; 5] = [
        b"a\\b\tc \n",
        "안녕\u{202e}".as_bytes(),
        &[0xec, 0x95, b'\r', 0, 0x1b],
        b"",
        b"plain text",
    ];
    for bytes in samples {
        let shown = super::escape(bytes);
        assert_eq!(
            super::unescape(shown.as_bytes()).as_deref(),
            Some(bytes),
            "{shown}"
        );
    }
    assert_eq!(super::unescape(b"a\\"), None);
    assert_eq!(super::unescape(b"\\q"), None);
    assert_eq!(super::unescape(b"\\x4"), None);
}

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
    // A 4-byte big-endian length, as the length reader's.
    let header = Header {
        size: 4,
        length: |h| u32::from_be_bytes([h[0], h[1], h[2], h[3]]) as u64,
    };
    let mut frame = 13u32.to_be_bytes().to_vec();
    frame.extend_from_slice(b"hello, class\n");
    assert_eq!(
        fit_units(&units_with_headers(&frame, 0, &[0], header), 40),
        r"⟨13⟩hello, class\n"
    );
    // A read that starts two bytes into the header shows them raw.
    assert_eq!(
        fit_units(&units_with_headers(&frame[2..6], 2, &[0], header), 40),
        r"\0\rhe"
    );
}

#[test]
fn hangul_is_shown_and_a_split_character_is_escaped() {
    let hello = "안녕하세요".as_bytes();
    assert_eq!(escape(hello), "안녕하세요");
    // 4-byte chunks: `안` and a third of `녕`, then the rest of it.
    assert_eq!(escape(&hello[..4]), r"안\xeb");
    assert_eq!(escape(&hello[4..8]), r"\x85\x95\xed\x95");
    // Hangul takes two columns: five characters need ten.
    assert_eq!(escape_fit(hello, 10), "안녕하세요");
    assert_eq!(escape_fit(hello, 9), "안녕…세요");
}

#[test]
fn what_could_fool_the_terminal_or_the_eye_is_escaped() {
    // An ANSI escape, a bidi override, a zero-width space, a Hangul filler.
    assert_eq!(escape(b"\x1b[2J"), r"\x1b[2J");
    assert_eq!(escape("a\u{202e}b".as_bytes()), r"a\u{202e}b");
    assert_eq!(escape("a\u{200b}b".as_bytes()), r"a\u{200b}b");
    assert_eq!(escape("\u{3164}".as_bytes()), r"\u{3164}");
    // C1 controls, as characters.
    assert_eq!(escape("\u{9b}".as_bytes()), r"\u{9b}");
    // A combining mark stays on its letter; alone, it is escaped.
    assert_eq!(escape("e\u{301}".as_bytes()), "e\u{301}");
    assert_eq!(escape("\u{301}e".as_bytes()), r"\u{301}e");
}

#[test]
fn a_long_read_is_fitted_from_its_ends() {
    let mut big = "안".repeat(30_000).into_bytes();
    big.push(b'!');
    assert_eq!(escape_fit(&big, 9), "안안…안!");
    // The tail starts inside a character: it is still split as a whole.
    let big = [&b"x"[..], &"녕".repeat(40_000).into_bytes()].concat();
    assert_eq!(escape_fit(&big, 6), "x녕…녕");
}

#[test]
fn the_server_console_gets_the_same_text() {
    let mut out = Vec::new();
    write_escaped(&mut out, "안녕\n".as_bytes()).unwrap();
    assert_eq!(out, r"안녕\n".as_bytes());
}
