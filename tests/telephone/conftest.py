"""Hotline fixtures: the app on a real loopback port (uvicorn), a stand-in for Rasa's
REST webhook (voice mechanics only), a local server speaking Twilio's Calls API,
and a Media Streams client that behaves like Twilio."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from twilio.request_validator import RequestValidator

from assistant.db import upgrade_database
from assistant.settings import Settings
from connectors import telephone
from connectors.telephone.services import PhoneServices
from tests.voice.conftest import korean_model_path

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
ACCOUNT_SID = "AC" + "0" * 32
CALLER = "+8613912345678"
DUTY = "+8601012345678"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Recorder:
    """Requests a stand-in server received, and how it should answer."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    fail: bool = False
    reply: list[dict[str, Any]] | None = None


@contextmanager
def serve_http(handler_factory: Any) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_factory)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def fake_rasa(recorder: Recorder) -> Any:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            recorder.requests.append(body)
            if recorder.fail or self.path != "/webhooks/rest/webhook":
                self.send_response(500)
                self.end_headers()
                return
            reply = recorder.reply or [{"text": f"好的，您说：{body['message'][:10]}"}]
            out = json.dumps(
                [{"recipient_id": body["sender"], **r} for r in reply]
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

    return Handler


def fake_twilio_api(recorder: Recorder) -> Any:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            form = dict(parse_qsl(raw))
            recorder.requests.append(
                {
                    "path": self.path,
                    "form": form,
                    "auth": self.headers.get("Authorization", ""),
                }
            )
            sid = self.path.rsplit("/", 1)[-1].removesuffix(".json")
            out = json.dumps(
                {"sid": sid, "account_sid": ACCOUNT_SID, "status": "in-progress"}
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

    return Handler


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
    rasa: Recorder
    twilio: Recorder

    @property
    def services(self) -> PhoneServices:
        services: PhoneServices = self.app.state.phone
        return services

    def sign(self, path: str, params: dict[str, str]) -> str:
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
        headers = {}
        if signed:
            headers["X-Twilio-Signature"] = signature or self.sign(path, params)
        return httpx.post(self.base + path, data=params, headers=headers, timeout=30)


@contextmanager
def run_hotline(tmp: Path, **overrides: Any) -> Iterator[Hotline]:
    rasa, twilio = Recorder(), Recorder()
    port = free_port()
    with (
        serve_http(fake_rasa(rasa)) as rasa_url,
        serve_http(fake_twilio_api(twilio)) as api,
    ):
        settings = Settings(
            var_dir=tmp,
            public_url=f"http://127.0.0.1:{port}",
            rasa_url=rasa_url,
            rasa_timeout_s=5,
            twilio_account_sid=ACCOUNT_SID,
            twilio_auth_token=AUTH_TOKEN,
            twilio_from_number="+8610000000",
            twilio_api_base=api,
            duty_phone=DUTY,
            asr_model_path=str(korean_model_path()),
            duty_roster=[{"name": "值班", "phone": DUTY}],
            **overrides,
        )
        app = build_app(settings)
        server = uvicorn.Server(
            uvicorn.Config(
                app,
                host="127.0.0.1",
                port=port,
                log_level="warning",
                ws="websockets-sansio",
            )
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 60
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, (
                "app did not start"
            )
            time.sleep(0.05)
        try:
            yield Hotline(settings, app, settings.public_url, rasa, twilio)
        finally:
            server.should_exit = True
            thread.join(timeout=15)


@pytest.fixture(scope="module")
def gather_line(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hotline]:
    """Gather mode: the Korean model is no Chinese model, so auto picks gather."""
    with run_hotline(tmp_path_factory.mktemp("gather"), asr_model_lang="ko") as line:
        assert line.services.mode == "gather"
        yield line
