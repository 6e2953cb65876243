"""Anti-fraud reminder broadcasts: scheduled by staff, fanned out to consenting subscribers.

Each delivery is an outbox row, so the existing worker sends SMS and calls with
retries, and staff see per-broadcast delivery counts. Chat deliveries wait in
the outbox (channel ``chat``) until the family's chat page collects them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.db import AlertSubscription, Broadcast, OutboxMessage, utcnow
from assistant.services.outbox import enqueue

CHANNELS = ("sms", "call", "chat")
MAX_BODY_CHARS = 300
OPT_OUT_HINT = "不想再收到，请对助手说“取消提醒”。"


def schedule(
    session: Session,
    *,
    body: str,
    channels: list[str],
    created_by: str,
    scheduled_at: dt.datetime | None = None,
    topic: str = "anti_fraud",
) -> Broadcast:
    """Create a broadcast to go out at ``scheduled_at`` (now by default).

    Raises:
        ValueError: empty or too long text, or an unknown channel.
    """
    text = body.strip()
    if not text or len(text) > MAX_BODY_CHARS:
        raise ValueError(f"body must be 1..{MAX_BODY_CHARS} characters")
    unknown = sorted(set(channels) - set(CHANNELS))
    if unknown or not channels:
        raise ValueError(f"channels must be some of {CHANNELS}, got {channels!r}")
    broadcast = Broadcast(
        topic=topic,
        body=text,
        channels=sorted(set(channels)),
        scheduled_at=scheduled_at or utcnow(),
        created_by=created_by,
    )
    session.add(broadcast)
    session.flush()
    return broadcast


def _as_utc(moment: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def dispatch_due(session: Session, *, now: dt.datetime | None = None) -> list[int]:
    """Fan out every broadcast that is due; returns their ids.

    Only subscriptions active at this moment receive it, so an opt-out made
    before the send time is always honoured.
    """
    now = now or utcnow()
    query = select(Broadcast).where(Broadcast.status == "scheduled")
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    sent: list[int] = []
    for broadcast in session.scalars(query):
        if _as_utc(broadcast.scheduled_at) > now:
            continue
        subscribers = session.scalars(
            select(AlertSubscription).where(
                AlertSubscription.topic == broadcast.topic,
                AlertSubscription.active.is_(True),
                AlertSubscription.channel.in_(broadcast.channels),
            )
        )
        text = f"{broadcast.body}{OPT_OUT_HINT}"
        for sub in subscribers:
            enqueue(
                session,
                channel=sub.channel,
                recipient=sub.address,
                body=text,
                related_kind="broadcast",
                related_id=broadcast.id,
            )
        broadcast.status = "sent"
        sent.append(broadcast.id)
    session.flush()
    return sent


def collect_chat(session: Session, *, user_id: str) -> list[OutboxMessage]:
    """Chat deliveries waiting for ``user_id``; marked sent as they are handed over."""
    waiting = list(
        session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.channel == "chat",
                OutboxMessage.recipient == user_id,
                OutboxMessage.status == "pending",
            )
            .order_by(OutboxMessage.id)
        )
    )
    for message in waiting:
        message.status = "sent"
        message.provider_status = "delivered"
        message.attempts += 1
    session.flush()
    return waiting


def broadcast_public(session: Session, broadcast: Broadcast) -> dict[str, object]:
    """JSON shape for staff, with delivery counts by outbox status."""
    statuses = Counter(
        session.scalars(
            select(OutboxMessage.status).where(
                OutboxMessage.related_kind == "broadcast",
                OutboxMessage.related_id == broadcast.id,
            )
        )
    )
    return {
        "id": broadcast.id,
        "topic": broadcast.topic,
        "body": broadcast.body,
        "channels": broadcast.channels,
        "scheduled_at": _as_utc(broadcast.scheduled_at).isoformat(),
        "status": broadcast.status,
        "created_by": broadcast.created_by,
        "deliveries": dict(statuses),
    }
