// Gatekeeper's web page. Every string from the network (host names,
// DNS names, vendors) is set with textContent, never as HTML.
"use strict";

let csrf = null;

function $(sel) { return document.querySelector(sel); }

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
    throw err;
  }
  return data;
}

function cell(tr, text) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "-" : String(text);
  tr.appendChild(td);
  return td;
}

function bytes(n) {
  if (typeof n !== "number") return "-";
  const u = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1000 && i < u.length - 1) { n /= 1000; i++; }
  return (i ? n.toFixed(1) : n) + " " + u[i];
}

function duration(s) {
  if (typeof s !== "number") return "-";
  s = Math.floor(s);
  if (s >= 86400) return Math.floor(s / 86400) + "d " + Math.floor(s % 86400 / 3600) + "h";
  if (s >= 3600) return Math.floor(s / 3600) + "h " + Math.floor(s % 3600 / 60) + "m";
  if (s >= 60) return Math.floor(s / 60) + "m " + (s % 60) + "s";
  return s + "s";
}

function rows(table, list, fill) {
  const tb = $(table + " tbody");
  tb.replaceChildren();
  for (const item of list || []) {
    const tr = document.createElement("tr");
    fill(tr, item);
    tb.appendChild(tr);
  }
}

function delButton(tr, label, onclick) {
  const td = document.createElement("td");
  const b = document.createElement("button");
  b.type = "button";
  b.className = "link";
  b.textContent = "Remove";
  b.setAttribute("aria-label", label);
  b.addEventListener("click", onclick);
  td.appendChild(b);
  tr.appendChild(td);
}

async function loadStatus() {
  const st = await api("GET", "/api/status");
  const dl = $("#router");
  dl.replaceChildren();
  const add = (k, v) => {
    const dt = document.createElement("dt"); dt.textContent = k;
    const dd = document.createElement("dd"); dd.textContent = v || "-";
    dl.append(dt, dd);
  };
  add("WAN", (st.wan.ifname || "") + " " + (st.wan.address || "no address"));
  add("LAN", (st.lan.ifname || "") + " " + (st.lan.address || "no address"));
  add("Version", st.version);
  rows("#daemons", st.daemons, (tr, d) => {
    cell(tr, d.name); cell(tr, d.state); cell(tr, d.restarts); cell(tr, duration(d.uptime));
  });
}

async function loadDevices() {
  const c = await api("GET", "/api/clients");
  rows("#devices", c.clients, (tr, d) => {
    cell(tr, d.hostname || "(no name)"); cell(tr, d.ip); cell(tr, d.mac);
    cell(tr, d.static ? "reserved" : d.state);
    cell(tr, bytes(d.bytes_up)); cell(tr, bytes(d.bytes_down));
  });
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
    cell(tr, d.proto); cell(tr, d.wan_port); cell(tr, d.ip + ":" + d.port); cell(tr, d.source);
    if (d.source !== "config") {
      delButton(tr, "Remove the forward of " + d.proto + " " + d.wan_port, async () => {
        await api("DELETE", "/api/forwards/" + d.proto + "/" + d.wan_port);
        loadForwards();
      });
    } else {
      cell(tr, "in gatekeeper.conf");
    }
  });
}

function formSubmit(sel, build, after) {
  const form = $(sel);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const err = form.querySelector(".error");
    err.textContent = "";
    try {
      await api("POST", form.dataset.path, build(new FormData(form)));
      form.reset();
      after();
    } catch (e) {
      err.textContent = e.message;
    }
  });
}

async function showApp() {
  $("#login").hidden = true;
  $("#app").hidden = false;
  $("#logout").hidden = false;
  await Promise.all([loadStatus(), loadDevices(), loadLeases(), loadForwards()]);
}

async function showLogin() {
  $("#app").hidden = true;
  $("#logout").hidden = true;
  $("#login").hidden = false;
  $("#password").focus();
  if (location.protocol !== "http:") return;
  try {
    const info = await api("GET", "/api/info");
    if (info.https_port > 0) {
      const port = info.https_port === 443 ? "" : ":" + info.https_port;
      $("#https-link").href = "https://" + location.hostname + port + "/";
      $("#fingerprint").textContent = info.fingerprint;
      $("#cleartext").hidden = false;
    }
  } catch (e) { /* the warning needs the port; without it, none */ }
}

async function start() {
  $("#lease-form").dataset.path = "/api/leases";
  $("#forward-form").dataset.path = "/api/forwards";
  formSubmit("#lease-form", (f) => ({ mac: f.get("mac"), ip: f.get("ip"), name: f.get("name") || undefined }), loadLeases);
  formSubmit("#forward-form", (f) => ({
    proto: f.get("proto"), wan_port: Number(f.get("wan_port")), ip: f.get("ip"),
    port: f.get("port") ? Number(f.get("port")) : undefined,
  }), loadForwards);
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
    csrf = null;
    showLogin();
  });
  try {
    csrf = (await api("GET", "/api/session")).csrf;
    await showApp();
  } catch (e) {
    showLogin();
  }
}

document.addEventListener("DOMContentLoaded", start);
