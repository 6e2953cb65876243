"""Command lines as an operator runs them: ``python -m …`` from the project root."""

from __future__ import annotations

import subprocess
import sys

from assistant.settings import PROJECT_ROOT


def run_module(
    *args: str, env: dict[str, str], stdin: str = "", timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``python -m ARGS`` with only ``env`` as its environment; output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=env,
        timeout=timeout,
    )
