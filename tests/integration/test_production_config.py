"""The production configuration for real: PostgreSQL for app and tracker store, Redis lock store."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, select, text

from assistant.db import CallbackRequest, session_scope
from bench.sim.stack import ACTION_TOKEN, Stack
from tests.utils.records import emergencies_of
from tests.utils.services import production_stack
from tests.utils.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


@pytest.fixture(scope="module")
def pg_stack(
    tmp_path_factory: pytest.TempPathFactory, trained_model: Path
) -> Iterator[Stack]:
    with production_stack(
        tmp_path_factory.mktemp("pg-stack"), model=trained_model
    ) as running:
        yield running


def test_conversation_is_tracked_in_postgresql(pg_stack: Stack) -> None:
    assert pg_stack.chat("pg-user", "你好")
    engine = create_engine(pg_stack.db_url)
    with engine.connect() as conn:
        count = conn.execute(
            text("SELECT count(*) FROM events WHERE sender_id = 'pg-user'")
        ).scalar_one()
    engine.dispose()
    assert count > 0


def test_emergency_is_written_to_postgresql(pg_stack: Stack) -> None:
    assert pg_stack.chat("pg-emergency", "我妈晕倒了叫不醒")
    with session_scope(pg_stack.db_url) as session:
        rows = emergencies_of(session, "pg-emergency")
    assert len(rows) == 1
    assert rows[0].emergency_type == "unconscious"


def _action_call(action: str, sender: str) -> dict[str, Any]:
    return {
        "next_action": action,
        "sender_id": sender,
        "tracker": {
            "sender_id": sender,
            "slots": {},
            "latest_message": {"text": "找人", "metadata": {"channel": "web"}},
            "events": [],
        },
        "domain": {"version": "3.1"},
    }


def _lock_waiters(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        waiting = conn.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        ).scalar_one()
    engine.dispose()
    return int(waiting)


def test_a_slow_database_in_actions_holds_up_no_other_request(pg_stack: Stack) -> None:
    """Issue 8 item 11: actions run in worker threads, not on the app's event loop.

    Two actions are made to wait on a locked table (seen waiting in PostgreSQL);
    meanwhile a third action and /health must answer, and the two finish once
    the lock is released. On the event loop, the first blocked action would
    have stalled everything behind it.
    """
    url = f"{pg_stack.app_url}/webhook"
    headers = {"Authorization": f"Bearer {ACTION_TOKEN}"}

    def run(action: str, sender: str) -> httpx.Response:
        return httpx.post(
            url, json=_action_call(action, sender), headers=headers, timeout=60
        )

    started = time.perf_counter()
    assert run("action_check_meal", "quick-idle").status_code == 200
    idle_ms = (time.perf_counter() - started) * 1000
    locker = create_engine(pg_stack.db_url)
    pool = ThreadPoolExecutor(max_workers=2)
    try:
        with locker.connect() as conn:
            transaction = conn.begin()
            conn.execute(text("LOCK TABLE callback_requests IN ACCESS EXCLUSIVE MODE"))
            slow = [pool.submit(run, "action_handoff", f"slow-{i}") for i in range(2)]
            wait_until(
                lambda: _lock_waiters(pg_stack.db_url) >= 2,
                timeout=30,
                what="two actions waiting on the locked table",
            )
            started = time.perf_counter()
            quick = run("action_check_meal", "quick-busy")
            busy_ms = (time.perf_counter() - started) * 1000
            health = httpx.get(f"{pg_stack.app_url}/health", timeout=30)
            assert quick.status_code == 200 and health.status_code == 200
            assert not any(future.done() for future in slow)
            transaction.rollback()  # the database is fast again
        assert [future.result().status_code for future in slow] == [200, 200]
    finally:
        pool.shutdown(wait=True)
        locker.dispose()
    with session_scope(pg_stack.db_url) as session:
        senders = set(session.scalars(select(CallbackRequest.user_id)))
    assert {"slow-0", "slow-1"} <= senders
    print(
        f"\naction while two others wait on the DB: {busy_ms:.0f} ms "
        f"(idle: {idle_ms:.0f} ms)"
    )
