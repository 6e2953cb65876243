"""``POST /api/chat``: one web chat turn, relayed to Rasa with a timeout.

When Rasa is down the user still gets a short Chinese apology with a way to
reach a person, and an emergency said at that moment is recorded all the same:
the same guard Rasa runs is applied here before relaying.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError

from assistant.db import Emergency, session_scope
from assistant.deps import SettingsDep
from assistant.dialogue import RasaUnavailable, relay
from assistant.services.elders import identify
from assistant.services.emergencies import alert_emergency, record_emergency
from assistant.settings import Settings
from connectors.webchat.identity import ChatClientDep, check_rate, client_metadata
from nlu.emergency_guard import detect_emergency

logger = logging.getLogger(__name__)

router = APIRouter(tags=["chat"])


class ChatRequest(BaseModel):
    # Only a connector with the API key names the user; a browser's is ignored.
    user_id: str | None = Field(
        None, min_length=1, max_length=128, pattern=r"^[\w\-.:@+]+$"
    )
    text: str = Field(min_length=1)
    channel: Literal["web"] = "web"
    metadata: dict[str, Any] = Field(default_factory=dict)


class ChatResponse(BaseModel):
    messages: list[dict[str, Any]]


def rasa_down_reply(settings: Settings, *, emergency_recorded: bool) -> str:
    """The apology a user reads when the dialogue engine cannot answer."""
    person = (
        f"要找工作人员，请打电话{settings.duty_phone}。"
        if settings.duty_phone
        else "要找工作人员，请直接到驿站，或稍后再试。"
    )
    if emergency_recorded:
        ambulance = settings.service_directory.get("急救", "")
        urgent = f"有生命危险，请马上打{ambulance}。" if ambulance else ""
        return f"对不起，系统现在有点问题。您的求助已经记下了，我们会通知工作人员。{urgent}{person}"
    return f"对不起，系统现在有点问题，请稍后再试。{person}"


def _record_guarded_emergency(
    settings: Settings, *, user_id: str, channel: str, text: str
) -> bool:
    """Record an emergency phrase said while Rasa is down; True if one was recorded.

    The row is committed on its own first; alerting happens in a second
    transaction so a failure there cannot lose the report.
    """
    match = detect_emergency(text)
    if match is None:
        return False
    url = settings.effective_database_url
    with session_scope(url) as session:
        elder = identify(session, channel=channel, user_id=user_id)
        emergency = record_emergency(
            session,
            user_id=user_id,
            channel=channel,
            utterance=text,
            emergency_type=match.emergency_type,
            elder=elder,
        )
        emergency_id = emergency.id
    logger.warning("emergency %s recorded while Rasa is down", emergency_id)
    try:
        with session_scope(url) as session:
            stored = session.get(Emergency, emergency_id)
            assert stored is not None
            alert_emergency(session, settings, stored)
    except SQLAlchemyError:
        logger.exception("alerts for emergency %s not queued", emergency_id)
    return True


async def chat_turn(
    request: Request,
    settings: Settings,
    *,
    user_id: str,
    text: str,
    channel: str,
    metadata: dict[str, Any],
) -> Any:
    """Relay one turn; when Rasa is down, record any emergency and apologise (503)."""
    try:
        messages = await relay(
            settings,
            sender_id=user_id,
            text=text,
            channel=channel,
            metadata=metadata,
            client=request.app.state.http,
        )
    except RasaUnavailable:
        recorded = _record_guarded_emergency(
            settings, user_id=user_id, channel=channel, text=text
        )
        reply = rasa_down_reply(settings, emergency_recorded=recorded)
        return JSONResponse(
            status_code=503,
            content={
                "detail": "dialogue engine unavailable",
                "emergency_recorded": recorded,
                "messages": [{"text": reply, "buttons": [], "citations": []}],
            },
        )
    return {"messages": [m.to_json() for m in messages]}


@router.post("/api/chat", response_model=ChatResponse)
async def chat(
    body: ChatRequest, request: Request, settings: SettingsDep, client: ChatClientDep
) -> Any:
    """Send one chat message to the assistant and return its replies."""
    user_id = client.user_id(body.user_id)
    await check_rate(request, settings.chat_rate_limit, client.rate_key(user_id))
    text = body.text.strip()
    if not text:
        raise HTTPException(status_code=422, detail="消息是空的 (text is empty)")
    if len(text) > settings.max_message_chars:
        raise HTTPException(
            status_code=422,
            detail=f"消息太长了，请少于{settings.max_message_chars}个字 "
            f"(text longer than {settings.max_message_chars} characters)",
        )
    return await chat_turn(
        request,
        settings,
        user_id=user_id,
        text=text,
        channel=body.channel,
        metadata=client_metadata(body.metadata),
    )
