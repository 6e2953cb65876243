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

from knowledge.facts import FactKind, asked_kinds, states
from knowledge.question import Analysis, analyse, meal_question
from knowledge.regions import SPOKEN, city_of, covers
from knowledge.search import Hit, SearchResult
from knowledge.sentences import SentencePicker
from knowledge.station import LABELS, SOURCE, StationFacts
from knowledge.station import citation as station_citation

_OFFER = "想听详细内容，或者想找工作人员，请跟我说。"
_PERSON = "这个问题建议直接问{station}的工作人员，他们会帮您查清楚。"
_ASK_STATION = "具体请问{station}的工作人员。"
_DECLINE = "政策文件里没有找到能回答这个问题的内容。"
_OFF_TOPIC = "这个问题不在养老服务和政策里，我答不了，{pointer}。"
_MAX_QUOTE = 120
# Station facts that answer a question for a fact of this kind.
_KIND_FACTS: dict[str, tuple[str, ...]] = {
    "phone": ("hotline",),
    "hours": ("opening_hours",),
    "place": ("address", "application_window"),
    "amount": ("service_fees",),
    "duration": (),
}
_MAX_FACTS = 2
# A question about a document itself (who issued it, when, its number) is
# answered from the manifest, which records exactly that.
_ABOUT_DOC = re.compile(r"印发|发布|发的|发文|文号|字号|出台|下发")
_DOC_FIELD = re.compile(
    r"哪天|什么时[间候]|何时|哪年|日期|文号|字号|哪个单位|哪个部门|谁|机关"
)


@dataclass
class Answer:
    """What the assistant says, its sources, and whether it declined.

    ``kind`` says which path made it: ``policy`` (a quote), ``service`` (a
    service detail the documents do not give), ``off_topic`` or ``none``.
    """

    text: str
    citations: list[dict[str, Any]] = field(default_factory=list)
    abstained: bool = False
    declined_part: bool = False
    result: SearchResult | None = None
    kind: str = "policy"


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


def _station_facts(
    question: str,
    kinds: list[FactKind],
    analysis: Analysis,
    facts: StationFacts | None,
) -> list[tuple[str, str]]:
    """(field, value) of the station's facts that answer what was asked."""
    if facts is None:
        return []
    wanted: list[str] = []
    meal = meal_question(question)
    for kind in kinds:
        fields = _KIND_FACTS.get(kind.name, ())
        if kind.name == "amount" and meal:
            fields = ("meal_prices",)
        wanted.extend(fields)
    for need in analysis.needs:
        wanted.extend(need.facts)
    values = facts.model_dump()
    chosen = [f for f in dict.fromkeys(wanted) if values.get(f)]
    return [(f, values[f]) for f in chosen[:_MAX_FACTS]]


def _facts_text(chosen: list[tuple[str, str]]) -> str:
    parts = "；".join(f"{LABELS[f]}：{v.rstrip('。')}" for f, v in chosen)
    return f"{SOURCE}：{parts}。"


def _region_note(top: Hit, wanted: str | None) -> str:
    """Say so when the quote comes from a region that does not cover the asked one."""
    doc_region = top.metadata.get("region") or ""
    if not wanted or not doc_region or covers(doc_region, wanted):
        return ""
    home = SPOKEN.get(city_of(wanted), wanted)
    there = SPOKEN.get(doc_region, doc_region)
    return f"{home}的文件里没有写这个，下面是{there}的规定。"


def compose(
    result: SearchResult,
    *,
    style: str,
    words: set[str],
    tokenize: Any,
    station: str,
    analysis: Analysis | None = None,
    facts: StationFacts | None = None,
    picker: SentencePicker | None = None,
) -> Answer:
    """Turn a search result into an answer.

    Args:
        result: hits and the abstention verdict.
        style: ``short`` (phone, elder mode) or ``full`` (staff).
        words: the question's content words, for highlighting.
        tokenize: word tokenizer used on sentences.
        station: the station's name, for pointing to a person.
        analysis: the question's topic and service details (``analyse``).
        facts: the station's own facts, read out for service details.
        picker: chooses the sentence to quote (lexical only when absent).

    Raises:
        ValueError: unknown style.
    """
    if style not in ("short", "full"):
        raise ValueError(f"unknown style {style!r}; valid: short, full")
    analysis = analysis or analyse(result.question)
    person = _PERSON.format(station=station)
    if analysis.off_topic:
        text = _OFF_TOPIC.format(pointer=analysis.pointer)
        return Answer(text, [], True, False, result, "off_topic")
    kinds = asked_kinds(result.question)
    missing = [k for k in kinds if not any(states(k, h.text) for h in result.hits[:3])]
    gaps = _gaps(missing, analysis)
    station_cites, then = _station_part(
        result.question, missing, analysis, facts, station
    )
    if analysis.personal or (gaps and (result.abstained or not result.hits)):
        # Nothing in the documents can answer: say what they lack, then the station.
        text = f"政策文件里查不到{_join(gaps)}。{then}"
        return Answer(text, station_cites, True, True, result, "service")
    if result.abstained or not result.hits:
        return Answer(f"{_DECLINE}{person}", [], True, False, result, "none")
    if (
        style == "short"
        and _ABOUT_DOC.search(result.question)
        and _DOC_FIELD.search(result.question)
    ):
        about = _document_facts(result.hits[0])
        if about:
            cite = citation(result.hits[0], about) | {"section": "文件信息"}
            return Answer(f"{about}{_OFFER}", [cite], False, False, result)
    picker = picker or SentencePicker(tokenize, lambda _t: 1.0)
    index, sentence = picker.pick(result.question, result.hits, kinds, limit=_MAX_QUOTE)
    top = result.hits[index]
    quote = picker.excerpt(result.question, sentence, _MAX_QUOTE)
    cites = [citation(top, quote)]
    # A number of the kind asked may be elsewhere in the passages (a notice's
    # own contact line) but not in what is read out: this part lacks it.
    unstated = [
        k
        for k in kinds
        if style == "short" and k not in missing and not states(k, quote)
    ]
    if unstated:
        station_cites, then = _station_part(
            result.question, missing + unstated, analysis, facts, station
        )
    lead = []
    if result.uncovered_region:
        lead.append(f"文件里没有{result.uncovered_region}的规定")
    if gaps:
        lead.append(f"文件里没有写{_join(gaps)}")
    if unstated:
        lead.append(f"这段条文里没有写{_join([k.label for k in unstated])}")
        gaps = [*gaps, *(k.label for k in unstated)]
    note = _region_note(top, result.region)
    if style == "full":
        head = "，".join(lead)
        text = (head + "。\n" if head else "") + _full(result, words)
        cites = [citation(h, h.text) for h in result.hits]
        return Answer(text, cites, False, bool(gaps), result)
    if gaps:  # what is missing, what they do say, then the station's fact or a person
        text = f"{'，'.join(lead)}。{note}{_source(top)}里只说：{_as_sentence(quote)}{then}"
        return Answer(text, cites + station_cites, False, True, result, "service")
    if lead:  # the place asked about is not covered: say so, then the nearest text
        text = f"{'，'.join(lead)}，{note}{_source(top)}里只说：{_as_sentence(quote)}{person}"
        return Answer(text, cites, False, True, result)
    text = f"{note}{_source(top)}里说：{_as_sentence(quote)}{_OFFER}"
    return Answer(text, cites, False, False, result)


def _station_part(
    question: str,
    missing: list[FactKind],
    analysis: Analysis,
    facts: StationFacts | None,
    station: str,
) -> tuple[list[dict[str, Any]], str]:
    """Citations and text of what follows a gap: the station's facts, else a pointer."""
    chosen = _station_facts(question, missing, analysis, facts)
    cites = [station_citation(f, v) for f, v in chosen]
    return cites, _facts_text(chosen) if chosen else _ASK_STATION.format(
        station=station
    )


def _gaps(missing: list[FactKind], analysis: Analysis) -> list[str]:
    """What the documents lack, said once (a procedure covers where to go)."""
    names = {n.name for n in analysis.needs}
    gaps = [
        n.gap for n in analysis.needs if not (n.name == "procedure" and "lost" in names)
    ]
    for kind in missing:
        if kind.name == "place" and names & {"procedure", "lost"}:
            continue
        gaps.append(kind.label)
    return list(dict.fromkeys(gaps))


def _join(gaps: list[str]) -> str:
    if len(gaps) <= 1:
        return "".join(gaps)
    return "、".join(gaps[:-1]) + "和" + gaps[-1]


def _document_facts(hit: Hit) -> str:
    """Who issued the best passage's document, when, and its number (from the manifest)."""
    meta = hit.metadata
    issuer, number = meta.get("issuer") or "", meta.get("doc_number") or ""
    when = _spoken_date(str(meta.get("date") or ""))
    if not when:
        return ""
    text = f"《{hit.title}》是{issuer}{when}印发的"
    return text + (f"，文号是{number}。" if number else "。")


def _spoken_date(value: str) -> str:
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", value.strip())
    if not match:
        return ""
    year, month, day = match.groups()
    return f"{year}年{int(month)}月{int(day)}日"


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
