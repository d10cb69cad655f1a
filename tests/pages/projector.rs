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
/// backtick in the page's text; at a read, the queue bar of the reader's
/// side against the `queued` the report holds for that read; and every bar
/// drawn (its queue and value) with the report's measure at the step.
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
  const bars = [...panel.querySelectorAll('.queues .queue')].map((b) =>
    [b.dataset.side, b.hasAttribute('aria-valuenow') ? +b.getAttribute('aria-valuenow') : null]);
  const measure = report.measures.find((m) => m.seq === n) || null;
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
    bars,
    measure,
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
        bars_are_the_measure(&at, page, n);
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

/// Each bar drawn at a step on a connection is what the kernel said there
/// (at a read, as the read began: the measure's `before`): a receive queue
/// its `recv_q` (the reader's, the `queued` before the call, checked
/// apart), a send queue its `send_q`, drawn only where bytes wait unsent,
/// and the listen queue its `waiting`.
fn bars_are_the_measure(at: &Value, page: &Path, n: u64) {
    let m = &at["measure"];
    if m.is_null() || m["connection"].is_null() {
        return;
    }
    let bars = at["bars"].as_array().unwrap();
    let bar = |side: &str| bars.iter().find(|b| b[0] == side).map(|b| &b[1]);
    let read_by = |side: &str| at["kind"] == "read" && at["side"] == side;
    // At a read, every bar is the moment the read began.
    let ends = match at["kind"] == "read" {
        true => &m["before"],
        false => m,
    };
    for side in ["client", "server"] {
        let end = &ends[side];
        if !end.is_null()
            && !read_by(side)
            && let Some(shown) = bar(side).filter(|v| !v.is_null())
        {
            assert_eq!(
                *shown,
                end["recv_q"],
                "{} step {n}: {side} queue: {at}",
                page.display()
            );
        }
        let send = bar(&format!("{side}_send"));
        let unsent = end["unsent"].as_u64().unwrap_or(0);
        assert_eq!(
            send.is_some(),
            unsent > 0,
            "{} step {n}: {side}'s send queue: {at}",
            page.display()
        );
        if let Some(shown) = send {
            assert_eq!(*shown, end["send_q"], "{} step {n}: {at}", page.display());
        }
    }
    if let (Some(shown), false) = (bar("listen"), m["listen"].is_null()) {
        assert_eq!(
            *shown,
            m["listen"]["waiting"],
            "{} step {n}: listen queue: {at}",
            page.display()
        );
    }
}

#[test]
fn a_page_opens_at_step_1_and_keeps_each_step_on_a_projector_s_screen() {
    let dir = tempfile::tempdir().unwrap();
    let names = [
        "partial-read",
        "coalesced",
        "five-clients",
        "large-message",
        "backlog",
        "out-of-step",
    ];
    let mut pages = Vec::new();
    for name in names {
        let page = dir.path().join(format!("{name}.html"));
        tcp_boundary(&["run", name, "--html", page.to_str().unwrap()]).success();
        pages.push(page);
    }
    let [ko, ko_large, ko_backlog] = ["coalesced", "large-message", "backlog"].map(|name| {
        let page = dir.path().join(format!("ko-{name}.html"));
        tcp_boundary(&[
            "run",
            name,
            "--lang",
            "ko",
            "--html",
            page.to_str().unwrap(),
        ])
        .success();
        page
    });
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
        // large-message: the server's send queue drawn where the rest of
        // its write waits unsent; backlog: the listen queue, full.
        // Whether any step drew a bar (its queue and value) that `is`.
        let drew = |seen: &[Value], is: &dyn Fn(&Value) -> bool| {
            seen.iter()
                .any(|at| at["bars"].as_array().unwrap().iter().any(is))
        };
        let seen = step_through(&tab, &pages[3]);
        assert!(
            drew(&seen, &|b| b[0] == "server_send"),
            "large-message: no send queue drawn"
        );
        let seen = step_through(&tab, &pages[4]);
        assert!(
            drew(&seen, &|b| b[0] == "listen" && b[1] == 2),
            "backlog: the listen queue never drawn full"
        );
        step_through(&tab, &pages[5]);
        // Korean pages stepped through as well: longer words, the same
        // screen.
        step_through(&tab, &ko);
        step_through(&tab, &ko_large);
        step_through(&tab, &ko_backlog);
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
    lesson: getComputedStyle(document.querySelector('p.lesson')).visibility,
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
    // Neither the bytes nor the count it returned (`→ 12 B`) are shown,
    // nor the lesson's line, which says what happens.
    assert_eq!(at["bytes"], "hidden", "{at}");
    assert_eq!(at["result"], "hidden", "{at}");
    assert_eq!(at["lesson"], "hidden", "{at}");
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

/// The shown panel's step, whether it keeps a read back, the focused
/// element and the predict switch.
const KEYED: &str = r#"JSON.stringify((() => {
  const panel = document.querySelector('[role="tabpanel"]:not([hidden])');
  const el = document.activeElement;
  return {
    step: panel.dataset.step,
    guess: panel.classList.contains('guess'),
    focus: el ? el.tagName + (el.className ? '.' + el.className : '') : null,
    predict: panel.querySelector('input.predict').checked,
  };
})())"#;

/// A presenter's keys (the arrows, Space, PageDown and PageUp, and "." and
/// "b" from a clicker) step the page whatever has focus: the predict switch
/// just clicked, or the Next button.
#[test]
fn a_presenter_s_keys_step_whatever_has_focus() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("p.html");
    tcp_boundary(&["run", "out-of-step", "--html", page.to_str().unwrap()]).success();
    with_browser(move |browser| {
        let _keep = dir;
        let tab = browser.new_tab().unwrap();
        tab.set_default_timeout(Duration::from_secs(30));
        viewport(&tab, 1280, 720, false);
        open(&tab, &page);
        // A real click: the switch takes the focus, and predict mode is on.
        tab.find_element(r#"[role="tabpanel"]:not([hidden]) input.predict"#)
            .unwrap()
            .click()
            .unwrap();
        let at = eval(&tab, KEYED);
        assert_eq!(at["focus"], "INPUT.predict", "{at}");
        assert_eq!(at["predict"], true, "{at}");
        // Up to the first read the steps are calls with nothing to guess.
        let mut want = 1;
        for key in ["ArrowRight", "PageDown", " ", "."] {
            tab.press_key(key).unwrap();
            want += 1;
            let at = eval(&tab, KEYED);
            assert_eq!(at["step"], want.to_string(), "{key} did not step: {at}");
            assert_eq!(at["predict"], true, "{key} toggled the switch: {at}");
        }
        for key in ["PageUp", "b", "ArrowLeft"] {
            tab.press_key(key).unwrap();
            want -= 1;
            let at = eval(&tab, KEYED);
            assert_eq!(
                at["step"],
                want.to_string(),
                "{key} did not step back: {at}"
            );
            assert_eq!(at["predict"], true, "{key} toggled the switch: {at}");
        }
        // Space on the focused Next button steps once, not twice.
        tab.find_element(r#"[role="tabpanel"]:not([hidden]) .next"#)
            .unwrap()
            .click()
            .unwrap();
        want += 1;
        assert_eq!(eval(&tab, KEYED)["step"], want.to_string());
        tab.press_key(" ").unwrap();
        want += 1;
        let at = eval(&tab, KEYED);
        assert_eq!(at["step"], want.to_string(), "{at}");
        assert!(at["focus"].as_str().unwrap().starts_with("BUTTON"), "{at}");
    });
}

/// Where the stepper and the current box are as the page opens.
const OPENED: &str = r#"JSON.stringify((() => {
  const panel = document.querySelector('[role="tabpanel"]:not([hidden])');
  const inside = (el) => {
    if (!el) return 'missing';
    const r = el.getBoundingClientRect();
    const ok = r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth;
    return ok ? 'in' : `out ${Math.round(r.top)}..${Math.round(r.bottom)} of ${window.innerHeight}`;
  };
  const box = panel.querySelector('.ev[aria-current="step"]');
  return {
    step: panel.dataset.step,
    box_seq: box ? box.dataset.seq : null,
    box: inside(box),
    next: inside(panel.querySelector('.next')),
    count: inside(panel.querySelector('.count')),
    say: inside(panel.querySelector('.say')),
    size: [window.innerWidth, window.innerHeight],
  };
})())"#;

/// At a projector's 1280x720 every page opens with the stepper on screen,
/// step 1 current and its box in view: no scrolling before the first click.
#[test]
fn every_page_opens_with_step_1_current_and_on_screen_at_1280x720() {
    let (dir, out) = super::site();
    with_browser(move |browser| {
        let _keep = dir;
        let tab = browser.new_tab().unwrap();
        tab.set_default_timeout(Duration::from_secs(30));
        viewport(&tab, 1280, 720, false);
        let mut pages = 0;
        for (name, _) in tcp_boundary::scenario::BUILTIN {
            let page = out.join(format!("{name}.html"));
            open(&tab, &page);
            let at = eval(&tab, OPENED);
            assert_eq!(at["size"], serde_json::json!([1280, 720]));
            assert_eq!(at["step"], "1", "{name}: {at}");
            assert_eq!(at["box_seq"], "1", "{name}: step 1's box not current: {at}");
            for what in ["box", "next", "count", "say"] {
                assert_eq!(
                    at[what], "in",
                    "{name}: {what} off screen as it opens: {at}"
                );
            }
            pages += 1;
        }
        assert!(pages >= 11, "{pages} pages");
    });
}

/// What predict mode lets the class see: the shown calls to come (none
/// may be), the current read's result if shown, and the text on screen.
const SEEN: &str = r#"JSON.stringify((() => {
  const panel = document.querySelector('[role="tabpanel"]:not([hidden])');
  const n = +panel.dataset.step;
  const guess = panel.classList.contains('guess');
  const shown = (el) => el.checkVisibility({visibilityProperty: true, opacityProperty: true});
  const future = [...document.querySelectorAll('[role="tabpanel"]:not([hidden]) .ev[data-seq]')]
    .filter((el) => +el.dataset.seq > n && shown(el)).map((el) => el.dataset.seq);
  const upto = guess ? n - 1 : n;
  const marks = [...panel.querySelectorAll('[data-step]')]
    .filter((el) => +el.dataset.step > upto && shown(el)).map((el) => el.dataset.step);
  const current = panel.querySelector('.ev[aria-current="step"]');
  const result = guess ? [...current.querySelectorAll('.res, .bytes, .tag')].filter(shown).map((el) => el.textContent) : [];
  const text = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const t = walk.currentNode, el = t.parentElement;
    if (!t.textContent.trim() || el.closest('title, script, style')) continue;
    if (shown(el)) text.push(t.textContent);
  }
  const verdicts = [...document.querySelectorAll('.tabs .verdict, .results, details.point')]
    .filter(shown).map((el) => el.className || el.tagName);
  return {step: String(n), last: panel.dataset.steps, guess, future, marks, result, verdicts, text: text.join(' ')};
})())"#;

/// Predict, then reveal gives nothing away: no call to come is shown (not
/// even dimmed), nor a read's result before it is revealed, nor a verdict
/// (the tabs', the tables', the teacher's notes) before the last step.
#[test]
fn predict_mode_shows_no_result_to_come_and_no_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("p.html");
    tcp_boundary(&["run", "partial-read", "--html", page.to_str().unwrap()]).success();
    let html = std::fs::read_to_string(&page).unwrap();
    let report = super::embedded_report(&html);
    // The tables' words for a reply and their heading; each read of the
    // naive client as its box says it.
    let words = ["wrong: “", "Verdicts"];
    let naive = report[0]["timeline"].as_array().unwrap().clone();
    with_browser(move |browser| {
        let _keep = dir;
        let tab = browser.new_tab().unwrap();
        tab.set_default_timeout(Duration::from_secs(30));
        viewport(&tab, 1280, 720, false);
        open(&tab, &page);
        eval(
            &tab,
            r#"JSON.stringify(document.querySelector('[role="tabpanel"]:not([hidden]) input.predict').click() || null)"#,
        );
        let mut guessed = 0;
        let mut at = eval(&tab, SEEN);
        for _ in 0..200 {
            let guess = at["guess"].as_bool().unwrap();
            if at["step"] == at["last"] && !guess {
                break;
            }
            assert_eq!(
                at["future"],
                serde_json::json!([]),
                "calls to come shown: {at}"
            );
            assert_eq!(
                at["marks"],
                serde_json::json!([]),
                "bands to come shown: {at}"
            );
            assert_eq!(
                at["result"],
                serde_json::json!([]),
                "a result before its reveal: {at}"
            );
            assert_eq!(
                at["verdicts"],
                serde_json::json!([]),
                "a verdict shown: {at}"
            );
            let text = at["text"].as_str().unwrap();
            for word in words {
                assert!(
                    !text.contains(word),
                    "step {}: {word:?} shown: {text}",
                    at["step"]
                );
            }
            // No client read to come is on screen: each is the only one of
            // its count and place (`→ 4 B @4`).
            let step: u64 = at["step"].as_str().unwrap().parse().unwrap();
            let upto = if guess { step - 1 } else { step };
            for e in &naive {
                if e["kind"] == "read" && e["side"] == "client" && e["seq"].as_u64() > Some(upto) {
                    let said = format!("→ {} B @{}", e["len"], e["at"]);
                    assert!(
                        !text.contains(&said),
                        "step {step}: read #{} shown: {text}",
                        e["seq"]
                    );
                }
            }
            guessed += usize::from(guess);
            eval(&tab, NEXT);
            at = eval(&tab, SEEN);
        }
        assert!(guessed >= 2, "{guessed} reads guessed");
        // The last step shown: the verdicts with it.
        assert_eq!(at["step"], at["last"]);
        assert_ne!(at["verdicts"], serde_json::json!([]), "{at}");
        assert!(at["text"].as_str().unwrap().contains("Verdicts"), "{at}");
    });
}

/// The type a class reads from the back of the room: the smallest box text
/// as drawn (its size times the drawing's scale), the lanes' names and the
/// code; and where the lanes' names are against the screen and the current
/// box.
const TYPE: &str = r#"JSON.stringify((() => {
  const panel = document.querySelector('[role="tabpanel"]:not([hidden])');
  const px = (el) => parseFloat(getComputedStyle(el).fontSize);
  const drawn = [...panel.querySelectorAll('.ev text, .ev tspan')]
    .map((t) => ({size: px(t) * t.getScreenCTM().a, text: t.textContent}))
    .sort((a, b) => a.size - b.size);
  const names = [...panel.querySelectorAll('.lanes .lane')];
  const box = panel.querySelector('.ev[aria-current="step"]').getBoundingClientRect();
  return {
    smallest: drawn.length ? drawn[0] : null,
    names: names.map((n) => n.textContent),
    name_px: Math.min(...names.map(px)),
    names_on_screen: names.every((n) => {
      const r = n.getBoundingClientRect();
      return r.top >= 0 && r.bottom <= box.top && r.bottom <= window.innerHeight;
    }),
    code_px: Math.min(...[...panel.querySelectorAll('figure.code pre')].map(px)),
    step: panel.dataset.step,
  };
})())"#;

/// Readable at the back of the room, at a projector's 1280x720: no box
/// text under 18 px on any page (idle lanes folded, so that five clients
/// served in turn share one), the C code at 18 px, and the lanes' names on
/// screen above the current box wherever the diagram is scrolled.
#[test]
fn no_box_text_under_18_px_and_the_lanes_stay_named_at_1280x720() {
    let (dir, out) = super::site();
    with_browser(move |browser| {
        let _keep = dir;
        let tab = browser.new_tab().unwrap();
        tab.set_default_timeout(Duration::from_secs(30));
        viewport(&tab, 1280, 720, false);
        for (name, _) in tcp_boundary::scenario::BUILTIN {
            let page = out.join(format!("{name}.html"));
            open(&tab, &page);
            let at = eval(&tab, TYPE);
            let smallest = at["smallest"]["size"].as_f64().unwrap();
            assert!(
                smallest >= 18.0,
                "{name}: box text at {smallest:.1} px: {at}"
            );
            assert!(at["name_px"].as_f64().unwrap() >= 18.0, "{name}: {at}");
            assert!(at["code_px"].as_f64().unwrap() >= 18.0, "{name}: {at}");
            // Far down the run, the lanes are still named.
            let last = eval(
                &tab,
                r#"JSON.stringify(document.querySelector('[role="tabpanel"]:not([hidden])').dataset.steps)"#,
            );
            let n: u64 = last.as_str().unwrap().parse().unwrap();
            for step in [n * 2 / 3, n] {
                // The link to that moment, followed.
                eval(
                    &tab,
                    &format!("JSON.stringify((location.hash = '#step={step}') && null)"),
                );
                let at = eval(&tab, TYPE);
                assert_eq!(at["step"], step.to_string());
                assert_eq!(at["names_on_screen"], true, "{name} step {step}: {at}");
            }
        }
    });
}
