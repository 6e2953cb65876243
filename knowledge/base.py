"""The knowledge base the rest of the app uses: load once, search, answer.

``KnowledgeBase(settings)`` loads the model and index (never at import); the app
keeps one per Settings in a ``knowledge.provider.KnowledgeProvider``. Callers in
async code must run ``search``/``answer`` in an executor because encoding blocks.
"""

from __future__ import annotations

import logging
from typing import Any

from assistant.settings import Settings
from knowledge import sentence_store, station
from knowledge.answer import Answer, compose
from knowledge.facts import asked_kinds
from knowledge.question import Analysis, analyse, on_topic
from knowledge.regions import REGIONS, detect_region
from knowledge.search import Mode, Searcher, SearchResult
from knowledge.sentences import SentencePicker
from knowledge.station import StationFacts

logger = logging.getLogger(__name__)
# Below this evidence a question that names nothing of elder or family services
# is taken as off topic (above it, the documents clearly speak to it).
_ON_TOPIC_EVIDENCE = 0.6


class KnowledgeBase:
    """Policy search and cited answers over the built index."""

    def __init__(self, settings: Settings, *, embedder: Any = None) -> None:
        from knowledge.embed import Embedder, ensure_model, recorded_model_matches
        from knowledge.index import index_dir, load_index

        self.settings = settings
        meta, passages, vectors = load_index(settings)
        if embedder is None:
            location = ensure_model(settings)
            if not recorded_model_matches(settings, meta.get("model")):
                raise ValueError(
                    f"index built with model {meta.get('model')!r}, settings say "
                    f"{location!r}: run `python -m knowledge build`"
                )
            embedder = Embedder(location, threads=settings.knowledge_threads)
        if vectors.shape[0] and vectors.shape[1] != embedder.dim:
            raise ValueError("index vectors do not match the model dimension: rebuild")
        self.meta = meta
        self.home_region = station_region(settings.station_region)
        self.searcher = Searcher(settings, meta, passages, vectors, embedder)
        self.picker = SentencePicker(
            self.searcher.tokenizer,
            self.searcher.bm25.idf_of,
            embedder,
            known=sentence_store.load(index_dir(settings), meta.get("model", "")),
        )
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

        ``region`` is the caller's own (profile); without one the station's
        region (``ASSISTANT_STATION_REGION``) is preferred. A region the question
        names wins over both.

        Raises:
            ValueError: empty question, unknown region or mode.
        """
        return self.searcher.search(
            question, region=region or self.home_region, k=k, mode=mode
        )

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
        analysis = analyse(question)
        if (
            not analysis.off_topic
            and not analysis.needs
            and not asked_kinds(question)
            and not on_topic(question)
            and result.evidence < _ON_TOPIC_EVIDENCE
        ):  # nothing of elder or station services named, and the documents barely match
            analysis = Analysis(True)
        tokenizer = self.searcher.tokenizer
        return compose(
            result,
            style=style,
            words=set(tokenizer.words(result.question)),  # as searched
            tokenize=tokenizer.words,
            station=self.settings.station_name,
            analysis=analysis,
            facts=self.station_facts(),
            picker=self.picker,
        )

    def station_facts(self) -> StationFacts | None:
        """The station's facts as staff last saved them (None if the file is broken)."""
        try:
            return station.load(self.settings.effective_station_facts_file).facts
        except station.StationFactsError:
            logger.error(
                "station facts file unreadable; answering without it", exc_info=True
            )
            return None


def station_region(value: str) -> str | None:
    """The corpus region a station setting names (a key or a place name), or None.

    Raises:
        ValueError: the setting names no corpus region.
    """
    value = value.strip()
    if not value:
        return None
    region = value if value in REGIONS else detect_region(value)
    if region is None:
        raise ValueError(
            f"ASSISTANT_STATION_REGION={value!r} is no corpus region; valid: {', '.join(REGIONS)}"
        )
    return region
