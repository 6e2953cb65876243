"""bench.sim.serve: the app under uvicorn in a thread, started as an awaited event."""

from __future__ import annotations

import socket

import httpx
import pytest
from fastapi import FastAPI

from bench.sim.serve import serve_app
from bench.sim.stack import free_port


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/ping")
    def ping() -> dict[str, str]:
        return {"pong": "yes"}

    return app


def test_the_app_answers_inside_the_block_and_stops_after() -> None:
    port = free_port()
    with serve_app(_app(), port) as server:
        assert server.started
        url = f"http://127.0.0.1:{port}/ping"
        assert httpx.get(url, timeout=10).json() == {"pong": "yes"}
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=2)


def test_a_taken_port_is_an_error_not_a_hang() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with (
            pytest.raises(RuntimeError, match="did not start"),
            serve_app(_app(), port, timeout=30),
        ):
            pass
