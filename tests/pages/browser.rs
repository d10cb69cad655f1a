//! The pages in a real browser (headless Chromium), from `file://`,
//! offline: the harness, and the tests of drawing, stepping and escaping.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use serde_json::Value;

use super::{hostile_page, site, tcp_boundary};

pub(super) fn chromium() -> Option<PathBuf> {
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
pub(super) fn with_browser(test: impl FnOnce(&headless_chrome::Browser) + Send + 'static) {
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
pub(super) struct Watch {
    pub(super) errors: Vec<String>,
    pub(super) requests: Vec<String>,
}

pub(super) fn watch(tab: &headless_chrome::Tab) -> Arc<Mutex<Watch>> {
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

pub(super) fn eval(tab: &headless_chrome::Tab, js: &str) -> Value {
    let result = tab.evaluate(js, false).unwrap();
    let text = result.value.expect("the script returns a value");
    serde_json::from_str(text.as_str().expect("a JSON string")).unwrap()
}

pub(super) fn url(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// The step of the panel shown, when the box marked current is the one
/// drawn for it (a folded setup's box stands for its three steps).
pub(super) const CURRENT: &str = r#"JSON.stringify((() => {
  const p = document.querySelector('[role="tabpanel"]:not([hidden])');
  const el = p.querySelector('.ev[aria-current="step"]');
  if (!el) return null;
  const seq = +el.dataset.seq, last = +(el.dataset.last || seq), n = +p.dataset.step;
  return seq <= n && n <= last ? String(n) : `box ${seq}-${last} at step ${n}`;
})())"#;

/// For every report in the page, every read and write: how many elements
/// draw it (each must be drawn once).
pub(super) const DRAWN: &str = r#"JSON.stringify((() => {
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

/// The viewport as a device shows it: `width` x `height`, a phone's when
/// `mobile`.
pub(super) fn viewport(tab: &headless_chrome::Tab, width: u32, height: u32, mobile: bool) {
    use headless_chrome::protocol::cdp::Emulation::SetDeviceMetricsOverride;
    let metrics: SetDeviceMetricsOverride = serde_json::from_value(serde_json::json!({
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile
    }))
    .unwrap();
    tab.call_method(metrics).unwrap();
}

pub(super) fn open(tab: &headless_chrome::Tab, page: &Path) {
    tab.navigate_to(&url(page))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
}
