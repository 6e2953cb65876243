"""Playback side of a media-stream call: paced speech out, barge-in, no-input timer."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import time
from typing import Any

from fastapi import WebSocket
from starlette.websockets import WebSocketDisconnect, WebSocketState

from assistant.settings import Settings
from connectors.telephone import calls, prompts
from connectors.telephone.services import PhoneServices
from voice.audio import PACED_LEAD, PHONE_RATE, paced, ulaw_frames

logger = logging.getLogger(__name__)


class CallPlayback:
    """Speaks to the caller over the stream; replaced or cleared at any moment."""

    def __init__(self, ws: WebSocket, services: PhoneServices) -> None:
        self.ws = ws
        self.services = services
        self.settings: Settings = services.settings
        self.stream_sid = ""
        self.info: calls.CallInfo | None = None
        self.rate = PHONE_RATE
        self.elder = True
        self.overrides: dict[str, Any] = {}
        self.tasks: set[asyncio.Task[Any]] = set()
        self.speaker: asyncio.Task[None] | None = None
        self.timer: asyncio.Task[None] | None = None
        self.send_lock = asyncio.Lock()
        self.pending_marks: set[str] = set()
        self.last_spoken = ""
        self.reprompts = 0
        self.closed = False
        self.marks = 0
        self.stats: dict[str, Any] = {
            "frames_in": 0,
            "frames_out": 0,
            "malformed": 0,
            "clears": 0,
            "latencies_s": [],
            "max_late_ms": 0.0,
            "asr_queue_max": 0,
        }
        self._t_input: float | None = None

    @property
    def call_sid(self) -> str:
        return self.info.call_sid if self.info else "-"

    async def send(self, payload: dict[str, Any]) -> bool:
        """Send one message; False once the peer is gone."""
        if self.closed or self.ws.client_state != WebSocketState.CONNECTED:
            return False
        try:
            async with self.send_lock:
                await self.ws.send_text(json.dumps(payload))
        except (WebSocketDisconnect, RuntimeError, OSError) as exc:
            logger.info("call %s: send failed, peer gone: %r", self.call_sid, exc)
            self.closed = True
            return False
        return True

    # --- playback ---------------------------------------------------------------
    @property
    def playing(self) -> bool:
        return (self.speaker is not None and not self.speaker.done()) or bool(
            self.pending_marks
        )

    async def stop_playback(self) -> None:
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

    async def speak(self, text: str) -> None:
        """Replace whatever is playing with ``text``."""
        self.cancel_timer()
        if self.playing:
            await self.stop_playback()
        self.last_spoken = text
        self.speaker = asyncio.create_task(self._play(text))
        self.tasks.add(self.speaker)
        self.speaker.add_done_callback(self.tasks.discard)

    async def _play(self, text: str) -> None:
        audio = await self.services.tts.phone_audio(
            text, elder=self.elder, overrides=self.overrides, rate=self.rate
        )
        frames = list(ulaw_frames(audio, rate=self.rate))
        first = True
        frame_s = 0.02 / self.settings.phone_playback_speed
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
            if not await self.send(
                {
                    "event": "media",
                    "streamSid": self.stream_sid,
                    "media": {"payload": payload},
                }
            ):
                return
            self.stats["frames_out"] += 1
            if first and self._t_input is not None:
                self.stats["latencies_s"].append(time.perf_counter() - self._t_input)
                self._t_input = None
            first = False
        self.marks += 1
        name = f"reply-{self.marks}"
        self.pending_marks.add(name)
        await self.send(
            {"event": "mark", "streamSid": self.stream_sid, "mark": {"name": name}}
        )

    # --- silence ------------------------------------------------------------------
    def start_timer(self) -> None:
        self.cancel_timer()
        if not self.closed:
            self.timer = self._spawn(self._no_input())

    def cancel_timer(self) -> None:
        if self.timer is not None and self.timer is not asyncio.current_task():
            self.timer.cancel()
        self.timer = None

    async def _no_input(self) -> None:
        s = self.settings
        await asyncio.sleep(
            s.phone_no_input_elder_s if self.elder else s.phone_no_input_s
        )
        self.timer = None
        self.reprompts += 1
        if self.reprompts <= s.phone_max_reprompts:
            text = prompts.REPROMPTS[min(self.reprompts, len(prompts.REPROMPTS)) - 1]
        else:
            text = prompts.offer_person(s)  # keep offering; never hang up
        if self.info is not None:
            asyncio.get_running_loop().run_in_executor(
                None,
                lambda: calls.add_event(
                    s, call_sid=self.call_sid, kind="reprompt", n=self.reprompts
                ),
            )
        await self.speak(text)

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error(
                "call %s: task failed", self.call_sid, exc_info=task.exception()
            )
