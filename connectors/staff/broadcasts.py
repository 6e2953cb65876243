"""Staff JSON API for anti-fraud broadcasts: schedule one, list them with delivery counts."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field
from sqlalchemy import select

from assistant.db import Broadcast
from assistant.deps import SessionDep
from assistant.services import broadcasts as service
from connectors.staff.auth import CurrentStaff

router = APIRouter(prefix="/api/staff/broadcasts", tags=["staff"])


class BroadcastIn(BaseModel):
    body: str = Field(min_length=1, max_length=service.MAX_BODY_CHARS)
    channels: list[Literal["sms", "call", "chat"]] = Field(min_length=1)
    scheduled_at: dt.datetime | None = None


@router.post("", status_code=201)
def create_broadcast(
    body: BroadcastIn, session: SessionDep, staff: CurrentStaff
) -> dict[str, Any]:
    """Schedule a reminder (now if no time is given); the scheduler sends it."""
    when = body.scheduled_at
    if when is not None and when.tzinfo is None:
        raise HTTPException(status_code=422, detail="scheduled_at needs a time zone")
    try:
        broadcast = service.schedule(
            session,
            body=body.body,
            channels=list(body.channels),
            created_by=staff,
            scheduled_at=when.astimezone(dt.UTC) if when else None,
        )
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    return service.broadcast_public(session, broadcast)


@router.get("")
def list_broadcasts(session: SessionDep, staff: CurrentStaff) -> list[dict[str, Any]]:
    """Broadcasts, newest first, with how many deliveries are sent, pending or failed."""
    rows = session.scalars(select(Broadcast).order_by(Broadcast.id.desc()).limit(100))
    return [service.broadcast_public(session, b) for b in rows]
