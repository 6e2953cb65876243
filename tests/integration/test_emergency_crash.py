"""The emergency guarantee across a crash: the real app process is SIGKILLed right
after the emergency row is committed and before its alerts are queued; after a
restart, the sweeper queues them and the outbox delivers them to the local
Twilio API server."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from assistant.db import Emergency, OutboxMessage, session_scope
from assistant.launcher import ManagedProcess, build_processes
from assistant.settings import Settings
from bench.sim.stack import CHAT_API_KEY, free_port
from bench.sim.twilio_api import TwilioApi
from tests.utils.waiting import wait_until

pytestmark = pytest.mark.integration

DUTY = "+8613800000001"


@pytest.fixture()
def fake_twilio() -> Iterator[TwilioApi]:
    fake = TwilioApi().start()
    yield fake
    fake.stop()


def app_process(
    tmp: Path, db_url: str, twilio: TwilioApi, *, kill_after_commit: bool
) -> ManagedProcess:
    """The app as ``make run`` starts it (uvicorn, assistant.app:create_app);
    Rasa is left down, so the web chat's own emergency guard reports."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        var_dir=tmp,
        database_url=db_url,
        app_port=free_port(),
        rasa_port=free_port(),  # nothing listens there
    )
    # the app alone: the Rasa servers come first in the list
    app = build_processes(settings, model=tmp / "no-model.tar.gz", log_dir=tmp)[-1]
    app.env.update(
        {
            "ASSISTANT_ENVIRONMENT": "test",
            "ASSISTANT_DATABASE_URL": db_url,
            "ASSISTANT_CHAT_API_KEY": CHAT_API_KEY,
            "ASSISTANT_RASA_TIMEOUT_S": "2",
            "ASSISTANT_TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
            "ASSISTANT_TWILIO_AUTH_TOKEN": "test-token",
            "ASSISTANT_TWILIO_FROM_NUMBER": "+15005550006",
            "ASSISTANT_TWILIO_API_BASE": twilio.url,
            "ASSISTANT_DUTY_ROSTER": json.dumps([{"name": "值班", "phone": DUTY}]),
            "ASSISTANT_OUTBOX_POLL_S": "0.2",
            "ASSISTANT_TEST_KILL_AFTER_EMERGENCY_COMMIT": str(kill_after_commit),
            "HF_HUB_OFFLINE": "1",
        }
    )
    return app


def test_sigkill_after_commit_is_alerted_after_restart(
    tmp_path: Path, fake_twilio: TwilioApi
) -> None:
    db_url = f"sqlite:///{tmp_path / 'assistant.db'}"
    doomed = app_process(tmp_path, db_url, fake_twilio, kill_after_commit=True)
    doomed.start()
    try:
        doomed.wait_healthy(120)
        with pytest.raises(httpx.HTTPError):  # the process dies mid-request
            httpx.post(
                doomed.health_url.replace("/health", "/api/chat"),
                json={"user_id": "crash-1", "text": "救命 我摔倒了起不来"},
                headers={"Authorization": f"Bearer {CHAT_API_KEY}"},
                timeout=30,
            )
        assert doomed.proc is not None
        assert doomed.proc.wait(30) == -signal.SIGKILL
    finally:
        doomed.stop()

    with session_scope(db_url) as session:
        [emergency] = session.scalars(select(Emergency)).all()
        assert emergency.status == "open" and emergency.alerts_queued_at is None
        assert session.scalars(select(OutboxMessage)).all() == []
        emergency_id = emergency.id
    assert fake_twilio.requests == []

    restarted = app_process(tmp_path, db_url, fake_twilio, kill_after_commit=False)
    restarted.start()
    try:
        restarted.wait_healthy(120)
        wait_until(
            lambda: {r["kind"] for r in fake_twilio.requests} == {"sms", "call"},
            timeout=60,
            what="the sweeper's alerts delivered after the restart",
        )
    finally:
        restarted.stop()
    sms = fake_twilio.of_kind("sms")
    assert len(sms) == 1 and sms[0]["form"]["To"] == DUTY
    assert f"紧急求助{emergency_id}号" in sms[0]["form"]["Body"]
    assert "摔倒" in sms[0]["form"]["Body"] and "fall" not in sms[0]["form"]["Body"]
    with session_scope(db_url) as session:
        stored = session.get(Emergency, emergency_id)
        assert stored is not None and stored.alerts_queued_at is not None
        assert {m.status for m in session.scalars(select(OutboxMessage))} == {"sent"}
