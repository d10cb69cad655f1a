// Stepping through a run: one event at a time, for a class.
//
// Every drawn call carries data-seq (its event number in the report); bands and
// ribbon marks carry data-step (the event after which they exist). The current
// step's call gets aria-current="step" and its sentence is shown; so does the
// line of code that made it, and each side's receive queue is drawn as it was
// measured. Without this script the whole picture is shown, as in print.
(function () {
  "use strict";
  var panels = Array.prototype.slice.call(document.querySelectorAll('[role="tabpanel"]'));
  var tabs = Array.prototype.slice.call(document.querySelectorAll('[role="tab"]'));
  var timer = null;

  function active() {
    return panels.filter(function (p) { return !p.hidden; })[0] || panels[0];
  }

  function steps(panel) { return Number(panel.dataset.steps) || 0; }

  // The box drawn for step n: its own, or a folded one that spans it.
  function box_of(panel, n) {
    var found = null;
    panel.querySelectorAll(".ev[data-seq]").forEach(function (el) {
      var seq = Number(el.dataset.seq), last = Number(el.dataset.last || seq);
      if (seq <= n && n <= last) { found = el; }
    });
    return found;
  }

  function show(panel, n, quiet, keep, guess) {
    var last = steps(panel);
    n = Math.max(1, Math.min(last, n));
    panel.dataset.step = String(n);
    var current = box_of(panel, n);
    // Predict, then reveal: only a read is kept back, until the next click.
    guess = Boolean(guess && current && current.dataset.ask);
    panel.classList.toggle("guess", guess);
    panel.querySelectorAll(".ev[data-seq]").forEach(function (el) {
      el.classList.toggle("future", Number(el.dataset.seq) > n);
      if (el === current) { el.setAttribute("aria-current", "step"); } else { el.removeAttribute("aria-current"); }
    });
    // A band or a read's mark exists once its read is done: not yet while
    // the class guesses.
    var upto = guess ? n - 1 : n;
    panel.querySelectorAll("[data-step]").forEach(function (el) {
      el.classList.toggle("future", Number(el.dataset.step) > upto);
    });
    var said = "";
    if (current) {
      var says = current.dataset.says ? JSON.parse(current.dataset.says) : null;
      said = guess ? current.dataset.ask
        : says ? says[n - Number(current.dataset.seq)] || current.dataset.say : current.dataset.say;
    }
    panel.querySelector(".say").textContent = said;
    if (panel === active()) { mood(panel); }
    panel.querySelector(".count").textContent = n + " / " + last;
    queues(panel, n, guess);
    code(panel, n);
    var bar = panel.querySelector(".bar");
    if (bar) { panel.style.setProperty("--bar-h", bar.offsetHeight + "px"); }
    if (!quiet && current) { into_view(panel, current); }
    if (keep) { return; }
    var hash = "#" + (panel === panels[0] ? "" : "reader=" + panel.dataset.reader + "&") + "step=" + n;
    try { history.replaceState(null, "", hash); } catch (e) { /* a browser that forbids it: the link is only a convenience */ }
  }

  // The kernel's queues at step n, as measured (drawn from data-queues: per
  // step c, its connection, and b, its bars: the receive queues, the send
  // queues where bytes wait unsent, the listen queue; each l its label, v
  // its value, s its words, p its blocks, d which queue: client, server,
  // client_send, server_send or listen).
  // Byte bars share one scale, the largest queue of the run; the listen
  // queue is drawn to its own room.
  function queues(panel, n, guess) {
    var box = panel.querySelector(".queues");
    if (!box) { return; }
    if (!box._steps) {
      box._steps = JSON.parse(box.dataset.queues || "[]");
      box._scale = 1;
      box._steps.forEach(function (s) {
        s.b.forEach(function (b) {
          if (b.d === "listen") { return; }
          var sum = 0;
          b.p.forEach(function (p) { sum += p[0]; });
          box._scale = Math.max(box._scale, sum);
        });
      });
    }
    var step = box._steps[n - 1];
    if (!step) { return; }
    var list = box.querySelector(".qlist");
    while (list.children.length > step.b.length) { list.removeChild(list.lastChild); }
    while (list.children.length < step.b.length) {
      var el = document.createElement("div");
      el.className = "queue";
      el.setAttribute("role", "meter");
      el.setAttribute("aria-valuemin", "0");
      el.innerHTML = '<span class="qtext"><span class="qlabel"></span> <span class="qsaid"></span></span><div class="qbar"></div>';
      list.appendChild(el);
    }
    step.b.forEach(function (b, i) {
      var el = list.children[i];
      var scale = box._scale;
      var listen = b.d === "listen";
      if (listen) {
        scale = 0;
        b.p.forEach(function (p) { scale += p[0]; });
        scale = Math.max(scale, 1);
      }
      el.classList.toggle("listen", listen);
      el.dataset.side = b.d;
      el.querySelector(".qlabel").textContent = b.l;
      el.querySelector(".qsaid").textContent = b.s;
      el.setAttribute("aria-label", b.l);
      el.setAttribute("aria-valuemax", String(scale));
      el.setAttribute("aria-valuetext", b.s);
      if (b.v === null) { el.removeAttribute("aria-valuenow"); } else { el.setAttribute("aria-valuenow", String(b.v)); }
      var bar = el.querySelector(".qbar");
      bar.textContent = "";
      b.p.forEach(function (p) {
        var block = document.createElement("span");
        // [count, colour (-1: none), 0 held | 1 taken by this read |
        //  2 unsent | 3 sent, kept until acknowledged | 4 a waiting
        //  connection | 5 room]
        var kind = ["h", "t", "u", "k", "w", "r"][guess && p[2] === 1 ? 0 : p[2]];
        block.className = "q" + kind + " " + (p[1] < 0 ? "mnone" : "m" + p[1]);
        block.style.width = (100 * p[0] / scale) + "%";
        block.title = String(p[0]);
        bar.appendChild(block);
      });
    });
  }

  // The line of each program that made its latest call up to step n; the
  // line of step n's own call is the current one.
  function code(panel, n) {
    panel.querySelectorAll("figure.code").forEach(function (fig) {
      if (!fig._at) { fig._at = JSON.parse(fig.dataset.at || "[]"); }
      var pre = fig.querySelector("pre");
      fig.querySelectorAll("mark").forEach(function (m) {
        var line = m.parentNode;
        line.textContent = m.textContent;
      });
      var at = null;
      fig._at.forEach(function (x) { if (x[0] <= n) { at = x; } });
      if (!at) { return; }
      var line = fig.querySelector('[data-line="' + at[1] + '"]');
      if (!line) { return; }
      var mark = document.createElement("mark");
      mark.textContent = line.textContent;
      if (at[0] === n) { mark.setAttribute("aria-current", "step"); } else { mark.className = "was"; }
      line.textContent = "";
      line.appendChild(mark);
      var top = line.offsetTop, h = pre.clientHeight;
      if (top < pre.scrollTop + h * 0.2 || top > pre.scrollTop + h * 0.8) {
        pre.scrollTop = Math.max(0, top - h / 2);
      }
    });
  }

  // The current box in the part of the screen the sticky bar leaves free,
  // in its middle when it has to move. Once stepping has begun the page is
  // scrolled at least to where the bar sticks to the top, and at most to
  // where the diagram ends, so that the queues and the code beside the
  // diagram are on screen whole.
  function into_view(panel, el) {
    var bar = panel.querySelector(".bar");
    var bh = bar ? bar.offsetHeight : 0;
    var stuck = panel.getBoundingClientRect().top + window.scrollY;
    var r = el.getBoundingClientRect();
    var h = window.innerHeight;
    var y = window.scrollY;
    if (y >= stuck - 1 && r.top >= bh + 4 && r.bottom <= h - 4) { return; }
    var want = y + r.top - bh - Math.max(8, (h - bh - r.height) / 2);
    // Not past the end of the diagram: the column beside it would leave with it.
    var stage = el.closest(".stage");
    if (stage) { want = Math.min(want, stage.getBoundingClientRect().bottom + y - h); }
    window.scrollTo(0, Math.max(stuck, want));
  }

  function predicting(panel) {
    var box = panel.querySelector("input.predict");
    return Boolean(box && box.checked);
  }

  // While the class predicts, what tells the outcome is hidden (the calls
  // to come, the tabs' verdicts, the results, the teacher's notes, the
  // lesson's one line under the title) until the run's last step is shown.
  function mood(panel) {
    var on = predicting(panel);
    var ended = Number(panel.dataset.step) >= steps(panel) && !panel.classList.contains("guess");
    document.body.classList.toggle("predicting", on);
    document.body.classList.toggle("ended", ended);
    if (on && !ended) {
      document.querySelectorAll("details.point").forEach(function (d) { d.open = false; });
    }
  }

  // As the page opens: the stepper and the first step's box on screen. The
  // page scrolls only when they are not both in view already.
  function opening(panel) {
    var bar = panel.querySelector(".bar");
    var el = box_of(panel, Number(panel.dataset.step) || 1);
    if (!bar || !el) { return; }
    var h = window.innerHeight;
    var b = bar.getBoundingClientRect(), r = el.getBoundingClientRect();
    if (b.top >= 0 && r.bottom <= h - 4) { return; }
    var stuck = panel.getBoundingClientRect().top + window.scrollY;
    window.scrollTo(0, stuck);
  }

  // Forward: in predict mode a read shows its call first, and the next
  // step forward reveals what it returned.
  function step(by) {
    var panel = active();
    var n = Number(panel.dataset.step) || 1;
    if (by > 0 && panel.classList.contains("guess")) { show(panel, n); return; }
    show(panel, n + by, false, false, by > 0 && predicting(panel));
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
      if (Number(panel.dataset.step) >= steps(panel) && !panel.classList.contains("guess")) { stop(); return; }
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
    p.querySelector("input.predict").addEventListener("change", function () {
      var on = this.checked;
      // One switch for every reader's tab.
      panels.forEach(function (q) {
        q.querySelector("input.predict").checked = on;
        if (!on && q.classList.contains("guess")) { show(q, Number(q.dataset.step) || 1, true, true); }
      });
      mood(active());
    });
    // A page opens at the run's first step: the outcome is not told first.
    show(p, 1, true, true);
  });
  tabs.forEach(function (t) {
    t.addEventListener("click", function () { select(t.dataset.reader); });
  });
  // The keys that step, whatever has focus (a button, the predict switch,
  // the speed): the arrows, Space and PageDown / PageUp, which a
  // presenter's clicker sends, and "." and "b", which some clickers send
  // for their other buttons. Only a field that takes text keeps its keys.
  function typing(el) {
    var tag = (el && el.tagName) || "";
    if (tag === "TEXTAREA" || (el && el.isContentEditable)) { return true; }
    return tag === "INPUT" && ["checkbox", "radio", "button", "submit", "range"].indexOf(el.type) < 0;
  }
  function move(e) {
    switch (e.key) {
      case "ArrowRight": case "PageDown": case ".": return 1;
      case " ": case "Spacebar": return e.shiftKey ? -1 : 1;
      case "ArrowLeft": case "PageUp": case "b": case "B": return -1;
      case "Home": return "first";
      case "End": return "last";
      default: return null;
    }
  }
  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey || typing(e.target)) { return; }
    var by = move(e);
    if (by === null) { return; }
    var panel = active();
    if (by === "first") { show(panel, 1); } else if (by === "last") { show(panel, steps(panel)); } else { step(by); }
    e.preventDefault();
  });
  // A focused button or switch acts on Space's release: not when Space steps.
  document.addEventListener("keyup", function (e) {
    if (!typing(e.target) && move(e) !== null) { e.preventDefault(); }
  });
  window.addEventListener("hashchange", fromHash);
  // Printed, every fold is open.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  });
  fromHash();
  mood(active());
  if (!/step=/.test(location.hash)) { opening(active()); }
})();
