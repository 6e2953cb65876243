// Policy search: cited passages with the matched words marked.
"use strict";
(function () {
  const C = window.Console, el = C.el;

  function highlight(text, words) {
    const p = document.createElement("p");
    let html = text.replace(/[&<>]/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;"}[c]));
    for (const w of words || []) {
      if (!w) continue;
      const safe = w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/[&<>]/g, "");
      html = html.replace(new RegExp(safe, "g"), "<mark>$&</mark>");
    }
    p.innerHTML = html;
    return p;
  }

  document.getElementById("search").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const form = new FormData(ev.target);
    const params = new URLSearchParams({q: form.get("q"), k: "5"});
    if (form.get("region")) params.set("region", form.get("region"));
    const out = document.getElementById("search-results");
    out.replaceChildren(el("p", {class: "muted", text: "正在查…"}));
    try {
      const body = await C.api("/api/staff/search?" + params);
      out.replaceChildren();
      if (body.abstained) out.append(el("p", {text: "文件里没有找到可靠的答案，请联系上级部门确认。"}));
      for (const hit of body.results || []) {
        const draft = hit.status === "draft";
        out.append(el("div", {class: "hit"},
          el("h3", {class: draft ? "draft" : "", text: "《" + hit.title + "》" + (draft ? "（征求意见稿）" : "")}),
          el("div", {class: "meta", text: [hit.issuer, hit.doc_number, hit.date, hit.section].filter(Boolean).join(" · ")}),
          highlight(hit.text, hit.matched_terms || hit.highlights)));
      }
    } catch (e) { C.fail(out, e); }
  });
  C.views.search = {load() { document.querySelector("#search input[name=q]").focus(); }};
})();
