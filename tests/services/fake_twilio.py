"""A local HTTP server implementing the Twilio Messages and Calls endpoints we call."""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass
class FakeTwilio:
    """Records requests; ``fail_next`` makes the next N requests answer 500."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    fail_next: int = 0
    url: str = ""
    _server: ThreadingHTTPServer | None = None
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def start(self) -> FakeTwilio:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = {
                    k: v[0]
                    for k, v in parse_qs(self.rfile.read(length).decode()).items()
                }
                kind = (
                    "sms"
                    if self.path.endswith("/Messages.json")
                    else ("call" if self.path.endswith("/Calls.json") else "")
                )
                if not kind or "/Accounts/" not in self.path:
                    self._reply(
                        404, {"code": 20404, "message": "not found", "status": 404}
                    )
                    return
                fake.requests.append(
                    {
                        "kind": kind,
                        "path": self.path,
                        "form": form,
                        "at": time.time(),
                        "idempotency": self.headers.get("I-Twilio-Idempotency-Token"),
                        "auth": self.headers.get("Authorization"),
                    }
                )
                if fake.fail_next > 0:
                    fake.fail_next -= 1
                    self._reply(500, {"code": 20500, "message": "boom", "status": 500})
                    return
                prefix = "SM" if kind == "sms" else "CA"
                sid = f"{prefix}{next(fake._ids):032d}"
                self._reply(
                    201,
                    {
                        "sid": sid,
                        "status": "queued",
                        "to": form.get("To"),
                        "from": form.get("From"),
                        "body": form.get("Body"),
                    },
                )

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["kind"] == kind]
