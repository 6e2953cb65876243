"""What the production profile needs before anything starts: its PostgreSQL
database (created when missing) and Redis, both reachable.

``ASSISTANT_PROFILE=production make run`` (or ``make run-prod``) runs several
Rasa servers and app workers; they share conversations through PostgreSQL (the
tracker store and the app's tables) and Redis (Rasa's lock store, the rate-limit
counters). A missing service is reported in one plain sentence and nothing is
started.
"""

from __future__ import annotations

import socket

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from assistant.settings import Settings


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def service_problems(settings: Settings) -> list[str]:
    """Plain sentences for what the production profile cannot reach."""
    problems = []
    db = make_url(settings.effective_database_url)
    if db.get_backend_name() != "postgresql":
        problems.append(
            "the production profile needs PostgreSQL: set ASSISTANT_DATABASE_URL to "
            "postgresql+psycopg://user@host:5432/db (several processes share it)"
        )
    elif not _reachable(db.host or "127.0.0.1", db.port or 5432):
        problems.append(
            f"PostgreSQL is not reachable at {db.host or '127.0.0.1'}:{db.port or 5432} "
            "(ASSISTANT_DATABASE_URL)"
        )
    for setting, url in (
        ("ASSISTANT_RASA_LOCK_STORE_URL", settings.rasa_lock_store_url),
        ("ASSISTANT_RATE_LIMIT_STORAGE_URL", settings.rate_limit_storage_url),
    ):
        if not url.startswith("redis://"):
            problems.append(
                f"the production profile needs Redis: set {setting} to "
                "redis://host:6379/db (shared by every Rasa server and app worker)"
            )
            continue
        redis = make_url(url)
        if not _reachable(redis.host or "127.0.0.1", redis.port or 6379):
            problems.append(
                f"Redis is not reachable at {redis.host or '127.0.0.1'}:"
                f"{redis.port or 6379} ({setting})"
            )
    return problems


def ensure_database(url: str) -> bool:
    """Create the PostgreSQL database of ``url`` if it does not exist; True if created.

    Connects to the server's ``postgres`` database with the same credentials,
    so the user needs the CREATEDB right (or the database must exist already).
    """
    target = make_url(url)
    if target.get_backend_name() != "postgresql" or not target.database:
        return False
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": target.database},
            ).first()
            if exists:
                return False
            quoted = target.database.replace('"', '""')
            conn.execute(text(f'CREATE DATABASE "{quoted}"'))
            return True
    finally:
        admin.dispose()
