"""Staff JSON API for anti-fraud broadcasts: preview (text, voice, recipients,
quiet hours), schedule, and the list with per-channel delivery counts."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from assistant.db import Broadcast, utcnow
from assistant.deps import SessionDep, SettingsDep
from assistant.services import broadcast_admin
from assistant.services import broadcasts as service
from assistant.services.timefmt import as_utc, iso_utc, station_text
from assistant.settings import Settings
from connectors.staff.audit import Trail
from connectors.staff.auth import CurrentStaff

router = APIRouter(prefix="/api/staff/broadcasts", tags=["staff"])

Channel = Literal["sms", "call", "chat"]


class BroadcastIn(BaseModel):
    body: str = Field(min_length=1, max_length=service.MAX_BODY_CHARS)
    channels: list[Channel] = Field(min_length=1)
    scheduled_at: dt.datetime | None = None


class SpeechIn(BaseModel):
    body: str = Field(min_length=1, max_length=service.MAX_BODY_CHARS)


def _wanted(body: BroadcastIn) -> dt.datetime:
    when = body.scheduled_at
    if when is not None and when.tzinfo is None:
        raise HTTPException(status_code=422, detail="scheduled_at needs a time zone")
    return when.astimezone(dt.UTC) if when else utcnow()


def _plan(session: SessionDep, settings: Settings, body: BroadcastIn) -> dict[str, Any]:
    wanted = _wanted(body)
    send_at = broadcast_admin.send_time(settings, wanted, list(body.channels))
    counts = broadcast_admin.recipients(session, list(body.channels))
    return {
        "text": broadcast_admin.message_text(body.body),
        "recipients": [
            {"channel": c, "label": broadcast_admin.CHANNEL_LABELS[c], "count": n}
            for c, n in counts.items()
        ],
        "recipients_total": sum(counts.values()),
        "quiet_hours": settings.broadcast_quiet_hours,
        "send_at": iso_utc(send_at),
        "send_at_text": station_text(settings, send_at),
        "shifted": send_at > wanted,
    }


def broadcast_public(session: SessionDep, broadcast: Broadcast) -> dict[str, Any]:
    """A broadcast with its delivery counts per channel."""
    return service.broadcast_public(session, broadcast) | {
        "scheduled_at": iso_utc(broadcast.scheduled_at),
        "created_at": iso_utc(broadcast.created_at),
        "channel_labels": [
            broadcast_admin.CHANNEL_LABELS.get(c, c) for c in broadcast.channels
        ],
        "status_label": {"scheduled": "等待发送", "sent": "已发出"}.get(
            broadcast.status, broadcast.status
        ),
        "by_channel": broadcast_admin.deliveries(session, broadcast),
    }


@router.post("/preview")
def preview(
    body: BroadcastIn, session: SessionDep, settings: SettingsDep, staff: CurrentStaff
) -> dict[str, Any]:
    """What would be sent, to how many consenting people, and when (quiet hours applied)."""
    return _plan(session, settings, body)


@router.post("/speech")
async def speech(
    body: SpeechIn, request: Request, settings: SettingsDep, staff: CurrentStaff
) -> Response:
    """The spoken version as the app's TTS says it (WAV), for staff to listen to."""
    from voice.tts import TtsEngine, TtsError

    engine = getattr(request.app.state, "staff_tts", None)
    if engine is None:
        engine = request.app.state.staff_tts = TtsEngine(settings)
    params = engine.params(elder=True)
    text = broadcast_admin.message_text(body.body)
    loop = asyncio.get_running_loop()
    try:
        wav = await loop.run_in_executor(
            engine.pool, engine.wav_file_blocking, text, params
        )
    except TtsError as exc:
        raise HTTPException(status_code=503, detail="语音合成现在不能用") from exc
    return Response(content=wav, media_type="audio/wav")


@router.post("", status_code=201)
def create_broadcast(
    body: BroadcastIn,
    session: SessionDep,
    settings: SettingsDep,
    staff: CurrentStaff,
    trail: Trail,
) -> dict[str, Any]:
    """Schedule a reminder; a time inside quiet hours moves to when they end."""
    plan = _plan(session, settings, body)
    send_at = broadcast_admin.send_time(settings, _wanted(body), list(body.channels))
    try:
        broadcast = service.schedule(
            session,
            body=body.body,
            channels=list(body.channels),
            created_by=staff,
            scheduled_at=as_utc(send_at),
        )
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    trail(
        "broadcast",
        "broadcast",
        broadcast.id,
        f"{plan['send_at_text']} 发给 {plan['recipients_total']} 人：{body.body[:60]}",
    )
    return broadcast_public(session, broadcast) | {"plan": plan}


@router.get("")
def list_broadcasts(session: SessionDep, staff: CurrentStaff) -> list[dict[str, Any]]:
    """Broadcasts, newest first, with delivery counts per channel."""
    rows = session.scalars(select(Broadcast).order_by(Broadcast.id.desc()).limit(100))
    return [broadcast_public(session, b) for b in rows]
