"""An alert queued in the app's own process is sent at once, not on the next poll."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from assistant.notify.twilio_sender import TwilioSender
from assistant.services.emergencies import report_emergency
from assistant.settings import Settings
from assistant.worker.outbox import OutboxWorker
from assistant.worker.supervisor import Heartbeat
from bench.sim.twilio_api import TwilioApi
from tests.utils.waiting import await_until

LONG_POLL_S = 30.0


@dataclass
class SignallingTwilioApi(TwilioApi):
    """The local Twilio API, telling the test when the first request arrives."""

    arrived: threading.Event = field(default_factory=threading.Event)

    def handle_post(
        self, path: str, headers: Message, body: bytes
    ) -> tuple[int, dict[str, Any]]:
        answer = super().handle_post(path, headers, body)
        self.arrived.set()
        return answer


async def test_an_emergency_alert_is_sent_without_waiting_for_the_poll(
    settings: Settings,
) -> None:
    with SignallingTwilioApi() as fake:
        conf = settings.model_copy(
            update={"twilio_api_base": fake.url, "outbox_poll_s": LONG_POLL_S}
        )
        worker = OutboxWorker(
            conf, TwilioSender(conf), heartbeat=Heartbeat("outbox", LONG_POLL_S)
        )
        running = asyncio.create_task(worker.run())
        try:
            heartbeat = worker.heartbeat
            assert heartbeat is not None
            # the first poll found nothing: the worker now waits up to 30 s
            await await_until(lambda: heartbeat.iterations >= 1, what="first poll")
            assert not fake.requests

            def report() -> float:
                started = time.time()
                reported = report_emergency(
                    conf,
                    user_id="u1",
                    channel="web",
                    text="我摔倒了起不来",
                    emergency_type="fall",
                )
                assert reported.alerted > 0
                print(
                    f"\nreport_emergency took {(time.time() - started) * 1000:.1f} ms"
                )
                return started  # committed: report_emergency has returned

            reported_at = await asyncio.to_thread(report)
            # a third of the poll interval: only a wake-up can make it in time
            woke = await asyncio.to_thread(fake.arrived.wait, LONG_POLL_S / 3)
            assert woke, "the alert waited for the poll"
            first = fake.requests[0]
            assert first["kind"] in {"sms", "call"}
            print(
                f"\nemergency reported -> first Twilio request: "
                f"{(first['at'] - reported_at) * 1000:.1f} ms "
                f"(poll interval {LONG_POLL_S:.0f} s)"
            )
        finally:
            worker.stop_event.set()
            await running
