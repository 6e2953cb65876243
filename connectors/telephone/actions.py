"""What a live call does with an utterance or a keypress (stream mode)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from assistant.dialogue import BotMessage, RasaUnavailable, relay
from assistant.settings import Settings
from connectors.telephone import calls, handoff, prompts
from voice.asr import AsrEvent

if TYPE_CHECKING:
    from connectors.telephone.stream import StreamCall

logger = logging.getLogger(__name__)


def metadata(call: StreamCall) -> dict[str, Any]:
    """Message metadata every phone turn carries to the dialogue engine."""
    assert call.info is not None
    return {
        "channel": "phone",
        "caller_phone": call.info.caller,
        "call_sid": call.call_sid,
        "elder_mode": call.elder,
    }


async def on_utterance(call: StreamCall, event: AsrEvent) -> None:
    """A final utterance: through the dialogue engine, or the keypad menu if we cannot
    understand speech (no Chinese model)."""
    if not call.services.understands_speech or not event.text:
        await call.speak(prompts.no_speech_model())
        return
    logger.info(
        "call %s: utterance (%d chars, confidence %s)",
        call.call_sid,
        len(event.text),
        f"{event.confidence:.2f}" if event.confidence else "-",
    )
    await dialogue_turn(call, event.text)


async def dialogue_turn(call: StreamCall, text: str) -> None:
    """One turn through the same path as ``/api/chat``; the reply is spoken."""
    async with call.turn_lock:
        try:
            replies = await relay(
                call.settings,
                sender_id=call.call_sid,
                text=text,
                channel="phone",
                metadata=metadata(call),
                client=call.http,
            )
        except RasaUnavailable:
            await call.speak(prompts.rasa_down(call.settings))
            return
        await speak_replies(call, replies)


async def speak_replies(call: StreamCall, replies: list[BotMessage]) -> None:
    """Say the bot's replies; honour ``custom.voice`` and ``custom.handoff``."""
    for reply in replies:
        voice = reply.custom.get("voice")
        if isinstance(voice, dict):
            call.overrides.update(
                {k: v for k, v in voice.items() if k in ("rate", "volume")}
            )
    text = "".join(r.text.strip() for r in replies if r.text.strip())
    await call.speak(text or prompts.not_understood())
    if any(r.custom.get("handoff") for r in replies):
        await hand_off(call, reason="dialogue")


async def on_digit(call: StreamCall, digit: str) -> None:
    """Keypad at any moment: 1 meals, 2 emergency, 3 policy, 0 person, * repeat, 9 slower."""
    assert call.info is not None
    loop = asyncio.get_running_loop()
    logger.info("call %s: key %s", call.call_sid, digit)
    if digit == "2":
        info = call.info
        await loop.run_in_executor(
            None, lambda: calls.record_keypad_emergency(call.settings, info=info)
        )
        await call.speak(prompts.emergency_recorded(call.settings))
    elif digit in prompts.KEYPAD_UTTERANCES:
        await dialogue_turn(call, prompts.KEYPAD_UTTERANCES[digit])
    elif digit == "0":
        await hand_off(call, reason="keypad")
    elif digit == "*":
        await call.speak(call.last_spoken or prompts.greeting(call.settings))
    elif digit == "9":
        call.elder = True
        slower = call.settings.tts_rate_elder - 15 * (1 + int(bool(call.overrides)))
        call.overrides["rate"] = max(90, slower)
        if call.asr is not None:
            call.asr.elder = True
        previous = call.last_spoken
        await call.speak(prompts.slower() + previous)
    else:
        await call.speak(prompts.KEYPAD_MENU)


async def hand_off(call: StreamCall, *, reason: str) -> None:
    """Transfer to the duty number with ``<Dial>``, or promise a call back."""
    assert call.info is not None
    settings, info = call.settings, call.info
    loop = asyncio.get_running_loop()
    if settings.duty_phone:
        url = await call.services.audio_url(prompts.transferring(), elder=call.elder)
        twiml = handoff.dial_twiml(
            number=settings.duty_phone,
            play_url=url,
            caller_id=settings.twilio_from_number,
        )
        # one blocking job: Twilio ends the stream as soon as the call is updated,
        # and the cancelled call task must not lose the record of the transfer
        ok = await loop.run_in_executor(
            None, lambda: _transfer_and_record(settings, info.call_sid, twiml)
        )
        if ok:
            await call.speak(prompts.transferring())
            return
    await loop.run_in_executor(
        None, lambda: calls.request_callback(settings, info=info, reason=reason)
    )
    await call.speak(prompts.callback_promised())


def _transfer_and_record(settings: Settings, call_sid: str, twiml: str) -> bool:
    ok = handoff.transfer_call(settings, call_sid=call_sid, twiml=twiml)
    calls.record_transfer(settings, call_sid=call_sid, to=settings.duty_phone, ok=ok)
    return ok
