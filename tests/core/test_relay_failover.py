"""Which errors move a turn to the next Rasa server, with and without a shared lock store.

A refused connection means the server never saw the turn: the next server takes
it. A connection that breaks after the turn was sent may leave the first server
still running it; only a shared (Redis) lock store keeps a second server from
running the same conversation at once, so without one the user gets the retry
message instead. Transport errors are httpx's own, raised by a transport that
plays each server.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from assistant.dialogue import RasaUnavailable, relay
from assistant.rasa_servers import servers_for
from assistant.settings import Settings

URLS = ["http://127.0.0.1:15901", "http://127.0.0.1:15902"]


def _turn(settings: Settings, first_error: type[httpx.TransportError]) -> list[str]:
    """Send one turn whose first server fails with ``first_error``; the servers asked."""
    first = servers_for(settings, "u1")[0]
    asked: list[str] = []

    def serve(request: httpx.Request) -> httpx.Response:
        base = f"{request.url.scheme}://{request.url.host}:{request.url.port}"
        asked.append(base)
        if base == first:
            raise first_error("gone", request=request)
        return httpx.Response(200, json=[{"recipient_id": "u1", "text": "好的"}])

    async def run() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(serve)) as client:
            replies = await relay(
                settings, sender_id="u1", text="你好", channel="web", client=client
            )
            assert [r.text for r in replies] == ["好的"]

    try:
        asyncio.run(run())
    except RasaUnavailable:
        asked.append("unavailable")
    return asked


@pytest.mark.parametrize("lock_store", ["", "redis://127.0.0.1:6379/0"])
def test_a_refused_turn_goes_to_the_next_server(lock_store: str) -> None:
    settings = Settings(rasa_urls=URLS, rasa_lock_store_url=lock_store)
    asked = _turn(settings, httpx.ConnectError)
    assert len(asked) == 2 and asked[0] != asked[1]


@pytest.mark.parametrize("error", [httpx.ReadError, httpx.RemoteProtocolError])
def test_a_broken_turn_moves_only_with_a_shared_lock_store(
    error: type[httpx.TransportError],
) -> None:
    alone = _turn(Settings(rasa_urls=URLS, rasa_lock_store_url=""), error)
    assert alone[-1] == "unavailable" and len(alone) == 2  # asked once, then gave up
    shared = Settings(rasa_urls=URLS, rasa_lock_store_url="redis://127.0.0.1:6379/0")
    moved = _turn(shared, error)
    assert len(moved) == 2 and moved[-1] != "unavailable"
