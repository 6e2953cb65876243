"""The staff emergency board: each emergency as a card a person can act on.

Starts from ``emergencies.emergency_public`` (owned by the emergency service)
and adds what a station worker needs on one card: the elder's profile, the
type in Chinese, and who was alerted with each alert's delivery state.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.db import Elder, Emergency, OutboxMessage
from assistant.services import emergencies
from assistant.services.timefmt import iso_utc

CHANNEL_LABELS = {"web": "网页聊天", "phone": "电话", "sms": "短信", "chat": "聊天"}
ALERT_CHANNEL_LABELS = {"sms": "短信", "call": "电话", "chat": "聊天"}
STATUS_LABELS = {
    "open": "待处理",
    "acknowledged": "已确认",
    "resolved": "已处理完毕",
}
EVENT_LABELS = {
    "reported": "收到求助",
    "notified": "已发出通知",
    "escalated": "升级通知",
    "acknowledged": "确认接警",
    "resolved": "处理完毕",
    "notification_status": "通知状态",
}
PROVIDER_LABELS = {
    "delivered": "已送达",
    "sent": "已发出",
    "queued": "排队中",
    "completed": "已接通",
    "answered": "已接通",
    "ringing": "响铃中",
    "in-progress": "通话中",
    "failed": "失败",
    "undelivered": "未送达",
    "busy": "占线",
    "no-answer": "无人接听",
    "canceled": "已取消",
}
CLOSED_SHOWN = 30


def type_label(emergency_type: str | None) -> str:
    """The emergency type in Chinese (the emergency service's one map)."""
    labels: dict[str, str] = getattr(
        emergencies, "EMERGENCY_TYPE_LABELS", None
    ) or getattr(emergencies, "_TYPE_LABELS", {})
    if not emergency_type:
        return "紧急求助"
    return labels.get(emergency_type, emergency_type)


def alert_label(message: OutboxMessage) -> str:
    """Where an alert stands, in words: 已送达, 已发出, 发送中, 失败."""
    provider = (message.provider_status or "").lower()
    if provider in PROVIDER_LABELS:
        return PROVIDER_LABELS[provider]
    return {
        "pending": "排队中",
        "doing": "发送中",
        "sent": "已发出",
        "failed": "失败",
        "not_sent": "未发出",
    }.get(message.status, message.status)


def _alerts(session: Session, emergency_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.related_kind == "emergency",
            OutboxMessage.related_id == emergency_id,
        )
        .order_by(OutboxMessage.id)
    )
    return [
        {
            "id": m.id,
            "channel": m.channel,
            "recipient": m.recipient,
            "status": m.status,
            "provider_status": m.provider_status,
            "last_error": m.last_error,
            "created_at": iso_utc(m.created_at),
        }
        for m in rows
    ]


def _elder(session: Session, elder_id: int | None) -> dict[str, Any] | None:
    elder = session.get(Elder, elder_id) if elder_id else None
    if elder is None:
        return None
    return {
        "id": elder.id,
        "name": elder.name,
        "phone": elder.phone,
        "address": elder.address,
        "station": elder.station,
        "family_contacts": elder.family_contacts or [],
        "verified": elder.verified,
    }


def _pairs(detail: str) -> dict[str, str]:
    return dict(p.split("=", 1) for p in detail.split() if "=" in p)


def event_text(kind: str, detail: str, actor: str | None) -> str:
    """One timeline line in words; unknown details are shown as they are."""
    pairs = _pairs(detail)
    who = actor or ""
    if kind == "reported":
        channel = CHANNEL_LABELS.get(pairs.get("channel", ""), pairs.get("channel", ""))
        return f"收到求助（{channel}）" if channel else "收到求助"
    if kind == "notified" and "queued" in pairs:
        return f"已发出通知 {pairs['queued']} 条"
    if kind == "escalated" and "level" in pairs:
        return f"无人确认，升级到第 {pairs['level']} 级，又通知 {pairs.get('queued', '?')} 条"
    if kind == "acknowledged":
        return f"{who} 确认接警"
    if kind == "resolved":
        return f"{who} 处理完毕" + (f"：{detail}" if detail else "")
    if kind == "notification_status":
        parts = detail.split()
        channel = ALERT_CHANNEL_LABELS.get(parts[1], parts[1]) if len(parts) > 1 else ""
        state = parts[2] if len(parts) > 2 else ""
        return f"通知回执：{channel} {PROVIDER_LABELS.get(state, state)}".strip()
    label = EVENT_LABELS.get(kind, kind)
    return f"{label}：{detail}" if detail else label


def card(session: Session, emergency: Emergency) -> dict[str, Any]:
    """One board card; fields the emergency service already gives are kept as given."""
    public: dict[str, Any] = dict(emergencies.emergency_public(emergency))
    alerts = public.get("alerts")
    if alerts is None:
        alerts = _alerts(session, emergency.id)
    statuses = {a["id"]: a for a in alerts if "id" in a}
    by_id = {
        m.id: m
        for m in session.scalars(
            select(OutboxMessage).where(OutboxMessage.id.in_(list(statuses)))
        )
    }
    for alert in alerts:
        message = by_id.get(alert.get("id", -1))
        channel = alert.get("channel", "")
        alert.setdefault("channel_label", ALERT_CHANNEL_LABELS.get(channel, channel))
        if message is not None:
            alert.setdefault("status_label", alert_label(message))
    public["alerts"] = alerts
    public.setdefault("unalertable", not alerts)
    public.setdefault("type_label", type_label(emergency.emergency_type))
    public["channel_label"] = CHANNEL_LABELS.get(emergency.channel, emergency.channel)
    public["status_label"] = STATUS_LABELS.get(emergency.status, emergency.status)
    public["keypad"] = emergency.utterance.strip().isdigit()
    public["elder"] = _elder(session, emergency.elder_id)
    for key in ("created_at", "acknowledged_at", "resolved_at", "next_escalation_at"):
        public[key] = iso_utc(getattr(emergency, key))
    public["events"] = [
        {
            "at": iso_utc(ev.at),
            "kind": ev.kind,
            "label": EVENT_LABELS.get(ev.kind, ev.kind),
            "text": event_text(ev.kind, ev.detail or "", ev.actor),
            "detail": ev.detail or "",
            "actor": ev.actor,
        }
        for ev in emergency.events
    ]
    return public


def board(session: Session) -> dict[str, list[dict[str, Any]]]:
    """Open and acknowledged emergencies oldest first; then the recently closed ones."""
    active = sorted(
        session.scalars(
            select(Emergency)
            .where(Emergency.status.in_(("open", "acknowledged")))
            .order_by(Emergency.created_at, Emergency.id)
        ),
        # Nobody has taken these yet: they come first, oldest first.
        key=lambda e: e.acknowledged_at is not None,
    )
    closed = session.scalars(
        select(Emergency)
        .where(Emergency.status == "resolved")
        .order_by(Emergency.resolved_at.desc(), Emergency.id.desc())
        .limit(CLOSED_SHOWN)
    )
    return {
        "open": [card(session, e) for e in active],
        "closed": [card(session, e) for e in closed],
    }
