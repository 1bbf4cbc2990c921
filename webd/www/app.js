// Gatekeeper's dashboard: plain JS, hash routes (#/, #/device/MAC,
// #/settings, #/status), charts by uPlot (vendored). Every string from
// the network (host names, DNS names, vendors, labels) is set with
// textContent, never as HTML. A field the server does not send (yet)
// hides its column or line: nothing is made up.
"use strict";

let csrf = null;
let clients = [];          // the last /api/clients answer
let ws = null;             // the /api/live WebSocket
let wsWanted = false;
const LIVE_SPAN = 60000;   // the live graphs show the last minute
const MIN_SPAN = 2000;     // ... or what the page has of it, 2 s at least
// "Right now", everywhere on the page (the network's headline, the
// busiest devices, each device's row and page): the average of the
// frames of the last second.
const NOW_SPAN = 1000;
const live = {             // per-device rates from /api/live frames
  lastT: 0,
  devices: new Map(),      // key (MAC or IP) -> [{t, up, down}] (bit/s)
  net: [],                 // [{t, up, down}] the whole network
};
let route = { page: "devices" };
let refreshTimer = null;

function $(sel) { return document.querySelector(sel); }
function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

/* ---- the API ---- */

async function api(method, path, body) {
  const opt = { method, headers: {}, credentials: "same-origin" };
  if (body !== undefined) {
    opt.headers["Content-Type"] = "application/json";
    opt.body = JSON.stringify(body);
  }
  if (method !== "GET" && csrf) opt.headers["X-CSRF-Token"] = csrf;
  const r = await fetch(path, opt);
  let data = null;
  try { data = await r.json(); } catch (e) { data = null; }
  if (!r.ok) {
    const err = new Error(data && data.error ? data.error : r.status + " " + r.statusText);
    err.status = r.status;
    if (r.status === 401 && path !== "/api/session" && path !== "/api/login") showLogin();
    throw err;
  }
  return data;
}

/* ---- formatting ---- */

function bytes(n) {
  if (typeof n !== "number") return "-";
  const u = ["B", "kB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1000 && i < u.length - 1) { n /= 1000; i++; }
  return (i ? n.toFixed(n < 10 ? 1 : 0) : n) + " " + u[i];
}

function rate(bps) {
  if (typeof bps !== "number" || !isFinite(bps)) return "-";
  const u = ["bit/s", "kbit/s", "Mbit/s", "Gbit/s"];
  let i = 0;
  while (bps >= 1000 && i < u.length - 1) { bps /= 1000; i++; }
  return (i ? bps.toFixed(bps < 10 ? 1 : 0) : Math.round(bps)) + " " + u[i];
}

function duration(s) {
  if (typeof s !== "number") return "-";
  s = Math.floor(s);
  if (s >= 86400) return Math.floor(s / 86400) + "d " + Math.floor(s % 86400 / 3600) + "h";
  if (s >= 3600) return Math.floor(s / 3600) + "h " + Math.floor(s % 3600 / 60) + "m";
  if (s >= 60) return Math.floor(s / 60) + "m " + (s % 60) + "s";
  return s + "s";
}

const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
// Times in seconds (leases) or milliseconds (the device registry): a
// second count passes 1e11 in the year 5138.
function secs(t) { return typeof t === "number" && t > 1e11 ? t / 1000 : t; }
const timeFmt = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" });
function when(sec) {
  sec = secs(sec);
  if (typeof sec !== "number" || sec <= 0) return "-";
  return dateFmt.format(new Date(sec * 1000));
}
function ago(sec) {
  sec = secs(sec);
  if (typeof sec !== "number" || sec <= 0) return "-";
  const d = Date.now() / 1000 - sec;
  if (d < 90) return "just now";
  if (d < 3600) return Math.round(d / 60) + " min ago";
  if (d < 86400) return Math.round(d / 3600) + " h ago";
  const days = Math.round(d / 86400);
  return days + (days === 1 ? " day ago" : " days ago");
}

// A DNS name as people write it: without the root's trailing dot.
function dnsName(n) { return n ? String(n).replace(/\.$/, "") : ""; }

/* ---- devices: names and keys ---- */

function devKey(d) { return d.mac || d.ip; }

// The name rule: the admin's label, else the DHCP host name (as the
// device sent it when the server keeps that, else as dhcpd cleaned it),
// else the vendor and the MAC's last two bytes.
function devName(d) {
  if (d.label) return d.label;
  if (d.client_hostname) return d.client_hostname;
  if (d.hostname) return d.hostname;
  const tail = d.mac ? d.mac.slice(-5).toUpperCase() : d.ip;
  if (d.vendor === "private address") return "Private device " + tail;
  return (d.vendor || "Device") + " " + tail;
}

function hasField(field) { return clients.some((d) => d[field] !== undefined); }

function findDevice(key) {
  key = key.toLowerCase();
  return clients.find((d) => (d.mac && d.mac.toLowerCase() === key) || d.ip === key);
}

// The first /api/clients, asked at once beside /api/session (a page
// opened logged in lists its devices a round trip sooner); taken once.
let clientsEarly = null;
async function loadClients() {
  const early = clientsEarly;
  clientsEarly = null;
  const c = (early && await early.catch(() => null)) || await api("GET", "/api/clients");
  clients = c.clients || [];
  return clients;
}

/* ---- live: /api/live ---- */

function liveSeries(key) {
  let s = live.devices.get(key);
  if (!s) { s = []; live.devices.set(key, s); }
  return s;
}

function trim(list, now) {
  while (list.length && list[0].t < now - LIVE_SPAN) list.shift();
}

// Average rate over the last `span` ms of a series (one point a frame:
// a device absent from a frame has a zero point there).
function recentRate(list, span) {
  if (!list || !list.length) return { up: 0, down: 0 };
  const end = list[list.length - 1].t;
  let up = 0, down = 0, n = 0;
  for (let i = list.length - 1; i >= 0 && list[i].t > end - span; i--) {
    up += list[i].up; down += list[i].down; n++;
  }
  return n ? { up: up / n, down: down / n } : { up: 0, down: 0 };
}

function onFrame(f) {
  if (typeof f.t !== "number" || !Array.isArray(f.devices)) return;
  const dt = live.lastT ? f.t - live.lastT : 0;
  live.lastT = f.t;
  if (dt <= 0 || dt > 5000) return;   // the first frame, or after a gap
  document.body.dataset.framePeriod = String(dt);
  let up = 0, down = 0;
  for (const d of f.devices) {
    const key = d.mac || d.ip;
    if (!key) continue;
    const s = liveSeries(key);
    const p = { t: f.t, up: (d.up || 0) * 8000 / dt, down: (d.down || 0) * 8000 / dt };
    s.push(p); trim(s, f.t);
    up += p.up; down += p.down;
  }
  // A device absent from a frame sent nothing: a zero there, so that
  // an average over frames is one over time (a bursty device is not
  // rated by its bursts alone) and its graphs drop between bursts.
  for (const [, s] of live.devices) {
    if (s.length && s[s.length - 1].t !== f.t) s.push({ t: f.t, up: 0, down: 0 });
    trim(s, f.t);
  }
  live.net.push({ t: f.t, up, down }); trim(live.net, f.t);
  if (f.remotes && typeof f.remotes === "object") liveRemoteFrame(f.remotes, f.t, dt);
  if (Array.isArray(f.new) && f.new.length) scheduleClients();
  pageLive();
}
// The subscribed device's remotes: addr -> {name, port, proto, list}.
const liveRemotes = new Map();
function liveRemoteFrame(remotes, t, dt) {
  for (const [mac, list] of Object.entries(remotes)) {
    if (mac.toLowerCase() !== route.key || !Array.isArray(list)) continue;
    for (const r of list) {
      if (!r || typeof r.addr !== "string") continue;
      let e = liveRemotes.get(r.addr);
      if (!e) { e = { list: [] }; liveRemotes.set(r.addr, e); }
      Object.assign(e, { name: r.name, port: r.port, proto: r.proto });
      e.list.push({ t, up: (r.up || 0) * 8000 / dt, down: (r.down || 0) * 8000 / dt });
    }
  }
  for (const [addr, e] of liveRemotes) {
    while (e.list.length && e.list[0].t < t - 5000) e.list.shift();
    if (!e.list.length) liveRemotes.delete(addr);
  }
}

function connectLive() {
  wsWanted = true;
  if (ws) return;
  const proto = location.protocol === "https:" ? "wss://" : "ws://";
  ws = new WebSocket(proto + location.host + "/api/live");
  ws.addEventListener("open", () => subscribe());
  ws.addEventListener("message", (ev) => {
    try { onFrame(JSON.parse(ev.data)); } catch (e) { /* a bad frame is skipped */ }
  });
  ws.addEventListener("close", () => {
    ws = null;
    live.lastT = 0;
    if (wsWanted) setTimeout(() => { if (wsWanted && csrf) connectLive(); }, 2000);
  });
}

function subscribe() {
  if (!ws || ws.readyState !== WebSocket.OPEN) return;
  const macs = route.page === "device" && route.key.includes(":") ? [route.key] : [];
  ws.send(JSON.stringify({ subscribe: macs }));
}

function disconnectLive() {
  wsWanted = false;
  if (ws) ws.close();
  ws = null;
}

/* ---- charts ---- */

// uPlot (its script and its style sheet) is asked when the page first
// makes a chart (the network's chart after the device list's paint, a
// device's page), not by index.html: the login page and the list paint
// without waiting for its 51 kB to be fetched, parsed and compiled, nor
// for a second style sheet (docs/dashboard.md, Loading).
let uplotLoad = null;
function loadFile(tag, attrs, before) {
  return new Promise((resolve, reject) => {
    const e = Object.assign(document.createElement(tag), attrs);
    e.addEventListener("load", resolve);
    e.addEventListener("error", () => { e.remove(); reject(new Error("The charts did not load: reload the page.")); });
    document.head.insertBefore(e, before || null);
  });
}
function needUplot() {
  if (!uplotLoad) {
    // uPlot's style sheet before app.css, whose rules for uPlot's
    // legend and selection (the page's colours) win as they follow it
    uplotLoad = Promise.all([loadFile("link", { rel: "stylesheet", href: "/uPlot.min.css" },
      document.querySelector('link[rel="stylesheet"]')),
    loadFile("script", { src: "/uPlot.iife.min.js" })]);
    uplotLoad.catch(() => { uplotLoad = null; });	// asked again next time
  }
  return uplotLoad;
}

// The sparklines' colours, read once (a style lookup per live frame
// cost more than the drawing) and again when the system's scheme
// changes.
let sparkColorsCache = null;
window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => { sparkColorsCache = null; });
function sparkColors() {
  if (!sparkColorsCache) sparkColorsCache = { down: cssVar("--down"), up: cssVar("--up"), fill: cssVar("--down-fill") };
  return sparkColorsCache;
}

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

function chartWidth(div) {
  return Math.max(200, Math.floor(div.getBoundingClientRect().width));
}

// A uPlot of download and upload rates over time. extra: more series.
function rateChart(div, height, opts) {
  opts = opts || {};
  const muted = cssVar("--muted"), line = cssVar("--line");
  const axis = { stroke: muted, grid: { stroke: line, width: 1 }, ticks: { stroke: line, width: 1 } };
  const series = [
    {},
    { label: "Down", stroke: cssVar("--down"), fill: cssVar("--down-fill"), width: 1.5,
      value: (u, v) => rate(v) },
    { label: "Up", stroke: cssVar("--up"), width: 1.5, value: (u, v) => rate(v) },
  ];
  for (const s of opts.extra || []) series.push(s);
  // a live graph's frames are a line, not dots (uPlot dots sparse data)
  if (opts.liveSpan) for (const s of series.slice(1)) s.points = { show: false };
  const u = new uPlot({
    width: chartWidth(div),
    height,
    series,
    legend: { show: opts.legend !== false },
    cursor: { drag: { x: !!opts.onSelect, y: false, setScale: false } },
    scales: { x: opts.liveSpan ? { time: true, range: (u, min, max) => {
      const end = max !== null && isFinite(max) ? max : Date.now() / 1000;
      return [end - liveSpanOf(min, max) / 1000, end];
    } } : { time: true }, y: { range: (u, min, max) => [0, Math.max(max, 8000) * 1.1] } },
    axes: [Object.assign({}, axis),
      Object.assign({ size: 84, values: (u, vals) => vals.map((v) => rate(v)) }, axis)],
    hooks: opts.onSelect ? { setSelect: [opts.onSelect] } : {},
  }, [[], [], [], ...(opts.extra || []).map(() => [])], div);
  new ResizeObserver(() => u.setSize({ width: chartWidth(div), height })).observe(div);
  return u;
}

// The live graphs' span: the last minute, or as much of it as the page
// has seen (2 s at least), so that a page just opened draws across its
// width rather than in a sliver at the right edge.
function liveSpanOf(first, last) {
  if (first === null || last === null || !isFinite(first) || !isFinite(last)) return LIVE_SPAN;
  return Math.min(LIVE_SPAN, Math.max(MIN_SPAN, (last - first) * 1000));
}

function liveData(list) {
  const x = [], d = [], up = [];
  for (const p of list) { x.push(p.t / 1000); d.push(p.down); up.push(p.up); }
  return [x, d, up];
}

// A sparkline of a device's last minute (or what the page has of it,
// as the live graphs), on a canvas of its row: download filled, upload
// a line, 60 averages across the span (a second each over a minute;
// single frames while the page has only seconds),
// drawn at the screen's pixel density. size: [width, height] in device
// pixels, measured once for all the rows (they are alike): measuring
// each canvas after the last one was drawn would lay the page out again
// per row.
function sparkline(canvas, list, colors, span, size) {
  const dpr = window.devicePixelRatio || 1;
  if (size[0] > 0 && (canvas.width !== size[0] || canvas.height !== size[1])) { canvas.width = size[0]; canvas.height = size[1]; }
  const w = canvas.width, h = canvas.height, ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, w, h);
  if (!list || list.length < 2) return;
  const end = list[list.length - 1].t;
  const bin = Math.max(100, span / 60), secs = [];
  for (const p of list) {
    const i = Math.floor((end - p.t) / bin);
    if (i * bin >= span) continue;
    const b = secs[i] || (secs[i] = { up: 0, down: 0, n: 0 });
    b.up += p.up; b.down += p.down; b.n++;
  }
  let max = 8000;
  for (const b of secs) if (b) max = Math.max(max, b.down / b.n, b.up / b.n);
  const pts = (field) => secs.map((b, i) => b && [w - (i + 0.5) * bin / span * w, h - 1 - (b[field] / b.n) / max * (h - 2)]).filter(Boolean);
  const down = pts("down"), up = pts("up");
  ctx.lineWidth = Math.max(1, dpr);
  ctx.beginPath();
  ctx.moveTo(down[0][0], h);
  for (const [x, y] of down) ctx.lineTo(x, y);
  ctx.lineTo(down[down.length - 1][0], h);
  ctx.closePath();
  ctx.fillStyle = colors.fill;
  ctx.fill();
  for (const [line, color] of [[down, colors.down], [up, colors.up]]) {
    ctx.beginPath();
    ctx.strokeStyle = color;
    line.forEach(([x, y], i) => { if (i) ctx.lineTo(x, y); else ctx.moveTo(x, y); });
    ctx.stroke();
  }
}

/* ---- pages ---- */

const pages = {};

function showPage(name) {
  for (const p of document.querySelectorAll(".page")) p.hidden = p.id !== "page-" + name;
  for (const a of document.querySelectorAll("#nav a")) {
    if (a.dataset.page === name || (name === "device" && a.dataset.page === "devices"))
      a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

function parseRoute() {
  const h = decodeURIComponent(location.hash.replace(/^#\/?/, ""));
  const parts = h.split("/");
  if (parts[0] === "device" && parts[1]) return { page: "device", key: parts[1].toLowerCase() };
  if (parts[0] === "settings") return { page: "settings" };
  if (parts[0] === "status") return { page: "status" };
  return { page: "devices" };
}

async function render() {
  if (!csrf) return;
  const prev = route;
  route = parseRoute();
  if (refreshTimer) { clearInterval(refreshTimer); refreshTimer = null; }
  if (prev.page !== route.page || prev.key !== route.key) {
    if (pages[prev.page] && pages[prev.page].leave) pages[prev.page].leave();
  }
  showPage(route.page);
  subscribe();
  const p = pages[route.page];
  try {
    await p.enter(route);
  } catch (e) {
    if (e.status !== 401) console.error(e);
  }
  if (p.refresh) refreshTimer = setInterval(() => p.refresh().catch(() => {}), p.every || 5000);
}

function pageLive() {
  const p = pages[route.page];
  if (p && p.live && !document.hidden) p.live();
}

let clientsPending = null;
function scheduleClients() {
  if (clientsPending) return;
  clientsPending = setTimeout(async () => {
    clientsPending = null;
    const p = pages[route.page];
    if (p && p.refresh) p.refresh().catch(() => {});
  }, 300);
}

/* Devices */

// spark: the sparklines' size in device pixels, measured once per list
// (null: not yet); frames: live frames counted, for the sparklines off
// the screen; resized: measured again after a resize, when all are
// drawn at once (a full-page screenshot resizes the page, and takes it
// in that frame).
const devView = { rows: new Map(), netChart: null, sig: "", spark: null, frames: 0, resized: false };
window.addEventListener("resize", () => { devView.spark = null; devView.resized = true; });

// The sparklines on the screen (or within 100 px of it) are drawn with
// every live frame, and at once when a row scrolls in; the others once
// a second (and once after a new list's paint, sparkMeasure), so that
// a full-page screenshot or a print shows them too.
// A row's "seen" comes from this observer, and for a new list from the
// frame that measures the sparklines (the observer answers only after
// that frame's paint).
const SPARK_MARGIN = 100;
const sparkSeen = new IntersectionObserver((entries) => {
  for (const e of entries) {
    const r = devView.rows.get(e.target.closest("tr").dataset.key);
    if (!r || r.canvas !== e.target) continue;
    const was = r.seen;
    r.seen = e.isIntersecting;
    if (r.seen && !was && devView.spark) sparkDraw(r, sparkColors(), sparkSpan());
  }
}, { rootMargin: SPARK_MARGIN + "px 0px" });

function sparkSpan() {
  return live.net.length ? liveSpanOf(live.net[0].t / 1000, live.lastT / 1000) : LIVE_SPAN;
}

function sparkDraw(r, colors, span) {
  sparkline(r.canvas, live.devices.get(r.key), colors, span, devView.spark);
}

function devRate(d) { return recentRate(live.devices.get(devKey(d)), NOW_SPAN); }

function devSortKey(sort) {
  switch (sort) {
  case "name": return (a, b) => devName(a).localeCompare(devName(b));
  case "ip": return (a, b) => ipNum(a.ip) - ipNum(b.ip);
  case "first": return (a, b) => (secs(b.first_seen) || 0) - (secs(a.first_seen) || 0);
  case "today": return (a, b) => ((b.today_up || 0) + (b.today_down || 0)) - ((a.today_up || 0) + (a.today_down || 0));
  default: return (a, b) => {
    const ra = devRate(a), rb = devRate(b);
    return (rb.up + rb.down) - (ra.up + ra.down) || devName(a).localeCompare(devName(b));
  };
  }
}

function ipNum(ip) {
  if (!ip) return 0;
  return ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);
}

function devMatches(d, q) {
  if (!q) return true;
  q = q.toLowerCase();
  return [devName(d), d.vendor, d.ip, d.mac, d.hostname, d.client_hostname].some((s) => s && String(s).toLowerCase().includes(q));
}

function devOnlineText(d) { return d.online === undefined ? "-" : d.online ? "online" : "offline"; }

function devRow(d) {
  const tr = document.createElement("tr");
  tr.dataset.key = devKey(d);
  const nameTd = el("td", null, "name");
  const a = el("a", devName(d));
  a.href = "#/device/" + encodeURIComponent(devKey(d));
  nameTd.appendChild(a);
  if (d.new) nameTd.append(" ", el("span", "new", "badge"));
  const sent = d.client_hostname || d.hostname;
  if (d.label && sent && sent !== d.label) nameTd.appendChild(el("div", sent, "muted small"));
  tr.appendChild(nameTd);
  const td = (text, cls, col) => {
    const c = el("td", text === undefined || text === null || text === "" ? "-" : text, cls);
    if (col) c.dataset.col = col;
    tr.appendChild(c);
    return c;
  };
  td(d.vendor, "vendor", "vendor");
  td(d.ip, "ip");
  td(d.mac, "mac");
  const on = td(devOnlineText(d), d.online ? "online yes" : "online", "online");
  on.dataset.label = "Online";
  const now = el("td", null, "rate");
  const canvas = document.createElement("canvas");
  canvas.setAttribute("aria-hidden", "true");
  // down above up, beside the sparkline
  const txt = el("span", "-", "rate-text");
  now.append(canvas, txt);
  tr.appendChild(now);
  td(d.today_down !== undefined ? "\u2193 " + bytes(d.today_down) + " \u2191 " + bytes(d.today_up) : "-", "today", "today");
  td(d.first_seen ? ago(d.first_seen) : "-", "first").title = when(d.first_seen);
  const act = el("td", null, "act");
  if (d.new && d.mac) {
    const b = el("button", "Mark as known", "small");
    b.type = "button";
    b.setAttribute("aria-label", "Mark as known: " + devName(d));
    b.addEventListener("click", () => devicePost(d.mac, { ack: true }).then(refreshDevices).catch(showDevError));
    act.appendChild(b);
  }
  tr.appendChild(act);
  devView.rows.set(devKey(d), { tr, canvas, txt, key: devKey(d), seen: false });
  sparkSeen.observe(canvas);
  return tr;
}

function showDevError(e) { alertBox(e.message); }
function alertBox(msg) {
  const p = $("#dev-empty");
  p.hidden = false;
  p.textContent = msg;
}

async function devicePost(mac, body) {
  return api("POST", "/api/devices/" + encodeURIComponent(mac), body);
}

function drawDevices() {
  const q = $("#dev-filter").value.trim();
  const onlineOnly = $("#dev-online").checked;
  const list = clients.filter((d) => devMatches(d, q) && (!onlineOnly || d.online !== false));
  list.sort(devSortKey($("#dev-sort").value));
  const sig = JSON.stringify([list, q]);
  if (sig !== devView.sig || $("#dev-sort").value === "rate") {
    const tb = $("#devices tbody");
    // Keep the focused control across a redraw.
    const focusKey = document.activeElement && document.activeElement.closest("#devices tr")
      ? document.activeElement.closest("tr").dataset.key : null;
    if (sig !== devView.sig) {
      sparkSeen.disconnect();
      devView.rows.clear();
      devView.spark = null;
      tb.replaceChildren(...list.map(devRow));
    } else {
      // Same devices, maybe another order: move the rows.
      for (const d of list) { const r = devView.rows.get(devKey(d)); if (r) tb.appendChild(r.tr); }
    }
    devView.sig = sig;
    if (focusKey) {
      const r = devView.rows.get(focusKey);
      if (r) { const f = r.tr.querySelector("a,button"); if (f && f !== document.activeElement) f.focus(); }
    }
  }
  // Columns a server without the device registry does not send: hidden.
  for (const col of ["vendor", "online", "today"]) {
    const have = hasField(col === "today" ? "today_down" : col);
    $("#devices").classList.toggle("no-" + col, !have);
  }
  for (const o of document.querySelectorAll("[data-needs]")) {
    const have = hasField(o.dataset.needs === "today" ? "today_down" : o.dataset.needs);
    o.disabled = !have;
    if (o.closest("label.check")) o.closest("label.check").hidden = !have;
  }
  $("#dev-count").textContent = "(" + list.length + (list.length !== clients.length ? " of " + clients.length : "") + ")";
  $("#dev-empty").hidden = clients.length > 0;
  if (!clients.length) $("#dev-empty").textContent = "No device has talked to the router yet.";
  devLive();
}

// The sparklines' size, read in the frame after a list was drawn
// (reading it at once would lay out the new table before its first
// paint), and which rows are on the screen: the layout is made by the
// first read, the others are cheap. Those rows' sparklines are drawn in
// this frame, the others once the page is idle after its paint.
function sparkMeasure() {
  devView.sparkDue = 0;
  const rows = [...devView.rows.values()];
  if (!rows.length) return;
  const dpr = window.devicePixelRatio || 1, c0 = rows[0].canvas;
  if (!c0.clientWidth) return;	// the list is hidden: measured when shown
  devView.spark = [Math.round(c0.clientWidth * dpr), Math.round(c0.clientHeight * dpr)];
  const bottom = window.innerHeight + SPARK_MARGIN;
  for (const r of rows) {
    const b = r.canvas.getBoundingClientRect();
    r.seen = b.height > 0 && b.bottom > -SPARK_MARGIN && b.top < bottom;
  }
  const colors = sparkColors(), span = sparkSpan(), all = devView.resized;
  devView.resized = false;
  for (const r of rows) if (r.seen || all) sparkDraw(r, colors, span);
  // Safari has no requestIdleCallback: a timer instead
  const idle = window.requestIdleCallback || ((f) => setTimeout(f, 200));
  if (!all) idle(() => {
    const c = sparkColors(), sp = sparkSpan();
    for (const r of rows) if (!r.seen && devView.rows.get(r.key) === r && devView.spark) sparkDraw(r, c, sp);
  }, { timeout: 500 });
}

function devLive() {
  const colors = sparkColors();
  const span = sparkSpan();
  if (!devView.spark && devView.rows.size && !devView.sparkDue) devView.sparkDue = requestAnimationFrame(sparkMeasure);
  const size = devView.spark;
  const all = devView.frames++ % 10 === 0;	// once a second: off the screen too
  for (const d of clients) {
    const r = devView.rows.get(devKey(d));
    if (!r) continue;
    const s = live.devices.get(devKey(d));
    const now = recentRate(s, NOW_SPAN);
    const text = "\u2193 " + rate(now.down) + "\n\u2191 " + rate(now.up);
    if (r.txt.textContent !== text) r.txt.textContent = text;
    r.tr.dataset.downBps = String(Math.round(now.down));
    r.tr.dataset.upBps = String(Math.round(now.up));
    if (size && (r.seen || all)) sparkline(r.canvas, s, colors, span, size);
  }
  const n = recentRate(live.net, NOW_SPAN);
  $("#net-down").textContent = "\u2193 " + rate(n.down);
  $("#net-up").textContent = "\u2191 " + rate(n.up);
  if (devView.netChart) devView.netChart.setData(liveData(live.net));
  // The busiest five right now (as the headline: the last second).
  const top = clients.map((d) => ({ d, r: recentRate(live.devices.get(devKey(d)), NOW_SPAN) }))
    .filter((x) => x.r.up + x.r.down >= 1000)
    .sort((a, b) => (b.r.up + b.r.down) - (a.r.up + a.r.down)).slice(0, 5);
  const ol = $("#top-talkers");
  ol.replaceChildren(...top.map((x) => {
    const li = document.createElement("li");
    const a = el("a", devName(x.d));
    a.href = "#/device/" + encodeURIComponent(devKey(x.d));
    li.append(a, el("span", "\u2193 " + rate(x.r.down) + " \u2191 " + rate(x.r.up), "muted"));
    return li;
  }));
  $("#top-none").hidden = top.length > 0;
}

async function refreshDevices() {
  await loadClients();
  drawDevices();
}

pages.devices = {
  every: 5000,
  async enter() {
    await refreshDevices();
    performance.mark("gk-devices-listed");
    // The list is painted first (the frame after it is in the page);
    // the network's chart is made after that paint, on the layout the
    // list's paint made anyway.
    requestAnimationFrame(() => setTimeout(async () => {
      performance.mark("gk-devices-painted");
      try { await needUplot(); } catch (e) { alertBox(e.message); return; }
      if (!devView.netChart) devView.netChart = rateChart($("#net-chart"), 150, { legend: false, liveSpan: true });
      devView.netChart.setData(liveData(live.net));
    }));
  },
  refresh: refreshDevices,
  live: devLive,
};

/* One device */

const dv = {
  key: null, dev: null, liveChart: null, histChart: null,
  from: 0, to: 0, remote: null, remoteName: null, seq: 0, loaded: 0,
};

function dvFact(dl, name, value) {
  if (value === undefined || value === null || value === "") return;
  dl.append(el("dt", name), el("dd", value));
}

function drawDeviceHead() {
  const d = dv.dev;
  $("#dv-missing").hidden = !!d;
  if (!d) { $("#dv-name").textContent = dv.key; return; }
  $("#dv-name").textContent = devName(d);
  document.title = devName(d) + " \u2014 Gatekeeper";
  $("#dv-new").hidden = !d.new;
  const dl = $("#dv-facts");
  dl.replaceChildren();
  if (d.label && (d.client_hostname || d.hostname)) dvFact(dl, "Calls itself", d.client_hostname || d.hostname);
  dvFact(dl, "Vendor", d.vendor);
  dvFact(dl, "IP", d.ip);
  dvFact(dl, "MAC", d.mac);
  if (d.online !== undefined) dvFact(dl, "Online", d.online ? "yes" : "no");
  dvFact(dl, "First seen", d.first_seen ? when(d.first_seen) : null);
  dvFact(dl, "Last seen", d.last_seen ? when(d.last_seen) : null);
  if (d.static) dvFact(dl, "Address", "reserved");
  else if (d.lease_expires) dvFact(dl, "Lease until", when(d.lease_expires));
  if (d.today_down !== undefined) dvFact(dl, "Today", "\u2193 " + bytes(d.today_down) + " \u2191 " + bytes(d.today_up));
  // Label, acknowledge and forget need the device registry.
  const registry = d.label !== undefined || d.new !== undefined;
  $("#dv-label-form").hidden = !registry || !d.mac;
  if (document.activeElement !== $("#dv-label")) $("#dv-label").value = d.label || "";
  $("#dv-ack").hidden = !d.new;
  $("#dv-forget").hidden = !registry || !d.mac;
  $("#dv-reserve").hidden = !!d.static || !d.mac || !d.ip;
}

function dvQuery(extra) {
  let q = "client=" + encodeURIComponent(dv.dev ? devKey(dv.dev) : dv.key) +
    "&from=" + Math.floor(dv.from) + "&to=" + Math.ceil(dv.to);
  if (dv.remote) q += "&remote=" + encodeURIComponent(dv.remote);
  return q + (extra || "");
}

function setWindow(from, to) {
  const now = Date.now();
  const span = Math.max(1000, to - from);
  if (to > now) { to = now; from = to - span; }
  from = Math.floor(from / 100) * 100;
  to = Math.ceil(to / 100) * 100;
  dv.from = from; dv.to = to;
}

const spanFmt = new Intl.DateTimeFormat(undefined, { weekday: "short", hour: "2-digit", minute: "2-digit", second: "2-digit" });
function stepText(ms) {
  if (ms < 1000) return ms + " ms";
  if (ms < 60000) return ms / 1000 + " s";
  return Math.round(ms / 60000) + " min";
}

async function loadHistory() {
  if (!dv.histChart) return;	// the page's enter() makes it, then loads
  const seq = ++dv.seq;
  const div = $("#dv-hist");
  const points = chartWidth(div);
  $("#dv-window").textContent = spanFmt.format(new Date(dv.from)) + " \u2013 " + spanFmt.format(new Date(dv.to));
  const q = dvQuery();
  $("#dv-csv").href = "/api/traffic?" + q + "&points=" + points + "&format=csv";
  $("#dv-json").href = "/api/traffic?" + q + "&points=" + points;
  $("#dv-csv").download = "gatekeeper-" + (dv.key || "device").replace(/:/g, "") + ".csv";
  $("#dv-json").download = "gatekeeper-" + (dv.key || "device").replace(/:/g, "") + ".json";
  let js;
  try {
    js = await api("GET", "/api/traffic?" + q + "&points=" + points);
  } catch (e) {
    if (seq !== dv.seq) return;
    dv.histChart.setData([[], [], [], [], []]);
    $("#dv-hist-msg").textContent = e.status === 422 ? "No traffic recorded for this device in the history yet." : e.message;
    $("#dv-totals").textContent = "";
    div.dataset.loaded = String(++dv.loaded);
    return;
  }
  if (seq !== dv.seq) return;
  const cols = js.columns || ["time_ms", "bytes_up", "bytes_down"];
  const ix = (n) => cols.indexOf(n);
  const it = ix("time_ms"), iu = ix("bytes_up"), id = ix("bytes_down"), imu = ix("max_up"), imd = ix("max_down");
  const step = js.step || (js.rows.length > 1 ? js.rows[1][it] - js.rows[0][it] : 100);
  const perSec = 8000 / step;
  const x = [], down = [], up = [], pd = [], pu = [];
  for (const r of js.rows || []) {
    x.push((r[it] + step / 2) / 1000);
    down.push(r[id] * perSec); up.push(r[iu] * perSec);
    pd.push(imd >= 0 ? r[imd] * 80 : null); pu.push(imu >= 0 ? r[imu] * 80 : null);
  }
  dv.histChart.batch(() => {
    dv.histChart.setData([x, down, up, pd, pu], false);
    dv.histChart.setScale("x", { min: dv.from / 1000, max: dv.to / 1000 });
  });
  $("#dv-step").textContent = "(" + (step <= 100 ? "every 100 ms, as recorded" : "one point per " + stepText(step)) + ")";
  const t = js.totals || {};
  $("#dv-totals").textContent = "In this window: \u2193 " + bytes(t.bytes_down) + " \u2191 " + bytes(t.bytes_up) +
    (js.peak_100ms ? ", busiest moment \u2193 " + rate((js.peak_100ms.down || js.peak_100ms.bytes_down || 0) * 80) : "");
  $("#dv-hist-msg").textContent = (js.rows || []).length ? "" : "No traffic in this window.";
  div.dataset.loaded = String(++dv.loaded);
  div.dataset.step = String(step);
  div.dataset.rows = String((js.rows || []).length);
  div.dataset.span = String(dv.to - dv.from);
  performance.mark("gk-history-drawn-" + dv.loaded);
  loadRemotes();
}

async function loadRemotes() {
  const tb = $("#dv-remotes tbody"), msg = $("#dv-remotes-msg");
  let js;
  try {
    js = await api("GET", "/api/remotes?client=" + encodeURIComponent(devKey(dv.dev || { ip: dv.key })) +
      "&from=" + Math.floor(dv.from) + "&to=" + Math.ceil(dv.to));
  } catch (e) {
    tb.replaceChildren();
    msg.textContent = e.status === 422 ? "No remote host recorded yet." : e.message;
    return;
  }
  const list = (js.remotes || []).slice(0, 20);
  tb.replaceChildren(...list.map((r) => {
    r = Object.assign({}, r, { name: dnsName(r.name) });
    const tr = document.createElement("tr");
    const td = el("td");
    const b = el("button", r.name || r.addr, "link");
    b.type = "button";
    b.setAttribute("aria-label", "Show the traffic with " + (r.name || r.addr));
    b.addEventListener("click", () => {
      dv.remote = r.addr; dv.remoteName = r.name || r.addr;
      showPair(); loadHistory();
      $("#dv-hist").scrollIntoView({ block: "center" });
    });
    td.appendChild(b);
    if (r.name) td.appendChild(el("div", r.addr, "muted small"));
    tr.appendChild(td);
    const ports = (r.ports || []).slice(0, 4).map((p) => p.port + "/" + p.proto).join(", ");
    tr.append(el("td", ports || "-"), el("td", bytes(r.bytes_down)), el("td", bytes(r.bytes_up)));
    return tr;
  }));
  msg.textContent = list.length ? "" : "No remote host in this window.";
}

function showPair() {
  $("#dv-pair").hidden = !dv.remote;
  $("#dv-pair-name").textContent = dv.remoteName || "";
}

async function loadDns() {
  const tb = $("#dv-dns tbody"), msg = $("#dv-dns-msg");
  if (!dv.dev || !dv.dev.ip) { tb.replaceChildren(); msg.textContent = ""; return; }
  let js;
  try {
    js = await api("GET", "/api/dns/log?client=" + encodeURIComponent(dv.dev.ip));
  } catch (e) { msg.textContent = e.message; return; }
  const list = (js.log || []).slice(-30).reverse();
  tb.replaceChildren(...list.map((q) => {
    const tr = document.createElement("tr");
    tr.append(el("td", q.time ? timeFmt.format(new Date(q.time * 1000)) : "-"),
      el("td", dnsName(q.name), "dnsname"), el("td", q.type),
      el("td", q.rcode === "NOERROR" ? (q.answers || "no address") + (q.cached ? " (cached)" : "") : q.rcode));
    return tr;
  }));
  msg.textContent = list.length ? "" : "No DNS lookup from this device recently.";
}

async function loadUsage() {
  const card = $("#dv-usage-card");
  let js;
  try {
    js = await api("GET", "/api/usage?client=" + encodeURIComponent(devKey(dv.dev)));
  } catch (e) { card.hidden = true; return; }
  const days = js.days || js.usage || [];
  if (!Array.isArray(days) || !days.length) { card.hidden = true; return; }
  const months = new Map();
  for (const d of days) {
    const m = String(d.day || "").slice(0, 7);
    const v = months.get(m) || { up: 0, down: 0 };
    v.up += d.bytes_up || 0; v.down += d.bytes_down || 0;
    months.set(m, v);
  }
  const row = (a, b, c) => { const tr = document.createElement("tr"); tr.append(el("td", a), el("td", bytes(b)), el("td", bytes(c))); return tr; };
  $("#dv-usage-day tbody").replaceChildren(...days.slice(-31).reverse().map((d) => row(d.day, d.bytes_down, d.bytes_up)));
  $("#dv-usage-month tbody").replaceChildren(...[...months].reverse().map(([m, v]) => row(m, v.down, v.up)));
  card.hidden = false;
}

function dvLive() {
  if (!dv.dev) return;
  const s = live.devices.get(devKey(dv.dev)) || [];
  const n = recentRate(s, NOW_SPAN);
  $("#dv-down").textContent = "\u2193 " + rate(n.down);
  $("#dv-up").textContent = "\u2191 " + rate(n.up);
  $("#dv-live").dataset.downBps = String(Math.round(n.down));
  if (dv.liveChart) dv.liveChart.setData(liveData(s));
  // Its busiest remotes right now: over the frames of the last second.
  const frames = Math.max(1, live.net.filter((p) => p.t > live.lastT - NOW_SPAN).length);
  const top = [...liveRemotes].map(([addr, e]) => {
    let up = 0, down = 0;
    for (const p of e.list) if (p.t > live.lastT - NOW_SPAN) { up += p.up; down += p.down; }
    return { addr, e, up: up / frames, down: down / frames };
  }).filter((x) => x.up + x.down > 0).sort((a, b) => (b.up + b.down) - (a.up + a.down)).slice(0, 5);
  $("#dv-now-remotes").replaceChildren(...top.map((x) => {
    const li = el("li", dnsName(x.e.name) || x.addr);
    li.appendChild(el("span", (x.e.port ? " " + x.e.port + "/" + x.e.proto : "") + " \u2193 " + rate(x.down) + " \u2191 " + rate(x.up), "muted"));
    return li;
  }));
}

function histSelect(u) {
  if (u.select.width < 3) return;
  const a = u.posToVal(u.select.left, "x") * 1000, b = u.posToVal(u.select.left + u.select.width, "x") * 1000;
  u.setSelect({ left: 0, width: 0, top: 0, height: 0 }, false);
  setWindow(a, b);
  loadHistory();
}

pages.device = {
  every: 5000,
  async enter(r) {
    const fresh = dv.key !== r.key;
    dv.key = r.key;
    if (fresh) { dv.remote = null; dv.remoteName = null; showPair(); liveRemotes.clear(); }
    // The list and uPlot at once (a page opened here first has neither).
    const fresher = loadClients();
    fresher.catch(() => {});	// awaited below; not "unhandled" meanwhile
    try { await needUplot(); } catch (e) { $("#dv-error").textContent = e.message; return; }
    if (!dv.liveChart) dv.liveChart = rateChart($("#dv-live"), 150, { legend: false, liveSpan: true });
    if (!dv.histChart) {
      dv.histChart = rateChart($("#dv-hist"), 240, {
        onSelect: histSelect,
        extra: [
          { label: "Busiest 100 ms down", stroke: cssVar("--down"), dash: [4, 4], width: 1, show: false, value: (u, v) => rate(v) },
          { label: "Busiest 100 ms up", stroke: cssVar("--up"), dash: [4, 4], width: 1, show: false, value: (u, v) => rate(v) },
        ],
      });
    }
    $("#dv-error").textContent = "";
    // A device the list has: its history is asked at once, its facts
    // drawn again when the fresh /api/clients is in.
    if (!findDevice(r.key)) await fresher;
    dv.dev = findDevice(r.key) || null;
    drawDeviceHead();
    dvLive();
    if (!dv.dev) return;
    $("#dv-pcap").href = "/api/pcap?client=" + encodeURIComponent(devKey(dv.dev));
    $("#dv-pcap").download = "gatekeeper-" + devKey(dv.dev).replace(/:/g, "") + ".pcap";
    if (fresh) setWindow(Date.now() - 86400000, Date.now());
    await Promise.all([loadHistory(), loadDns(), loadUsage(), fresher.then(() => {
      dv.dev = findDevice(dv.key) || dv.dev;
      drawDeviceHead();
    })]);
  },
  async refresh() {
    await loadClients();
    dv.dev = findDevice(dv.key) || null;
    drawDeviceHead();
    loadDns();
  },
  live: dvLive,
};

function deviceActions() {
  for (const b of document.querySelectorAll("#page-device [data-span]")) {
    b.addEventListener("click", () => {
      const span = Number(b.dataset.span);
      // Day: the last 24 hours; shorter: around the middle, or the end.
      if (span >= 86400000) setWindow(Date.now() - span, Date.now());
      else {
        const mid = dv.to >= Date.now() - 1000 ? dv.to - span / 2 : (dv.from + dv.to) / 2;
        setWindow(mid - span / 2, mid + span / 2);
      }
      loadHistory();
    });
  }
  for (const b of document.querySelectorAll("#page-device [data-zoom]")) {
    b.addEventListener("click", () => {
      const f = Number(b.dataset.zoom), mid = (dv.from + dv.to) / 2;
      const span = Math.min(86400000, Math.max(1000, (dv.to - dv.from) * f));
      setWindow(mid - span / 2, mid + span / 2);
      loadHistory();
    });
  }
  for (const b of document.querySelectorAll("#page-device [data-move]")) {
    b.addEventListener("click", () => {
      const span = dv.to - dv.from, d = span * Number(b.dataset.move);
      setWindow(dv.from + d, dv.to + d);
      loadHistory();
    });
  }
  $("#dv-pair-clear").addEventListener("click", () => { dv.remote = null; dv.remoteName = null; showPair(); loadHistory(); });
  const err = (e) => { $("#dv-error").textContent = e.message; };
  $("#dv-label-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    devicePost(dv.dev.mac, { label: $("#dv-label").value.trim() }).then(() => pages.device.refresh()).catch(err);
  });
  $("#dv-ack").addEventListener("click", () => devicePost(dv.dev.mac, { ack: true }).then(() => pages.device.refresh()).catch(err));
  $("#dv-reserve").addEventListener("click", () => {
    const d = dv.dev;
    // The reservation's name is a DNS name: dhcpd's cleaned one.
    api("POST", "/api/leases", { mac: d.mac, ip: d.ip, name: d.hostname || undefined })
      .then(() => pages.device.refresh()).catch(err);
  });
  $("#dv-forget").addEventListener("click", () => {
    if (!confirm("Forget " + devName(dv.dev) + "? It shows as new when it comes back.")) return;
    api("DELETE", "/api/devices/" + encodeURIComponent(dv.dev.mac)).then(() => { location.hash = "#/"; }).catch(err);
  });
}

/* Settings */

function rows(table, list, fill) {
  const tb = $(table + " tbody");
  tb.replaceChildren();
  for (const item of list || []) {
    const tr = document.createElement("tr");
    fill(tr, item);
    tb.appendChild(tr);
  }
}

function cell(tr, text) {
  const td = el("td", text === null || text === undefined || text === "" ? "-" : text);
  tr.appendChild(td);
  return td;
}

function delButton(tr, label, onclick) {
  const td = document.createElement("td");
  const b = el("button", "Remove", "link");
  b.type = "button";
  b.setAttribute("aria-label", label);
  b.addEventListener("click", onclick);
  td.appendChild(b);
  tr.appendChild(td);
}

async function loadLeases() {
  const l = await api("GET", "/api/leases");
  rows("#leases", (l.leases || []).filter((x) => x.static), (tr, d) => {
    cell(tr, d.ip); cell(tr, d.mac); cell(tr, d.hostname); cell(tr, d.state);
    delButton(tr, "Remove the reservation of " + d.mac, async () => {
      await api("DELETE", "/api/leases/" + encodeURIComponent(d.mac));
      loadLeases();
    });
  });
}

async function loadForwards() {
  const f = await api("GET", "/api/forwards");
  rows("#forwards", f.forwards, (tr, d) => {
    cell(tr, d.proto); cell(tr, d.wan_port); cell(tr, d.ip + ":" + d.port);
    cell(tr, d.source === "config" ? "gatekeeper.conf" : "this page or gkctl");
    if (d.source !== "config") {
      delButton(tr, "Remove the forward of " + d.proto + " " + d.wan_port, async () => {
        await api("DELETE", "/api/forwards/" + d.proto + "/" + d.wan_port);
        loadForwards();
      });
    } else {
      cell(tr, "");
    }
  });
}

// The catalogue's errors quote the word it refused ('forward add:
// "70000" is not a port (1 to 65535) (usage: ...)'): shown next to the
// field holding that word, without gkctl's usage line.
function fieldFor(form, msg) {
  const m = /"([^"]*)"/.exec(msg);
  if (m) {
    for (const f of form.elements) {
      if ((f.tagName === "INPUT" || f.tagName === "SELECT") && f.value.trim() === m[1]) return f;
    }
  }
  // The daemon's refusals name the thing in words.
  if (/\bport\b/i.test(msg) && form.elements.wan_port) return form.elements.wan_port;
  if (/\baddress\b/i.test(msg) && form.elements.ip) return form.elements.ip;
  if (/\bMAC\b/.test(msg) && form.elements.mac) return form.elements.mac;
  return null;
}

function withoutUsage(msg) { return msg.replace(/\s*\(usage: .*\)$/, ""); }

function clearErrors(form) {
  for (const p of form.querySelectorAll(".error")) p.textContent = "";
  for (const i of form.querySelectorAll("[aria-invalid]")) i.removeAttribute("aria-invalid");
}

function formSubmit(sel, path, build, after) {
  const form = $(sel);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    try {
      await api("POST", path, build(new FormData(form)));
      form.reset();
      after();
    } catch (e) {
      const f = fieldFor(form, e.message);
      const p = f && document.getElementById(f.id + "-err");
      if (p) {
        p.textContent = withoutUsage(e.message);
        f.setAttribute("aria-invalid", "true");
        f.focus();
      } else {
        form.querySelector(".form-error").textContent = withoutUsage(e.message);
      }
    }
  });
}

function numberOrText(s) { return /^\d+$/.test(s) ? Number(s) : s; }

pages.settings = {
  async enter() { await Promise.all([loadLeases(), loadForwards()]); },
};

function settingsForms() {
  formSubmit("#lease-form", "/api/leases", (f) => ({ mac: f.get("mac").trim(), ip: f.get("ip").trim(), name: f.get("name").trim() || undefined }), loadLeases);
  formSubmit("#forward-form", "/api/forwards", (f) => ({
    proto: f.get("proto"), wan_port: numberOrText(f.get("wan_port").trim()), ip: f.get("ip").trim(),
    port: f.get("port").trim() ? numberOrText(f.get("port").trim()) : undefined,
  }), loadForwards);
  const pw = $("#password-form");
  pw.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(pw);
    pw.querySelector(".form-ok").textContent = "";
    const f = new FormData(pw);
    if (f.get("new") !== f.get("again")) {
      pw.querySelector(".form-error").textContent = "The two new passwords differ.";
      return;
    }
    try {
      await api("POST", "/api/password", { old: f.get("old"), new: f.get("new") });
      pw.reset();
      pw.querySelector(".form-ok").textContent = "Password changed. Other browsers logged in are logged out.";
    } catch (e) {
      pw.querySelector(".form-error").textContent = e.message;
    }
  });
}

/* Status */

function daemon(st, name) { return (st.daemons || []).find((d) => d.name === name) || {}; }

function facts(dl, list) {
  dl.replaceChildren();
  for (const [k, v] of list) if (v !== undefined && v !== null && v !== "") dl.append(el("dt", k), el("dd", v));
}

function scalarText(v) {
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (typeof v === "number" || typeof v === "string") return String(v);
  return null;
}

async function loadStatus() {
  const st = await api("GET", "/api/status");
  const wan = st.wan || {}, lan = st.lan || {};
  const wanList = [["Interface", wan.ifname], ["Address", wan.address || "none"]];
  // Health fields (gatekeeperd's WAN watch); others shown as given.
  const label = { link: "Link", uptime: "Up for", link_since: "Link since", address_since: "Address since",
    link_changes: "Link changes", address_changes: "Address changes" };
  for (const [k, v] of Object.entries(wan)) {
    if (k === "ifname" || k === "address" || k === "outages" || v === null) continue;
    let t = scalarText(v);
    if (k === "uptime" && typeof v === "number") t = duration(v);
    else if (k.endsWith("_since") && typeof v === "number") t = when(v);
    if (t !== null) wanList.push([label[k] || k.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase()), t]);
  }
  facts($("#st-wan"), wanList);
  const outages = Array.isArray(wan.outages) ? wan.outages : [];
  $("#st-outages").hidden = !outages.length;
  // dnsd's log of the times no upstream answered: newest first, wall ms.
  rows("#st-outages", outages.slice(0, 20), (tr, o) => {
    cell(tr, when(o.start));
    cell(tr, typeof o.end === "number" ? duration((o.end - o.start) / 1000) : "still going on");
    cell(tr, o.failed_queries);
  });
  const dhcp = (daemon(st, "dhcpd").detail || {}).pool || {};
  facts($("#st-lan"), [["Interface", lan.ifname], ["Address", lan.address],
    ["Ports", (lan.ports || []).join(", ")],
    ["Addresses leased", dhcp.size !== undefined ? dhcp.leases + " of " + dhcp.size + (dhcp.reservations ? " (" + dhcp.reservations + " reserved)" : "") : null]]);
  const nat = daemon(st, "natd").detail || {}, dns = (daemon(st, "dnsd").detail || {}).stats || {};
  const web = daemon(st, "webd").detail || {};
  const lookups = (dns.cache_hits || 0) + (dns.cache_misses || 0);
  const cap = nat.capture || web.capture || {};
  facts($("#st-figures"), [
    ["NAT mappings", nat.mappings !== undefined ? nat.mappings + " (" + nat.sessions + " sessions)" : null],
    ["DNS cache hits", lookups ? Math.round(100 * dns.cache_hits / lookups) + " % of " + lookups : dns.queries !== undefined ? "no lookup yet" : null],
    ["Telemetry drops", nat.ring_drops !== undefined ? String(nat.ring_drops + ((web.traffic || {}).ring_drops || 0)) : null],
    ["Capture drops", cap.drops !== undefined ? String(cap.drops) : null],
    ["Packet queue", st.queue_backend],
    ["Version", st.version],
  ]);
  rows("#st-daemons", st.daemons, (tr, d) => {
    cell(tr, d.name); cell(tr, d.state); cell(tr, d.restarts); cell(tr, duration(d.uptime));
  });
  rows("#st-upstreams", (daemon(st, "dnsd").detail || {}).upstreams || [], (tr, u) => {
    cell(tr, u.address); cell(tr, u.state); cell(tr, u.srtt_ms !== undefined ? u.srtt_ms + " ms" : "-");
    cell(tr, u.queries); cell(tr, u.timeouts);
  });
}

pages.status = { enter: loadStatus, refresh: loadStatus, every: 5000 };

/* ---- login ---- */

async function showApp() {
  $("#login").hidden = true;
  $("#nav").hidden = false;
  $("#logout").hidden = false;
  connectLive();
  route = { page: null };
  await render();
}

async function showLogin() {
  disconnectLive();
  if (refreshTimer) { clearInterval(refreshTimer); refreshTimer = null; }
  csrf = null;
  for (const p of document.querySelectorAll(".page")) p.hidden = true;
  $("#nav").hidden = true;
  $("#logout").hidden = true;
  $("#login").hidden = false;
  $("#password").focus();
  if (location.protocol !== "http:") return;
  try {
    const info = await api("GET", "/api/info");
    if (info.https_port > 0) {
      const port = info.https_port === 443 ? "" : ":" + info.https_port;
      $("#https-link").href = "https://" + location.hostname + port + "/" + location.hash;
      $("#fingerprint").textContent = info.fingerprint;
      $("#cleartext").hidden = false;
    }
  } catch (e) { /* the warning needs the port; without it, none */ }
}

async function start() {
  settingsForms();
  deviceActions();
  for (const id of ["#dev-filter", "#dev-sort", "#dev-online"]) {
    $(id).addEventListener("input", () => { devView.sig = ""; drawDevices(); });
  }
  window.addEventListener("hashchange", render);
  $("#login-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("#login-error").textContent = "";
    try {
      const r = await api("POST", "/api/login", { password: $("#password").value });
      csrf = r.csrf;
      $("#password").value = "";
      await showApp();
    } catch (e) {
      $("#login-error").textContent = e.message;
    }
  });
  $("#logout").addEventListener("click", async () => {
    try { await api("POST", "/api/logout"); } catch (e) { /* gone already */ }
    showLogin();
  });
  // Logged in or not, both are asked at once: a 401 for the clients
  // is dropped, the login page comes from the session's.
  if (parseRoute().page === "devices" || parseRoute().page === "device") {
    clientsEarly = fetch("/api/clients", { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : null));
  }
  try {
    csrf = (await api("GET", "/api/session")).csrf;
  } catch (e) {
    clientsEarly = null;
    showLogin();
    return;
  }
  await showApp();
}

document.addEventListener("DOMContentLoaded", start);
