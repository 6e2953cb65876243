"""``python -m bench``: load, chat latency, training time, NLU and retrieval quality, voice speed.

Each section runs the real components and records its figures in
bench/results.json; a section whose component is missing records why.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from assistant.rasa_project import RASA_PYTHON, ensure_model, models_dir, training_hash
from assistant.settings import PROJECT_ROOT, get_settings
from bench.dialogues import bench_dialogues
from bench.load import bench_load, print_load_table
from bench.sim.stack import start_stack

RESULTS = PROJECT_ROOT / "bench" / "results.json"
EVAL_DIR = PROJECT_ROOT.parent / "shared" / "eval"
TURNS = 200
PHRASES = ["你好", "谢谢你", "再见", "你是机器人吗", "今天天气怎么样"]


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def time_turns(
    url: str, make_body: Any, turns: int, headers: dict[str, str] | None = None
) -> dict[str, float]:
    """p50/p95 in ms of ``turns`` POSTs after a warm-up."""
    latencies: list[float] = []
    with httpx.Client(timeout=60, headers=headers) as client:
        for i in range(10):
            client.post(url, json=make_body(i)).raise_for_status()
        for i in range(turns):
            started = time.perf_counter()
            client.post(url, json=make_body(i)).raise_for_status()
            latencies.append((time.perf_counter() - started) * 1000)
    return {
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "turns": turns,
    }


def bench_chat() -> dict[str, Any]:
    """Latency of a chat turn through the app versus straight to Rasa's REST channel."""
    model = ensure_model(get_settings())
    with tempfile.TemporaryDirectory() as tmp:
        stack = start_stack(Path(tmp), model=model)
        try:
            via_app = time_turns(
                f"{stack.app_url}/api/chat",
                lambda i: {
                    "user_id": f"bench-{i % 20}",
                    "text": PHRASES[i % len(PHRASES)],
                },
                TURNS,
                headers=stack.connector_headers,
            )
            direct = time_turns(
                f"{stack.rasa_url}/webhooks/rest/webhook",
                lambda i: {
                    "sender": f"bench-direct-{i % 20}",
                    "message": PHRASES[i % len(PHRASES)],
                },
                TURNS,
            )
        finally:
            stack.stop()
    return {
        "via_app": via_app,
        "direct_rasa": direct,
        "app_overhead_p50_ms": round(via_app["p50_ms"] - direct["p50_ms"], 1),
    }


def bench_training() -> dict[str, Any]:
    """Seconds the last training of the current model took."""
    record = models_dir(get_settings()) / f"{training_hash()}.train_seconds"
    if not record.exists():
        return {"skipped": "model trained before timing was recorded"}
    return {"seconds": float(record.read_text())}


def run_json_command(command: list[str]) -> dict[str, Any]:
    """Run a CLI that writes its figures with ``--json PATH``; return them."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        done = subprocess.run(
            [*command, "--json", out.name],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            return {"error": done.stderr.strip()[-500:]}
        figures: dict[str, Any] = json.loads(Path(out.name).read_text() or "{}")
        return figures


def main() -> int:
    results: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": "2 cores",
    }
    # first, while nothing else of the bench has warmed the machine up
    results["load"] = bench_load()
    results["rasa_training"] = bench_training()
    results["chat_latency"] = bench_chat()
    results["dialogues"] = bench_dialogues()
    results["nlu"] = run_json_command(
        [str(RASA_PYTHON), "-m", "nlu.eval", str(EVAL_DIR / "nlu_dev.jsonl")]
    )
    results["knowledge"] = run_json_command(
        [
            sys.executable,
            "-m",
            "knowledge",
            "eval",
            str(EVAL_DIR / "policy_qa_dev.jsonl"),
        ]
    )
    results["voice"] = run_json_command([sys.executable, "-m", "bench.voice"])
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print_table({k: v for k, v in results.items() if k != "load"})
    print()
    print_load_table(results["load"])
    print(f"\nwritten to {RESULTS.relative_to(PROJECT_ROOT)}")
    return 0


def print_table(results: dict[str, Any], prefix: str = "") -> None:
    for key, value in results.items():
        if isinstance(value, dict):
            print_table(value, f"{prefix}{key}.")
        elif not isinstance(value, list):
            print(f"{prefix + key:<55} {value}")


if __name__ == "__main__":
    raise SystemExit(main())
