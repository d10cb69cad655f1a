//! Lesson pages: `run --html` and `lesson --out`, read as files and opened in
//! a real browser (headless Chromium), from `file://`, offline.
//!
//! The browser tests need Chromium (Debian: `apt-get install chromium`). On a
//! machine without it they say so and pass; `.ci/run` installs it and sets
//! `TCP_BOUNDARY_REQUIRE_TOOLS=1`, which makes a missing browser a failure.

mod common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

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
    .stdout(predicates::str::contains("를 만들었습니다"));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains(r#"<html lang="ko">"#), "no lang=ko");
    // The scenario's Korean lesson, the headings, a stepping sentence and the
    // stepper's words for the script.
    for korean in [
        "naive 판독기는 응답의 일부만 출력합니다",
        "판독기별 응답",
        "write()를 한 번 호출해",
        r#"aria-label="실행의 순간""#,
    ] {
        assert!(html.contains(korean), "missing: {korean}");
    }
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

// ---------------------------------------------------------------------------
// In the browser.

fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("TCP_BOUNDARY_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| {
            ["chromium", "chromium-browser", "google-chrome"].map(|name| dir.join(name))
        })
        .find(|p| p.is_file())
}

/// Run `test` with a browser, within a time limit; without a browser, skip
/// (or fail, when CI requires one).
fn with_browser(test: impl FnOnce(&headless_chrome::Browser) + Send + 'static) {
    let Some(path) = chromium() else {
        if std::env::var_os("TCP_BOUNDARY_REQUIRE_TOOLS").is_some() {
            panic!("no Chromium found, and TCP_BOUNDARY_REQUIRE_TOOLS is set (CI)");
        }
        eprintln!(
            "browser tests skipped: no Chromium found. Install it (Debian: \
             apt-get install chromium) or set TCP_BOUNDARY_CHROMIUM to its path."
        );
        return;
    };
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let profile = tempfile::tempdir().unwrap();
        // The flags keep a headless browser from calling home: nothing here
        // may use the network.
        let args: Vec<&std::ffi::OsStr> = [
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ]
        .iter()
        .map(std::ffi::OsStr::new)
        .collect();
        let options = headless_chrome::LaunchOptions::default_builder()
            .path(Some(path))
            .sandbox(false)
            .headless(true)
            .window_size(Some((1280, 720)))
            .user_data_dir(Some(profile.path().to_path_buf()))
            .args(args)
            .idle_browser_timeout(Duration::from_secs(120))
            .build()
            .unwrap();
        let browser = headless_chrome::Browser::new(options).expect("start Chromium");
        test(&browser);
        let _ = done.send(());
    });
    match finished.recv_timeout(Duration::from_secs(240)) {
        Ok(()) => {}
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("the browser test took over 240 s"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("the browser test failed (see above)"),
    }
}

/// Everything the page said to the console as an error, and every request
/// it made.
#[derive(Default)]
struct Watch {
    errors: Vec<String>,
    requests: Vec<String>,
}

fn watch(tab: &headless_chrome::Tab) -> Arc<Mutex<Watch>> {
    use headless_chrome::protocol::cdp::types::Event;
    use headless_chrome::protocol::cdp::{Log, Network, Runtime};
    let seen = Arc::new(Mutex::new(Watch::default()));
    let sink = seen.clone();
    tab.enable_log().unwrap();
    tab.enable_runtime().unwrap();
    tab.call_method(Network::Enable {
        max_total_buffer_size: None,
        max_resource_buffer_size: None,
        max_post_data_size: None,
        report_direct_socket_traffic: None,
        enable_durable_messages: None,
    })
    .unwrap();
    tab.add_event_listener(Arc::new(move |event: &Event| {
        let mut w = sink.lock().unwrap();
        match event {
            Event::RuntimeExceptionThrown(e) => {
                w.errors
                    .push(format!("exception: {:?}", e.params.exception_details.text));
            }
            Event::RuntimeConsoleAPICalled(e)
                if e.params.Type == Runtime::ConsoleAPICalledEventTypeOption::Error =>
            {
                w.errors.push(format!("console.error: {:?}", e.params.args));
            }
            Event::LogEntryAdded(e) if e.params.entry.level == Log::LogEntryLevel::Error => {
                w.errors.push(format!("log: {}", e.params.entry.text));
            }
            Event::NetworkRequestWillBeSent(e) => w.requests.push(e.params.request.url.clone()),
            _ => {}
        }
    }))
    .unwrap();
    seen
}

fn eval(tab: &headless_chrome::Tab, js: &str) -> Value {
    let result = tab.evaluate(js, false).unwrap();
    let text = result.value.expect("the script returns a value");
    serde_json::from_str(text.as_str().expect("a JSON string")).unwrap()
}

fn url(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// The step of the panel shown, when the box marked current is the one
/// drawn for it (a folded setup's box stands for its three steps).
const CURRENT: &str = r#"JSON.stringify((() => {
  const p = document.querySelector('[role="tabpanel"]:not([hidden])');
  const el = p.querySelector('.ev[aria-current="step"]');
  if (!el) return null;
  const seq = +el.dataset.seq, last = +(el.dataset.last || seq), n = +p.dataset.step;
  return seq <= n && n <= last ? String(n) : `box ${seq}-${last} at step ${n}`;
})())"#;

/// For every report in the page, every read and write: how many elements
/// draw it (each must be drawn once).
const DRAWN: &str = r#"JSON.stringify((() => {
  const reports = JSON.parse(document.getElementById('report').textContent);
  const wrong = []; let calls = 0;
  for (const r of reports) for (const e of r.timeline) {
    if (e.kind !== 'read' && e.kind !== 'write') continue;
    calls += 1;
    const n = document.querySelectorAll(`[data-reader="${r.reader}"][data-seq="${e.seq}"]`).length;
    if (n !== 1) wrong.push(`${r.reader} #${e.seq} ${e.kind}: drawn ${n} times`);
  }
  const wide = document.documentElement.scrollWidth > window.innerWidth;
  return {wrong, calls, wide, resources: performance.getEntriesByType('resource').length};
})())"#;

#[test]
fn every_page_draws_every_call_and_steps_in_chromium() {
    let (dir, out) = site();
    with_browser(move |browser| {
        let _keep = dir;
        let tab = browser.new_tab().unwrap();
        tab.set_default_timeout(Duration::from_secs(30));
        let seen = watch(&tab);
        let mut pages: Vec<PathBuf> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "html"))
            .collect();
        pages.sort();
        for page in &pages {
            tab.navigate_to(&url(page))
                .unwrap()
                .wait_until_navigated()
                .unwrap();
            if page.ends_with("index.html") {
                continue;
            }
            let drawn = eval(&tab, DRAWN);
            assert_eq!(drawn["wrong"], Value::Array(vec![]), "{}", page.display());
            assert!(
                drawn["calls"].as_u64().unwrap() >= 8,
                "{}: {drawn}",
                page.display()
            );
            assert_eq!(drawn["resources"], 0, "{}", page.display());
            // A projector's 1280 px: nothing scrolls sideways.
            assert_eq!(
                drawn["wide"],
                false,
                "{} is wider than 1280 px",
                page.display()
            );
            // The arrow keys move the current step; Home and End go to the ends.
            tab.press_key("Home").unwrap();
            assert_eq!(eval(&tab, CURRENT), "1", "{}", page.display());
            tab.press_key("ArrowRight").unwrap();
            tab.press_key("ArrowRight").unwrap();
            assert_eq!(eval(&tab, CURRENT), "3");
            tab.press_key("ArrowLeft").unwrap();
            assert_eq!(eval(&tab, CURRENT), "2");
        }
        // A link to a moment opens there, for the first reader and for another.
        let partial = out.join("partial-read.html");
        // Steps 1 to 3 are the server's socket, bind and listen.
        tab.navigate_to(&format!("{}#step=9", url(&partial)))
            .unwrap()
            .wait_until_navigated()
            .unwrap();
        assert_eq!(eval(&tab, CURRENT), "9");
        let say = eval(
            &tab,
            r#"JSON.stringify(document.querySelector('[role="tabpanel"]:not([hidden]) .say').textContent)"#,
        );
        assert!(say.as_str().unwrap().contains("pauses 150 ms"), "{say}");
        tab.navigate_to(&format!(
            "{}#reader=exact&step=7",
            url(&out.join("coalesced.html"))
        ))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
        assert_eq!(eval(&tab, CURRENT), "7");
        let shown = eval(
            &tab,
            r#"JSON.stringify(document.querySelector('[role="tabpanel"]:not([hidden])').dataset.reader)"#,
        );
        assert_eq!(shown, "exact");
        let w = seen.lock().unwrap();
        assert!(w.errors.is_empty(), "console errors: {:?}", w.errors);
        let pages_only = |u: &String| {
            u.starts_with("file://") && u.split('#').next().unwrap().ends_with(".html")
        };
        let others: Vec<&String> = w.requests.iter().filter(|u| !pages_only(u)).collect();
        assert!(others.is_empty(), "requests beyond the pages: {others:?}");
    });
}

#[test]
fn bytes_from_a_scenario_stay_text_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let page = hostile_page(dir.path());
    with_browser(move |browser| {
        let _keep = dir;
        let tab = browser.new_tab().unwrap();
        tab.set_default_timeout(Duration::from_secs(30));
        let seen = watch(&tab);
        tab.navigate_to(&url(&page))
            .unwrap()
            .wait_until_navigated()
            .unwrap();
        let found = eval(
            &tab,
            r#"JSON.stringify({
                title: document.title,
                scripts: document.scripts.length,
                bold: document.querySelectorAll('b').length,
                shown: document.body.textContent.includes("</script><script>docu"),
                report: JSON.parse(document.getElementById('report').textContent).length
            })"#,
        );
        assert_eq!(found["title"], "hostile · tcp-boundary");
        assert_eq!(found["scripts"], 2);
        assert_eq!(found["bold"], 0);
        assert_eq!(found["shown"], true);
        assert_eq!(found["report"], 5);
        let drawn = eval(&tab, DRAWN);
        assert_eq!(drawn["wrong"], Value::Array(vec![]));
        assert!(seen.lock().unwrap().errors.is_empty());
    });
}

#[test]
fn a_korean_page_steps_in_korean_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("ko.html");
    tcp_boundary(&[
        "run",
        "split-character",
        "--lang",
        "ko",
        "--html",
        page.to_str().unwrap(),
    ])
    .success();
    with_browser(move |browser| {
        let _keep = dir;
        let tab = browser.new_tab().unwrap();
        tab.set_default_timeout(Duration::from_secs(30));
        tab.navigate_to(&format!("{}#step=5", url(&page)))
            .unwrap()
            .wait_until_navigated()
            .unwrap();
        let shown = |what: &str| {
            eval(
                &tab,
                &format!(
                    r#"JSON.stringify(document.querySelector('[role="tabpanel"]:not([hidden]) {what}').textContent)"#
                ),
            )
        };
        assert_eq!(eval(&tab, CURRENT), "5");
        let count = shown(".count");
        assert!(count.as_str().unwrap().starts_with("5 / "), "{count}");
        let say = shown(".say");
        assert!(
            say.as_str().unwrap().contains("write()를 한 번 호출해"),
            "{say}"
        );
        let lang = eval(&tab, "JSON.stringify(document.documentElement.lang)");
        assert_eq!(lang, "ko");
    });
}

/// Where the current box, the sentence, the Next button, the queues and the
/// marked code line are, against the viewport; the step and the counter; any
/// backtick in the page's text; and, at a read, the queue bar of the reader's
/// side against the `queued` the report holds for that read.
const IN_VIEW: &str = r#"JSON.stringify((() => {
  const panel = document.querySelector('[role="tabpanel"]:not([hidden])');
  const inside = (el) => {
    if (!el) return 'missing';
    const r = el.getBoundingClientRect();
    const ok = r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth;
    return ok ? 'in' : `out ${Math.round(r.top)}..${Math.round(r.bottom)} of ${window.innerHeight}`;
  };
  const n = +panel.dataset.step;
  const report = JSON.parse(document.getElementById('report').textContent)
    .find((r) => r.reader === panel.dataset.reader);
  const e = report.timeline.find((x) => x.seq === n);
  let queue = null;
  if (e && e.kind === 'read' && e.queued !== null) {
    const bar = panel.querySelector(`.queue[data-side="${e.side === 'server' ? 'server' : 'client'}"]`);
    queue = {queued: e.queued, shown: +bar.getAttribute('aria-valuenow'),
      colours: new Set([...bar.querySelectorAll('.qbar span')].map((s) => s.className.split(' ')[1])).size};
  }
  const mark = panel.querySelector('.code mark[aria-current="step"]');
  return {
    step: panel.dataset.step,
    count: panel.querySelector('.count').textContent,
    box: inside(panel.querySelector('.ev[aria-current="step"]')),
    say: inside(panel.querySelector('.say')),
    next: inside(panel.querySelector('.next')),
    queues: inside(panel.querySelector('.queues')),
    code: mark ? inside(mark) : 'none',
    line: mark ? mark.textContent : null,
    queue,
    kind: e ? e.kind : null,
    side: e ? e.side : null,
    last: panel.dataset.steps,
    backtick: document.body.innerText.includes('`'),
    size: [window.innerWidth, window.innerHeight],
    scrolled: [window.scrollY, document.documentElement.scrollHeight, panel.querySelector('.bar').getBoundingClientRect().bottom],
  };
})())"#;

/// Click the shown panel's Next button.
const NEXT: &str = r#"JSON.stringify(document.querySelector('[role="tabpanel"]:not([hidden]) .next').click() || null)"#;

/// The viewport as a device shows it: `width` x `height`, a phone's when
/// `mobile`.
fn viewport(tab: &headless_chrome::Tab, width: u32, height: u32, mobile: bool) {
    use headless_chrome::protocol::cdp::Emulation::SetDeviceMetricsOverride;
    let metrics: SetDeviceMetricsOverride = serde_json::from_value(serde_json::json!({
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile
    }))
    .unwrap();
    tab.call_method(metrics).unwrap();
}

fn open(tab: &headless_chrome::Tab, page: &Path) {
    tab.navigate_to(&url(page))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
}

/// Step a page from 1 to its end with the Next button: at every step the
/// box, its sentence, the button, the queues and the marked line stay on
/// screen, and at every read the reader's queue bar shows the `queued` the
/// report holds. Returns what each step showed.
fn step_through(tab: &headless_chrome::Tab, page: &Path) -> Vec<Value> {
    open(tab, page);
    let at = eval(tab, IN_VIEW);
    assert_eq!(at["size"], serde_json::json!([1280, 720]));
    let last: u64 = at["last"].as_str().unwrap().parse().unwrap();
    assert_eq!(at["step"], "1", "{}: {at}", page.display());
    assert_eq!(at["count"], format!("1 / {last}"));
    assert_eq!(
        at["backtick"],
        false,
        "{}: a backtick shown",
        page.display()
    );
    let mut seen = vec![at];
    for n in 2..=last {
        eval(tab, NEXT);
        let at = eval(tab, IN_VIEW);
        assert_eq!(at["step"], n.to_string());
        for what in ["box", "say", "next", "queues"] {
            assert_eq!(
                at[what],
                "in",
                "{} step {n}: {what} off screen: {at}",
                page.display()
            );
        }
        assert!(
            at["code"] == "in" || at["code"] == "none",
            "{} step {n}: {at}",
            page.display()
        );
        if !at["queue"].is_null() {
            assert_eq!(
                at["queue"]["shown"],
                at["queue"]["queued"],
                "{} step {n}: the queue bar is not the measured queue: {at}",
                page.display()
            );
        }
        seen.push(at);
    }
    seen
}

#[test]
fn a_page_opens_at_step_1_and_keeps_each_step_on_a_projector_s_screen() {
    let dir = tempfile::tempdir().unwrap();
    let names = ["partial-read", "coalesced", "five-clients"];
    let mut pages = Vec::new();
    for name in names {
        let page = dir.path().join(format!("{name}.html"));
        tcp_boundary(&["run", name, "--html", page.to_str().unwrap()]).success();
        pages.push(page);
    }
    let ko = dir.path().join("ko.html");
    tcp_boundary(&[
        "run",
        "coalesced",
        "--lang",
        "ko",
        "--html",
        ko.to_str().unwrap(),
    ])
    .success();
    with_browser(move |browser| {
        let _keep = dir;
        let tab = browser.new_tab().unwrap();
        tab.set_default_timeout(Duration::from_secs(30));
        // The page's viewport itself 1280x720, as a projector shows it.
        viewport(&tab, 1280, 720, false);
        let reads = |seen: &[Value], side: &str| -> Vec<Value> {
            seen.iter()
                .filter(|at| at["kind"] == "read" && at["side"] == side)
                .cloned()
                .collect()
        };
        // partial-read, the naive reader first: its read is the book's line.
        let seen = step_through(&tab, &pages[0]);
        let client_reads = reads(&seen, "client");
        assert!(!client_reads.is_empty());
        for at in &client_reads {
            let line = at["line"].as_str().unwrap_or_default();
            assert!(
                line.contains("strLen = read(sock , message , BUF_SIZE - 1);"),
                "{at}"
            );
        }
        // coalesced: the server's one read finds both messages queued, two
        // colours in its bar.
        let seen = step_through(&tab, &pages[1]);
        let server_reads = reads(&seen, "server");
        assert!(
            server_reads
                .iter()
                .any(|at| at["queue"]["colours"].as_u64() >= Some(2)
                    && at["line"].as_str().is_some_and(|l| l.contains("read("))),
            "no server read with both messages queued: {server_reads:?}"
        );
        let seen = step_through(&tab, &pages[2]);
        assert!(
            seen.iter().any(|at| !at["queue"].is_null()),
            "no queue measured"
        );
        predict_then_reveal(&tab, &pages[1]);
        open(&tab, &ko);
        let breaks = eval(
            &tab,
            r#"JSON.stringify([getComputedStyle(document.querySelector('p.lesson')).wordBreak,
                getComputedStyle(document.querySelector('.say')).wordBreak])"#,
        );
        assert_eq!(breaks, serde_json::json!(["keep-all", "keep-all"]));
        assert_eq!(eval(&tab, IN_VIEW)["backtick"], false);
        // A phone: nothing scrolls sideways, in either language.
        viewport(&tab, 390, 844, true);
        for page in pages.iter().chain([&ko]) {
            open(&tab, page);
            let wide = eval(
                &tab,
                "JSON.stringify([window.innerWidth, document.documentElement.scrollWidth])",
            );
            assert_eq!(wide[0], 390, "{}", page.display());
            assert!(
                wide[1].as_u64() <= Some(390),
                "{} scrolls sideways: {wide}",
                page.display()
            );
        }
    });
}

/// What predict mode shows of the current step: is a result kept back, is
/// the box's bytes line visible, the sentence and the question.
const GUESS: &str = r#"JSON.stringify((() => {
  const panel = document.querySelector('[role="tabpanel"]:not([hidden])');
  const box = panel.querySelector('.ev[aria-current="step"]');
  const bytes = box.querySelector('.bytes');
  return {
    step: panel.dataset.step,
    guess: panel.classList.contains('guess'),
    bytes: bytes ? getComputedStyle(bytes).visibility : null,
    say: panel.querySelector('.say').textContent,
    ask: box.dataset.ask || null,
  };
})())"#;

/// Predict, then reveal: with the switch on, a read's call is shown first
/// and its result only at the next click; the click after moves on.
fn predict_then_reveal(tab: &headless_chrome::Tab, page: &Path) {
    open(tab, page);
    eval(
        tab,
        r#"JSON.stringify(document.querySelector('[role="tabpanel"]:not([hidden]) input.predict').click() || null)"#,
    );
    let mut at = eval(tab, GUESS);
    while !at["guess"].as_bool().unwrap() {
        let before = at["step"].clone();
        eval(tab, NEXT);
        at = eval(tab, GUESS);
        assert_ne!(at["step"], before, "no read to guess: {at}");
    }
    assert_eq!(at["bytes"], "hidden", "{at}");
    assert_eq!(at["say"], at["ask"], "{at}");
    let step: u64 = at["step"].as_str().unwrap().parse().unwrap();
    eval(tab, NEXT);
    let shown = eval(tab, GUESS);
    assert_eq!(
        shown["step"],
        step.to_string(),
        "the click revealed, not moved: {shown}"
    );
    assert_eq!(shown["guess"], false);
    assert_eq!(shown["bytes"], "visible");
    assert_ne!(shown["say"], at["ask"]);
    eval(tab, NEXT);
    assert_eq!(eval(tab, GUESS)["step"], (step + 1).to_string());
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
