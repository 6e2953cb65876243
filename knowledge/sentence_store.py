"""Vectors of the corpus's sentences, embedded when the index is built.

The short answer quotes one sentence, chosen partly by how close each
candidate sentence's vector is to the question's (``knowledge.sentences``).
Encoding those candidates while a person waits was a third of the app's CPU
under the 50-user chat load (issue 10), although the corpus has only about
1,500 distinct sentences. They are embedded once here, at build time, and
kept in ``var/knowledge/sentences.npz`` with the model's name; a later build
embeds only sentences it has not seen (a changed document, a changed split).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.sentences import sentences_of

logger = logging.getLogger(__name__)

FILE = "sentences.npz"


def corpus_sentences(texts: Iterable[str]) -> list[str]:
    """The distinct sentences of these passage texts, in first-seen order."""
    return list(dict.fromkeys(s for text in texts for s in sentences_of(text)))


def load(index: Path, model: str) -> dict[str, np.ndarray]:
    """Stored sentence vectors by text; empty when absent or made by another model."""
    path = index / FILE
    if not path.exists():
        return {}
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["model"]) != model:
                return {}
            texts, vectors = data["texts"], data["vectors"]
            return {str(t): v for t, v in zip(texts, vectors, strict=True)}
    except (OSError, KeyError, ValueError) as exc:
        logger.warning("ignoring unreadable sentence vectors %s: %s", path, exc)
        return {}


def update(
    index: Path,
    model: str,
    passage_texts: Iterable[str],
    embedder: Callable[[], Any],
) -> tuple[int, int]:
    """Store a vector for every sentence of the passages; (embedded, reused).

    ``embedder`` makes the encoder, called only when some sentence is new.
    Sentences no longer in the corpus are dropped.
    """
    wanted = corpus_sentences(passage_texts)
    stored = load(index, model)
    missing = [s for s in wanted if s not in stored]
    if missing:
        vectors = np.asarray(embedder().passages(missing), dtype=np.float32)
        stored.update(zip(missing, vectors, strict=True))
    elif set(stored) == set(wanted):
        return 0, len(wanted)
    _save(index / FILE, model, wanted, stored)
    return len(missing), len(wanted) - len(missing)


def _save(
    path: Path, model: str, texts: list[str], vectors: dict[str, np.ndarray]
) -> None:
    """Write atomically: a build killed mid-write leaves the old file whole."""
    tmp = path.with_name(path.name + ".tmp.npz")
    dim = next(iter(vectors.values())).shape[-1] if vectors else 0
    np.savez(
        tmp,
        model=np.array(model),
        texts=np.array(texts, dtype=str),
        vectors=np.stack([vectors[t] for t in texts])
        if texts
        else np.zeros((0, dim), np.float32),
    )
    os.replace(tmp, path)
