"""``WS /twilio/stream``: one Twilio Media Streams connection, one ``StreamCall``.

``StreamCall`` is the stream transport of the call flow (``CallIO``): it reads
the protocol, feeds the recogniser, owns its ``Player`` and its timers, and
hands keys, words and silence to the ``CallFlow``. Reading, recognition,
playback and timers are separate tasks so a keypress or the caller's voice is
handled while a reply is still playing (barge-in); every task is cancelled and
awaited when the call ends.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Coroutine
from typing import Any

import httpx
from fastapi import WebSocket
from starlette.websockets import WebSocketDisconnect

from connectors.telephone import calls, handoff
from connectors.telephone.flow import CallFlow
from connectors.telephone.hearing import Hearing
from connectors.telephone.playback import Player
from connectors.telephone.services import DatabaseUnavailable, PhoneServices
from connectors.telephone.state import CallState
from connectors.telephone.twilio_auth import stream_token
from voice.asr import AsrEvent

logger = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 64 * 1024
PLAYED_WAIT_S = 30.0  # longest wait for the announcement before a transfer


class StreamCall:
    """State and tasks of one live call on a media stream."""

    def __init__(
        self,
        ws: WebSocket,
        services: PhoneServices,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.ws = ws
        self.services = services
        self.settings = services.settings
        self.http = http
        self.state: CallState | None = None
        self.flow: CallFlow | None = None
        self.tasks: set[asyncio.Task[Any]] = set()
        self.timer: asyncio.Task[None] | None = None
        self.listening = False
        self.digits = ""  # keypad number being entered (``listen(digits=True)``)
        self.closed = False
        self.stats: dict[str, Any] = {
            "frames_in": 0,
            "frames_out": 0,
            "malformed": 0,
            "clears": 0,
            "latencies_s": [],
            "max_late_ms": 0.0,
            "asr_queue_max": 0,
        }
        self.player = Player(ws, services, self.stats, self._played)
        self.hearing = Hearing(services, self.stats)

    @property
    def call_sid(self) -> str:
        return self.state.call_sid if self.state else "-"

    # --- CallIO -----------------------------------------------------------------
    async def say(self, text: str) -> None:
        self.cancel_timer()
        self.listening = False
        if self.player.playing:
            await self.player.stop()
        assert self.state is not None
        self.player.play(text, elder=self.state.elder, voice=self.state.voice)

    async def listen(self, *, digits: bool = False) -> None:
        assert self.state is not None
        self.listening = True
        self.digits = ""
        self.hearing.set_elder(self.state.elder)
        if not self.player.playing:
            self.start_timer()

    async def transfer(self, *, number: str, announcement: str, reason: str) -> bool:
        """Say the announcement here, then move the call to ``<Dial>`` by the Calls
        API (Twilio ends this stream as it does)."""
        assert self.state is not None
        await self._say_through(announcement)
        return await asyncio.to_thread(
            handoff.dial_live_call, self.settings, self.state, number, reason
        )

    async def hang_up(self, text: str) -> None:
        if text:
            await self._say_through(text)
        await asyncio.to_thread(handoff.hang_up_call, self.settings, self.call_sid)

    async def _say_through(self, text: str) -> None:
        """Say ``text`` and wait (bounded) until the far end has played it."""
        await self.say(text)
        self.listening = False
        try:
            await asyncio.wait_for(self.player.idle.wait(), PLAYED_WAIT_S)
        except TimeoutError:
            logger.warning("call %s: playback not confirmed", self.call_sid)

    # --- protocol ---------------------------------------------------------------
    async def run(self) -> None:
        """Serve the connection until ``stop`` or disconnect; always clean up.

        A connection that does not send a valid ``start`` within
        ``phone_stream_start_timeout_s`` is closed.
        """
        deadline = time.monotonic() + self.settings.phone_stream_start_timeout_s
        try:
            while not self.closed:
                wait = deadline - time.monotonic() if self.state is None else None
                if wait is not None and wait <= 0:
                    logger.warning("media stream closed: no start in time")
                    break
                try:
                    message = await asyncio.wait_for(self.ws.receive(), wait)
                except TimeoutError:
                    continue
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
        msg: Any = None
        if len(raw) <= MAX_MESSAGE_BYTES:
            try:
                msg = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                pass
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
        if self.flow is None:
            return event != "stop"  # nothing but start is valid before start
        if event == "media":
            self.hearing.feed(msg.get("media"))
        elif event == "dtmf":
            digit = str((msg.get("dtmf") or {}).get("digit", ""))[:1]
            if digit:
                self.player.input_at = time.perf_counter()
                await self.on_digit(digit)
        elif event == "mark":
            self.player.on_mark(str((msg.get("mark") or {}).get("name", "")))
        elif event == "stop":
            return False
        return True

    async def on_start(self, msg: dict[str, Any]) -> bool:
        """Check the call's one-time token, set up recognition, greet the caller."""
        start = msg.get("start")
        start = start if isinstance(start, dict) else {}
        params = start.get("customParameters")
        params = params if isinstance(params, dict) else {}
        token = stream_token(self.settings, params)
        if self.state is not None or token is None:
            logger.warning("media stream refused: bad, expired or repeated start")
            return False
        if not await self.services.use_stream_token(token):
            logger.warning("media stream refused: token used before")
            return False
        call_sid, caller = str(params["call_sid"]), str(params["caller"])
        self.player.set_stream(
            str(start.get("streamSid") or msg.get("streamSid")),
            start.get("mediaFormat"),
        )
        self.state = CallState(call_sid, caller)
        self.flow = CallFlow(self.services, self.state, self, http=self.http)
        try:
            info = await self.services.in_db(
                lambda: calls.start_call(
                    self.settings, call_sid=call_sid, caller=caller, mode="stream"
                )
            )
        except DatabaseUnavailable:
            self._spawn(self.flow.degraded(reason="database_down"))
            return True
        self.state.elder = info.elder_mode
        await self.hearing.open(sample_rate=self.player.rate, elder=info.elder_mode)
        self._spawn(self.hearing.run(self.on_asr))
        self._spawn(self.flow.greet())
        return True

    async def on_digit(self, digit: str) -> None:
        """A key: part of a keypad number the dialogue asked for, or the menu."""
        assert self.flow is not None and self.state is not None
        self.cancel_timer()
        if self.player.playing:
            await self.player.stop()  # barge-in
        if self.state.expect_digits:
            if digit == "#":
                self._submit_digits()
            else:
                self.digits += digit
                self.timer = self._spawn(self._digits_pause())
            return
        self._spawn(self.flow.on_key(digit))

    def _submit_digits(self) -> None:
        assert self.flow is not None
        digits, self.digits = self.digits, ""
        self.listening = False
        if digits:
            self._spawn(self.flow.on_digits(digits))
        else:
            self._spawn(self.flow.on_silence())

    async def _digits_pause(self) -> None:
        await asyncio.sleep(self.settings.phone_digits_pause_s)
        self.timer = None
        self._submit_digits()

    # --- what the caller does ---------------------------------------------------
    async def on_asr(self, event: AsrEvent) -> None:
        assert self.flow is not None
        if event.kind == "speech_start":
            self.cancel_timer()
            if self.player.playing:
                await self.player.stop()  # barge-in
        elif event.kind == "final":
            self.cancel_timer()
            self.player.input_at = time.perf_counter()
            self._spawn(self._heard(event))

    async def _heard(self, event: AsrEvent) -> None:
        assert self.flow is not None
        if not self.services.understands_speech:
            await self.flow.keypad_only()
            return
        logger.info(
            "call %s: utterance (%d chars, confidence %s)",
            self.call_sid,
            len(event.text),
            f"{event.confidence:.2f}" if event.confidence else "-",
        )
        await self.flow.on_speech(event.text)

    # --- timers and tasks -------------------------------------------------------
    def _played(self) -> None:
        """The far end played our last reply: the caller's turn."""
        if self.listening and not self.closed:
            self.start_timer()

    def start_timer(self) -> None:
        self.cancel_timer()
        if not self.closed:
            self.timer = self._spawn(self._no_input())

    def cancel_timer(self) -> None:
        if self.timer is not None and self.timer is not asyncio.current_task():
            self.timer.cancel()
        self.timer = None

    async def _no_input(self) -> None:
        assert self.flow is not None and self.state is not None
        s = self.settings
        await asyncio.sleep(
            s.phone_no_input_elder_s if self.state.elder else s.phone_no_input_s
        )
        self.timer = None
        if self.digits:
            self._submit_digits()
        else:
            await self.flow.on_silence()

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
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

    async def close(self) -> None:
        """Cancel and await every task of the call; nothing is left running."""
        self.closed = self.player.closed = True
        self.hearing.close()
        await self.player.close()
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
