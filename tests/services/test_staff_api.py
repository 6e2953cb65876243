"""Staff JSON APIs for elders, emergencies, outbox and call-backs; Twilio status callback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from twilio.request_validator import RequestValidator

from assistant.app import create_app
from assistant.db import OutboxMessage, session_scope
from assistant.services import emergencies
from assistant.settings import Settings
from tests.utils.staff import same_origin_client, staff_users


@pytest.fixture()
def client(settings: Settings) -> Iterator[TestClient]:
    settings = settings.model_copy(
        update={"staff_users": staff_users("tester", "pw"), "run_workers": False}
    )
    with same_origin_client(create_app(settings)) as test_client:
        yield test_client


def _login(client: TestClient) -> None:
    response = client.post(
        "/api/staff/login", json={"username": "tester", "password": "pw"}
    )
    assert response.status_code == 200


def test_staff_routes_need_login(client: TestClient) -> None:
    assert client.get("/api/staff/elders").status_code == 401
    assert client.get("/api/staff/emergencies").status_code == 401
    assert client.get("/api/staff/outbox").status_code == 401


def test_elder_crud(client: TestClient) -> None:
    _login(client)
    created = client.post(
        "/api/staff/elders",
        json={
            "name": "张桂兰",
            "phone": "139 1234 5678",
            "family_contacts": [
                {"name": "女儿", "phone": "13700000001", "relation": "女儿"}
            ],
        },
    )
    assert created.status_code == 201
    body = created.json()
    assert body["phone"] == "+8613912345678" and len(body["binding_code"]) == 6
    assert body["family_contacts"][0]["phone"] == "+8613700000001"
    duplicate = client.post(
        "/api/staff/elders", json={"name": "李", "phone": "13912345678"}
    )
    assert duplicate.status_code == 409
    patched = client.patch(
        f"/api/staff/elders/{body['id']}", json={"address": "幸福里3号"}
    )
    assert patched.json()["address"] == "幸福里3号"
    assert [e["id"] for e in client.get("/api/staff/elders").json()] == [body["id"]]
    assert client.get("/api/staff/elders/999").status_code == 404


def test_emergency_ack_resolve_and_status_callback(
    client: TestClient, settings: Settings
) -> None:
    eid = emergencies.report_emergency(
        settings, user_id="u", channel="web", text="救命"
    ).emergency_id
    with session_scope(settings.effective_database_url) as s:
        row = s.query(OutboxMessage).first()
        assert row is not None
        row.provider_sid, row.status = "SM123", "sent"
    _login(client)
    [listed] = client.get("/api/staff/emergencies", params={"status": "open"}).json()
    assert listed["id"] == eid and listed["unalertable"] is False
    assert {d["recipient"] for d in listed["alerts"]} == {"+8613800000001"}
    assert (
        client.post(f"/api/staff/emergencies/{eid}/ack").json()["acknowledged_by"]
        == "tester"
    )
    resolved = client.post(
        f"/api/staff/emergencies/{eid}/resolve", json={"note": "ok"}
    ).json()
    assert resolved["status"] == "resolved"
    url = settings.public_url + "/api/staff/outbox/twilio-status"
    form = {"MessageSid": "SM123", "MessageStatus": "delivered"}
    bad = client.post(url, data=form, headers={"X-Twilio-Signature": "nope"})
    assert bad.status_code == 403
    signature = RequestValidator(settings.twilio_auth_token).compute_signature(
        url, form
    )
    ok = client.post(url, data=form, headers={"X-Twilio-Signature": signature})
    assert ok.json() == {"ok": True}
    rows = client.get("/api/staff/outbox").json()
    assert any(r["provider_status"] == "delivered" for r in rows)
