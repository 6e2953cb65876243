"""Twilio request signatures, and the one-time token that guards the media stream."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import time
from collections.abc import Mapping
from typing import Any, NamedTuple

from fastapi import HTTPException, Request
from twilio.request_validator import RequestValidator

from assistant.settings import Settings

logger = logging.getLogger(__name__)


def public_url(settings: Settings, path: str) -> str:
    """The URL Twilio uses for ``path`` (and signs)."""
    return settings.public_url.rstrip("/") + path


def stream_url(settings: Settings) -> str:
    """``wss://…/twilio/stream`` for the TwiML ``<Stream>``."""
    base = settings.public_url.rstrip("/")
    if base.startswith("https://"):
        return "wss://" + base[len("https://") :] + "/twilio/stream"
    return "ws://" + base.removeprefix("http://") + "/twilio/stream"


def is_valid(
    settings: Settings, *, url: str, params: Mapping[str, str], signature: str
) -> bool:
    """Whether ``signature`` is Twilio's signature of ``url`` and ``params``."""
    if not settings.twilio_auth_token or not signature:
        return False
    validator = RequestValidator(settings.twilio_auth_token)
    return bool(validator.validate(url, dict(params), signature))


async def verified_form(request: Request, settings: Settings) -> dict[str, str]:
    """The form of a Twilio webhook, after checking ``X-Twilio-Signature``.

    Raises:
        HTTPException: 403 when the signature is missing or wrong.
    """
    form = {key: str(value) for key, value in (await request.form()).items()}
    url = public_url(settings, request.url.path)
    if request.url.query:
        url += "?" + request.url.query
    signature = request.headers.get("X-Twilio-Signature", "")
    if not is_valid(settings, url=url, params=form, signature=signature):
        logger.warning(
            "rejected unsigned or tampered Twilio request to %s", request.url.path
        )
        raise HTTPException(status_code=403, detail="invalid Twilio signature")
    return form


class StreamToken(NamedTuple):
    """A valid stream token: its signature (the one-time key) and its expiry."""

    key: str
    expires_at: dt.datetime


def _stream_mac(settings: Settings, call_sid: str, caller: str, expires: str) -> str:
    key = (settings.twilio_auth_token or settings.session_secret).encode()
    message = "\n".join(("stream", call_sid, caller, expires)).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def stream_params(
    settings: Settings, *, call_sid: str, caller: str, now: float | None = None
) -> dict[str, str]:
    """Custom parameters of the ``<Stream>``: the call, the caller (from the signed
    webhook), an expiry, and an HMAC of all three, so only our TwiML opens it."""
    expires = str(int((now or time.time()) + settings.phone_stream_token_ttl_s))
    return {
        "call_sid": call_sid,
        "caller": caller,
        "expires": expires,
        "token": _stream_mac(settings, call_sid, caller, expires),
    }


def stream_token(
    settings: Settings, params: Mapping[str, Any], now: float | None = None
) -> StreamToken | None:
    """The token of genuine, unexpired stream parameters; None otherwise.

    It still has to be used once only (``PhoneServices.use_stream_token``).
    """
    try:
        call_sid, caller = str(params["call_sid"]), str(params["caller"])
        expires, token = str(params["expires"]), str(params["token"])
        expiry = int(expires)
    except (KeyError, TypeError, ValueError):
        return None
    if not call_sid or expiry < (now or time.time()):
        return None
    if not hmac.compare_digest(_stream_mac(settings, call_sid, caller, expires), token):
        return None
    return StreamToken(token, dt.datetime.fromtimestamp(expiry, dt.UTC))
