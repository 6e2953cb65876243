// The emergency board: polled every 2 s, an alarm (Web Audio, no files) and a
// flashing tab title while any emergency waits for someone to take it.
"use strict";
(function () {
  const C = window.Console, el = C.el;
  const POLL_MS = 2000;
  const TITLE = document.title;
  let timer = null, audio = null, beepTimer = null, flashTimer = null;
  // Tests and the page read this: whether the alarm is on and how often it beeped.
  const openTimelines = new Set();
  const alarm = (window.consoleAlarm = {on: false, beeps: 0, audible: false});

  C.unlockSound = () => {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === "suspended") audio.resume();
    } catch (e) { audio = null; }
  };
  function beep() {
    alarm.beeps += 1;
    if (!audio || audio.state !== "running") { alarm.audible = false; document.getElementById("sound-on").hidden = false; return; }
    alarm.audible = true;
    document.getElementById("sound-on").hidden = true;
    const now = audio.currentTime;
    for (const [i, freq] of [[0, 880], [1, 660], [2, 880]]) {
      const osc = audio.createOscillator(), gain = audio.createGain();
      osc.type = "square"; osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, now + i * 0.25);
      gain.gain.exponentialRampToValueAtTime(0.25, now + i * 0.25 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.25 + 0.22);
      osc.connect(gain).connect(audio.destination);
      osc.start(now + i * 0.25); osc.stop(now + i * 0.25 + 0.24);
    }
  }
  function setAlarm(on, count) {
    document.body.dataset.alarm = on ? "on" : "off";
    document.getElementById("alarm-banner").hidden = !on;
    if (on === alarm.on) return;
    alarm.on = on;
    clearInterval(beepTimer); clearInterval(flashTimer);
    document.title = TITLE;
    if (!on) return;
    beep();
    beepTimer = setInterval(beep, 2000);
    let flip = false;
    flashTimer = setInterval(() => {
      flip = !flip;
      document.title = flip ? `【紧急求助 ${count}】请确认接警` : TITLE;
    }, 1000);
  }
  document.getElementById("sound-on").addEventListener("click", () => { C.unlockSound(); beep(); });
  // Any click or key unlocks sound when the page was opened with a session already.
  for (const kind of ["click", "keydown"]) document.addEventListener(kind, () => { if (!audio || audio.state !== "running") C.unlockSound(); });

  function contacts(list) {
    if (!list || !list.length) return el("span", {class: "muted", text: "没有登记家属"});
    return el("ul", {class: "plain"}, list.map((c) => el("li", {},
      `${c.name || ""}${c.relation ? "（" + c.relation + "）" : ""} `, C.phone(c.phone, c.name))));
  }
  function who(card, recipient) {
    const family = ((card.elder && card.elder.family_contacts) || []).find((c) => c.phone === recipient);
    return family ? `${family.name}${family.relation ? "（" + family.relation + "）" : ""}` : "值班人员";
  }
  function alerts(card) {
    if (card.unalertable) {
      const why = card.events.find((e) => e.kind === "unalertable");
      const reason = why && why.detail ? why.detail.replace(/。$/, "") : "没能通知任何人";
      return el("p", {class: "danger-text", text: `${reason}。请马上打电话处理！`});
    }
    if (!card.alerts.length) return el("p", {class: "muted", text: "正在通知…"});
    return el("ul", {class: "plain alerts"}, card.alerts.map((a) => el("li", {},
      `${who(card, a.recipient)} ${a.channel_label} `, el("span", {class: "phone", text: C.mask(a.recipient)}), " ",
      el("span", {class: "state state-" + (a.status || ""), text: a.status_label}))));
  }
  function said(card) {
    if (card.keypad) return `${card.channel_label}：按了 ${card.utterance} 键`;
    return `${card.channel_label}里说：“${card.utterance}”`;
  }
  function timeline(card) {
    const details = el("details", {class: "timeline", open: openTimelines.has(card.id)}, el("summary", {text: `时间线（${card.events.length} 条）`}),
      el("ol", {}, card.events.map((ev) => el("li", {}, el("time", {datetime: ev.at, text: C.time(ev.at)}), " ", ev.text))));
    details.addEventListener("toggle", () => { if (details.open) openTimelines.add(card.id); else openTimelines.delete(card.id); });
    return details;
  }
  function cardNode(card) {
    const elder = card.elder;
    const taken = !!card.acknowledged_at;
    const red = card.unalertable || card.alarm;
    const node = el("article", {class: "card" + (red ? " red" : "") + (taken ? " taken" : " waiting"), "data-id": card.id, "aria-label": card.type_label + " " + (elder ? elder.name : "")},
      el("header", {},
        el("span", {class: "type", text: card.type_label}),
        el("span", {class: "status", text: taken ? `已确认 · ${card.acknowledged_by} · ${C.clock(card.acknowledged_at)}` : "待确认"}),
        el("span", {class: "since", title: C.time(card.created_at), text: `${C.ago(card.created_at)}求助（${C.time(card.created_at)}）`})),
      red ? el("p", {class: "red-note", text: card.unalertable ? "无人收到通知" : "通知一直发送失败"}) : null,
      el("dl", {},
        el("dt", {text: "老人"}), el("dd", {}, elder ? el("b", {text: elder.name}) : el("span", {class: "muted", text: "未登记的求助人"}), elder && elder.verified === false ? el("span", {class: "tag", text: "档案未核实"}) : null),
        el("dt", {text: "驿站"}), el("dd", {text: (elder && elder.station) || "未分配"}),
        el("dt", {text: "地址"}), el("dd", {text: (elder && elder.address) || card.location || "不知道"}),
        el("dt", {text: "电话"}), el("dd", {}, C.phone(card.caller_phone || (elder && elder.phone), "求助人")),
        el("dt", {text: "家属"}), el("dd", {}, contacts(elder && elder.family_contacts)),
        el("dt", {text: "求助内容"}), el("dd", {class: "said", text: said(card)}),
        el("dt", {text: "升级"}), el("dd", {text: taken ? `第 ${card.escalation_level} 级（已停止升级）` : `第 ${card.escalation_level} 级` + (card.next_escalation_at ? `，${C.clock(card.next_escalation_at)} 再升级` : "")}),
        el("dt", {text: "已通知"}), el("dd", {}, alerts(card))),
      timeline(card),
      el("div", {class: "actions"},
        taken ? null : el("button", {type: "button", class: "primary big ack", onclick: () => acknowledge(card)}, "确认接警"),
        el("button", {type: "button", class: "resolve", onclick: () => resolve(card)}, "处理完毕")));
    return node;
  }
  function closedRow(card) {
    const resolved = card.events.filter((e) => e.kind === "resolved").pop();
    return el("tr", {"data-id": card.id},
      el("td", {text: card.type_label}), el("td", {text: card.elder ? card.elder.name : "未登记"}),
      el("td", {text: C.time(card.created_at)}), el("td", {text: C.time(card.resolved_at)}),
      el("td", {text: resolved ? resolved.actor || "" : ""}), el("td", {text: resolved ? resolved.detail : ""}));
  }
  async function acknowledge(card) {
    try { await C.post(`/api/staff/emergencies/${card.id}/ack`); await load(); }
    catch (e) { C.fail(document.getElementById("board-open"), e); }
  }
  async function resolve(card) {
    const note = el("textarea", {name: "note", rows: "3", maxlength: "500", placeholder: "例如：已联系家属，送医院了"});
    const done = await C.ask({title: `处理完毕：${card.type_label}${card.elder ? " · " + card.elder.name : ""}`, ok: "处理完毕",
      body: [el("label", {class: "block"}, "怎么处理的（简短写）", note)],
      submit: () => C.post(`/api/staff/emergencies/${card.id}/resolve`, {note: note.value.trim()})});
    if (done) load();
  }
  let lastKey = "";
  async function load() {
    const openBox = document.getElementById("board-open"), closedBox = document.getElementById("board-closed");
    let board;
    try { board = await C.api("/api/staff/emergencies/board"); }
    catch (e) { if (e.message !== "login") document.getElementById("board-updated").textContent = "连接不上服务器，正在重试…"; return; }
    const waiting = board.open.filter((c) => !c.acknowledged_at).length;
    setAlarm(waiting > 0, waiting);
    const badge = document.getElementById("badge-board");
    badge.hidden = !board.open.length; badge.textContent = String(board.open.length);
    document.getElementById("board-updated").textContent = `（${C.clock(new Date().toISOString())} 更新）`;
    // Redraw only when something changed, so an open timeline or focus stays put.
    const key = JSON.stringify([board.open, board.closed.map((c) => c.id), C.minutes(new Date(0).toISOString())]);
    if (key === lastKey && openBox.childElementCount) return;
    lastKey = key;
    const focused = document.activeElement && document.activeElement.closest(".card");
    C.fill(openBox, ...(board.open.length ? board.open.map(cardNode) : [C.empty("现在没有待处理的紧急求助。")]));
    if (focused) { const again = openBox.querySelector(`.card[data-id="${focused.dataset.id}"] button`); if (again) again.focus(); }
    closedBox.replaceChildren(board.closed.length ? el("table", {class: "list closed"},
      el("thead", {}, el("tr", {}, ["类型", "老人", "求助时间", "处理完毕", "处理人", "处理说明"].map((h) => el("th", {text: h})))),
      el("tbody", {}, board.closed.map(closedRow))) : C.empty("还没有处理完毕的求助。"));
  }
  C.views.board = {
    load,
    start() { clearInterval(timer); timer = setInterval(load, POLL_MS); load(); },
    stop() { clearInterval(timer); setAlarm(false, 0); },
  };
})();
