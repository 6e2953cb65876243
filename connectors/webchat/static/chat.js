// WeChat-style chat: text and voice messages to /api/chat, replies with sources.
"use strict";
const log = document.getElementById("log");
const quick = document.getElementById("quick");
const input = document.getElementById("text");
const userId = localStorage.getItem("chat_user_id") ||
  "web-" + Math.random().toString(36).slice(2, 12);
localStorage.setItem("chat_user_id", userId);

function addBubble(who, text, citations) {
  const row = document.createElement("div");
  row.className = "row " + who;
  const bubble = document.createElement("div");
  bubble.className = "bubble";
  bubble.textContent = text;
  for (const c of citations || []) {
    const src = document.createElement("span");
    src.className = "source";
    src.textContent = "来源：" + [c.title, c.section].filter(Boolean).join(" · ") +
      (c.status === "draft" ? "（征求意见稿）" : "");
    bubble.appendChild(src);
  }
  row.appendChild(bubble);
  log.appendChild(row);
  log.scrollTop = log.scrollHeight;
}

function showButtons(buttons) {
  quick.replaceChildren();
  for (const b of buttons || []) {
    const btn = document.createElement("button");
    btn.type = "button";
    btn.textContent = b.title;
    btn.onclick = () => send(b.payload || b.title, b.title);
    quick.appendChild(btn);
  }
}

function render(body, ok) {
  for (const m of body.messages || []) {
    addBubble(ok ? "bot" : "error", m.text, m.citations);
    if (m.custom && m.custom.large_text) document.body.classList.add("large");
  }
  const last = (body.messages || []).slice(-1)[0];
  showButtons(last ? last.buttons : []);
}

async function send(text, shown) {
  if (!text.trim()) return;
  addBubble("user", shown || text);
  try {
    const r = await fetch("/api/chat", {
      method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({user_id: userId, text: text, channel: "web"}),
    });
    const body = await r.json();
    if (r.status === 422) addBubble("error", typeof body.detail === "string" ? body.detail : "消息有问题，请再试一次。");
    else render(body, r.ok);
  } catch (e) {
    addBubble("error", "网络断了，请稍后再试。");
  }
}

document.getElementById("composer").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const text = input.value;
  input.value = "";
  send(text);
});

document.getElementById("bigger").addEventListener("click", (ev) => {
  const on = document.body.classList.toggle("large");
  ev.target.setAttribute("aria-pressed", String(on));
});

// Voice messages: record, upload as WAV-in-webm to /api/chat/voice, show what was heard.
let recorder = null;
document.getElementById("voice").addEventListener("click", async (ev) => {
  const button = ev.currentTarget;
  if (recorder) { recorder.stop(); return; }
  if (!navigator.mediaDevices) { addBubble("error", "这个浏览器不能录音，请打字。"); return; }
  const stream = await navigator.mediaDevices.getUserMedia({audio: true});
  const chunks = [];
  recorder = new MediaRecorder(stream);
  recorder.ondataavailable = (e) => chunks.push(e.data);
  recorder.onstop = async () => {
    button.classList.remove("recording");
    stream.getTracks().forEach((t) => t.stop());
    recorder = null;
    const form = new FormData();
    form.append("user_id", userId);
    form.append("audio", new Blob(chunks, {type: chunks[0] ? chunks[0].type : "audio/webm"}), "voice.webm");
    const r = await fetch("/api/chat/voice", {method: "POST", body: form});
    const body = await r.json();
    if (body.heard) addBubble("user", "🎤 " + body.heard);
    if (body.messages) render(body, r.ok); else addBubble("error", body.detail || "没听清，请再说一次或打字。");
  };
  recorder.start();
  button.classList.add("recording");
});

addBubble("bot", "您好！我是长者服务助手。可以帮您订餐、问政策、紧急求助，也可以找工作人员。");
