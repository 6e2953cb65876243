"""The chat page's session cookie and binding-code entry in real Chromium."""

from __future__ import annotations

from contextlib import closing

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from assistant.db import UserBinding, session_scope
from bench.sim.stack import Stack
from connectors.webchat.identity import COOKIE, read_cookie

pytestmark = pytest.mark.integration


def test_session_cookie_is_httponly_and_keeps_the_conversation(
    page: Page, stack: Stack
) -> None:
    page.goto(stack.app_url + "/")
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies[COOKIE]["httpOnly"] is True
    assert COOKIE not in page.evaluate("document.cookie")  # scripts cannot read it
    page.fill("#text", "我要订餐")
    page.click("#send")
    expect(page.locator(".row.bot").last).to_contain_text("哪一天", timeout=30_000)
    page.reload()  # the conversation belongs to the cookie, not to the page
    page.fill("#text", "后天")
    page.click("#send")
    expect(page.locator(".row.bot").last).to_contain_text(
        "午餐还是晚餐", timeout=30_000
    )
    again = {c["name"]: c for c in page.context.cookies()}
    assert again[COOKIE]["value"] == cookies[COOKIE]["value"]


def test_binding_code_entry_links_the_session(page: Page, stack: Stack) -> None:
    with closing(stack.staff_client()) as staff:
        elder = staff.post("/api/staff/elders", json={"name": "孙玉珍"}).json()
    page.goto(stack.app_url + "/")
    page.click("#bind-open")
    page.fill("#bind-code-input", "WRONG9")
    page.click("#bind-code button[type=submit]")
    expect(page.locator("#bind-status")).to_contain_text("绑定码不对")
    page.fill("#bind-code-input", elder["binding_code"])
    page.click("#bind-code button[type=submit]")
    expect(page.locator("#bind-status")).to_contain_text("绑定好了")
    expect(page.locator("#bind-status")).to_contain_text("孙**")
    cookie = {c["name"]: c["value"] for c in page.context.cookies()}[COOKIE]
    user = read_cookie(stack.settings, cookie)
    with session_scope(stack.db_url) as session:
        binding = session.scalars(
            select(UserBinding).where(UserBinding.user_id == user)
        ).one()
    assert binding.elder_id == elder["id"]
