"""Every console route needs a login; every state-changing one a same-origin request."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from assistant.app import create_app
from assistant.settings import Settings

READS = [
    "/api/staff/emergencies/board",
    "/api/staff/emergencies/1",
    "/api/staff/meals",
    "/api/staff/meals/export.csv",
    "/api/staff/callbacks",
    "/api/staff/elders?q=张",
    "/api/staff/elders/1/deletion",
    "/api/staff/broadcasts",
    "/api/staff/audit",
    "/api/staff/console-settings",
]
WRITES = [
    ("POST", "/api/staff/emergencies/1/ack", None),
    ("POST", "/api/staff/emergencies/1/resolve", {"note": "x"}),
    ("POST", "/api/staff/meals/1/delivered", None),
    ("POST", "/api/staff/meals/1/confirm", None),
    ("POST", "/api/staff/meals/1/cancel", {"reason": "停电"}),
    ("POST", "/api/staff/callbacks/1/done", {"note": "x"}),
    ("POST", "/api/staff/elders", {"name": "张"}),
    ("PATCH", "/api/staff/elders/1", {"name": "张"}),
    ("POST", "/api/staff/elders/1/binding-code", None),
    ("DELETE", "/api/staff/elders/1", None),
    ("POST", "/api/staff/broadcasts/preview", {"body": "x", "channels": ["sms"]}),
    ("POST", "/api/staff/broadcasts/speech", {"body": "x"}),
    ("POST", "/api/staff/broadcasts", {"body": "x", "channels": ["sms"]}),
]


@pytest.fixture()
def anonymous(settings: Settings) -> Iterator[TestClient]:
    conf = settings.model_copy(update={"run_workers": False})
    with TestClient(create_app(conf), headers={"Origin": "http://testserver"}) as c:
        yield c


@pytest.mark.parametrize("path", READS)
def test_reads_need_login(anonymous: TestClient, path: str) -> None:
    assert anonymous.get(path).status_code == 401


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_writes_need_login(
    anonymous: TestClient, method: str, path: str, body: dict | None
) -> None:
    assert anonymous.request(method, path, json=body).status_code == 401


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_writes_need_same_origin(
    staff_api: TestClient, method: str, path: str, body: dict | None
) -> None:
    foreign = staff_api.request(
        method, path, json=body, headers={"Origin": "https://evil.example"}
    )
    assert foreign.status_code == 403
    bare = staff_api.request(method, path, json=body, headers={"Origin": ""})
    assert bare.status_code == 403
