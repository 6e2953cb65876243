"""Emergency reports: the row is written first, everything else follows it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from assistant.db import Elder, Emergency, EmergencyEvent


def record_emergency(
    session: Session,
    *,
    user_id: str,
    channel: str,
    utterance: str,
    emergency_type: str | None = None,
    caller_phone: str | None = None,
    elder: Elder | None = None,
) -> Emergency:
    """Write the emergency and its first timeline event, and flush them.

    The caller commits; nothing else (replies, notifications) may happen before
    this returns, so a report is never lost to a later failure.
    """
    emergency = Emergency(
        user_id=user_id,
        channel=channel,
        utterance=utterance,
        emergency_type=emergency_type,
        caller_phone=caller_phone,
        elder_id=elder.id if elder else None,
        location=elder.address if elder else None,
    )
    session.add(emergency)
    session.flush()
    session.add(
        EmergencyEvent(
            emergency_id=emergency.id,
            kind="reported",
            detail=f"channel={channel} type={emergency_type or 'unknown'}",
        )
    )
    session.flush()
    return emergency
