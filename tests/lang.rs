//! The class's language: the catalogues hold the same messages, every message
//! the code names exists, every shipped scenario speaks Korean, and a
//! scenario without Korean still runs in English.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use tcp_boundary::lang::{self, EN_FTL, KO_FTL, Lang};
use tcp_boundary::scenario::Scenario;

#[test]
fn both_catalogues_parse_whole() {
    assert_eq!(lang::problems(EN_FTL), Vec::<String>::new(), "en.ftl");
    assert_eq!(lang::problems(KO_FTL), Vec::<String>::new(), "ko.ftl");
}

#[test]
fn every_english_message_has_a_korean_one_and_no_more() {
    let en: BTreeSet<String> = lang::ids(EN_FTL).into_iter().collect();
    let ko: BTreeSet<String> = lang::ids(KO_FTL).into_iter().collect();
    assert!(en.len() > 100, "{} messages", en.len());
    let missing: Vec<&String> = en.difference(&ko).collect();
    let extra: Vec<&String> = ko.difference(&en).collect();
    assert!(missing.is_empty(), "no Korean for: {missing:?}");
    assert!(extra.is_empty(), "Korean only: {extra:?}");
    // Said, not fallen back: every Korean message differs from its English
    // one, but for the few that are the same in both (function names).
    let same: Vec<&String> = en
        .iter()
        .filter(|id| Lang::Ko.say(id, &[]) == Lang::En.say(id, &[]))
        .collect();
    let alike = [
        "ev-connect",
        "ev-close",
        "ev-shutdown",
        "ev-accept",
        "ev-write",
        "ev-read-call",
        "ev-read-result",
        "ev-eof-call",
        "outcome-failed",
        "say-note",
        "chk-failed",
        "ev-close-client",
        "ev-setup",
    ];
    let unexpected: Vec<&&String> = same
        .iter()
        .filter(|id| !alike.contains(&id.as_str()))
        .collect();
    assert!(unexpected.is_empty(), "not translated: {unexpected:?}");
}

/// Every source file under `dir`, read.
fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            out.push((path.display().to_string(), text));
        }
    }
}

#[test]
fn every_message_the_code_names_is_in_the_catalogue_and_every_message_is_used() {
    let en: BTreeSet<String> = lang::ids(EN_FTL).into_iter().collect();
    let mut files = Vec::new();
    sources(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src").as_path(),
        &mut files,
    );
    // `tr!(lang, "id"…`, `Msg::new("id")`, `t("id")`, `check("id"…`,
    // `heading(out, "id")`;
    // and, with a hyphen, ids listed for a choice of wordings
    // (`&["cell-cut", …]`), chosen by an `if` (`{ "ev-reply-ok" }`) or by a
    // `match` (`Kind::Reset => "err-reset"`).
    let named = [
        r#"(?:tr!\([^,]+,\s*|Msg::new\(|\bt\(|\bcheck\(|heading\(out,\s*)"([a-z]+(?:-[a-z0-9]+)*)""#,
        r#"(?:\[|,\s*|\{\s*|=>\s*)"([a-z]+(?:-[a-z0-9]+)+)""#,
    ]
    .map(|r| regex_lite::Regex::new(r).unwrap());
    let mut used = BTreeSet::new();
    for (file, text) in &files {
        for c in named.iter().flat_map(|r| r.captures_iter(text)) {
            used.insert((c[1].to_string(), file.clone()));
        }
    }
    let ids: BTreeSet<&String> = used.iter().map(|(id, _)| id).collect();
    let unknown: Vec<&(String, String)> = used
        .iter()
        .filter(|(id, _)| !en.contains(id) && looks_like_message(id, &en))
        .collect();
    assert!(unknown.is_empty(), "named but not in en.ftl: {unknown:?}");
    let unused: Vec<&String> = en.iter().filter(|id| !ids.contains(id)).collect();
    assert!(unused.is_empty(), "in en.ftl but never named: {unused:?}");
}

/// An id shaped like the catalogue's: its prefix is one the catalogue uses.
fn looks_like_message(id: &str, en: &BTreeSet<String>) -> bool {
    let prefix = id.split('-').next().unwrap_or("");
    en.iter()
        .any(|known| known.split('-').next() == Some(prefix))
}

#[test]
fn every_shipped_scenario_speaks_korean() {
    for s in Scenario::builtins() {
        let ko =
            s.ko.as_ref()
                .unwrap_or_else(|| panic!("{}: no [ko]", s.name));
        for (what, text) in [
            ("lesson", &ko.lesson),
            ("description", &ko.description),
            ("point_at", &ko.point_at),
        ] {
            assert!(
                text.chars().any(|c| ('가'..='힣').contains(&c)),
                "{}: ko.{what} has no Hangul: {text}",
                s.name
            );
        }
        assert_eq!(s.lesson_in(Lang::Ko), ko.lesson);
        assert_eq!(s.lesson_in(Lang::En), s.lesson);
    }
}

#[test]
fn a_scenario_without_korean_is_valid_and_shown_in_english() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.toml");
    let text = tcp_boundary::scenario::BUILTIN
        .iter()
        .find(|(name, _)| *name == "partial-read")
        .unwrap()
        .1;
    // The same file with its [ko] table taken out.
    let start = text.find("[ko]").unwrap();
    let end = text[start..].find("[server]").unwrap() + start;
    std::fs::write(&path, format!("{}{}", &text[..start], &text[end..])).unwrap();
    let s = Scenario::load(&path).unwrap();
    assert!(s.ko.is_none());
    assert_eq!(s.lesson_in(Lang::Ko), s.lesson);
    let out = assert_cmd::Command::new(common::tcp_boundary_bin())
        .args(["show", path.to_str().unwrap(), "--lang", "ko"])
        .timeout(common::LIMIT)
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{shown}");
    // English lesson, Korean headings.
    assert!(shown.contains(&s.lesson[..20]), "{shown}");
    assert!(shown.contains("진행 순서"), "{shown}");
}

#[test]
fn the_locale_chooses_korean_and_lang_overrides_it() {
    let run = |args: &[&str], lang: &str| {
        let out = assert_cmd::Command::new(common::tcp_boundary_bin())
            .args(args)
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env("LANG", lang)
            .timeout(common::LIMIT)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(run(&["show", "classic"], "ko_KR.UTF-8").contains("예상 판정"));
    assert!(run(&["show", "classic"], "en_US.UTF-8").contains("expected"));
    assert!(run(&["show", "classic", "--lang", "en"], "ko_KR.UTF-8").contains("expected"));
    assert!(run(&["show", "classic", "--lang", "ko"], "C").contains("예상 판정"));
    // Korean is printed in UTF-8: a Korean locale in another codeset gets
    // English, which it can show, rather than Korean it would garble.
    let euc = run(&["show", "classic"], "ko_KR.EUC-KR");
    assert!(euc.contains("expected") && euc.is_ascii(), "{euc}");
    assert!(run(&["show", "classic"], "ko_KR.utf8").contains("예상 판정"));
}

#[test]
fn the_echo_pair_keeps_the_book_s_console_text_in_korean() {
    let server = common::start_server(&["--clients", "1"]);
    let out = assert_cmd::Command::new(common::echo_client_bin())
        .args(["127.0.0.1", &server.port.to_string()])
        .env("LANG", "ko_KR.UTF-8")
        .write_stdin("안녕하세요\nq\n")
        .timeout(common::LIMIT)
        .output()
        .unwrap();
    // Hangul as typed; the newline escaped, as for every reply.
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "connected .....\nInput message (Q to quit) : Message from server : 안녕하세요\\n\n\
         Input message (Q to quit) : "
    );
    let (stdout, _, code) = server.finish();
    assert_eq!(code, 0);
    assert!(
        stdout.contains("Message from client : 안녕하세요\\n"),
        "{stdout}"
    );
}

#[test]
fn check_reports_in_korean_and_its_json_stays_english() {
    let check = |extra: &[&str]| {
        let mut args = vec!["check", "--stdin-lines", "--shape", "chunks"];
        args.extend(extra);
        args.extend(["--", common::echo_client_bin(), "--reader", "naive"]);
        args.extend(["{host}", "{port}"]);
        let out = assert_cmd::Command::new(common::tcp_boundary_bin())
            .args(&args)
            .env("LANG", "ko_KR.UTF-8")
            .timeout(common::LIMIT)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // The locale chose Korean: the table, the reason, the shaping and the
    // command that repeats it.
    let text = check(&[]);
    for said in [
        "결과",
        "✗ 실패",
        r#"✗ chunks: 1번째 응답: "hel" (보낸 메시지: "hello, class")"#,
        "1번째 응답(13바이트)은 3+3+3",
        "다시 해 보기: tcp-boundary check --shape chunks",
        "실행 1번 중 1번 실패",
        "잘못 읽은 쪽: 클라이언트",
    ] {
        assert!(text.contains(said), "{said:?} not in:\n{text}");
    }
    assert!(check(&["--lang", "en"]).contains(r#"reply 1 was "hel""#));
    // JSON is for programs: English whatever the language.
    let json: serde_json::Value = serde_json::from_str(&check(&["--json"])).unwrap();
    assert_eq!(
        json["runs"][0]["reason"],
        r#"reply 1 was "hel", not the message "hello, class""#
    );
}

#[test]
fn korean_runs_of_every_scenario_hold_no_english_error_words() {
    // Every scenario's timeline on the terminal (the JSON is English on
    // purpose, so the terminal is what is read).
    let mut text = String::new();
    for s in Scenario::builtins() {
        let out = assert_cmd::Command::new(common::tcp_boundary_bin())
            .args(["run", &s.name, "--lang", "ko"])
            .env("COLUMNS", "100")
            .env_remove("LC_ALL")
            .env("LANG", "ko_KR.UTF-8")
            .timeout(common::LIMIT)
            .output()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&out.stdout).to_lowercase());
    }
    assert!(text.contains("오류"), "no error row to check:\n{text}");
    for english in [
        "broken pipe",
        "error",
        "reset by peer",
        "refused",
        "timed out",
        "listener closed",
        "unread",
    ] {
        assert!(
            !text.contains(english),
            "{english:?} in a Korean run:\n{text}"
        );
    }
}

#[test]
fn a_socket_error_is_worded_from_the_catalogue_in_the_class_s_language() {
    use tcp_boundary::event::{ErrorKind, describe_io};
    let pipe = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
    assert_eq!(describe_io(&pipe), "broken pipe: the peer had closed");
    assert_eq!(
        ErrorKind::Reset.said("ignored", Lang::En),
        "the peer reset the connection (RST)"
    );
    assert_eq!(
        ErrorKind::Reset.said("ignored", Lang::Ko),
        "상대가 연결을 리셋함 (RST)"
    );
    // An error a class does not meet keeps the system's own words.
    assert_eq!(
        ErrorKind::Other.said("disk on fire", Lang::Ko),
        "disk on fire"
    );
    let odd = std::io::Error::other("disk on fire");
    assert_eq!(describe_io(&odd), "disk on fire");
}

/// The particle each sample word takes, as a Korean reads it aloud (after a
/// final consonant, after a vowel, after ㄹ), written out here by hand.
const SAMPLES: [(&str, [&str; 5]); 7] = [
    // 을/를, 이/가, 은/는, 와/과, 으로/로
    ("1", ["을", "이", "은", "과", "로"]),
    ("2", ["를", "가", "는", "와", "로"]),
    ("3", ["을", "이", "은", "과", "으로"]),
    ("index.html", ["을", "이", "은", "과", "로"]),
    ("13바이트", ["를", "가", "는", "와", "로"]),
    ("1번 연결", ["을", "이", "은", "과", "로"]),
    ("127.0.0.1:9190", ["을", "이", "은", "과", "으로"]),
];

#[test]
fn korean_particles_follow_the_word_before_them_in_every_message() {
    // In the catalogue: a particle after a placeholder is written in both
    // forms, for the word it will follow to choose, and with no space.
    let bare =
        regex_lite::Regex::new(r"\}\)?( ?)(으로|을|를|이|가|은|는|와|과|로|보다)([\s.,:;)]|$)")
            .unwrap();
    let bad: Vec<&str> = KO_FTL
        .lines()
        .filter(|l| !l.starts_with('#') && bare.is_match(l))
        .collect();
    assert!(
        bad.is_empty(),
        "particles of one form after a placeholder: {bad:#?}"
    );
    // Said, with every placeholder filled by each sample: the particle
    // after it is the one the sample takes.
    let var = regex_lite::Regex::new(r"\{ \$([a-z_]+) \}").unwrap();
    let particles = [
        ["을", "를"],
        ["이", "가"],
        ["은", "는"],
        ["와", "과"],
        ["으로", "로"],
    ];
    let mut checked = 0;
    for line in KO_FTL.lines().filter(|l| !l.starts_with('#')) {
        let Some((id, _)) = line.split_once(" = ") else {
            continue;
        };
        let names: BTreeSet<&str> = var
            .captures_iter(line)
            .map(|c| c.get(1).unwrap().as_str())
            .collect();
        for (sample, want) in SAMPLES {
            let args: Vec<(&str, lang::Arg)> = names
                .iter()
                .map(|n| (*n, lang::Arg::from(sample)))
                .collect();
            let said = Lang::Ko.say(id, &args);
            assert!(
                !said.contains("(를)") && !said.contains("(가)") && !said.contains("(으)"),
                "{id}: {said}"
            );
            for (i, forms) in particles.iter().enumerate() {
                for form in forms {
                    let wrong = format!("{sample}{form}");
                    if said.contains(&wrong) && *form != want[i] {
                        // "로" inside "으로" is the right one.
                        let right = format!("{sample}{}", want[i]);
                        assert!(
                            said.contains(&right) && right.starts_with(&wrong),
                            "{id}: {said:?} has {wrong:?}"
                        );
                    }
                    checked += usize::from(said.contains(&wrong));
                }
            }
        }
    }
    assert!(checked > 100, "only {checked} particles checked");
    // The ones the class saw.
    let listen = tcp_boundary::tr!(Lang::Ko, "page-code-listen", backlog = 1, book = 5);
    assert!(listen.contains("크기 1을 줍니다"), "{listen}");
    let site = tcp_boundary::tr!(
        Lang::Ko,
        "wrote-site",
        index = "lesson/index.html",
        pages = 11
    );
    assert!(site.starts_with("lesson/index.html과 "), "{site}");
    let said = tcp_boundary::tr!(Lang::Ko, "say-listen", backlog = 5, queue = 6);
    assert!(
        said.contains("backlog보다") && !said.contains("backlog 보다"),
        "{said}"
    );
    // A message's own bytes are not a particle to choose.
    let sent = tcp_boundary::tr!(
        Lang::Ko,
        "say-write",
        who = "서버",
        n = "2바이트",
        bytes = "“을(를)”"
    );
    assert!(sent.ends_with("2바이트를 보냅니다: “을(를)”."), "{sent}");
}

#[test]
fn one_word_per_quantity_and_the_wording_a_korean_writes() {
    let ko = |id: &str| {
        Lang::Ko.say(
            id,
            &[("n", lang::Arg::from(3)), ("ms", lang::Arg::from(150))],
        )
    };
    // The queue a read found: one word, long or short.
    assert_eq!(ko("ev-queued"), "[큐 3]");
    assert_eq!(ko("ev-queued-short"), "큐3");
    assert_eq!(ko("ev-pause"), "(150 ms 대기)");
    assert_eq!(ko("page-script"), "진행 순서");
    assert_eq!(ko("verdict-detected"), "오류로 알아챔");
    assert!(ko("ev-close-listener").contains("서버 소켓(리스닝 소켓)"));
    for (id, _) in KO_FTL.lines().filter_map(|l| l.split_once(" = ")) {
        let said = Lang::Ko.say(id, &[]);
        for stilted in ["듣기 소켓", "대본", "감지함", "파이프 깨짐", "쉼"] {
            assert!(!said.contains(stilted), "{id}: {said}");
        }
    }
    // The summary's mark is worded: not a tick beside "broken".
    assert_eq!(
        tcp_boundary::tr!(
            Lang::Ko,
            "summary-as-expected",
            reader = "naive",
            verdict = "깨짐"
        ),
        "naive: 깨짐(예상대로)"
    );
}

#[test]
fn echo_server_says_its_own_lines_in_korean_and_the_book_s_as_the_book() {
    for (args, lang) in [(&["--lang", "ko"][..], "C"), (&[][..], "ko_KR.UTF-8")] {
        let mut child = std::process::Command::new(common::echo_server_bin())
            .args(["0", "--clients", "1", "--reset-after", "3"])
            .args(args)
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env("LANG", lang)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
        let mut first = String::new();
        std::io::BufRead::read_line(&mut err, &mut first).unwrap();
        let port = first.trim().rsplit(':').next().unwrap().to_string();
        let client = assert_cmd::Command::new(common::echo_client_bin())
            .args(["127.0.0.1", &port])
            .write_stdin("hello\nq\n")
            .timeout(common::LIMIT)
            .output()
            .unwrap();
        assert!(!client.status.success(), "{client:?}");
        let deadline = std::time::Instant::now() + common::LIMIT;
        while child.try_wait().unwrap().is_none() {
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                panic!("echo-server did not exit");
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
        let mut out = String::new();
        std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
        assert!(
            rest.contains("모양: 3바이트를 보낸 뒤 연결을 리셋함 (RST)"),
            "{rest}"
        );
        assert!(
            rest.contains("설정대로 3바이트 뒤 연결을 리셋함 (RST)"),
            "{rest}"
        );
        assert!(!rest.contains("as configured"), "{rest}");
        // The book's console text, as the book prints it.
        assert!(
            out.contains("connected client 1\nMessage from client : hello\\n"),
            "{out}"
        );
    }
}
