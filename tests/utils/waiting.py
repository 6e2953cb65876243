"""The one way tests wait: for a condition (a row, a request, a message), with a
deadline. Never a bare sleep, never an assert on wall-clock time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

POLL_S = 0.02


def wait_until(check: Callable[[], T], timeout: float = 10.0, what: str = "") -> T:
    """Call ``check`` until it returns something truthy; return that.

    Raises:
        AssertionError: nothing truthy within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s: {what or check}")
        time.sleep(POLL_S)
    return result


async def await_until(
    check: Callable[[], T], timeout: float = 10.0, what: str = ""
) -> T:
    """``wait_until`` for async tests: the event loop keeps running meanwhile."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s: {what or check}")
        await asyncio.sleep(POLL_S)
    return result
