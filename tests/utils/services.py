"""The machine's PostgreSQL and Redis for tests that need them: reachability, throw-away
databases, and a stack on both."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from bench.sim.stack import Stack, start_stack

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/0"


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def require_postgres() -> None:
    if not port_open(5432):
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")


def require_redis() -> None:
    if not port_open(6379):
        pytest.skip("Redis is not running on 127.0.0.1:6379")


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """Create a throw-away database on the local server; yield its URL; drop it."""
    require_postgres()
    name = f"assistant_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        from assistant.db.session import get_engine

        get_engine(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}").dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def production_stack(tmp: Path, *, model: Path, **options: Any) -> Iterator[Stack]:
    """A stack on a throw-away PostgreSQL database with the Redis lock store, as in
    production; skips the test without them. ``options`` go to ``start_stack``."""
    require_redis()
    with fresh_postgres_database() as url:
        running = start_stack(
            tmp, model=model, database_url=url, lock_store_url=REDIS_URL, **options
        )
        try:
            yield running
        finally:
            running.stop()
