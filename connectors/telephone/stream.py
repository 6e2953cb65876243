"""``WS /twilio/stream``: one Twilio Media Streams connection, one ``StreamCall``.

Reading, recognition, playback and the no-input timer are separate tasks so a
keypress or the caller's voice is handled while a reply is still playing
(barge-in), and every task is cancelled and awaited when the call ends.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
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
from connectors.telephone.twilio_auth import token_ok
from voice.asr import AsrEvent, AsrStream
from voice.audio import PHONE_RATE, paced, ulaw_frames, ulaw_to_pcm16

logger = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 64 * 1024


class StreamCall:
    """State and tasks of one live call on a media stream."""

    def __init__(
        self, ws: WebSocket, services: PhoneServices, http: Any = None
    ) -> None:
        self.ws = ws
        self.services = services
        self.settings: Settings = services.settings
        self.http = http
        self.stream_sid = ""
        self.info: calls.CallInfo | None = None
        self.rate = PHONE_RATE
        self.elder = True
        self.overrides: dict[str, Any] = {}
        self.asr: AsrStream | None = None
        self.audio: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.tasks: set[asyncio.Task[Any]] = set()
        self.speaker: asyncio.Task[None] | None = None
        self.timer: asyncio.Task[None] | None = None
        self.turn_lock = asyncio.Lock()
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
        }
        self._t_input: float | None = None

    # --- protocol -----------------------------------------------------------
    async def run(self) -> None:
        """Serve the connection until ``stop`` or disconnect; always clean up."""
        try:
            while not self.closed:
                message = await self.ws.receive()
                if message["type"] == "websocket.disconnect":
                    break
                raw = message.get("text") or message.get("bytes") or ""
                if await self._dispatch(self._parse(raw)) is False:
                    break
        except (WebSocketDisconnect, RuntimeError) as exc:
            logger.info("call %s: media stream closed: %r", self.call_sid, exc)
        finally:
            await self.close()

    @property
    def call_sid(self) -> str:
        return self.info.call_sid if self.info else "-"

    def _parse(self, raw: str | bytes) -> dict[str, Any] | None:
        if len(raw) > MAX_MESSAGE_BYTES:
            self.stats["malformed"] += 1
            return None
        try:
            msg = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            self.stats["malformed"] += 1
            return None
        if not isinstance(msg, dict):
            self.stats["malformed"] += 1
            return None
        return msg

    async def _dispatch(self, msg: dict[str, Any] | None) -> bool:
        if msg is None:
            return True
        event = msg.get("event")
        if event == "start":
            return await self.on_start(msg)
        if self.info is None:
            return event != "stop"  # nothing but start is valid before start
        if event == "media":
            self.on_media(msg.get("media"))
        elif event == "dtmf":
            digit = str((msg.get("dtmf") or {}).get("digit", ""))[:1]
            if digit:
                self._t_input = time.perf_counter()
                await self.on_digit(digit)
        elif event == "mark":
            self.on_mark(str((msg.get("mark") or {}).get("name", "")))
        elif event == "stop":
            return False
        return True

    async def on_start(self, msg: dict[str, Any]) -> bool:
        """Check the call's token, set up recognition, greet the caller."""
        start = msg.get("start") if isinstance(msg.get("start"), dict) else {}
        assert isinstance(start, dict)
        params = start.get("customParameters") or {}
        call_sid = str(start.get("callSid") or params.get("call_sid") or "")
        if self.info is not None or not token_ok(
            self.settings, call_sid, str(params.get("token", ""))
        ):
            logger.warning(
                "media stream refused: bad or repeated start for call %s", call_sid
            )
            return False
        self.stream_sid = str(start.get("streamSid") or msg.get("streamSid") or "")
        self.rate = _sample_rate(start.get("mediaFormat"))
        loop = asyncio.get_running_loop()
        self.info = await loop.run_in_executor(
            None,
            lambda: calls.start_call(
                self.settings,
                call_sid=call_sid,
                caller=str(params.get("caller", "")),
                mode="stream",
            ),
        )
        self.elder = self.info.elder_mode
        services = self.services
        if services.understands_speech:
            self.asr = await loop.run_in_executor(
                services.asr.pool,
                lambda: services.asr.stream(sample_rate=self.rate, elder=self.elder),
            )
        else:
            self.asr = services.asr.vad_stream(sample_rate=self.rate, elder=self.elder)
        self._spawn(self._recognise())
        await self.speak(prompts.greeting(self.settings))
        return True

    def on_media(self, media: Any) -> None:
        if not isinstance(media, dict) or media.get("track", "inbound") not in (
            "inbound",
            "inbound_track",
        ):
            return
        try:
            data = base64.b64decode(str(media.get("payload", "")), validate=True)
        except (binascii.Error, ValueError):
            self.stats["malformed"] += 1
            return
        if data:
            self.stats["frames_in"] += 1
            self.audio.put_nowait(ulaw_to_pcm16(data))

    def on_mark(self, name: str) -> None:
        self.pending_marks.discard(name)
        if not self.pending_marks and not self.playing:
            self.start_timer()

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

    # --- recognition ----------------------------------------------------------
    async def _recognise(self) -> None:
        assert self.asr is not None
        stream, engine = self.asr, self.services.asr
        while (chunk := await self.audio.get()) is not None:
            parts = [chunk]
            while not self.audio.empty() and len(parts) < 25:
                item = self.audio.get_nowait()
                if item is None:
                    self.audio.put_nowait(None)
                    break
                parts.append(item)
            pcm = b"".join(parts)
            if stream.rec is None:
                events = stream.accept(pcm)  # energy only: cheap, stays on the loop
            else:
                events = await engine.accept(stream, pcm)
            for event in events:
                await self.on_asr(event)

    async def on_asr(self, event: AsrEvent) -> None:
        from connectors.telephone.actions import on_utterance

        self.cancel_timer()
        if event.kind == "speech_start":
            self.reprompts = 0
            if self.playing:
                await self.stop_playback()  # barge-in
        elif event.kind == "final":
            self._t_input = time.perf_counter()
            self._spawn(on_utterance(self, event))

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
        async for frame in paced(
            frames, frame_s=0.02 / self.settings.phone_playback_speed
        ):
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

    # --- lifecycle ----------------------------------------------------------------
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

    async def on_digit(self, digit: str) -> None:
        from connectors.telephone.actions import on_digit

        self.cancel_timer()
        self.reprompts = 0
        if self.playing:
            await self.stop_playback()
        self._spawn(on_digit(self, digit))

    async def close(self) -> None:
        """Cancel and await every task of the call; nothing is left running."""
        self.closed = True
        self.audio.put_nowait(None)
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        self.stats["tasks_left"] = sum(not t.done() for t in self.tasks)
        self.tasks.clear()
        self.services.calls.discard(self)
        self.services.history.append({"call_sid": self.call_sid, **self.stats})
        logger.info(
            "call %s: stream ended (in %d, out %d, malformed %d)",
            self.call_sid,
            self.stats["frames_in"],
            self.stats["frames_out"],
            self.stats["malformed"],
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
