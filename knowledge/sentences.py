"""Choose the sentence to read out: the one that answers, not the one that shares a word.

A passage is about 200 characters of several sentences, and the short answer
quotes only one. Each sentence of the best few passages is scored by how much
of the question's rarer wording it holds (IDF-weighted words and character
bigrams, so speech-recogniser slips still count) and by the embedding model's
similarity to the question; a sentence stating the kind of fact asked for (an
amount, a time) gains, and sentences of lower-ranked passages pay by how far
their passage's retrieval score falls below the best one's, so the best
passage's answer is preferred unless another passage clearly answers better.
A passage holding only a title or headings is skipped. A neighbouring sentence
that answers almost as well is read too, and an over-long sentence is read
from the clauses that hold the question's words.
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
_READ = 3  # top passages whose sentences are candidates
_SCORE_GAP_COST, _MAX_RANK_COST = 2.0, 0.3  # see _passage_costs
_W_LEXICAL, _W_DENSE, _FACT_BONUS = 0.55, 0.45, 0.15
_SHORT = 16  # a sentence this short is usually a heading: it names, it does not answer
_SHORT_COST = 0.3
_CJK = re.compile(r"[\u4e00-\u9fff]")
_NUMBERED = re.compile(r"^[（(]?[一二三四五六七八九十\d]+[)）、.．]\s*")
_ENDED = re.compile(r"[。！？；!?;][”’」』）)]*$")
_TABLE_ROW = re.compile(r"(?:\s\S{1,8}){3,}\s*$")  # cells: a row of short values
_ANSWER_BONUS = 0.12
_NEIGHBOUR_MARGIN = 0.05  # a neighbour this close to the best sentence is read too
_CLAUSE = re.compile(r"[^，,]*[，,]?")
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


_FIGURE_ASKED = ANSWER_TYPES[2][0]
# One year named beside a figure asked (not the plan's span 2026到2028年): a
# column of an indicator table.
_SPAN = re.compile(r"(?:19|20)\d\d\s*年?\s*(?:到|至|—|–|－|-|~)\s*(?:19|20)\d\d\s*年?")
_YEAR = re.compile(r"(?:19|20)\d\d\s*年|展望")
_YEAR_NAMED = re.compile(r"((?:19|20)\d\d)\s*年")  # the year, as 2028年 or 2028 年


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
        dim = getattr(embedder, "dim", None)
        self._known = {  # the corpus's, embedded at build time (by this model)
            text: vector
            for text, vector in (known or {}).items()
            if dim is None or vector.shape[-1] == dim
        }
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

    def _weights(self, question: str) -> dict[str, float]:
        """IDF of each of the question's tokens (callers strip region names first)."""
        return {t: self.idf(t) for t in set(self.tokenize(question))}

    def excerpt(self, question: str, sentence: str, limit: int) -> str:
        """The part of an over-long sentence worth reading out, at most ``limit`` chars.

        A long list sentence often answers in its later clauses (what a platform
        offers comes after who builds it), so the run of whole clauses holding
        most of the question's rarer words is kept, not just the head; on a tie
        the earliest run wins. Cut ends are marked with ``……``.
        """
        if len(sentence) <= limit:
            return sentence
        clauses = [c for c in _CLAUSE.findall(sentence) if c]
        weights = self._weights(strip_region_names(question))
        tokens = [self._tokens(c) for c in clauses]
        best, span = -1.0, (0, 1)
        for i in range(len(clauses)):
            j, length = i + 1, len(clauses[i])
            while j < len(clauses) and length + len(clauses[j]) <= limit:
                length += len(clauses[j])
                j += 1
            found = frozenset().union(*tokens[i:j])
            score = sum(w for t, w in weights.items() if t in found)
            if score > best + 1e-9:
                best, span = score, (i, j)
        run = "".join(clauses[span[0] : span[1]])
        head = "……" if span[0] > 0 else ""
        tail = "……" if span[1] < len(clauses) or len(run) > limit else ""
        return head + run[:limit].rstrip("，,") + tail

    def pick(
        self,
        question: str,
        hits: list[Hit],
        kinds: list[FactKind],
        *,
        limit: int | None = None,
    ) -> tuple[int, str]:
        """(hit index, text) of the sentence that best answers the question.

        A neighbouring sentence of the same passage that answers almost as well
        is read with it, when both fit in ``limit`` characters: a measure is
        often stated in two steps ("积极推进……落地实施。优先将……纳入……范围").
        """
        scored = self.scored(question, hits, kinds)
        if not scored:
            return 0, hits[0].text.strip()
        best = max(range(len(scored)), key=lambda k: scored[k][2])
        index, sentence, score = scored[best]
        if limit is None:
            return index, sentence
        text = hits[index].text
        near = [
            k
            for k in (best - 1, best + 1)
            if 0 <= k < len(scored)
            and scored[k][0] == index
            and scored[k][2] >= score - _NEIGHBOUR_MARGIN
            and len(sentence) + len(scored[k][1]) <= limit
            and _follows(text, *(scored[j][1] for j in sorted((best, k))))
        ]
        if not near:
            return index, sentence
        other = max(near, key=lambda k: scored[k][2])
        first, second = sorted((best, other))
        return index, scored[first][1] + scored[second][1]

    def scored(
        self, question: str, hits: list[Hit], kinds: list[FactKind]
    ) -> list[tuple[int, str, float]]:
        """Every candidate sentence as (hit index, sentence, score), in reading order."""
        readable = _readable(hits)
        candidates = [(i, s) for i, found in readable for s in found]
        if not candidates:
            return []
        q = strip_region_names(question)
        weights = self._weights(q)
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
        costs = _passage_costs(hits, [i for i, _ in readable])
        one_year = _SPAN.sub("", q)
        indicator = bool(_FIGURE_ASKED.search(q) and _YEAR.search(one_year))
        # "到2028年覆盖率要到多少": a sentence about that year states its target
        years = set(_YEAR_NAMED.findall(one_year))
        out = []
        for k, (i, s) in enumerate(candidates):
            score = (
                _W_LEXICAL * float(lexical[k]) + _W_DENSE * float(dense[k]) - costs[i]
            )
            if any(states(kind, s) for kind in kinds):
                score += _FACT_BONUS
            score -= _form_cost(s, indicator)
            score += _ANSWER_BONUS * sum(1 for asks, has in wants if has.search(s))
            if years and years.intersection(_YEAR_NAMED.findall(s)):
                score += _ANSWER_BONUS
            out.append((i, s, score))
        return out


def _readable(hits: list[Hit]) -> list[tuple[int, list[str]]]:
    """(hit index, sentences) of the best few passages that say something.

    A passage holding only a title or headings answers nothing: it is neither
    read nor sets the bar for the others. Passages past these are not split.
    """
    out: list[tuple[int, list[str]]] = []
    for i, hit in enumerate(hits):
        found = [s for s in sentences_of(hit.text) if not _is_title(s, hit)]
        if found:
            out.append((i, found))
            if len(out) == _READ:
                break
    return out


def _follows(text: str, first: str, second: str) -> bool:
    """Whether ``second`` comes right after ``first`` in the passage, which ends a
    sentence (so the two read as one quote; a heading line does not end one)."""
    start = text.find(first)
    if start < 0 or not _ENDED.search(first):
        return False
    end = start + len(first)
    return text.find(second, end) in range(end, end + 3)


def _passage_costs(hits: list[Hit], read: list[int]) -> dict[int, float]:
    """What reading from each passage read costs, by how far its retrieval score
    falls below the best read one's: two near-equal passages (one section's
    neighbouring chunks) compete on their sentences alone."""
    top = max(max(hits[i].score for i in read), 1e-6)
    return {
        i: min(_MAX_RANK_COST, _SCORE_GAP_COST * max(0.0, 1 - hits[i].score / top))
        for i in read
    }


def _form_cost(sentence: str, indicator: bool) -> float:
    """What a sentence's form costs: headings, titles and table rows name, not answer.

    A question for a year's figure (护理员持证率2030年多少) is the exception for
    table rows: an indicator table holds exactly that, one row per measure.
    """
    row = bool(_TABLE_ROW.search(sentence))
    if row and indicator and re.search(r"\d", sentence):
        return 0.0
    cost = _SHORT_COST if row else 0.0
    if (
        len(sentence) < _SHORT
        or _NUMBERED.match(sentence)
        or not _ENDED.search(sentence)
    ):
        cost += _SHORT_COST
    return cost


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
