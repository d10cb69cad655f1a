//! A page in front of a class: at a projector's 1280x720 every step keeps
//! its box, its sentence, the stepper, the receive queues and the book's
//! code on screen; the queue bars are the measured queues; predict, then
//! reveal; and a phone's 390 px without sideways scroll.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use super::browser::{eval, open, viewport, with_browser};
use super::tcp_boundary;

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
    result: [...box.querySelectorAll('.res')].map((r) => getComputedStyle(r).visibility).join(' '),
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
    // Neither the bytes nor the count it returned (`→ 12 B`) are shown.
    assert_eq!(at["bytes"], "hidden", "{at}");
    assert_eq!(at["result"], "hidden", "{at}");
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
    assert_eq!(shown["result"], "visible");
    assert_ne!(shown["say"], at["ask"]);
    eval(tab, NEXT);
    assert_eq!(eval(tab, GUESS)["step"], (step + 1).to_string());
}
