"""``POST /api/chat/voice``: a recorded voice message, recognised by Vosk, then a chat turn.

The page records 16-bit WAV itself (no codec needed on the server). Broken
audio is refused with a clear message; without a Chinese model the user is
asked to type, never answered with a guess.
"""

from __future__ import annotations

import asyncio
import logging
import wave
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse

from assistant.deps import SettingsDep
from connectors.webchat.api import chat_turn
from voice.asr import AsrEngine
from voice.transcribe import transcribe_file

logger = logging.getLogger(__name__)

router = APIRouter(tags=["chat"])

MAX_SECONDS = 60


async def web_asr(request: Request) -> AsrEngine:
    """The chat's recogniser, loaded on the first voice message."""
    engine: AsrEngine | None = getattr(request.app.state, "web_asr", None)
    if engine is None:
        engine = AsrEngine(request.app.state.settings)
        request.app.state.web_asr = engine
        await engine.aload()
    return engine


def _check_wav(data: bytes) -> float:
    """Seconds of audio in ``data``; ValueError if it is not usable WAV."""
    import io

    try:
        with wave.open(io.BytesIO(data), "rb") as wav:
            if wav.getsampwidth() != 2 or wav.getnframes() == 0:
                raise ValueError("not 16-bit PCM, or empty")
            return wav.getnframes() / wav.getframerate()
    except (wave.Error, EOFError) as exc:
        raise ValueError(str(exc)) from exc


@router.post("/api/chat/voice")
async def voice_message(
    request: Request,
    settings: SettingsDep,
    user_id: Annotated[
        str, Form(min_length=1, max_length=128, pattern=r"^[\w\-.:@+]+$")
    ],
    audio: Annotated[UploadFile, File()],
) -> Any:
    """Recognise a voice message and answer it like a typed one."""
    data = await audio.read()
    try:
        seconds = _check_wav(data)
    except ValueError as exc:
        raise HTTPException(
            status_code=422, detail="录音坏了，请再录一次或打字。"
        ) from exc
    if seconds > MAX_SECONDS:
        raise HTTPException(
            status_code=422, detail=f"录音太长了，请少于{MAX_SECONDS}秒。"
        )
    engine = await web_asr(request)
    if not engine.chinese:
        return JSONResponse(
            status_code=503,
            content={"detail": "现在还听不懂语音，请打字。", "asr": engine.status()},
        )
    loop = asyncio.get_running_loop()
    events = await loop.run_in_executor(engine.pool, transcribe_file, engine, data)
    heard = "".join(event.text for event in events).strip()
    if not heard:
        raise HTTPException(status_code=422, detail="没听清，请再说一次或打字。")
    answer = await chat_turn(
        request,
        settings,
        user_id=user_id,
        text=heard,
        channel="web",
        metadata={"voice_message": True},
    )
    if isinstance(answer, JSONResponse):
        return answer
    return {"heard": heard, **answer}
