"""``python -m bench.voice [--json PATH]``: TTS latency, ASR real-time factor, and
(via ``bench.hotline``) hotline reaction times and sustained calls."""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from assistant.settings import PROJECT_ROOT, Settings
from bench.sim.models import korean_model_path
from voice.asr import AsrEngine
from voice.audio import resample
from voice.tts import TtsEngine

SENTENCES = [
    "您好，今天中午的饭十一点半送到。",
    "已经记录您的紧急求助，正在通知工作人员和家属。",
    "长期护理保险的报销比例是70%，请拨打12345咨询。",
    "按1订餐，按2紧急求助，按3政策咨询，按0转人工。",
]


def bench_tts(settings: Settings) -> dict[str, Any]:
    """Synthesis time (uncached and cached) and audio length at both speeds."""
    engine = TtsEngine(settings)
    out: dict[str, Any] = {"voice": settings.tts_voice}
    for mode, elder in (("normal", False), ("elder", True)):
        params = engine.params(elder=elder)
        cold, warm, seconds = [], [], []
        for text in SENTENCES:
            speech = engine.synth_blocking(text, params)
            cold.append(speech.seconds)
            seconds.append(speech.samples.size / speech.rate)
            warm.append(engine.synth_blocking(text, params).seconds)
        out[mode] = {
            "rate_wpm": params.rate,
            "sample_rate": speech.rate,
            "synth_ms_median": round(statistics.median(cold) * 1000, 1),
            "cached_ms_median": round(statistics.median(warm) * 1000, 2),
            "audio_s_median": round(statistics.median(seconds), 2),
        }
    engine.close()
    return out


def bench_asr(settings: Settings) -> dict[str, Any]:
    """Real-time factor of one 8 kHz stream (processing time / audio time)."""
    engine = AsrEngine(settings)
    if engine.path is None:
        settings = settings.model_copy(
            update={"asr_model_path": str(korean_model_path())}
        )
        engine = AsrEngine(settings)
    start = time.perf_counter()
    if not engine.load():
        return {"error": engine.error}
    load_s = time.perf_counter() - start
    tts = TtsEngine(settings)
    chunks = []
    for text in SENTENCES:
        speech = tts.synth_blocking(text, tts.params(elder=True))
        chunks += [resample(speech.samples, src_rate=speech.rate, dst_rate=8000)]
        chunks.append(np.zeros(12000, dtype=np.int16))
    audio = np.concatenate(chunks).astype("<i2").tobytes()
    stream = engine.stream(sample_rate=8000)
    start = time.perf_counter()
    finals = 0
    for offset in range(0, len(audio), 3200):  # 200 ms, as the hotline batches
        finals += sum(
            e.kind == "final" for e in stream.accept(audio[offset : offset + 3200])
        )
    finals += len(stream.finish())
    spent = time.perf_counter() - start
    audio_s = len(audio) / 2 / 8000
    engine.close()
    return {
        "model": str(engine.path),
        "model_is_chinese": engine.chinese,
        "load_s": round(load_s, 2),
        "audio_s": round(audio_s, 1),
        "rtf": round(spent / audio_s, 3),
        "utterances": finals,
    }


def main(json_path: str | None) -> int:
    """Run the sections; write figures as JSON to ``json_path`` (and stdout)."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.model_validate({"var_dir": Path(tmp)})
        results: dict[str, Any] = {
            "tts": bench_tts(settings),
            "asr": bench_asr(settings),
        }
    done = subprocess.run(
        [sys.executable, "-m", "bench.hotline"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode == 0:
        results["hotline"] = json.loads(done.stdout.strip().splitlines()[-1])
    else:
        results["hotline"] = {"error": done.stderr.strip()[-500:]}
    text = json.dumps(results, ensure_ascii=False, indent=2)
    if json_path:
        Path(json_path).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.voice")
    parser.add_argument("--json", help="also write the figures to this file")
    raise SystemExit(main(parser.parse_args().json))
