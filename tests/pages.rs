//! Lesson pages: `run --html` and `lesson --out`, read as files and opened in
//! a real browser (headless Chromium), from `file://`, offline.
//!
//! The browser tests need Chromium (Debian: `apt-get install chromium`). On a
//! machine without it they say so and pass; `.ci/run` installs it and sets
//! `TCP_BOUNDARY_REQUIRE_TOOLS=1`, which makes a missing browser a failure.

mod common;
// The browser's tests: the harness and stepping, and a class's projector.
#[path = "pages/browser.rs"]
mod browser;
#[path = "pages/projector.rs"]
mod projector;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use common::{LIMIT, tcp_boundary_bin};
use serde_json::Value;

/// A message no page may interpret: markup, an early end of script, quotes.
const HOSTILE: &str = r#"</script><script>document.title='pwned'</script><b>&amp; "q" 'q'"#;

fn tcp_boundary(args: &[&str]) -> assert_cmd::assert::Assert {
    // English unless a test asks otherwise, whatever the machine's locale.
    Command::new(tcp_boundary_bin())
        .args(args)
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("LANG")
        .timeout(LIMIT)
        .assert()
}

fn site() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "the teacher's own file").unwrap();
    tcp_boundary(&["lesson", "--out", out.to_str().unwrap()]).success();
    (dir, out)
}

fn hostile_page(dir: &Path) -> PathBuf {
    let file = dir.join("hostile.toml");
    let message = HOSTILE.replace('\\', "\\\\").replace('"', "\\\"");
    std::fs::write(
        &file,
        format!(
            "lesson = \"<i>not markup</i> & neither is this\"\n\
             description = \"</script> in a description\"\n\
             [server]\nnodelay = true\nchunk = 7\nchunk_delay_ms = 100\n\
             [[step]]\nsend = [\"{message}\\n\"]\n\
             [[step]]\nquit = true\n\
             [expect]\nnaive = \"broken\"\nexact = \"intact\"\nline = \"intact\"\nlength = \"intact\"\n"
        ),
    )
    .unwrap();
    let page = dir.join("hostile.html");
    tcp_boundary(&[
        "run",
        file.to_str().unwrap(),
        "--html",
        page.to_str().unwrap(),
    ])
    .success();
    page
}

/// The report a page embeds, parsed.
fn embedded_report(html: &str) -> Value {
    let start = html
        .find(r#"<script type="application/json" id="report">"#)
        .expect("the page embeds its report");
    let json = &html[start..];
    let json = &json[json.find('>').unwrap() + 1..json.find("</script>").unwrap()];
    serde_json::from_str(json).expect("the embedded report is JSON")
}

/// What a run's JSON says that does not depend on timing.
fn steady(reports: &Value) -> Vec<(Value, Value, Value)> {
    reports
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let outcomes: Vec<Value> = r["rounds"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["outcome"].clone())
                .collect();
            (r["reader"].clone(), r["timeline"].clone(), outcomes.into())
        })
        .collect()
}

#[test]
fn a_page_embeds_the_same_report_as_json_with_the_chosen_reader_first() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("p.html");
    tcp_boundary(&[
        "run",
        "partial-read",
        "--reader",
        "line",
        "--html",
        page.to_str().unwrap(),
    ])
    .success()
    .stdout(predicates::str::contains("wrote"));
    let html = std::fs::read_to_string(&page).unwrap();
    let embedded = embedded_report(&html);
    let readers: Vec<&str> = embedded
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reader"].as_str().unwrap())
        .collect();
    assert_eq!(readers, ["line", "naive", "exact", "length", "book"]);
    let out = tcp_boundary(&["run", "partial-read", "--json"])
        .get_output()
        .stdout
        .clone();
    let json: Value = serde_json::from_slice(&out).unwrap();
    let mut from_page = steady(&embedded);
    from_page.sort_by_key(|x| x.0.to_string());
    let mut from_json = steady(&json);
    from_json.sort_by_key(|x| x.0.to_string());
    assert_eq!(from_page, from_json);
}

#[test]
fn a_page_fetches_nothing() {
    let (_dir, out) = site();
    let mut pages = 0;
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "html") {
            continue;
        }
        pages += 1;
        let html = std::fs::read_to_string(&path).unwrap();
        for banned in [
            "http://",
            "https://",
            " src=",
            "url(",
            "@import",
            "@font-face",
        ] {
            assert!(
                !html.contains(banned),
                "{} contains {banned}",
                path.display()
            );
        }
        assert!(
            html.contains("default-src 'none'"),
            "{}: no policy",
            path.display()
        );
    }
    // The index and one page per built-in lesson, every one of them read.
    assert_eq!(
        pages,
        tcp_boundary::scenario::BUILTIN.len() + 1,
        "pages in {}",
        out.display()
    );
}

#[test]
fn the_lesson_site_links_every_scenario_in_order_and_keeps_other_files() {
    let (_dir, out) = site();
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "the teacher's own file"
    );
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    let listed = Command::new(tcp_boundary_bin())
        .args(["list", "--no-pager"])
        .env("COLUMNS", "160")
        .timeout(LIMIT)
        .output()
        .unwrap();
    let names: Vec<String> = String::from_utf8(listed.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    let mut expected: Vec<String> = names.iter().map(|n| format!("{n}.html")).collect();
    expected.extend(["index.html".into(), "notes.txt".into()]);
    expected.sort();
    assert_eq!(files, expected);
    let made_by = format!("tcp-boundary lesson --out {}", out.display());
    assert!(index.contains(&made_by), "the index names no command");
    // The index lists them in teaching order; each page links its neighbours.
    let mut at = 0;
    for (i, name) in names.iter().enumerate() {
        let link = format!(r#"href="{name}.html""#);
        let found = index[at..]
            .find(&link)
            .unwrap_or_else(|| panic!("{name} not in order"));
        at += found + link.len();
        let page = std::fs::read_to_string(out.join(format!("{name}.html"))).unwrap();
        assert!(page.contains(r#"href="index.html""#));
        // The footer names the command that made the site, not `run`'s.
        assert!(page.contains(&made_by), "{name}: no {made_by}");
        assert!(!page.contains("tcp-boundary run "), "{name}");
        if i > 0 {
            assert!(page.contains(&format!(r#"rel="prev" href="{}.html""#, names[i - 1])));
        }
        if let Some(next) = names.get(i + 1) {
            assert!(page.contains(&format!(r#"rel="next" href="{next}.html""#)));
        }
    }
}

#[test]
fn a_korean_page_is_in_korean_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("p.html");
    tcp_boundary(&[
        "run",
        "partial-read",
        "--lang",
        "ko",
        "--html",
        page.to_str().unwrap(),
    ])
    .success()
    // The particle the file's name takes, read aloud: p.html을.
    .stdout(predicates::str::contains("p.html을 만들었습니다"));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains(r#"<html lang="ko">"#), "no lang=ko");
    // The scenario's Korean lesson, the headings, a stepping sentence and the
    // stepper's words for the script.
    for korean in [
        "naive 읽기 방식은 응답의 일부만 출력합니다",
        "읽기 방식별 응답",
        "write()를 한 번 호출해",
        r#"aria-label="실행의 순간""#,
        // Each reader's name said once, and the legend's marks.
        "<code>naive</code>: 메시지마다 read 한 번",
        "<code>book</code>: 교재의 해법",
        "<code>@20</code> 스트림에서 이 호출의 바이트가 시작하는 자리",
        "<code>⟨6⟩</code> length 읽기 방식이 주고받는 길이 머리말",
    ] {
        assert!(html.contains(korean), "missing: {korean}");
    }
    assert_eq!(html.matches("<code>naive</code>: ").count(), 1);
    // The English page of the same run is English.
    let en = dir.path().join("en.html");
    tcp_boundary(&["run", "partial-read", "--html", en.to_str().unwrap()]).success();
    let html = std::fs::read_to_string(&en).unwrap();
    assert!(html.contains(r#"<html lang="en">"#));
    assert!(html.contains("Replies, reader by reader"));
}

#[test]
fn a_split_character_is_drawn_as_a_character_and_its_stray_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("p.html");
    tcp_boundary(&["run", "split-character", "--html", page.to_str().unwrap()]).success();
    let html = std::fs::read_to_string(&page).unwrap();
    // The naive reader's wrong reply: a whole syllable, then the first byte of
    // the next, escaped.
    assert!(html.contains(r"wrong: “안\xeb”"), "no split reply");
    assert!(html.contains("안녕하세요"), "the message as sent");
}

#[test]
fn bytes_from_a_scenario_are_text_not_markup() {
    let dir = tempfile::tempdir().unwrap();
    let html = std::fs::read_to_string(hostile_page(dir.path())).unwrap();
    // Our two scripts only: the report and the stepper.
    assert_eq!(html.matches("<script").count(), 2, "{html}");
    assert!(!html.contains("<i>not markup</i>"));
    assert!(html.contains("&lt;i&gt;not markup&lt;/i&gt;"));
    let report = embedded_report(&html);
    assert!(
        report.to_string().contains("pwned"),
        "the message is in the report"
    );
}

/// `lesson --out DIR` replaces a symbolic link it finds in a page's place,
/// and never writes through it: the file it points at is left as it was.
#[test]
fn a_symlink_in_the_output_folder_is_replaced_not_written_through() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    std::fs::create_dir(&out).unwrap();
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "not a page").unwrap();
    for page in ["index.html", "classic.html"] {
        std::os::unix::fs::symlink(&victim, out.join(page)).unwrap();
    }
    tcp_boundary(&["lesson", "--out", out.to_str().unwrap()]).success();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "not a page");
    for page in ["index.html", "classic.html"] {
        let meta = std::fs::symlink_metadata(out.join(page)).unwrap();
        assert!(meta.file_type().is_file(), "{page} is not a plain file");
        let html = std::fs::read_to_string(out.join(page)).unwrap();
        assert!(html.starts_with("<!DOCTYPE html>"), "{page}");
    }
    // Nothing left behind but the pages.
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names
            .iter()
            .all(|n| n.ends_with(".html") && !n.starts_with('.')),
        "{names:?}"
    );
}

/// `run --html FILE` replaces a symbolic link at FILE, and never writes
/// through it (the rule `lesson --out` keeps).
#[test]
fn run_html_replaces_a_symlink_instead_of_writing_through_it() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "not a page").unwrap();
    let page = dir.path().join("page.html");
    std::os::unix::fs::symlink(&victim, &page).unwrap();
    tcp_boundary(&["run", "classic", "--html", page.to_str().unwrap()]).success();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "not a page");
    let meta = std::fs::symlink_metadata(&page).unwrap();
    assert!(meta.file_type().is_file(), "the page is not a plain file");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
}
