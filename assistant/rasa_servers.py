"""Which Rasa server takes a conversation's turn, when there are several.

One Rasa server runs its dialogue on one core. Several servers share the
tracker store (SQLite file by default, PostgreSQL in production), so any of
them can continue any conversation. The app sends each conversation to the
same server (a stable hash of its id): that server's tracker cache stays warm
and, with the in-memory lock store of the default profile, one server alone
orders a conversation's turns. When that server cannot be reached (stopped,
restarting, crashed mid-turn) the next one takes the turn; in production the
Redis lock store keeps the order across servers.
"""

from __future__ import annotations

import zlib

from assistant.settings import Settings


def rasa_urls(settings: Settings) -> list[str]:
    """Base URLs of the Rasa servers, without trailing slashes."""
    urls = settings.rasa_urls or [settings.rasa_url]
    return [url.rstrip("/") for url in urls]


def servers_for(settings: Settings, sender_id: str) -> list[str]:
    """The servers to try for ``sender_id``: its own first, then the others in turn."""
    urls = rasa_urls(settings)
    first = zlib.crc32(sender_id.encode()) % len(urls)
    return urls[first:] + urls[:first]
