"""Simulated phone calls alongside the chat load: ``python -m bench.phone_load``.

Each caller opens a Twilio Media Stream to the running app (the one serving
the chat users), sends the continuous inbound audio Twilio sends (silence here:
a keypad caller), and keeps pressing keys over the assistant's voice, as an
elder does with the menu: 1 (meals) and 3 (policy) are dialogue turns through
the real Rasa server, * repeats. Measured at the caller's end:

- keypress to the first frame of the answer (after the ``clear``);
- frames on time: a frame counts as on time when it arrives before the far
  end would have played everything sent so far (the reply's first frame at
  ``t0``, frame ``k`` due at ``t0 + k × 20 ms``), i.e. the caller never hears
  a gap.

Runs in its own process so its timing does not share an event loop with the
50 chat users. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from typing import Any

import numpy as np

from assistant.settings import Settings
from bench.sim.caller import TwilioMediaClient
from connectors.telephone.twilio_auth import stream_params

FRAME_S = 0.02
KEYS = ("1", "3", "*", "1", "3")


def _pct(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


class TimedClient(TwilioMediaClient):
    """The simulated Twilio end, also noting when each message arrived."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.timeline: list[tuple[float, str]] = []

    def _record(self, msg: dict[str, Any], now: float) -> None:
        super()._record(msg, now)
        self.timeline.append((now, str(msg.get("event"))))


class Caller:
    """One call: silence in, keys pressed over the replies, timings recorded."""

    def __init__(self, url: str, settings: Settings, n: int, seed: int) -> None:
        sid = f"CA{seed:08d}{n:024d}"
        params = stream_params(settings, call_sid=sid, caller=f"+86139{n:08d}")
        self.client = TimedClient(url, call_sid=sid, params=params)
        self.rng = random.Random(seed * 1000 + n)
        self.key_latencies: list[float] = []
        self.errors: list[str] = []

    async def _silence(self, until: float) -> None:
        second = np.zeros(8000, dtype=np.int16)  # paced as 50 frames of 20 ms
        while time.monotonic() < until:
            await self.client.audio(second)

    async def run(self, seconds: float) -> None:
        until = time.monotonic() + seconds
        twilio = self.client
        try:
            async with twilio:
                await twilio.start()
                inbound = asyncio.create_task(self._silence(until))
                await twilio.wait(lambda: len(twilio.got.media) > 10, timeout=30)
                while time.monotonic() < until - 3:
                    await self._press(self.rng.choice(KEYS))
                    # listen to a little of the answer, then press again (barge-in)
                    await asyncio.sleep(self.rng.uniform(1.0, 3.0))
                inbound.cancel()
                await asyncio.gather(inbound, return_exceptions=True)
                await twilio.stop()
        except (AssertionError, OSError) as exc:
            self.errors.append(f"{type(exc).__name__}: {exc}")

    async def _press(self, digit: str) -> None:
        """Press ``digit``; time until the first frame of the answer.

        While a reply is playing the hotline first sends ``clear`` (barge-in),
        and the answer starts after it; when the last reply has ended (its
        ``mark`` came back) the answer's first frame is the next one.
        """
        twilio = self.client
        timeline = twilio.timeline
        idle = not timeline or timeline[-1][1] == "mark"
        seen = len(timeline)
        pressed = await twilio.dtmf(digit)

        def answer_start() -> float | None:
            after = pressed if idle else None
            for at, event in timeline[seen:]:
                if after is None and event in ("clear", "mark"):
                    after = at
                elif after is not None and event == "media" and at >= after:
                    return at
            return None

        try:
            await twilio.wait(lambda: answer_start() is not None, timeout=20)
        except AssertionError as exc:
            self.errors.append(f"key {digit}: {exc}")
            return
        first = answer_start()
        assert first is not None
        self.key_latencies.append(first - pressed)

    def frame_timing(self) -> tuple[int, int, float]:
        """(frames, frames on time, worst lateness in ms) over every reply heard.

        A reply starts with the first frame after a ``mark`` (the previous reply
        ended) or a ``clear`` (it was cut off).
        """
        frames = on_time = 0
        worst = 0.0
        t0: float | None = None
        k = 0
        for arrived, event in self.client.timeline:
            if event in ("mark", "clear"):
                t0 = None
                continue
            if event != "media":
                continue
            if t0 is None:
                t0, k = arrived, 0
            late = arrived - (t0 + k * FRAME_S)
            frames += 1
            on_time += late <= 0
            worst = max(worst, late * 1000)
            k += 1
        return frames, on_time, worst


async def run_calls(
    url: str, settings: Settings, calls: int, seconds: float
) -> dict[str, Any]:
    seed = int(time.time()) % 10**8
    callers = [Caller(url, settings, n, seed) for n in range(calls)]
    await asyncio.gather(*(c.run(seconds) for c in callers))
    latencies = [x for c in callers for x in c.key_latencies]
    frames = on_time = 0
    worst = 0.0
    for caller in callers:
        f, o, w = caller.frame_timing()
        frames, on_time, worst = frames + f, on_time + o, max(worst, w)
    errors = [e for c in callers for e in c.errors]
    return {
        "calls": calls,
        "keypresses": len(latencies),
        "keypress_to_audio_p50_ms": round(_pct(latencies, 50) * 1000, 1)
        if latencies
        else None,
        "keypress_to_audio_p95_ms": round(_pct(latencies, 95) * 1000, 1)
        if latencies
        else None,
        "frames_out": frames,
        "frames_on_time_pct": round(100 * on_time / frames, 2) if frames else None,
        "worst_frame_late_ms": round(worst, 1),
        "errors": len(errors),
        "error_samples": errors[:5],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True, help="ws://host:port/twilio/stream")
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--auth-token", required=True)
    args = parser.parse_args()
    settings = Settings(twilio_auth_token=args.auth_token)
    result = asyncio.run(run_calls(args.url, settings, args.calls, args.seconds))
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
