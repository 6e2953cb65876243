"""Answer-level acceptance figures on the shared dev set and our own held-out set.

The dev set lives outside the repository (``../shared/eval``); the held-out set
(``data/policy_qa_heldout.jsonl``) was written independently of it: other
passages, other phrasings, and unanswerable questions of every kind the issue
names (off topic, service details, personal records, fee words, lost cards).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT
from knowledge.evaluate import answer_figures, load_questions

HELD_OUT = Path(__file__).parent / "data" / "policy_qa_heldout.jsonl"
# Written later by a reviewer who read only the corpus: 70 answerable questions
# (colloquial, recogniser slips) and 60 unanswerable ones of eight kinds.
INDEPENDENT = Path(__file__).parent / "data" / "policy_qa_independent.jsonl"


def _dev_set() -> Path | None:
    candidates = [
        os.environ.get("POLICY_QA_DEV", ""),
        str(PROJECT_ROOT.parent / "shared" / "eval" / "policy_qa_dev.jsonl"),
        "/work/shared/eval/policy_qa_dev.jsonl",
    ]
    return next((Path(c) for c in candidates if c and Path(c).is_file()), None)


# Issue 12's targets (reached: expected quote 0.910 on dev, 0.975 held out).
TARGETS = {
    "unanswerable_handled": 0.95,
    "answerable_wrongly_declined": 0.03,
    "expected_quote": 0.90,
}


def _figures(kb, path: Path) -> dict:  # type: ignore[no-untyped-def,type-arg]
    figures = answer_figures(kb, load_questions(path))
    print(path.name, {k: v for k, v in figures.items() if k != "misses"})
    print(path.name, "misses", figures["misses"])
    return figures


@pytest.fixture(scope="module")
def dev_figures(kb) -> dict:  # type: ignore[no-untyped-def,type-arg]
    dev = _dev_set()
    if dev is None:
        pytest.skip("shared dev set ../shared/eval/policy_qa_dev.jsonl not present")
    return _figures(kb, dev)


def test_targets_on_the_dev_set(dev_figures: dict) -> None:  # type: ignore[type-arg]
    assert dev_figures["unanswerable_handled"] >= TARGETS["unanswerable_handled"]
    assert (
        dev_figures["answerable_wrongly_declined"]
        <= TARGETS["answerable_wrongly_declined"]
    )
    assert dev_figures["expected_quote"] >= TARGETS["expected_quote"]


def test_targets_on_the_held_out_set(kb) -> None:  # type: ignore[no-untyped-def]
    questions = load_questions(HELD_OUT)
    kinds = {q.get("kind") for q in questions if not q["answerable"]}
    assert {"off_topic", "personal", "lost", "fee", "procedure", "menu"} <= kinds
    figures = _figures(kb, HELD_OUT)
    assert figures["unanswerable_handled"] >= TARGETS["unanswerable_handled"]
    assert figures["answerable_wrongly_declined"] <= 0.05
    assert figures["expected_quote"] >= TARGETS["expected_quote"]


def test_floors_on_the_independent_set(kb) -> None:  # type: ignore[no-untyped-def]
    # Harder than dev (0.829 expected quote when written): held at that level,
    # so an "improvement" that only fits dev shows up here.
    figures = _figures(kb, INDEPENDENT)
    assert figures["unanswerable_handled"] >= TARGETS["unanswerable_handled"]
    assert (
        figures["answerable_wrongly_declined"] <= TARGETS["answerable_wrongly_declined"]
    )
    assert figures["expected_quote"] >= 0.8
