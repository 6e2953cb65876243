"""The escalation scheduler: emergencies nobody acknowledged get louder."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from assistant.db import session_scope
from assistant.services.emergencies import escalate_due
from assistant.settings import Settings

logger = logging.getLogger(__name__)


def escalate_once(settings: Settings) -> list[int]:
    """One pass: escalate everything due now; the emergency ids."""
    with session_scope(settings.effective_database_url) as session:
        return escalate_due(session, settings)


async def run_escalations(settings: Settings, stop_event: asyncio.Event) -> None:
    """Check for due escalations every ``escalation_poll_s`` until stopped."""
    while not stop_event.is_set():
        try:
            await asyncio.to_thread(escalate_once, settings)
        except Exception:
            logger.exception("escalation pass failed")
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop_event.wait(), settings.escalation_poll_s)
