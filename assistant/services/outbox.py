"""The notification outbox: rows written in the business transaction, sent later.

Workers poll the table (``outbox_poll_s``), which is what other processes rely
on. Within one process a commit that queued SMS or calls also wakes the
workers at once (``wakeup``), so an emergency alert does not wait for a poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import re
import threading

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from assistant.db import OutboxMessage, utcnow
from assistant.settings import Settings

# "chat" rows wait for the chat page to collect them; the worker sends the others.
CHANNELS = ("sms", "call", "chat")
SENT_BY_WORKER = ("sms", "call")
# Claimed highest first: an emergency alert never waits behind a broadcast fan-out.
EMERGENCY_PRIORITY = 10
DEFAULT_PRIORITY = 0


_WAKE_ON_COMMIT = "outbox_wake_on_commit"


class OutboxWakeup:
    """Wakes the in-process outbox workers when queued rows are committed.

    Each worker ``subscribe()``s an ``asyncio.Event`` on its own loop;
    ``notify()`` may run in any thread (commits happen in executor threads) and
    sets every event thread-safely. A worker in another process never hears it
    and keeps finding rows by polling.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    def subscribe(self) -> asyncio.Event:
        """A new event on the running loop, set on every ``notify()``."""
        wake = asyncio.Event()
        with self._lock:
            self._events.append((asyncio.get_running_loop(), wake))
        return wake

    def unsubscribe(self, wake: asyncio.Event) -> None:
        with self._lock:
            self._events = [(lp, ev) for lp, ev in self._events if ev is not wake]

    def notify(self) -> None:
        with self._lock:
            events = list(self._events)
        for loop, wake in events:
            # a loop closing meanwhile must not fail the commit that notifies
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(wake.set)


wakeup = OutboxWakeup()


@event.listens_for(Session, "after_commit")
def _wake_after_commit(session: Session) -> None:
    """Rows ``enqueue`` added are visible to workers now: wake them."""
    if session.info.pop(_WAKE_ON_COMMIT, False):
        wakeup.notify()


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_WAKE_ON_COMMIT, None)


def sending_configured(settings: Settings) -> bool:
    """Whether SMS and calls can be sent at all (Twilio credentials and a number)."""
    return bool(
        settings.twilio_account_sid
        and settings.twilio_auth_token
        and settings.twilio_from_number
    )


def enqueue(
    session: Session,
    *,
    channel: str,
    recipient: str,
    body: str,
    related_kind: str | None = None,
    related_id: int | None = None,
    not_before: dt.datetime | None = None,
    priority: int = DEFAULT_PRIORITY,
) -> OutboxMessage:
    """Add one notification to the outbox (the caller commits).

    Raises:
        ValueError: unknown channel.
    """
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {CHANNELS}, got {channel!r}")
    message = OutboxMessage(
        channel=channel,
        recipient=recipient,
        body=body,
        related_kind=related_kind,
        related_id=related_id,
        next_attempt_at=not_before or utcnow(),
        priority=priority,
    )
    session.add(message)
    session.flush()
    if channel in SENT_BY_WORKER:
        session.info[_WAKE_ON_COMMIT] = True
    return message


def for_related(session: Session, *, kind: str, related_id: int) -> list[OutboxMessage]:
    """Notifications queued for one emergency, fraud report, ..."""
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.related_kind == kind)
            .where(OutboxMessage.related_id == related_id)
            .order_by(OutboxMessage.id)
        )
    )


# Related kinds whose SMS carries a secret: a verification code in a staff
# member's view would let them bind any chat to that elder.
SECRET_BODIES = ("verification",)
_CODE = re.compile(r"\d{4,}")


def staff_body(message: OutboxMessage) -> str:
    """The text staff may read: codes in secret messages masked (``******``)."""
    if message.related_kind in SECRET_BODIES:
        return _CODE.sub(lambda m: "*" * len(m.group()), message.body)
    return message.body


def outbox_public(message: OutboxMessage) -> dict[str, object]:
    """JSON shape for staff (secret codes masked; the worker sends ``body`` itself)."""
    return {
        "id": message.id,
        "channel": message.channel,
        "recipient": message.recipient,
        "body": staff_body(message),
        "status": message.status,
        "attempts": message.attempts,
        "next_attempt_at": message.next_attempt_at.isoformat(),
        "last_error": message.last_error,
        "provider_sid": message.provider_sid,
        "provider_status": message.provider_status,
        "related_kind": message.related_kind,
        "related_id": message.related_id,
        "priority": message.priority,
        "updated_at": message.updated_at.isoformat() if message.updated_at else None,
    }
