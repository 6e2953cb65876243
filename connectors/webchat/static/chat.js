// WeChat-style chat: text and voice messages to /api/chat, replies with sources.
"use strict";
const log = document.getElementById("log");
const quick = document.getElementById("quick");
const input = document.getElementById("text");
// Who is chatting is kept by the server in an HttpOnly session cookie.

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
    if (m.text) addBubble(ok ? "bot" : "error", m.text, m.citations);
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
      body: JSON.stringify({text: text, channel: "web"}),
    });
    const body = await r.json();
    if (r.status === 422 || r.status === 429 || r.status === 413) addBubble("error", typeof body.detail === "string" ? body.detail : "消息有问题，请再试一次。");
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

// Voice messages: capture 16 kHz PCM with Web Audio, send it as a WAV file.
function wavFile(chunks, rate) {
  const length = chunks.reduce((n, c) => n + c.length, 0);
  const view = new DataView(new ArrayBuffer(44 + length * 2));
  const text = (at, s) => [...s].forEach((ch, i) => view.setUint8(at + i, ch.charCodeAt(0)));
  text(0, "RIFF"); view.setUint32(4, 36 + length * 2, true); text(8, "WAVEfmt ");
  view.setUint32(16, 16, true); view.setUint16(20, 1, true); view.setUint16(22, 1, true);
  view.setUint32(24, rate, true); view.setUint32(28, rate * 2, true);
  view.setUint16(32, 2, true); view.setUint16(34, 16, true); text(36, "data");
  view.setUint32(40, length * 2, true);
  let at = 44;
  for (const chunk of chunks) for (const x of chunk) {
    view.setInt16(at, Math.max(-1, Math.min(1, x)) * 0x7fff, true); at += 2;
  }
  return new Blob([view], {type: "audio/wav"});
}

let recording = null;
document.getElementById("voice").addEventListener("click", async (ev) => {
  const button = ev.currentTarget;
  if (recording) { recording.stop(); return; }
  if (!navigator.mediaDevices) { addBubble("error", "这个浏览器不能录音，请打字。"); return; }
  const stream = await navigator.mediaDevices.getUserMedia({audio: true});
  const ctx = new AudioContext({sampleRate: 16000});
  const source = ctx.createMediaStreamSource(stream);
  const node = ctx.createScriptProcessor(4096, 1, 1);
  const chunks = [];
  node.onaudioprocess = (e) => chunks.push(new Float32Array(e.inputBuffer.getChannelData(0)));
  source.connect(node); node.connect(ctx.destination);
  button.classList.add("recording");
  recording = {stop: async () => {
    recording = null;
    button.classList.remove("recording");
    node.disconnect(); source.disconnect(); stream.getTracks().forEach((t) => t.stop());
    await ctx.close();
    const form = new FormData();
    form.append("audio", wavFile(chunks, 16000), "voice.wav");
    const r = await fetch("/api/chat/voice", {method: "POST", body: form});
    const body = await r.json().catch(() => ({}));
    if (body.heard) addBubble("user", "🎤 " + body.heard);
    if (body.messages) render(body, r.ok);
    else addBubble("error", typeof body.detail === "string" ? body.detail : "没听清，请再说一次或打字。");
  }};
});

async function checkInbox() {
  try {
    const r = await fetch("/api/chat/inbox");
    if (r.ok) for (const m of (await r.json()).messages) addBubble("bot", "【提醒】" + m.text);
  } catch (e) { /* offline: try again next time */ }
}
setInterval(checkInbox, 30000);
checkInbox();

addBubble("bot", "您好！我是长者服务助手。可以帮您订餐、问政策、紧急求助，也可以找工作人员。");
