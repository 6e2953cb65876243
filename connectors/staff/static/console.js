// Staff console: login, cited policy search, and live lists of the station's records.
"use strict";
const $ = (sel) => document.querySelector(sel);

async function api(path, options, loggingIn) {
  const r = await fetch(path, Object.assign({headers: {"Content-Type": "application/json"}}, options));
  if (r.status === 401 && !loggingIn) { showLogin(); throw new Error("login"); }
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(typeof body.detail === "string" ? body.detail : "请求失败");
  return body;
}

function showLogin() { $("#login-view").hidden = false; $("#console-view").hidden = true; }
function showConsole(name) {
  $("#login-view").hidden = true; $("#console-view").hidden = false; $("#who").textContent = name;
}

$("#login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const form = new FormData(ev.target);
  try {
    const body = await api("/api/staff/login", {method: "POST", body: JSON.stringify(Object.fromEntries(form))}, true);
    showConsole(body.staff);
  } catch (e) { $("#login-error").textContent = e.message; }
});
$("#logout").addEventListener("click", async () => { await api("/api/staff/logout", {method: "POST"}); showLogin(); });

for (const button of document.querySelectorAll("nav button")) {
  button.addEventListener("click", () => {
    document.querySelectorAll("nav button").forEach((b) => b.classList.toggle("active", b === button));
    document.querySelectorAll(".tab").forEach((t) => { t.hidden = t.id !== "tab-" + button.dataset.tab; });
    const list = document.querySelector("#tab-" + button.dataset.tab + " .list");
    if (list) loadList(list);
  });
}

function highlight(text, words) {
  const span = document.createElement("p");
  let html = text.replace(/[&<>]/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;"}[c]));
  for (const w of words || []) {
    if (!w) continue;
    const safe = w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/[&<>]/g, "");
    html = html.replace(new RegExp(safe, "g"), "<mark>$&</mark>");
  }
  span.innerHTML = html;
  return span;
}

$("#search").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const form = new FormData(ev.target);
  const params = new URLSearchParams({q: form.get("q"), k: "5"});
  if (form.get("region")) params.set("region", form.get("region"));
  const out = $("#search-results");
  out.replaceChildren();
  try {
    const body = await api("/api/staff/search?" + params);
    if (body.abstained) out.append(Object.assign(document.createElement("p"), {textContent: "文件里没有找到可靠的答案，请联系上级部门确认。"}));
    for (const hit of body.results || body.hits || []) {
      const box = document.createElement("div");
      box.className = "hit";
      const h = document.createElement("h3");
      h.textContent = hit.title + (hit.status === "draft" ? "（征求意见稿）" : "");
      if (hit.status === "draft") h.className = "draft";
      const meta = document.createElement("div");
      meta.className = "meta";
      meta.textContent = [hit.issuer, hit.doc_number, hit.date, hit.section, "得分 " + Number(hit.score).toFixed(3)].filter(Boolean).join(" · ");
      box.append(h, meta, highlight(hit.text, hit.matched_terms || hit.highlights));
      out.append(box);
    }
  } catch (e) { if (e.message !== "login") out.textContent = e.message; }
});

function cell(value) {
  if (value === null || value === undefined) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

async function loadList(container) {
  container.replaceChildren();
  try {
    const body = await api(container.dataset.src);
    const rows = Array.isArray(body) ? body : (body.items || []);
    if (!rows.length) { container.textContent = "暂无记录"; return; }
    const table = document.createElement("table");
    const keys = Object.keys(rows[0]);
    table.append(...[keys, ...rows.map((r) => keys.map((k) => r[k]))].map((values, i) => {
      const tr = document.createElement("tr");
      for (const v of values) tr.append(Object.assign(document.createElement(i ? "td" : "th"), {textContent: i ? cell(v) : v}));
      return tr;
    }));
    container.append(table);
  } catch (e) { if (e.message !== "login") container.textContent = e.message; }
}

$("#broadcast").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const form = new FormData(ev.target);
  const body = {body: form.get("body"), channels: form.getAll("channels")};
  try {
    const created = await api("/api/staff/broadcasts", {method: "POST", body: JSON.stringify(body)});
    $("#broadcast-result").textContent = "已安排发送（编号 " + created.id + "）";
    loadList(document.querySelector("#tab-broadcasts .list"));
  } catch (e) { if (e.message !== "login") $("#broadcast-result").textContent = e.message; }
});

api("/api/staff/me").then((b) => showConsole(b.staff)).catch(() => {});
