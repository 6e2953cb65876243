"""A simulated caller: a Media Streams client that behaves like Twilio over a real
WebSocket (``connected``, ``start``, paced ``media``, ``dtmf``, ``stop``; echoes
``mark``). Used by the telephone tests and by ``python -m bench.hotline``."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import websockets

from voice.audio import pcm16_to_ulaw


@dataclass
class Received:
    media: list[tuple[float, bytes]] = field(default_factory=list)
    marks: list[str] = field(default_factory=list)
    clears: list[float] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)


class TwilioMediaClient:
    """Sends connected/start/media/dtmf/stop, echoes marks, records what comes back."""

    def __init__(
        self,
        url: str,
        *,
        call_sid: str,
        params: dict[str, str],
        sample_rate: Any = 8000,
        echo_marks: bool = True,
    ) -> None:
        self.url = url
        self.call_sid = call_sid
        self.stream_sid = "MZ" + call_sid[2:]
        self.params = params
        self.sample_rate = sample_rate
        self.echo_marks = echo_marks
        self.got = Received()
        self.seq = 0
        self.chunk = 0
        self.ws: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._received = asyncio.Condition()
        self.closed_by_server = asyncio.Event()

    async def __aenter__(self) -> TwilioMediaClient:
        self.ws = await websockets.connect(self.url, max_size=2**20)
        self._reader = asyncio.create_task(self._read())
        await self.send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        return self

    async def __aexit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def send(self, msg: dict[str, Any] | str | bytes) -> None:
        self.seq += 1
        if isinstance(msg, dict):
            msg = json.dumps({"sequenceNumber": str(self.seq), **msg})
        await self.ws.send(msg)

    async def start(self) -> None:
        await self.send(
            {
                "event": "start",
                "streamSid": self.stream_sid,
                "start": {
                    "accountSid": "AC0",
                    "streamSid": self.stream_sid,
                    "callSid": self.call_sid,
                    "tracks": ["inbound"],
                    "customParameters": self.params,
                    "mediaFormat": {
                        "encoding": "audio/x-mulaw",
                        "sampleRate": self.sample_rate,
                        "channels": 1,
                    },
                },
            }
        )

    async def audio(self, samples: np.ndarray, *, speed: float = 1.0) -> int:
        """Send 8 kHz audio as 20 ms μ-law frames on a (sped-up) 20 ms clock."""
        data = pcm16_to_ulaw(samples.astype(np.int16).tobytes())
        start, sent = time.perf_counter(), 0
        for offset in range(0, len(data), 160):
            self.chunk += 1
            await self.send(
                {
                    "event": "media",
                    "streamSid": self.stream_sid,
                    "media": {
                        "track": "inbound",
                        "chunk": str(self.chunk),
                        "timestamp": str(self.chunk * 20),
                        "payload": base64.b64encode(
                            data[offset : offset + 160]
                        ).decode(),
                    },
                }
            )
            sent += 1
            delay = start + sent * 0.02 / speed - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        return sent

    async def dtmf(self, digit: str) -> float:
        await self.send(
            {
                "event": "dtmf",
                "streamSid": self.stream_sid,
                "dtmf": {"track": "inbound_track", "digit": digit},
            }
        )
        return time.perf_counter()

    async def stop(self) -> None:
        await self.send(
            {
                "event": "stop",
                "streamSid": self.stream_sid,
                "stop": {"accountSid": "AC0", "callSid": self.call_sid},
            }
        )

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                msg = json.loads(raw)
                self._record(msg, time.perf_counter())
                if msg["event"] == "mark" and self.echo_marks:
                    # Twilio echoes a mark once the audio before it has played
                    await self.send(
                        {
                            "event": "mark",
                            "streamSid": self.stream_sid,
                            "mark": {"name": msg["mark"]["name"]},
                        }
                    )
                async with self._received:
                    self._received.notify_all()
        except websockets.ConnectionClosed:
            pass
        finally:
            self.closed_by_server.set()
            async with self._received:
                self._received.notify_all()

    def _record(self, msg: dict[str, Any], now: float) -> None:
        self.got.events.append(msg)
        if msg["event"] == "media":
            self.got.media.append((now, base64.b64decode(msg["media"]["payload"])))
        elif msg["event"] == "clear":
            self.got.clears.append(now)
        elif msg["event"] == "mark":
            self.got.marks.append(msg["mark"]["name"])

    async def wait(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Until ``predicate()`` holds: re-checked on every message from the app, and
        every 50 ms for conditions outside the stream (a row, a request).

        Raises:
            AssertionError: after ``timeout`` seconds, or when the app hung up
                before the predicate held.
        """
        deadline = time.monotonic() + timeout
        while not predicate():
            if self.closed_by_server.is_set():
                raise AssertionError("the hotline closed the stream first")
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("timed out waiting for the hotline")
            async with self._received:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._received.wait(), min(left, 0.05))

    async def wait_marks(self, count: int, timeout: float = 20.0) -> None:
        await self.wait(lambda: len(self.got.marks) >= count, timeout)
