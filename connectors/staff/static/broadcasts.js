// Anti-fraud broadcasts: compose, preview (text, voice, consenting recipients,
// quiet hours), schedule, then per-channel delivery counts.
"use strict";
(function () {
  const C = window.Console, el = C.el;
  const form = document.getElementById("broadcast");
  const planBox = document.getElementById("broadcast-plan");
  let audioUrl = null;

  function request() {
    const data = new FormData(form);
    const body = {body: (data.get("body") || "").trim(), channels: data.getAll("channels")};
    if (data.get("when") === "later") {
      if (!data.get("at")) throw new Error("请选好发送时间");
      body.scheduled_at = C.stationIso(data.get("at"));
    }
    if (!body.body) throw new Error("请先写提醒内容");
    if (!body.channels.length) throw new Error("请至少选一种发送方式");
    return body;
  }
  function quietNote() {
    const q = C.quietHours;
    document.getElementById("quiet-note").textContent = q
      ? `休息时间 ${q.replace("-", " 到 ")}：这段时间不打电话、不发短信；定在这段时间的提醒会等休息时间结束再发。网上聊天不受影响。`
      : "没有设置休息时间。";
  }
  async function listen(text, button) {
    button.disabled = true;
    button.textContent = "正在合成语音…";
    try {
      const blob = await C.api("/api/staff/broadcasts/speech", {method: "POST", body: JSON.stringify({body: text})});
      if (audioUrl) URL.revokeObjectURL(audioUrl);
      audioUrl = URL.createObjectURL(blob);
      const player = document.getElementById("broadcast-audio");
      player.src = audioUrl;
      player.hidden = false;
      await player.play().catch(() => {});
      button.textContent = "再听一遍";
    } catch (e) { button.textContent = e.message; }
    finally { button.disabled = false; }
  }
  async function preview() {
    const result = document.getElementById("broadcast-result");
    result.textContent = "";
    let body;
    try { body = request(); } catch (e) { result.textContent = e.message; return; }
    try {
      const plan = await C.post("/api/staff/broadcasts/preview", body);
      const counts = plan.recipients.map((r) => `${r.label} ${r.count} 人`).join("，");
      const listenButton = el("button", {type: "button", onclick: (ev) => listen(body.body, ev.currentTarget)}, "▶ 听一听电话里怎么说");
      C.fill(planBox,
        el("h3", {text: "预览"}),
        el("p", {class: "label", text: "对方收到的内容："}),
        el("blockquote", {class: "read-out", id: "broadcast-text", text: plan.text}),
        el("p", {}, listenButton, " ", el("audio", {id: "broadcast-audio", controls: true, hidden: true})),
        el("p", {id: "broadcast-recipients", text: `同意接收的人：${counts}，共 ${plan.recipients_total} 人。`}),
        el("p", {id: "broadcast-when", class: plan.shifted ? "warn-text" : "", text: `发送时间：${plan.send_at_text}` + (plan.shifted ? "（在休息时间里，已顺延到休息时间结束）" : "")}),
        plan.recipients_total ? null : el("p", {class: "warn-text", text: "现在没有人同意接收这种提醒，发出去没人收到。"}),
        el("button", {type: "button", class: "primary", id: "broadcast-send", onclick: () => send(body)}, plan.shifted || body.scheduled_at ? "确认，定时发送" : "确认，马上发送"));
      planBox.hidden = false;
    } catch (e) { result.textContent = e.message; }
  }
  async function send(body) {
    const result = document.getElementById("broadcast-result");
    try {
      const created = await C.post("/api/staff/broadcasts", body);
      planBox.hidden = true;
      result.textContent = `已安排：${C.time(created.scheduled_at)} 发出，共 ${created.plan.recipients_total} 人（编号 ${created.id}）。`;
      load();
    } catch (e) { result.textContent = e.message; }
  }
  form.addEventListener("input", () => { planBox.hidden = true; });
  document.getElementById("broadcast-preview").addEventListener("click", preview);
  form.addEventListener("submit", (ev) => { ev.preventDefault(); preview(); });

  function deliveries(b) {
    if (!b.by_channel.length) return b.status === "sent" ? "没有收件人" : "还没发";
    return b.by_channel.map((c) => `${c.label} ${c.total}：` + c.states.map((s) => `${s.label} ${s.count}`).join("，")).join("；");
  }
  async function load() {
    quietNote();
    const box = document.getElementById("broadcast-list");
    try {
      const rows = await C.api("/api/staff/broadcasts");
      box.replaceChildren(rows.length ? el("table", {class: "list broadcasts"},
        el("thead", {}, el("tr", {}, ["发送时间", "内容", "方式", "状态", "送达情况", "安排人"].map((h) => el("th", {text: h})))),
        el("tbody", {}, rows.map((b) => el("tr", {"data-id": b.id},
          el("td", {text: C.time(b.scheduled_at)}), el("td", {class: "text", text: b.body}),
          el("td", {text: b.channel_labels.join("、")}), el("td", {text: b.status_label}),
          el("td", {class: "deliveries", text: deliveries(b)}), el("td", {text: b.created_by || ""}))))) : C.empty("还没有安排过提醒。"));
    } catch (e) { C.fail(box, e); }
  }
  C.views.broadcasts = {load};
})();
