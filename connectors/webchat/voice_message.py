"""``POST /api/chat/voice``: a recorded voice message, recognised by Vosk, then a chat turn.

The page records 16-bit WAV itself (no codec needed on the server). Broken
audio is refused with a clear message; without a Chinese model the user is
asked to type, never answered with a guess.
"""

from __future__ import annotations

import asyncio
import io
import logging
import wave
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse

from assistant.deps import SettingsDep
from assistant.settings import Settings
from connectors.webchat import messages
from connectors.webchat.api import chat_turn
from connectors.webchat.identity import ChatClientDep, check_rate
from voice.asr import AsrEngine
from voice.transcribe import transcribe_file

logger = logging.getLogger(__name__)

router = APIRouter(tags=["chat"])

MAX_SECONDS = 60
MIN_RATE, MAX_RATE = 8000, 48000


async def web_asr(request: Request, settings: Settings) -> AsrEngine:
    """The chat's recogniser, loaded on the first voice message."""
    engine: AsrEngine | None = getattr(request.app.state, "web_asr", None)
    if engine is None:
        engine = AsrEngine(settings)
        request.app.state.web_asr = engine
        await engine.aload()
    return engine


def check_wav(data: bytes) -> float:
    """Seconds of audio in ``data``, after checking its header against the data.

    Raises:
        ValueError: not usable WAV; the message says why, in English.
    """
    try:
        with wave.open(io.BytesIO(data), "rb") as wav:
            channels, width = wav.getnchannels(), wav.getsampwidth()
            rate, frames = wav.getframerate(), wav.getnframes()
            if width != 2:
                raise ValueError(f"{8 * width}-bit samples, expected 16-bit PCM")
            if channels not in (1, 2):
                raise ValueError(f"{channels} channels, expected mono or stereo")
            if not MIN_RATE <= rate <= MAX_RATE:
                raise ValueError(
                    f"sample rate {rate} Hz, expected {MIN_RATE}-{MAX_RATE}"
                )
            if frames == 0:
                raise ValueError("no audio frames")
            seconds = frames / rate
            if seconds > MAX_SECONDS:
                return seconds  # refused as too long, before reading any data
            present = len(wav.readframes(frames)) // (width * channels)
            if present < frames:
                raise ValueError(
                    f"truncated: header says {frames} frames, has {present}"
                )
            return seconds
    except (wave.Error, EOFError) as exc:
        raise ValueError(f"not a WAV file: {exc}") from exc


@router.post("/api/chat/voice")
async def voice_message(
    request: Request,
    settings: SettingsDep,
    client: ChatClientDep,
    audio: Annotated[UploadFile, File()],
    user_id: Annotated[
        str | None, Form(min_length=1, max_length=128, pattern=r"^[\w\-.:@+]+$")
    ] = None,
) -> Any:
    """Recognise a voice message and answer it like a typed one."""
    user = client.user_id(user_id)
    await check_rate(request, settings.voice_rate_limit, client.rate_key(user))
    data = await audio.read()
    try:
        seconds = check_wav(data)
    except ValueError as exc:
        raise HTTPException(
            status_code=422, detail=f"{messages.WAV_BROKEN} (bad WAV: {exc})"
        ) from exc
    if seconds > MAX_SECONDS:
        raise HTTPException(
            status_code=422,
            detail=messages.WAV_TOO_LONG.format(seconds=MAX_SECONDS)
            + f" (recording of {seconds:.0f} s, limit {MAX_SECONDS} s)",
        )
    engine = await web_asr(request, settings)
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
        user_id=user,
        text=heard,
        channel="web",
        metadata={"voice_message": True},
    )
    if isinstance(answer, JSONResponse):
        return answer
    return {"heard": heard, **answer}
