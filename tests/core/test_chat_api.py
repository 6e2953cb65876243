"""The chat API's input checks and its Rasa-down path, with a real app and database.

Rasa is pointed at a closed port here; the happy path through a real Rasa
server is in tests/integration.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from assistant.app import create_app
from assistant.db import Emergency, OutboxMessage, session_scope
from assistant.settings import Settings
from bench.sim.stack import free_port
from connectors.webchat.identity import read_cookie
from tests.utils.staff import TEST_ORIGIN


@pytest.fixture()
def settings(tmp_path) -> Settings:
    return Settings(
        var_dir=tmp_path,
        rasa_url=f"http://127.0.0.1:{free_port()}",  # nothing listens: Rasa is down
        rasa_timeout_s=2,
        duty_phone="010-88886666",
        duty_roster=[{"name": "值班员", "phone": "+8613900000009"}],
        twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token="test-token",
        twilio_from_number="+15005550006",
        run_workers=False,  # alerts stay queued: what was queued is the point here
        max_message_chars=200,
    )


@pytest.fixture()
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def emergencies(settings: Settings) -> list[Emergency]:
    with session_scope(settings.effective_database_url) as session:
        return list(session.scalars(select(Emergency)))


def test_rasa_down_gives_503_with_chinese_apology_and_a_person(
    client: TestClient,
) -> None:
    response = client.post(
        "/api/chat", json={"user_id": "fam-1", "text": "你好", "channel": "web"}
    )
    assert response.status_code == 503
    body = response.json()
    assert body["emergency_recorded"] is False
    reply = body["messages"][0]["text"]
    assert "对不起" in reply and "010-88886666" in reply


def test_emergency_said_while_rasa_is_down_is_recorded(
    client: TestClient, settings: Settings
) -> None:
    response = client.post(
        "/api/chat",
        json={"user_id": "fam-2", "text": "我爸摔倒了起不来了", "channel": "web"},
    )
    assert response.status_code == 503
    assert response.json()["emergency_recorded"] is True
    rows = emergencies(settings)
    assert len(rows) == 1
    # The browser's own user_id is ignored: the session cookie names the user.
    assert rows[0].user_id == read_cookie(settings, client.cookies["chat_session"])
    assert rows[0].user_id.startswith("web-")
    assert rows[0].utterance == "我爸摔倒了起不来了"
    assert rows[0].emergency_type == "fall"
    reply = response.json()["messages"][0]["text"]
    assert "已通知" in reply and "120" in reply
    assert response.json()["alerted"] == 1
    with session_scope(settings.effective_database_url) as session:
        queued = list(
            session.scalars(
                select(OutboxMessage).where(OutboxMessage.related_id == rows[0].id)
            )
        )
    assert {(m.channel, m.recipient) for m in queued} == {
        ("sms", "+8613900000009"),
        ("call", "+8613900000009"),
    }


def test_on_the_defaults_rasa_down_emergency_claims_no_notification(
    tmp_path,
) -> None:
    """No duty roster, no Twilio: the reply says nobody could be told, gives 120."""
    plain = Settings(
        _env_file=None,  # type: ignore[call-arg]
        var_dir=tmp_path,
        rasa_url=f"http://127.0.0.1:{free_port()}",
        rasa_timeout_s=2,
        run_workers=False,
    )
    with TestClient(create_app(plain)) as client:
        response = client.post(
            "/api/chat", json={"text": "救命 我摔倒了", "channel": "web"}
        )
    body = response.json()
    reply = body["messages"][0]["text"]
    assert body["emergency_recorded"] is True and body["alerted"] == 0
    assert "已通知" not in reply and "没法通知到人" in reply and "120" in reply
    [row] = emergencies(plain)
    assert row.unalertable is True


@pytest.mark.parametrize(
    "body",
    [
        {"user_id": "u", "text": ""},
        {"user_id": "u", "text": "   "},
        {"user_id": "u", "text": "你好", "channel": "sms"},
        {"user_id": "a b/c", "text": "你好"},
        {"user_id": "u", "text": 12},
    ],
)
def test_bad_input_is_422(client: TestClient, body: dict) -> None:
    response = client.post("/api/chat", json=body)
    assert response.status_code == 422
    assert response.json()["detail"]


def test_malformed_json_is_422(client: TestClient) -> None:
    response = client.post(
        "/api/chat",
        content=b'{"user_id": "u", "text": ',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422


def test_oversized_message_is_refused(client: TestClient, settings: Settings) -> None:
    response = client.post("/api/chat", json={"user_id": "u", "text": "长" * 201})
    assert response.status_code == 422
    assert "200" in response.json()["detail"]
    assert emergencies(settings) == []


def test_oversized_body_is_413(client: TestClient) -> None:
    response = client.post(
        "/api/chat",
        content=b"x" * (3 * 1024 * 1024),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413


def test_health_reports_every_component(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["rasa"]["ok"] is False
    assert body["database"] == {"ok": True, "backend": "sqlite"}
    # var_dir is empty: no index built
    assert body["knowledge"] == {
        "ok": False,
        "error": "index not built: run make setup",
    }
    assert body["asr"]["ok"] is (body["asr"]["error"] is None)
    assert isinstance(body["tts"]["ok"], bool)
    assert body["phone"]["mode"] in {"stream", "gather"}
    assert body["status"] == "degraded"


def test_staff_routes_need_login(client: TestClient) -> None:
    assert client.get("/api/staff/me").status_code == 401
    refused = client.post(
        "/api/staff/login",
        json={"username": "x", "password": "y"},
        headers=TEST_ORIGIN,
    )
    assert refused.status_code == 401
