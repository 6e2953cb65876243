"""A local HTTP server speaking the parts of Twilio's REST API the app calls.

Messages (SMS), Calls (outbound call) and a live call's update (hand-off
``<Dial>``), under ``/2010-04-01/Accounts/{sid}/``. Point
``ASSISTANT_TWILIO_API_BASE`` at ``url``; the official ``twilio`` client then
talks to this server instead of Twilio. Used by tests and by ``make bench``.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

_PATHS = (
    ("sms", re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Messages\.json$")),
    ("call", re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Calls\.json$")),
    ("call_update", re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Calls/(CA\w+)\.json$")),
)


@dataclass
class TwilioApi:
    """Records every request; ``fail_next`` makes the next N requests answer 500.

    Each recorded request is a dict with ``kind`` (``sms``, ``call`` or
    ``call_update``), ``path``, ``form``, ``at`` (epoch seconds), ``idempotency``
    (Twilio's ``I-Twilio-Idempotency-Token`` header) and ``auth``.
    """

    requests: list[dict[str, Any]] = field(default_factory=list)
    fail_next: int = 0
    url: str = ""
    _server: ThreadingHTTPServer | None = None
    _ids: itertools.count[int] = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> TwilioApi:
        """Listen on a free loopback port (``url``) in a daemon thread."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> TwilioApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

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

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(parse_qsl(self.rfile.read(length).decode()))
                kind = next((k for k, p in _PATHS if p.match(self.path)), "unknown")
                api.requests.append(
                    {
                        "kind": kind,
                        "path": self.path,
                        "form": form,
                        "at": time.time(),
                        "idempotency": self.headers.get("I-Twilio-Idempotency-Token"),
                        "auth": self.headers.get("Authorization", ""),
                    }
                )
                status, body = api.answer(self.path, form)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
