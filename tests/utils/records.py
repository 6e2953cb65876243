"""Rows tests start from, so each test states only what differs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.db import Elder, Emergency

ELDER = {
    "name": "张桂兰",
    "phone": "+8613900000009",
    "address": "幸福里3号",
    "family_contacts": [{"name": "女儿", "phone": "+8613700000001"}],
}


def add_elder(session: Session, **fields: Any) -> Elder:
    """A registered elder (张桂兰 with one family contact unless ``fields`` say otherwise)."""
    elder = Elder(**(ELDER | fields))
    session.add(elder)
    session.flush()
    return elder


def emergencies_of(session: Session, user_id: str) -> list[Emergency]:
    """The emergencies recorded for one conversation, oldest first."""
    query = select(Emergency).where(Emergency.user_id == user_id)
    return list(session.scalars(query.order_by(Emergency.id)))
