"""Chat turns through the app and a real Rasa server with the trained model."""

from __future__ import annotations

import httpx
import pytest

from assistant.db import session_scope
from bench.sim.stack import Stack
from tests.utils.records import emergencies_of

pytestmark = pytest.mark.integration


def texts(messages: list[dict]) -> str:
    return " ".join(m["text"] for m in messages)


def test_greeting_gets_a_chinese_reply(stack: Stack) -> None:
    messages = stack.chat("it-greet", "你好")
    assert messages, "Rasa answered nothing"
    assert all(set(m) >= {"text", "buttons", "citations"} for m in messages)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in texts(messages))


def test_emergency_phrase_creates_an_emergency_row(stack: Stack) -> None:
    messages = stack.chat("it-emergency", "救命啊我老伴摔倒了起不来")
    # On the defaults (no duty roster, no Twilio) nobody can be notified: the
    # reply must not claim it, and gives 120 instead.
    reply = texts(messages)
    assert "已通知" not in reply and "没法通知到人" in reply and "120" in reply
    with session_scope(stack.db_url) as session:
        rows = emergencies_of(session, "it-emergency")
        assert len(rows) == 1
        assert rows[0].channel == "web"
        assert rows[0].emergency_type == "fall"
        assert [e.kind for e in rows[0].events] == ["reported", "unalertable"]
        assert rows[0].unalertable is True


def test_out_of_scope_gets_a_polite_fallback(stack: Stack) -> None:
    messages = stack.chat("it-oos", "帮我查一下明天的股票行情")
    reply = texts(messages)
    assert reply
    assert (
        "工作人员" in reply or "人工" in reply or "不会" in reply or "帮不了" in reply
    )


def test_bad_input_through_the_running_app(stack: Stack) -> None:
    assert stack.post_chat("", "你好").status_code == 422
    too_long = stack.post_chat("it-long", "好" * 5000)
    assert too_long.status_code == 422
    broken = httpx.post(
        f"{stack.app_url}/api/chat",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert broken.status_code == 422


def test_health_is_ok_with_rasa_and_database(stack: Stack) -> None:
    body = httpx.get(f"{stack.app_url}/health", timeout=10).json()
    assert body["rasa"]["ok"] is True
    assert body["database"]["ok"] is True


def test_connector_metadata_reaches_the_tracker_through_the_allow_list(
    stack: Stack,
) -> None:
    metadata = {
        "channel": "phone",
        "caller_phone": "+8613900000077",
        "call_sid": "CA123",
        "elder_mode": True,
    }
    stack.chat("it-meta", "你好", metadata=metadata)
    tracker = httpx.get(
        f"{stack.rasa_url}/conversations/it-meta/tracker",
        params={"token": stack.settings.rasa_token},
        timeout=10,
    ).json()
    seen = tracker["latest_message"]["metadata"]
    # Caller id and channel come only from the telephone connector (Twilio-signed).
    assert seen == {"channel": "web", "elder_mode": True}
