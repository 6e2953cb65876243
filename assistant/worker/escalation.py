"""The escalation scheduler and the emergency sweeper.

Escalation: emergencies nobody acknowledged get louder. The sweeper queues
what a crash left undone (an emergency committed but never alerted, or an
escalation clock that was never set); it runs at start-up and then every
``emergency_sweep_s``.
"""

from __future__ import annotations

import logging

from assistant.db import session_scope
from assistant.services.emergencies import escalate_due, sweep_unalerted
from assistant.settings import Settings

logger = logging.getLogger(__name__)


def escalate_once(settings: Settings) -> list[int]:
    """One pass: escalate everything due now; the emergency ids."""
    with session_scope(settings.effective_database_url) as session:
        return escalate_due(session, settings)


def sweep_once(settings: Settings) -> list[int]:
    """One sweep: queue the alerts of open emergencies left without them."""
    with session_scope(settings.effective_database_url) as session:
        touched = sweep_unalerted(session, settings)
    if touched:
        logger.warning("emergency sweeper repaired %s", touched)
    return touched
