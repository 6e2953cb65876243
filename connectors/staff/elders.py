"""Staff JSON API for elder profiles: list, create, read, edit, issue binding codes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from assistant.db import Elder
from assistant.deps import SessionDep
from assistant.services.elders import new_binding_code, normalize_phone
from connectors.staff.auth import require_staff

router = APIRouter(
    prefix="/api/staff/elders", tags=["staff"], dependencies=[Depends(require_staff)]
)


class FamilyContact(BaseModel):
    name: str = Field(max_length=64)
    phone: str = Field(max_length=32)
    relation: str = Field("", max_length=32)


class ElderIn(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    phone: str | None = Field(None, max_length=32)
    region: str | None = Field(None, max_length=32)
    station: str | None = Field(None, max_length=128)
    address: str | None = Field(None, max_length=256)
    family_contacts: list[FamilyContact] = Field(default_factory=list)
    diet_notes: str | None = Field(None, max_length=256)
    elder_mode: bool = True
    verified: bool = True


class ElderPatch(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=64)
    phone: str | None = Field(None, max_length=32)
    region: str | None = None
    station: str | None = None
    address: str | None = None
    family_contacts: list[FamilyContact] | None = None
    diet_notes: str | None = None
    elder_mode: bool | None = None
    verified: bool | None = None


def elder_public(elder: Elder) -> dict[str, Any]:
    """JSON shape of a profile."""
    return {
        "id": elder.id,
        "name": elder.name,
        "phone": elder.phone,
        "region": elder.region,
        "station": elder.station,
        "address": elder.address,
        "family_contacts": elder.family_contacts or [],
        "diet_notes": elder.diet_notes,
        "elder_mode": elder.elder_mode,
        "verified": elder.verified,
        "binding_code": elder.binding_code,
    }


def _apply(elder: Elder, values: dict[str, Any]) -> None:
    for key, value in values.items():
        if key == "phone":
            value = normalize_phone(value)
        if key == "family_contacts" and value is not None:
            value = [
                {**c, "phone": normalize_phone(c["phone"]) or c["phone"]} for c in value
            ]
        setattr(elder, key, value)


def _get(session: SessionDep, elder_id: int) -> Elder:
    elder = session.get(Elder, elder_id)
    if elder is None:
        raise HTTPException(status_code=404, detail="没有这位老人的档案")
    return elder


def _flush(session: SessionDep) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise HTTPException(status_code=409, detail="电话号码已被其他档案使用") from exc


@router.get("")
def list_elders(session: SessionDep, unverified: bool = False) -> list[dict[str, Any]]:
    """All profiles (or only those waiting for staff to verify them)."""
    query = select(Elder).order_by(Elder.id)
    if unverified:
        query = query.where(Elder.verified.is_(False))
    return [elder_public(e) for e in session.scalars(query)]


@router.post("", status_code=201)
def create_elder(body: ElderIn, session: SessionDep) -> dict[str, Any]:
    """Create a profile with a fresh binding code."""
    elder = Elder(binding_code=new_binding_code())
    _apply(elder, body.model_dump())
    session.add(elder)
    _flush(session)
    return elder_public(elder)


@router.get("/{elder_id}")
def get_elder(elder_id: int, session: SessionDep) -> dict[str, Any]:
    """One profile."""
    return elder_public(_get(session, elder_id))


@router.patch("/{elder_id}")
def update_elder(
    elder_id: int, body: ElderPatch, session: SessionDep
) -> dict[str, Any]:
    """Edit the fields given (e.g. ``{"verified": true}`` to confirm a self-registration)."""
    elder = _get(session, elder_id)
    _apply(elder, body.model_dump(exclude_unset=True))
    _flush(session)
    return elder_public(elder)


@router.post("/{elder_id}/binding-code")
def reissue_binding_code(elder_id: int, session: SessionDep) -> dict[str, Any]:
    """Issue a new web binding code (the old one stops working)."""
    elder = _get(session, elder_id)
    elder.binding_code = new_binding_code()
    _flush(session)
    return elder_public(elder)


@router.delete("/{elder_id}", status_code=204)
def delete_elder(elder_id: int, session: SessionDep) -> None:
    """Remove a profile that has no history (else 409: edit it instead)."""
    elder = _get(session, elder_id)
    session.delete(elder)
    _flush(session)
