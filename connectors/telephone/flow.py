"""One call flow for both hotline transports.

The keypad map, the call's metadata, dialogue turns, reprompts, elder pacing and
hand-off live here, written once against ``CallIO``: "say this", "listen for
speech or keys", "transfer", "hang up". ``stream.StreamCall`` (Media Streams +
Vosk) and ``gather.GatherIO`` (``<Gather>`` + our own ``<Play>`` audio) implement
it, so the two modes cannot drift apart.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

import httpx

from assistant.dialogue import BotMessage, RasaUnavailable, relay
from connectors.telephone import calls, prompts
from connectors.telephone.services import DatabaseUnavailable, PhoneServices
from connectors.telephone.state import CallState
from nlu.emergency_guard import detect_emergency

SLOWER_STEP, SLOWEST_RATE = 15, 90  # words per minute, key 9

logger = logging.getLogger(__name__)


class CallIO(Protocol):
    """What a transport does for the flow."""

    async def say(self, text: str) -> None:
        """Speak ``text`` in our own voice, replacing whatever is still playing."""

    async def listen(self, *, digits: bool = False) -> None:
        """After what was said, wait for speech or a key; with ``digits``, collect a
        keypad number ended by # or a pause."""

    async def transfer(self, *, number: str, announcement: str, reason: str) -> bool:
        """Say ``announcement``, then put the caller through to ``number`` (and note
        the transfer on the call); False when the transfer could not be started."""

    async def hang_up(self, text: str) -> None:
        """Say ``text`` and end the call."""


class CallFlow:
    """Reacts to the caller's keys, words and silence; one per call (stream) or per
    webhook (gather, with the state carried in the signed action URL)."""

    def __init__(
        self,
        services: PhoneServices,
        state: CallState,
        io: CallIO,
        *,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.services = services
        self.settings = services.settings
        self.state = state
        self.io = io
        self.http = http
        self.turn_lock = asyncio.Lock()

    @property
    def metadata(self) -> dict[str, Any]:
        """Message metadata every phone turn carries to the dialogue engine; the
        caller's number comes from a Twilio-signed request, never from the caller."""
        return {
            "channel": "phone",
            "caller_phone": self.state.caller,
            "call_sid": self.state.call_sid,
            "elder_mode": self.state.elder,
        }

    async def reply(self, text: str, *, digits: bool = False) -> None:
        """Say ``text`` and listen (for a keypad number when ``digits``)."""
        self.state.last_said = text
        self.state.expect_digits = digits
        await self.io.say(text)
        await self.io.listen(digits=digits)

    async def greet(self) -> None:
        await self.reply(prompts.greeting(self.settings))

    # --- what the caller does ---------------------------------------------------
    async def on_key(self, digit: str) -> None:
        """Keypad menu: 1 meals, 2 emergency, 3 policy, 0 person, * repeat, 9 slower."""
        logger.info("call %s: key %s", self.state.call_sid, digit)
        self.state.reprompts = 0
        if digit == "2":
            await self.emergency(utterance="[按键2 紧急求助]")
        elif digit in prompts.KEYPAD_UTTERANCES:
            await self.turn(prompts.KEYPAD_UTTERANCES[digit])
        elif digit == "0":
            await self.hand_off(reason="keypad")
        elif digit == "*":
            await self.reply(self.state.last_said or prompts.greeting(self.settings))
        elif digit == "9":
            previous = self.state.last_said
            self.slow_down()
            await self.reply(prompts.slower() + previous)
            self.state.last_said = previous
        else:
            await self.reply(prompts.KEYPAD_MENU)

    async def on_digits(self, digits: str) -> None:
        """A keypad number the dialogue asked for: sent as the caller's words."""
        logger.info("call %s: %d digits entered", self.state.call_sid, len(digits))
        self.state.reprompts = 0
        self.state.expect_digits = False
        await self.turn(digits)

    async def on_speech(self, text: str) -> None:
        """A recognised utterance (empty when words could not be made out)."""
        self.state.reprompts = 0
        if not text.strip():
            await self.reply(prompts.not_understood(), digits=self.state.expect_digits)
            return
        await self.turn(text.strip())

    async def keypad_only(self) -> None:
        """Speech we cannot understand (no Chinese model): the keypad menu."""
        await self.reply(prompts.no_speech_model())

    async def on_silence(self) -> None:
        """No input: a kind reprompt, then keep offering a person; never hang up."""
        state = self.state
        state.reprompts += 1
        if state.reprompts <= self.settings.phone_max_reprompts:
            text = prompts.REPROMPTS[min(state.reprompts, len(prompts.REPROMPTS)) - 1]
        else:
            text = prompts.offer_person(self.settings)
        await self.io.say(text)
        await self.io.listen(digits=state.expect_digits)
        sid, n = state.call_sid, state.reprompts
        try:  # bookkeeping only: the caller is answered either way
            await self.services.in_db(
                lambda: calls.add_event(
                    self.settings, call_sid=sid, kind="reprompt", n=n
                )
            )
        except DatabaseUnavailable:
            logger.warning("call %s: reprompt %d not recorded", sid, n)

    def slow_down(self) -> None:
        """Key 9: elder pacing, and each press a little slower again."""
        current = self.state.rate or self.settings.tts_rate_elder
        self.state.elder = True
        self.state.rate = max(SLOWEST_RATE, current - SLOWER_STEP)

    # --- dialogue -------------------------------------------------------------
    async def turn(self, text: str) -> None:
        """One turn through the same path as ``/api/chat``; the reply is spoken."""
        async with self.turn_lock:
            try:
                replies = await asyncio.wait_for(
                    relay(
                        self.settings,
                        sender_id=self.state.call_sid,
                        text=text,
                        channel="phone",
                        metadata=self.metadata,
                        client=self.http,
                    ),
                    self.settings.phone_rasa_timeout_s,
                )
            except (RasaUnavailable, TimeoutError):
                await self.dialogue_down(text)
                return
            await self.answer(replies)

    async def answer(self, replies: list[BotMessage]) -> None:
        """Say the bot's replies; honour ``custom.voice``, ``custom.handoff`` and
        ``custom.input == "digits"`` (collect a keypad number next)."""
        for reply in replies:
            voice = reply.custom.get("voice")
            if isinstance(voice, dict):
                if isinstance(voice.get("rate"), int | float):
                    self.state.rate = int(voice["rate"])
                if isinstance(voice.get("volume"), int | float):
                    self.state.volume = float(voice["volume"])
        text = "".join(r.text.strip() for r in replies if r.text.strip())
        if any(r.custom.get("handoff") for r in replies):
            await self.hand_off(reason="dialogue", before=text)
            return
        digits = any(r.custom.get("input") == "digits" for r in replies)
        await self.reply(text or prompts.not_understood(), digits=digits)

    async def dialogue_down(self, text: str) -> None:
        """Rasa is down or too slow: an emergency in the words is still recorded
        (the same guard as web chat), then 120 advice and a person."""
        logger.warning("call %s: dialogue engine unavailable", self.state.call_sid)
        match = detect_emergency(text)
        if match is not None:
            await self.emergency(
                utterance=text, emergency_type=match.emergency_type, put_through=True
            )
            return
        await self.degraded(reason="dialogue_down")

    # --- emergencies, hand-off, faults ----------------------------------------
    async def emergency(
        self,
        *,
        utterance: str,
        emergency_type: str | None = None,
        put_through: bool = False,
    ) -> None:
        """Report through the emergency service before anything is said, then
        answer honestly; when it could not be recorded, nobody could be alerted
        (or ``put_through``), the caller is put through to a person."""
        state = self.state
        try:
            report = await self.services.in_db(
                lambda: calls.report_call_emergency(
                    self.settings,
                    call_sid=state.call_sid,
                    caller=state.caller,
                    utterance=utterance,
                    emergency_type=emergency_type,
                )
            )
        except DatabaseUnavailable:
            report = None
        if report is None or report.emergency_id is None:
            text = prompts.system_down(self.settings)
            put_through = True
        else:
            text = prompts.emergency(self.settings, report)
            put_through = put_through or report.alerted <= 0
        if put_through:
            await self.hand_off(reason="emergency", before=text)
        else:
            await self.reply(text + prompts.press_0())

    async def hand_off(self, *, reason: str, before: str = "") -> None:
        """Put the caller through to the duty phone, or have a person call back."""
        number = self.settings.duty_phone
        if number:
            announcement = before + prompts.transferring()
            if await self.io.transfer(
                number=number, announcement=announcement, reason=reason
            ):
                return
            before = ""  # already said; the transfer itself failed
        recorded = await self.record_callback(reason)
        after = (
            prompts.callback_promised()
            if recorded
            else prompts.callback_failed(self.settings)
        )
        await self.reply(before + after)

    async def record_callback(self, reason: str) -> bool:
        """A call-back request for staff; False when the database cannot take it."""
        state = self.state
        try:
            await self.services.in_db(
                lambda: calls.request_callback(
                    self.settings,
                    call_sid=state.call_sid,
                    caller=state.caller,
                    reason=reason,
                )
            )
        except DatabaseUnavailable:
            return False
        return True

    async def degraded(self, *, reason: str) -> None:
        """The database or the dialogue engine failed: 120 advice, then a person."""
        await self.hand_off(reason=reason, before=prompts.system_down(self.settings))
