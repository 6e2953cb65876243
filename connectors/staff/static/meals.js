// Meals: today's or tomorrow's orders by meal and station, the kitchen list,
// CSV export, delivered, cancel with a reason, and confirming by phone.
"use strict";
(function () {
  const C = window.Console, el = C.el;
  let day = null;

  function addDays(iso, n) {
    const d = new Date(iso + "T12:00:00Z"); d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  }
  function dayButtons() {
    const today = C.today();
    const box = document.getElementById("meal-days");
    box.replaceChildren(...[["今天", today], ["明天", addDays(today, 1)]].map(([label, value]) =>
      el("button", {type: "button", "aria-pressed": String(day === value), onclick: () => { day = value; load(); }}, label)));
    document.getElementById("meal-date").value = day;
    document.getElementById("meal-csv").href = "/api/staff/meals/export.csv?day=" + day;
  }
  document.getElementById("meal-date").addEventListener("change", (ev) => { if (ev.target.value) { day = ev.target.value; load(); } });

  function kitchen(view) {
    if (!view.kitchen.length) return C.empty("这一天还没有订餐。");
    return el("table", {class: "list kitchen"},
      el("thead", {}, el("tr", {}, ["餐次", "总份数", "用餐方式", "饮食要求"].map((h) => el("th", {text: h})))),
      el("tbody", {}, view.kitchen.map((k) => el("tr", {"data-meal": k.meal},
        el("th", {scope: "row", text: k.meal_label}),
        el("td", {class: "num total", text: String(k.portions)}),
        el("td", {}, k.by_mode.map((m) => el("div", {text: `${m.label}：${m.portions} 份`}))),
        el("td", {}, k.by_diet.map((d) => el("div", {text: `${d.diet}：${d.portions} 份`})))))));
  }
  function orderRow(o) {
    const cancelled = o.status === "cancelled";
    const elder = o.elder;
    return el("tr", {"data-id": o.id, class: cancelled ? "cancelled" : o.needs_confirmation ? "flag" : ""},
      el("td", {}, el("b", {text: elder ? elder.name : "没留名字"}),
        o.needs_confirmation ? el("div", {class: "tag warn", text: "未核实 · 请打电话确认"}) : null),
      el("td", {}, elder ? C.phone(elder.phone, elder.name) : ""),
      el("td", {text: (elder && elder.address) || ""}),
      el("td", {class: "num", text: String(o.count)}),
      el("td", {text: o.mode_label}),
      el("td", {text: o.diet_notes}),
      el("td", {}, el("span", {class: "state", text: o.status_label}),
        cancelled ? el("div", {class: "muted", text: `${o.cancelled_by || ""}：${o.cancel_reason || ""}`}) : null,
        o.delivered_at ? el("div", {class: "muted", text: `${o.delivered_by} ${C.clock(o.delivered_at)}`}) : null),
      el("td", {class: "actions"}, cancelled ? null : [
        o.needs_confirmation ? el("button", {type: "button", onclick: () => act(o, "confirm")}, "已电话确认") : null,
        o.delivered_at ? null : el("button", {type: "button", onclick: () => act(o, "delivered")}, o.service_mode === "delivery" ? "标记已送达" : "标记已用餐"),
        el("button", {type: "button", class: "danger", onclick: () => cancel(o)}, "取消订单")]));
  }
  function groups(view) {
    return view.meals.map((meal) => el("section", {class: "meal-group"},
      el("h3", {text: `${view.day_label}${meal.meal_label}`}),
      meal.stations.map((s) => el("div", {class: "station"},
        el("h4", {text: `${s.station}（${s.orders.filter((o) => o.status === "booked").reduce((n, o) => n + o.count, 0)} 份）`}),
        el("table", {class: "list orders"},
          el("thead", {}, el("tr", {}, ["老人", "电话", "地址", "份数", "方式", "饮食要求", "状态", "操作"].map((h) => el("th", {text: h})))),
          el("tbody", {}, s.orders.map(orderRow)))))));
  }
  async function act(order, what) {
    try { await C.post(`/api/staff/meals/${order.id}/${what}`); load(); }
    catch (e) { C.fail(document.getElementById("meal-groups"), e); }
  }
  async function cancel(order) {
    const reason = el("input", {name: "reason", maxlength: "200", required: true, placeholder: "例如：厨房今天停气"});
    const chips = ["厨房停电停气", "老人住院了", "重复下单", "老人说不要了"].map((r) =>
      el("button", {type: "button", class: "chip", onclick: () => { reason.value = r; reason.focus(); }}, r));
    const who = order.elder ? order.elder.name : "下单的人";
    const done = await C.ask({title: `取消订单：${who} ${order.meal_label} ${order.count} 份`, ok: "取消这张订单", danger: true,
      body: [el("label", {class: "block"}, "取消原因（会发短信或聊天消息告诉老人）", reason), el("div", {class: "chips"}, chips)],
      submit: () => C.post(`/api/staff/meals/${order.id}/cancel`, {reason: reason.value.trim()})});
    if (done) load();
  }
  async function load() {
    day = day || C.today();
    dayButtons();
    const groupsBox = document.getElementById("meal-groups"), kitchenBox = document.getElementById("kitchen");
    try {
      const view = await C.api("/api/staff/meals?day=" + day);
      document.getElementById("kitchen-day").textContent = view.day_label;
      kitchenBox.replaceChildren(kitchen(view));
      groupsBox.replaceChildren(...groups(view));
    } catch (e) { C.fail(groupsBox, e); }
  }
  C.views.meals = {load};
})();
