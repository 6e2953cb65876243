"""Hand-off: move the live call to the duty number with the Calls API and ``<Dial>``."""

from __future__ import annotations

import logging
from xml.sax.saxutils import escape

from assistant.privacy import mask_phone
from assistant.settings import Settings

logger = logging.getLogger(__name__)


def dial_twiml(*, number: str, play_url: str | None, caller_id: str = "") -> str:
    """TwiML that plays our announcement (our own voice) and dials ``number``."""
    play = f"<Play>{escape(play_url)}</Play>" if play_url else ""
    attr = f' callerId="{escape(caller_id)}"' if caller_id else ""
    return f"<Response>{play}<Dial{attr}>{escape(number)}</Dial></Response>"


def transfer_call(settings: Settings, *, call_sid: str, twiml: str) -> bool:
    """Update the live call with new TwiML (blocking HTTP; run in an executor).

    Returns:
        True when Twilio accepted the update.
    """
    if not (settings.twilio_account_sid and settings.twilio_auth_token):
        logger.warning("call %s: cannot transfer, Twilio credentials not set", call_sid)
        return False
    from twilio.base.exceptions import TwilioException
    from twilio.rest import Client

    client = Client(settings.twilio_account_sid, settings.twilio_auth_token)
    if settings.twilio_api_base:
        client.api.base_url = settings.twilio_api_base.rstrip("/")
    try:
        client.calls(call_sid).update(twiml=twiml)
    except (TwilioException, OSError) as exc:
        logger.error(
            "call %s: transfer to %s failed: %r",
            call_sid,
            mask_phone(settings.duty_phone),
            exc,
        )
        return False
    logger.info("call %s transferred to %s", call_sid, mask_phone(settings.duty_phone))
    return True
