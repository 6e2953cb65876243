"""Run a snippet in Rasa's own venv (.venv-rasa), for tests of code that imports rasa."""

from __future__ import annotations

import subprocess

import pytest

from assistant.rasa_project import RASA_PYTHON
from assistant.settings import PROJECT_ROOT

needs_rasa_venv = pytest.mark.skipif(
    not RASA_PYTHON.exists(), reason=".venv-rasa is not set up"
)


def run_ok(code: str, *args: str) -> None:
    """Run ``code`` on .venv-rasa from the project root; it must end by printing ok."""
    done = subprocess.run(
        [str(RASA_PYTHON), "-c", code, *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("ok")
