"""What staff see before and after an anti-fraud broadcast: the spoken version,
quiet hours, consenting recipients, and delivery counts per channel."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assistant.db import AlertSubscription, Broadcast, OutboxMessage
from assistant.services.broadcasts import CHANNELS, OPT_OUT_HINT
from assistant.services.meals import station_tz
from assistant.services.timefmt import as_utc
from assistant.settings import Settings

CHANNEL_LABELS = {"sms": "短信", "call": "电话", "chat": "聊天"}
RINGING = {"sms", "call"}
DELIVERY_LABELS = {
    "pending": "排队中",
    "doing": "发送中",
    "sent": "已发出",
    "failed": "失败",
    "not_sent": "未发出",
}


def message_text(body: str) -> str:
    """The text every recipient gets (SMS and chat show it, calls say it twice)."""
    return f"{body.strip()}{OPT_OUT_HINT}"


def quiet_window(settings: Settings) -> tuple[dt.time, dt.time] | None:
    """The quiet hours as (start, end) station times; None when there are none."""
    if not settings.broadcast_quiet_hours:
        return None
    start, end = settings.broadcast_quiet_hours.split("-")
    return dt.time.fromisoformat(start), dt.time.fromisoformat(end)


def _in_window(moment: dt.time, start: dt.time, end: dt.time) -> bool:
    if start <= end:
        return start <= moment < end
    return moment >= start or moment < end  # the window spans midnight


def send_time(
    settings: Settings, wanted: dt.datetime, channels: list[str]
) -> dt.datetime:
    """When a broadcast set for ``wanted`` goes out: then, or when quiet hours end.

    Quiet hours hold back calls and texts, which ring a phone; a chat-only
    reminder waits in the chat page anyway and goes at once.
    """
    window = quiet_window(settings)
    local = as_utc(wanted).astimezone(station_tz(settings))
    if (
        not set(channels) & RINGING
        or window is None
        or not _in_window(local.time(), *window)
    ):
        return as_utc(wanted)
    start, end = window
    day = local.date()
    if start > end and local.time() >= start:
        day += dt.timedelta(days=1)  # evening: quiet until tomorrow morning
    return dt.datetime.combine(day, end, tzinfo=station_tz(settings)).astimezone(dt.UTC)


def recipients(session: Session, channels: list[str]) -> dict[str, int]:
    """Active anti-fraud subscriptions per chosen channel (consent given, not revoked)."""
    rows = session.execute(
        select(AlertSubscription.channel, func.count())
        .where(
            AlertSubscription.topic == "anti_fraud",
            AlertSubscription.active.is_(True),
            AlertSubscription.channel.in_(channels),
        )
        .group_by(AlertSubscription.channel)
    ).all()
    counts = {channel: 0 for channel in CHANNELS if channel in channels}
    counts.update({channel: int(n) for channel, n in rows})
    return counts


def deliveries(session: Session, broadcast: Broadcast) -> list[dict[str, Any]]:
    """Per channel: how many deliveries are in each state."""
    rows = session.execute(
        select(
            OutboxMessage.channel, OutboxMessage.status, OutboxMessage.provider_status
        ).where(
            OutboxMessage.related_kind == "broadcast",
            OutboxMessage.related_id == broadcast.id,
        )
    ).all()
    by_channel: dict[str, Counter[str]] = defaultdict(Counter)
    for channel, status, provider in rows:
        state = "delivered" if provider in ("delivered", "completed") else status
        by_channel[channel][state] += 1
    labels = DELIVERY_LABELS | {"delivered": "已送达"}
    return [
        {
            "channel": channel,
            "label": CHANNEL_LABELS.get(channel, channel),
            "total": sum(counts.values()),
            "states": [
                {"state": s, "label": labels.get(s, s), "count": n}
                for s, n in sorted(counts.items())
            ],
        }
        for channel, counts in sorted(by_channel.items())
    ]
