"""The broadcast scheduler: fans out due broadcasts into the outbox."""

from __future__ import annotations

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
