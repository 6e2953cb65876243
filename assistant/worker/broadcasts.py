"""The broadcast scheduler: fans out due broadcasts into the outbox."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from assistant.db import session_scope
from assistant.services.broadcasts import dispatch_due
from assistant.settings import Settings

logger = logging.getLogger(__name__)


def dispatch_once(settings: Settings) -> list[int]:
    """One pass; the ids of the broadcasts sent."""
    with session_scope(settings.effective_database_url) as session:
        sent = dispatch_due(session)
    if sent:
        logger.info("broadcasts dispatched: %s", sent)
    return sent


async def run_broadcasts(settings: Settings, stop_event: asyncio.Event) -> None:
    """Check for due broadcasts every ``broadcast_poll_s`` until stopped."""
    while not stop_event.is_set():
        try:
            await asyncio.to_thread(dispatch_once, settings)
        except Exception:
            logger.exception("broadcast pass failed")
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop_event.wait(), settings.broadcast_poll_s)
