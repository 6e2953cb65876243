"""Origin/Referer check on every state-changing staff route, present and future."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from assistant.app import create_app
from assistant.settings import Settings
from connectors.staff.origin import EXEMPT_PATHS, GUARDED_PREFIXES, REFUSED
from tests.utils.staff import STAFF_PASSWORD, STAFF_USER, staff_app_settings

EVIL = "https://evil.example"
LOGIN = {"username": STAFF_USER, "password": STAFF_PASSWORD}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return staff_app_settings(tmp_path)


@pytest.fixture()
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture()
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:  # no Origin unless a test sends one
        yield test_client


def test_cross_origin_login_is_refused_and_same_origin_accepted(
    client: TestClient,
) -> None:
    refused = client.post("/api/staff/login", json=LOGIN, headers={"Origin": EVIL})
    assert refused.status_code == 403
    assert refused.json()["detail"] == REFUSED
    assert "staff_session" not in refused.cookies
    same = {"Origin": "http://testserver"}
    assert client.post("/api/staff/login", json=LOGIN, headers=same).status_code == 200


def test_referer_counts_when_origin_is_missing_and_neither_is_refused(
    client: TestClient,
) -> None:
    headers = {"Referer": "http://testserver/staff"}
    assert (
        client.post("/api/staff/login", json=LOGIN, headers=headers).status_code == 200
    )
    for headers in ({"Referer": EVIL + "/staff"}, {}, {"Origin": "null"}):
        response = client.post("/api/staff/logout", headers=headers)
        assert response.status_code == 403, headers
    # The session survived the refused logouts.
    assert client.get("/api/staff/me").json() == {"staff": STAFF_USER}


def test_a_logged_in_session_cannot_be_driven_from_another_site(
    client: TestClient,
) -> None:
    client.post("/api/staff/login", json=LOGIN, headers={"Origin": "http://testserver"})
    forged = client.post(
        "/api/staff/elders",
        json={"name": "冒充", "phone": "13900000009"},
        headers={"Origin": EVIL},
    )
    assert forged.status_code == 403
    assert client.get("/api/staff/elders").json() == []
    reads = client.get("/api/staff/me", headers={"Origin": EVIL})
    assert reads.status_code == 200  # reads change nothing (and CORS hides them)


def test_the_public_url_is_an_allowed_origin(settings: Settings) -> None:
    public = settings.model_copy(
        update={
            "public_url": "https://station.example",
            "session_secret": "s" * 32,
            "rasa_token": "r" * 32,
            "action_token": "a" * 32,
        }
    )
    with TestClient(create_app(public)) as client:
        headers = {"Origin": "https://station.example"}
        ok = client.post("/api/staff/login", json=LOGIN, headers=headers)
        assert ok.status_code == 200
        headers = {"Origin": "http://station.example"}  # another scheme, another origin
        assert client.post("/api/staff/logout", headers=headers).status_code == 403


def _unsafe_staff_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) of the app that changes state under a staff prefix."""
    routes = []
    for route in iter_route_contexts(app.routes):
        path, methods = route.path or "", route.methods or set()
        if not any(path == p or path.startswith(p + "/") for p in GUARDED_PREFIXES):
            continue
        for method in sorted(methods & UNSAFE):
            routes.append((method, re.sub(r"\{[^}]+\}", "1", path)))
    return routes


def test_every_state_changing_staff_route_is_guarded(app: FastAPI) -> None:
    routes = _unsafe_staff_routes(app)
    assert len(routes) >= 8  # login, logout, elders, emergencies, broadcasts, ...
    with TestClient(app) as client:
        for method, path in routes:
            for headers in ({"Origin": EVIL}, {}):
                response = client.request(method, path, headers=headers)
                if path in EXEMPT_PATHS:  # signed by Twilio instead
                    assert response.json().get("detail") != REFUSED, path
                else:
                    assert response.status_code == 403, (method, path, headers)
                    assert response.json()["detail"] == REFUSED


def test_a_staff_route_added_later_is_guarded_too(app: FastAPI) -> None:
    def new_action() -> dict[str, bool]:
        return {"done": True}

    app.router.add_api_route("/api/staff/new-thing", new_action, methods=["POST"])
    app.router.add_api_route("/staff/form", new_action, methods=["PUT"])
    with TestClient(app) as client:
        assert (
            client.post("/api/staff/new-thing", headers={"Origin": EVIL}).status_code
            == 403
        )
        assert client.put("/staff/form").status_code == 403
        same = {"Origin": "http://testserver"}
        assert client.post("/api/staff/new-thing", headers=same).json() == {
            "done": True
        }
