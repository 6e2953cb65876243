"""Rate limits per client (chat, voice, code tries), on the ``limits`` library.

Rules are strings in ``limits`` notation (``"20/minute;300/hour"``), read from
settings. Counters live in memory for one app process, or in Redis when several
app workers must share them. Every window of a rule is checked before any is
counted, so a refused try does not use up the other windows.
"""

from __future__ import annotations

import asyncio
import functools

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter


class RateLimiter:
    """Moving-window counters keyed by a rule name and the client's keys."""

    def __init__(self, storage_url: str) -> None:
        self._storage = storage_from_string(storage_url)
        self._strategy = MovingWindowRateLimiter(self._storage)

    def hit(self, rule: str, *keys: str) -> bool:
        """Count one try of ``keys`` under ``rule``; False (nothing counted) when full."""
        items = _parse(rule)
        if not all(self._strategy.test(item, *keys) for item in items):
            return False
        return all([self._strategy.hit(item, *keys) for item in items])

    async def ahit(self, rule: str, *keys: str) -> bool:
        """``hit`` from async code: off the event loop when counters are remote."""
        if isinstance(self._storage, MemoryStorage):
            return self.hit(rule, *keys)  # a dict lookup: no I/O to wait for
        return await asyncio.to_thread(self.hit, rule, *keys)

    def reset(self) -> None:
        """Forget every counter (tests, and staff after an incident)."""
        self._storage.reset()


@functools.cache
def _parse(rule: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(rule))


def check_rule(rule: str) -> str:
    """``rule`` itself if it is valid ``limits`` notation.

    Raises:
        ValueError: not a rate such as ``"20/minute;300/hour"``.
    """
    _parse(rule)
    return rule


@functools.cache
def get_limiter(storage_url: str) -> RateLimiter:
    """One limiter per storage URL in this process (app routes and actions share it)."""
    return RateLimiter(storage_url)
