"""Staff JSON API for emergencies: list open ones, acknowledge, resolve, timeline."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field
from sqlalchemy import select

from assistant.db import Emergency
from assistant.deps import SessionDep
from assistant.services import emergencies as service
from connectors.staff.auth import CurrentStaff

router = APIRouter(prefix="/api/staff/emergencies", tags=["staff"])


class ResolveIn(BaseModel):
    note: str = Field("", max_length=500)


def _get(session: SessionDep, emergency_id: int) -> Emergency:
    emergency = session.get(Emergency, emergency_id)
    if emergency is None:
        raise HTTPException(status_code=404, detail="没有这条紧急求助")
    return emergency


@router.get("")
def list_emergencies(
    session: SessionDep, staff: CurrentStaff, status: str | None = None
) -> list[dict[str, Any]]:
    """Emergencies, newest first; ``status=open`` for those nobody has taken."""
    query = select(Emergency).order_by(Emergency.id.desc()).limit(200)
    if status:
        query = query.where(Emergency.status == status)
    return [service.emergency_public(e) for e in session.scalars(query)]


@router.get("/{emergency_id}")
def get_emergency(
    emergency_id: int, session: SessionDep, staff: CurrentStaff
) -> dict[str, Any]:
    """One emergency with its timeline."""
    return service.emergency_public(_get(session, emergency_id))


@router.post("/{emergency_id}/ack")
def acknowledge(
    emergency_id: int, session: SessionDep, staff: CurrentStaff
) -> dict[str, Any]:
    """Take the emergency: escalation stops."""
    emergency = service.acknowledge(session, _get(session, emergency_id), staff=staff)
    session.refresh(emergency)
    return service.emergency_public(emergency)


@router.post("/{emergency_id}/resolve")
def resolve(
    emergency_id: int, body: ResolveIn, session: SessionDep, staff: CurrentStaff
) -> dict[str, Any]:
    """Close the emergency with a note."""
    emergency = service.resolve(
        session, _get(session, emergency_id), staff=staff, note=body.note
    )
    session.refresh(emergency)
    return service.emergency_public(emergency)
