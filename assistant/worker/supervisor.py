"""Supervised background loops: one failing iteration is logged, the loop goes on.

Every loop keeps a ``Heartbeat`` that ``GET /health`` shows, so a worker that
died or hangs is visible instead of silently gone (the outbox task used to end
for good on one database error).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from assistant.db import utcnow

logger = logging.getLogger(__name__)

# A loop whose last heartbeat is older than this many intervals (plus a minute
# of slack for a slow send) counts as stalled in /health.
STALE_INTERVALS = 3
STALE_SLACK_S = 60.0
# After failures in a row the loop waits longer (doubling, up to this), so a
# database that is down is not hammered nor the log flooded.
MAX_FAILURE_PAUSE_S = 30.0


@dataclass
class Heartbeat:
    """When a loop last went round, and how its last iterations went."""

    name: str
    interval_s: float
    started_at: dt.datetime = field(default_factory=utcnow)
    last_beat: dt.datetime | None = None
    last_ok: dt.datetime | None = None
    last_error: str | None = None
    last_error_at: dt.datetime | None = None
    iterations: int = 0
    failures: int = 0
    running: bool = True

    def stalled(self, now: dt.datetime | None = None) -> bool:
        """No heartbeat for several intervals (or the loop has ended)."""
        now = now or utcnow()
        since = self.last_beat or self.started_at
        limit = self.interval_s * STALE_INTERVALS + STALE_SLACK_S
        return not self.running or (now - since).total_seconds() > limit

    def public(self) -> dict[str, Any]:
        """JSON for ``/health``."""

        def iso(value: dt.datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "ok": not self.stalled(),
            "running": self.running,
            "last_heartbeat": iso(self.last_beat),
            "last_ok": iso(self.last_ok),
            "last_error": self.last_error,
            "last_error_at": iso(self.last_error_at),
            "iterations": self.iterations,
            "failures": self.failures,
        }


async def _pause(
    stop_event: asyncio.Event, wake: asyncio.Event | None, timeout: float
) -> None:
    """Wait ``timeout`` seconds, or less if stopped or woken (the wake is consumed)."""
    if wake is None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop_event.wait(), timeout)
        return
    waits = [
        asyncio.ensure_future(stop_event.wait()),
        asyncio.ensure_future(wake.wait()),
    ]
    try:
        await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in waits:
            waiting.cancel()
        await asyncio.gather(*waits, return_exceptions=True)
    wake.clear()


async def supervise(
    beat: Heartbeat,
    step: Callable[[], Awaitable[bool]],
    stop_event: asyncio.Event,
    wake: asyncio.Event | None = None,
) -> None:
    """Run ``step`` until ``stop_event``; it returns True when more work is
    waiting (go again at once), False to wait ``beat.interval_s`` (or until
    ``wake`` is set: work arrived in this process).

    Any exception from one iteration is logged and recorded on the heartbeat;
    the next iteration follows after the interval (longer after failures in a
    row: 1, 2, 4 … up to 30 s).
    """
    failing = 0
    try:
        while not stop_event.is_set():
            busy = False
            pause = beat.interval_s
            try:
                busy = await step()
            except Exception as exc:
                failing += 1
                pause = max(pause, min(2.0 ** (failing - 1), MAX_FAILURE_PAUSE_S))
                beat.failures += 1
                beat.last_error = f"{type(exc).__name__}: {exc}"[:300]
                beat.last_error_at = utcnow()
                logger.exception("%s: iteration failed; the loop goes on", beat.name)
            else:
                failing = 0
                beat.last_ok = utcnow()
            beat.last_beat = utcnow()
            beat.iterations += 1
            if busy:
                await asyncio.sleep(0)  # let other tasks run between jobs
                continue
            await _pause(stop_event, wake, pause)
    finally:
        beat.running = False
        logger.info("%s stopped after %d iterations", beat.name, beat.iterations)
