//! The class's language: every word the lesson shows comes from a catalogue.
//!
//! The lesson text (timelines, tables, verdicts, pages, `check`'s report) is
//! written in [Project Fluent](https://projectfluent.org) catalogues, one per
//! language, in `locales/`: `en.ftl` and `ko.ftl`. Code names a message by its
//! id and gives its arguments; the catalogue says it. A message missing from a
//! catalogue falls back to English (a test keeps the two alike).
//!
//! The echo pair's console text is not here: it is the book's, in every
//! language.
//!
//! - [`Lang`]: which catalogue, chosen by `--lang` or the locale.
//! - [`Msg`]: a message kept for later (a check's wording, a timeline note),
//!   said in whichever language a view asks for.
//! - [`tr!`](crate::tr): say a message now.
//! - [`josa`]: Korean particles chosen by the word before them (`을(를)` in
//!   the catalogue, `1을` or `2를` once said).

use std::fmt;
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use serde::{Serialize, Serializer};

pub mod josa;

/// The English catalogue, the fallback for every message.
pub const EN_FTL: &str = include_str!("../../locales/en.ftl");
/// The Korean catalogue.
pub const KO_FTL: &str = include_str!("../../locales/ko.ftl");

/// A language the lesson is written in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// 한국어 (Korean).
    Ko,
}

impl Lang {
    /// Both languages.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Ko];

    /// The language of the locale: the first of `LC_ALL`, `LC_MESSAGES` and
    /// `LANG` that is set and not empty; Korean if it starts with `ko` and is
    /// in UTF-8 (see [`Lang::of_locale`]), else English.
    pub fn from_env() -> Lang {
        let var = |name| std::env::var(name).ok();
        Lang::from_vars(var("LC_ALL"), var("LC_MESSAGES"), var("LANG"))
    }

    /// The language of `LC_ALL`, `LC_MESSAGES` and `LANG`, in that order of
    /// precedence, as POSIX has it: the first that is set and not empty wins.
    ///
    /// ```
    /// use tcp_boundary::lang::Lang;
    /// let some = |s: &str| Some(s.to_string());
    /// assert_eq!(Lang::from_vars(None, None, some("ko_KR.UTF-8")), Lang::Ko);
    /// assert_eq!(Lang::from_vars(some("C"), None, some("ko_KR.UTF-8")), Lang::En);
    /// assert_eq!(Lang::from_vars(some(""), some("ko"), some("en_US.UTF-8")), Lang::Ko);
    /// assert_eq!(Lang::from_vars(None, None, None), Lang::En);
    /// ```
    pub fn from_vars(
        lc_all: Option<String>,
        lc_messages: Option<String>,
        lang: Option<String>,
    ) -> Lang {
        let locale = [lc_all, lc_messages, lang]
            .into_iter()
            .flatten()
            .find(|v| !v.is_empty());
        Lang::of_locale(locale.as_deref().unwrap_or(""))
    }

    /// The language of a locale name such as `ko_KR.UTF-8`: Korean for a
    /// Korean locale in UTF-8 (or naming no codeset), else English. Every
    /// word is printed in UTF-8, so a locale in another codeset
    /// (`ko_KR.EUC-KR`) gets English, which reads the same in any of them,
    /// rather than Korean its terminal would garble.
    ///
    /// ```
    /// use tcp_boundary::lang::Lang;
    /// assert_eq!(Lang::of_locale("ko_KR.UTF-8"), Lang::Ko);
    /// assert_eq!(Lang::of_locale("ko_KR.utf8"), Lang::Ko);
    /// assert_eq!(Lang::of_locale("ko"), Lang::Ko);
    /// assert_eq!(Lang::of_locale("ko_KR.EUC-KR"), Lang::En);
    /// assert_eq!(Lang::of_locale("en_US.UTF-8"), Lang::En);
    /// ```
    pub fn of_locale(locale: &str) -> Lang {
        let name = locale.split('@').next().unwrap_or("");
        let utf8 = match name.split_once('.') {
            None => true,
            Some((_, codeset)) => {
                let c = codeset.to_ascii_lowercase().replace('-', "");
                c == "utf8"
            }
        };
        if name.starts_with("ko") && utf8 {
            Lang::Ko
        } else {
            Lang::En
        }
    }

    /// `--lang` if given, else the locale's.
    pub fn or_env(chosen: Option<Lang>) -> Lang {
        chosen.unwrap_or_else(Lang::from_env)
    }

    /// The language's code, as HTML's `lang` attribute takes it.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ko => "ko",
        }
    }

    /// The message `id` with `args`, in this language.
    pub fn say(self, id: &str, args: &[(&str, Arg)]) -> String {
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            let value = match (self, value.to_fluent(self)) {
                // A value's own text is no particle to choose: kept apart.
                (Lang::Ko, FluentValue::String(text)) => FluentValue::from(josa::kept(&text)),
                (_, value) => value,
            };
            fluent_args.set(*name, value);
        }
        let own = bundle(self);
        let english = bundle(Lang::En);
        for b in [own, english] {
            if let Some(pattern) = b.get_message(id).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                let said = b.format_pattern(pattern, Some(&fluent_args), &mut errors);
                // Korean particles written in both forms take the one the
                // word before them, placeholders filled in.
                return match self {
                    Lang::Ko => josa::resolve(&said),
                    Lang::En => said.into_owned(),
                };
            }
        }
        // Only reachable with an id in no catalogue, which a test rules out.
        id.to_string()
    }
}

/// The catalogue of a language, parsed once.
/// True when the catalogues have a message `id` (every id is in both).
pub fn has(id: &str) -> bool {
    bundle(Lang::En).has_message(id)
}

fn bundle(lang: Lang) -> &'static FluentBundle<FluentResource> {
    static BUNDLES: OnceLock<[FluentBundle<FluentResource>; 2]> = OnceLock::new();
    let all = BUNDLES.get_or_init(|| Lang::ALL.map(make_bundle));
    &all[lang as usize]
}

fn make_bundle(lang: Lang) -> FluentBundle<FluentResource> {
    let source = match lang {
        Lang::En => EN_FTL,
        Lang::Ko => KO_FTL,
    };
    let id = lang.code().parse().expect("a valid language code");
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // No invisible isolation marks around arguments: the terminal's columns
    // are counted, and the escaper would show them as `\u{2068}`.
    bundle.set_use_isolating(false);
    let resource =
        FluentResource::try_new(source.to_string()).unwrap_or_else(|(resource, _)| resource);
    let _ = bundle.add_resource(resource);
    bundle
}

/// An argument of a message: text, or a number (which picks a plural form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// Text, put in as it is.
    Text(String),
    /// A count.
    Num(i64),
    /// Another message, said in the same language.
    Msg(Box<Msg>),
}

impl Arg {
    fn to_fluent(&self, lang: Lang) -> FluentValue<'static> {
        match self {
            Arg::Text(t) => FluentValue::from(t.clone()),
            Arg::Num(n) => FluentValue::from(*n),
            Arg::Msg(m) => FluentValue::from(m.say(lang)),
        }
    }
}

impl From<Msg> for Arg {
    fn from(m: Msg) -> Arg {
        Arg::Msg(Box::new(m))
    }
}

macro_rules! arg_from_number {
    ($($t:ty),*) => {$(
        impl From<$t> for Arg {
            fn from(n: $t) -> Arg {
                Arg::Num(i64::try_from(n).unwrap_or(i64::MAX))
            }
        }
    )*};
}
arg_from_number!(u8, u16, u32, u64, usize, i32, i64);

impl From<&str> for Arg {
    fn from(t: &str) -> Arg {
        Arg::Text(t.to_string())
    }
}

impl From<String> for Arg {
    fn from(t: String) -> Arg {
        Arg::Text(t)
    }
}

impl From<&String> for Arg {
    fn from(t: &String) -> Arg {
        Arg::Text(t.clone())
    }
}

/// Say a message in a language now: `tr!(lang, "id")` or
/// `tr!(lang, "id", name = value, …)`.
///
/// ```
/// use tcp_boundary::{lang::Lang, tr};
/// assert_eq!(tr!(Lang::En, "bytes", n = 1), "1 byte");
/// assert_eq!(tr!(Lang::Ko, "bytes", n = 13), "13바이트");
/// ```
#[macro_export]
macro_rules! tr {
    ($lang:expr, $id:expr $(, $name:ident = $value:expr)* $(,)?) => {
        $lang.say($id, &[$((stringify!($name), $crate::lang::Arg::from($value))),*])
    };
}

/// A message kept to be said later, in whichever language a view asks for:
/// a check's wording, a note on the timeline. JSON and `Display` say it in
/// English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    id: &'static str,
    args: Vec<(&'static str, Arg)>,
}

impl Msg {
    /// The message `id`, with no arguments yet.
    pub fn new(id: &'static str) -> Msg {
        Msg {
            id,
            args: Vec::new(),
        }
    }

    /// The message's id in the catalogues.
    pub fn id(&self) -> &'static str {
        self.id
    }

    /// The message with one more argument.
    pub fn arg(mut self, name: &'static str, value: impl Into<Arg>) -> Msg {
        self.args.push((name, value.into()));
        self
    }

    /// The message in `lang`.
    pub fn say(&self, lang: Lang) -> String {
        lang.say(self.id, &self.args)
    }
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.say(Lang::En))
    }
}

impl Serialize for Msg {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.say(Lang::En))
    }
}

/// What is wrong in a catalogue's source, one line each (none when it
/// parses whole).
pub fn problems(source: &str) -> Vec<String> {
    match FluentResource::try_new(source.to_string()) {
        Ok(_) => Vec::new(),
        Err((_, errors)) => errors
            .iter()
            .map(|e| {
                let line = source[..e.pos.start.min(source.len())].lines().count();
                format!("line {line}: {:?}", e.kind)
            })
            .collect(),
    }
}

/// The ids of the messages in a catalogue's source, in order.
pub fn ids(source: &str) -> Vec<String> {
    let resource = match FluentResource::try_new(source.to_string()) {
        Ok(r) => r,
        Err((r, _)) => r,
    };
    resource
        .entries()
        .filter_map(|e| match e {
            fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_string()),
            _ => None,
        })
        .collect()
}
