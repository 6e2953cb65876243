// Elder profiles: search by name or phone, create/edit, binding code with the
// sentence to read out, and delete after saying what goes and what stays.
"use strict";
(function () {
  const C = window.Console, el = C.el;
  const CONSENT = [["sms", "短信"], ["call", "电话"]];

  function row(e) {
    return el("tr", {"data-id": e.id},
      el("td", {}, el("b", {text: e.name}), e.verified ? null : el("span", {class: "tag warn", text: "未核实"})),
      el("td", {}, C.phone(e.phone || e.claimed_phone, e.name)),
      el("td", {text: e.station || ""}),
      el("td", {text: e.address || ""}),
      el("td", {text: (e.family_contacts || []).map((c) => c.relation || c.name).join("、")}),
      el("td", {class: "actions"},
        el("button", {type: "button", onclick: () => edit(e)}, "编辑"),
        el("button", {type: "button", onclick: () => binding(e)}, "绑定码"),
        el("button", {type: "button", class: "danger", onclick: () => remove(e)}, "删除")));
  }
  function field(label, name, value, attrs) {
    return el("label", {class: "field"}, label, el("input", Object.assign({name, value: value == null ? "" : value}, attrs || {})));
  }
  function contactRow(c) {
    const line = el("div", {class: "contact"},
      field("称呼", "c_name", c.name, {maxlength: "64", placeholder: "如 王强"}),
      field("关系", "c_relation", c.relation, {maxlength: "32", placeholder: "如 儿子"}),
      field("电话", "c_phone", c.phone, {maxlength: "32", inputmode: "tel"}));
    line.append(el("button", {type: "button", class: "link", onclick: () => line.remove()}, "删掉这位"));
    return line;
  }
  function profileForm(e) {
    const contacts = el("div", {class: "contacts"}, (e.family_contacts || []).map(contactRow));
    const consent = e.alert_consent || [];
    return [
      el("div", {class: "grid2"},
        field("姓名", "name", e.name, {required: true, maxlength: "64"}),
        field("电话", "phone", e.phone, {maxlength: "32", inputmode: "tel"}),
        field("驿站", "station", e.station, {maxlength: "128"}),
        field("地址", "address", e.address, {maxlength: "256"}),
        field("饮食要求", "diet_notes", e.diet_notes, {maxlength: "256", placeholder: "如 糖尿病，少糖"})),
      el("fieldset", {}, el("legend", {text: "家属联系人"}), contacts,
        el("button", {type: "button", onclick: () => contacts.append(contactRow({}))}, "加一位家属")),
      el("fieldset", {}, el("legend", {text: "设置"}),
        el("label", {}, el("input", {type: "checkbox", name: "elder_mode", checked: e.elder_mode !== false}), " 长者模式（说话慢一点、字大一点）"),
        el("label", {}, el("input", {type: "checkbox", name: "verified", checked: e.verified !== false}), " 已核实身份")),
      el("fieldset", {}, el("legend", {text: "同意接收防诈提醒（老人本人同意才勾）"}),
        CONSENT.map(([value, label]) => el("label", {}, el("input", {type: "checkbox", name: "alert_consent", value, checked: consent.includes(value)}), " " + label))),
    ];
  }
  function readForm(form) {
    const data = new FormData(form);
    const names = data.getAll("c_name"), relations = data.getAll("c_relation"), phones = data.getAll("c_phone");
    const family = names.map((name, i) => ({name: name.trim(), relation: relations[i].trim(), phone: phones[i].trim()}))
      .filter((c) => c.name || c.phone);
    const text = (k) => (data.get(k) || "").trim() || null;
    return {name: (data.get("name") || "").trim(), phone: text("phone"), station: text("station"), address: text("address"),
      diet_notes: text("diet_notes"), family_contacts: family, elder_mode: data.has("elder_mode"), verified: data.has("verified"),
      alert_consent: data.getAll("alert_consent")};
  }
  async function edit(e) {
    const full = e.id ? await C.api(`/api/staff/elders/${e.id}`) : e;
    const saved = await C.ask({title: e.id ? `编辑档案：${full.name}` : "新建老人档案", ok: "保存", body: profileForm(full),
      submit: (form) => e.id ? C.api(`/api/staff/elders/${e.id}`, {method: "PATCH", body: JSON.stringify(readForm(form))})
        : C.post("/api/staff/elders", readForm(form))});
    if (!saved) return;
    document.getElementById("elder-q").value = saved.name;
    await load();
    if (!e.id) binding(saved, true);
  }
  function codeBody(e) {
    return [el("p", {class: "code", "aria-label": "绑定码"}, e.binding_code),
      el("p", {text: "请把下面这段话念给家属听："}),
      el("blockquote", {class: "read-out", text: e.binding_sentence}),
      el("p", {class: "muted", text: "换新码以后，旧码马上作废；已经绑好的家属不受影响。"})];
  }
  async function binding(e, fresh) {
    let current = fresh ? e : await C.api(`/api/staff/elders/${e.id}`);
    if (!current.binding_code) current = await C.post(`/api/staff/elders/${e.id}/binding-code`);
    const renewed = await C.ask({title: `${current.name}的绑定码`, ok: "换一个新码", body: codeBody(current),
      submit: () => C.post(`/api/staff/elders/${e.id}/binding-code`)});
    if (renewed) {
      await C.ask({title: `${renewed.name}的新绑定码`, ok: "好了", body: codeBody(renewed), submit: async () => true});
      load();
    }
  }
  async function remove(e) {
    const what = await C.api(`/api/staff/elders/${e.id}/deletion`);
    const done = await C.ask({title: `删除${e.name}的档案？`, ok: "确认删除", danger: true,
      body: [el("p", {text: "会删除："}), el("ul", {}, what.removes.map((r) => el("li", {text: r}))),
        what.keeps.length ? el("p", {text: "会保留（不再显示姓名）："}) : null,
        what.keeps.length ? el("ul", {}, what.keeps.map((k) => el("li", {text: k}))) : null,
        el("p", {class: "danger-text", text: "删除后不能恢复。"})],
      submit: () => C.api(`/api/staff/elders/${e.id}`, {method: "DELETE"})});
    if (done) load();
  }
  async function load() {
    const box = document.getElementById("elder-list");
    const q = document.getElementById("elder-q").value.trim();
    try {
      const rows = await C.api("/api/staff/elders?q=" + encodeURIComponent(q));
      box.replaceChildren(rows.length ? el("table", {class: "list elders"},
        el("thead", {}, el("tr", {}, ["姓名", "电话", "驿站", "地址", "家属", "操作"].map((h) => el("th", {text: h})))),
        el("tbody", {}, rows.map(row))) : C.empty(q ? "没有找到，换个名字或号码试试。" : "还没有档案。"));
    } catch (err) { C.fail(box, err); }
  }
  document.getElementById("elder-search").addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
  document.getElementById("elder-new").addEventListener("click", () => edit({elder_mode: true, verified: true, family_contacts: [{}]}));
  C.views.elders = {load};
})();
