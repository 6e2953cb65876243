"""Evaluate the trained NLU model on a labelled JSONL file.

Usage (on .venv-rasa)::

    .venv-rasa/bin/python -m nlu.eval ../shared/eval/nlu_dev.jsonl [--json out.json]

Each line holds ``{"id", "text", "intent", "entities": {name: text or value}}``.
Prints intent accuracy, macro F1, per-intent recall, ``report_emergency``
recall, entity recall and the worst confusions.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from nlu.parse import Parser, latest_model, read_jsonl

EMERGENCY_INTENT = "report_emergency"


def intent_figures(gold: list[str], predicted: list[str]) -> dict[str, Any]:
    """Accuracy, macro F1 over the gold intents, per-intent recall, confusions.

    Args:
        gold: the labelled intent of each utterance.
        predicted: the predicted intent of each utterance, same order.

    Returns:
        A JSON-ready dict of figures.
    """
    labels = sorted(set(gold))
    per_intent: dict[str, dict[str, float]] = {}
    f1s = []
    for label in labels:
        tp = sum(
            1 for g, p in zip(gold, predicted, strict=True) if g == label and p == label
        )
        support = sum(1 for g in gold if g == label)
        predicted_n = sum(1 for p in predicted if p == label)
        precision = tp / predicted_n if predicted_n else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
        f1s.append(f1)
        per_intent[label] = {
            "support": support,
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
        }
    confusions = Counter((g, p) for g, p in zip(gold, predicted, strict=True) if g != p)
    correct = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p)
    return {
        "n": len(gold),
        "intent_accuracy": round(correct / len(gold), 4) if gold else 0.0,
        "macro_f1": round(sum(f1s) / len(f1s), 4) if f1s else 0.0,
        "report_emergency_recall": per_intent.get(EMERGENCY_INTENT, {}).get("recall"),
        "per_intent": per_intent,
        "confusions": [
            {"gold": g, "predicted": p, "count": n}
            for (g, p), n in confusions.most_common()
        ],
    }


def entity_hit(expected: str, found: list[dict[str, Any]], name: str) -> bool:
    """True when an entity of that name has the expected text or value."""
    for entity in found:
        if entity.get("entity") != name:
            continue
        if expected in (entity.get("value"), entity.get("text")):
            return True
    return False


def entity_figures(items: list[dict[str, Any]], records: list[dict[str, Any]]) -> dict:
    """Recall of each labelled entity (its text or its canonical value)."""
    totals: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    for item, record in zip(items, records, strict=True):
        for name, expected in (item.get("entities") or {}).items():
            totals[name] += 1
            if entity_hit(str(expected), record["entities"], name):
                hits[name] += 1
    total = sum(totals.values())
    return {
        "entity_recall": round(sum(hits.values()) / total, 4) if total else None,
        "per_entity_recall": {
            name: round(hits[name] / totals[name], 4) for name in sorted(totals)
        },
    }


def print_intents(figures: dict[str, Any]) -> None:
    """Accuracy, macro F1, emergency recall and per-intent recall, worst first."""
    print(f"utterances            {figures['n']}")
    print(f"intent accuracy       {figures['intent_accuracy']:.4f}")
    print(f"macro F1              {figures['macro_f1']:.4f}")
    print(f"report_emergency rec. {figures['report_emergency_recall']}")
    print("per-intent recall (support, precision, F1):")
    for label, row in sorted(
        figures["per_intent"].items(), key=lambda kv: kv[1]["recall"]
    ):
        print(
            f"  {label:<20}{row['recall']:.3f}  ({row['support']}, "
            f"p={row['precision']:.3f}, f1={row['f1']:.3f})"
        )
    print("worst confusions (gold -> predicted: count):")
    for row in figures["confusions"][:10]:
        print(f"  {row['gold']} -> {row['predicted']}: {row['count']}")


def print_report(figures: dict[str, Any]) -> None:
    print_intents(figures)
    print(f"guard overrides       {figures['guard_overrides']}")
    print(f"entity recall         {figures['entity_recall']}")
    for name, value in figures["per_entity_recall"].items():
        print(f"  {name:<20}{value:.4f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nlu.eval", description=__doc__)
    parser.add_argument("file", type=Path, help="labelled JSONL")
    parser.add_argument("--model", type=Path, help="model archive (default: latest)")
    parser.add_argument("--json", type=Path, dest="json_out", help="write figures here")
    parser.add_argument(
        "--errors", action="store_true", help="list misclassified lines"
    )
    args = parser.parse_args(argv)
    with args.file.open(encoding="utf-8") as handle:
        items = list(read_jsonl(handle))
    model = args.model or latest_model()
    nlu = Parser(model)
    started = time.monotonic()
    records = [nlu.parse(item["text"]) for item in items]
    elapsed = time.monotonic() - started
    nlu.close()
    gold = [str(item.get("intent")) for item in items]
    predicted = [str(record["intent"]) for record in records]
    figures = intent_figures(gold, predicted)
    figures.update(entity_figures(items, records))
    figures["guard_overrides"] = sum(1 for r in records if "intent_before_guard" in r)
    figures["model"] = model.name
    figures["parse_ms_per_utterance"] = round(1000 * elapsed / max(1, len(items)), 1)
    print_report(figures)
    if args.errors:
        for item, record in zip(items, records, strict=True):
            if item.get("intent") != record["intent"]:
                print(
                    f"  [{item.get('id')}] {item.get('intent')} -> {record['intent']} "
                    f"({record['confidence']}) {item['text']}"
                )
    if args.json_out:
        args.json_out.write_text(json.dumps(figures, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
