"""Staff view of notifications; Twilio's signed status callbacks."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from assistant.db import OutboxMessage
from assistant.deps import SessionDep, SettingsDep
from assistant.services.emergencies import add_event
from assistant.services.outbox import outbox_public
from connectors.staff.auth import CurrentStaff

router = APIRouter(prefix="/api/staff", tags=["staff"])

_FAILED = {"failed", "undelivered", "busy", "no-answer", "canceled"}


@router.get("/outbox")
def list_outbox(
    session: SessionDep, staff: CurrentStaff, status: str | None = None
) -> list[dict[str, Any]]:
    """Notifications, newest first; ``status=not_sent`` or ``failed`` need a person."""
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(500)
    if status:
        query = query.where(OutboxMessage.status == status)
    return [outbox_public(m) for m in session.scalars(query)]


@router.post("/outbox/twilio-status", include_in_schema=False)
async def twilio_status(
    request: Request, session: SessionDep, settings: SettingsDep
) -> dict[str, bool]:
    """Delivery or call status for an outbox row, signed by Twilio."""
    form = {k: str(v) for k, v in (await request.form()).items()}
    url = settings.public_url.rstrip("/") + request.url.path
    signature = request.headers.get("X-Twilio-Signature", "")
    validator = RequestValidator(settings.twilio_auth_token)
    if not settings.twilio_auth_token or not validator.validate(url, form, signature):
        raise HTTPException(status_code=403, detail="bad signature")
    sid = form.get("MessageSid") or form.get("CallSid") or ""
    status = form.get("MessageStatus") or form.get("CallStatus") or ""
    row = session.scalars(
        select(OutboxMessage).where(OutboxMessage.provider_sid == sid)
    ).first()
    if row is None:
        return {"ok": False}
    row.provider_status = status
    if status in _FAILED:
        row.last_error = f"provider status {status}"
    if row.related_kind == "emergency" and row.related_id:
        add_event(
            session,
            row.related_id,
            "notification_status",
            f"outbox={row.id} {row.channel} {status}",
        )
    return {"ok": True}
