"""Hand-off TwiML and the Calls API: put the live call through to the duty phone.

Every ``<Dial>`` has a timeout and a signed ``action`` fallback
(``/twilio/dial``): when nobody answers, the caller is told a person will ring
back and a call-back is recorded (``gather.dial_ended``).
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError
from twilio.base.exceptions import TwilioException
from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse

from assistant.settings import Settings
from connectors.telephone import calls
from connectors.telephone.state import CallState
from connectors.telephone.twilio_auth import public_url

logger = logging.getLogger(__name__)


def dial_twiml(
    settings: Settings,
    state: CallState,
    *,
    number: str,
    plays: list[str],
    reason: str,
) -> str:
    """Play our announcements (our own voice), then dial ``number``."""
    response = VoiceResponse()
    for url in plays:
        response.play(url)
    action = public_url(settings, "/twilio/dial?" + state.query(reason=reason))
    response.dial(
        number,
        action=action,
        method="POST",
        timeout=settings.phone_dial_timeout_s,
        caller_id=settings.twilio_from_number or None,
    )
    return str(response)


def dial_live_call(
    settings: Settings, state: CallState, number: str, reason: str
) -> bool:
    """Move a media-stream call to ``<Dial>`` and note the transfer.

    One blocking job (run it in a thread): the update ends the stream and cancels
    the call's tasks, and the record of the transfer must not be lost with them.
    The announcement was said on the stream, so the TwiML plays nothing.
    """
    call_sid = state.call_sid
    twiml = dial_twiml(settings, state, number=number, plays=[], reason=reason)
    ok = update_call(settings, call_sid=call_sid, twiml=twiml)
    try:
        calls.record_transfer(
            settings, call_sid=call_sid, to=number, ok=ok, reason=reason
        )
    except SQLAlchemyError:
        logger.error("call %s: transfer not recorded", call_sid, exc_info=True)
    return ok


def hang_up_call(settings: Settings, call_sid: str) -> bool:
    """End a live call (blocking HTTP; run in a thread)."""
    response = VoiceResponse()
    response.hangup()
    return update_call(settings, call_sid=call_sid, twiml=str(response))


def update_call(settings: Settings, *, call_sid: str, twiml: str) -> bool:
    """Update the live call with new TwiML (blocking HTTP; run in a thread).

    Returns:
        True when Twilio accepted the update.
    """
    if not (settings.twilio_account_sid and settings.twilio_auth_token):
        logger.warning("call %s: cannot update, Twilio credentials not set", call_sid)
        return False
    client = Client(settings.twilio_account_sid, settings.twilio_auth_token)
    if settings.twilio_api_base:
        client.api.base_url = settings.twilio_api_base.rstrip("/")
    try:
        client.calls(call_sid).update(twiml=twiml)
    except (TwilioException, OSError) as exc:
        logger.error("call %s: update failed: %r", call_sid, exc)
        return False
    logger.info("call %s updated", call_sid)
    return True
