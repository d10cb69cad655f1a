//! Korean particles chosen by the word before them.
//!
//! A Korean particle has two forms, chosen by how the word before it ends
//! when read aloud: after a final consonant (받침) `을`, `이`, `은`, `과`,
//! `으로`; after a vowel `를`, `가`, `는`, `와`, `로` (and `로` after a final
//! `ㄹ` too). A catalogue cannot know how a placeholder's value ends, so the
//! Korean catalogue writes both forms, the way Korean forms do: `을(를)`,
//! `이(가)`, `은(는)`, `와(과)`, `(으)로`; [`resolve`] keeps the one the word
//! before takes, once the placeholders are filled in.
//!
//! How a word ends ([`ending`]): a Hangul syllable by its final consonant;
//! a digit as the Korean numeral is read (`1` 일, `3` 삼, `10` 십, `100`
//! 백, `1000` 천); a Latin letter by its name read aloud (`L` 엘, `M` 엠,
//! `N` 엔, `R` 알; `html` ends in 엘), but a word ending in a vowel and `r`
//! as Korean writes it (`server` 서버, `buffer` 버퍼). Closing brackets,
//! quotes and spaces are looked through (`read(1023)` ends in 삼, `write()` in 이).

/// How the word before a particle ends, as it is read aloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LastSound {
    /// In a vowel: `를`, `가`, `는`, `와`, `로`.
    Vowel,
    /// In the final consonant `ㄹ`: `을`, `이`, `은`, `과`, and `로`.
    Rieul,
    /// In any other final consonant: `을`, `이`, `은`, `과`, `으로`.
    Consonant,
}

/// The two forms of each particle as the catalogue writes them, and the
/// form after a consonant, after a vowel and after `ㄹ`.
const PAIRS: [(&str, [&str; 3]); 5] = [
    ("을(를)", ["을", "를", "을"]),
    ("이(가)", ["이", "가", "이"]),
    ("은(는)", ["은", "는", "은"]),
    ("와(과)", ["과", "와", "과"]),
    ("(으)로", ["으로", "로", "로"]),
];

/// How `word` ends when read aloud (see the module's notes); `None` when
/// it ends in nothing that is read (symbols only, or nothing).
pub fn ending(word: &str) -> Option<LastSound> {
    let trimmed = word.trim_end_matches(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '(' | ')' | ']' | '}' | '"' | '\'' | '”' | '’' | '`' | '»'
            )
    });
    let last = trimmed.chars().next_back()?;
    match last {
        '가'..='힣' => {
            let final_consonant = (last as u32 - '가' as u32) % 28;
            Some(match final_consonant {
                0 => LastSound::Vowel,
                8 => LastSound::Rieul,
                _ => LastSound::Consonant,
            })
        }
        '0'..='9' => Some(number_ending(trimmed)),
        c if c.is_ascii_alphabetic() => Some(latin_ending(trimmed)),
        _ => None,
    }
}

/// The ending of the number `text` ends with, read as a Korean numeral:
/// its last digit that is not zero (`일`, `이`, `삼`, …), or the unit its
/// zeros make (`십`, `백`, `천`, `만`).
fn number_ending(text: &str) -> LastSound {
    let digits: Vec<char> = text
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(|c| c.is_ascii_digit())
        .collect();
    let zeros = digits.iter().take_while(|&&d| d == '0').count();
    if zeros == digits.len() {
        // 0: 영.
        return LastSound::Consonant;
    }
    match (zeros, digits[zeros]) {
        // 일, 칠, 팔.
        (0, '1' | '7' | '8') => LastSound::Rieul,
        // 삼, 육, 영.
        (0, '3' | '6') => LastSound::Consonant,
        (0, _) => LastSound::Vowel,
        // 십, 백, 천, 만, 십만, …: every unit ends in a consonant not ㄹ.
        _ => LastSound::Consonant,
    }
}

/// The ending of the Latin word `text` ends with, as it is read aloud.
fn latin_ending(text: &str) -> LastSound {
    let word: Vec<char> = text
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    let last = word[0].to_ascii_lowercase();
    let before = word.get(1).map(|c| c.to_ascii_lowercase());
    let lower_word = word.len() > 1 && word.iter().all(|c| c.is_ascii_lowercase());
    match last {
        // 서버, 버퍼, 리더: a word's -er, -or, -ar is read as a vowel.
        'r' if lower_word && matches!(before, Some('a' | 'e' | 'i' | 'o' | 'u')) => {
            LastSound::Vowel
        }
        // 엘, 알.
        'l' | 'r' => LastSound::Rieul,
        // 엠, 엔.
        'm' | 'n' => LastSound::Consonant,
        // -ng: 링.
        'g' if lower_word && before == Some('n') => LastSound::Consonant,
        _ => LastSound::Vowel,
    }
}

/// Where a placeholder's value starts and ends in a message being said
/// (Unicode's private use): its text is the word a particle follows, never
/// a particle to choose (a peer's bytes saying `을(를)` stay as they are).
const KEPT: (char, char) = ('\u{E000}', '\u{E001}');

/// `value` marked as a placeholder's, for [`resolve`] to leave as it is.
pub fn kept(value: &str) -> String {
    format!("{}{value}{}", KEPT.0, KEPT.1)
}

/// `text` with every particle written in both forms (`을(를)`, `(으)로`, …)
/// reduced to the one the word before it takes, and the marks of [`kept`]
/// values taken out (their text unchanged). A particle after nothing that
/// is read (a symbol) keeps both forms.
///
/// ```
/// use tcp_boundary::lang::josa::resolve;
/// assert_eq!(resolve("크기 1을(를) 줍니다"), "크기 1을 줍니다");
/// assert_eq!(resolve("index.html와(과) 페이지"), "index.html과 페이지");
/// assert_eq!(resolve("서버이(가) 13바이트을(를)"), "서버가 13바이트를");
/// assert_eq!(resolve("127.0.0.1:9190(으)로"), "127.0.0.1:9190으로");
/// ```
pub fn resolve(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    'scan: while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix(KEPT.0) {
            let end = after.find(KEPT.1).unwrap_or(after.len());
            out.push_str(&after[..end]);
            rest = after[end..].strip_prefix(KEPT.1).unwrap_or("");
            continue;
        }
        for (pair, forms) in PAIRS {
            if let Some(after) = rest.strip_prefix(pair) {
                match ending(&out) {
                    Some(e) => out.push_str(match e {
                        LastSound::Consonant => forms[0],
                        LastSound::Vowel => forms[1],
                        LastSound::Rieul => forms[2],
                    }),
                    None => out.push_str(pair),
                }
                rest = after;
                continue 'scan;
            }
        }
        let c = rest.chars().next().expect("not empty");
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(word: &str, pair: &str) -> String {
        resolve(&format!("{word}{pair}"))[word.len()..].to_string()
    }

    #[test]
    fn hangul_by_its_final_consonant() {
        assert_eq!(said("클라이언트", "이(가)"), "가");
        assert_eq!(said("연결", "이(가)"), "이");
        assert_eq!(said("메시지", "을(를)"), "를");
        assert_eq!(said("큐", "은(는)"), "는");
        assert_eq!(said("바이트", "와(과)"), "와");
        assert_eq!(said("응답", "와(과)"), "과");
        assert_eq!(said("서버", "(으)로"), "로");
        assert_eq!(said("파일", "(으)로"), "로");
        assert_eq!(said("주소", "(으)로"), "로");
        assert_eq!(said("연결", "(으)로"), "로");
        assert_eq!(said("방법", "(으)로"), "으로");
    }

    #[test]
    fn digits_as_korean_numerals() {
        // 일, 이, 삼, 사, 오, 육, 칠, 팔, 구, 영.
        let objects = ["을", "를", "을", "를", "를", "을", "을", "을", "를"];
        for (d, want) in (1..=9).zip(objects) {
            assert_eq!(said(&d.to_string(), "을(를)"), want, "{d}");
        }
        assert_eq!(said("0", "이(가)"), "이");
        assert_eq!(said("1", "(으)로"), "로");
        assert_eq!(said("3", "(으)로"), "으로");
        assert_eq!(said("2", "(으)로"), "로");
        // 십, 이십, 백, 천, 만, and the last digit of a long number.
        for n in ["10", "20", "100", "1000", "10000", "1,000"] {
            assert_eq!(said(n, "을(를)"), "을", "{n}");
            assert_eq!(said(n, "(으)로"), "으로", "{n}");
        }
        assert_eq!(said("1023", "을(를)"), "을");
        assert_eq!(said("1024", "을(를)"), "를");
        assert_eq!(said("12,000", "을(를)"), "을");
    }

    #[test]
    fn latin_letters_as_read_aloud() {
        assert_eq!(said("index.html", "와(과)"), "과");
        assert_eq!(said("RST", "을(를)"), "를");
        assert_eq!(said("FIN", "을(를)"), "을");
        assert_eq!(said("SYN", "(으)로"), "으로");
        assert_eq!(said("URL", "(으)로"), "로");
        assert_eq!(said("server", "이(가)"), "가");
        assert_eq!(said("buffer", "을(를)"), "를");
        assert_eq!(said("backlog", "은(는)"), "는");
        assert_eq!(said("string", "이(가)"), "이");
        assert_eq!(said("naive", "은(는)"), "는");
        assert_eq!(said("13 B", "을(를)"), "를");
    }

    #[test]
    fn closing_marks_are_looked_through_and_symbols_keep_both() {
        assert_eq!(said("read(1023)", "을(를)"), "을");
        assert_eq!(said("\"안녕\"", "이(가)"), "이");
        assert_eq!(said("`write()`", "이(가)"), "가");
        assert_eq!(said("→", "을(를)"), "을(를)");
        assert_eq!(resolve("을(를) 앞에 아무것도"), "을(를) 앞에 아무것도");
        // Brackets that are no particle are left alone.
        assert_eq!(resolve("(3 ms 대기)이(가)"), "(3 ms 대기)가");
    }

    #[test]
    fn a_value_s_own_text_is_kept_and_read_as_the_word_before() {
        let said = resolve(&format!("{}을(를) 보냅니다", kept("\"을(를)\" 1")));
        assert_eq!(said, "\"을(를)\" 1을 보냅니다");
        assert_eq!(resolve(&kept("(으)로")), "(으)로");
    }
}
