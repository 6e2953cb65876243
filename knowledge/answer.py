"""Compose extractive, cited answers in plain Chinese from search results.

Every sentence of substance is copied from a cited passage, so no number,
amount or phone number can appear that the passage does not hold. The short
rendering (phone, elder mode) is at most two sentences ending with an offer of
more detail or a person; the full rendering (staff) lists the passages with
title, issuer, date, section and the matched words highlighted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from knowledge.chunk import split_sentences
from knowledge.facts import FactKind, asked_kinds, states
from knowledge.search import Hit, SearchResult

_OFFER = "想听详细内容，或者想找工作人员，请跟我说。"
_PERSON = "这个问题建议直接问{station}的工作人员，他们会帮您查清楚。"
_DECLINE = "政策文件里没有找到能回答这个问题的内容。"
_MAX_QUOTE = 120


@dataclass
class Answer:
    """What the assistant says, its sources, and whether it declined."""

    text: str
    citations: list[dict[str, Any]] = field(default_factory=list)
    abstained: bool = False
    declined_part: bool = False
    result: SearchResult | None = None


def citation(hit: Hit, quote: str) -> dict[str, Any]:
    """JSON-serialisable source of a quote."""
    meta = hit.metadata
    return {
        "doc": hit.doc,
        "title": hit.title,
        "issuer": meta.get("issuer", ""),
        "date": meta.get("date", ""),
        "section": hit.section,
        "status": meta.get("status", ""),
        "quote": quote,
    }


def best_sentence(
    hit: Hit, words: set[str], tokenize: Any, kinds: list[FactKind]
) -> str:
    """The sentence of a passage that best answers, preferring one with the asked fact."""
    best, best_score = hit.text, -1.0
    for start, end in split_sentences(hit.text):
        sentence = hit.text[start:end].strip()
        if len(sentence) < 4:
            continue
        overlap = len(words & set(tokenize(sentence))) / max(len(words), 1)
        bonus = 0.5 if any(states(k, sentence) for k in kinds) else 0.0
        bonus += min(len(sentence), 40) / 100  # a bare heading says little
        if overlap + bonus > best_score:
            best, best_score = sentence, overlap + bonus
    if len(best) > _MAX_QUOTE:  # cut at a pause, not inside a phrase
        cut = best.rfind("，", 0, _MAX_QUOTE)
        best = best[: cut if cut > _MAX_QUOTE // 2 else _MAX_QUOTE] + "……"
    return best


def _source(hit: Hit) -> str:
    draft = (
        "（这是征求意见稿，内容可能还会调整）"
        if hit.metadata.get("status") == "draft"
        else ""
    )
    return f"《{hit.title}》{draft}"


def _as_sentence(quote: str) -> str:
    quote = quote.rstrip("；;，,：:")
    return quote if quote.endswith(("。", "！", "？", "……")) else quote + "。"


def compose(
    result: SearchResult,
    *,
    style: str,
    words: set[str],
    tokenize: Any,
    station: str,
) -> Answer:
    """Turn a search result into an answer.

    Args:
        result: hits and the abstention verdict.
        style: ``short`` (phone, elder mode) or ``full`` (staff).
        words: the question's content words, for choosing and highlighting.
        tokenize: word tokenizer used on sentences.
        station: the station's name, for pointing to a person.

    Raises:
        ValueError: unknown style.
    """
    if style not in ("short", "full"):
        raise ValueError(f"unknown style {style!r}; valid: short, full")
    person = _PERSON.format(station=station)
    if result.abstained or not result.hits:
        return Answer(f"{_DECLINE}{person}", [], True, False, result)
    kinds = asked_kinds(result.question)
    missing = [k for k in kinds if not any(states(k, h.text) for h in result.hits[:3])]
    top = result.hits[0]
    quote = best_sentence(top, words, tokenize, kinds)
    cites = [citation(top, quote)]
    gaps = []
    if result.uncovered_region:
        gaps.append(f"文件里没有{result.uncovered_region}的规定")
    if missing:
        gaps.append(f"文件里没有写明{'、'.join(k.label for k in missing)}")
    lead = "，".join(gaps)
    if style == "full":
        text = (lead + "。\n" if lead else "") + _full(result, words)
        cites = [citation(h, h.text) for h in result.hits]
    elif lead:  # two sentences: what is missing and what they do say; then a person
        text = f"{lead}，{_source(top)}里只说：{_as_sentence(quote)}{person}"
    else:
        text = f"{_source(top)}里说：{_as_sentence(quote)}{_OFFER}"
    return Answer(text, cites, False, bool(missing), result)


def _highlight(text: str, words: set[str]) -> str:
    """Mark the question's words in a passage with 【】."""
    marks = sorted(
        (w for w in words if len(w) >= 2 and w in text), key=len, reverse=True
    )
    if not marks:
        return text
    pattern = re.compile("|".join(re.escape(w) for w in marks))
    return pattern.sub(lambda m: f"【{m.group(0)}】", text)


def _full(result: SearchResult, words: set[str]) -> str:
    parts = []
    for i, hit in enumerate(result.hits, 1):
        meta = hit.metadata
        head = f"{i}. 《{hit.title}》 {meta.get('issuer', '')} {meta.get('date') or '日期未注明'}"
        if meta.get("status") == "draft":
            head += "（征求意见稿）"
        section = f"\n   章节：{hit.section}" if hit.section else ""
        parts.append(f"{head}{section}\n   {_highlight(hit.text, words)}")
    return "\n".join(parts)
