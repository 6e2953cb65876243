"""Scale-out (issue 10, item 3): two Rasa servers share the PostgreSQL tracker
store and the Redis lock store; two app workers share PostgreSQL.

- A booking whose turns land on different Rasa servers completes.
- Killing one Rasa server mid-load loses no conversation: every user's booking
  completes, and a user sees at most one failed turn (which they send again).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from assistant.db import MealOrder
from bench.sim.stack import Stack
from tests.utils.services import production_stack

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

USERS = 10
# a lock a dead server left behind expires with the app's wait for a turn
TURN_TIMEOUT_S = "8"


@pytest.fixture(scope="module")
def scaled(
    tmp_path_factory: pytest.TempPathFactory, trained_model: Path
) -> Iterator[Stack]:
    with production_stack(
        tmp_path_factory.mktemp("scaled"),
        model=trained_model,
        rasa_servers=2,
        app_workers=2,
        extra_env={
            "ASSISTANT_RATE_LIMIT_STORAGE_URL": "redis://127.0.0.1:6379/1",
            "ASSISTANT_RASA_TIMEOUT_S": TURN_TIMEOUT_S,
            "TICKET_LOCK_LIFETIME": TURN_TIMEOUT_S,
        },
    ) as running:
        yield running


def _codes(stack: Stack, count: int) -> list[str]:
    with closing(stack.staff_client()) as client:
        return [
            client.post("/api/staff/elders", json={"name": f"老人{i}"}).json()[
                "binding_code"
            ]
            for i in range(count)
        ]


def _orders(stack: Stack, user: str) -> list[MealOrder]:
    engine = create_engine(stack.db_url)
    try:
        with Session(engine) as session:
            return list(
                session.scalars(select(MealOrder).where(MealOrder.user_id == user))
            )
    finally:
        engine.dispose()


def _next_words(reply: str, code: str) -> str | None:
    """What a person answers in a booking (None: booked)."""
    if "订好了" in reply:
        return None
    if "绑定码" in reply:
        return code
    if "对吗" in reply:
        return "对"
    raise AssertionError(f"unexpected reply in a booking: {reply}")


def test_two_rasa_servers_and_two_app_workers_are_running(scaled: Stack) -> None:
    assert len(scaled.rasa_urls) == 2
    for url in scaled.rasa_urls:
        assert httpx.get(f"{url}/", timeout=10).status_code == 200
    health = httpx.get(f"{scaled.app_url}/health", timeout=30).json()
    assert [s["ok"] for s in health["rasa"]["servers"]] == [True, True]


def test_a_booking_whose_turns_land_on_different_rasa_servers_completes(
    scaled: Stack,
) -> None:
    user, (code,) = "across-servers", _codes(scaled, 1)
    text: str | None = "后天中午到驿站吃一份，没有忌口"
    servers_used = []
    for turn in range(6):
        if text is None:
            break
        server = scaled.rasa_urls[turn % 2]  # turn by turn, the other server
        servers_used.append(server)
        response = httpx.post(
            f"{server}/webhooks/rest/webhook",
            json={
                "sender": user,
                "message": text,
                "input_channel": "web",
                "metadata": {"channel": "web"},
            },
            timeout=60,
        )
        assert response.status_code == 200, response.text
        reply = " ".join(m.get("text") or "" for m in response.json())
        text = _next_words(reply, code)
    assert text is None, "the booking did not complete"
    assert set(servers_used) == set(scaled.rasa_urls)
    (order,) = _orders(scaled, user)
    assert (order.count, order.meal_type) == (1, "lunch")


def _say(stack: Stack, user: str, text: str) -> httpx.Response:
    return httpx.post(
        f"{stack.app_url}/api/chat",
        json={"user_id": user, "text": text, "channel": "web"},
        headers=stack.connector_headers,
        timeout=60,
    )


def _booking(stack: Stack, user: str, code: str, started: Any) -> int:
    """One user's booking through the app; returns how many turns failed."""
    failed = 0
    text: str | None = "后天中午到驿站吃一份，没有忌口"
    first = True
    while text is not None:
        response = _say(stack, user, text)
        if first:
            started.wait(60)  # every user is in a conversation before the kill
            first = False
        if response.status_code != 200:
            failed += 1
            assert failed <= 1, f"{user}: a second failed turn: {response.text}"
            continue  # the user sends the same words again
        reply = " ".join(m.get("text") or "" for m in response.json()["messages"])
        text = _next_words(reply, code)
    return failed


def test_killing_a_rasa_server_mid_load_loses_no_conversation(scaled: Stack) -> None:
    import threading

    codes = _codes(scaled, USERS)
    users = [f"kill-{i}" for i in range(USERS)]
    started = threading.Barrier(USERS + 1)
    victim = scaled.processes[0]  # the first Rasa server
    assert victim.name == "rasa" and victim.pid is not None
    with ThreadPoolExecutor(max_workers=USERS) as pool:
        futures = [
            pool.submit(_booking, scaled, user, code, started)
            for user, code in zip(users, codes, strict=True)
        ]
        started.wait(120)
        os.killpg(victim.pid, signal.SIGKILL)  # mid-conversation, under load
        failed = [future.result(timeout=300) for future in futures]
    for user in users:
        assert len(_orders(scaled, user)) == 1, f"{user}'s booking was lost"
    assert max(failed) <= 1
    # the surviving server carries on alone
    assert _say(scaled, "after-the-kill", "你好").status_code == 200
