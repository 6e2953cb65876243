"""Shared fixtures: the trained Rasa model and running stacks.

``stack`` is one plain stack for the whole run. ``alert_stack`` is one per test
module whose alerts go to that module's local Twilio API (``fake``), with the
module's ``STACK_ENV`` settings on top (duty roster, poll intervals, ...).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.rasa_project import ensure_model
from assistant.settings import PROJECT_ROOT, Settings
from bench.sim.stack import Stack, start_stack
from bench.sim.twilio_api import TwilioApi

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


@pytest.fixture(scope="module")
def fake() -> Iterator[TwilioApi]:
    """The local Twilio API server for one test module."""
    server = TwilioApi().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def alert_stack(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    trained_model: Path,
    fake: TwilioApi,
) -> Iterator[Stack]:
    """A stack for this module that sends SMS and calls to ``fake``; settings from
    the module's ``STACK_ENV``."""
    env = {**fake.app_env(), **getattr(request.module, "STACK_ENV", {})}
    tmp = tmp_path_factory.mktemp(request.module.__name__.rpartition(".")[2])
    running = start_stack(tmp, model=trained_model, extra_env=env)
    yield running
    running.stop()
