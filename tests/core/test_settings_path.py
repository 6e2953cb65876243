"""One settings path: the app's actions and routes use the Settings given to create_app.

Two apps with different settings run side by side in one process; each action
call writes to its own app's database and quotes its own duty phone, so nothing
reads a process-wide global.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from actions.context import ActionContext, bind, current
from assistant.app import create_app
from assistant.db import CallbackRequest, session_scope
from assistant.settings import Settings
from knowledge.provider import KnowledgeProvider

TOKEN = "action-token-for-tests"


def _settings(var_dir: Path, duty_phone: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        var_dir=var_dir,
        run_workers=False,
        action_token=TOKEN,
        duty_phone=duty_phone,
    )


def _handoff_call(sender: str) -> dict[str, Any]:
    return {
        "next_action": "action_handoff",
        "sender_id": sender,
        "tracker": {
            "sender_id": sender,
            "slots": {},
            "latest_message": {
                "text": "我要找人工",
                "intent": {"name": "request_human"},
                "metadata": {"channel": "web"},
            },
            "events": [],
            "latest_action_name": "action_listen",
        },
        "domain": {},
        "version": "3.6.21",
    }


def _callback_users(settings: Settings) -> list[str]:
    with session_scope(settings.effective_database_url) as session:
        return list(session.scalars(select(CallbackRequest.user_id)))


def test_each_app_runs_its_actions_with_its_own_settings(tmp_path: Path) -> None:
    first = _settings(tmp_path / "a", "010-11111111")
    second = _settings(tmp_path / "b", "010-22222222")
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(create_app(first)) as a, TestClient(create_app(second)) as b:
        reply_a = a.post("/webhook", json=_handoff_call("user-a"), headers=headers)
        reply_b = b.post("/webhook", json=_handoff_call("user-b"), headers=headers)
    assert reply_a.status_code == reply_b.status_code == 200
    said_a = [r.get("duty_phone") for r in reply_a.json()["responses"]]
    said_b = [r.get("duty_phone") for r in reply_b.json()["responses"]]
    assert "010-11111111" in said_a and "010-22222222" not in said_a
    assert "010-22222222" in said_b and "010-11111111" not in said_b
    assert _callback_users(first) == ["user-a"]
    assert _callback_users(second) == ["user-b"]


def test_app_state_holds_the_given_settings_and_their_knowledge(tmp_path: Path) -> None:
    settings = _settings(tmp_path, "")
    app = create_app(settings)
    assert app.state.settings is settings
    assert isinstance(app.state.knowledge, KnowledgeProvider)
    assert app.state.knowledge.settings is settings


def test_an_action_outside_a_bound_context_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(LookupError, match="ActionContext"):
        current()
    context = ActionContext.for_settings(_settings(tmp_path, ""))
    with bind(context):
        assert current() is context
    with pytest.raises(LookupError):
        current()
