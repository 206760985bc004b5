// wirelens page script. Builds the packet view of the current step from the JSON data,
// only ever through textContent (captured strings are untrusted), and keeps the ladder,
// the state diagrams and the hex view in step.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("wl-data").textContent);
  const root = document.documentElement;
  const steps = data.steps;
  const detail = document.getElementById("wl-detail");
  const view = { lang: data.lang, step: 0, pinned: null, expanded: new Set() };
  // In projection mode these layers show as one line of values until their header is clicked.
  const COMPACT = new Set(["link", "network"]);
  const SIDES = ["client", "server"];
  const VERDICT_MARK = { agrees: "✓", nuance: "~", differs: "✗" };

  // ---------------------------------------------------------------- texts
  function ui(key, params) {
    let s = (data.ui[view.lang] || {})[key];
    if (s === undefined) s = (data.ui.en || {})[key];
    if (s === undefined) return "[" + key + "]";
    if (params) {
      s = s.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
    }
    return s;
  }
  function tr(o) {
    if (o === null || o === undefined) return "";
    return typeof o === "string" ? o : (o[view.lang] ?? o.en ?? "");
  }
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function add(parent, ...children) {
    for (const c of children) if (c) parent.appendChild(c);
    return parent;
  }
  function byteRange(offset, length) {
    return length === 1 ? ui("html.byte_one", { first: offset })
      : ui("html.byte_range", { first: offset, last: offset + length - 1 });
  }

  // ---------------------------------------------------------------- the packet view
  function flagChips(step) {
    const box = el("div", "pk-flags");
    const names = { S: "SYN", F: "FIN", R: "RST", P: "PSH", U: "URG", E: "ECE", W: "CWR", ".": "ACK" };
    for (const letter of ["S", "F", "R", "P", "U", "E", "W", "."]) {
      if (step.flags.includes(letter)) {
        add(box, el("span", "flag" + (letter === "R" ? " rst" : ""), names[letter]));
      }
    }
    const numbers = step.label.split(" ").slice(2).join(" ");
    if (numbers) add(box, el("span", "pk-nums", numbers));
    return box;
  }

  function statesBox(step) {
    if (!step.before || !step.after) return el("p", "no-states", ui("html.no_states"));
    const box = el("section", "states-box");
    box.setAttribute("aria-label", ui("html.states"));
    SIDES.forEach((side, i) => {
      const before = step.before[i], after = step.after[i];
      const line = el("div", "line");
      const b = el("span", "st", before);
      b.title = ui("state." + before);
      add(line, b);
      if (before !== after) {
        add(line, el("span", "arrow", "→"));
        const a = el("span", "st changed", after);
        a.title = ui("state." + after);
        add(line, a);
      } else {
        add(line, el("span", "st-same", ui("html.unchanged")));
      }
      add(box, el("span", "who", ui("ui." + side)), line);
    });
    if (step.transitions.length) {
      const list = el("ul", "transitions");
      for (const t of step.transitions) add(list, el("li", null, tr(t)));
      add(box, list);
    }
    return box;
  }

  function noteCard(note, packet) {
    if (note.earlier !== null && note.earlier !== packet) {
      const card = el("div", "note repeat v-" + note.verdict);
      card.textContent = VERDICT_MARK[note.verdict] + " " +
        ui("html.same_note", { packet: note.earlier, claim: tr(note.claim) });
      return card;
    }
    const card = el("div", "note v-" + note.verdict);
    const claim = el("p", "claim");
    add(claim, el("span", "badge", VERDICT_MARK[note.verdict] + " " + ui("verdict." + note.verdict)),
      el("b", null, ui("ui.claim") + ": "), document.createTextNode(tr(note.claim) + " "),
      el("span", "ref", note.ref));
    const observed = el("p", "observed");
    add(observed, el("b", null, ui("ui.observed") + ": "), document.createTextNode(tr(note.observed)));
    add(card, claim, observed, el("p", "reason", tr(note.reason)));
    return card;
  }

  // The innermost header of a packet (TCP, UDP, or ARP for an ARP packet) is never compact.
  function isTop(layer, step) {
    const headers = step.layers.filter((l) => !["frame", "payload", "padding", "other"].includes(l.kind));
    return headers.length > 0 && headers[headers.length - 1] === layer;
  }

  function layerBox(layer, step) {
    const box = el("section", "layer k-" + layer.kind);
    box.dataset.layer = layer.name;
    box.dataset.kind = layer.kind;
    if (COMPACT.has(layer.kind) && !view.expanded.has(layer.kind) && !isTop(layer, step)) {
      box.classList.add("compact");
    }
    const head = el("h3");
    add(head, el("span", "lname", layer.name), el("span", "lkind", ui("html.layer." + layer.kind)),
      el("span", "lbytes", byteRange(layer.offset, layer.length)));
    const table = el("table", "fields");
    const body = el("tbody");
    for (const f of layer.fields) {
      const row = el("tr", "field " + (f.key ? "key" : "minor"));
      row.dataset.f = String(f.id);
      let where = byteRange(f.offset, f.length);
      if (f.bits) {
        where = ui("html.bits", { byte: f.offset, first: f.bits[0], last: f.bits[0] + f.bits[1] - 1 });
      }
      const name = el("td", "fname", f.short);
      const value = el("td", "fval", f.value);
      if (f.note !== null) {
        const v = step.notes[f.note].verdict;
        add(value, el("span", "fnote", VERDICT_MARK[v]));
        value.classList.add("v-" + v);
      }
      add(row, name, value, el("td", "fbytes", where), el("td", "fmean", tr(f.text)));
      add(body, row);
    }
    add(table, body);
    add(box, head, table);
    const hidden = layer.fields.filter((f) => !f.key).length;
    if (hidden && layer.kind !== "frame") {
      add(box, el("p", "more", ui("html.more_fields", { count: hidden })));
    }
    const ids = new Set(layer.fields.map((f) => f.id));
    for (const note of step.notes) {
      if (note.field !== null && ids.has(note.field)) add(box, noteCard(note, step.n));
    }
    return box;
  }

  function callsBox(step) {
    if (!step.calls.length) return null;
    const box = el("section", "calls-box");
    if (step.calls.every((c) => !c.relation)) box.classList.add("early");
    add(box, el("h3", null, ui("html.calls_here")));
    for (const c of step.calls) {
      const row = el("div", "callrow" + (c.relation ? "" : " early"));
      add(row, el("span", "who", ui("ui." + c.side)), document.createTextNode(" " + tr(c.text)));
      add(box, row);
    }
    return box;
  }

  function hexBox(step) {
    const box = el("section", "hex-box");
    add(box, el("h3", null, ui("html.hex")), el("p", "hex-help", ui("html.hex_help")));
    if (step.hex_cut) add(box, el("p", "hex-help", ui("html.hex_cut", {shown: step.hex.length / 2, length: step.hex_cut})));
    const grid = el("div", "hex");
    const bytes = step.hex.match(/../g) || [];
    const kinds = new Array(bytes.length).fill("other");
    for (const layer of step.layers) {
      if (layer.kind === "frame") continue;
      for (let i = layer.offset; i < layer.offset + layer.length && i < bytes.length; i++) kinds[i] = layer.kind;
    }
    for (let row = 0; row < bytes.length; row += 16) {
      add(grid, el("span", "off", row.toString(16).padStart(4, "0")));
      const hex = el("span", "hexrow"), text = el("span", "textrow");
      for (let i = row; i < Math.min(row + 16, bytes.length); i++) {
        const b = el("span", "b k-" + kinds[i], bytes[i]);
        b.dataset.i = String(i);
        if (i % 16 === 8) b.classList.add("gap");
        const code = parseInt(bytes[i], 16);
        const a = el("span", "a k-" + kinds[i], code >= 32 && code < 127 ? String.fromCharCode(code) : "·");
        a.dataset.i = String(i);
        add(hex, b);
        add(text, a);
      }
      add(grid, hex, text);
    }
    add(box, grid);
    return box;
  }

  function render() {
    if (!steps.length) return;
    const step = steps[view.step];
    const art = el("article", "packet phase-" + (step.phase || "none"));
    const head = el("header", "pk-head");
    add(head, el("span", "pk-num", "#" + step.n));
    if (step.sender) {
      add(head, el("span", "pk-dir", ui("html.direction",
        { sender: ui("ui." + step.sender), receiver: ui("ui." + step.receiver) })));
    }
    add(head, el("span", "pk-role", tr(step.role)));
    if (step.sender) add(head, flagChips(step));
    add(art, head);
    add(art, el("code", "pk-summary", step.summary));
    for (const w of step.warnings) add(art, el("p", "pk-warning", "! " + tr(w)));
    add(art, statesBox(step), callsBox(step));
    const layers = el("div", "layers");
    for (const layer of step.layers) add(layers, layerBox(layer, step));
    add(art, layers);
    const loose = step.notes.filter((n) => n.field === null);
    if (loose.length) {
      const box = el("section", "notes-box");
      add(box, el("h3", null, ui("ui.notes")));
      for (const note of loose) add(box, noteCard(note, step.n));
      add(art, box);
    }
    add(art, hexBox(step));
    detail.replaceChildren(art);
    detail.scrollTop = 0;
    document.getElementById("wl-counter").textContent = (view.step + 1) + " / " + steps.length;
    document.getElementById("wl-counter").title = ui("html.step_label", { index: step.n, total: steps.length });
    markLadder(step);
    markDiagrams(step);
    view.pinned = null;
  }

  // ---------------------------------------------------------------- ladder and diagrams
  function markLadder(step) {
    const boxes = document.querySelectorAll(".ladder-box");
    let shown = null;
    boxes.forEach((box) => {
      const has = box.querySelector('.pkt[data-packet="' + step.n + '"]');
      if (has && !shown) shown = box;
    });
    boxes.forEach((box) => { box.hidden = boxes.length > 1 && box !== shown; });
    document.querySelectorAll(".pkt").forEach((g) => {
      const n = Number(g.dataset.packet);
      g.classList.toggle("current", n === step.n);
      g.classList.toggle("past", n < step.n);
      if (n === step.n) g.setAttribute("aria-current", "step"); else g.removeAttribute("aria-current");
    });
    const current = document.querySelector(".pkt.current");
    const scroller = document.querySelector(".left");
    if (current && scroller && scroller.scrollHeight > scroller.clientHeight + 2) {
      const r = current.getBoundingClientRect(), s = scroller.getBoundingClientRect();
      if (r.top < s.top + 40 || r.bottom > s.bottom - 40) {
        scroller.scrollTop += r.top - s.top - s.height / 3;
      }
    }
  }

  function markDiagrams(step) {
    const conv = step.conv || (data.conversations[0] && data.conversations[0].number);
    const paths = data.paths[String(conv)] || null;
    document.querySelectorAll("svg.states").forEach((svg) => {
      const side = svg.dataset.side;
      const i = SIDES.indexOf(side);
      const path = paths ? paths[side] : { edges: [], start: null, end: null };
      const onPath = new Set(path.edges);
      const now = new Set(step.edges ? step.edges[side] : []);
      const group = svg.querySelector(".edges");
      svg.querySelectorAll(".edge").forEach((e) => {
        e.classList.toggle("path", onPath.has(e.dataset.edge));
        e.classList.toggle("step", now.has(e.dataset.edge));
      });
      // the path and the current step drawn last, over the other edges
      svg.querySelectorAll(".edge.path").forEach((e) => group.appendChild(e));
      svg.querySelectorAll(".edge.step").forEach((e) => group.appendChild(e));
      const visited = new Set();
      if (path.start) visited.add(path.start);
      path.edges.forEach((id) => visited.add(id.split("|")[0]));
      svg.querySelectorAll(".edge.path").forEach((e) => visited.add(e.dataset.to));
      const current = step.after ? step.after[i] : null;
      svg.querySelectorAll(".node").forEach((n) => {
        const s = n.dataset.state;
        n.classList.toggle("visited", visited.has(s));
        n.classList.toggle("start", s === path.start);
        n.classList.toggle("now", s === current);
      });
    });
  }

  // ---------------------------------------------------------------- hex <-> fields
  function fieldsAt(step, i) {
    let best = [], size = Infinity;
    for (const layer of step.layers) {
      if (layer.kind === "frame") continue;
      for (const f of layer.fields) {
        if (i < f.offset || i >= f.offset + f.length) continue;
        if (f.length < size) { best = [f]; size = f.length; } else if (f.length === size) best.push(f);
      }
    }
    return best;
  }
  function fieldById(step, id) {
    for (const layer of step.layers) for (const f of layer.fields) if (f.id === id) return f;
    return null;
  }
  function highlight(fields) {
    detail.querySelectorAll(".hl").forEach((e) => e.classList.remove("hl"));
    const bytes = new Set();
    for (const f of fields) {
      const row = detail.querySelector('tr[data-f="' + f.id + '"]');
      if (row) row.classList.add("hl");
      for (let i = f.offset; i < f.offset + f.length; i++) bytes.add(i);
    }
    detail.querySelectorAll(".hex [data-i]").forEach((e) => {
      if (bytes.has(Number(e.dataset.i))) e.classList.add("hl");
    });
  }
  function fieldsOf(target) {
    if (!steps.length || !(target instanceof Element)) return null;
    const step = steps[view.step];
    const row = target.closest("tr[data-f]");
    if (row) { const f = fieldById(step, Number(row.dataset.f)); return f ? [f] : []; }
    const byte = target.closest(".hex [data-i]");
    if (byte) return fieldsAt(step, Number(byte.dataset.i));
    return null;
  }
  detail.addEventListener("mouseover", (ev) => {
    const fields = fieldsOf(ev.target);
    if (fields) highlight(fields); else highlight(view.pinned || []);
  });
  detail.addEventListener("mouseleave", () => highlight(view.pinned || []));
  detail.addEventListener("click", (ev) => {
    const header = ev.target instanceof Element ? ev.target.closest(".layer > h3") : null;
    if (header) {
      const kind = header.parentElement.dataset.kind;
      if (view.expanded.has(kind)) view.expanded.delete(kind); else view.expanded.add(kind);
      const step = steps[view.step];
      const layer = step.layers.find((l) => l.name === header.parentElement.dataset.layer);
      header.parentElement.classList.toggle(
        "compact", !view.expanded.has(kind) && COMPACT.has(kind) && !isTop(layer, step));
      return;
    }
    const fields = fieldsOf(ev.target);
    if (!fields) return;
    const same = view.pinned && fields.length && view.pinned.length === fields.length &&
      view.pinned.every((f, k) => f.id === fields[k].id);
    view.pinned = same ? null : fields;
    detail.querySelectorAll(".pinned").forEach((e) => e.classList.remove("pinned"));
    if (view.pinned) {
      for (const f of view.pinned) {
        const row = detail.querySelector('tr[data-f="' + f.id + '"]');
        if (row) row.classList.add("pinned");
      }
    }
    highlight(view.pinned || fields);
  });

  // ---------------------------------------------------------------- moving and switching
  function go(i) {
    if (!steps.length) return;
    view.step = Math.max(0, Math.min(steps.length - 1, i));
    render();
    try {
      history.replaceState(null, "", "#" + steps[view.step].n);
    } catch (e) { /* a sandboxed frame may not change its address */ }
  }
  function setLang(lang, chosen) {
    if (!data.langs.includes(lang)) return;
    view.lang = lang;
    root.dataset.ui = lang;
    root.lang = lang === "zh" ? "zh-CN" : "en";
    document.querySelectorAll("[data-i18n]").forEach((e) => { e.textContent = ui(e.dataset.i18n); });
    document.querySelectorAll("[data-i18n-title]").forEach((e) => {
      e.title = ui(e.dataset.i18nTitle);
      if (e.tagName === "BUTTON") e.setAttribute("aria-label", e.title);
    });
    document.querySelectorAll("[data-set-lang]").forEach((b) => {
      b.setAttribute("aria-pressed", String(b.dataset.setLang === lang));
    });
    document.title = ui("html.title");
    // the live page around this one follows a language the class chose here
    if (chosen && window.parent !== window) window.parent.postMessage({ wirelens: "lang", lang: lang }, "*");
    render();
  }
  function toggle(cls, button) {
    const on = root.classList.toggle(cls);
    if (button) button.setAttribute("aria-pressed", String(on));
    markLadder(steps[view.step] || { n: 0 });
  }
  function scrollDetail(direction) {
    detail.scrollBy({ top: direction * detail.clientHeight * 0.6, behavior: "smooth" });
  }
  function toggleTheme() {
    root.dataset.theme = root.dataset.theme === "dark" ? "light" : "dark";
  }

  const buttons = {
    "wl-first": () => go(0),
    "wl-prev": () => go(view.step - 1),
    "wl-next": () => go(view.step + 1),
    "wl-last": () => go(steps.length - 1),
    "wl-theme": toggleTheme,
    "wl-projection": () => toggle("projection", document.getElementById("wl-projection")),
    "wl-diagrams": () => toggle("diagrams-view", document.getElementById("wl-diagrams")),
  };
  for (const [id, action] of Object.entries(buttons)) {
    document.getElementById(id).addEventListener("click", (ev) => { action(); ev.currentTarget.blur(); });
  }
  document.querySelectorAll("[data-set-lang]").forEach((b) => {
    b.addEventListener("click", (ev) => { setLang(b.dataset.setLang, true); ev.currentTarget.blur(); });
  });
  const index = new Map(steps.map((s, i) => [s.n, i]));
  document.querySelectorAll(".pkt").forEach((g) => {
    const open = () => { const i = index.get(Number(g.dataset.packet)); if (i !== undefined) go(i); };
    g.addEventListener("click", (ev) => { open(); if (ev.detail > 0) g.blur(); });
    g.addEventListener("keydown", (ev) => { if (ev.key === "Enter") { ev.preventDefault(); open(); } });
  });
  document.addEventListener("keydown", (ev) => {
    if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
    const key = ev.key;
    const actions = {
      ArrowRight: () => go(view.step + 1), " ": () => go(view.step + 1),
      PageDown: () => go(view.step + 1), ArrowLeft: () => go(view.step - 1),
      PageUp: () => go(view.step - 1), Home: () => go(0), End: () => go(steps.length - 1),
      p: buttons["wl-projection"], t: toggleTheme, s: buttons["wl-diagrams"],
      l: () => setLang(view.lang === "zh" ? "en" : "zh", true),
      ArrowDown: () => scrollDetail(1), ArrowUp: () => scrollDetail(-1),
      Escape: () => { if (root.classList.contains("projection")) buttons["wl-projection"](); },
    };
    const action = actions[key.length === 1 ? key.toLowerCase() : key];
    if (!action || (key === " " && ev.shiftKey)) return;
    // up and down scroll the page as usual, except in projection mode, where the page itself
    // does not scroll and they scroll the packet's column instead
    if ((key === "ArrowDown" || key === "ArrowUp") && !root.classList.contains("projection")) return;
    ev.preventDefault();
    action();
  });

  // ---------------------------------------------------------------- start
  if (window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches) {
    root.dataset.theme = "dark";
  }
  // A live view (explain-demo --live): the packets held on the wire are marked, and the
  // stepping keys belong to the live page around this one (which releases packets).
  if (data.live) {
    for (const n of data.live.held) {
      const g = document.querySelector('.pkt[data-packet="' + n + '"]');
      if (!g) continue;
      g.classList.add("held");
      // the live page around this one: Next and Drop now act on this packet
      g.addEventListener("click", () => window.parent.postMessage({ wirelens: "pick", n: n }, "*"));
    }
    const LIVE_KEYS = new Set(["ArrowRight", " ", "d", "D", "p", "P"]);
    document.addEventListener("keydown", (ev) => {
      if (!LIVE_KEYS.has(ev.key) || ev.ctrlKey || ev.metaKey || ev.altKey) return;
      ev.preventDefault();
      ev.stopImmediatePropagation();
      window.parent.postMessage({ wirelens: "key", key: ev.key }, "*");
    }, true);
  }
  const wanted = Number((location.hash || "").slice(1));
  const start = index.get(wanted);
  view.step = start === undefined ? 0 : start;
  setLang(view.lang);
})();
