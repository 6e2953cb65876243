"""A local HTTP server speaking the parts of Twilio's REST API the app calls.

Messages (SMS), Calls (outbound call) and a live call's update (hand-off
``<Dial>``), under ``/2010-04-01/Accounts/{sid}/``. Point
``ASSISTANT_TWILIO_API_BASE`` at ``url``; the official ``twilio`` client then
talks to this server instead of Twilio. Used by tests and by ``make bench``.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from dataclasses import dataclass, field
from email.message import Message
from typing import Any
from urllib.parse import parse_qsl

from bench.sim.local_http import LocalHttpServer

_PATHS = (
    ("sms", re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Messages\.json$")),
    ("call", re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Calls\.json$")),
    ("call_update", re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Calls/(CA\w+)\.json$")),
)


@dataclass
class TwilioApi(LocalHttpServer):
    """Records every request; ``fail_next`` makes the next N requests answer 500.

    Each recorded request is a dict with ``kind`` (``sms``, ``call`` or
    ``call_update``), ``path``, ``form``, ``at`` (epoch seconds), ``idempotency``
    (Twilio's ``I-Twilio-Idempotency-Token`` header) and ``auth``.
    """

    requests: list[dict[str, Any]] = field(default_factory=list)
    fail_next: int = 0
    _ids: itertools.count[int] = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def app_env(self, auth_token: str = "test-token") -> dict[str, str]:
        """The app's settings, as environment, that send its SMS and calls here."""
        return {
            "ASSISTANT_TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
            "ASSISTANT_TWILIO_AUTH_TOKEN": auth_token,
            "ASSISTANT_TWILIO_FROM_NUMBER": "+15005550006",
            "ASSISTANT_TWILIO_API_BASE": self.url,
        }

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["kind"] == kind]

    def answer(self, path: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """Status and JSON body for one request (already recorded)."""
        for kind, pattern in _PATHS:
            match = pattern.match(path)
            if match is None:
                continue
            with self._lock:
                if self.fail_next > 0:
                    self.fail_next -= 1
                    return 500, {"code": 20500, "message": "boom", "status": 500}
                number = next(self._ids)
            account = match.group(1)
            if kind == "call_update":
                sid = match.group(2)
                return 200, {
                    "sid": sid,
                    "account_sid": account,
                    "status": "in-progress",
                }
            sid = f"{'SM' if kind == 'sms' else 'CA'}{number:032d}"
            return 201, {
                "sid": sid,
                "account_sid": account,
                "status": "queued",
                "to": form.get("To"),
                "from": form.get("From"),
                "body": form.get("Body"),
            }
        return 404, {"code": 20404, "message": "not found", "status": 404}

    def handle_post(
        self, path: str, headers: Message, body: bytes
    ) -> tuple[int, dict[str, Any]]:
        form = dict(parse_qsl(body.decode()))
        kind = next((k for k, p in _PATHS if p.match(path)), "unknown")
        self.requests.append(
            {
                "kind": kind,
                "path": path,
                "form": form,
                "at": time.time(),
                "idempotency": headers.get("I-Twilio-Idempotency-Token"),
                "auth": headers.get("Authorization", ""),
            }
        )
        return self.answer(path, form)
