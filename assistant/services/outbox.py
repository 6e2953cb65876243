"""The notification outbox: rows written in the business transaction, sent later."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.db import OutboxMessage, utcnow
from assistant.settings import Settings

# "chat" rows wait for the chat page to collect them; the worker sends the others.
CHANNELS = ("sms", "call", "chat")
SENT_BY_WORKER = ("sms", "call")
# Claimed highest first: an emergency alert never waits behind a broadcast fan-out.
EMERGENCY_PRIORITY = 10
DEFAULT_PRIORITY = 0


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


def outbox_public(message: OutboxMessage) -> dict[str, object]:
    """JSON shape for staff."""
    return {
        "id": message.id,
        "channel": message.channel,
        "recipient": message.recipient,
        "body": message.body,
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
