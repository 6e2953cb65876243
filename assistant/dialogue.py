"""The one path every connector uses to hand a user turn to the Rasa server."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import httpx

from assistant.settings import Settings

logger = logging.getLogger(__name__)


class RasaUnavailable(RuntimeError):
    """Rasa did not answer (down, timed out, or returned an error)."""


@dataclass
class BotMessage:
    """One bot reply as connectors need it."""

    text: str = ""
    buttons: list[dict[str, Any]] = field(default_factory=list)
    citations: list[dict[str, Any]] = field(default_factory=list)
    custom: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_rasa(cls, raw: dict[str, Any]) -> BotMessage:
        """Build from one item of Rasa's REST channel output."""
        custom = raw.get("custom") or {}
        if not isinstance(custom, dict):
            custom = {"value": custom}
        return cls(
            text=raw.get("text") or custom.get("text", ""),
            buttons=list(raw.get("buttons") or []),
            citations=list(custom.get("citations") or []),
            custom={k: v for k, v in custom.items() if k not in ("citations", "text")},
        )

    @property
    def data_only(self) -> bool:
        """No text and no buttons: Rasa's separate message for a ``json_message``."""
        return not self.text and not self.buttons

    def absorb(self, data: BotMessage) -> None:
        """Take a data-only message's citations and custom fields into this one."""
        self.citations.extend(data.citations)
        for key, value in data.custom.items():
            self.custom.setdefault(key, value)

    def to_json(self) -> dict[str, Any]:
        """The ``/api/chat`` message shape (see ARCHITECTURE.md)."""
        out: dict[str, Any] = {
            "text": self.text,
            "buttons": self.buttons,
            "citations": self.citations,
        }
        if self.custom:
            out["custom"] = self.custom
        return out


async def relay(
    settings: Settings,
    *,
    sender_id: str,
    text: str,
    channel: str,
    metadata: dict[str, Any] | None = None,
    client: httpx.AsyncClient | None = None,
) -> list[BotMessage]:
    """Send one user turn through Rasa's REST channel and return its replies.

    Raises:
        RasaUnavailable: Rasa refused the connection, timed out or failed.
    """
    payload = {
        "sender": sender_id,
        "message": text,
        "input_channel": channel,
        # The connector's channel wins over anything a client put in metadata.
        "metadata": {**(metadata or {}), "channel": channel},
    }
    url = f"{settings.rasa_url.rstrip('/')}/webhooks/rest/webhook"
    try:
        if client is None:
            async with httpx.AsyncClient(timeout=settings.rasa_timeout_s) as own:
                response = await own.post(url, json=payload)
        else:
            response = await client.post(
                url, json=payload, timeout=settings.rasa_timeout_s
            )
        response.raise_for_status()
        items = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        logger.warning("rasa turn failed for channel %s: %r", channel, exc)
        raise RasaUnavailable(str(exc)) from exc
    return fold_data_messages(
        [BotMessage.from_rasa(item) for item in items if isinstance(item, dict)]
    )


def fold_data_messages(messages: list[BotMessage]) -> list[BotMessage]:
    """Fold each data-only message into the message before it.

    Rasa's REST channel sends ``utter_message(text=..., json_message=...)`` as
    two messages: the text, then the JSON with no text. Folding them here, once,
    lets every connector find a policy answer's citations on the answer itself.
    A data-only message with nothing before it stays as it is.
    """
    folded: list[BotMessage] = []
    for message in messages:
        if message.data_only and folded:
            folded[-1].absorb(message)
        else:
            folded.append(message)
    return folded


async def rasa_status(settings: Settings, client: httpx.AsyncClient) -> dict[str, Any]:
    """Rasa's health and loaded model, for ``/health``."""
    base = settings.rasa_url.rstrip("/")
    try:
        response = await client.get(
            f"{base}/status", params={"token": settings.rasa_token}, timeout=3
        )
        response.raise_for_status()
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": bool(body.get("model_file")), "model": body.get("model_file")}
