// Binding this chat to an elder's profile: a staff binding code, or a code texted
// to the elder's registered phone. The server keeps the link in the session.
"use strict";
(() => {
  const dialog = document.getElementById("bind");
  const status = document.getElementById("bind-status");

  async function post(url, payload) {
    status.textContent = "请稍等……";
    try {
      const r = await fetch(url, {
        method: "POST", headers: {"Content-Type": "application/json"},
        body: JSON.stringify(payload),
      });
      const body = await r.json().catch(() => ({}));
      const text = body.message || (typeof body.detail === "string" ? body.detail : "");
      status.textContent = text || "没有成功，请再试一次。";
      return r.ok ? body : null;
    } catch (e) {
      status.textContent = "网络断了，请稍后再试。";
      return null;
    }
  }

  document.getElementById("bind-open").addEventListener("click", () => {
    status.textContent = "";
    dialog.showModal();
  });
  document.getElementById("bind-close").addEventListener("click", () => dialog.close());

  document.getElementById("bind-code").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const code = document.getElementById("bind-code-input").value.trim();
    if (code) await post("/api/chat/bind", {code: code});
  });
  document.getElementById("bind-phone").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const phone = document.getElementById("bind-phone-input").value.trim();
    if (phone) await post("/api/chat/verify", {phone: phone});
  });
  document.getElementById("bind-verify").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const code = document.getElementById("bind-verify-input").value.trim();
    if (code) await post("/api/chat/verify/confirm", {code: code});
  });
})();
