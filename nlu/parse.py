"""Parse utterances with the latest trained Rasa model (guard included).

Usage (on .venv-rasa)::

    .venv-rasa/bin/python -m nlu.parse --jsonl < in.jsonl > out.jsonl
    .venv-rasa/bin/python -m nlu.parse "我摔倒了起不来"

Input lines are ``{"id", "text"}``; output lines are ``{"id", "intent",
"confidence", "entities", ...}``. The model loads once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODELS_DIR = PROJECT_ROOT / "var" / "rasa" / "models"

logger = logging.getLogger(__name__)


def latest_model(models_dir: Path = DEFAULT_MODELS_DIR) -> Path:
    """The most recently written model archive in ``models_dir``.

    Raises:
        FileNotFoundError: when there is no trained model yet.
    """
    models = sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise FileNotFoundError(
            f"no trained model in {models_dir}; train one first "
            "(make run, or rasa train ... --out var/rasa/models)"
        )
    return models[-1]


class Parser:
    """A loaded Rasa model that turns text into intent and entities."""

    def __init__(self, model_path: Path) -> None:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        quiet_structlog()
        from rasa.core.agent import Agent  # heavy: import only when used

        self.model_path = model_path
        self._loop = asyncio.new_event_loop()
        self._agent = Agent.load(str(model_path))

    def parse(self, text: str) -> dict[str, Any]:
        """Intent, confidence and entities of one utterance."""
        result = self._loop.run_until_complete(self._agent.parse_message(text))
        return to_record(result)

    def close(self) -> None:
        self._loop.close()


def quiet_structlog() -> None:
    """Send Rasa's structlog output to stderr, warnings and above only.

    Unconfigured structlog prints debug lines to stdout, which would corrupt
    the JSON lines this CLI writes there.
    """
    import structlog

    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
    )


def to_record(result: dict[str, Any]) -> dict[str, Any]:
    """The contract fields from a Rasa parse result (plus guard details)."""
    intent = result.get("intent") or {}
    text = result.get("text") or ""
    entities = []
    for entity in result.get("entities") or []:
        start, end = entity.get("start"), entity.get("end")
        span = (
            text[start:end] if isinstance(start, int) and isinstance(end, int) else ""
        )
        entities.append(
            {
                "entity": entity.get("entity"),
                "value": entity.get("value"),
                "text": entity.get("text") or span,
                "start": start,
                "end": end,
                "extractor": entity.get("extractor"),
            }
        )
    record: dict[str, Any] = {
        "intent": intent.get("name"),
        "confidence": round(float(intent.get("confidence") or 0.0), 4),
        "entities": entities,
    }
    if result.get("intent_before_guard"):
        record["intent_before_guard"] = result["intent_before_guard"].get("name")
    if record["intent"] == "nlu_fallback":
        # What the classifier would have said: for choosing the fallback threshold.
        ranked = [
            r
            for r in result.get("intent_ranking") or []
            if r.get("name") != "nlu_fallback"
        ]
        if ranked:
            record["below_threshold"] = {
                "intent": ranked[0].get("name"),
                "confidence": round(float(ranked[0].get("confidence") or 0.0), 4),
            }
    return record


def read_jsonl(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line:
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"line {number}: not JSON ({exc})") from exc
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise ValueError(f"line {number}: expected an object with a 'text' string")
        yield item


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nlu.parse", description=__doc__)
    parser.add_argument("text", nargs="*", help="utterances to parse")
    parser.add_argument("--jsonl", action="store_true", help="read {id,text} lines")
    parser.add_argument("--model", type=Path, help="model archive (default: latest)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    try:
        model = args.model or latest_model()
    except FileNotFoundError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    # Only our JSON goes to stdout: anything a library prints goes to stderr.
    out, sys.stdout = sys.stdout, sys.stderr
    nlu = Parser(model)
    try:
        if args.jsonl:
            for item in read_jsonl(sys.stdin):
                record = {"id": item.get("id"), **nlu.parse(item["text"])}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                out.flush()
        else:
            for text in args.text:
                record = {"text": text, **nlu.parse(text)}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    except ValueError as exc:
        print(f"bad input: {exc}", file=sys.stderr)
        return 2
    finally:
        nlu.close()
        sys.stdout = out
    return 0


if __name__ == "__main__":
    sys.exit(main())
