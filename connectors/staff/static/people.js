// Call-backs (people waiting for a person), the audit trail, and the station's facts.
"use strict";
(function () {
  const C = window.Console, el = C.el;

  // --- call-backs ---
  function waitingRow(c) {
    const m = C.minutes(c.created_at);
    return el("tr", {"data-id": c.id, class: m >= 30 ? "late" : ""},
      el("td", {class: "num", text: `${m} 分钟`}),
      el("td", {}, C.phone(c.phone, c.elder_name || "")),
      el("td", {text: c.elder_name || "未登记"}),
      el("td", {text: c.channel_label}),
      el("td", {}, el("div", {text: c.reason_label || "要找人"}), c.said ? el("div", {class: "said", text: `“${c.said}”`}) : null),
      el("td", {text: C.time(c.created_at)}),
      el("td", {}, el("button", {type: "button", class: "primary", onclick: () => done(c)}, "已回电")));
  }
  function doneRow(c) {
    return el("tr", {"data-id": c.id},
      el("td", {text: C.time(c.handled_at)}), el("td", {text: c.handled_by || ""}),
      el("td", {text: c.elder_name || C.mask(c.phone)}), el("td", {text: c.note || ""}));
  }
  async function done(c) {
    const note = el("textarea", {name: "note", rows: "3", maxlength: "500", placeholder: "例如：已回电，帮他订了明天的午饭"});
    const ok = await C.ask({title: `已回电：${c.elder_name || C.mask(c.phone)}`, ok: "已回电",
      body: [el("label", {class: "block"}, "说了什么（简短写）", note)],
      submit: () => C.post(`/api/staff/callbacks/${c.id}/done`, {note: note.value.trim()})});
    if (ok) loadCallbacks();
  }
  async function loadCallbacks() {
    const box = document.getElementById("callbacks-open");
    try {
      const [open, handled] = await Promise.all([C.api("/api/staff/callbacks"), C.api("/api/staff/callbacks?status=done")]);
      const badge = document.getElementById("badge-callbacks");
      badge.hidden = !open.length; badge.textContent = String(open.length);
      box.replaceChildren(open.length ? el("table", {class: "list callbacks"},
        el("thead", {}, el("tr", {}, ["已等", "电话", "老人", "渠道", "原因", "请求时间", "操作"].map((h) => el("th", {text: h})))),
        el("tbody", {}, open.map(waitingRow))) : C.empty("现在没有人等回电。"));
      document.getElementById("callbacks-done").replaceChildren(handled.length ? el("table", {class: "list"},
        el("thead", {}, el("tr", {}, ["回电时间", "工作人员", "老人", "说明"].map((h) => el("th", {text: h})))),
        el("tbody", {}, handled.slice(0, 50).map(doneRow))) : C.empty("还没有回电记录。"));
    } catch (e) { C.fail(box, e); }
  }
  let callbackTimer = null;
  C.views.callbacks = {
    load: loadCallbacks,
    start() { clearInterval(callbackTimer); callbackTimer = setInterval(loadCallbacks, 15000); loadCallbacks(); },
    stop() { clearInterval(callbackTimer); },
  };

  // --- audit trail ---
  C.views.audit = {
    async load() {
      const box = document.getElementById("audit-list");
      try {
        const rows = await C.api("/api/staff/audit?limit=300");
        box.replaceChildren(rows.length ? el("table", {class: "list audit"},
          el("thead", {}, el("tr", {}, ["时间", "工作人员", "操作", "对象", "说明"].map((h) => el("th", {text: h})))),
          el("tbody", {}, rows.map((a) => el("tr", {},
            el("td", {}, el("time", {datetime: a.at, text: C.time(a.at)})), el("td", {text: a.actor}),
            el("td", {text: a.action_label}), el("td", {text: `${a.target_label}${a.target_id ? " #" + a.target_id : ""}`}),
            el("td", {text: a.detail}))))) : C.empty("还没有操作记录。"));
      } catch (e) { C.fail(box, e); }
    },
  };

  // --- station facts (the kb helper's API; labels come with it) ---
  C.views.station = {
    async load() {
      const form = document.getElementById("station-facts");
      try {
        const data = await C.api("/api/staff/station-facts");
        const fields = Object.keys(data.labels || data.facts || {});
        form.replaceChildren(
          ...fields.map((key) => {
            const value = data.facts[key] == null ? "" : String(data.facts[key]);
            const short = ["opening_hours", "hotline", "address"].includes(key);
            const input = short ? el("input", {name: key, value}) : el("textarea", {name: key, rows: "2"});
            if (!short) input.value = value;
            return el("label", {class: "block"}, (data.labels || {})[key] || key, input);
          }),
          el("p", {class: "muted", text: data.updated_by ? `最后修改：${data.updated_by} ${data.updated_at ? C.time(data.updated_at) : ""}` : "还没有人修改过"}),
          el("button", {type: "submit", class: "primary"}, "保存"),
          el("span", {role: "status", id: "station-status"}));
        form.onsubmit = async (ev) => {
          ev.preventDefault();
          const facts = Object.fromEntries(new FormData(form));
          try {
            await C.api("/api/staff/station-facts", {method: "PUT", body: JSON.stringify(facts)});
            document.getElementById("station-status").textContent = "已保存";
          } catch (e) { document.getElementById("station-status").textContent = e.message; }
        };
      } catch (e) { C.fail(form, e); }
    },
  };
})();
