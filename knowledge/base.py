"""The knowledge base the rest of the app uses: load once, search, answer.

``KnowledgeBase(settings)`` loads the model and index (never at import); the app
keeps one per Settings in a ``knowledge.provider.KnowledgeProvider``. Callers in
async code must run ``search``/``answer`` in an executor because encoding blocks.
"""

from __future__ import annotations

import logging
from typing import Any

from assistant.settings import Settings
from knowledge.answer import Answer, compose
from knowledge.search import Mode, Searcher, SearchResult

logger = logging.getLogger(__name__)


class KnowledgeBase:
    """Policy search and cited answers over the built index."""

    def __init__(self, settings: Settings, *, embedder: Any = None) -> None:
        from knowledge.embed import Embedder, ensure_model
        from knowledge.index import load_index

        self.settings = settings
        meta, passages, vectors = load_index(settings)
        if embedder is None:
            location = ensure_model(settings)
            if meta.get("model") != location:
                raise ValueError(
                    f"index built with model {meta.get('model')!r}, settings say "
                    f"{location!r}: run `python -m knowledge build`"
                )
            embedder = Embedder(location, threads=settings.knowledge_threads)
        if vectors.shape[0] and vectors.shape[1] != embedder.dim:
            raise ValueError("index vectors do not match the model dimension: rebuild")
        self.meta = meta
        self.searcher = Searcher(settings, meta, passages, vectors, embedder)
        logger.info("knowledge base loaded: %d passages", len(passages))

    def search(
        self,
        question: str,
        *,
        region: str | None = None,
        k: int = 5,
        mode: Mode = "hybrid",
    ) -> SearchResult:
        """Top-k cited passages; ``abstained`` when the evidence is weak.

        Raises:
            ValueError: empty question, unknown region or mode.
        """
        return self.searcher.search(question, region=region, k=k, mode=mode)

    def answer(
        self,
        question: str,
        *,
        region: str | None = None,
        style: str = "short",
        k: int = 5,
    ) -> Answer:
        """A cited answer in plain Chinese (``short`` or ``full``).

        An empty question gets a request to ask again rather than an error.
        """
        if not question.strip():
            return Answer("没听清您的问题，请再说一遍。", [], True)
        result = self.search(question, region=region, k=k)
        tokenizer = self.searcher.tokenizer
        return compose(
            result,
            style=style,
            words=set(tokenizer.words(question)),
            tokenize=tokenizer.words,
            station=self.settings.station_name,
        )
