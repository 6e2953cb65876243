"""Staff logins for tests: a hashed test account and same-origin test clients."""

from __future__ import annotations

import functools
import os
import subprocess
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from assistant.db import upgrade_database
from assistant.services.staff_accounts import hash_password
from assistant.settings import Settings
from tests.utils.cli import run_module

STAFF_USER, STAFF_PASSWORD = "tester", "test-password"
# TestClient talks to http://testserver; state-changing staff requests need an
# Origin of the app's own host (connectors.staff.origin), as a browser sends.
TEST_ORIGIN = {"Origin": "http://testserver"}


@functools.cache
def staff_password_hash(password: str = STAFF_PASSWORD) -> str:
    """The argon2 hash of a test password (hashed once per run: ~0.1 s each)."""
    return hash_password(password)


def staff_users(
    user: str = STAFF_USER, password: str = STAFF_PASSWORD
) -> dict[str, str]:
    """``ASSISTANT_STAFF_USERS`` with one hashed account."""
    return {user: staff_password_hash(password)}


def staff_app_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings on a fresh migrated SQLite database with one staff account, workers off."""
    url = f"sqlite:///{tmp_path / 'staff.db'}"
    upgrade_database(url)
    values: dict[str, Any] = {
        "database_url": url,
        "var_dir": tmp_path,
        "run_workers": False,
        "staff_users": staff_users(),
        "station_facts_file": tmp_path / "station_facts.yml",
    }
    return Settings(_env_file=None, **(values | overrides))  # type: ignore[call-arg]


def same_origin_client(app: FastAPI, **kwargs: object) -> TestClient:
    """A TestClient that sends the app's own Origin, as the console page does."""
    return TestClient(app, headers=dict(TEST_ORIGIN), **kwargs)  # type: ignore[arg-type]


def login(
    client: TestClient, user: str = STAFF_USER, password: str = STAFF_PASSWORD
) -> None:
    """Log ``client`` in; the session cookie stays in the client."""
    response = client.post(
        "/api/staff/login", json={"username": user, "password": password}
    )
    assert response.status_code == 200, response.text


def run_staff_cli(
    *args: str,
    database_url: str,
    var_dir: Path,
    stdin: str = "",
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``python -m assistant staff ARGS`` as an operator runs it, on a test database."""
    return run_module(
        "assistant",
        "staff",
        *args,
        stdin=stdin,
        env={
            **os.environ,
            "ASSISTANT_DATABASE_URL": database_url,
            "ASSISTANT_VAR_DIR": str(var_dir),
            **(env or {}),
        },
        timeout=120,
    )
