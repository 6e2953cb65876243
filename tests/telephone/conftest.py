"""Hotline fixtures; the hotline itself and the simulated caller live in bench.sim."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.sim.hotline import Hotline, run_hotline

# The hotline tests call in from one number many times a minute, each test a
# separate report: no joining of repeats here (tests/services covers joining).
ONE_CALLER_MANY_TESTS = {"emergency_join_minutes": 0.0}


@pytest.fixture(scope="module")
def gather_line(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hotline]:
    """Gather mode: the Korean model is no Chinese model, so auto picks gather."""
    with run_hotline(
        tmp_path_factory.mktemp("gather"), asr_model_lang="ko", **ONE_CALLER_MANY_TESTS
    ) as line:
        assert line.services.mode == "gather"
        yield line
