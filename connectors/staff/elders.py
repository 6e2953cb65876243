"""Staff JSON API for elder profiles: search, create, edit, binding codes, delete.

Every change is audited; deleting first shows what goes and what stays.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assistant.db import Elder
from assistant.deps import SessionDep
from assistant.services import elder_admin
from assistant.services.elders import new_binding_code, normalize_phone
from connectors.staff.audit import Trail
from connectors.staff.auth import CurrentStaff

router = APIRouter(prefix="/api/staff/elders", tags=["staff"])

FIELD_LABELS = {
    "name": "姓名",
    "phone": "电话",
    "region": "地区",
    "station": "驿站",
    "address": "地址",
    "family_contacts": "家属联系人",
    "diet_notes": "饮食要求",
    "elder_mode": "长者模式",
    "verified": "已核实",
    "alert_consent": "防诈提醒",
}


REQUIRED = frozenset({"name", "elder_mode", "verified", "family_contacts"})


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
    alert_consent: list[Literal["sms", "call"]] = Field(default_factory=list)


class ElderPatch(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=64)
    phone: str | None = Field(None, max_length=32)
    region: str | None = Field(None, max_length=32)
    station: str | None = Field(None, max_length=128)
    address: str | None = Field(None, max_length=256)
    family_contacts: list[FamilyContact] | None = None
    diet_notes: str | None = Field(None, max_length=256)
    elder_mode: bool | None = None
    verified: bool | None = None
    alert_consent: list[Literal["sms", "call"]] | None = None


def elder_public(elder: Elder, session: Session | None = None) -> dict[str, Any]:
    """JSON shape of a profile (with its alert consent when a session is given)."""
    out: dict[str, Any] = {
        "id": elder.id,
        "name": elder.name,
        "phone": elder.phone,
        "claimed_phone": elder.claimed_phone,
        "region": elder.region,
        "station": elder.station,
        "address": elder.address,
        "family_contacts": elder.family_contacts or [],
        "diet_notes": elder.diet_notes,
        "elder_mode": elder.elder_mode,
        "verified": elder.verified,
        "binding_code": elder.binding_code,
    }
    if session is not None:
        out["alert_consent"] = elder_admin.consent_channels(session, elder)
    if elder.binding_code:
        out["binding_sentence"] = elder_admin.binding_sentence(elder.binding_code)
    return out


def _apply(session: Session, elder: Elder, values: dict[str, Any]) -> list[str]:
    """Set the given fields; the Chinese names of those that changed."""
    consent = values.pop("alert_consent", None)
    changed = []
    for key, value in values.items():
        if value is None and key in REQUIRED:
            continue  # an explicit null leaves a required field as it is
        if key == "phone":
            value = normalize_phone(value)
        if key == "family_contacts" and value is not None:
            value = elder_admin.normalised_contacts(value)
        if getattr(elder, key) != value:
            changed.append(FIELD_LABELS.get(key, key))
        setattr(elder, key, value)
    _flush(session)
    if consent is not None:
        before = elder_admin.consent_channels(session, elder)
        try:
            elder_admin.set_consent(session, elder, list(consent))
        except ValueError as exc:
            raise HTTPException(
                status_code=422, detail="没有电话号码，收不到短信和电话提醒"
            ) from exc
        if sorted(set(consent)) != before:
            changed.append(FIELD_LABELS["alert_consent"])
    return changed


def _get(session: Session, elder_id: int) -> Elder:
    elder = session.get(Elder, elder_id)
    if elder is None:
        raise HTTPException(status_code=404, detail="没有这位老人的档案")
    return elder


def _flush(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise HTTPException(status_code=409, detail="电话号码已被其他档案使用") from exc


@router.get("")
def list_elders(
    session: SessionDep, staff: CurrentStaff, q: str = "", unverified: bool = False
) -> list[dict[str, Any]]:
    """Profiles matching a name or phone (all when empty), or those waiting to be verified."""
    rows = elder_admin.search(session, q[:64])
    if unverified:
        rows = [e for e in rows if e.verified is False]
    return [elder_public(e) for e in rows]


@router.post("", status_code=201)
def create_elder(body: ElderIn, session: SessionDep, trail: Trail) -> dict[str, Any]:
    """Create a profile with a fresh binding code."""
    elder = Elder(binding_code=new_binding_code())
    session.add(elder)
    _apply(session, elder, body.model_dump())
    trail("create", "elder", elder.id, elder.name)
    return elder_public(elder, session)


@router.get("/{elder_id}")
def get_elder(
    elder_id: int, session: SessionDep, staff: CurrentStaff
) -> dict[str, Any]:
    """One profile."""
    return elder_public(_get(session, elder_id), session)


@router.patch("/{elder_id}")
def update_elder(
    elder_id: int, body: ElderPatch, session: SessionDep, trail: Trail
) -> dict[str, Any]:
    """Edit the fields given (e.g. ``{"verified": true}`` to confirm a self-registration)."""
    elder = _get(session, elder_id)
    changed = _apply(session, elder, body.model_dump(exclude_unset=True))
    if changed:
        trail("edit", "elder", elder.id, f"{elder.name}：改了" + "、".join(changed))
    return elder_public(elder, session)


@router.post("/{elder_id}/binding-code")
def reissue_binding_code(
    elder_id: int, session: SessionDep, trail: Trail
) -> dict[str, Any]:
    """Issue a new web binding code (the old one stops working)."""
    elder = _get(session, elder_id)
    elder.binding_code = new_binding_code()
    _flush(session)
    trail("binding_code", "elder", elder.id, elder.name)
    return elder_public(elder, session)


@router.get("/{elder_id}/deletion")
def deletion_preview(
    elder_id: int, session: SessionDep, staff: CurrentStaff
) -> dict[str, Any]:
    """What deleting this profile removes and what it keeps."""
    return elder_admin.deletion_summary(session, _get(session, elder_id))


@router.delete("/{elder_id}", status_code=204)
def delete_elder(elder_id: int, session: SessionDep, trail: Trail) -> None:
    """Delete the profile and its links; history records stay without the name."""
    elder = _get(session, elder_id)
    summary = elder_admin.deletion_summary(session, elder)
    trail(
        "delete",
        "elder",
        elder.id,
        "删除："
        + "；".join(summary["removes"])
        + ("。保留：" + "；".join(summary["keeps"]) if summary["keeps"] else ""),
    )
    elder_admin.delete_profile(session, elder)
