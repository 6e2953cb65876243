"""A route's session commits before the response starts, and a failed commit is a 500."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.db import Elder
from assistant.db.migrate import upgrade_database
from assistant.deps import SessionDep, get_app_settings
from assistant.settings import Settings


class CountAtResponseStart:
    """Counts elder rows (on its own connection) the moment the response starts.

    Whatever the client can see first is decided then: a row not committed by
    this point is one a client could miss on its very next request.
    """

    def __init__(self, app: ASGIApp, url: str) -> None:
        self.app = app
        self.engine = create_engine(url)
        self.counts: list[int] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                with self.engine.connect() as conn:
                    self.counts.append(
                        conn.scalar(select(func.count()).select_from(Elder)) or 0
                    )
            await send(message)

        await self.app(scope, receive, watch)


@pytest.fixture()
def app_and_probe(tmp_path: Path) -> tuple[TestClient, CountAtResponseStart]:
    settings = Settings(var_dir=tmp_path / "var")
    upgrade_database(settings.effective_database_url)
    app = FastAPI()

    @app.post("/elders")
    def add(body: dict[str, Any], session: SessionDep) -> dict[str, bool]:
        session.add(Elder(name=body["name"], phone=body["phone"]))  # no flush
        return {"ok": True}

    @app.get("/elders")
    def count(session: SessionDep) -> dict[str, int]:
        return {"count": session.scalar(select(func.count()).select_from(Elder)) or 0}

    app.dependency_overrides[get_app_settings] = lambda: settings
    probe = CountAtResponseStart(app, settings.effective_database_url)
    return TestClient(probe, raise_server_exceptions=False), probe  # type: ignore[arg-type]


def test_a_write_is_committed_before_the_client_sees_200(
    app_and_probe: tuple[TestClient, CountAtResponseStart],
) -> None:
    client, probe = app_and_probe
    response = client.post(
        "/elders", json={"name": "张桂兰", "phone": "+8613900000009"}
    )
    assert response.status_code == 200
    assert probe.counts == [1]  # committed when the response started
    assert client.get("/elders").json() == {"count": 1}


def test_a_failed_commit_is_a_server_error_not_200(
    app_and_probe: tuple[TestClient, CountAtResponseStart],
) -> None:
    client, _ = app_and_probe
    first = {"name": "张桂兰", "phone": "+8613900000009"}
    assert client.post("/elders", json=first).status_code == 200
    # the same phone again: the unique index refuses it only at commit
    again = client.post("/elders", json={"name": "李淑珍", "phone": first["phone"]})
    assert again.status_code == 500
    assert client.get("/elders").json() == {"count": 1}
