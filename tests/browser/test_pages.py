"""The chat page and the staff console in a real browser against the running stack."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from bench.sim.stack import STAFF_PASSWORD, STAFF_USER, Stack

pytestmark = pytest.mark.integration


def test_chat_page_greets_and_answers(page: Page, stack: Stack) -> None:
    page.goto(stack.app_url + "/")
    expect(page.locator(".row.bot").first).to_contain_text("长者服务助手")
    page.fill("#text", "你好")
    page.click("#send")
    expect(page.locator(".row.user .bubble").last).to_have_text("你好")
    expect(page.locator(".row.bot")).to_have_count(2, timeout=30_000)


def test_chat_page_large_text_toggle(page: Page, stack: Stack) -> None:
    page.goto(stack.app_url + "/")
    page.click("#bigger")
    expect(page.locator("body")).to_have_class("large")


def test_staff_console_needs_login_then_searches(page: Page, stack: Stack) -> None:
    page.goto(stack.app_url + "/staff")
    expect(page.locator("#login-view")).to_be_visible()
    page.fill("input[name=username]", STAFF_USER)
    page.fill("input[name=password]", "wrong")
    page.click("#login button[type=submit]")
    expect(page.locator("#login-error")).to_have_text("账号或密码不对")
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.click("#login button[type=submit]")
    expect(page.locator("#console-view")).to_be_visible()
    expect(page.locator("#tab-board")).to_be_visible()  # the board comes first
    page.get_by_role("tab", name="政策查询").click()
    page.fill("#search input[name=q]", "承德的老年食堂是怎么安排的")
    page.click("#search button[type=submit]")
    expect(page.locator(".hit").first).to_be_visible(timeout=30_000)
    expect(page.locator(".hit h3").first).not_to_be_empty()
