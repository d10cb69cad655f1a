//! A scenario's texts (lesson, description, what to point at) in the
//! class's language, and their quotes of the screen's words.

use super::Scenario;
use crate::lang::{Arg, Lang};

/// A scenario's texts in one language.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Texts {
    /// The lesson in one line.
    pub lesson: String,
    /// What happens, in a few sentences.
    pub description: String,
    /// What to point at on screen while it runs (may be empty).
    pub point_at: String,
}

impl Scenario {
    /// The texts in `lang`, when the scenario has them in it.
    fn texts(&self, lang: Lang) -> Option<&Texts> {
        match lang {
            Lang::Ko => self.ko.as_ref(),
            Lang::En => None,
        }
    }

    /// The lesson in one line, in `lang` (else in English).
    pub fn lesson_in(&self, lang: Lang) -> &str {
        self.texts(lang).map_or(&self.lesson, |t| &t.lesson)
    }

    /// What happens, in `lang` (else in English), as one paragraph.
    pub fn description_in(&self, lang: Lang) -> String {
        let text = self
            .texts(lang)
            .map_or(&self.description, |t| &t.description);
        text.replace('\n', " ")
    }

    /// What to point at, in `lang` (else in English), as one paragraph.
    pub fn point_at_in(&self, lang: Lang) -> String {
        let text = self
            .texts(lang)
            .filter(|t| !t.point_at.is_empty())
            .map_or(&self.point_at, |t| &t.point_at);
        text.replace('\n', " ")
    }
}

/// `text` with each quote of the catalogue, `{=id}` or `{=id name=value …}`,
/// replaced by that message in `lang` (a value of digits is a number), so a
/// scenario's text quotes the screen in the screen's own words.
pub(super) fn quote_catalogue(text: &str, lang: Lang) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("{=") {
        out.push_str(&rest[..at]);
        let Some(end) = rest[at..].find('}') else {
            return Err("a quote of the catalogue `{=id …}` has no closing `}`".into());
        };
        let mut words = rest[at + 2..at + end].split_whitespace();
        let id = words.next().unwrap_or_default();
        if !crate::lang::has(id) {
            return Err(format!("`{{={id}}}` quotes no message of the catalogue"));
        }
        let mut args: Vec<(&str, Arg)> = Vec::new();
        for word in words {
            let Some((name, value)) = word.split_once('=') else {
                return Err(format!("`{word}` in `{{={id} …}}` is not name=value"));
            };
            let value = match value.parse::<i64>() {
                Ok(n) => Arg::Num(n),
                Err(_) => Arg::Text(value.to_string()),
            };
            args.push((name, value));
        }
        out.push_str(&lang.say(id, &args));
        rest = &rest[at + end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}
