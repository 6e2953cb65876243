"""``GET /api/chat/inbox``: reminders waiting for a chat user (anti-fraud broadcasts)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from assistant.deps import SessionDep
from assistant.services.broadcasts import collect_chat
from connectors.webchat.identity import ChatClientDep

router = APIRouter(tags=["chat"])


@router.get("/api/chat/inbox")
def inbox(
    session: SessionDep,
    client: ChatClientDep,
    user_id: Annotated[
        str | None, Query(min_length=1, max_length=128, pattern=r"^[\w\-.:@+]+$")
    ] = None,
) -> dict[str, Any]:
    """Hand over (once) the reminders queued for this chat user (connectors name it)."""
    messages = collect_chat(session, user_id=client.user_id(user_id))
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
