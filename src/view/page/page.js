// Stepping through a run: one event at a time, for a class.
//
// Every drawn call carries data-seq (its event number in the report); bands and
// ribbon marks carry data-step (the event after which they exist). The current
// step's call gets aria-current="step" and its sentence is shown. Without this
// script the whole picture is shown, as in print.
(function () {
  "use strict";
  var panels = Array.prototype.slice.call(document.querySelectorAll('[role="tabpanel"]'));
  var tabs = Array.prototype.slice.call(document.querySelectorAll('[role="tab"]'));
  var timer = null;

  function active() {
    return panels.filter(function (p) { return !p.hidden; })[0] || panels[0];
  }

  function steps(panel) { return Number(panel.dataset.steps) || 0; }

  function show(panel, n, quiet, keep) {
    var last = steps(panel);
    n = Math.max(1, Math.min(last, n));
    panel.dataset.step = String(n);
    panel.querySelectorAll("[data-seq]").forEach(function (el) {
      var seq = Number(el.dataset.seq);
      el.classList.toggle("future", seq > n);
      if (seq === n) { el.setAttribute("aria-current", "step"); } else { el.removeAttribute("aria-current"); }
    });
    panel.querySelectorAll("[data-step]").forEach(function (el) {
      el.classList.toggle("future", Number(el.dataset.step) > n);
    });
    var current = panel.querySelector('[data-seq="' + n + '"]');
    panel.querySelector(".say").textContent = current ? current.dataset.say : "";
    panel.querySelector(".count").textContent = n + " / " + last;
    if (!quiet && current) { into_view(panel, current); }
    if (keep) { return; }
    var hash = "#" + (panel === panels[0] ? "" : "reader=" + panel.dataset.reader + "&") + "step=" + n;
    try { history.replaceState(null, "", hash); } catch (e) { /* a browser that forbids it: the link is only a convenience */ }
  }

  // The current box in the part of the screen the sticky bar leaves free,
  // in its middle when it has to move. Once the page has scrolled to the
  // diagram the bar is stuck at the top, and takes its own height.
  function into_view(panel, el) {
    var bar = panel.querySelector(".bar");
    var b = bar ? bar.getBoundingClientRect() : { top: 0, bottom: 0, height: 0 };
    var r = el.getBoundingClientRect();
    var h = window.innerHeight;
    if (b.top >= 0 && b.bottom <= r.top - 4 && r.bottom <= h - 4) { return; }
    var top = b.height;
    window.scrollBy(0, r.top - top - Math.max(8, (h - top - r.height) / 2));
  }

  function step(by) {
    var panel = active();
    show(panel, (Number(panel.dataset.step) || 1) + by);
  }

  function select(reader) {
    tabs.forEach(function (t) {
      var on = t.dataset.reader === reader;
      t.setAttribute("aria-selected", on ? "true" : "false");
    });
    panels.forEach(function (p) { p.hidden = p.dataset.reader !== reader; });
    stop();
    var panel = active();
    show(panel, Number(panel.dataset.step) || 1, true);
  }

  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    panels.forEach(function (p) {
      var b = p.querySelector(".play");
      b.textContent = p.dataset.play;
      b.setAttribute("aria-label", p.dataset.play);
    });
  }

  function play() {
    if (timer !== null) { stop(); return; }
    var panel = active();
    if ((Number(panel.dataset.step) || 0) >= steps(panel)) { show(panel, 1); }
    var b = panel.querySelector(".play");
    b.textContent = panel.dataset.pause;
    b.setAttribute("aria-label", panel.dataset.pause);
    timer = setInterval(function () {
      if (Number(panel.dataset.step) >= steps(panel)) { stop(); return; }
      step(1);
    }, Number(panel.querySelector(".speed").value) || 1000);
  }

  // #step=N (and #reader=NAME&step=N): open at that moment.
  function fromHash() {
    var params = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (kv) {
      var i = kv.indexOf("=");
      if (i > 0) { params[kv.slice(0, i)] = decodeURIComponent(kv.slice(i + 1)); }
    });
    if (params.reader && panels.some(function (p) { return p.dataset.reader === params.reader; })) {
      select(params.reader);
    }
    var n = parseInt(params.step, 10);
    if (!isNaN(n)) { show(active(), n, false, true); }
  }

  panels.forEach(function (p) {
    p.querySelector(".first").addEventListener("click", function () { show(p, 1); });
    p.querySelector(".prev").addEventListener("click", function () { step(-1); });
    p.querySelector(".next").addEventListener("click", function () { step(1); });
    p.querySelector(".play").addEventListener("click", play);
    p.querySelector(".speed").addEventListener("change", function () { if (timer !== null) { stop(); play(); } });
    // A page opens at the run's first step: the outcome is not told first.
    show(p, 1, true, true);
  });
  tabs.forEach(function (t) {
    t.addEventListener("click", function () { select(t.dataset.reader); });
  });
  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) { return; }
    var tag = (e.target && e.target.tagName) || "";
    if (tag === "SELECT" || tag === "INPUT" || tag === "TEXTAREA") { return; }
    var panel = active();
    switch (e.key) {
      case "ArrowRight": step(1); break;
      case "ArrowLeft": step(-1); break;
      case "Home": show(panel, 1); break;
      case "End": show(panel, steps(panel)); break;
      default: return;
    }
    e.preventDefault();
  });
  window.addEventListener("hashchange", fromHash);
  fromHash();
})();
