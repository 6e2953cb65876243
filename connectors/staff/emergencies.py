"""Staff JSON API for emergencies: the board, acknowledge, resolve, one card.

Every acknowledge and resolve leaves an audit entry in the same transaction.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field
from sqlalchemy import select

from assistant.db import Elder, Emergency
from assistant.deps import SessionDep
from assistant.services import emergencies as service
from assistant.services.emergency_board import board, card
from connectors.staff.audit import Trail
from connectors.staff.auth import CurrentStaff

router = APIRouter(prefix="/api/staff/emergencies", tags=["staff"])


class ResolveIn(BaseModel):
    note: str = Field("", max_length=500)


def _get(session: SessionDep, emergency_id: int) -> Emergency:
    emergency = session.get(Emergency, emergency_id)
    if emergency is None:
        raise HTTPException(status_code=404, detail="没有这条紧急求助")
    return emergency


def _what(session: SessionDep, emergency: Emergency) -> str:
    """'摔倒 王秀英' for the audit trail."""
    elder = session.get(Elder, emergency.elder_id) if emergency.elder_id else None
    return (
        f"{service.type_label(emergency.emergency_type)} {elder.name if elder else ''}"
    )


@router.get("")
def list_emergencies(
    session: SessionDep, staff: CurrentStaff, status: str | None = None
) -> list[dict[str, Any]]:
    """Emergencies, newest first; ``status=open`` for those nobody has taken."""
    query = select(Emergency).order_by(Emergency.id.desc()).limit(200)
    if status:
        query = query.where(Emergency.status == status)
    return [card(session, e) for e in session.scalars(query)]


@router.get("/board")
def emergency_board(
    session: SessionDep, staff: CurrentStaff
) -> dict[str, list[dict[str, Any]]]:
    """Open emergencies (untaken first, oldest first) and the recently closed ones."""
    return board(session)


@router.get("/{emergency_id}")
def get_emergency(
    emergency_id: int, session: SessionDep, staff: CurrentStaff
) -> dict[str, Any]:
    """One emergency card with its timeline."""
    return card(session, _get(session, emergency_id))


@router.post("/{emergency_id}/ack")
def acknowledge(
    emergency_id: int, session: SessionDep, staff: CurrentStaff, trail: Trail
) -> dict[str, Any]:
    """Take the emergency (确认接警): escalation stops."""
    emergency = _get(session, emergency_id)
    first = emergency.acknowledged_at is None
    service.acknowledge(session, emergency, staff=staff)
    if first:
        trail("acknowledge", "emergency", emergency.id, _what(session, emergency))
    session.refresh(emergency)
    return card(session, emergency)


@router.post("/{emergency_id}/resolve")
def resolve(
    emergency_id: int,
    body: ResolveIn,
    session: SessionDep,
    staff: CurrentStaff,
    trail: Trail,
) -> dict[str, Any]:
    """Close the emergency with a note (处理完毕)."""
    emergency = _get(session, emergency_id)
    first = emergency.resolved_at is None
    service.resolve(session, emergency, staff=staff, note=body.note)
    if first:
        trail("resolve", "emergency", emergency.id, body.note)
    session.refresh(emergency)
    return card(session, emergency)
