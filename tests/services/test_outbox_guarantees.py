"""An outbox you can trust, against the local Twilio API server and real databases:
priority, atomic claims with several workers (SQLite and PostgreSQL), emergency
retries until acknowledged or the limit and then a staff alarm, supervised loops
with heartbeats in /health, and escalation claims."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections import Counter
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select, text, update

from assistant.app import create_app
from assistant.db import (
    Emergency,
    OutboxMessage,
    get_engine,
    session_scope,
    upgrade_database,
    utcnow,
)
from assistant.notify.twilio_sender import TwilioSender
from assistant.services import emergencies
from assistant.services.emergencies import report_emergency
from assistant.services.outbox import enqueue
from assistant.settings import Settings
from assistant.worker import start_workers
from assistant.worker.outbox import OutboxWorker
from bench.sim.twilio_api import TwilioApi
from tests.utils.services import fresh_postgres_database
from tests.utils.waiting import await_until, wait_until


def _rows(settings: Settings) -> list[OutboxMessage]:
    with session_scope(settings.effective_database_url) as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _emergency(settings: Settings, emergency_id: int | None) -> Emergency:
    with session_scope(settings.effective_database_url) as session:
        found = session.get(Emergency, emergency_id)
        assert found is not None
        _ = list(found.events)
        return found


def _report(settings: Settings) -> int:
    report = report_emergency(
        settings, user_id="u1", channel="web", text="我摔倒了", emergency_type="fall"
    )
    assert report.emergency_id is not None and report.alerted == 1
    return report.emergency_id


async def test_emergency_alerts_go_ahead_of_broadcasts(
    settings: Settings, fake_twilio: TwilioApi
) -> None:
    with session_scope(settings.effective_database_url) as session:
        for n in range(5):
            enqueue(
                session,
                channel="sms",
                recipient=f"+86139000000{n:02d}",
                body="防骗提醒",
            )
    _report(settings)
    await OutboxWorker(settings, TwilioSender(settings)).run(burst=True)
    bodies = [r["form"]["Body"] for r in fake_twilio.of_kind("sms")]
    assert len(bodies) == 6
    assert "摔倒" in bodies[0] and bodies[1:] == ["防骗提醒"] * 5


# --- two workers never send one message twice -------------------------------------


async def _race(
    settings: Settings, fake: TwilioApi, *, workers: int, rows: int
) -> None:
    with session_scope(settings.effective_database_url) as session:
        ids = [
            enqueue(
                session, channel="sms", recipient="+8613900000000", body=f"第{n}条"
            ).id
            for n in range(rows)
        ]
    sender = TwilioSender(settings)
    await asyncio.gather(
        *(OutboxWorker(settings, sender).run(burst=True) for _ in range(workers))
    )
    keys = Counter(r["idempotency"] for r in fake.requests)
    assert keys == Counter({f"outbox-{i}": 1 for i in ids}), "a row was sent twice"
    assert {r.status for r in _rows(settings)} == {"sent"}
    assert {r.attempts for r in _rows(settings)} == {1}


async def test_several_workers_send_each_message_once_on_sqlite(
    settings: Settings, fake_twilio: TwilioApi
) -> None:
    await _race(settings, fake_twilio, workers=4, rows=80)


async def test_several_workers_send_each_message_once_on_postgresql(
    settings: Settings, fake_twilio: TwilioApi
) -> None:
    with fresh_postgres_database() as url:
        upgrade_database(url)
        pg = settings.model_copy(update={"database_url": url})
        try:
            await _race(pg, fake_twilio, workers=4, rows=80)
        finally:
            get_engine(url).dispose()


# --- emergency alerts retry until acknowledged or the limit, then an alarm ------


def _fast_forward(settings: Settings, *, minutes: float) -> None:
    """Make the queued rows look ``minutes`` old and due again (time passing)."""
    with session_scope(settings.effective_database_url) as session:
        past = utcnow() - dt.timedelta(minutes=minutes)
        session.execute(
            update(OutboxMessage).values(created_at=past, next_attempt_at=utcnow())
        )


async def test_twilio_500s_retry_past_max_attempts_then_raise_the_staff_alarm(
    settings: Settings, fake_twilio: TwilioApi
) -> None:
    settings = settings.model_copy(
        update={"outbox_max_attempts": 1, "outbox_backoff_s": 30.0}
    )
    emergency_id = _report(settings)
    fake_twilio.fail_next = 10**6  # Twilio answers 500, again and again
    worker = OutboxWorker(settings, TwilioSender(settings))
    await worker.run(burst=True)
    # one attempt each, both still pending: emergencies outlive outbox_max_attempts
    assert [(r.status, r.attempts) for r in _rows(settings)] == [("pending", 1)] * 2
    _fast_forward(settings, minutes=5)
    await worker.run(burst=True)
    assert [(r.status, r.attempts) for r in _rows(settings)] == [("pending", 2)] * 2
    assert _emergency(settings, emergency_id).alarm is None
    _fast_forward(settings, minutes=settings.emergency_retry_minutes + 1)
    await worker.run(burst=True)
    rows = _rows(settings)
    assert [(r.status, r.attempts) for r in rows] == [("failed", 3)] * 2
    assert len(fake_twilio.requests) == 6
    emergency = _emergency(settings, emergency_id)
    assert emergency.alarm is not None and "请人工联系" in emergency.alarm
    assert emergency.alarm_at is not None
    assert "alarm" in [e.kind for e in emergency.events]
    with session_scope(settings.effective_database_url) as session:
        public = emergencies.emergency_public(session.get(Emergency, emergency_id))  # type: ignore[arg-type]
    assert public["alarm"] == emergency.alarm
    assert {d["status"] for d in public["deliveries"]} == {"failed"}  # type: ignore[union-attr, index]


async def test_acknowledge_stops_the_retries(
    settings: Settings, fake_twilio: TwilioApi
) -> None:
    settings = settings.model_copy(update={"outbox_backoff_s": 30.0})
    emergency_id = _report(settings)
    fake_twilio.fail_next = 2
    worker = OutboxWorker(settings, TwilioSender(settings))
    await worker.run(burst=True)
    assert [r.status for r in _rows(settings)] == ["pending", "pending"]
    with session_scope(settings.effective_database_url) as session:
        found = session.get(Emergency, emergency_id)
        assert found is not None
        emergencies.acknowledge(session, found, staff="tester")
    _fast_forward(settings, minutes=1)
    await worker.run(burst=True)
    assert [r.status for r in _rows(settings)] == ["cancelled", "cancelled"]
    assert len(fake_twilio.requests) == 2  # nothing sent after the acknowledgement
    assert _emergency(settings, emergency_id).alarm is None


# --- supervised loops, heartbeats ------------------------------------------------


async def test_a_failing_iteration_is_logged_and_the_loop_goes_on(
    settings: Settings, fake_twilio: TwilioApi
) -> None:
    url = settings.effective_database_url
    with get_engine(url).begin() as conn:  # every claim now fails with a DB error
        conn.execute(text("ALTER TABLE outbox RENAME TO outbox_away"))
    handle = start_workers(settings)
    try:
        beat = handle.heartbeats["outbox-1"]
        await await_until(lambda: beat.failures >= 2, what="claims fail")
        assert beat.running and "outbox" in (beat.last_error or "")
        with get_engine(url).begin() as conn:  # the database recovers
            conn.execute(text("ALTER TABLE outbox_away RENAME TO outbox"))
        with session_scope(url) as session:
            enqueue(session, channel="sms", recipient="+8613900000000", body="恢复了")
        await await_until(lambda: fake_twilio.requests, what="sent after recovery")
        assert all(task.done() is False for task in handle.tasks)
    finally:
        await handle.stop()
    assert _rows(settings)[0].status == "sent"


class TableVanishingTwilio(TwilioApi):
    """The local Twilio API; while answering the first request, the outbox table
    disappears from the database (a real fault that hits the worker's settle)."""

    def __init__(self, db_url: str) -> None:
        super().__init__()
        self.db_url = db_url

    def answer(self, path: str, form: dict[str, str]) -> tuple[int, dict[str, object]]:
        if len(self.requests) == 1:
            with get_engine(self.db_url).begin() as conn:
                conn.execute(text("ALTER TABLE outbox RENAME TO outbox_away"))
        return super().answer(path, form)


async def test_a_failing_settle_is_logged_and_the_row_is_sent_again_later(
    settings: Settings,
) -> None:
    url = settings.effective_database_url
    fake = TableVanishingTwilio(url).start()
    settings = settings.model_copy(
        update={"twilio_api_base": fake.url, "outbox_stale_s": 0.5}
    )
    with session_scope(url) as session:
        enqueue(session, channel="sms", recipient="+8613900000000", body="结算出错")
    handle = start_workers(settings)
    try:
        beat = handle.heartbeats["outbox-1"]
        await await_until(lambda: beat.failures >= 1, what="settle fails")
        assert beat.running
        with get_engine(url).begin() as conn:  # the database recovers
            conn.execute(text("ALTER TABLE outbox_away RENAME TO outbox"))
        await await_until(lambda: len(fake.requests) == 2, what="sent again")
        await await_until(lambda: _rows(settings)[0].status == "sent", what="settled")
    finally:
        await handle.stop()
        fake.stop()
    # at least once, with one idempotency key, so Twilio drops the repeat
    assert len({r["idempotency"] for r in fake.requests}) == 1


def test_health_shows_each_workers_heartbeat(
    settings: Settings, tmp_path: Path
) -> None:
    app = create_app(settings.model_copy(update={"var_dir": tmp_path}))
    with TestClient(app) as client:

        def beating() -> dict[str, dict[str, object]] | None:
            workers = client.get("/health").json()["workers"]
            started = all(w["last_heartbeat"] for w in workers.values())
            return workers if workers and started else None

        workers = wait_until(beating, what="every worker beat once")
    assert {"outbox-1", "emergency-sweeper", "escalations", "broadcasts"} <= set(
        workers
    )
    assert all(w["ok"] and w["running"] for w in workers.values())


def test_a_stalled_worker_makes_health_degraded(
    settings: Settings, tmp_path: Path
) -> None:
    # an hourly loop: after its first pass, no heartbeat comes during the test
    hourly = settings.model_copy(
        update={"var_dir": tmp_path, "broadcast_poll_s": 3600.0}
    )
    app = create_app(hourly)
    with TestClient(app) as client:
        beat = app.state.workers.heartbeats["broadcasts"]
        first = wait_until(lambda: beat.last_beat, what="a first heartbeat")
        assert client.get("/health").json()["workers"]["broadcasts"]["ok"] is True
        # as if the loop had hung: its last heartbeat lies a day in the past
        beat.last_beat = first - dt.timedelta(days=1)
        body = client.get("/health").json()
    assert body["workers"]["broadcasts"]["ok"] is False
    assert body["status"] == "degraded"


# --- the sweeper runs at start-up ----------------------------------------------------


async def test_sweeper_at_start_up_alerts_what_a_crash_left(
    settings: Settings, fake_twilio: TwilioApi
) -> None:
    with session_scope(settings.effective_database_url) as session:
        emergency_id = emergencies.record_emergency(
            session,
            user_id="u1",
            channel="web",
            utterance="救命",
            emergency_type="fall",
        ).id
    handle = start_workers(settings)
    try:
        await await_until(lambda: len(fake_twilio.requests) == 2, what="2 alerts")
    finally:
        await handle.stop()
    assert all(
        "摔倒" in r["form"].get("Body", r["form"].get("Twiml", ""))
        for r in fake_twilio.requests
    )
    assert _emergency(settings, emergency_id).alerts_queued_at is not None


# --- escalation claims the emergency row ---------------------------------------------


def _due_emergencies(settings: Settings, n: int) -> list[int]:
    ids = []
    for i in range(n):
        report = report_emergency(
            settings,
            user_id=f"u{i}",
            channel="web",
            text="救命",
            emergency_type="other",
        )
        assert report.emergency_id is not None
        ids.append(report.emergency_id)
    with session_scope(settings.effective_database_url) as session:
        session.execute(
            update(Emergency).values(
                next_escalation_at=utcnow() - dt.timedelta(seconds=1)
            )
        )
    return ids


def test_two_schedulers_escalate_each_emergency_once_on_sqlite(
    settings: Settings,
) -> None:
    ids = _due_emergencies(settings, 20)
    results: list[list[int]] = []
    start = threading.Barrier(3)

    def scheduler() -> None:
        start.wait()
        with session_scope(settings.effective_database_url) as session:
            results.append(emergencies.escalate_due(session, settings))

    threads = [threading.Thread(target=scheduler) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    escalated = sorted(i for batch in results for i in batch)
    assert escalated == ids, "an emergency was escalated twice (or not at all)"
    assert {_emergency(settings, i).escalation_level for i in ids} == {1}


def test_escalation_skips_a_row_another_scheduler_holds_on_postgresql(
    settings: Settings,
) -> None:
    with fresh_postgres_database() as url:
        upgrade_database(url)
        pg = settings.model_copy(update={"database_url": url})
        try:
            [held, free] = _due_emergencies(pg, 2)
            with session_scope(url) as first:
                # the first scheduler holds one row, not yet committed
                first.execute(
                    select(Emergency).where(Emergency.id == held).with_for_update()
                ).all()
                with session_scope(url) as second:
                    assert emergencies.escalate_due(second, pg) == [free]
            with session_scope(url) as session:
                assert emergencies.escalate_due(session, pg) == [held]
        finally:
            get_engine(url).dispose()
