"""The outbox worker against the local Twilio API: sends, retries, restarts."""

from __future__ import annotations

from sqlalchemy import select

from assistant.db import OutboxMessage, session_scope
from assistant.notify.twilio_sender import TwilioSender
from assistant.services.outbox import enqueue
from assistant.settings import Settings
from assistant.worker import start_workers
from assistant.worker.outbox import OutboxWorker
from bench.sim.twilio_api import TwilioApi
from tests.utils.waiting import await_until


def _queue(settings: Settings, *items: tuple[str, str]) -> list[int]:
    with session_scope(settings.effective_database_url) as session:
        return [
            enqueue(session, channel=ch, recipient="+8613900000000", body=body).id
            for ch, body in items
        ]


def _rows(settings: Settings) -> list[OutboxMessage]:
    with session_scope(settings.effective_database_url) as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_sms_and_call_are_sent_with_idempotency_keys(
    settings: Settings, fake_twilio: TwilioApi
) -> None:
    ids = _queue(settings, ("sms", "有紧急情况"), ("call", "请尽快处理"))
    await OutboxWorker(settings, TwilioSender(settings)).run(burst=True)
    rows = _rows(settings)
    assert [r.status for r in rows] == ["sent", "sent"]
    assert rows[0].provider_sid.startswith("SM") and rows[1].provider_sid.startswith(
        "CA"
    )
    sms, call = fake_twilio.of_kind("sms")[0], fake_twilio.of_kind("call")[0]
    assert (
        sms["form"]["Body"] == "有紧急情况" and sms["idempotency"] == f"outbox-{ids[0]}"
    )
    assert "<Say" in call["form"]["Twiml"] and "请尽快处理" in call["form"]["Twiml"]
    assert sms["form"]["StatusCallback"].endswith("/api/staff/outbox/twilio-status")


async def test_fails_twice_then_succeeds(
    settings: Settings, fake_twilio: TwilioApi
) -> None:
    _queue(settings, ("sms", "提醒"))
    fake_twilio.fail_next = 2
    await OutboxWorker(settings, TwilioSender(settings)).run(burst=True)
    [row] = _rows(settings)
    assert row.status == "sent" and row.attempts == 3
    keys = {r["idempotency"] for r in fake_twilio.requests}
    assert len(fake_twilio.requests) == 3 and len(keys) == 1


async def test_bounded_retries_end_failed(
    settings: Settings, fake_twilio: TwilioApi
) -> None:
    settings = settings.model_copy(update={"outbox_max_attempts": 2})
    _queue(settings, ("sms", "提醒"))
    fake_twilio.fail_next = 10
    await OutboxWorker(settings, TwilioSender(settings)).run(burst=True)
    [row] = _rows(settings)
    assert row.status == "failed" and row.attempts == 2 and "500" in row.last_error


async def test_backoff_defers_the_retry(
    settings: Settings, fake_twilio: TwilioApi
) -> None:
    settings = settings.model_copy(update={"outbox_backoff_s": 60.0})
    _queue(settings, ("sms", "提醒"))
    fake_twilio.fail_next = 1
    await OutboxWorker(settings, TwilioSender(settings)).run(burst=True)
    [row] = _rows(settings)
    assert row.status == "pending" and row.attempts == 1
    assert len(fake_twilio.requests) == 1


async def test_without_credentials_marked_not_sent(settings: Settings) -> None:
    settings = settings.model_copy(update={"twilio_account_sid": ""})
    _queue(settings, ("sms", "提醒"))
    await OutboxWorker(settings, TwilioSender(settings)).run(burst=True)
    [row] = _rows(settings)
    assert row.status == "not_sent" and row.last_error == "Twilio not configured"


async def test_outbox_survives_a_restart(
    settings: Settings, fake_twilio: TwilioApi
) -> None:
    """A row claimed by a process that died is sent by the next one once stale."""
    _queue(settings, ("sms", "第一条"), ("sms", "第二条"))
    first = OutboxWorker(settings, TwilioSender(settings))
    job = first.claim_next()  # claimed, then the process "dies" before sending
    assert job is not None
    assert [r.status for r in _rows(settings)] == ["doing", "pending"]
    # while the claim is fresh, nobody else takes that row
    await OutboxWorker(settings, TwilioSender(settings)).run(burst=True)
    assert [r.status for r in _rows(settings)] == ["doing", "sent"]
    stale = settings.model_copy(update={"outbox_stale_s": 0.0})
    await OutboxWorker(stale, TwilioSender(stale)).run(burst=True)
    assert [r.status for r in _rows(settings)] == ["sent", "sent"]
    assert sorted(r["form"]["Body"] for r in fake_twilio.requests) == [
        "第一条",
        "第二条",
    ]


async def test_start_and_stop_workers(
    settings: Settings, fake_twilio: TwilioApi
) -> None:
    handle = start_workers(settings)
    _queue(settings, ("call", "测试"))
    await await_until(lambda: fake_twilio.requests)
    await handle.stop()
    assert all(task.done() for task in handle.tasks)
    assert _rows(settings)[0].status == "sent"
