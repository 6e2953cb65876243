"""Twilio SMS and voice calls for outbox rows, with the outbox id as idempotency key."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from assistant.services.outbox import sending_configured
from assistant.settings import Settings

_idempotency_key: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "twilio_idempotency_key", default=None
)


class NotConfigured(RuntimeError):
    """No Twilio credentials: nothing can be sent."""


class TransientSendError(RuntimeError):
    """Worth retrying: network trouble, 429 or a 5xx from Twilio."""


class PermanentSendError(RuntimeError):
    """Twilio refused the request for good (bad number, auth, ...)."""


class _KeyedHttpClient(TwilioHttpClient):
    """Adds Twilio's idempotency header so a retried send is not doubled."""

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        key = _idempotency_key.get()
        if key:
            headers = dict(kwargs.get("headers") or {})
            headers["I-Twilio-Idempotency-Token"] = key
            kwargs["headers"] = headers
        return super().request(method, url, *args, **kwargs)


@dataclass
class TwilioSender:
    """Sends one outbox row; blocking, so the worker runs it in a thread."""

    settings: Settings
    _client: Client | None = None

    @property
    def configured(self) -> bool:
        return sending_configured(self.settings)

    def client(self) -> Client:
        """The Twilio client, built on first use."""
        if not self.configured:
            raise NotConfigured("Twilio not configured")
        if self._client is None:
            client = Client(
                self.settings.twilio_account_sid,
                self.settings.twilio_auth_token,
                http_client=_KeyedHttpClient(timeout=10),
            )
            if self.settings.twilio_api_base:
                client.api.base_url = self.settings.twilio_api_base.rstrip("/")
            self._client = client
        return self._client

    def status_callback_url(self) -> str:
        """Where Twilio posts delivery and call status."""
        return self.settings.public_url.rstrip("/") + "/api/staff/outbox/twilio-status"

    def send(self, *, channel: str, recipient: str, body: str, key: str) -> str:
        """Send an SMS or place a call; the provider's SID.

        Raises:
            NotConfigured, TransientSendError, PermanentSendError.
        """
        client = self.client()
        token = _idempotency_key.set(key)
        try:
            if channel == "sms":
                message = client.messages.create(
                    to=recipient,
                    from_=self.settings.twilio_from_number,
                    body=body,
                    status_callback=self.status_callback_url(),
                )
                return str(message.sid)
            call = client.calls.create(
                to=recipient,
                from_=self.settings.twilio_from_number,
                twiml=say_twiml(body),
                status_callback=self.status_callback_url(),
            )
            return str(call.sid)
        except TwilioRestException as exc:
            if exc.status == 429 or exc.status >= 500:
                raise TransientSendError(f"twilio {exc.status}: {exc.code}") from exc
            raise PermanentSendError(f"twilio {exc.status}: {exc.code}") from exc
        except (TwilioException, OSError) as exc:
            raise TransientSendError(
                type(exc).__name__ + ": " + str(exc)[:200]
            ) from exc
        finally:
            _idempotency_key.reset(token)


def say_twiml(text: str) -> str:
    """TwiML that says the text twice, slowly, in Mandarin."""
    said = escape(text)
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        f'<Say language="cmn-CN" voice="Polly.Zhiyu">{said}</Say><Pause length="1"/>'
        f'<Say language="cmn-CN" voice="Polly.Zhiyu">{said}</Say></Response>'
    )
