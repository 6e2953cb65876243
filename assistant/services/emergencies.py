"""Emergency reports: the row is written first, everything else follows it."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.db import Elder, Emergency, EmergencyEvent, utcnow
from assistant.services.outbox import enqueue
from assistant.settings import Settings

logger = logging.getLogger(__name__)


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


# --- alerts, escalation, staff actions ------------------------------------------

_TYPE_LABELS = {
    "fall": "摔倒",
    "chest_pain": "胸痛",
    "breathing": "呼吸困难",
    "unconscious": "昏迷",
    "fire": "火情",
    "gas": "燃气泄漏",
    "lost": "走失",
    "bleeding": "出血",
}


def _summary(emergency: Emergency, elder: Elder | None) -> str:
    who = elder.name if elder else "未登记的来电者"
    kind = _TYPE_LABELS.get(
        emergency.emergency_type or "", emergency.emergency_type or ""
    )
    where = f"，地址：{emergency.location}" if emergency.location else ""
    phone = f"，电话：{emergency.caller_phone}" if emergency.caller_phone else ""
    return f"紧急求助#{emergency.id}：{who}{kind and '（' + kind + '）'}{where}{phone}。原话：{emergency.utterance[:80]}"


def _add_event(
    session: Session,
    emergency: Emergency,
    kind: str,
    detail: str,
    actor: str | None = None,
) -> None:
    session.add(
        EmergencyEvent(emergency_id=emergency.id, kind=kind, detail=detail, actor=actor)
    )


def _notify(
    session: Session, emergency: Emergency, people: list[str], text: str, *, sms: bool
) -> int:
    count = 0
    for phone in dict.fromkeys(p for p in people if p):
        if sms:
            enqueue(
                session,
                channel="sms",
                recipient=phone,
                body=text,
                related_kind="emergency",
                related_id=emergency.id,
            )
            count += 1
        enqueue(
            session,
            channel="call",
            recipient=phone,
            body=text,
            related_kind="emergency",
            related_id=emergency.id,
        )
        count += 1
    return count


def _roster_slice(settings: Settings, level: int) -> list[str]:
    size = max(settings.escalation_batch, 1)
    return [
        p.get("phone", "")
        for p in settings.duty_roster[level * size : (level + 1) * size]
    ]


def alert_emergency(session: Session, settings: Settings, emergency: Emergency) -> int:
    """Queue SMS and calls to the first duty staff and the family; start the clock."""
    elder = session.get(Elder, emergency.elder_id) if emergency.elder_id else None
    family = [
        c.get("phone", "") for c in (elder.family_contacts if elder else []) or []
    ]
    text = _summary(emergency, elder) + "请尽快处理并在系统中确认。"
    count = _notify(
        session, emergency, _roster_slice(settings, 0) + family, text, sms=True
    )
    emergency.next_escalation_at = utcnow() + dt.timedelta(
        minutes=settings.escalation_minutes
    )
    _add_event(session, emergency, "notified", f"queued={count}")
    session.flush()
    return count


def escalate_due(
    session: Session, settings: Settings, *, now: dt.datetime | None = None
) -> list[int]:
    """Escalate every open, unacknowledged emergency whose time is up; their ids."""
    now = now or utcnow()
    due = session.scalars(
        select(Emergency)
        .where(Emergency.status == "open")
        .where(Emergency.acknowledged_at.is_(None))
        .where(Emergency.next_escalation_at.is_not(None))
        .where(Emergency.next_escalation_at <= now)
    ).all()
    for emergency in due:
        elder = session.get(Elder, emergency.elder_id) if emergency.elder_id else None
        level = emergency.escalation_level + 1
        text = (
            f"【升级{level}】"
            + _summary(emergency, elder)
            + "至今无人确认，请立即处理。"
        )
        earlier = [p for lv in range(level) for p in _roster_slice(settings, lv)]
        earlier += [
            c.get("phone", "") for c in (elder.family_contacts if elder else []) or []
        ]
        fresh = _roster_slice(settings, level)
        count = _notify(session, emergency, fresh, text, sms=True)
        count += _notify(
            session, emergency, [p for p in earlier if p not in fresh], text, sms=False
        )
        emergency.escalation_level = level
        emergency.next_escalation_at = (
            now + dt.timedelta(minutes=settings.escalation_minutes)
            if level < settings.escalation_max_levels
            else None
        )
        _add_event(session, emergency, "escalated", f"level={level} queued={count}")
        logger.warning("emergency %s escalated to level %s", emergency.id, level)
    session.flush()
    return [e.id for e in due]


def acknowledge(session: Session, emergency: Emergency, *, staff: str) -> Emergency:
    """A staff member takes the emergency; escalation stops."""
    if emergency.acknowledged_at is None:
        emergency.acknowledged_at = utcnow()
        emergency.acknowledged_by = staff
        emergency.status = (
            "acknowledged" if emergency.status == "open" else emergency.status
        )
        emergency.next_escalation_at = None
        _add_event(session, emergency, "acknowledged", "", actor=staff)
        session.flush()
    return emergency


def resolve(
    session: Session, emergency: Emergency, *, staff: str, note: str = ""
) -> Emergency:
    """Close the emergency with an optional note."""
    if emergency.acknowledged_at is None:
        acknowledge(session, emergency, staff=staff)
    if emergency.resolved_at is None:
        emergency.resolved_at = utcnow()
        emergency.status = "resolved"
        emergency.next_escalation_at = None
        _add_event(session, emergency, "resolved", note[:500], actor=staff)
        session.flush()
    return emergency


def add_event(session: Session, emergency_id: int, kind: str, detail: str) -> None:
    """Put an outside step (a notification's outcome) on the timeline."""
    session.add(EmergencyEvent(emergency_id=emergency_id, kind=kind, detail=detail))


def emergency_public(emergency: Emergency) -> dict[str, object]:
    """JSON shape for staff, timeline included."""

    def iso(value: dt.datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": emergency.id,
        "elder_id": emergency.elder_id,
        "channel": emergency.channel,
        "caller_phone": emergency.caller_phone,
        "emergency_type": emergency.emergency_type,
        "utterance": emergency.utterance,
        "location": emergency.location,
        "status": emergency.status,
        "escalation_level": emergency.escalation_level,
        "next_escalation_at": iso(emergency.next_escalation_at),
        "acknowledged_at": iso(emergency.acknowledged_at),
        "acknowledged_by": emergency.acknowledged_by,
        "resolved_at": iso(emergency.resolved_at),
        "created_at": iso(emergency.created_at),
        "events": [
            {"at": iso(ev.at), "kind": ev.kind, "detail": ev.detail, "actor": ev.actor}
            for ev in emergency.events
        ],
    }
