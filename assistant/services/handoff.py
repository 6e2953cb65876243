"""Hand-off to a person: a call-back request staff see, and the duty number."""

from __future__ import annotations

from sqlalchemy.orm import Session

from assistant.db import CallbackRequest


def request_callback(
    session: Session,
    *,
    user_id: str,
    channel: str,
    elder_id: int | None,
    phone: str | None,
    reason: str,
) -> CallbackRequest:
    """Record that someone wants a person to call them back (the caller commits)."""
    request = CallbackRequest(
        user_id=user_id,
        channel=channel,
        elder_id=elder_id,
        phone=phone,
        reason=reason[:500],
    )
    session.add(request)
    session.flush()
    return request


def callback_public(request: CallbackRequest) -> dict[str, object]:
    """JSON shape for staff."""
    return {
        "id": request.id,
        "elder_id": request.elder_id,
        "user_id": request.user_id,
        "channel": request.channel,
        "phone": request.phone,
        "reason": request.reason,
        "status": request.status,
        "created_at": request.created_at.isoformat(),
        "handled_at": request.handled_at.isoformat() if request.handled_at else None,
        "handled_by": request.handled_by,
        "note": request.note,
    }
