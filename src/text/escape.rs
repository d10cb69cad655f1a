//! Showing bytes on a console without mangling them.
//!
//! TCP carries bytes, not text. A reply may hold half a UTF-8 character, a NUL,
//! or two lines at once, and each of those is part of the lesson. So received
//! bytes are never printed raw. Text is shown as text (`hello`, `안녕하세요`),
//! and everything else as an escape:
//!
//! - a byte that is not part of a whole UTF-8 character (a character split by
//!   the edge of a read, or bytes that are not text at all): `\xec\x95`;
//! - control bytes, which would move the cursor or start an ANSI sequence:
//!   `\n`, `\r`, `\t`, `\0`, `\x1b`;
//! - characters that are invisible or steer the text around them (bidi
//!   overrides, zero-width spaces, Hangul fillers, unassigned code points):
//!   `\u{202e}`;
//! - and the backslash itself, `\\`, so that an escape is never ambiguous.
//!
//! Two messages that arrived in one read then show up on one line,
//! `hello\nworld\n`, which is exactly what a reader needs to see; and a read
//! that ends inside a character shows the character's first bytes escaped,
//! `안\xeb\x85`, the reason a reader must not decode a partial read as text.
//!
//! Text that comes from a file (a scenario's lesson, description, name and
//! messages, a path, the keys and values a TOML error quotes) is shown the
//! same way, by the same rules: [`escape_file_text`] on a terminal (a path or
//! an error line: [`escape_text`]; on a pipe as on
//! a tty: `anstream` strips ESC sequences from a pipe, but not a bidi override
//! or a C1 control such as U+009B), [`write_json`] in JSON and [`html_text`]
//! in a page, both of which keep the text exact once decoded.

use std::io::{self, Write};

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
use unicode_width::UnicodeWidthChar;

/// One thing shown: text as it is, or an escape for what cannot be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit<'a> {
    /// Printable text, shown as itself: a character and the combining marks
    /// that follow it.
    Text(&'a str),
    /// A byte that cannot be shown as itself.
    Byte(u8),
    /// A whole character that must not be shown as itself.
    Char(char),
}

impl Unit<'_> {
    /// How many bytes of the input the unit stands for.
    fn len(&self) -> usize {
        match self {
            Unit::Text(t) => t.len(),
            Unit::Byte(_) => 1,
            Unit::Char(c) => c.len_utf8(),
        }
    }

    fn write_to<W: Write + ?Sized>(&self, out: &mut W) -> io::Result<()> {
        match *self {
            Unit::Text(t) => out.write_all(t.as_bytes()),
            Unit::Byte(b'\n') => out.write_all(b"\\n"),
            Unit::Byte(b'\r') => out.write_all(b"\\r"),
            Unit::Byte(b'\t') => out.write_all(b"\\t"),
            Unit::Byte(b'\0') => out.write_all(b"\\0"),
            Unit::Byte(b'\\') => out.write_all(b"\\\\"),
            Unit::Byte(b) => write!(out, "\\x{b:02x}"),
            Unit::Char(c) => write!(out, "\\u{{{:x}}}", c as u32),
        }
    }

    fn to_text(self) -> String {
        let mut out = Vec::new();
        self.write_to(&mut out)
            .expect("writing to a Vec cannot fail");
        String::from_utf8(out).expect("units are UTF-8")
    }
}

/// Whether a character, whole and valid, may be shown as itself: not a
/// control character, not invisible, nothing that steers the text around it.
fn shown(c: char) -> bool {
    if c.is_ascii() {
        return (' '..='~').contains(&c) && c != '\\';
    }
    // Hangul fillers: letters by category, but blank on screen, and a known
    // way to make a message look empty or different.
    if matches!(c, '\u{115f}' | '\u{1160}' | '\u{3164}' | '\u{ffa0}') {
        return false;
    }
    !steers(c)
}

/// Whether `c` is a control character, invisible, or steers the text around
/// it (bidi overrides, separators, private or unassigned code points): what
/// must never reach a screen as itself.
pub fn steers(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
            | GeneralCategory::PrivateUse
            | GeneralCategory::Surrogate
            | GeneralCategory::Unassigned
    )
}

/// Call `each` with the units of `bytes`, in order. A combining mark (zero
/// columns wide) joins the character before it; with none before it (a read
/// that starts with one), it is escaped, as it would otherwise land on
/// whatever the screen shows to its left.
fn for_each_unit<'a>(bytes: &'a [u8], mut each: impl FnMut(Unit<'a>)) {
    for chunk in bytes.utf8_chunks() {
        let text = chunk.valid();
        // The shown text not yet given out: a character and its marks.
        let mut run: Option<(usize, usize)> = None;
        for (i, c) in text.char_indices() {
            let end = i + c.len_utf8();
            let mark = !c.is_ascii() && c.width() == Some(0) && shown(c);
            match (run, mark) {
                (Some((from, _)), true) => run = Some((from, end)),
                (_, _) => {
                    if let Some((from, to)) = run.take() {
                        each(Unit::Text(&text[from..to]));
                    }
                    if shown(c) && !mark {
                        run = Some((i, end));
                    } else if c.is_ascii() {
                        each(Unit::Byte(c as u8));
                    } else {
                        each(Unit::Char(c));
                    }
                }
            }
        }
        if let Some((from, to)) = run {
            each(Unit::Text(&text[from..to]));
        }
        for &b in chunk.invalid() {
            each(Unit::Byte(b));
        }
    }
}

/// Escape `bytes` for display: text as it is, everything else escaped.
///
/// ```
/// use tcp_boundary::text::escape::escape;
/// assert_eq!(escape(b"hi\n\0\xff\\"), r"hi\n\0\xff\\");
/// assert_eq!(escape("안녕".as_bytes()), "안녕");
/// // A read that ends inside a character: `녕` is eb 85 95.
/// assert_eq!(escape(&"안녕".as_bytes()[..4]), r"안\xeb");
/// ```
pub fn escape(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len());
    write_escaped(&mut out, bytes).expect("writing to a Vec cannot fail");
    String::from_utf8(out).expect("escaped output is UTF-8")
}

/// Write `bytes` escaped to `out` without allocating: text is written as it
/// is, in runs, each other unit as its escape. The echo server uses this for
/// every message it shows, so showing costs no allocation.
pub fn write_escaped<W: Write + ?Sized>(out: &mut W, bytes: &[u8]) -> io::Result<()> {
    let mut result = Ok(());
    for_each_unit(bytes, |u| {
        if result.is_ok() {
            result = u.write_to(out);
        }
    });
    result
}

/// Text from a file, a path or an error line, for a terminal: shown as
/// itself, except what would steer the terminal or the eye, which is escaped
/// as [`escape`] escapes it (`\x1b`, `\n`, `\u{202e}`, `\u{9b}`, a combining
/// mark with nothing before it). A backslash is kept as it is: a path, an
/// error line or a command to copy reads as typed. A scenario's texts double
/// it ([`escape_file_text`]).
///
/// ```
/// use tcp_boundary::text::escape::escape_text;
/// assert_eq!(escape_text("a \\n b"), "a \\n b");
/// assert_eq!(escape_text("\x1b]0;owned\x07"), r"\x1b]0;owned\x07");
/// assert_eq!(escape_text("abc\u{202e}def"), r"abc\u{202e}def");
/// assert_eq!(escape_text("안녕"), "안녕");
/// ```
pub fn escape_text(text: &str) -> String {
    let mut out = Vec::with_capacity(text.len());
    for_each_unit(text.as_bytes(), |u| {
        let _ = match u {
            Unit::Byte(b'\\') => out.write_all(b"\\"),
            u => u.write_to(&mut out),
        };
    });
    String::from_utf8(out).expect("escaped output is UTF-8")
}

/// A scenario's text (its name, lesson, description, what to point at) for
/// a terminal: as [`escape_text`], but a backslash is doubled, as [`escape`]
/// doubles it. A typed `\x1b` then reads `\\x1b`, and only a real ESC reads
/// `\x1b`: a file cannot pass a harmless text off as an escape code, or an
/// escape code as harmless text.
///
/// ```
/// use tcp_boundary::text::escape::escape_file_text;
/// assert_eq!(escape_file_text("a \\x1b b"), r"a \\x1b b");
/// assert_eq!(escape_file_text("a \x1b b"), r"a \x1b b");
/// assert_eq!(escape_file_text("안녕\u{202e}"), r"안녕\u{202e}");
/// ```
pub fn escape_file_text(text: &str) -> String {
    escape(text.as_bytes())
}

/// Whether a character of text may go into JSON or HTML as itself: not a
/// control, format or bidi character, nothing invisible ([`escape`]'s rule);
/// the markup's own characters are the markup's business.
fn inert(c: char) -> bool {
    shown(c) || matches!(c, ' ' | '\\' | '\n' | '\t')
}

/// A JSON formatter that writes every character [`escape`] would escape as
/// a `\uXXXX` escape (a surrogate pair beyond U+FFFF): a JSON parser gives
/// the same text back, and the JSON itself is safe on a terminal.
struct SafeJson<F>(F);

impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for SafeJson<F> {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        out: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut from = 0;
        for (i, c) in fragment.char_indices() {
            if inert(c) {
                continue;
            }
            out.write_all(&fragment.as_bytes()[from..i])?;
            for unit in c.encode_utf16(&mut [0; 2]) {
                write!(out, "\\u{unit:04x}")?;
            }
            from = i + c.len_utf8();
        }
        out.write_all(&fragment.as_bytes()[from..])
    }
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// `value` as JSON (indented if `pretty`), every string kept exact but with
/// each character [`escape`] would escape written as `\uXXXX`: the JSON of a
/// scenario whose name holds ESC or U+202E is safe to print.
///
/// ```
/// let mut out = Vec::new();
/// tcp_boundary::text::escape::write_json(&mut out, &"a\u{1b}\u{202e}b", false).unwrap();
/// assert_eq!(out, br#""a\u001b\u202eb""#);
/// ```
pub fn write_json<W: Write, T: serde::Serialize + ?Sized>(
    out: W,
    value: &T,
    pretty: bool,
) -> serde_json::Result<()> {
    if pretty {
        let f = SafeJson(serde_json::ser::PrettyFormatter::new());
        value.serialize(&mut serde_json::Serializer::with_formatter(out, f))
    } else {
        let f = SafeJson(serde_json::ser::CompactFormatter);
        value.serialize(&mut serde_json::Serializer::with_formatter(out, f))
    }
}

/// Text for an HTML page, markup escaped (`&`, `<`, `>`, `"`, `'`), and each
/// character [`escape`] would escape written as a character reference
/// (`&#x202e;`): the page gives the exact text back, and its source is safe
/// on a terminal. The few an HTML parser does not give back from a
/// reference (NUL, CR, the C1 controls U+0080 to U+009F) are shown as on a
/// terminal, `\u{9b}`. Put the result in a `<bdi>`, so that a bidi override
/// cannot reorder the page around it.
///
/// ```
/// use tcp_boundary::text::escape::html_text;
/// assert_eq!(html_text("<b>\u{202e}"), "&lt;b&gt;&#x202e;");
/// assert_eq!(html_text("\u{9b}2J"), r"\u{9b}2J");
/// ```
pub fn html_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if inert(c) => out.push(c),
            '\0' | '\r' => out.push_str(&Unit::Byte(c as u8).to_text()),
            '\u{80}'..='\u{9f}' => out.push_str(&Unit::Char(c).to_text()),
            c => out.push_str(&format!("&#x{:x};", c as u32)),
        }
    }
    out
}

/// The bytes an [`escape`]d text stands for: the inverse of [`escape`], so a
/// program that shows what it received escaped (as `echo-client` does) can be
/// held against the bytes it was sent. `None` for a text that is not an
/// escape's output (a lone backslash, an unknown escape).
pub fn unescape(text: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let mut rest = text;
    while let Some((&b, tail)) = rest.split_first() {
        rest = tail;
        if b != b'\\' {
            out.push(b);
            continue;
        }
        let (&kind, tail) = rest.split_first()?;
        rest = tail;
        match kind {
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'0' => out.push(0),
            b'\\' => out.push(b'\\'),
            b'x' => {
                let hex = std::str::from_utf8(rest.get(..2)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                rest = &rest[2..];
            }
            b'u' => {
                let close = rest.iter().position(|&c| c == b'}')?;
                let digits = std::str::from_utf8(rest.get(1..close)?).ok()?;
                if rest.first() != Some(&b'{') {
                    return None;
                }
                let c = char::from_u32(u32::from_str_radix(digits, 16).ok()?)?;
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                rest = &rest[close + 1..];
            }
            _ => return None,
        }
    }
    Some(out)
}

mod fit;
pub use fit::{Header, escape_fit, fit_units, units_with_headers};

#[cfg(test)]
mod tests;
