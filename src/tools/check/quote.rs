//! Command lines for a shell: quoted so that a shell gives back the same
//! words, byte for byte, and printable as they are on any terminal, pipe or
//! report.

/// Whether `c` can stand in a command line as itself: not a control
/// character, nothing invisible or that steers the text around it.
fn plain(c: char) -> bool {
    !crate::text::escape::steers(c)
}

/// One word for a POSIX shell: as it is when nothing in it is special,
/// in single quotes when only the shell's own characters are, and as bash's
/// `$'…'` (with `\xHH`, `\uHHHH`) when it holds what a terminal would act on
/// or not show.
pub fn word(w: &str) -> String {
    if w.chars().all(plain) {
        return shlex::try_quote(w).map_or_else(|_| ansi_c(w), |q| q.into_owned());
    }
    ansi_c(w)
}

fn ansi_c(w: &str) -> String {
    let mut out = String::from("$'");
    for c in w.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x80 && !plain(c) => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if !plain(c) && (c as u32) <= 0xffff => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if !plain(c) => out.push_str(&format!("\\U{:08x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Words joined into one command line.
pub fn line<'a>(words: impl IntoIterator<Item = &'a str>) -> String {
    words.into_iter().map(word).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_is_quoted_as_little_as_a_shell_needs() {
        assert_eq!(word("python3"), "python3");
        assert_eq!(word("my client.py"), "'my client.py'");
        assert_eq!(word("{addr}"), "'{addr}'");
        assert_eq!(word("a\u{1b}]0;owned\u{7}"), "$'a\\x1b]0;owned\\x07'");
        assert_eq!(word("abc\u{202e}def"), "$'abc\\u202edef'");
        assert_eq!(word("it's\n"), "$'it\\'s\\n'");
        assert_eq!(word("안녕"), "'안녕'");
    }

    #[test]
    fn bash_gives_back_the_same_bytes() {
        if std::process::Command::new("bash")
            .arg("--version")
            .output()
            .is_err()
        {
            return;
        }
        for w in [
            "a\u{1b}[2Jb",
            "x\u{202e}y",
            "tab\there",
            "q'uote\\",
            "\u{9b}31m",
            "plain",
        ] {
            let out = std::process::Command::new("bash")
                .arg("-c")
                .arg(format!("printf %s {}", word(w)))
                .output()
                .unwrap();
            assert_eq!(String::from_utf8(out.stdout).unwrap(), w, "{}", word(w));
        }
    }
}
