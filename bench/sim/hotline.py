"""A running hotline for tests and ``python -m bench.hotline``.

The app (reduced to the telephone router) on a real loopback port under uvicorn,
a stand-in for Rasa's REST webhook (the voice mechanics are what is exercised;
dialogue tests use the real Rasa server), and the local Twilio API server.
Webhooks are signed with Twilio's own ``RequestValidator``.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from twilio.request_validator import RequestValidator

from assistant.db import upgrade_database
from assistant.settings import Settings
from bench.sim.local_http import LocalHttpServer
from bench.sim.models import korean_model_path
from bench.sim.serve import serve_app
from bench.sim.stack import free_port
from bench.sim.twilio_api import TwilioApi
from connectors import telephone
from connectors.telephone.services import PhoneServices

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
ACCOUNT_SID = "AC" + "0" * 32
CALLER = "+8613912345678"
DUTY = "+8601012345678"
FROM_NUMBER = "+8610000000"


@dataclass
class RasaStandIn(LocalHttpServer):
    """Answers Rasa's REST webhook: echoes the text, or ``reply``; 500 when ``fail``.

    ``delay_s`` holds each answer back (a slow dialogue engine).
    """

    requests: list[dict[str, Any]] = field(default_factory=list)
    fail: bool = False
    reply: list[dict[str, Any]] | None = None
    delay_s: float = 0.0

    def answer(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        self.requests.append(body)
        if self.delay_s:
            time.sleep(self.delay_s)
        if self.fail or path != "/webhooks/rest/webhook":
            return 500, {"error": "stand-in told to fail"}
        reply = self.reply or [{"text": f"好的，您说：{body['message'][:10]}"}]
        return 200, [{"recipient_id": body["sender"], **r} for r in reply]

    def handle_post(self, path: str, headers: Message, body: bytes) -> tuple[int, Any]:
        return self.answer(path, json.loads(body))


def build_app(settings: Settings) -> FastAPI:
    """The app as ``assistant.app`` builds it, reduced to what the hotline needs."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        upgrade_database(settings.effective_database_url)
        app.state.http = httpx.AsyncClient(timeout=settings.rasa_timeout_s)
        yield
        await app.state.http.aclose()

    app = FastAPI(lifespan=lifespan)
    app.state.settings = settings
    app.include_router(telephone.router)
    return app


@dataclass
class Hotline:
    """A running app and its stand-ins."""

    settings: Settings
    app: FastAPI
    base: str
    rasa: RasaStandIn
    twilio: TwilioApi

    @property
    def services(self) -> PhoneServices:
        services: PhoneServices = self.app.state.phone
        return services

    @property
    def stream_url(self) -> str:
        return self.base.replace("http://", "ws://") + "/twilio/stream"

    def sign(self, path: str, params: dict[str, str]) -> str:
        """Twilio's signature of a webhook to ``path`` (as Twilio computes it)."""
        url = self.settings.public_url.rstrip("/") + path
        return str(RequestValidator(AUTH_TOKEN).compute_signature(url, params))

    def post(
        self,
        path: str,
        params: dict[str, str],
        *,
        signed: bool = True,
        signature: str | None = None,
    ) -> httpx.Response:
        """A webhook as Twilio posts it (form-encoded, signed unless told not to)."""
        headers = {}
        if signed:
            headers["X-Twilio-Signature"] = signature or self.sign(path, params)
        return httpx.post(self.base + path, data=params, headers=headers, timeout=30)


@contextmanager
def run_hotline(tmp: Path, **overrides: Any) -> Iterator[Hotline]:
    """Start the hotline app under ``tmp`` (its SQLite DB and audio cache); stop it."""
    rasa, twilio = RasaStandIn().start(), TwilioApi().start()
    port = free_port()
    try:
        values: dict[str, Any] = {
            "var_dir": tmp,
            "public_url": f"http://127.0.0.1:{port}",
            "rasa_url": rasa.url,
            "rasa_timeout_s": 5,
            "twilio_account_sid": ACCOUNT_SID,
            "twilio_auth_token": AUTH_TOKEN,
            "twilio_from_number": FROM_NUMBER,
            "twilio_api_base": twilio.url,
            "duty_phone": DUTY,
            "asr_model_path": str(korean_model_path()),
            "duty_roster": [{"name": "值班", "phone": DUTY}],
            **overrides,
        }
        settings = Settings(**values)
        app = build_app(settings)
        with serve_app(app, port, ws="websockets-sansio"):
            yield Hotline(settings, app, settings.public_url, rasa, twilio)
    finally:
        rasa.stop()
        twilio.stop()
