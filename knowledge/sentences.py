"""Choose the sentence to read out: the one that answers, not the one that shares a word.

A passage is about 200 characters of several sentences, and the short answer
quotes only one. Each sentence of the best few passages is scored by how much
of the question's rarer wording it holds (IDF-weighted words and character
bigrams, so speech-recogniser slips still count) and by the embedding model's
similarity to the question; a sentence stating the kind of fact asked for (an
amount, a time) gains, and sentences of lower-ranked passages pay a little, so
the best passage's answer is preferred unless another passage clearly answers
better.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from knowledge.chunk import split_sentences
from knowledge.facts import FactKind, states
from knowledge.regions import strip_region_names
from knowledge.search import Hit

_MIN_CHARS = 6
_CACHE_SIZE = 20000
_RANK_COST = (0.0, 0.2, 0.3)  # by passage rank; passages past these are not read
_W_LEXICAL, _W_DENSE, _FACT_BONUS = 0.55, 0.45, 0.15
_SHORT = 16  # a sentence this short is usually a heading: it names, it does not answer
_SHORT_COST = 0.3
_CJK = re.compile(r"[\u4e00-\u9fff]")
_NUMBERED = re.compile(r"^[（(]?[一二三四五六七八九十\d]+[)）、.．]\s*")
_ENDED = re.compile(r"[。！？；!?;][”’」』）)]*$")
_TABLE_ROW = re.compile(r"(?:\s\S{1,8}){3,}\s*$")  # cells: a row of short values
_ANSWER_BONUS = 0.12
_PUNCT = re.compile(r"[\s《》“”\"（）()、，。：:；;！？!?—-]")
# What kind of answer the question wants, and how a sentence shows it has one
# (classic answer-type matching: a "which people" question wants a list of people).
ANSWER_TYPES: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = (
    (  # a list: 哪些, 包括什么, 分别
        re.compile(r"哪些|包括|分别|有什么(?:服务|行动|措施|内容|方面)|哪几"),
        re.compile(r"[^、]{1,12}、[^、]{1,12}、"),
    ),
    (  # people: 哪些人, 谁, 什么人, 哪些老人
        re.compile(r"哪些(?:人|老人|老年人|群体|对象)|什么人|谁|哪类|对象"),
        re.compile(r"(?:老年人|人员|对象|群体|家庭|人群)"),
    ),
    (  # a number or target: 多少, 几, 目标, 比例
        re.compile(r"多少|几[个张家所岁年%]|目标|比例|百分之|覆盖率"),
        re.compile(r"\d|[一二三四五六七八九十百千万]+(?:个|张|家|所|岁|%)|百分之"),
    ),
    (  # a date: 哪天, 什么时间, 何时
        re.compile(r"哪天|什么时[间候]|何时|哪年|日期|印发"),
        re.compile(r"\d{4}\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?"),
    ),
)


def sentences_of(text: str) -> list[str]:
    """The sentences of a passage (lines are sentence breaks too), headings kept."""
    out = []
    for line in text.split("\n"):
        for start, end in split_sentences(line):
            sentence = line[start:end].strip()
            if (
                len(_CJK.findall(sentence)) >= _MIN_CHARS // 2
                and len(sentence) >= _MIN_CHARS
            ):
                out.append(sentence)
    return out


class SentencePicker:
    """Scores candidate sentences against a question.

    Args:
        tokenize: words plus character bigrams (``knowledge.lexical.Tokenizer``).
        idf: IDF of a token in the corpus (rare words weigh more).
        embedder: optional; gives ``queries`` and ``passages`` vectors (normalised).
        known: sentence vectors made when the index was built
            (``knowledge.sentence_store``); others are encoded on first use.
    """

    def __init__(
        self,
        tokenize: Callable[[str], list[str]],
        idf: Callable[[str], float],
        embedder: Any = None,
        *,
        known: Mapping[str, np.ndarray] | None = None,
    ) -> None:
        self.tokenize = tokenize
        self.idf = idf
        self.embedder = embedder
        self._known = dict(known or {})  # the corpus's, embedded at build time
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._token_cache: OrderedDict[str, frozenset[str]] = OrderedDict()
        self._lock = threading.Lock()

    def _tokens(self, sentence: str) -> frozenset[str]:
        """A sentence's tokens; corpus sentences recur from answer to answer, so
        each is tokenised once (jieba was most of an answer's time)."""
        with self._lock:
            tokens = self._token_cache.get(sentence)
        if tokens is None:
            tokens = frozenset(self.tokenize(sentence))
            with self._lock:
                self._token_cache[sentence] = tokens
                while len(self._token_cache) > _CACHE_SIZE:
                    self._token_cache.popitem(last=False)
        return tokens

    def _vectors(self, sentences: list[str]) -> np.ndarray:
        """Sentence vectors: the build's, else each new sentence encoded once."""
        known = self._known
        with self._lock:
            missing = [
                s
                for s in dict.fromkeys(sentences)
                if s not in known and s not in self._cache
            ]
        if missing:  # one batch for the new ones
            vectors = self.embedder.passages(missing)
            with self._lock:
                for s, v in zip(missing, vectors, strict=True):
                    self._cache[s] = np.asarray(v, dtype=np.float32)
                while len(self._cache) > _CACHE_SIZE:
                    self._cache.popitem(last=False)
        with self._lock:
            return np.stack(
                [known[s] if s in known else self._cache[s] for s in sentences]
            )

    def pick(
        self, question: str, hits: list[Hit], kinds: list[FactKind]
    ) -> tuple[int, str]:
        """(hit index, sentence) of the sentence that best answers the question."""
        candidates = [
            (i, s)
            for i, hit in enumerate(hits[: len(_RANK_COST)])
            for s in sentences_of(hit.text)
            if not _is_title(s, hit)
        ]
        if not candidates:
            return 0, hits[0].text.strip()
        q = strip_region_names(question)
        q_tokens = set(self.tokenize(q))
        weights = {t: self.idf(t) for t in q_tokens}
        total = max(sum(weights.values()), 1e-6)
        lexical = np.array(
            [
                sum(w for t, w in weights.items() if t in self._tokens(s)) / total
                for _, s in candidates
            ],
            dtype=np.float32,
        )
        dense = np.zeros(len(candidates), dtype=np.float32)
        if self.embedder is not None:
            qv = np.asarray(self.embedder.queries([q])[0], dtype=np.float32)
            cos = self._vectors([s for _, s in candidates]) @ qv
            dense = _minmax(cos)
        wants = [(a, h) for a, h in ANSWER_TYPES if a.search(q)]
        scores = []
        for k, (i, s) in enumerate(candidates):
            score = (
                _W_LEXICAL * float(lexical[k])
                + _W_DENSE * float(dense[k])
                - _RANK_COST[i]
            )
            if any(states(kind, s) for kind in kinds):
                score += _FACT_BONUS
            if len(s) < _SHORT or _NUMBERED.match(s) or not _ENDED.search(s):
                score -= (
                    _SHORT_COST  # a heading, title or table row: it names, not answers
                )
            if _TABLE_ROW.search(s):
                score -= _SHORT_COST
            score += _ANSWER_BONUS * sum(1 for asks, has in wants if has.search(s))
            scores.append(score)
        best = int(np.argmax(scores))
        return candidates[best]


def _is_title(sentence: str, hit: Hit) -> bool:
    """A line that repeats the document's title or a section heading (it answers nothing)."""
    bare = _PUNCT.sub("", sentence)
    if len(bare) < 4:
        return True
    return any(bare in _PUNCT.sub("", t) for t in (hit.title, hit.section) if t)


def _minmax(values: np.ndarray) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    if high - low < 1e-6:
        return np.zeros_like(values)
    return ((values - low) / (high - low)).astype(np.float32)
