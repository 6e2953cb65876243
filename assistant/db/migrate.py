"""Run Alembic migrations from code (launcher, tests) rather than the shell."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from assistant.settings import PROJECT_ROOT


def alembic_config(url: str) -> Config:
    """Alembic config for this project pointed at ``url``."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option(
        "script_location", str(PROJECT_ROOT / "assistant/db/migrations")
    )
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_database(url: str) -> None:
    """Bring the database at ``url`` to the newest schema (creates SQLite files)."""
    if url.startswith("sqlite:///"):
        from pathlib import Path

        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), "head")
