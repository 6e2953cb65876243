"""Who is chatting, decided by the server: session cookie, connector key, binding codes.

A real app with a real SQLite database; Rasa is down (a closed port), which
is enough here because identity is settled before a turn reaches Rasa, and an
emergency said while Rasa is down is recorded under the user the server chose.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from assistant.app import create_app
from assistant.db import (
    Elder,
    Emergency,
    OutboxMessage,
    UserBinding,
    VerificationCode,
    session_scope,
    upgrade_database,
)
from assistant.ratelimit import get_limiter
from assistant.services.elders import identify, register_unverified
from assistant.settings import Settings
from bench.sim.stack import free_port
from connectors.webchat.identity import COOKIE, client_metadata, read_cookie

KEY = "connector-key-1"


@pytest.fixture()
def settings(tmp_path) -> Settings:
    get_limiter("memory://").reset()
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        var_dir=tmp_path,
        rasa_url=f"http://127.0.0.1:{free_port()}",  # Rasa is down
        rasa_timeout_s=2,
        run_workers=False,
        chat_api_key=KEY,
    )
    upgrade_database(settings.effective_database_url)
    return settings


@pytest.fixture()
def app_client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


def fresh(client: TestClient) -> TestClient:
    """Another browser on the same app (own cookie jar)."""
    return TestClient(client.app)


def elder(settings: Settings, **fields) -> int:
    with session_scope(settings.effective_database_url) as session:
        row = Elder(**{"name": "张桂兰", "verified": True, **fields})
        session.add(row)
        session.flush()
        return row.id


def emergency_users(settings: Settings) -> list[str]:
    with session_scope(settings.effective_database_url) as session:
        return [e.user_id for e in session.scalars(select(Emergency))]


def test_first_request_gets_a_signed_httponly_cookie_and_keeps_it(
    app_client: TestClient, settings: Settings
) -> None:
    page = app_client.get("/")
    cookie = page.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie and "Max-Age=" in cookie
    user = read_cookie(settings, app_client.cookies[COOKIE])
    assert user and user.startswith("web-")
    again = app_client.post("/api/chat", json={"text": "我摔倒了"})
    assert "set-cookie" not in again.headers  # same session, nothing new issued
    assert emergency_users(settings) == [user]


def test_body_user_id_cannot_take_over_another_conversation(
    app_client: TestClient, settings: Settings
) -> None:
    app_client.get("/")
    victim = read_cookie(settings, app_client.cookies[COOKIE])
    attacker = fresh(app_client)
    attacker.post("/api/chat", json={"user_id": victim, "text": "救命 我摔倒了"})
    attacker_id = read_cookie(settings, attacker.cookies[COOKIE])
    assert attacker_id != victim
    assert emergency_users(settings) == [attacker_id]


def test_forged_or_unsigned_cookie_is_replaced(
    app_client: TestClient, settings: Settings
) -> None:
    app_client.cookies.set(COOKIE, "web-victim")
    response = app_client.post("/api/chat", json={"text": "救命"})
    issued = response.headers["set-cookie"]
    assert issued.startswith(f"{COOKIE}=")
    assert emergency_users(settings) != ["web-victim"]


def test_only_a_connector_with_the_key_names_the_user(
    app_client: TestClient, settings: Settings
) -> None:
    wrong = app_client.post(
        "/api/chat",
        json={"user_id": "wx-1", "text": "救命"},
        headers={"Authorization": "Bearer not-the-key"},
    )
    assert wrong.status_code == 401
    assert "set-cookie" not in wrong.headers
    unnamed = app_client.post(
        "/api/chat", json={"text": "救命"}, headers={"Authorization": f"Bearer {KEY}"}
    )
    assert unnamed.status_code == 422
    assert emergency_users(settings) == []
    named = app_client.post(
        "/api/chat",
        json={"user_id": "wx-1", "text": "救命"},
        headers={"Authorization": f"Bearer {KEY}"},
    )
    assert named.status_code == 503  # Rasa down; the emergency is still recorded
    assert emergency_users(settings) == ["wx-1"]


def test_no_connector_may_call_when_no_key_is_set(settings: Settings) -> None:
    keyless = settings.model_copy(update={"chat_api_key": ""})
    with TestClient(create_app(keyless)) as client:
        response = client.post(
            "/api/chat",
            json={"user_id": "wx-1", "text": "你好"},
            headers={"Authorization": "Bearer "},
        )
    assert response.status_code == 401


def test_client_metadata_is_an_allow_list() -> None:
    spoofed = {
        "channel": "phone",
        "caller_phone": "+8613900000001",
        "call_sid": "CA1",
        "elder_mode": True,
        "anything": 1,
    }
    assert client_metadata(spoofed) == {"elder_mode": True}
    assert client_metadata({"elder_mode": "yes"}) == {}


def test_caller_phone_identifies_only_on_the_phone_channel(settings: Settings) -> None:
    elder_id = elder(settings, phone="+8613900000001")
    with session_scope(settings.effective_database_url) as session:
        on_web = identify(
            session, channel="web", user_id="web-x", caller_phone="+8613900000001"
        )
        on_phone = identify(
            session, channel="phone", user_id="CA1", caller_phone="+8613900000001"
        )
    assert on_web is None
    assert on_phone is not None and on_phone.id == elder_id


def test_typing_a_verified_elders_phone_grants_nothing(settings: Settings) -> None:
    elder_id = elder(settings, name="李建国", phone="+8613900000002")
    with session_scope(settings.effective_database_url) as session:
        mine = register_unverified(
            session, channel="web", user_id="web-s", name="李建国", phone="13900000002"
        )
        assert mine.id != elder_id and mine.verified is False
        assert (mine.phone, mine.claimed_phone) == (None, "+8613900000002")
        assert identify(session, channel="web", user_id="web-s").id == mine.id
        # A second stranger does not get the first stranger's profile either.
        other = register_unverified(
            session, channel="web", user_id="web-t", name="李建国", phone="13900000002"
        )
        assert other.id not in (elder_id, mine.id)
        # The same user typing again updates their own profile.
        again = register_unverified(
            session, channel="web", user_id="web-s", name="李建华", phone="13900000003"
        )
        assert again.id == mine.id
        assert (again.name, again.phone, again.claimed_phone) == (
            "李建华",
            "+8613900000003",
            None,
        )
        verified = session.get(Elder, elder_id)
        assert verified is not None and verified.name == "李建国"


def test_binding_code_links_the_session(
    app_client: TestClient, settings: Settings
) -> None:
    elder_id = elder(settings, binding_code="K7P2QX")
    assert app_client.post("/api/chat/bind", json={"code": "ZZZZZZ"}).status_code == 404
    bound = app_client.post("/api/chat/bind", json={"code": "k7p2qx"})
    assert bound.status_code == 200 and bound.json()["bound"] is True
    assert "张**" in bound.json()["message"]
    user = read_cookie(settings, app_client.cookies[COOKIE])
    with session_scope(settings.effective_database_url) as session:
        binding = session.scalars(select(UserBinding)).one()
        assert (binding.user_id, binding.elder_id) == (user, elder_id)


def _texted_code(settings: Settings) -> str:
    with session_scope(settings.effective_database_url) as session:
        sms = session.scalars(
            select(OutboxMessage).where(OutboxMessage.related_kind == "verification")
        ).all()[-1]
        assert sms.channel == "sms" and sms.recipient == "+8613900000005"
        return "".join(ch for ch in sms.body.split("验证码是")[1][:6])


def test_verification_code_flow(app_client: TestClient, settings: Settings) -> None:
    elder_id = elder(settings, phone="+8613900000005")
    unknown = app_client.post("/api/chat/verify", json={"phone": "13900000999"})
    sent = app_client.post("/api/chat/verify", json={"phone": "139 0000 0005"})
    assert unknown.status_code == sent.status_code == 202
    assert unknown.json() == sent.json()  # does not tell who is registered
    code = _texted_code(settings)
    with session_scope(settings.effective_database_url) as session:
        row = session.scalars(select(VerificationCode)).one()
        assert code not in row.code_hash and len(row.code_hash) == 64
    # Someone else's session cannot use the code.
    other = fresh(app_client)
    other.get("/")
    refused = other.post("/api/chat/verify/confirm", json={"code": code})
    assert refused.status_code == 400
    wrong = "000000" if code != "000000" else "111111"
    assert (
        app_client.post("/api/chat/verify/confirm", json={"code": wrong}).status_code
        == 400
    )
    ok = app_client.post("/api/chat/verify/confirm", json={"code": code})
    assert ok.status_code == 200 and ok.json()["bound"] is True
    with session_scope(settings.effective_database_url) as session:
        user = read_cookie(settings, app_client.cookies[COOKIE])
        assert identify(session, channel="web", user_id=user).id == elder_id
    # Used once: the same code does not work again.
    again = app_client.post("/api/chat/verify/confirm", json={"code": code})
    assert again.status_code == 400


def test_verification_code_dies_after_too_many_wrong_tries(
    settings: Settings,
) -> None:
    strict = settings.model_copy(
        update={"verification_max_attempts": 2, "code_rate_limit": "100/minute"}
    )
    elder(strict, phone="+8613900000005")
    with TestClient(create_app(strict)) as client:
        client.post("/api/chat/verify", json={"phone": "13900000005"})
        code = _texted_code(strict)
        wrong = "000000" if code != "000000" else "111111"
        for _ in range(2):
            client.post("/api/chat/verify/confirm", json={"code": wrong})
        late = client.post("/api/chat/verify/confirm", json={"code": code})
    assert late.status_code == 400


def test_expired_verification_code_is_refused(settings: Settings) -> None:
    quick = settings.model_copy(update={"verification_code_minutes": 0.0})
    elder(quick, phone="+8613900000005")
    with TestClient(create_app(quick)) as client:
        client.post("/api/chat/verify", json={"phone": "13900000005"})
        code = _texted_code(quick)
        assert (
            client.post("/api/chat/verify/confirm", json={"code": code}).status_code
            == 400
        )
