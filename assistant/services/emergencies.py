"""Emergency reports: one service for every channel.

Web chat, the Rasa action, the phone keypad, phone speech and the Rasa-down
paths all call ``report_emergency``. It commits the row first, in its own
transaction, so a report is never lost to a later failure; then it queues the
alerts in a second transaction that also stamps ``alerts_queued_at``. A crash
between the two leaves an open emergency without that stamp, and the sweeper
(``sweep_unalerted``, run at start-up and every minute) queues it. The reply the
person reads or hears comes from ``emergency_reply`` and says "已通知" only when
an alert really was queued to somebody.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, object_session

from assistant.db import (
    Elder,
    Emergency,
    EmergencyEvent,
    OutboxMessage,
    session_scope,
    utcnow,
)
from assistant.services.elders import identify, normalize_phone
from assistant.services.outbox import (
    EMERGENCY_PRIORITY,
    enqueue,
    outbox_public,
    sending_configured,
)
from assistant.settings import Settings

logger = logging.getLogger(__name__)

SessionFactory = Callable[[], AbstractContextManager[Session]]

# Emergency types as people say them. Keys are the NLU entity values and the
# emergency guard's types (plus older keys still in the database); nothing
# English ever reaches an SMS, a call or a reply.
TYPE_LABELS = {
    "fall": "摔倒",
    "chest_pain": "胸痛",
    "breathing": "呼吸困难",
    "fire_gas": "火灾/燃气",
    "fire": "火灾",
    "gas": "燃气泄漏",
    "lost_person": "走失",
    "lost": "走失",
    "stroke": "疑似中风",
    "unconscious": "昏迷",
    "bleeding": "出血",
    "other": "紧急情况",
}
CHANNEL_LABELS = {"web": "网上聊天", "phone": "电话", "wechat": "微信"}
OPEN_STATUSES = ("open", "acknowledged")


def type_label(emergency_type: str | None) -> str:
    """The Chinese name of an emergency type; unknown or missing → 紧急情况."""
    return TYPE_LABELS.get(emergency_type or "", "紧急情况")


@dataclass(frozen=True)
class EmergencyReport:
    """What happened to one report: the row (None: not written), how many people
    an alert was queued to, and whether it joined an open emergency."""

    emergency_id: int | None
    alerted: int
    joined: bool = False


# --- the reply ---------------------------------------------------------------


def emergency_reply(report: EmergencyReport, settings: Settings) -> str:
    """The honest Chinese reply: "已通知" only when somebody was alerted.

    Short sentences for an 80-year-old; numbers only from the settings.
    """
    ambulance = settings.service_directory.get("急救") or "120"
    duty = settings.duty_phone
    if report.emergency_id is None:
        tail = f"也可以打值班电话{duty}。" if duty else ""
        return f"对不起，求助没能记下来。请马上拨打{ambulance}。{tail}"
    if report.alerted <= 0:
        tail = f"也可以打值班电话{duty}。" if duty else ""
        return f"求助已记下，但现在没法通知到人。请马上拨打{ambulance}。{tail}"
    first = (
        "您的求助已经记下，工作人员已通知过了。"
        if report.joined
        else "已通知工作人员，马上有人联系您。"
    )
    return f"{first}有生命危险请马上拨打{ambulance}。"


# --- report: row first, then alerts ---------------------------------------------


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
    """Write the emergency and its first timeline event, and flush them (the
    caller commits). Use ``report_emergency``: this is its first half."""
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
    _add_event(
        session,
        emergency,
        "reported",
        f"{CHANNEL_LABELS.get(channel, channel)}：{type_label(emergency_type)}",
    )
    session.flush()
    return emergency


def report_emergency(
    settings: Settings,
    *,
    user_id: str,
    channel: str,
    text: str,
    emergency_type: str | None = None,
    caller_phone: str | None = None,
    elder_id: int | None = None,
    session_factory: SessionFactory | None = None,
) -> EmergencyReport:
    """Record an emergency said on any channel, then queue its alerts.

    A repeat from the same person (chat user, elder, or caller number on the
    phone) within ``emergency_join_minutes`` of an open emergency joins its
    timeline instead of paging everyone again. Never raises on database errors:
    the report says what was done, and ``emergency_reply`` words it.
    """

    def factory() -> AbstractContextManager[Session]:
        if session_factory is not None:
            return session_factory()
        return session_scope(settings.effective_database_url)

    try:
        with factory() as session:
            elder = (
                session.get(Elder, elder_id)
                if elder_id
                else identify(
                    session, channel=channel, user_id=user_id, caller_phone=caller_phone
                )
            )
            joined = _open_from_same_person(
                session,
                settings,
                user_id=user_id,
                channel=channel,
                elder_id=elder.id if elder else None,
                caller_phone=caller_phone if channel == "phone" else None,
            )
            if joined is not None:
                _add_event(
                    session,
                    joined,
                    "repeated",
                    f"{CHANNEL_LABELS.get(channel, channel)}又报：{text[:200]}",
                )
                if joined.emergency_type is None and emergency_type:
                    joined.emergency_type = emergency_type
                emergency_id = int(joined.id)
            else:
                emergency_id = int(
                    record_emergency(
                        session,
                        user_id=user_id,
                        channel=channel,
                        utterance=text,
                        emergency_type=emergency_type,
                        caller_phone=caller_phone,
                        elder=elder,
                    ).id
                )
            session.commit()  # the report is safe before anything else happens
    except SQLAlchemyError:
        logger.error("emergency on %s could not be recorded", channel, exc_info=True)
        return EmergencyReport(None, 0, False)
    logger.warning(
        "emergency %s %s on %s",
        emergency_id,
        "repeated" if joined is not None else "reported",
        channel,
    )
    if settings.environment == "test" and settings.test_kill_after_emergency_commit:
        os.kill(os.getpid(), signal.SIGKILL)  # the crash the sweeper must survive
    try:
        with factory() as session:
            queue_alerts(session, settings, emergency_id)
            alerted = alerted_people(session, emergency_id)
            session.commit()
    except SQLAlchemyError:
        logger.error(
            "emergency %s: alerts not queued (the sweeper retries)",
            emergency_id,
            exc_info=True,
        )
        alerted = 0
    return EmergencyReport(emergency_id, alerted, joined is not None)


def _open_from_same_person(
    session: Session,
    settings: Settings,
    *,
    user_id: str,
    channel: str,
    elder_id: int | None,
    caller_phone: str | None,
) -> Emergency | None:
    since = utcnow() - dt.timedelta(minutes=settings.emergency_join_minutes)
    same: list[ColumnElement[bool]] = [
        and_(Emergency.channel == channel, Emergency.user_id == user_id)
    ]
    if elder_id is not None:
        same.append(Emergency.elder_id == elder_id)
    if caller_phone:
        # the keypad path stores Twilio's From, the action a normalised number
        spellings = {caller_phone, normalize_phone(caller_phone) or caller_phone}
        same.append(Emergency.caller_phone.in_(spellings))
    return session.scalars(
        select(Emergency)
        .where(Emergency.status.in_(OPEN_STATUSES))
        .where(Emergency.created_at >= since)
        .where(or_(*same))
        .order_by(Emergency.id.desc())
        .limit(1)
    ).first()


# --- alerts, escalation -------------------------------------------------------------


def _summary(emergency: Emergency, elder: Elder | None) -> str:
    who = elder.name if elder else "未登记的求助人"
    where = f"，地址：{emergency.location}" if emergency.location else ""
    phone = f"，电话：{emergency.caller_phone}" if emergency.caller_phone else ""
    return (
        f"紧急求助{emergency.id}号：{who}（{type_label(emergency.emergency_type)}）"
        f"{where}{phone}。原话：{emergency.utterance[:80]}"
    )


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
    """Queue a call (and an SMS) to each person; the number of rows queued."""
    count = 0
    for phone in dict.fromkeys(p for p in people if p):
        for channel in ("sms", "call") if sms else ("call",):
            enqueue(
                session,
                channel=channel,
                recipient=phone,
                body=text,
                related_kind="emergency",
                related_id=emergency.id,
                priority=EMERGENCY_PRIORITY,
            )
            count += 1
    return count


def _roster_slice(settings: Settings, level: int) -> list[str]:
    size = max(settings.escalation_batch, 1)
    return [
        p.get("phone", "")
        for p in settings.duty_roster[level * size : (level + 1) * size]
    ]


def _family(elder: Elder | None) -> list[str]:
    return [c.get("phone", "") for c in (elder.family_contacts if elder else []) or []]


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _claim_alerting(session: Session, emergency_id: int) -> bool:
    """Stamp ``alerts_queued_at`` if nobody has: True for the one who did.

    A conditional UPDATE with a row-count check: on PostgreSQL a second writer
    waits for the first to commit, then matches nothing; on SQLite writers are
    serialised and the second matches nothing.
    """
    result = session.execute(
        update(Emergency)
        .where(Emergency.id == emergency_id)
        .where(Emergency.alerts_queued_at.is_(None))
        .values(alerts_queued_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


def queue_alerts(session: Session, settings: Settings, emergency_id: int) -> int:
    """Queue SMS and calls to the first duty staff and the family, once per
    emergency; start the escalation clock. The number of people alerted now
    (0 when another process already did it, or when nobody can be alerted)."""
    if not _claim_alerting(session, emergency_id):
        return 0
    emergency = session.get(Emergency, emergency_id, populate_existing=True)
    assert emergency is not None
    elder = session.get(Elder, emergency.elder_id) if emergency.elder_id else None
    people = list(
        dict.fromkeys(p for p in _roster_slice(settings, 0) + _family(elder) if p)
    )
    if not people or not sending_configured(settings):
        emergency.unalertable = True
        emergency.next_escalation_at = None
        reason = "没有值班名单，也没有家属电话" if not people else "短信和电话没有配置"
        _add_event(session, emergency, "unalertable", f"无法通知任何人：{reason}")
        logger.error("emergency %s: nobody can be alerted (%s)", emergency_id, reason)
        session.flush()
        return 0
    text = _summary(emergency, elder) + "请尽快处理并在系统中确认。"
    count = _notify(session, emergency, people, text, sms=True)
    emergency.next_escalation_at = utcnow() + dt.timedelta(
        minutes=settings.escalation_minutes
    )
    _add_event(session, emergency, "notified", f"已通知{len(people)}人（{count}条）")
    session.flush()
    return len(people)


def alerted_people(session: Session, emergency_id: int) -> int:
    """How many people alerts of this emergency were queued to."""
    return int(
        session.scalar(
            select(func.count(func.distinct(OutboxMessage.recipient)))
            .where(OutboxMessage.related_kind == "emergency")
            .where(OutboxMessage.related_id == emergency_id)
            .where(OutboxMessage.status != "not_sent")
        )
        or 0
    )


def sweep_unalerted(session: Session, settings: Settings) -> list[int]:
    """Queue what a crash left undone: open emergencies without alerts, and
    alerted ones without an escalation time. The ids it touched."""
    touched: list[int] = []
    missing = session.scalars(
        select(Emergency.id)
        .where(Emergency.status == "open")
        .where(Emergency.alerts_queued_at.is_(None))
        .order_by(Emergency.id)
    ).all()
    for emergency_id in missing:
        queue_alerts(session, settings, emergency_id)
        session.commit()
        touched.append(emergency_id)
        logger.warning("sweeper queued the alerts of emergency %s", emergency_id)
    stalled = session.scalars(
        select(Emergency)
        .where(Emergency.status == "open")
        .where(Emergency.acknowledged_at.is_(None))
        .where(Emergency.alerts_queued_at.is_not(None))
        .where(Emergency.next_escalation_at.is_(None))
        .where(Emergency.unalertable.is_(False))
        .where(Emergency.escalation_level < settings.escalation_max_levels)
    ).all()
    for emergency in stalled:
        emergency.next_escalation_at = utcnow()
        touched.append(emergency.id)
    session.commit()
    return touched


def _due(now: dt.datetime) -> list[ColumnElement[bool]]:
    return [
        Emergency.status == "open",
        Emergency.acknowledged_at.is_(None),
        Emergency.next_escalation_at.is_not(None),
        Emergency.next_escalation_at <= now,
    ]


def _claim_due(session: Session, now: dt.datetime) -> list[Emergency]:
    """The due emergencies this process may escalate, each claimed.

    PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so a second scheduler skips rows the
    first holds. SQLite: a conditional UPDATE of the escalation level with a
    row-count check, so the same level is never escalated twice.
    """
    if not _is_sqlite(session):
        return list(
            session.scalars(
                select(Emergency)
                .where(*_due(now))
                .order_by(Emergency.id)
                .with_for_update(skip_locked=True)
            )
        )
    claimed: list[Emergency] = []
    for emergency_id, level in session.execute(
        select(Emergency.id, Emergency.escalation_level).where(*_due(now))
    ).all():
        result = session.execute(
            update(Emergency)
            .where(Emergency.id == emergency_id)
            .where(Emergency.escalation_level == level)
            .where(*_due(now))
            .values(next_escalation_at=None)
            .execution_options(synchronize_session=False)
        )
        if int(getattr(result, "rowcount", 0) or 0) == 1:
            emergency = session.get(Emergency, emergency_id, populate_existing=True)
            assert emergency is not None
            claimed.append(emergency)
    return claimed


def escalate_due(
    session: Session, settings: Settings, *, now: dt.datetime | None = None
) -> list[int]:
    """Escalate every open, unacknowledged emergency whose time is up; their ids."""
    now = now or utcnow()
    due = _claim_due(session, now)
    for emergency in due:
        elder = session.get(Elder, emergency.elder_id) if emergency.elder_id else None
        level = emergency.escalation_level + 1
        text = (
            f"【升级{level}】"
            + _summary(emergency, elder)
            + "至今无人确认，请立即处理。"
        )
        earlier = [p for lv in range(level) for p in _roster_slice(settings, lv)]
        earlier += _family(elder)
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
        _add_event(session, emergency, "escalated", f"第{level}次升级（{count}条）")
        logger.warning("emergency %s escalated to level %s", emergency.id, level)
    session.flush()
    return [e.id for e in due]


# --- staff actions, alarms ----------------------------------------------------------


def cancel_pending_alerts(session: Session, emergency_id: int) -> int:
    """Stop the retries of an emergency's alerts (someone has taken it)."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.related_kind == "emergency")
        .where(OutboxMessage.related_id == emergency_id)
        .where(OutboxMessage.status == "pending")
        .values(status="cancelled", last_error="已确认接警，不再发送")
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def acknowledge(session: Session, emergency: Emergency, *, staff: str) -> Emergency:
    """A staff member takes the emergency: escalation and alert retries stop."""
    if emergency.acknowledged_at is None:
        emergency.acknowledged_at = utcnow()
        emergency.acknowledged_by = staff
        emergency.status = (
            "acknowledged" if emergency.status == "open" else emergency.status
        )
        emergency.next_escalation_at = None
        cancelled = cancel_pending_alerts(session, emergency.id)
        _add_event(
            session,
            emergency,
            "acknowledged",
            f"停止{cancelled}条待发通知" if cancelled else "",
            actor=staff,
        )
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


def still_needs_alerts(session: Session, emergency_id: int) -> bool:
    """False once staff acknowledged or resolved it: retries are pointless."""
    status = session.scalar(
        select(Emergency.status).where(Emergency.id == emergency_id)
    )
    return status == "open"


def raise_alarm(session: Session, emergency_id: int, reason: str) -> None:
    """A staff alarm on the emergency: its alerts could not be delivered."""
    emergency = session.get(Emergency, emergency_id)
    if emergency is None:
        return
    if emergency.alarm_at is None:
        emergency.alarm_at = utcnow()
    emergency.alarm = reason[:500]
    _add_event(session, emergency, "alarm", reason[:500])
    logger.error("emergency %s: staff alarm: %s", emergency_id, reason)


def add_event(session: Session, emergency_id: int, kind: str, detail: str) -> None:
    """Put an outside step (a notification's outcome) on the timeline."""
    session.add(EmergencyEvent(emergency_id=emergency_id, kind=kind, detail=detail))


def emergency_public(emergency: Emergency) -> dict[str, object]:
    """JSON shape for staff: timeline, alert deliveries from the outbox, and
    the honesty flags (``unalertable``: nobody could be alerted; ``alarm``:
    alerts kept failing)."""

    def iso(value: dt.datetime | None) -> str | None:
        return value.isoformat() if value else None

    session = object_session(emergency)
    deliveries = (
        list(
            session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.related_kind == "emergency")
                .where(OutboxMessage.related_id == emergency.id)
                .order_by(OutboxMessage.id)
            )
        )
        if session is not None
        else []
    )
    return {
        "id": emergency.id,
        "elder_id": emergency.elder_id,
        "channel": emergency.channel,
        "caller_phone": emergency.caller_phone,
        "emergency_type": emergency.emergency_type,
        "type_label": type_label(emergency.emergency_type),
        "utterance": emergency.utterance,
        "location": emergency.location,
        "status": emergency.status,
        "escalation_level": emergency.escalation_level,
        "next_escalation_at": iso(emergency.next_escalation_at),
        "acknowledged_at": iso(emergency.acknowledged_at),
        "acknowledged_by": emergency.acknowledged_by,
        "resolved_at": iso(emergency.resolved_at),
        "created_at": iso(emergency.created_at),
        "alerts_queued_at": iso(emergency.alerts_queued_at),
        "unalertable": bool(emergency.unalertable),
        "alarm": emergency.alarm,
        "alarm_at": iso(emergency.alarm_at),
        "deliveries": [outbox_public(m) for m in deliveries],
        "events": [
            {"at": iso(ev.at), "kind": ev.kind, "detail": ev.detail, "actor": ev.actor}
            for ev in emergency.events
        ],
    }
