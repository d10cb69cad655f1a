//! Wording that every layer shares: bytes shown safely and counts of bytes.
//!
//! - [`escape`]: received bytes and text from files on a console, in JSON
//!   and in pages, without letting them mangle it.
//! - [`bytes`] and [`bytes_in`]: a count of bytes in words; [`grouped`]: a
//!   count with its thousands grouped; [`system_words`]: an error as the
//!   system says it.
//!
//! It sits just above [`lang`](crate::lang) and below everything else, so the
//! lesson, the shapes and the scenarios can word what they carry without
//! reaching up into the views.

pub mod escape;

use crate::lang::Lang;

/// A count of bytes in words: `1 byte`, `13 bytes`.
pub fn bytes(n: impl Into<u64>) -> String {
    bytes_in(n, Lang::En)
}

/// A count of bytes in words, in `lang`: `13 bytes`, `13바이트`.
pub fn bytes_in(n: impl Into<u64>, lang: Lang) -> String {
    crate::tr!(lang, "bytes", n = n.into())
}

/// An error in the system's words without its number, the first letter
/// small so it reads on after a colon: `too many open files`, `no space left
/// on device`.
pub fn system_words(e: &std::io::Error) -> String {
    let text = e.to_string();
    let text = match text.rfind(" (os error ") {
        Some(i) => &text[..i],
        None => &text,
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A count with its thousands grouped, as a row of a log shows it: `2,981`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::lang::Lang;

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(super::grouped(0), "0");
        assert_eq!(super::grouped(999), "999");
        assert_eq!(super::grouped(2981), "2,981");
        assert_eq!(super::grouped(1_234_567), "1,234,567");
    }

    #[test]
    fn one_byte_is_one_byte() {
        assert_eq!(super::bytes(1u64), "1 byte");
        assert_eq!(super::bytes(0u64), "0 bytes");
        assert_eq!(super::bytes(13u64), "13 bytes");
        assert_ne!(super::bytes_in(13u64, Lang::Ko), "13 bytes");
    }
}
