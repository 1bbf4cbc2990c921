// bench/web's browser figures (run by bench/web/run): Debian's chromium
// driven by playwright-core, times from Chromium's performance API.
//   first paint         the login page's first-contentful-paint entry
//   device list         from navigation start of the logged-in page to
//                       the mark "gk-devices-listed" (every row drawn)
//   a day's chart       from a click on "Day" to the history drawn
//   zoom to 1 minute    from a click on "1 min" to the history drawn
// Each the median of RUNS. Prints one line per figure with its target.
"use strict";
const { chromium } = require("playwright-core");
const [base, password, device, runsArg] = process.argv.slice(2);
const RUNS = Number(runsArg || 5);

function median(a) { a = a.slice().sort((x, y) => x - y); return a[Math.floor((a.length - 1) / 2)]; }

async function drawnAfterClick(page, selector) {
  const n = Number(await page.getAttribute("#dv-hist", "data-loaded") || 0);
  const t = await page.evaluate(() => performance.now());
  await page.click(selector);
  await page.waitForFunction((n) => Number(document.querySelector("#dv-hist").dataset.loaded || 0) > n, n);
  return page.evaluate((t) => performance.getEntriesByType("mark")
    .filter((e) => e.name.startsWith("gk-history-drawn-")).pop().startTime - t, t);
}

(async () => {
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  const fig = { paint: [], list: [], day: [], zoom: [] };
  let rows = 0;
  for (let i = 0; i < RUNS; i++) {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    await page.goto(base + "/");
    await page.waitForSelector("#login:not([hidden])");
    fig.paint.push(await page.evaluate(() => {
      const e = performance.getEntriesByName("first-contentful-paint")[0];
      return e ? e.startTime : NaN;
    }));
    await page.fill("#password", password);
    await page.click("#login-form button[type=submit]");
    await page.waitForSelector("#page-devices:not([hidden])");
    // The logged-in page loaded afresh: navigation start to the list.
    await page.reload();
    await page.waitForFunction(() => performance.getEntriesByName("gk-devices-listed").length > 0);
    fig.list.push(await page.evaluate(() => performance.getEntriesByName("gk-devices-listed")[0].startTime));
    rows = await page.locator("#devices tbody tr").count();
    await page.goto(base + "/#/device/" + device);
    await page.waitForFunction(() => Number(document.querySelector("#dv-hist").dataset.loaded || 0) > 0);
    fig.zoom.push(await drawnAfterClick(page, "#page-device [data-span='60000']"));
    fig.day.push(await drawnAfterClick(page, "#page-device [data-span='86400000']"));
    await ctx.close();
  }
  await browser.close();
  const line = (name, v, target) => console.log("  " + name.padEnd(34) + median(v).toFixed(0).padStart(6) + " ms  (target <= " + target + " ms)" + (median(v) <= target ? "" : "  OVER"));
  console.log("browser (chromium, median of " + RUNS + "; " + rows + " devices listed):");
  line("first paint (login page)", fig.paint, 300);
  line("complete device list", fig.list, 300);
  line("a device's full day chart", fig.day, 500);
  line("zoom to 1 minute", fig.zoom, 100);
})().catch((e) => { console.error("bench/web/browser.js: " + e.message); process.exit(1); });
