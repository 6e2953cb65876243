"""``WS /twilio/stream``: one Twilio Media Streams connection, one ``StreamCall``.

Reading, recognition, playback and the no-input timer are separate tasks so a
keypress or the caller's voice is handled while a reply is still playing
(barge-in), and every task is cancelled and awaited when the call ends.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import time
from typing import Any

from fastapi import WebSocket
from starlette.websockets import WebSocketDisconnect

from connectors.telephone import calls, prompts
from connectors.telephone.playback import CallPlayback
from connectors.telephone.services import PhoneServices
from connectors.telephone.twilio_auth import token_ok
from voice.asr import AsrEvent, AsrStream
from voice.audio import PHONE_RATE, ulaw_to_pcm16

logger = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 64 * 1024
BATCH_MIN_FRAMES, BATCH_MAX_FRAMES, BATCH_WAIT_S = 5, 25, 0.06


class StreamCall(CallPlayback):
    """State and tasks of one live call on a media stream."""

    def __init__(
        self, ws: WebSocket, services: PhoneServices, http: Any = None
    ) -> None:
        super().__init__(ws, services)
        self.http = http
        self.asr: AsrStream | None = None
        self.audio: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.turn_lock = asyncio.Lock()

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
            depth = self.audio.qsize()  # frames waiting for the recogniser
            self.stats["asr_queue_max"] = max(self.stats["asr_queue_max"], depth)

    def on_mark(self, name: str) -> None:
        self.pending_marks.discard(name)
        if not self.pending_marks and not self.playing:
            self.start_timer()

    # --- recognition ----------------------------------------------------------
    async def _recognise(self) -> None:
        assert self.asr is not None
        stream, engine = self.asr, self.services.asr
        while (chunk := await self.audio.get()) is not None:
            parts = [chunk]
            # Vosk costs far more per call than per sample: hand it ~100 ms at a
            # time (more when behind); a gap in the audio flushes what there is.
            waited = 0.0
            while len(parts) < BATCH_MAX_FRAMES:
                if self.audio.empty():
                    if len(parts) >= BATCH_MIN_FRAMES or waited >= BATCH_WAIT_S:
                        break
                    await asyncio.sleep(0.02)  # polling never loses a queued frame
                    waited += 0.02
                    continue
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
