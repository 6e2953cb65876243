"""Stop signals for the launcher: raise where we are, hold them around a fork.

SIGINT (Ctrl-C) and SIGTERM must stop the launcher's children at any moment,
including during training and the health wait. The handler raises
``StopRequested`` in the main thread, so the ``finally`` that stops the children
always runs; around ``Popen`` the signals are held, so no child can be started
without the launcher keeping its handle.
"""

from __future__ import annotations

import ctypes
import functools
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
_PR_SET_PDEATHSIG = 1


class StopRequested(BaseException):
    """SIGINT or SIGTERM arrived; a BaseException so no ``except Exception`` eats it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM raise ``StopRequested`` wherever we are."""

    def _raise(signum: int, _frame: object) -> None:
        raise StopRequested(signum)

    previous = {signum: signal.signal(signum, _raise) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextmanager
def signals_held() -> Iterator[None]:
    """Hold the stop signals until the block ends (they are delivered then).

    A child and our handle on it must appear together: a stop signal between
    ``Popen`` returning and the assignment would leak the child.
    """
    old = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


@functools.cache
def resolve_prctl() -> Callable[..., int] | None:
    """libc's ``prctl`` on Linux (looked up before a fork, called after it)."""
    if not sys.platform.startswith("linux"):
        return None
    prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    return prctl


def child_setup(die_with_parent: bool) -> None:
    """Runs in the child before exec: undo the held signals; maybe die with us."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    prctl = resolve_prctl()
    if die_with_parent and prctl is not None:
        # Even a SIGKILLed launcher then leaves no orphan behind.
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@contextmanager
def suppress_lookup() -> Iterator[None]:
    """Ignore signalling a process group that is already empty."""
    try:
        yield
    except ProcessLookupError:
        pass
