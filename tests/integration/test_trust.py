"""Trust boundaries on a real stack (Rasa server + app, real SQLite): issue 8 items 1, 2, 9.

Each test plays an outsider: a forged action call, a browser that spoofs
metadata or types a verified elder's name and phone, an oversized chunked
upload. The positive controls (a bound session, Rasa's own action calls) show
the same questions do answer when the caller has proven who they are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from assistant.db import (
    CallbackRequest,
    Elder,
    Emergency,
    MealOrder,
    UserBinding,
    session_scope,
)
from assistant.services import meals
from bench.sim.stack import ACTION_TOKEN, Stack
from connectors.webchat.identity import COOKIE, read_cookie
from tests.utils.records import emergencies_of
from tests.utils.uploads import MULTIPART, chunked_wav_upload

pytestmark = pytest.mark.integration

ELDER_PHONE = "+8613911112222"


def texts(messages: list[dict[str, Any]]) -> str:
    return " ".join(m.get("text") or "" for m in messages)


def browser_say(client: httpx.Client, text: str, **extra: Any) -> str:
    response = client.post("/api/chat", json={"text": text, **extra})
    assert response.status_code == 200, response.text
    return texts(response.json()["messages"])


@pytest.fixture(scope="module")
def verified_elder(stack: Stack) -> dict[str, Any]:
    """A verified elder with three upcoming meal orders (booked by staff)."""
    with closing(stack.staff_client()) as staff:
        created = staff.post(
            "/api/staff/elders",
            json={"name": "赵淑芬", "phone": ELDER_PHONE, "address": "幸福里8号"},
        )
    assert created.status_code == 201, created.text
    elder: dict[str, Any] = created.json()
    today = meals.local_now(stack.settings).date()
    with session_scope(stack.db_url) as session:
        for days, meal, count in ((2, "lunch", 2), (3, "dinner", 1), (4, "lunch", 3)):
            session.add(
                MealOrder(
                    elder_id=elder["id"],
                    user_id="staff-booked",
                    channel="web",
                    meal_date=today + dt.timedelta(days=days),
                    meal_type=meal,
                    count=count,
                    service_mode="delivery",
                )
            )
    elder["orders"] = [
        meals.describe(
            today + dt.timedelta(days=d), m, c, "delivery", None, today=today
        )
        for d, m, c in ((2, "lunch", 2), (3, "dinner", 1), (4, "lunch", 3))
    ]
    return elder


@pytest.fixture()
def browser(stack: Stack) -> Iterator[httpx.Client]:
    with stack.browser_client() as client:
        yield client


def count(stack: Stack, model: type) -> int:
    with session_scope(stack.db_url) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_forged_webhook_is_refused_and_writes_nothing(stack: Stack) -> None:
    before = (count(stack, Emergency), count(stack, CallbackRequest))
    forged = {
        "next_action": "action_report_emergency",
        "sender_id": "outsider",
        "tracker": {
            "sender_id": "outsider",
            "slots": {},
            "latest_message": {
                "text": "救命",
                "intent": {"name": "report_emergency"},
                "metadata": {"channel": "phone", "caller_phone": ELDER_PHONE},
            },
            "events": [],
        },
        "domain": {"version": "3.1"},
    }
    for headers in ({}, {"Authorization": "Bearer guess"}):
        response = httpx.post(
            f"{stack.app_url}/webhook", json=forged, headers=headers, timeout=10
        )
        assert response.status_code == 401
    with_query = httpx.post(
        f"{stack.app_url}/webhook",
        params={"token": ACTION_TOKEN},
        json={**forged, "next_action": "action_handoff"},
        timeout=10,
    )
    assert with_query.status_code == 401
    assert httpx.get(f"{stack.app_url}/actions", timeout=10).status_code == 401
    assert (count(stack, Emergency), count(stack, CallbackRequest)) == before
    # Rasa's own calls carry the token: a real conversation still runs its action.
    stack.chat("trust-real-emergency", "救命啊我摔倒了起不来")
    with session_scope(stack.db_url) as session:
        assert len(emergencies_of(session, "trust-real-emergency")) == 1


def test_spoofed_phone_metadata_reveals_nothing(
    stack: Stack, verified_elder: dict[str, Any], browser: httpx.Client
) -> None:
    spoof = {
        "channel": "phone",
        "caller_phone": ELDER_PHONE,
        "call_sid": "CA" + "1" * 32,
    }
    reply = browser_say(browser, "我订了什么饭", metadata=spoof)
    for order in verified_elder["orders"]:
        assert order not in reply
    assert "3份" not in reply and "幸福里" not in reply
    user = read_cookie(stack.settings, browser.cookies[COOKIE])
    tracker = httpx.get(
        f"{stack.rasa_url}/conversations/{user}/tracker",
        params={"token": stack.settings.rasa_token},
        timeout=10,
    ).json()
    assert tracker["latest_message"]["metadata"] == {"channel": "web"}


def test_binding_code_gives_access_end_to_end(
    stack: Stack, verified_elder: dict[str, Any], browser: httpx.Client
) -> None:
    assert browser.post("/api/chat/bind", json={"code": "WRONG1"}).status_code == 404
    bound = browser.post(
        "/api/chat/bind", json={"code": verified_elder["binding_code"]}
    )
    assert bound.status_code == 200 and "绑定好了" in bound.json()["message"]
    reply = browser_say(browser, "我订了什么饭")
    for order in verified_elder["orders"]:  # positive control for the test above
        assert order in reply


def test_stranger_typing_a_verified_elders_name_and_phone_gets_no_access(
    stack: Stack, verified_elder: dict[str, Any], browser: httpx.Client
) -> None:
    assert "绑定码" in browser_say(browser, "后天晚上到驿站吃一份，没有忌口")
    assert "手机" in browser_say(browser, "我叫赵淑芬")
    assert "对吗" in browser_say(browser, "13911112222")
    assert "订好了" in browser_say(browser, "对")
    reply = browser_say(browser, "我订了什么饭")
    for order in verified_elder["orders"]:
        assert order not in reply
    assert "3份" not in reply
    user = read_cookie(stack.settings, browser.cookies[COOKIE])
    with session_scope(stack.db_url) as session:
        binding = session.scalars(
            select(UserBinding).where(UserBinding.user_id == user)
        ).one()
        assert binding.elder_id != verified_elder["id"]
        mine = session.get(Elder, binding.elder_id)
        assert mine is not None and mine.verified is False
        assert (mine.phone, mine.claimed_phone) == (None, ELDER_PHONE)
        order = session.scalars(
            select(MealOrder).where(MealOrder.user_id == user)
        ).one()
        assert order.elder_id == mine.id  # booked, on the unverified profile


def test_cookie_keeps_the_conversation_and_a_new_browser_starts_fresh(
    stack: Stack, browser: httpx.Client
) -> None:
    assert "哪一天" in browser_say(browser, "我要订餐")
    first = browser.cookies[COOKIE]
    assert "午餐还是晚餐" in browser_say(browser, "后天")  # the form goes on
    assert browser.cookies[COOKIE] == first
    with stack.browser_client() as other:
        other.post("/api/chat", json={"text": "你好"})
        assert other.cookies[COOKIE] != first


def test_chunked_oversize_upload_gets_413_from_the_running_app(stack: Stack) -> None:
    with stack.browser_client() as client:
        response = client.post(
            "/api/chat/voice", content=chunked_wav_upload(3 * 1024), headers=MULTIPART
        )
    assert response.status_code == 413
    assert "内容太大了" in response.json()["detail"]
