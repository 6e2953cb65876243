"""Limits at the app's edge: rate limits (429), body size while reading (413), action token.

A real app and SQLite database; Rasa is down, so a chat turn that gets past the
limits answers 503, which is how the tests tell "let through" from "refused".
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from assistant.app import create_app
from assistant.db import CallbackRequest, Elder, Emergency, session_scope
from assistant.ratelimit import get_limiter
from assistant.settings import Settings
from bench.sim.stack import free_port
from tests.core.test_voice_message import wav
from tests.utils.uploads import MULTIPART, chunked_wav_upload

TOKEN = "action-token-for-tests"


@pytest.fixture()
def settings(tmp_path) -> Settings:
    get_limiter("memory://").reset()
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        var_dir=tmp_path,
        rasa_url=f"http://127.0.0.1:{free_port()}",  # Rasa is down
        rasa_timeout_s=2,
        run_workers=False,
        chat_rate_limit="3/minute",
        voice_rate_limit="2/minute",
        code_rate_limit="2/minute",
        new_session_rate_limit="4/minute",
        max_body_bytes=64 * 1024,
        action_token=TOKEN,
        chat_api_key="k",
    )


@pytest.fixture()
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def count(settings: Settings, model: type) -> int:
    with session_scope(settings.effective_database_url) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_chat_is_rate_limited_per_session(client: TestClient) -> None:
    codes = [
        client.post("/api/chat", json={"text": "你好"}).status_code for _ in range(4)
    ]
    assert codes == [503, 503, 503, 429]
    refused = client.post("/api/chat", json={"text": "你好"})
    assert "请歇一会儿" in refused.json()["detail"]
    assert refused.headers["retry-after"]
    other = TestClient(client.app)  # another session is not affected
    assert other.post("/api/chat", json={"text": "你好"}).status_code == 503


def test_connector_users_are_limited_one_by_one(client: TestClient) -> None:
    def turn(user: str) -> int:
        return client.post(
            "/api/chat",
            json={"user_id": user, "text": "你好"},
            headers={"Authorization": "Bearer k"},
        ).status_code

    assert [turn("wx-a") for _ in range(4)] == [503, 503, 503, 429]
    assert turn("wx-b") == 503


def test_new_sessions_are_limited_per_ip(client: TestClient) -> None:
    codes = [TestClient(client.app).get("/").status_code for _ in range(5)]
    assert codes == [200, 200, 200, 200, 429]


def test_voice_messages_are_rate_limited(client: TestClient) -> None:
    files = {"audio": ("v.wav", b"not audio", "audio/wav")}
    codes = [client.post("/api/chat/voice", files=files).status_code for _ in range(3)]
    assert codes == [422, 422, 429]


def test_binding_code_tries_are_rate_limited(
    client: TestClient, settings: Settings
) -> None:
    with session_scope(settings.effective_database_url) as session:
        session.add(Elder(name="王秀英", binding_code="ABCDEF"))
    codes = [
        client.post("/api/chat/bind", json={"code": guess}).status_code
        for guess in ("AAAAAA", "BBBBBB", "ABCDEF")
    ]
    assert codes == [404, 404, 429]  # the right code, too late, is refused unread


def test_chunked_oversize_upload_is_413_while_reading(
    client: TestClient, settings: Settings
) -> None:
    response = client.post(
        "/api/chat/voice", content=chunked_wav_upload(200), headers=MULTIPART
    )
    assert response.status_code == 413
    assert "内容太大了" in response.json()["detail"]
    declared = client.post(
        "/api/chat",
        content=b"{" + b" " * (100 * 1024) + b"}",
        headers={"content-type": "application/json"},
    )
    assert declared.status_code == 413


def test_voice_upload_under_the_limit_still_works(client: TestClient) -> None:
    small = wav(1.0, rate=8000)  # 16 KB, under the 64 KiB test limit
    response = client.post(
        "/api/chat/voice", files={"audio": ("v.wav", small, "audio/wav")}
    )
    assert response.status_code == 503  # no Chinese model: "please type"


def _forged_emergency_call() -> dict:
    return {
        "next_action": "action_report_emergency",
        "sender_id": "forger",
        "tracker": {
            "sender_id": "forger",
            "slots": {},
            "latest_message": {
                "text": "救命",
                "intent": {"name": "report_emergency"},
                "metadata": {"channel": "phone", "caller_phone": "+8613900000001"},
            },
            "events": [],
            "latest_action_name": "action_listen",
        },
        "domain": {},
        "version": "3.6.21",
    }


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": TOKEN},
        {"Authorization": f"Basic {TOKEN}"},
    ],
)
def test_forged_webhook_is_401_and_runs_nothing(
    client: TestClient, settings: Settings, headers: dict[str, str]
) -> None:
    response = client.post("/webhook", json=_forged_emergency_call(), headers=headers)
    assert response.status_code == 401
    assert client.get("/actions", headers=headers).status_code == 401
    query = client.post("/webhook", params={"token": TOKEN}, json={})
    assert query.status_code == 401  # Rasa's ?token= style is not accepted
    assert count(settings, Emergency) == 0
    assert count(settings, CallbackRequest) == 0


def test_webhook_with_the_token_reaches_the_executor(client: TestClient) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    listed = client.get("/actions", headers=headers)
    assert listed.status_code == 200
    assert {"name": "action_report_emergency"} in listed.json()
    unknown = client.post(
        "/webhook",
        json={**_forged_emergency_call(), "next_action": "action_nope"},
        headers=headers,
    )
    assert unknown.status_code == 404


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"text"', b""])
def test_malformed_action_call_is_400_and_runs_nothing(
    client: TestClient, settings: Settings, body: bytes
) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    response = client.post("/webhook", content=body, headers=headers)
    assert response.status_code == 400
    assert response.json() == {"error": "Invalid body request"}
    assert count(settings, Emergency) == 0


def test_an_id_the_database_cannot_hold_is_422_not_500(
    client: TestClient, settings: Settings
) -> None:
    """Found by schemathesis: /api/staff/elders/468338323225813257814016/… gave 500."""
    app = client.app

    @app.get("/probe/{elder_id}")  # type: ignore[attr-defined]
    def probe(elder_id: int) -> dict[str, bool]:
        with session_scope(settings.effective_database_url) as session:
            return {"found": session.get(Elder, elder_id) is not None}

    assert client.get("/probe/1").json() == {"found": False}
    response = client.get(f"/probe/{10**24}")
    assert response.status_code == 422
    assert "太大" in response.json()["detail"]
