"""``nlu.parse`` and ``nlu.eval`` as subprocesses on .venv-rasa, against a real model."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT

RASA_PYTHON = PROJECT_ROOT / ".venv-rasa" / "bin" / "python"

pytestmark = pytest.mark.integration


def _run(args: list[str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(RASA_PYTHON), "-m", *args],
        input=stdin,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_parse_jsonl_with_guard_override(trained_model: Path) -> None:
    lines = [
        {"id": "a", "text": "你好"},
        {"id": "b", "text": "救命 我摔倒了起不来"},
        {"id": "c", "text": "明天中午给我送一份午饭"},
    ]
    stdin = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    done = _run(["nlu.parse", "--jsonl", "--model", str(trained_model)], stdin)
    assert done.returncode == 0, done.stderr[-2000:]
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert [row["id"] for row in out] == ["a", "b", "c"]
    assert set(out[0]) >= {"id", "intent", "confidence", "entities"}
    assert out[0]["intent"] == "greet"
    assert out[1]["intent"] == "report_emergency" and out[1]["confidence"] == 1.0
    types = [e["value"] for e in out[1]["entities"] if e["entity"] == "emergency_type"]
    assert set(types) == {"fall"}
    assert out[2]["intent"] == "book_meal"
    meal = {e["entity"]: e["value"] for e in out[2]["entities"]}
    assert meal.get("meal_type") == "lunch"


def test_parse_rejects_bad_lines(trained_model: Path) -> None:
    done = _run(["nlu.parse", "--jsonl", "--model", str(trained_model)], "not json\n")
    assert done.returncode == 2
    assert "line 1" in done.stderr


def test_eval_prints_and_saves_figures(trained_model: Path, tmp_path: Path) -> None:
    gold = [
        {"id": "1", "text": "谢谢你啊", "intent": "thanks", "entities": {}},
        {"id": "2", "text": "家里着火了", "intent": "report_emergency",
         "entities": {"emergency_type": "fire_gas"}},
        {"id": "3", "text": "长护险怎么办理", "intent": "ask_policy", "entities": {}},
    ]  # fmt: skip
    data = tmp_path / "gold.jsonl"
    data.write_text("\n".join(json.dumps(g, ensure_ascii=False) for g in gold))
    out = tmp_path / "figures.json"
    done = _run(
        ["nlu.eval", str(data), "--model", str(trained_model), "--json", str(out)]
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "intent accuracy" in done.stdout and "worst confusions" in done.stdout
    figures = json.loads(out.read_text())
    assert figures["n"] == 3
    assert figures["report_emergency_recall"] == 1.0
    assert figures["per_entity_recall"]["emergency_type"] == 1.0
    assert 0.0 <= figures["intent_accuracy"] <= 1.0 and "macro_f1" in figures
