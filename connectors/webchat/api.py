"""``POST /api/chat``: one web chat turn, relayed to Rasa with a timeout.

When Rasa is down the user still gets a short Chinese apology with a way to
reach a person, and an emergency said at that moment is recorded all the same:
the same guard Rasa runs is applied here before relaying.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from assistant.deps import SettingsDep
from assistant.dialogue import RasaUnavailable, relay
from assistant.services.emergencies import (
    EmergencyReport,
    emergency_reply,
    report_emergency,
)
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


def rasa_down_reply(settings: Settings, report: EmergencyReport | None = None) -> str:
    """The apology a user reads when the dialogue engine cannot answer; with an
    emergency in the words, the emergency service's honest reply instead."""
    if report is not None:
        return "对不起，系统现在有点问题。" + emergency_reply(report, settings)
    person = (
        f"要找工作人员，请打电话{settings.duty_phone}。"
        if settings.duty_phone
        else "要找工作人员，请直接到驿站，或稍后再试。"
    )
    return f"对不起，系统现在有点问题，请稍后再试。{person}"


def _guarded_emergency(
    settings: Settings, *, user_id: str, channel: str, text: str
) -> EmergencyReport | None:
    """Report an emergency phrase said while Rasa is down (the same guard Rasa
    runs); None when the words hold no emergency. Blocking: run in a thread."""
    match = detect_emergency(text)
    if match is None:
        return None
    return report_emergency(
        settings,
        user_id=user_id,
        channel=channel,
        text=text,
        emergency_type=match.emergency_type,
    )


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
        report = await asyncio.to_thread(
            _guarded_emergency, settings, user_id=user_id, channel=channel, text=text
        )
        reply = rasa_down_reply(settings, report)
        return JSONResponse(
            status_code=503,
            content={
                "detail": "dialogue engine unavailable",
                "emergency_recorded": bool(report and report.emergency_id),
                "alerted": report.alerted if report else 0,
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
