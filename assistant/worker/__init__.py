"""Background workers run inside the app process: outbox senders, the emergency
sweeper, the escalation scheduler and the broadcast scheduler.

The app lifespan calls ``handle = start_workers(settings)`` on startup (and
keeps it on ``app.state.workers`` for ``/health``) and ``await handle.stop()``
on shutdown. Every loop is supervised (``worker.supervisor``): a failing
iteration is logged and the loop goes on, and each keeps a heartbeat.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from assistant.notify.twilio_sender import TwilioSender
from assistant.settings import Settings
from assistant.worker.broadcasts import dispatch_once
from assistant.worker.escalation import escalate_once, sweep_once
from assistant.worker.outbox import OutboxWorker
from assistant.worker.supervisor import Heartbeat, supervise

logger = logging.getLogger(__name__)


@dataclass
class WorkerHandle:
    """Running background tasks, their heartbeats and the event that stops them."""

    outboxes: list[OutboxWorker]
    stop_event: asyncio.Event
    heartbeats: dict[str, Heartbeat] = field(default_factory=dict)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def outbox(self) -> OutboxWorker:
        """The first outbox worker."""
        return self.outboxes[0]

    def health(self) -> dict[str, Any]:
        """Each loop's last heartbeat, for ``/health``."""
        return {name: beat.public() for name, beat in self.heartbeats.items()}

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming, let the current send finish, then cancel what is left."""
        self.stop_event.set()
        for worker in self.outboxes:
            worker.stop_event.set()
        done, pending = await asyncio.wait(self.tasks, timeout=timeout)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


def _periodic(job: Callable[[Settings], object], settings: Settings) -> Any:
    """A supervised step that runs a blocking pass in a thread."""

    async def step() -> bool:
        await asyncio.to_thread(job, settings)
        return False

    return step


def start_workers(settings: Settings) -> WorkerHandle:
    """Start every background loop on the running loop; the sweeper's first pass
    runs at once (start-up), the others on their intervals."""
    stop_event = asyncio.Event()
    sender = TwilioSender(settings)
    outboxes = [
        OutboxWorker(
            settings,
            sender,
            stop_event=stop_event,
            name=f"outbox-{n + 1}",
            heartbeat=Heartbeat(f"outbox-{n + 1}", settings.outbox_poll_s),
        )
        for n in range(max(settings.outbox_workers, 1))
    ]
    handle = WorkerHandle(outboxes=outboxes, stop_event=stop_event)
    for worker in outboxes:
        assert worker.heartbeat is not None
        handle.heartbeats[worker.name] = worker.heartbeat
        handle.tasks.append(asyncio.create_task(worker.run(), name=worker.name))
    loops: list[tuple[str, Callable[[Settings], object], float]] = [
        ("emergency-sweeper", sweep_once, settings.emergency_sweep_s),
        ("escalations", escalate_once, settings.escalation_poll_s),
        ("broadcasts", dispatch_once, settings.broadcast_poll_s),
    ]
    for name, job, interval in loops:
        beat = handle.heartbeats[name] = Heartbeat(name, interval)
        handle.tasks.append(
            asyncio.create_task(
                supervise(beat, _periodic(job, settings), stop_event), name=name
            )
        )
    logger.info("background workers started: %s", ", ".join(handle.heartbeats))
    return handle
