"""Twilio request signatures and the per-call token that guards the media stream."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Mapping

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


def call_token(settings: Settings, call_sid: str) -> str:
    """HMAC of the call id, passed as a stream parameter so only our TwiML can open it."""
    key = (settings.twilio_auth_token or settings.session_secret).encode()
    return hmac.new(key, call_sid.encode(), hashlib.sha256).hexdigest()[:32]


def token_ok(settings: Settings, call_sid: str, token: str) -> bool:
    return bool(call_sid) and hmac.compare_digest(call_token(settings, call_sid), token)
