"""Speech out on one media stream: paced μ-law frames, a mark after each reply,
``clear`` on barge-in. A ``StreamCall`` owns one ``Player``; the player knows
nothing of the call flow, only how to play, stop and report when it is done."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from fastapi import WebSocket
from starlette.websockets import WebSocketDisconnect, WebSocketState

from connectors.telephone.services import PhoneServices
from voice.audio import PACED_LEAD, PHONE_RATE, paced, ulaw_frames

logger = logging.getLogger(__name__)


class Player:
    """Plays one reply at a time; a new reply or ``stop`` replaces the current one."""

    def __init__(
        self,
        ws: WebSocket,
        services: PhoneServices,
        stats: dict[str, Any],
        on_idle: Callable[[], None],
    ) -> None:
        self.ws = ws
        self.services = services
        self.send_lock = asyncio.Lock()
        self.closed = False
        self.stats = stats
        self.on_idle = on_idle  # called once the far end has played everything
        self.stream_sid = ""
        self.rate = PHONE_RATE
        self.speaker: asyncio.Task[None] | None = None
        self.pending_marks: set[str] = set()
        self.marks = 0
        self.idle = asyncio.Event()
        self.idle.set()
        self.input_at: float | None = None  # when the caller's last input ended

    def set_stream(self, stream_sid: str, media_format: Any) -> None:
        """The stream's id and audio rate, from its ``start`` message."""
        self.stream_sid = stream_sid
        self.rate = _sample_rate(media_format)

    async def send(self, payload: dict[str, Any]) -> bool:
        """Send one message; False once the peer is gone."""
        if self.closed or self.ws.client_state != WebSocketState.CONNECTED:
            return False
        try:
            async with self.send_lock:
                await self.ws.send_text(json.dumps(payload))
        except (WebSocketDisconnect, RuntimeError, OSError) as exc:
            logger.info("media stream send failed, peer gone: %r", exc)
            self.closed = True
            return False
        return True

    @property
    def playing(self) -> bool:
        return (self.speaker is not None and not self.speaker.done()) or bool(
            self.pending_marks
        )

    def play(self, text: str, *, elder: bool, voice: dict[str, Any]) -> None:
        """Start playing ``text`` (call ``stop`` first if something is playing)."""
        self.idle.clear()
        self.speaker = asyncio.create_task(self._play(text, elder, dict(voice)))
        self.speaker.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        # a reply that ends without its mark (stopped, failed, peer gone) is over
        if task is self.speaker and not self.pending_marks:
            self.idle.set()
        if not task.cancelled() and task.exception() is not None:
            logger.error("reply not played", exc_info=task.exception())

    async def stop(self) -> None:
        """Stop our audio here and at Twilio (``clear``)."""
        if self.speaker is not None and not self.speaker.done():
            self.speaker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.speaker
        if self.pending_marks or self.speaker is not None:
            self.stats["clears"] += 1
            await self.send({"event": "clear", "streamSid": self.stream_sid})
        self.speaker = None
        self.pending_marks.clear()
        self.idle.set()

    async def close(self) -> None:
        """Cancel the reply being played (the call is ending)."""
        if self.speaker is not None and not self.speaker.done():
            self.speaker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.speaker
        self.idle.set()

    def on_mark(self, name: str) -> None:
        """Twilio played everything up to mark ``name``."""
        self.pending_marks.discard(name)
        if not self.playing:
            self.idle.set()
            self.on_idle()

    async def _play(self, text: str, elder: bool, voice: dict[str, Any]) -> None:
        audio = await self.services.tts.phone_audio(
            text, elder=elder, overrides=voice, rate=self.rate
        )
        frames = list(ulaw_frames(audio, rate=self.rate))
        frame_s = 0.02 / self.services.settings.phone_playback_speed
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        index = 0
        async for frame in paced(frames, frame_s=frame_s):
            # how late this frame leaves against paced()'s clock (bench: calls sustained)
            due = t0 + max(0, index - PACED_LEAD) * frame_s
            self.stats["max_late_ms"] = max(
                self.stats["max_late_ms"], (loop.time() - due) * 1000
            )
            index += 1
            payload = base64.b64encode(frame).decode()
            message = {"payload": payload}
            if not await self.send(
                {"event": "media", "streamSid": self.stream_sid, "media": message}
            ):
                return
            self.stats["frames_out"] += 1
            if index == 1 and self.input_at is not None:
                self.stats["latencies_s"].append(time.perf_counter() - self.input_at)
                self.input_at = None
        self.marks += 1
        name = f"reply-{self.marks}"
        self.pending_marks.add(name)
        await self.send(
            {"event": "mark", "streamSid": self.stream_sid, "mark": {"name": name}}
        )


def _sample_rate(media_format: Any) -> int:
    """Twilio sends 8 kHz μ-law; anything odd is logged and treated as 8 kHz."""
    try:
        rate = int((media_format or {}).get("sampleRate", PHONE_RATE))
    except (TypeError, ValueError, AttributeError):
        rate = 0
    if rate not in (8000, 16000):
        logger.warning("unexpected media sample rate %r; using 8000 Hz", media_format)
        return PHONE_RATE
    return rate
