// Staff console core: login, tabs, the JSON API, times in the station's zone,
// masked phones and one dialog. The views (board.js, meals.js, ...) register here.
"use strict";
const C = (window.Console = {views: {}, tz: "Asia/Shanghai", staff: ""});
const $ = (sel, root) => (root || document).querySelector(sel);

// el("button", {class: "x", onclick: f}, "text", child) — builds DOM without innerHTML.
C.el = function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
};
const el = C.el;

C.api = async function api(path, options, loggingIn) {
  const init = Object.assign({headers: {"Content-Type": "application/json"}}, options || {});
  const r = await fetch(path, init);
  if (r.status === 401 && !loggingIn) { showLogin(); throw new Error("login"); }
  if (r.status === 204) return {};
  const type = r.headers.get("content-type") || "";
  const body = type.includes("json") ? await r.json().catch(() => ({})) : await r.blob();
  if (!r.ok) {
    const detail = body && body.detail;
    if (Array.isArray(detail)) throw new Error(detail.map((d) => String(d.msg || "").replace(/^Value error, /, "")).join("；") || "填写的内容不对");
    throw new Error(typeof detail === "string" ? detail : "操作没有成功，请再试一次");
  }
  return body;
};
C.post = (path, body) => C.api(path, {method: "POST", body: JSON.stringify(body || {})});

// --- times: always the station's zone, YYYY-MM-DD HH:mm or "5 分钟前" ---
function parts(iso) {
  const fmt = new Intl.DateTimeFormat("zh-CN", {timeZone: C.tz, year: "numeric", month: "2-digit",
    day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23"});
  return Object.fromEntries(fmt.formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
}
C.time = (iso) => { if (!iso) return ""; const p = parts(iso); return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`; };
C.clock = (iso) => { if (!iso) return ""; const p = parts(iso); return `${p.hour}:${p.minute}`; };
C.minutes = (iso) => Math.max(0, Math.floor((Date.now() - new Date(iso).getTime()) / 60000));
C.ago = (iso) => {
  if (!iso) return "";
  const m = C.minutes(iso);
  if (m < 1) return "刚刚";
  if (m < 60) return m + " 分钟前";
  if (m < 24 * 60) return Math.floor(m / 60) + " 小时 " + (m % 60) + " 分钟前";
  return C.time(iso);
};
// A station-time "YYYY-MM-DDTHH:mm" as an ISO string with the station's offset.
C.stationIso = (local) => {
  const guess = new Date(local + ":00Z");
  const name = new Intl.DateTimeFormat("en-US", {timeZone: C.tz, timeZoneName: "longOffset"})
    .formatToParts(guess).find((p) => p.type === "timeZoneName").value;
  const offset = name === "GMT" ? "+00:00" : name.replace("GMT", "");
  return local + ":00" + offset;
};
C.today = () => { const p = parts(new Date().toISOString()); return `${p.year}-${p.month}-${p.day}`; };

// --- phones are masked until a person asks to see one ---
C.mask = (phone) => {
  const digits = String(phone || "");
  if (digits.length < 7) return digits.replace(/\d/g, "*");
  return digits.slice(0, digits.length - 8) + "****" + digits.slice(-4);
};
const revealed = new Set(); // numbers a person chose to see stay shown after a redraw
C.phone = function phone(number, label) {
  if (!number) return el("span", {class: "muted", text: "没有登记电话"});
  if (revealed.has(number)) return el("span", {class: "phone-box"}, el("a", {class: "phone", href: "tel:" + number, text: number}));
  const shown = el("span", {class: "phone", text: C.mask(number)});
  const button = el("button", {type: "button", class: "link", "aria-label": "显示完整号码" + (label ? "：" + label : ""), text: "显示号码"});
  button.addEventListener("click", () => {
    revealed.add(number);
    shown.replaceChildren(el("a", {href: "tel:" + number, text: number}));
    button.remove();
  });
  return el("span", {class: "phone-box"}, shown, " ", button);
};
// Replace a box's contents, skipping the nulls that conditional parts leave.
C.fill = (box, ...nodes) => box.replaceChildren(...nodes.flat(2).filter((n) => n !== null && n !== undefined && n !== false));
C.empty = (text) => el("p", {class: "empty", text});
C.fail = (box, e) => { if (e.message !== "login") box.replaceChildren(el("p", {class: "error", role: "alert", text: e.message})); };

// --- one modal dialog for notes, forms and confirmations ---
// C.ask({title, body: [nodes], ok: "确定", danger, submit: async (form) => {...}}) → resolves after submit.
C.ask = function ask(options) {
  const dialog = $("#dialog");
  $("#dialog-title").textContent = options.title;
  C.fill($("#dialog-body"), options.body);
  $("#dialog-error").textContent = "";
  const ok = $("#dialog-ok");
  ok.textContent = options.ok || "确定";
  ok.className = options.danger ? "danger" : "primary";
  return new Promise((resolve) => {
    const form = $("#dialog-form");
    const done = (value) => { form.onsubmit = null; $("#dialog-cancel").onclick = null; dialog.close(); resolve(value); };
    $("#dialog-cancel").onclick = () => done(null);
    dialog.oncancel = () => resolve(null);
    form.onsubmit = async (ev) => {
      ev.preventDefault();
      ok.disabled = true;
      try { done(await options.submit(form)); }
      catch (e) { if (e.message !== "login") $("#dialog-error").textContent = e.message; }
      finally { ok.disabled = false; }
    };
    dialog.showModal();
    const first = $("#dialog-body").querySelector("input, textarea, select");
    (first || ok).focus();
  });
};

// --- login and tabs ---
function showLogin() {
  $("#login-view").hidden = false; $("#console-view").hidden = true;
  for (const view of Object.values(C.views)) if (view.stop) view.stop();
  $("input[name=username]").focus();
}
async function showConsole(name) {
  C.staff = name;
  $("#login-view").hidden = true; $("#console-view").hidden = false; $("#who").textContent = name;
  try {
    const conf = await C.api("/api/staff/console-settings");
    C.tz = conf.timezone || C.tz; C.quietHours = conf.quiet_hours;
    $("#station-name").textContent = conf.station + " · 工作台";
  } catch (e) { /* keep the defaults */ }
  for (const view of Object.values(C.views)) if (view.start) view.start();
  openTab("board");
}
function openTab(name) {
  for (const b of document.querySelectorAll("#tabs button")) b.setAttribute("aria-selected", String(b.dataset.tab === name));
  for (const t of document.querySelectorAll(".tab")) t.hidden = t.id !== "tab-" + name;
  C.current = name;
  const view = C.views[name];
  if (view && view.load) view.load();
}
C.openTab = openTab;
for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => openTab(b.dataset.tab));
// Left/right arrows move between tabs, as in any tab list.
$("#tabs").addEventListener("keydown", (ev) => {
  if (ev.key !== "ArrowRight" && ev.key !== "ArrowLeft") return;
  const tabs = [...document.querySelectorAll("#tabs button")];
  const at = tabs.indexOf(document.activeElement);
  const next = tabs[(at + (ev.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
  next.focus(); openTab(next.dataset.tab);
});

$("#login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  if (C.unlockSound) C.unlockSound(); // a click: browsers allow sound from here on
  const form = new FormData(ev.target);
  try {
    const body = await C.api("/api/staff/login", {method: "POST", body: JSON.stringify(Object.fromEntries(form))}, true);
    $("#login-error").textContent = "";
    ev.target.reset();
    showConsole(body.staff);
  } catch (e) { $("#login-error").textContent = e.message; }
});
$("#logout").addEventListener("click", async () => {
  await C.api("/api/staff/logout", {method: "POST"}).catch(() => {});
  showLogin();
});

C.boot = () => C.api("/api/staff/me").then((b) => showConsole(b.staff)).catch(() => {});
window.addEventListener("DOMContentLoaded", C.boot);
