"""Migrations create the schema on SQLite and, where it runs, PostgreSQL."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from assistant.db import (
    Emergency,
    get_engine,
    session_scope,
    upgrade_database,
)
from assistant.db.migrate import alembic_config
from assistant.services.emergencies import record_emergency
from tests.utils.records import add_elder
from tests.utils.services import fresh_postgres_database

TABLES = {
    "elders",
    "user_bindings",
    "meal_orders",
    "emergencies",
    "emergency_events",
    "alert_subscriptions",
    "outbox",
    "callback_requests",
    "fraud_reports",
    "phone_calls",
    "broadcasts",
}


def _roundtrip(url: str) -> None:
    upgrade_database(url)
    assert TABLES <= set(inspect(get_engine(url)).get_table_names())
    with session_scope(url) as session:
        elder = add_elder(session, address="幸福里3号楼")
        emergency = record_emergency(
            session,
            user_id="u1",
            channel="web",
            utterance="我摔倒了起不来",
            emergency_type="fall",
            elder=elder,
        )
        emergency_id = emergency.id
    with session_scope(url) as session:
        stored = session.get(Emergency, emergency_id)
        assert stored is not None
        assert stored.location == "幸福里3号楼"
        assert [event.kind for event in stored.events] == ["reported"]
        assert stored.created_at.tzinfo is not None or url.startswith("sqlite")
    get_engine(url).dispose()
    command.downgrade(alembic_config(url), "base")
    assert "elders" not in inspect(get_engine(url)).get_table_names()


def test_sqlite_migrations_roundtrip(tmp_path) -> None:
    _roundtrip(f"sqlite:///{tmp_path / 'a.db'}")


def test_postgresql_migrations_roundtrip() -> None:
    with fresh_postgres_database() as url:
        _roundtrip(url)
        get_engine(url).dispose()
