"""The outbox worker: claims due notifications and sends them through Twilio.

At least once: a row is claimed (``doing``) before sending and settled after;
a crash between the two leaves it ``doing`` and it is retried once stale, with
the outbox id as Twilio idempotency key. Rows live in the database, so nothing
is lost across restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from dataclasses import dataclass, field

from sqlalchemy import or_, select, update

from assistant.db import OutboxMessage, session_scope, utcnow
from assistant.notify.twilio_sender import (
    NotConfigured,
    PermanentSendError,
    TransientSendError,
    TwilioSender,
)
from assistant.services.emergencies import add_event
from assistant.services.outbox import SENT_BY_WORKER
from assistant.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    id: int
    channel: str
    recipient: str
    body: str
    attempts: int
    related_kind: str | None
    related_id: int | None


@dataclass
class OutboxWorker:
    """Sends due outbox rows until stopped (or, in burst mode, until none is due)."""

    settings: Settings
    sender: TwilioSender
    stop_event: asyncio.Event = field(default_factory=asyncio.Event)
    counters: dict[str, int] = field(
        default_factory=lambda: {"sent": 0, "retried": 0, "failed": 0, "not_sent": 0}
    )

    @property
    def _url(self) -> str:
        return self.settings.effective_database_url

    def release_orphans(self) -> int:
        """On SQLite (one worker) rows left ``doing`` by a dead process go back."""
        if not self._url.startswith("sqlite"):
            return 0
        with session_scope(self._url) as session:
            result = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.status == "doing")
                .values(status="pending", next_attempt_at=utcnow())
            )
            return int(getattr(result, "rowcount", 0) or 0)

    def claim_next(self) -> Job | None:
        """Take the oldest due row: SKIP LOCKED on PostgreSQL, one worker on SQLite."""
        now = utcnow()
        stale = now - dt.timedelta(seconds=self.settings.outbox_stale_s)
        query = (
            select(OutboxMessage)
            .where(OutboxMessage.channel.in_(SENT_BY_WORKER))
            .where(
                or_(
                    (OutboxMessage.status == "pending")
                    & (OutboxMessage.next_attempt_at <= now),
                    (OutboxMessage.status == "doing")
                    & (OutboxMessage.updated_at <= stale),
                )
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(1)
        )
        if not self._url.startswith("sqlite"):
            query = query.with_for_update(skip_locked=True)
        with session_scope(self._url) as session:
            row = session.scalars(query).first()
            if row is None:
                return None
            row.status = "doing"
            row.attempts += 1
            row.updated_at = now
            return Job(
                row.id,
                row.channel,
                row.recipient,
                row.body,
                row.attempts,
                row.related_kind,
                row.related_id,
            )

    def settle(
        self,
        job: Job,
        *,
        status: str,
        error: str | None = None,
        sid: str | None = None,
        retry_in: float | None = None,
    ) -> None:
        """Record the outcome of one attempt (and put it on an emergency's timeline)."""
        with session_scope(self._url) as session:
            row = session.get(OutboxMessage, job.id)
            if row is None:
                return
            row.status = status
            row.last_error = error
            if sid:
                row.provider_sid = sid
            if retry_in is not None:
                row.next_attempt_at = utcnow() + dt.timedelta(seconds=retry_in)
            if (
                job.related_kind == "emergency"
                and job.related_id
                and status != "pending"
            ):
                add_event(
                    session,
                    job.related_id,
                    f"notification_{status}",
                    f"outbox={job.id} channel={job.channel}"
                    + (f" error={error}" if error else ""),
                )

    async def process(self, job: Job) -> None:
        """One attempt at one row; errors become row state, never escape."""
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
            self.counters["not_sent"] += 1
            await asyncio.to_thread(
                self.settle, job, status="not_sent", error="Twilio not configured"
            )
        except TransientSendError as exc:
            if job.attempts >= self.settings.outbox_max_attempts:
                self.counters["failed"] += 1
                await asyncio.to_thread(
                    self.settle, job, status="failed", error=str(exc)
                )
            else:
                self.counters["retried"] += 1
                delay = self.settings.outbox_backoff_s * 2 ** (job.attempts - 1)
                await asyncio.to_thread(
                    self.settle, job, status="pending", error=str(exc), retry_in=delay
                )
            logger.warning("outbox %s attempt %s failed: %s", job.id, job.attempts, exc)
        except PermanentSendError as exc:
            self.counters["failed"] += 1
            await asyncio.to_thread(self.settle, job, status="failed", error=str(exc))
            logger.warning("outbox %s refused: %s", job.id, exc)
        else:
            self.counters["sent"] += 1
            await asyncio.to_thread(self.settle, job, status="sent", sid=sid)
            logger.info("outbox %s sent as %s", job.id, job.channel)

    async def run(self, *, burst: bool = False) -> None:
        """Loop until ``stop_event`` is set; in burst mode stop when nothing is due."""
        await asyncio.to_thread(self.release_orphans)
        while not self.stop_event.is_set():
            try:
                job = await asyncio.to_thread(self.claim_next)
            except Exception:
                logger.exception("outbox claim failed")
                job = None
            if job is None:
                if burst:
                    break
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(
                        self.stop_event.wait(), self.settings.outbox_poll_s
                    )
                continue
            await self.process(job)
        logger.info("outbox worker stopped ◆ %s", self.counters)
