"""Staff JSON API for call-backs: the people waiting for a person, and 已回电."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from assistant.db import CallbackRequest, Elder, utcnow
from assistant.deps import SessionDep
from assistant.services.handoff import callback_public
from assistant.services.timefmt import iso_utc
from connectors.staff.audit import Trail
from connectors.staff.auth import CurrentStaff

router = APIRouter(prefix="/api/staff/callbacks", tags=["staff"])

REASON_LABELS = {
    "requested": "要找工作人员",
    "not_understood": "助手几次没听懂",
    "keypad": "电话里按了0",
    "dialogue": "对话中要找人",
    "emergency": "紧急情况转人工",
    "dialogue_down": "系统出故障时来电",
}
CHANNEL_LABELS = {"web": "网上聊天", "phone": "电话"}


class DoneIn(BaseModel):
    note: str = Field("", max_length=500)


def reason_parts(reason: str | None) -> tuple[str, str]:
    """(why in words, what the person said) from the stored ``code: words``."""
    code, _, said = (reason or "").partition(": ")
    if code in REASON_LABELS:
        return REASON_LABELS[code], said
    return "", reason or ""


def public(request: CallbackRequest, elder: Elder | None) -> dict[str, Any]:
    """A call-back as the console shows it."""
    why, said = reason_parts(request.reason)
    return callback_public(request) | {
        "created_at": iso_utc(request.created_at),
        "handled_at": iso_utc(request.handled_at),
        "reason_label": why,
        "said": said,
        "channel_label": CHANNEL_LABELS.get(request.channel, request.channel),
        "phone": request.phone or (elder.phone if elder else None),
        "elder_name": elder.name if elder else None,
    }


@router.get("")
def list_callbacks(
    session: SessionDep,
    staff: CurrentStaff,
    status: str = Query("open", pattern="^(open|done)$"),
) -> list[dict[str, Any]]:
    """Open call-backs longest-waiting first; or the handled ones, newest first."""
    order = (
        CallbackRequest.id if status == "open" else CallbackRequest.handled_at.desc()
    )
    rows = session.execute(
        select(CallbackRequest, Elder)
        .outerjoin(Elder, Elder.id == CallbackRequest.elder_id)
        .where(CallbackRequest.status == status)
        .order_by(order)
        .limit(200)
    ).all()
    return [public(request, elder) for request, elder in rows]


@router.post("/{callback_id}/done")
def callback_done(
    callback_id: int,
    body: DoneIn,
    session: SessionDep,
    staff: CurrentStaff,
    trail: Trail,
) -> dict[str, Any]:
    """已回电: mark the call-back handled, with a note."""
    request = session.get(CallbackRequest, callback_id)
    if request is None:
        raise HTTPException(status_code=404, detail="没有这条回电请求")
    if request.status != "done":
        request.status = "done"
        request.handled_at = utcnow()
        request.handled_by = staff
        request.note = body.note.strip() or None
        trail("callback_done", "callback", request.id, body.note)
    elder = session.get(Elder, request.elder_id) if request.elder_id else None
    return public(request, elder)
