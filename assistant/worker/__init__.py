"""Background workers run inside the app process: outbox sender, escalation
scheduler, broadcast scheduler.

The app lifespan calls ``handle = start_workers(settings)`` on startup and
``await handle.stop()`` on shutdown.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from assistant.notify.twilio_sender import TwilioSender
from assistant.settings import Settings
from assistant.worker.broadcasts import run_broadcasts
from assistant.worker.escalation import run_escalations
from assistant.worker.outbox import OutboxWorker

logger = logging.getLogger(__name__)


@dataclass
class WorkerHandle:
    """Running background tasks and the event that stops them."""

    outbox: OutboxWorker
    stop_event: asyncio.Event
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming, let the current send finish, then cancel what is left."""
        self.stop_event.set()
        self.outbox.stop_event.set()
        done, pending = await asyncio.wait(self.tasks, timeout=timeout)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


def start_workers(settings: Settings) -> WorkerHandle:
    """Start the outbox worker and the escalation and broadcast schedulers on the loop."""
    stop_event = asyncio.Event()
    outbox = OutboxWorker(settings, TwilioSender(settings), stop_event=stop_event)
    handle = WorkerHandle(outbox=outbox, stop_event=stop_event)
    handle.tasks.append(asyncio.create_task(outbox.run(), name="outbox-worker"))
    handle.tasks.append(
        asyncio.create_task(run_escalations(settings, stop_event), name="escalations")
    )
    handle.tasks.append(
        asyncio.create_task(run_broadcasts(settings, stop_event), name="broadcasts")
    )
    logger.info("background workers started")
    return handle
