// wirelens live page (explain-demo --live). Holds a WebSocket to the local server that
// steps the wire; shows what is held and which socket calls are blocking; loads the
// classroom page of every packet so far into one of two frames, then swaps them, so the
// view never flashes empty. Texts only through textContent.
"use strict";
(function () {
  const cfg = JSON.parse(document.getElementById("wl-live").textContent);
  const frames = [document.getElementById("wl-frame-a"), document.getElementById("wl-frame-b")];
  const status = document.getElementById("wl-status");
  const buttons = { next: document.getElementById("wl-next"), drop: document.getElementById("wl-drop"),
    play: document.getElementById("wl-play"), pace: document.getElementById("wl-pace") };
  const view = { state: null, at: 0, shown: 0, loading: false, again: false, loaded: null,
    playing: null, pending: null, closed: false, chosen: null, picks: "" };
  const pick = document.getElementById("wl-pick");
  // key press -> frame delivered -> bar updated -> classroom view loaded, in ms since the
  // epoch (bench/live_latency.py)
  window.wlMeasure = [];

  function ui(key, params) {
    let s = (cfg.ui[cfg.lang] || {})[key];
    if (s === undefined) return "[" + key + "]";
    return s.replace(/\{(\w+)\}/g, (m, name) => (params && name in params ? String(params[name]) : m));
  }
  function tr(o) { return o ? (o[cfg.lang] ?? o.en ?? "") : ""; }
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function now() { return Date.now(); }  // the machine's clock, as the wire's times are

  const url = (path) => path + "?t=" + encodeURIComponent(cfg.token);
  const ws = new WebSocket("ws://" + location.host + url("/ws"));
  ws.onmessage = (ev) => {
    const state = JSON.parse(ev.data);
    view.state = state;
    view.at = Date.now();
    const p = view.pending;
    if (p && p.delivered === undefined && state.delivered[p.n] !== undefined) {
      p.delivered = state.delivered[p.n] / 1e6;
      p.version = state.version;
    }
    bar();
    if (p && p.version === state.version) p.bar = now();  // the bar says it was delivered
    load();
  };
  ws.onclose = () => {
    view.closed = true;
    stopPlay();
    bar();
  };

  // The packet Next and Drop act on: the one the class picked (a button in the bar, or its
  // held arrow in the view) while it is held, else the oldest. Play always takes the oldest.
  function target() {
    const held = view.state ? view.state.held : [];
    const chosen = held.find((h) => h.n === view.chosen);
    return chosen || held[0];
  }
  function send(what, oldest) {
    if (ws.readyState !== WebSocket.OPEN || !view.state || !view.state.held.length) return;
    const h = oldest ? view.state.held[0] : target();
    if (what === "next") view.pending = { key: now(), n: h.n };
    ws.send(JSON.stringify(oldest ? { do: what } : { do: what, n: h.n }));
    view.chosen = null;
  }
  function choose(n) {
    const held = view.state && !view.closed ? view.state.held : [];
    if (!held.some((h) => h.n === n)) return;
    view.chosen = n;
    bar();
  }

  // ---------------------------------------------------------------- the bar
  function bar() {
    const s = view.state;
    status.textContent = "";
    const held = s && !view.closed ? s.held : [];
    document.body.dataset.held = held.map((h) => h.n).join(" ");
    buttons.next.disabled = buttons.drop.disabled = view.closed || !held.length;
    const first = target();
    document.body.dataset.chosen = first ? String(first.n) : "";
    picks(held, first);
    if (view.closed && !(s && s.final)) {
      status.appendChild(el("span", "gone", ui("html.live.gone")));
      return;
    }
    if (!s) return;
    if (s.final) {
      status.appendChild(el("span", "over", ui("html.live.over")));
      return;
    }
    const serverNow = s.now_ns / 1e6 + (Date.now() - view.at);
    if (!held.length) status.appendChild(el("span", "", ui("html.live.waiting")));
    if (held.length > 1) status.appendChild(el("span", "", "(+" + (held.length - 1) + ") "));
    // the packet Next releases, in full; of the others held, only what tells that a kernel
    // sent something again
    held.forEach((h) => {
      if (h === first) {
        const secs = Math.max(0, (serverNow - h.since_ns / 1e6) / 1000).toFixed(1);
        const line = el("span", "held", ui("html.live.held", { packet: h.n, side: ui("ui." + h.side), s: secs }));
        line.dataset.packet = h.n;
        status.appendChild(line);
        status.appendChild(el("span", "", " · " + tr(h.role) + " · " + h.summary));
      }
      if (h.resend) status.appendChild(el("span", "resend", tr(h.resend)));
    });
    for (const d of s.dropped || []) status.appendChild(el("span", "resend", tr(d)));
    for (const c of s.ongoing) {
      const secs = Math.max(0, (serverNow - c.since_ns / 1e6) / 1000).toFixed(1);
      status.appendChild(el("span", "calls", ui("html.live.calling", { side: ui("ui." + c.side), call: c.call, s: secs })));
    }
  }
  setInterval(() => { if (view.state && !view.closed) bar(); }, 250);
  // one button a held packet when more than one is held; rebuilt only when that changes,
  // so a click is never lost to the bar's redrawing
  function picks(held, first) {
    const key = held.length > 1 ? held.map((h) => h.n).join(" ") + "|" + first.n + "|" + cfg.lang : "";
    if (key === view.picks) return;
    view.picks = key;
    pick.textContent = "";
    if (!key) return;
    pick.appendChild(el("span", "", ui("html.live.pick")));
    for (const h of held) {
      const b = el("button", "", "#" + h.n);
      b.type = "button";
      b.dataset.packet = h.n;
      b.title = ui("ui." + h.side);
      b.setAttribute("aria-pressed", String(h === first));
      b.addEventListener("click", (ev) => { choose(h.n); ev.currentTarget.blur(); });
      pick.appendChild(b);
    }
  }

  // ---------------------------------------------------------------- the frames
  function load() {
    const s = view.state;
    if (!s) return;
    const target = s.final ? "final" : s.version;
    if (view.loaded === "final" || target === view.loaded) return;
    if (view.loading) { view.again = true; return; }
    view.loading = true;
    const hidden = frames[1 - view.shown];
    const focus = s.held.length ? s.held[0].n : s.packets;
    hidden.onload = () => {
      hidden.classList.add("shown");
      frames[view.shown].classList.remove("shown");
      view.shown = 1 - view.shown;
      view.loaded = target;
      view.loading = false;
      document.body.dataset.version = String(target);
      const p = view.pending;
      if (p && p.version !== undefined && (target === "final" || target >= p.version)) {
        p.updated = now();
        window.wlMeasure.push(p);
        view.pending = null;
      }
      if (view.again) { view.again = false; load(); }
    };
    hidden.src = s.final ? url("/final") : url("/view") + "&v=" + s.version + "&lang=" + cfg.lang + "#" + focus;
  }

  // ---------------------------------------------------------------- play, keys
  function stopPlay() {
    if (view.playing !== null) clearInterval(view.playing);
    view.playing = null;
    buttons.play.textContent = ui("html.live.play");
    buttons.play.setAttribute("aria-pressed", "false");
  }
  function togglePlay() {
    if (view.playing !== null) { stopPlay(); return; }
    view.playing = setInterval(() => send("next", true), Number(buttons.pace.value) * 1000);
    buttons.play.textContent = ui("html.live.pause");
    buttons.play.setAttribute("aria-pressed", "true");
  }
  buttons.pace.addEventListener("change", () => { if (view.playing !== null) { stopPlay(); togglePlay(); } });
  // (each button lets go of the focus, or Space would press it again as well as step)
  buttons.next.addEventListener("click", (ev) => { send("next"); ev.currentTarget.blur(); });
  buttons.drop.addEventListener("click", (ev) => { send("drop"); ev.currentTarget.blur(); });
  buttons.play.addEventListener("click", (ev) => { togglePlay(); ev.currentTarget.blur(); });
  function key(k) {
    if (k === "ArrowRight" || k === " ") send("next");
    else if (k === "d" || k === "D") send("drop");
    else if (k === "p" || k === "P") togglePlay();
    else return false;
    return true;
  }
  document.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.target === buttons.pace) return;
    if (key(ev.key)) ev.preventDefault();
  });
  window.addEventListener("message", (ev) => {
    if (!frames.some((f) => f.contentWindow === ev.source)) return;  // only our own frames
    if (ev.data && ev.data.wirelens === "key") key(ev.data.key);
    else if (ev.data && ev.data.wirelens === "pick") choose(Number(ev.data.n));
    else if (ev.data && ev.data.wirelens === "lang") setLang(String(ev.data.lang));
  });
  // The language the class switched to in the view: the bar follows, later views come in
  // it, and the address keeps it (&lang=), so a reload does too.
  function setLang(lang) {
    if (!(lang in cfg.ui) || lang === cfg.lang) return;
    cfg.lang = lang;
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.title = ui("html.live.title");
    buttons.next.textContent = ui("html.live.next");
    buttons.drop.textContent = ui("html.live.drop");
    buttons.play.textContent = ui(view.playing === null ? "html.live.play" : "html.live.pause");
    Array.from(buttons.pace.options).forEach((o) => { o.textContent = ui("html.live.pace", { s: o.value }); });
    try {
      const address = new URL(location.href);
      address.searchParams.set("lang", lang);
      history.replaceState(null, "", address.pathname + address.search);
    } catch (e) { /* the address stays as it was */ }
    view.picks = "";
    bar();
  }
})();
