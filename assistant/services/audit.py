"""The staff audit trail: who acknowledged, resolved, edited or cancelled what, and when.

Every staff action that changes a record calls ``record`` in the same
transaction as the change, so the trail and the change commit or fail together.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.db import AuditEntry
from assistant.services.timefmt import iso_utc

# Chinese names the console shows; keys are what the code stores.
ACTION_LABELS = {
    "acknowledge": "确认接警",
    "resolve": "处理完毕",
    "create": "新建",
    "edit": "修改",
    "delete": "删除",
    "binding_code": "发绑定码",
    "cancel": "取消",
    "deliver": "送达/用餐",
    "confirm": "电话确认",
    "callback_done": "已回电",
    "broadcast": "安排提醒",
    "station_facts": "修改驿站信息",
}
TARGET_LABELS = {
    "emergency": "紧急求助",
    "elder": "老人档案",
    "meal_order": "订餐",
    "callback": "回电请求",
    "broadcast": "防诈提醒",
    "station": "驿站",
}


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    target_kind: str,
    target_id: int | None,
    detail: str = "",
) -> AuditEntry:
    """Add one entry (the caller's transaction commits it with the change)."""
    entry = AuditEntry(
        actor=actor,
        action=action,
        target_kind=target_kind,
        target_id=target_id,
        detail=detail[:1000] or None,
    )
    session.add(entry)
    session.flush()
    return entry


def entries(
    session: Session,
    *,
    target_kind: str | None = None,
    target_id: int | None = None,
    limit: int = 200,
) -> list[AuditEntry]:
    """Newest first, optionally for one record."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if target_kind:
        query = query.where(AuditEntry.target_kind == target_kind)
    if target_id is not None:
        query = query.where(AuditEntry.target_id == target_id)
    return list(session.scalars(query))


def entry_public(entry: AuditEntry) -> dict[str, Any]:
    """JSON shape for the console, labels included."""
    return {
        "id": entry.id,
        "at": iso_utc(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "action_label": ACTION_LABELS.get(entry.action, entry.action),
        "target_kind": entry.target_kind,
        "target_label": TARGET_LABELS.get(entry.target_kind, entry.target_kind),
        "target_id": entry.target_id,
        "detail": entry.detail or "",
    }
