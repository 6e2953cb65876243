// WeChat-style chat: text and voice messages to /api/chat, replies with sources.
"use strict";
const log = document.getElementById("log");
const quick = document.getElementById("quick");
const input = document.getElementById("text");
// Who is chatting is kept by the server in an HttpOnly session cookie.

function sourceLine(c) {
  // 来源：《title》 section — tap to open the quoted passage under it.
  const box = document.createElement("div");
  box.className = "source-box";
  const line = document.createElement("button");
  line.type = "button";
  line.className = "source";
  line.setAttribute("aria-expanded", "false");
  line.textContent = "来源：《" + (c.title || "政策文件") + "》" + (c.section ? " " + c.section : "") +
    (c.status === "draft" ? "（征求意见稿）" : "");
  const quote = document.createElement("blockquote");
  quote.className = "quote";
  quote.hidden = true;
  quote.textContent = c.quote || "";
  const meta = [c.issuer, c.date].filter(Boolean).join(" · ");
  if (meta) {
    const small = document.createElement("span");
    small.className = "quote-meta";
    small.textContent = meta;
    quote.appendChild(small);
  }
  line.addEventListener("click", () => {
    quote.hidden = !quote.hidden;
    line.setAttribute("aria-expanded", String(!quote.hidden));
  });
  box.append(line, quote);
  return box;
}

function addBubble(who, text, citations) {
  const row = document.createElement("div");
  row.className = "row " + who;
  const bubble = document.createElement("div");
  bubble.className = "bubble";
  const words = document.createElement("span");
  words.textContent = text;
  bubble.appendChild(words);
  for (const c of citations || []) bubble.appendChild(sourceLine(c));
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
    if (m.custom && m.custom.large_text) setLarge(true);
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

// 大字 is remembered on this device (no personal data, so localStorage is fine).
const LARGE_KEY = "chat-large-text";
function setLarge(on) {
  document.body.classList.toggle("large", on);
  document.getElementById("bigger").setAttribute("aria-pressed", String(on));
  try { localStorage.setItem(LARGE_KEY, on ? "1" : "0"); } catch (e) { /* private mode */ }
}
document.getElementById("bigger").addEventListener("click", () => {
  setLarge(!document.body.classList.contains("large"));
});
try { if (localStorage.getItem(LARGE_KEY) === "1") setLarge(true); } catch (e) { /* private mode */ }

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

// One sentence a person can act on when a voice message fails; always offers typing.
function voiceFailure(status, detail) {
  const said = typeof detail === "string" ? detail.split(" (")[0].trim() : "";
  if (status === 413) return "录音太长了，请说短一点，或者直接打字。";
  if (said && said.includes("打字")) return said;
  if (status === 429) return "您发得太快了，请歇一会儿再说，或者直接打字。";
  return "这条语音没有发成功，请再说一次，或者直接打字。";
}

let recording = null;
document.getElementById("voice").addEventListener("click", async (ev) => {
  const button = ev.currentTarget;
  if (recording) { recording.stop(); return; }
  if (!navigator.mediaDevices || !window.AudioContext) { addBubble("error", "这个浏览器不能录音，请直接打字。"); return; }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({audio: true});
  } catch (e) {
    addBubble("error", "没能打开麦克风，请在浏览器里允许使用麦克风，或者直接打字。");
    return;
  }
  const ctx = new AudioContext({sampleRate: 16000});
  const source = ctx.createMediaStreamSource(stream);
  const node = ctx.createScriptProcessor(4096, 1, 1);
  const chunks = [];
  node.onaudioprocess = (e) => chunks.push(new Float32Array(e.inputBuffer.getChannelData(0)));
  source.connect(node); node.connect(ctx.destination);
  button.classList.add("recording");
  button.setAttribute("aria-pressed", "true");
  recording = {stop: async () => {
    recording = null;
    button.classList.remove("recording");
    button.setAttribute("aria-pressed", "false");
    node.disconnect(); source.disconnect(); stream.getTracks().forEach((t) => t.stop());
    await ctx.close();
    const form = new FormData();
    form.append("audio", wavFile(chunks, 16000), "voice.wav");
    let r, body;
    try {
      r = await fetch("/api/chat/voice", {method: "POST", body: form});
      body = await r.json().catch(() => ({}));
    } catch (e) {
      addBubble("error", "网络断了，语音没有发出去，请稍后再试或者直接打字。");
      return;
    }
    if (body.heard) addBubble("user", "（语音）" + body.heard);
    if (body.messages && body.messages.length) render(body, r.ok);
    else addBubble("error", voiceFailure(r.status, body.detail));
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
