"""Gather mode: ``<Gather input="speech dtmf" language="zh-CN">`` with our own audio.

Used when no Chinese Vosk model is installed (or ``ASSISTANT_PHONE_MODE=gather``),
and by every call after a ``<Dial>`` to the duty phone ends: Twilio recognises
the words and posts them to signed webhooks; every reply is played from audio
we synthesised (``<Play>``), never Twilio's voices. The call's state rides in
the action URL, which Twilio signs with the rest of each request, so any app
worker can take the next turn.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import httpx
from twilio.twiml.voice_response import Gather, VoiceResponse

from connectors.telephone import calls, handoff, prompts
from connectors.telephone.flow import CallFlow
from connectors.telephone.services import PhoneServices
from connectors.telephone.state import CallState
from connectors.telephone.twilio_auth import public_url

logger = logging.getLogger(__name__)


class GatherIO:
    """``CallIO`` that writes one TwiML document per webhook."""

    def __init__(self, services: PhoneServices, state: CallState) -> None:
        self.services = services
        self.settings = services.settings
        self.state = state
        self.urls: list[str] = []
        self.digits = False
        self.final: str | None = None  # a transfer or hang-up replaces the Gather

    async def say(self, text: str) -> None:
        self.urls.append(await self._audio(text))

    async def listen(self, *, digits: bool = False) -> None:
        self.digits = digits

    async def transfer(self, *, number: str, announcement: str, reason: str) -> bool:
        state = self.state
        self.services.in_db_later(  # the TwiML does not wait for the record
            lambda: calls.record_transfer(
                self.settings,
                call_sid=state.call_sid,
                to=number,
                ok=True,
                reason=reason,
            )
        )
        play = [*self.urls, await self._audio(announcement)]
        self.final = handoff.dial_twiml(
            self.settings, state, number=number, plays=play, reason=reason
        )
        return True

    async def hang_up(self, text: str) -> None:
        response = VoiceResponse()
        for url in [*self.urls, *([await self._audio(text)] if text else [])]:
            response.play(url)
        response.hangup()
        self.final = str(response)

    async def _audio(self, text: str) -> str:
        return await self.services.audio_url(
            text, elder=self.state.elder, overrides=self.state.voice
        )

    def twiml(self) -> str:
        """What was said, inside a Gather that posts the answer back to us."""
        if self.final is not None:
            return self.final
        s = self.settings
        action = public_url(s, "/twilio/gather?" + self.state.query())
        response = VoiceResponse()
        if self.digits:  # a number the dialogue asked for: ended by # or a pause
            gather = Gather(
                input="dtmf speech",
                language="zh-CN",
                action=action,
                method="POST",
                timeout=int(s.phone_digits_pause_s),
                finish_on_key="#",
                action_on_empty_result=True,
            )
        else:
            gather = Gather(
                input="speech dtmf",
                language="zh-CN",
                action=action,
                method="POST",
                timeout=s.phone_gather_timeout_s,
                speech_timeout=s.phone_gather_speech_timeout,
                num_digits=1,
                action_on_empty_result=True,
            )
        for url in self.urls:
            gather.play(url)
        response.append(gather)
        response.redirect(action, method="POST")  # in case Twilio skips the action
        return str(response)


def _flow(
    services: PhoneServices,
    form: Mapping[str, str],
    query: Mapping[str, str],
    http: httpx.AsyncClient | None,
) -> tuple[CallFlow, GatherIO]:
    call_sid = form.get("CallSid", "")
    state = CallState.from_query(call_sid, form.get("From", ""), query)
    state.last_said = services.last_said.get(call_sid, "")
    io = GatherIO(services, state)
    return CallFlow(services, state, io, http=http), io


def _done(services: PhoneServices, flow: CallFlow, io: GatherIO) -> str:
    services.remember(flow.state.call_sid, flow.state.last_said)
    return io.twiml()


async def greeting(services: PhoneServices, state: CallState) -> str:
    """The first TwiML of a gather-mode call."""
    io = GatherIO(services, state)
    flow = CallFlow(services, state, io)
    await flow.greet()
    return _done(services, flow, io)


async def degraded(services: PhoneServices, state: CallState, reason: str) -> str:
    """TwiML for a call we cannot serve normally (the database is down)."""
    io = GatherIO(services, state)
    flow = CallFlow(services, state, io)
    await flow.degraded(reason=reason)
    return _done(services, flow, io)


async def handle(
    services: PhoneServices,
    form: Mapping[str, str],
    query: Mapping[str, str],
    *,
    http: httpx.AsyncClient | None = None,
) -> str:
    """One signed Gather result: a key, a keypad number, words, or nothing."""
    flow, io = _flow(services, form, query, http)
    digits = form.get("Digits", "").strip().rstrip("#")
    speech = form.get("SpeechResult", "").strip()
    if digits and flow.state.expect_digits:
        await flow.on_digits(digits)
    elif digits:
        await flow.on_key(digits[:1])
    elif speech:
        await flow.on_speech(speech)
    else:
        await flow.on_silence()
    return _done(services, flow, io)


async def dial_ended(
    services: PhoneServices, form: Mapping[str, str], query: Mapping[str, str]
) -> str:
    """The ``<Dial>`` to the duty phone ended (signed ``action``): done if someone
    answered; otherwise a call-back is recorded and the caller is told so."""
    status = form.get("DialCallStatus", "")
    flow, io = _flow(services, form, query, None)
    if status in ("completed", "answered"):
        await io.hang_up("")
        return _done(services, flow, io)
    reason = f"duty phone {status or 'unknown'} ({query.get('reason', '')})"
    logger.warning("call %s: %s", flow.state.call_sid, reason)
    recorded = await flow.record_callback(reason)
    text = prompts.duty_unanswered(services.settings, recorded=recorded)
    await flow.reply(text)
    return _done(services, flow, io)
