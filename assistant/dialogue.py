"""The one path every connector uses to hand a user turn to the Rasa server."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import httpx

from assistant.rasa_servers import rasa_urls, servers_for
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
    try:
        if client is None:
            async with httpx.AsyncClient(timeout=settings.rasa_timeout_s) as own:
                response = await _post_turn(settings, own, sender_id, payload)
        else:
            response = await _post_turn(settings, client, sender_id, payload)
        response.raise_for_status()
        items = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        logger.warning("rasa turn failed for channel %s: %r", channel, exc)
        raise RasaUnavailable(str(exc)) from exc
    return fold_data_messages(
        [BotMessage.from_rasa(item) for item in items if isinstance(item, dict)]
    )


# The server is gone (refused, or closed the connection without an answer):
# another server can take the turn. A timeout is not among them: the first
# server may still be working on the turn.
FAILOVER_ERRORS = (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError)
# Without a shared lock store (the default profile's in-memory ones) only a
# refused connection proves the server never saw the turn: after a read error
# it may still be running it, and another server must not run the same
# conversation at the same time.
UNSENT_ERRORS = (httpx.ConnectError,)


async def _post_turn(
    settings: Settings,
    client: httpx.AsyncClient,
    sender_id: str,
    payload: dict[str, Any],
) -> httpx.Response:
    """POST the turn to the conversation's Rasa server, or the next one if it is gone."""
    servers = servers_for(settings, sender_id)
    failover = FAILOVER_ERRORS if settings.rasa_lock_store_url else UNSENT_ERRORS
    for n, base in enumerate(servers):
        try:
            return await client.post(
                f"{base}/webhooks/rest/webhook",
                json=payload,
                timeout=settings.rasa_timeout_s,
            )
        except failover as exc:
            if n + 1 == len(servers):
                raise
            logger.warning("rasa server %s gone (%r); trying the next", base, exc)
    raise AssertionError("unreachable: servers_for returns at least one server")


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
    """Rasa's health and loaded model, for ``/health``.

    With several servers: ok while any of them answers (conversations move to
    the others), and each server's own state under ``servers``.
    """
    states = [
        await _server_status(settings, client, base) for base in rasa_urls(settings)
    ]
    if len(states) == 1:
        return states[0]
    answering = [state for state in states if state["ok"]]
    return {
        **(answering[0] if answering else states[0]),
        "ok": bool(answering),
        "servers": [{"server": n + 1, **state} for n, state in enumerate(states)],
    }


async def _server_status(
    settings: Settings, client: httpx.AsyncClient, base: str
) -> dict[str, Any]:
    try:
        response = await client.get(
            f"{base}/status", params={"token": settings.rasa_token}, timeout=3
        )
        response.raise_for_status()
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": bool(body.get("model_file")), "model": body.get("model_file")}
