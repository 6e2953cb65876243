"""``GET /api/chat/inbox``: reminders waiting for a chat user (anti-fraud broadcasts)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from assistant.deps import SessionDep
from assistant.services.broadcasts import collect_chat

router = APIRouter(tags=["chat"])


@router.get("/api/chat/inbox")
def inbox(
    session: SessionDep,
    user_id: Annotated[
        str, Query(min_length=1, max_length=128, pattern=r"^[\w\-.:@+]+$")
    ],
) -> dict[str, Any]:
    """Hand over (once) the reminders queued for this chat user."""
    messages = collect_chat(session, user_id=user_id)
    return {
        "messages": [
            {
                "text": m.body,
                "buttons": [],
                "citations": [],
                "custom": {"kind": "broadcast"},
            }
            for m in messages
        ]
    }
