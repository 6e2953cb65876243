"""CPU seconds and memory of process trees (a Rasa server, an app), with psutil.

A tree is a process and all its descendants (uvicorn workers, Rasa's own
children). CPU is user + system time of every member, so the difference of two
samples is the CPU the tree spent in between, whichever core it ran on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import psutil


def _tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of the tree rooted at ``pid`` (0 when it is gone)."""
    total = 0.0
    for proc in _tree(pid):
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def rss_mb(pid: int) -> float:
    """Resident memory of the tree in MB."""
    total = 0
    for proc in _tree(pid):
        try:
            total += proc.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return round(total / 2**20, 1)


@dataclass
class CpuMeter:
    """CPU of named process trees between ``start()`` and ``stop()``."""

    pids: dict[str, list[int]]

    def __post_init__(self) -> None:
        self._start: dict[str, float] = {}
        self.spent: dict[str, float] = {}

    def _sample(self) -> dict[str, float]:
        return {
            name: sum(cpu_seconds(pid) for pid in pids)
            for name, pids in self.pids.items()
        }

    def start(self) -> None:
        self._start = self._sample()
        self._self_start = sum(os.times()[:2])

    def stop(self) -> dict[str, float]:
        end = self._sample()
        self.spent = {name: end[name] - self._start[name] for name in end}
        self.spent["bench_client"] = sum(os.times()[:2]) - self._self_start
        return self.spent

    def memory_mb(self) -> dict[str, float]:
        return {
            name: round(sum(rss_mb(pid) for pid in pids), 1)
            for name, pids in self.pids.items()
        }


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages (how busy the machine was)."""
    return [round(x, 2) for x in os.getloadavg()]
