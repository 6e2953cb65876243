"""Shared fixtures: the trained Rasa model and a running stack, each built once per run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.rasa_project import ensure_model
from assistant.settings import PROJECT_ROOT, Settings
from bench.sim.stack import Stack, start_stack

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """The Rasa model for the current training data (trained only if it changed)."""
    return ensure_model(Settings(var_dir=PROJECT_ROOT / "var"))


@pytest.fixture(scope="session")
def stack(
    tmp_path_factory: pytest.TempPathFactory, trained_model: Path
) -> Iterator[Stack]:
    """A real Rasa server and app on free ports with a fresh SQLite database."""
    running = start_stack(tmp_path_factory.mktemp("stack"), model=trained_model)
    yield running
    running.stop()
