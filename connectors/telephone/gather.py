"""Speech fallback: ``<Gather input="speech dtmf" language="zh-CN">`` with our own audio.

Used when no Chinese Vosk model is installed (or ``ASSISTANT_PHONE_MODE=gather``):
Twilio recognises the words and posts them as text to signed webhooks; every
reply is played from audio we synthesised (``<Play>``), never Twilio's voices.
"""

from __future__ import annotations

import asyncio
import logging

import httpx
from twilio.twiml.voice_response import Gather, VoiceResponse

from assistant.dialogue import RasaUnavailable, relay
from connectors.telephone import calls, handoff, prompts
from connectors.telephone.services import PhoneServices
from connectors.telephone.twilio_auth import public_url

logger = logging.getLogger(__name__)


async def gather_twiml(
    services: PhoneServices,
    *,
    texts: list[str],
    elder: bool,
    n: int = 0,
    call_sid: str = "",
) -> str:
    """Play ``texts`` (our audio) inside a Gather that posts back to ``/twilio/gather``."""
    s = services.settings
    action = public_url(s, f"/twilio/gather?n={n}")
    response = VoiceResponse()
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
    for text in texts:
        slower = services.slower(call_sid)
        gather.play(await services.audio_url(text, elder=elder, overrides=slower))
    response.append(gather)
    response.redirect(action, method="POST")  # in case Twilio skips the action
    return str(response)


async def first_twiml(services: PhoneServices, *, elder: bool) -> str:
    """The greeting of a gather-mode call."""
    return await gather_twiml(
        services, texts=[prompts.greeting(services.settings)], elder=elder
    )


async def handle(
    services: PhoneServices,
    form: dict[str, str],
    *,
    n: int,
    http: httpx.AsyncClient | None = None,
) -> str:
    """One signed Gather result: digits, words, or nothing."""
    s = services.settings
    loop = asyncio.get_running_loop()
    call_sid, caller = form.get("CallSid", ""), form.get("From", "")
    info = await loop.run_in_executor(
        None, lambda: calls.call_info(s, call_sid=call_sid, caller=caller)
    )
    elder = info.elder_mode
    digit = form.get("Digits", "")[:1]
    speech = form.get("SpeechResult", "").strip()
    if digit == "2":
        await loop.run_in_executor(
            None, lambda: calls.record_keypad_emergency(s, info=info)
        )
        return await _say(services, call_sid, prompts.emergency_recorded(s), elder)
    if digit == "0":
        return await _hand_off(services, info)
    if digit == "*":
        last = services.last_said.get(call_sid) or prompts.greeting(s)
        return await _say(services, call_sid, last, elder)
    if digit == "9":
        last = services.last_said.get(call_sid, "")
        services.slow_calls.add(call_sid)
        return await _say(services, call_sid, prompts.slower() + last, True)
    if digit in prompts.KEYPAD_UTTERANCES:
        speech = prompts.KEYPAD_UTTERANCES[digit]
    elif digit:
        return await _say(services, call_sid, prompts.KEYPAD_MENU, elder)
    if not speech:
        n += 1
        if n <= s.phone_max_reprompts:
            text = prompts.REPROMPTS[min(n, len(prompts.REPROMPTS)) - 1]
        else:
            text = prompts.offer_person(s)  # keep listening; never hang up
        return await _say(services, call_sid, text, elder, n=n)
    return await _turn(services, info, speech, http)


async def _turn(
    services: PhoneServices,
    info: calls.CallInfo,
    speech: str,
    http: httpx.AsyncClient | None,
) -> str:
    """The caller's words through the same dialogue path as ``/api/chat``."""
    s, call_sid, elder = services.settings, info.call_sid, info.elder_mode
    metadata = {
        "channel": "phone",
        "caller_phone": info.caller,
        "call_sid": call_sid,
        "elder_mode": elder,
    }
    try:
        replies = await relay(
            s,
            sender_id=call_sid,
            text=speech,
            channel="phone",
            metadata=metadata,
            client=http,
        )
    except RasaUnavailable:
        return await _say(services, call_sid, prompts.rasa_down(s), elder)
    text = "".join(r.text.strip() for r in replies if r.text.strip())
    if any(r.custom.get("handoff") for r in replies):
        return await _hand_off(services, info, before=text)
    return await _say(services, call_sid, text or prompts.not_understood(), elder)


async def _say(
    services: PhoneServices, call_sid: str, text: str, elder: bool, n: int = 0
) -> str:
    services.remember(call_sid, text)
    return await gather_twiml(
        services, texts=[text], elder=elder, n=n, call_sid=call_sid
    )


async def _hand_off(
    services: PhoneServices, info: calls.CallInfo, before: str = ""
) -> str:
    s = services.settings
    loop = asyncio.get_running_loop()
    if not s.duty_phone:
        await loop.run_in_executor(
            None, lambda: calls.request_callback(s, info=info, reason="keypad")
        )
        return await _say(
            services, info.call_sid, prompts.callback_promised(), info.elder_mode
        )
    url = await services.audio_url(
        before + prompts.transferring(), elder=info.elder_mode
    )
    await loop.run_in_executor(
        None,
        lambda: calls.record_transfer(
            s, call_sid=info.call_sid, to=s.duty_phone, ok=True
        ),
    )
    return handoff.dial_twiml(
        number=s.duty_phone, play_url=url, caller_id=s.twilio_from_number
    )
