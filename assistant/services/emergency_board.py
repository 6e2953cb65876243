"""The staff emergency board: each emergency as a card a person can act on.

Starts from ``emergencies.emergency_public`` (owned by the emergency service)
and adds what a station worker needs on one card: the elder's profile, the
type in Chinese, and who was alerted with each alert's delivery state.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.db import Elder, Emergency
from assistant.services import emergencies
from assistant.services.emergencies import CHANNEL_LABELS
from assistant.services.timefmt import iso_utc

ALERT_CHANNEL_LABELS = {"sms": "短信", "call": "电话", "chat": "聊天"}
STATUS_LABELS = {
    "open": "待处理",
    "acknowledged": "已确认",
    "resolved": "已处理完毕",
}
EVENT_LABELS = {
    "reported": "收到求助",
    "repeated": "再次求助",
    "unalertable": "无法通知",
    "alarm": "通知一直失败",
    "notified": "已发出通知",
    "escalated": "升级通知",
    "acknowledged": "确认接警",
    "resolved": "处理完毕",
    "notification_status": "通知状态",
    "notification_sent": "通知已发出",
    "notification_failed": "通知失败",
    "notification_not_sent": "通知未发出",
    "notification_cancelled": "通知已停止",
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
OUTBOX_LABELS = {
    "pending": "排队中",
    "doing": "发送中",
    "sent": "已发出",
    "failed": "失败",
    "not_sent": "未发出",
    "cancelled": "已停止（有人接警）",
}
CLOSED_SHOWN = 30
_PHONE = re.compile(r"\+?\d{8,}")


def alert_label(status: str, provider_status: str | None) -> str:
    """Where an alert stands, in words: 已送达, 已发出, 发送中, 失败."""
    provider = (provider_status or "").lower()
    if provider in PROVIDER_LABELS:
        return PROVIDER_LABELS[provider]
    return OUTBOX_LABELS.get(status, status)


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


def mask_phones(text: str) -> str:
    """Phone numbers in a timeline line, masked as on the rest of the card."""
    return _PHONE.sub(lambda m: m.group(0)[:-8] + "****" + m.group(0)[-4:], text)


def event_text(kind: str, detail: str, actor: str | None) -> str:
    """One timeline line in words (the service writes its details in Chinese)."""
    label = EVENT_LABELS.get(kind, kind)
    detail = mask_phones(detail)
    if kind in ("acknowledged", "resolved"):
        return f"{actor or ''} {label}" + (f"：{detail}" if detail else "")
    if kind == "notification_status":
        parts = detail.split()  # "outbox=5 sms delivered" from the Twilio callback
        if len(parts) == 3:
            channel = ALERT_CHANNEL_LABELS.get(parts[1], parts[1])
            return f"通知回执：{channel}{PROVIDER_LABELS.get(parts[2], parts[2])}"
    return f"{label}：{detail}" if detail else label


def card(session: Session, emergency: Emergency) -> dict[str, Any]:
    """One board card; fields the emergency service already gives are kept as given."""
    public: dict[str, Any] = dict(emergencies.emergency_public(emergency))
    alerts: list[dict[str, Any]] = list(public.get("deliveries") or [])
    for alert in alerts:
        channel = alert.get("channel", "")
        alert["channel_label"] = ALERT_CHANNEL_LABELS.get(channel, channel)
        alert["status_label"] = alert_label(
            str(alert.get("status", "")), alert.get("provider_status")
        )
    public["alerts"] = alerts
    public.pop("deliveries", None)
    public.setdefault("unalertable", not alerts)
    public.setdefault("type_label", emergencies.type_label(emergency.emergency_type))
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
