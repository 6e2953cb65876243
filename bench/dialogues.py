"""Dialogue figures for ``make bench``: a full booking and emergency-to-notification time.

Call ``bench_dialogues()`` from ``bench/__main__.py``; it starts its own stack with
Twilio pointed at the local Twilio API server (``bench.sim.twilio_api``).
"""

from __future__ import annotations

import json
import tempfile
import time
from contextlib import closing
from pathlib import Path
from typing import Any

from assistant.rasa_project import ensure_model
from assistant.settings import get_settings
from bench.sim.stack import start_stack
from bench.sim.twilio_api import TwilioApi

BOOKING = ["后天中午送两份少盐的到家", "{code}", "不对", "改成三份", "对"]


def bench_dialogues() -> dict[str, Any]:
    """Turns and total time of a booking; ms from an emergency message to Twilio."""
    fake = TwilioApi().start()
    env = {
        "ASSISTANT_TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "ASSISTANT_TWILIO_AUTH_TOKEN": "bench-token",
        "ASSISTANT_TWILIO_FROM_NUMBER": "+15005550006",
        "ASSISTANT_TWILIO_API_BASE": fake.url,
        "ASSISTANT_DUTY_ROSTER": json.dumps(
            [{"name": "值班", "phone": "+8613800000001"}]
        ),
        "ASSISTANT_OUTBOX_POLL_S": "0.2",
    }
    model = ensure_model(get_settings())
    try:
        with tempfile.TemporaryDirectory() as tmp:
            stack = start_stack(Path(tmp), model=model, extra_env=env)
            try:
                with closing(stack.staff_client()) as client:
                    elder = client.post(
                        "/api/staff/elders", json={"name": "测试"}
                    ).json()
                started = time.perf_counter()
                for text in BOOKING:
                    stack.chat("bench-booking", text.format(code=elder["binding_code"]))
                booking_s = time.perf_counter() - started
                sent = time.time()
                stack.chat("bench-emergency", "救命，我摔倒了起不来")
                while not fake.requests and time.time() - sent < 30:
                    time.sleep(0.01)
                first = fake.requests[0]["at"] - sent if fake.requests else None
            finally:
                stack.stop()
    finally:
        fake.stop()
    return {
        "booking": {
            "turns": len(BOOKING),
            "total_s": round(booking_s, 2),
            "per_turn_ms": round(booking_s / len(BOOKING) * 1000, 1),
        },
        "emergency_to_first_notification_ms": round(first * 1000, 1) if first else None,
    }


if __name__ == "__main__":
    print(json.dumps(bench_dialogues(), ensure_ascii=False, indent=2))
