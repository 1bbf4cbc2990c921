// bench/web's browser figures (run by bench/web/run): Debian's chromium
// driven by playwright-core, times from Chromium's performance API.
//   first paint         the login page's first-contentful-paint entry
//   device list         from navigation start of the logged-in page to
//                       the mark "gk-devices-listed" (every row in the
//                       page), and to "gk-devices-painted" (the frame
//                       after: the rows painted; the network's chart is
//                       made after it)
//   open a device       from a click on its name in the list (the click
//                       event's time stamp) to its day's chart drawn
//   a day's chart       from a click on "Day" (the event's time stamp)
//                       to the history drawn
//   zoom to 1 minute    from a click on "1 min" to the history drawn
// Each the median of RUNS. Prints one line per figure with its target,
// and where the time went (Resource Timing): when /api/session's and
// /api/clients' answers had arrived, before the list was drawn; for the
// zoom and the day, /api/traffic's request from start to its last byte.
"use strict";
const { chromium } = require("playwright-core");
const [base, password, device, runsArg] = process.argv.slice(2);
const RUNS = Number(runsArg || 5);

function median(a) { a = a.slice().sort((x, y) => x - y); return a[Math.floor((a.length - 1) / 2)]; }

// ms from the click to the chart drawn, and the /api/traffic request's
// own duration (from its start to its last byte).
async function drawnAfterClick(page, selector) {
  const n = Number(await page.getAttribute("#dv-hist", "data-loaded") || 0);
  await page.evaluate(() => document.addEventListener("click", (e) => { window.gkClickT = e.timeStamp; }, { capture: true, once: true }));
  await page.click(selector);
  await page.waitForFunction((n) => Number(document.querySelector("#dv-hist").dataset.loaded || 0) > n, n);
  return page.evaluate(() => {
    // From the click event (what the admin did), not from the driver's
    // call: its checks before clicking are no part of the page's time.
    const t = window.gkClickT;
    const drawn = performance.getEntriesByType("mark").filter((e) => e.name.startsWith("gk-history-drawn-")).pop().startTime;
    const req = performance.getEntriesByType("resource").filter((e) => e.name.includes("/api/traffic?") && e.startTime >= t).pop();
    return { drawn: drawn - t, api: req ? req.responseEnd - req.startTime : NaN,
      rows: Number(document.querySelector("#dv-hist").dataset.rows || NaN) };
  });
}

// The value of expr (a JavaScript expression) in the page once it is
// truthy, asked over a raw CDP session every 20 ms. The loads measured
// wait this way: Playwright's waitForSelector and waitForFunction first
// evaluate Playwright's own script in the page, about 50 ms of the
// page's main thread on this VM (a trace showed it between the list
// and its paint), and poll in every frame.
async function until(cdp, expr, ms) {
  const end = Date.now() + (ms || 30000);
  for (;;) {
    let v = null;
    try {
      v = (await cdp.send("Runtime.evaluate", { expression: expr, returnByValue: true })).result.value;
    } catch (e) { /* the page is between documents */ }
    if (v) return v;
    if (Date.now() > end) throw new Error("timed out waiting for " + expr);
    await new Promise((r) => setTimeout(r, 20));
  }
}
const MARK = (name) => `(performance.getEntriesByName("${name}")[0] || {}).startTime`;
const FCP_SHOWN = `document.querySelector("#login") && !document.querySelector("#login").hidden && ${MARK("first-contentful-paint")}`;

// Logs in on the login page, and waits for the list to be done (a
// reload while the page still draws waits for it: the reload's own time
// would include that work).
async function logInAndSettle(page, cdp) {
  await page.fill("#password", password);
  await page.click("#login-form button[type=submit]");
  await page.waitForSelector("#page-devices:not([hidden])");
  await until(cdp, MARK("gk-devices-painted"));
  await page.waitForTimeout(500);
}

// A page of ctx, logged in, on the device list.
async function loggedIn(ctx) {
  const page = await ctx.newPage();
  await page.goto(base + "/");
  await page.waitForSelector("#login:not([hidden])");
  await page.fill("#password", password);
  await page.click("#login-form button[type=submit]");
  await page.waitForSelector("#page-devices:not([hidden])");
  return page;
}

// Screenshots of the list of 50 and of a device's day, into dir, after
// ten seconds of live frames (what an admin sees a moment after opening).
async function shots(browser, dir) {
  const path = require("path");
  for (const [name, opts] of [["", { viewport: { width: 1280, height: 900 } }],
    ["-dark", { viewport: { width: 1280, height: 900 }, colorScheme: "dark" }],
    ["-phone", { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true }]]) {
    const ctx = await browser.newContext(opts);
    const page = await loggedIn(ctx);
    await page.waitForSelector("#devices tbody tr");
    await page.waitForTimeout(10000);
    // the phone's whole list (its cards below the first screen, whose
    // sparklines are drawn once a second, not with every frame)
    await page.screenshot({ path: path.join(dir, "bench-devices" + name + ".png"), fullPage: name === "-phone" });
    await page.click(`#devices tr[data-key="${device}"] td.name a`);
    await page.waitForFunction(() => Number(document.querySelector("#dv-hist").dataset.loaded || 0) > 0);
    await page.waitForTimeout(3000);
    await page.screenshot({ path: path.join(dir, "bench-device" + name + ".png"), fullPage: true });
    await ctx.close();
  }
}

async function profileList(browser) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await loggedIn(ctx);
  const cdp = await ctx.newCDPSession(page);
  await until(cdp, MARK("gk-devices-painted"));
  await page.waitForTimeout(500);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 100 });
  await cdp.send("Profiler.start");
  await page.reload({ waitUntil: "commit" });
  const listed = await until(cdp, MARK("gk-devices-listed"));
  const { profile } = await cdp.send("Profiler.stop");
  await ctx.close();
  const per = new Map(), dt = (profile.endTime - profile.startTime) / 1000 / Math.max(1, profile.samples.length);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const id of profile.samples) {
    const f = byId.get(id).callFrame;
    const key = (f.functionName || "(anonymous)") + " " + (f.url ? f.url.replace(/^.*\//, "") + ":" + (f.lineNumber + 1) : "");
    per.set(key, (per.get(key) || 0) + dt);
  }
  return { listed, top: [...per].filter(([k]) => !/^\(idle\)/.test(k)).sort((a, b) => b[1] - a[1]).slice(0, 10) };
}

// Where the time of a load goes on the page's main thread: a Chromium
// trace (devtools.timeline) of a fresh context's login page to its first
// paint, and of the logged-in page's reload to the painted list. Prints
// each navigation's timeline from its navigationStart: the network
// answers (request sent and finished), and the main thread's tasks of
// 2 ms or more (parse, style, layout, paint, scripts by file), the page's
// first paint and its own marks.
async function traceLoads(browser) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  const cdp = await ctx.newCDPSession(page);
  await browser.startTracing(page, { categories: ["devtools.timeline", "blink.user_timing", "loading", "v8", "disabled-by-default-devtools.timeline"] });
  await page.goto(base + "/", { waitUntil: "commit" });
  await until(cdp, FCP_SHOWN);
  await page.waitForTimeout(300);
  await logInAndSettle(page, cdp);
  await page.reload({ waitUntil: "commit" });
  await until(cdp, MARK("gk-devices-painted"));
  await page.waitForTimeout(200);
  const buf = await browser.stopTracing();
  await ctx.close();
  const ev = JSON.parse(buf.toString()).traceEvents;
  const navs = ev.filter((e) => e.name === "navigationStart" && e.args && e.args.data && /^http/.test(e.args.data.documentLoaderURL || "")).sort((a, b) => a.ts - b.ts);
  const urls = new Map(ev.filter((e) => e.name === "ResourceSendRequest").map((e) => [e.args.data.requestId, e.args.data.url]));
  const reqUrl = (id) => urls.get(id) || "?";
  const out = [];
  for (const [i, nav] of navs.entries()) {
    const end = i + 1 < navs.length ? navs[i + 1].ts : Infinity;
    const main = ev.filter((e) => e.pid === nav.pid && e.tid === nav.tid);
    const marks = main.filter((e) => e.ts >= nav.ts && e.ts < end &&
      (/^gk-devices/.test(e.name) || e.name === "firstContentfulPaint" || e.name === "domContentLoadedEventStart"));
    const last = marks.filter((e) => e.name === (i ? "gk-devices-painted" : "firstContentfulPaint")).map((e) => e.ts)[0] || nav.ts + 1e6;
    out.push((i ? "reload of the logged-in page" : "login page, fresh context") + " (ms from navigationStart):");
    const rows = [];
    for (const e of ev) {
      if (e.ts < nav.ts || e.ts > last) continue;
      const d = e.args && e.args.data;
      if (e.name === "ResourceSendRequest" && d && /^http/.test(d.url)) rows.push([e.ts, "  request  " + d.url.replace(/^https?:\/\/[^/]+/, "")]);
      else if (e.name === "ResourceFinish" && d && /^http/.test(reqUrl(d.requestId))) rows.push([e.ts, "  finished " + reqUrl(d.requestId).replace(/^https?:\/\/[^/]+/, "") + " (" + (d.encodedDataLength || 0) + " B)"]);
    }
    for (const e of main) {
      if (e.ph !== "X" || e.ts < nav.ts || e.ts > last || (e.dur || 0) < 2000) continue;
      if (e.name === "RunTask" || e.name === "ThreadControllerImpl::RunTask") continue;
      const d = e.args && (e.args.data || e.args.beginData) || {};
      const what = d.url ? " " + d.url.replace(/^.*\//, "") : d.functionName ? " " + d.functionName : "";
      rows.push([e.ts, "  main     " + e.name + what + " " + (e.dur / 1000).toFixed(1) + " ms"]);
    }
    for (const m of marks) rows.push([m.ts, "  mark     " + m.name]);
    rows.sort((a, b) => a[0] - b[0]);
    for (const [ts, text] of rows) out.push("    " + ((ts - nav.ts) / 1000).toFixed(1).padStart(7) + text);
  }
  return out;
}

(async () => {
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  const fig = { paint: [], list: [], painted: [], open: [], day: [], zoom: [], session: [], clients: [], dcl: [], zoomApi: [], dayApi: [] };
  let dayRows = 0;
  let rows = 0;
  for (let i = 0; i < RUNS; i++) {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    const cdp = await ctx.newCDPSession(page);
    await page.goto(base + "/", { waitUntil: "commit" });
    fig.paint.push(await until(cdp, FCP_SHOWN));
    await logInAndSettle(page, cdp);
    // The logged-in page loaded afresh: navigation start to the list.
    await page.reload({ waitUntil: "commit" });
    fig.painted.push(await until(cdp, MARK("gk-devices-painted")));
    fig.list.push(await until(cdp, MARK("gk-devices-listed")));
    const ends = await page.evaluate(() => {
      const end = (p) => { const e = performance.getEntriesByType("resource").find((x) => x.name.endsWith(p)); return e ? e.responseEnd : NaN; };
      return [end("/api/session"), end("/api/clients"), performance.getEntriesByType("navigation")[0].domContentLoadedEventStart];
    });
    fig.session.push(ends[0]); fig.clients.push(ends[1]); fig.dcl.push(ends[2]);
    rows = await page.locator("#devices tbody tr").count();
    // Open the device from the list: the click to its day drawn.
    await page.evaluate(() => document.addEventListener("click", (e) => { window.gkClickT = e.timeStamp; }, { capture: true, once: true }));
    await page.click(`#devices tr[data-key="${device}"] td.name a`);
    await page.waitForFunction(() => Number(document.querySelector("#dv-hist").dataset.loaded || 0) > 0);
    fig.open.push(await page.evaluate(() => performance.getEntriesByName("gk-history-drawn-1")[0].startTime - window.gkClickT));
    const z = await drawnAfterClick(page, "#page-device [data-span='60000']");
    const d = await drawnAfterClick(page, "#page-device [data-span='86400000']");
    fig.zoom.push(z.drawn); fig.zoomApi.push(z.api);
    fig.day.push(d.drawn); fig.dayApi.push(d.api);
    dayRows = d.rows;
    await ctx.close();
  }
  // Where the page's own time goes: a CPU profile (Chromium's sampling
  // profiler, 100 us) of one more load of the device list, self time by
  // function, the top ten.
  const top = await profileList(browser);
  const trace = await traceLoads(browser).catch((e) => ["trace failed: " + e.message]);
  if (process.env.SHOTS) await shots(browser, process.env.SHOTS);
  await browser.close();
  const line = (name, v, target) => console.log("  " + name.padEnd(34) + median(v).toFixed(0).padStart(6) + " ms  (target <= " + target + " ms)" +
    (median(v) <= target ? "" : "  OVER") + "  [" + Math.min(...v).toFixed(0) + " to " + Math.max(...v).toFixed(0) + "]");
  console.log("browser (chromium, median of " + RUNS + "; " + rows + " devices listed):");
  line("first paint (login page)", fig.paint, 300);
  line("complete device list (every row in the page)", fig.list, 300);
  line("... and painted", fig.painted, 300);
  line("open a device: its day drawn", fig.open, 500);
  line("a device's full day chart", fig.day, 500);
  line("zoom to 1 minute", fig.zoom, 100);
  console.log("  each run (ms): first paint " + fig.paint.map((v) => v.toFixed(0)).join(" ") + "; list " + fig.list.map((v) => v.toFixed(0)).join(" ") +
    "; painted " + fig.painted.map((v) => v.toFixed(0)).join(" "));
  const ms = (v) => median(v).toFixed(0) + " ms";
  console.log("  where: the scripts ran (DOMContentLoaded) at " + ms(fig.dcl) + ", /api/session answered at " + ms(fig.session) + ", /api/clients at " + ms(fig.clients) +
    " (from navigation start); /api/traffic took " + ms(fig.dayApi) + " for the day (" + dayRows +
    " points), " + ms(fig.zoomApi) + " for the minute");
  console.log("  a profiled load (list at " + top.listed.toFixed(0) + " ms), self time by function:");
  for (const [k, v] of top.top) console.log("    " + v.toFixed(1).padStart(7) + " ms  " + k);
  console.log("  a traced load (Chromium trace, the main thread's tasks of 2 ms or more):");
  for (const l of trace) console.log("  " + l);
})().catch((e) => { console.error("bench/web/browser.js: " + e.message); process.exit(1); });
