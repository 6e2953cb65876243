"""The outbox worker: claims due notifications and sends them through Twilio.

At least once, never twice at the same time: a row is claimed (``doing``)
before sending and settled after. The claim is atomic on both databases:
PostgreSQL takes the row ``FOR UPDATE SKIP LOCKED``; SQLite runs a conditional
UPDATE (still due, same attempt count) and checks that it changed one row, so
two workers can never both win. A crash between claim and settle leaves the row
``doing``; once stale it is claimed again, with the outbox id as Twilio
idempotency key. Settling is conditional on the claim as well, so a worker that
lost its row to such a re-claim cannot overwrite the newer outcome.

Emergency alerts go first (``priority``) and do not give up after
``outbox_max_attempts``: they retry with back-off until the emergency is
acknowledged or ``emergency_retry_minutes`` have passed; then a staff alarm is
raised on the emergency.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from assistant.db import OutboxMessage, session_scope, utcnow
from assistant.notify.twilio_sender import (
    NotConfigured,
    PermanentSendError,
    TransientSendError,
    TwilioSender,
)
from assistant.services.emergencies import add_event, raise_alarm, still_needs_alerts
from assistant.services.outbox import SENT_BY_WORKER, wakeup
from assistant.settings import Settings
from assistant.worker.supervisor import Heartbeat, supervise

logger = logging.getLogger(__name__)

CANDIDATES = 5  # rows looked at per SQLite claim attempt
CHANNEL_NAMES = {"sms": "短信", "call": "电话"}


@dataclass(frozen=True)
class Job:
    id: int
    channel: str
    recipient: str
    body: str
    attempts: int
    related_kind: str | None
    related_id: int | None
    created_at: dt.datetime | None = None

    @property
    def is_emergency(self) -> bool:
        return self.related_kind == "emergency" and self.related_id is not None


@dataclass(frozen=True)
class Outcome:
    """How one attempt ends: the row's new status, and what goes with it."""

    status: str
    error: str | None = None
    sid: str | None = None
    retry_in: float | None = None
    alarm: str | None = None


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands datetimes back naive; they are UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


@dataclass
class OutboxWorker:
    """Sends due outbox rows until stopped (or, in burst mode, until none is due)."""

    settings: Settings
    sender: TwilioSender
    stop_event: asyncio.Event = field(default_factory=asyncio.Event)
    name: str = "outbox"
    counters: dict[str, int] = field(
        default_factory=lambda: {
            "sent": 0,
            "retried": 0,
            "failed": 0,
            "not_sent": 0,
            "cancelled": 0,
            "alarms": 0,
        }
    )
    heartbeat: Heartbeat | None = None

    @property
    def _url(self) -> str:
        return self.settings.effective_database_url

    # --- claim ------------------------------------------------------------------
    def _due(self, now: dt.datetime) -> ColumnElement[bool]:
        stale = now - dt.timedelta(seconds=self.settings.outbox_stale_s)
        return OutboxMessage.channel.in_(SENT_BY_WORKER) & or_(
            (OutboxMessage.status == "pending")
            & (OutboxMessage.next_attempt_at <= now),
            (OutboxMessage.status == "doing") & (OutboxMessage.updated_at <= stale),
        )

    @staticmethod
    def _order() -> tuple[Any, ...]:
        return (
            OutboxMessage.priority.desc(),
            OutboxMessage.next_attempt_at,
            OutboxMessage.id,
        )

    def claim_next(self) -> Job | None:
        """Take the most urgent due row, atomically; None when nothing is due."""
        now = utcnow()
        with session_scope(self._url) as session:
            if session.get_bind().dialect.name == "sqlite":
                return self._claim_sqlite(session, now)
            return self._claim_locking(session, now)

    def _claim_locking(self, session: Session, now: dt.datetime) -> Job | None:
        row = session.scalars(
            select(OutboxMessage)
            .where(self._due(now))
            .order_by(*self._order())
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if row is None:
            return None
        row.status = "doing"
        row.attempts += 1
        row.updated_at = now
        return self._job(row)

    def _claim_sqlite(self, session: Session, now: dt.datetime) -> Job | None:
        # The read runs outside a write transaction; the UPDATE then re-checks
        # that the row is still due at the attempt count we saw. SQLite
        # serialises writers, so of two workers only one changes the row.
        candidates = session.execute(
            select(OutboxMessage.id, OutboxMessage.attempts)
            .where(self._due(now))
            .order_by(*self._order())
            .limit(CANDIDATES)
        ).all()
        for row_id, attempts in candidates:
            result = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row_id)
                .where(OutboxMessage.attempts == attempts)
                .where(self._due(now))
                .values(status="doing", attempts=attempts + 1, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if int(getattr(result, "rowcount", 0) or 0) == 1:
                session.commit()
                row = session.get(OutboxMessage, row_id, populate_existing=True)
                assert row is not None
                return self._job(row)
            session.rollback()
        return None

    @staticmethod
    def _job(row: OutboxMessage) -> Job:
        return Job(
            row.id,
            row.channel,
            row.recipient,
            row.body,
            row.attempts,
            row.related_kind,
            row.related_id,
            _aware(row.created_at) if row.created_at else None,
        )

    # --- settle -----------------------------------------------------------------
    def settle(self, job: Job, outcome: Outcome) -> bool:
        """Record the outcome of one attempt, if the row is still ours; put it on
        the emergency's timeline and raise the staff alarm it calls for."""
        values: dict[str, object] = {
            "status": outcome.status,
            "last_error": outcome.error,
            "updated_at": utcnow(),
        }
        if outcome.sid:
            values["provider_sid"] = outcome.sid
        if outcome.retry_in is not None:
            values["next_attempt_at"] = utcnow() + dt.timedelta(
                seconds=outcome.retry_in
            )
        with session_scope(self._url) as session:
            result = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == job.id)
                .where(OutboxMessage.status == "doing")
                .where(OutboxMessage.attempts == job.attempts)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if int(getattr(result, "rowcount", 0) or 0) != 1:
                logger.warning(
                    "outbox %s attempt %s: row was claimed again meanwhile; "
                    "outcome %s not recorded",
                    job.id,
                    job.attempts,
                    outcome.status,
                )
                return False
            if job.is_emergency and outcome.status != "pending":
                assert job.related_id is not None
                add_event(
                    session,
                    job.related_id,
                    f"notification_{outcome.status}",
                    f"{CHANNEL_NAMES.get(job.channel, job.channel)} {job.recipient}"
                    + (f"：{outcome.error}" if outcome.error else ""),
                )
            if outcome.alarm and job.related_id is not None:
                raise_alarm(session, job.related_id, outcome.alarm)
        return True

    def _emergency_failure(self, job: Job, error: str, *, transient: bool) -> Outcome:
        """A failed emergency alert: retry until acknowledged or the time limit,
        then fail with a staff alarm."""
        assert job.related_id is not None
        with session_scope(self._url) as session:
            needed = still_needs_alerts(session, job.related_id)
        if not needed:
            return Outcome("cancelled", error="已确认接警，不再重试")
        what = f"{CHANNEL_NAMES.get(job.channel, job.channel)}通知{job.recipient}"
        if not transient:
            return Outcome(
                "failed", error, alarm=f"{what}被拒绝（{error}），请人工联系"
            )
        age = (utcnow() - (job.created_at or utcnow())).total_seconds()
        if age >= self.settings.emergency_retry_minutes * 60:
            return Outcome(
                "failed",
                error,
                alarm=f"{what}重试{job.attempts}次仍未发出（{error}），请人工联系",
            )
        delay = min(
            self.settings.outbox_backoff_s * 2 ** (job.attempts - 1),
            self.settings.emergency_retry_max_backoff_s,
        )
        return Outcome("pending", error, retry_in=delay)

    def _failure(self, job: Job, error: str, *, transient: bool) -> Outcome:
        if job.is_emergency:
            return self._emergency_failure(job, error, transient=transient)
        if transient and job.attempts < self.settings.outbox_max_attempts:
            delay = self.settings.outbox_backoff_s * 2 ** (job.attempts - 1)
            return Outcome("pending", error, retry_in=delay)
        return Outcome("failed", error)

    # --- one attempt ---------------------------------------------------------------
    async def process(self, job: Job) -> None:
        """One attempt at one row; send errors become row state."""
        key = f"outbox-{job.id}"
        try:
            sid = await asyncio.to_thread(
                self.sender.send,
                channel=job.channel,
                recipient=job.recipient,
                body=job.body,
                key=key,
            )
        except NotConfigured:
            outcome = Outcome(
                "not_sent",
                "Twilio not configured",
                alarm="短信和电话没有配置，求助通知发不出去"
                if job.is_emergency
                else None,
            )
        except TransientSendError as exc:
            logger.warning("outbox %s attempt %s failed: %s", job.id, job.attempts, exc)
            outcome = await asyncio.to_thread(
                self._failure, job, str(exc), transient=True
            )
        except PermanentSendError as exc:
            logger.warning("outbox %s refused: %s", job.id, exc)
            outcome = await asyncio.to_thread(
                self._failure, job, str(exc), transient=False
            )
        else:
            outcome = Outcome("sent", sid=sid)
            logger.info("outbox %s sent as %s", job.id, job.channel)
        if await asyncio.to_thread(self.settle, job, outcome):
            key_name = "retried" if outcome.status == "pending" else outcome.status
            self.counters[key_name] = self.counters.get(key_name, 0) + 1
            if outcome.alarm:
                self.counters["alarms"] += 1

    async def step(self) -> bool:
        """Claim and send one row; True if one was due (look again at once)."""
        job = await asyncio.to_thread(self.claim_next)
        if job is None:
            return False
        await self.process(job)
        return True

    async def run(self, *, burst: bool = False) -> None:
        """Loop until ``stop_event`` is set; in burst mode stop when nothing is due.

        Supervised: a failing iteration (a database error while claiming or
        settling) is logged and the loop goes on.
        """
        if burst:
            while not self.stop_event.is_set() and await self.step():
                pass
            logger.info("outbox burst done ◆ %s", self.counters)
            return
        beat = self.heartbeat or Heartbeat(self.name, self.settings.outbox_poll_s)
        self.heartbeat = beat
        wake = wakeup.subscribe()  # rows committed in this process: no poll wait
        try:
            await supervise(beat, self.step, self.stop_event, wake)
        finally:
            wakeup.unsubscribe(wake)
        logger.info("%s stopped ◆ %s", self.name, self.counters)
