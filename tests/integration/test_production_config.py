"""The production configuration for real: PostgreSQL for app and tracker store, Redis lock store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from assistant.db import Emergency, session_scope
from bench.sim.stack import Stack, start_stack
from tests.utils.services import REDIS_URL, fresh_postgres_database, require_redis

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


@pytest.fixture(scope="module")
def pg_stack(
    tmp_path_factory: pytest.TempPathFactory, trained_model: Path
) -> Iterator[Stack]:
    require_redis()
    with fresh_postgres_database() as url:
        running = start_stack(
            tmp_path_factory.mktemp("pg-stack"),
            model=trained_model,
            database_url=url,
            lock_store_url=REDIS_URL,
        )
        try:
            yield running
        finally:
            running.stop()


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
        rows = list(
            session.scalars(
                select(Emergency).where(Emergency.user_id == "pg-emergency")
            )
        )
    assert len(rows) == 1
    assert rows[0].emergency_type == "unconscious"
