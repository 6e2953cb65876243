"""Knowledge fixtures: the real model and index, each loaded once per test run."""

from __future__ import annotations

import hashlib
import os

import numpy as np
import pytest

from assistant.settings import PROJECT_ROOT, Settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def real_settings() -> Settings:
    """Settings on the project's var/ (where `make setup` builds the index)."""
    return Settings(var_dir=PROJECT_ROOT / "var")


@pytest.fixture(scope="session")
def kb(real_settings: Settings):  # type: ignore[no-untyped-def]
    """The real knowledge base (index built if missing; cheap when up to date)."""
    from knowledge.base import KnowledgeBase
    from knowledge.index import build

    build(real_settings)
    return KnowledgeBase(real_settings)


class FakeEmbedder:
    """Deterministic hashed bag-of-characters vectors; counts what it embeds."""

    name = "fake-embedder"
    dim = 64

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for ch in text:
            v[int(hashlib.md5(ch.encode()).hexdigest(), 16) % self.dim] += 1.0
        return v / max(float(np.linalg.norm(v)), 1e-6)

    def passages(self, texts: list[str]) -> np.ndarray:
        self.embedded.extend(texts)
        return (
            np.stack([self._vec(t) for t in texts])
            if texts
            else np.zeros((0, self.dim))
        )

    def queries(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vec(t) for t in texts])


@pytest.fixture()
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()
