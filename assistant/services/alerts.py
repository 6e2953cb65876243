"""Anti-fraud alert subscriptions: consent per channel, with time stamps."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.db import AlertSubscription, utcnow


def subscribe(
    session: Session,
    *,
    channel: str,
    address: str,
    elder_id: int | None,
    topic: str = "anti_fraud",
) -> AlertSubscription:
    """Record consent (again) for one channel and address."""
    sub = _find(session, channel=channel, address=address, topic=topic)
    if sub is None:
        sub = AlertSubscription(channel=channel, address=address, topic=topic)
        session.add(sub)
    sub.elder_id = sub.elder_id or elder_id
    sub.active = True
    sub.consented_at = utcnow()
    sub.revoked_at = None
    session.flush()
    return sub


def unsubscribe(
    session: Session, *, addresses: dict[str, str], topic: str = "anti_fraud"
) -> list[AlertSubscription]:
    """Revoke consent at once on every channel given as {channel: address}."""
    revoked = []
    for channel, address in addresses.items():
        sub = _find(session, channel=channel, address=address, topic=topic)
        if sub is not None and sub.active:
            sub.active = False
            sub.revoked_at = utcnow()
            revoked.append(sub)
    session.flush()
    return revoked


def _find(
    session: Session, *, channel: str, address: str, topic: str
) -> AlertSubscription | None:
    return session.scalars(
        select(AlertSubscription).where(
            AlertSubscription.channel == channel,
            AlertSubscription.address == address,
            AlertSubscription.topic == topic,
        )
    ).first()
