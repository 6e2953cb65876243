"""Retrieval, abstention and answer figures on a question set, three systems side by side.

A retrieved passage is a hit when, with all whitespace removed, it contains the
whole ``answer_quote`` or at least 60% of it as one contiguous run.

Beside retrieval, the answer an elder hears (the hybrid system's short answer)
is judged, since a good passage is no use if the wrong sentence is read out:

- ``unanswerable_handled``: an unanswerable question is declined, or the answer
  says the documents do not state what was asked;
- ``expected_quote``: the short answer's text holds the expected quote (same
  60% rule as a hit);
- ``answerable_wrongly_declined``: an answerable question is declined or told
  "not stated".
"""

from __future__ import annotations

import json
import logging
import re
import statistics
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

_WS = re.compile(r"\s+")
SYSTEMS = ("bm25", "dense", "hybrid")


def is_hit(passage: str, quote: str, share: float = 0.6) -> bool:
    """Whether a passage holds the quote (or a long enough contiguous part of it)."""
    text, q = _WS.sub("", passage), _WS.sub("", quote)
    if not q:
        return False
    if q in text:
        return True
    need = max(1, -(-int(share * len(q) * 1000) // 1000))
    return any(q[i : i + need] in text for i in range(len(q) - need + 1))


def load_questions(path: Path) -> list[dict[str, Any]]:
    """Question records of a JSONL file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _rank(hits: list[str], quote: str) -> int | None:
    for i, text in enumerate(hits):
        if is_hit(text, quote):
            return i + 1
    return None


def evaluate(kb: Any, questions: list[dict[str, Any]]) -> dict[str, Any]:
    """Figures per system, with breakdowns by document and style, and latency.

    Args:
        kb: a ``KnowledgeBase``.
        questions: records with question, doc, answer_quote, answerable, style.

    Returns:
        JSON-serialisable figures.
    """
    figures: dict[str, Any] = {}
    clear = getattr(kb.searcher.embedder, "clear_cache", lambda: None)
    for system in SYSTEMS:
        clear()  # every system pays for its own question encoding
        per: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        declined_unans, declined_ans, times = [], [], []
        quoted: list[float] = []
        for q in questions:
            started = time.perf_counter()
            if system == "hybrid":
                answer = kb.answer(q["question"], region=q.get("region"))
                hits = [h.text for h in answer.result.hits] if answer.result else []
                declined = answer.abstained or answer.declined_part
                if q.get("answerable", True):
                    quoted.append(float(is_hit(answer.text, q["answer_quote"])))
            else:
                result = kb.search(
                    q["question"], region=q.get("region"), k=5, mode=system
                )
                hits = [h.text for h in result.hits]
                declined = result.abstained
            times.append((time.perf_counter() - started) * 1000)
            if not q.get("answerable", True):
                declined_unans.append(float(declined))
                continue
            declined_ans.append(float(declined))
            rank = _rank(hits, q["answer_quote"])
            for group in ("all", f"doc:{q['doc']}", f"style:{q.get('style', '')}"):
                per[group]["r1"].append(float(rank == 1))
                per[group]["r5"].append(float(rank is not None and rank <= 5))
                per[group]["mrr"].append(1.0 / rank if rank else 0.0)
        groups = {
            name: {m: round(statistics.fmean(v), 3) for m, v in vals.items()}
            | {"n": len(vals["r1"])}
            for name, vals in sorted(per.items())
        }
        times.sort()
        figures[system] = {
            "recall@1": groups["all"]["r1"],
            "recall@5": groups["all"]["r5"],
            "mrr": groups["all"]["mrr"],
            "unanswerable_declined": round(statistics.fmean(declined_unans or [0]), 3),
            "answerable_declined": round(statistics.fmean(declined_ans or [0]), 3),
            "unanswerable_handled": round(statistics.fmean(declined_unans or [0]), 3)
            if system == "hybrid"
            else "-",
            "expected_quote": round(statistics.fmean(quoted or [0]), 3)
            if system == "hybrid"
            else "-",
            "answerable_wrongly_declined": round(
                statistics.fmean(declined_ans or [0]), 3
            )
            if system == "hybrid"
            else "-",
            "p50_ms": round(times[len(times) // 2], 1) if times else 0.0,
            "p95_ms": round(times[int(len(times) * 0.95) - 1], 1) if times else 0.0,
            "groups": groups,
        }
    return figures


def answer_figures(kb: Any, questions: list[dict[str, Any]]) -> dict[str, Any]:
    """The answer-level figures alone (the short answer an elder hears), with misses.

    Returns:
        ``unanswerable_handled``, ``expected_quote``, ``answerable_wrongly_declined``
        and the ids behind each miss.
    """
    handled, quoted, declined = [], [], []
    misses: dict[str, list[str]] = defaultdict(list)
    for q in questions:
        answer = kb.answer(q["question"], region=q.get("region"))
        said_no = answer.abstained or answer.declined_part
        if not q.get("answerable", True):
            handled.append(float(said_no))
            if not said_no:
                misses["unanswerable_answered"].append(q["id"])
            continue
        declined.append(float(said_no))
        hit = is_hit(answer.text, q["answer_quote"])
        quoted.append(float(hit))
        if said_no:
            misses["wrongly_declined"].append(q["id"])
        if not hit:
            misses["quote_missed"].append(q["id"])
    return {
        "unanswerable_handled": round(statistics.fmean(handled or [0]), 3),
        "expected_quote": round(statistics.fmean(quoted or [0]), 3),
        "answerable_wrongly_declined": round(statistics.fmean(declined or [0]), 3),
        "n_answerable": len(quoted),
        "n_unanswerable": len(handled),
        "misses": dict(misses),
    }


def format_table(figures: dict[str, Any]) -> str:
    """The three systems side by side, then per-document and per-style recall."""
    rows = [
        "recall@1",
        "recall@5",
        "mrr",
        "unanswerable_declined",
        "answerable_declined",
        "unanswerable_handled",
        "expected_quote",
        "answerable_wrongly_declined",
        "p50_ms",
        "p95_ms",
    ]
    lines = [f"{'':28}" + "".join(f"{s:>10}" for s in SYSTEMS)]
    for row in rows:
        lines.append(f"{row:28}" + "".join(f"{figures[s][row]:>10}" for s in SYSTEMS))
    groups = sorted(figures["hybrid"]["groups"])
    lines.append("")
    lines.append(f"{'group (R@1 / R@5)':34}" + "".join(f"{s:>14}" for s in SYSTEMS))
    for group in groups:
        cells = "".join(
            f"{figures[s]['groups'][group]['r1']:>7}/{figures[s]['groups'][group]['r5']:<6}"
            for s in SYSTEMS
        )
        n = figures["hybrid"]["groups"][group]["n"]
        lines.append(f"{group[:30]:30}{n:>4}" + cells)
    for key in (
        "build_seconds",
        "full_build_seconds",
        "unchanged_build_seconds",
        "warm_query_p50_ms",
        "warm_query_p95_ms",
    ):
        if key in figures:
            lines.append(f"{key}: {figures[key]}")
    return "\n".join(lines)
