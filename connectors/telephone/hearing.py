"""Speech in on one media stream: μ-law frames decoded, batched and fed to Vosk
(or to a voice-activity detector when no Chinese model is loaded). A
``StreamCall`` owns one ``Hearing`` and gets its events through a callback."""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Awaitable, Callable
from typing import Any

from connectors.telephone.services import PhoneServices
from voice.asr import AsrEvent, AsrStream
from voice.audio import ulaw_to_pcm16

BATCH_MIN_FRAMES, BATCH_MAX_FRAMES, BATCH_WAIT_S = 5, 25, 0.06

OnEvent = Callable[[AsrEvent], Awaitable[None]]


class Hearing:
    """The recogniser of one call and the queue of audio waiting for it."""

    def __init__(self, services: PhoneServices, stats: dict[str, Any]) -> None:
        self.services = services
        self.stats = stats
        self.stream: AsrStream | None = None
        self.audio: asyncio.Queue[bytes | None] = asyncio.Queue()

    async def open(self, *, sample_rate: int, elder: bool) -> None:
        """A Vosk recogniser for this call (loaded off the loop), or voice activity
        only when spoken words cannot be understood."""
        engine = self.services.asr
        if self.services.understands_speech:
            self.stream = await asyncio.get_running_loop().run_in_executor(
                engine.pool,
                lambda: engine.stream(sample_rate=sample_rate, elder=elder),
            )
        else:
            self.stream = engine.vad_stream(sample_rate=sample_rate, elder=elder)

    def set_elder(self, elder: bool) -> None:
        """Elders get longer pauses before their utterance is taken as finished."""
        if self.stream is not None:
            self.stream.elder = elder

    def feed(self, media: Any) -> None:
        """One ``media`` payload from Twilio (inbound track only)."""
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
        if data and self.stream is not None:
            self.stats["frames_in"] += 1
            self.audio.put_nowait(ulaw_to_pcm16(data))
            depth = self.audio.qsize()  # frames waiting for the recogniser
            self.stats["asr_queue_max"] = max(self.stats["asr_queue_max"], depth)

    def close(self) -> None:
        self.audio.put_nowait(None)

    async def run(self, on_event: OnEvent) -> None:
        """Recognise queued audio until ``close``; every event goes to ``on_event``."""
        assert self.stream is not None
        stream, engine = self.stream, self.services.asr
        while (chunk := await self.audio.get()) is not None:
            pcm = b"".join(await self._batch(chunk))
            if stream.rec is None:
                events = stream.accept(pcm)  # energy only: cheap, stays on the loop
            else:
                events = await engine.accept(stream, pcm)
            for event in events:
                await on_event(event)

    async def _batch(self, first: bytes) -> list[bytes]:
        # Vosk costs far more per call than per sample: hand it ~100 ms at a time
        # (more when behind); a gap in the audio flushes what there is.
        parts = [first]
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
        return parts
