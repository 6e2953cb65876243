"""Hybrid search: BM25 and dense candidates fused, with region preference.

Both sides propose candidates; each candidate gets both scores (BM25 from the
full score vector, cosine from its stored vector), normalised per query, mixed
with ``knowledge_lexical_weight`` and scaled by how well the passage's region
fits the region the question (or the user's profile) names. Evidence is judged
on raw, query-independent measures (word coverage, cosine) so that abstention
does not depend on how the other candidates happened to score.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from assistant.settings import Settings
from knowledge.chunk import Passage
from knowledge.dense import DenseIndex
from knowledge.lexical import BM25, Tokenizer, get_tokenizer
from knowledge.question import spoken_years
from knowledge.regions import (
    REGIONS,
    detect_region,
    region_affinity,
    strip_region_names,
    uncovered_place,
)

logger = logging.getLogger(__name__)

Mode = Literal["hybrid", "bm25", "dense"]
MODES = ("hybrid", "bm25", "dense")
_CANDIDATES = 60
_REGION_FLOOR = 0.4
_REGION_WORDS = {
    "北京",
    "北京市",
    "朝阳",
    "朝阳区",
    "承德",
    "承德市",
    "国家",
    "全国",
}  # score share kept by a passage of an unrelated region
# How people name one document: by the kind of text its title ends with.
_KIND_SAID: dict[str, re.Pattern[str]] = {
    "行动计划": re.compile(r"行动计划|三年行动"),
    "实施方案": re.compile(r"实施方案"),
    "规划": re.compile(r"规划"),
}
_OTHER_DOC = 0.5  # score share kept by another document's passage when one is named


@dataclass
class Hit:
    """One retrieved passage with its document metadata."""

    doc: str
    title: str
    section: str
    text: str
    score: float
    start: int
    end: int
    metadata: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (the CLI and API contract fields first)."""
        return {
            "doc": self.doc,
            "title": self.title,
            "section": self.section,
            "text": self.text,
            "score": round(self.score, 4),
            "start": self.start,
            "end": self.end,
            "metadata": self.metadata,
        }


@dataclass
class SearchResult:
    """Hits best first, whether the evidence is too weak, and the region used."""

    question: str
    hits: list[Hit]
    abstained: bool
    region: str | None = None
    uncovered_region: str | None = None
    evidence: float = 0.0


class Searcher:
    """Lexical, dense and fused retrieval over one loaded index."""

    def __init__(
        self,
        settings: Settings,
        meta: dict[str, Any],
        passages: list[Passage],
        vectors: np.ndarray,
        embedder: Any,
        tokenizer: Tokenizer | None = None,
    ) -> None:
        self.settings = settings
        self.meta = meta
        self.passages = passages
        self.vectors = vectors
        self.embedder = embedder
        self.tokenizer = tokenizer or get_tokenizer()
        self.docs: dict[str, dict[str, Any]] = meta.get("documents", {})
        self.dense = DenseIndex(vectors, approx_above=settings.knowledge_approx_above)
        self._tokens = [self.tokenizer(self._lexical_text(p)) for p in passages]
        self._word_sets = [
            set(self.tokenizer.words(self._lexical_text(p))) for p in passages
        ]
        self.bm25 = BM25(self._tokens)
        self._idf = self.bm25.idf_of
        self._regions = [self.docs.get(p.doc, {}).get("region", "") for p in passages]
        self._docs = np.array([p.doc for p in passages])
        self._region_factors: dict[str, np.ndarray] = {}  # by wanted region

    def _lexical_text(self, passage: Passage) -> str:
        return " ".join(passage.section[-1:]) + " " + passage.text

    def search(
        self,
        question: str,
        *,
        region: str | None = None,
        k: int = 5,
        mode: Mode = "hybrid",
    ) -> SearchResult:
        """Top passages for a question.

        Args:
            question: the user's words.
            region: the user's profile region (a region the question names wins).
            k: number of hits.
            mode: ``hybrid``, or one side alone (for evaluation).

        Raises:
            ValueError: empty question, or unknown region or mode.
        """
        question = question.strip()
        if not question:
            raise ValueError("empty question")
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; valid: {', '.join(MODES)}")
        if region is not None and region not in REGIONS:
            raise ValueError(f"unknown region {region!r}; valid: {', '.join(REGIONS)}")
        # a year said digit by digit (二零二五年) as the documents write it
        question = spoken_years(question[: self.settings.knowledge_max_query_chars])
        wanted = detect_region(question) or region
        scores, cosines = self._score(strip_region_names(question), mode)
        if mode == "hybrid":  # preferences apply to the system users get
            if wanted is not None:
                scores = scores * self._region_factor(wanted)
            named = self.named_document(question, wanted)
            if named is not None:
                scores = scores * np.where(self._docs == named, 1.0, _OTHER_DOC)
        order = [int(i) for i in np.argsort(-scores)[:k] if scores[i] > 0]
        q_words = set(self.tokenizer.words(question))
        evidence = self._evidence(q_words, order[0], cosines) if order else 0.0
        hits = [self._hit(i, float(scores[i])) for i in order]
        return SearchResult(
            question,
            hits,
            evidence < self.settings.knowledge_min_score,
            wanted,
            uncovered_place(question) if wanted is None else None,
            evidence,
        )

    def _score(self, question: str, mode: Mode) -> tuple[np.ndarray, np.ndarray]:
        """Per-passage scores (zero outside the candidates) and cosines."""
        n = len(self.passages)
        cosines = np.zeros(n, dtype=np.float32)
        lexical = (
            self.bm25.scores(self.tokenizer(question)) if mode != "dense" else None
        )
        if mode != "bm25":
            qv = self.embedder.queries([question])[0]
            cand = {row for row, _ in self.dense.search(qv, _CANDIDATES)}
            if lexical is not None:
                cand.update(int(i) for i in np.argsort(-lexical)[:_CANDIDATES])
            rows = np.array(sorted(cand), dtype=np.int64)
            cosines[rows] = self.vectors[rows] @ qv
        if mode == "bm25":
            assert lexical is not None
            return lexical, cosines
        dense = np.zeros(n, dtype=np.float32)
        dense[rows] = _minmax(cosines[rows])
        if mode == "dense":
            return dense, cosines
        assert lexical is not None
        lex = np.zeros(n, dtype=np.float32)
        top = float(lexical.max()) if n else 0.0
        if top > 0:
            lex[rows] = lexical[rows] / top
        w = self.settings.knowledge_lexical_weight
        fused = np.zeros(n, dtype=np.float32)
        fused[rows] = w * lex[rows] + (1 - w) * dense[rows] + 1e-6
        return fused, cosines

    def named_document(self, question: str, wanted: str | None) -> str | None:
        """The one document the question names ("朝阳区行动计划里", "国家规划里"), or None.

        A document is named by the kind its title ends with; where several are of
        that kind, the region decides. Its passages are preferred: the question
        asked what that text says, not what any text says.
        """
        kinds = [kind for kind, said in _KIND_SAID.items() if said.search(question)]
        docs = [
            doc
            for doc, meta in self.docs.items()
            if any(kind in meta.get("title", "") for kind in kinds)
        ]
        if len(docs) > 1 and wanted is not None:
            docs = [doc for doc in docs if self.docs[doc].get("region") == wanted]
        return docs[0] if len(docs) == 1 else None

    def _region_factor(self, wanted: str) -> np.ndarray:
        """Per-passage multiplier: full for the region asked about, less elsewhere.

        Worked out once per region (a Python loop over every passage), not per question.
        """
        factor = self._region_factors.get(wanted)
        if factor is None:
            factor = self._region_factors[wanted] = np.array(
                [
                    _REGION_FLOOR + (1 - _REGION_FLOOR) * region_affinity(r, wanted)
                    for r in self._regions
                ],
                dtype=np.float32,
            )
        return factor

    def _evidence(self, q_words: set[str], row: int, cosines: np.ndarray) -> float:
        """How strongly the best passage supports the question (0..1).

        Word coverage is weighted by IDF (words the corpus never uses weigh the
        most), so a question sharing only 北京 or 老人 with a passage is weak.
        """
        q_words = {w for w in q_words if w not in _REGION_WORDS}
        if not q_words:
            return 0.0
        weights = {w: self._idf(w) for w in q_words}
        # a word jieba cut otherwise in the passage (打击 in 严厉打击) is still there
        text = self.passages[row].text
        found = sum(
            v
            for w, v in weights.items()
            if w in self._word_sets[row] or (len(w) >= 2 and w in text)
        )
        coverage = found / max(sum(weights.values()), 1e-6)
        cos = float(cosines[row])
        cos_part = min(max((cos - 0.78) / 0.1, 0.0), 1.0) if cos else coverage
        return 0.6 * coverage + 0.4 * cos_part

    def _hit(self, row: int, score: float) -> Hit:
        p = self.passages[row]
        doc = self.docs.get(p.doc, {})
        metadata = {
            key: doc.get(key, "")
            for key in ("issuer", "doc_number", "date", "region", "period", "status")
        }
        return Hit(
            p.doc,
            doc.get("title", p.doc),
            p.section_text,
            p.text,
            score,
            p.start,
            p.end,
            metadata,
        )


def _minmax(values: np.ndarray) -> np.ndarray:
    if values.size == 0:
        return values
    low, high = float(values.min()), float(values.max())
    if high - low < 1e-9:
        return np.ones_like(values)
    return ((values - low) / (high - low)).astype(np.float32)
