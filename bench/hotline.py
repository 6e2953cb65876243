"""``python -m bench.hotline``: hotline reaction times and sustained calls.

Runs the app on a loopback port in stream mode (the Korean Vosk model standing in
for a Chinese one unless one is installed; a local stand-in answers dialogue turns)
and simulated Twilio calls with real espeak-ng audio. Prints one JSON line.
Client and server share this process, so the call figures are on the safe side.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from bench.sim.caller import TwilioMediaClient
from bench.sim.hotline import Hotline, run_hotline
from connectors.telephone.twilio_auth import stream_params
from voice.audio import PACED_LEAD, resample
from voice.tts import TtsEngine


def _pct(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def _ms(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(values) * 1000, 1),
        "p95_ms": round(_pct(values, 95) * 1000, 1),
        "n": len(values),
    }


class Bench:
    """Simulated callers against one running hotline."""

    def __init__(self, line: Hotline, speech: np.ndarray) -> None:
        self.line = line
        self.speech = speech
        self.count = 0

    def client(self) -> TwilioMediaClient:
        self.count += 1
        sid = f"CA{self.count:032d}"
        params = stream_params(
            self.line.settings, call_sid=sid, caller="+8613900000000"
        )
        return TwilioMediaClient(self.line.stream_url, call_sid=sid, params=params)

    async def keypress(self, digit: str) -> float:
        async with self.client() as twilio:
            await twilio.start()
            await twilio.wait(lambda: len(twilio.got.media) > 10)
            pressed = await twilio.dtmf(digit)
            await twilio.wait(lambda: bool(twilio.got.clears))
            before = len(twilio.got.media)
            await twilio.wait(lambda: len(twilio.got.media) > before)
            first: float = twilio.got.media[before][0]
            await twilio.stop()
        return first - pressed

    async def utterance(self) -> list[float]:
        """The caller talks over the greeting (barge-in), then waits for the reply."""
        silence = np.zeros(12000, dtype=np.int16)
        async with self.client() as twilio:
            await twilio.start()
            await twilio.wait(lambda: len(twilio.got.media) > 10)
            await twilio.audio(np.concatenate([self.speech, silence]), speed=1)
            await twilio.wait(lambda: bool(twilio.got.marks), timeout=30)
            await twilio.stop()
        await asyncio.sleep(0.3)
        for stats in self.line.services.history:
            if stats["call_sid"] == twilio.call_sid:
                return list(stats["latencies_s"])
        return []

    async def concurrent(self, calls: int, seconds: float = 6.0) -> dict[str, Any]:
        """``calls`` callers talking on and off for ``seconds`` while we speak."""
        # talk, then listen for 1.5 s, like a caller in conversation
        turn = np.concatenate([self.speech, np.zeros(12000, dtype=np.int16)])
        audio = np.tile(turn, int(seconds * 8000 / turn.size) + 1)
        audio = audio[: int(seconds * 8000)]

        async def one() -> str:
            async with self.client() as twilio:
                await twilio.start()
                await twilio.audio(audio, speed=1)
                await twilio.stop()
            return str(twilio.call_sid)

        sids = set(await asyncio.gather(*(one() for _ in range(calls))))
        await asyncio.sleep(0.5)
        stats = [s for s in self.line.services.history if s["call_sid"] in sids]
        worst = max((s["max_late_ms"] for s in stats), default=float("inf"))
        return {
            "calls": calls,
            "worst_frame_late_ms": round(worst, 1),
            "worst_asr_backlog_s": round(
                max((s["asr_queue_max"] for s in stats), default=0) * 0.02, 2
            ),
            "frames_out": sum(s["frames_out"] for s in stats),
        }


async def reactions(line: Hotline, speech: np.ndarray) -> dict[str, Any]:
    """Keypress and end-of-utterance to the first outgoing audio frame."""
    bench = Bench(line, speech)
    keypress = [await bench.keypress("2") for _ in range(15)]
    star = [await bench.keypress("*") for _ in range(10)]
    spoken: list[float] = []
    for _ in range(5):
        spoken += await bench.utterance()
    return {
        "keypress_2_to_first_frame": _ms(keypress),
        "keypress_star_to_first_frame": _ms(star),
        "utterance_end_to_first_frame": _ms(spoken) if spoken else None,
        "asr_model_lang": line.services.asr.lang,
        "note": "utterance turns answered by a local stand-in for Rasa's REST webhook",
    }


async def capacity(line: Hotline, speech: np.ndarray) -> dict[str, Any]:
    """How many calls run with every outgoing frame on time (and how far Vosk lags).

    A frame is on time while it is no later than the lead paced() sends ahead
    (PACED_LEAD × 20 ms): the far end's buffer never runs dry. The machine is
    shared, so a failed level is run once more before it counts.
    """
    bench = Bench(line, speech)
    margin = PACED_LEAD * 20.0
    levels: list[dict[str, Any]] = []
    sustained = 0
    for calls in (1, 2, 4, 6, 8, 12, 16, 24):
        for _attempt in range(2):
            level = await bench.concurrent(calls)
            level["on_time"] = level["worst_frame_late_ms"] <= margin
            # reported, not a pass mark: the Korean stand-in model decodes Mandarin
            # far slower than a Chinese model would (out-of-vocabulary search)
            level["asr_keeps_up"] = level["worst_asr_backlog_s"] <= 2.0
            levels.append(level)
            if level["on_time"]:
                break
        if not level["on_time"]:
            break
        sustained = calls
    return {
        "concurrent_levels": levels,
        "calls_sustained_all_frames_on_time": sustained,
        "on_time_margin_ms": margin,
    }


def main() -> int:
    result: dict[str, Any] = {}
    # capacity: callers talk all the time at full level; barge-in is pushed out of
    # reach so our audio keeps flowing (each utterance's reply replaces the last)
    busy = {"asr_barge_in_ms": 10**6}
    for overrides, section in (({}, reactions), (busy, capacity)):
        with tempfile.TemporaryDirectory() as tmp:
            with run_hotline(Path(tmp), asr_model_lang="zh", **overrides) as line:
                tts = TtsEngine(line.settings)
                spoken = tts.synth_blocking(
                    "我想订一份午饭，送到家里。", tts.params(elder=False)
                )
                speech = resample(spoken.samples, src_rate=spoken.rate, dst_rate=8000)
                result.update(asyncio.run(section(line, speech)))
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
