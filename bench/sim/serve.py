"""An ASGI app served by uvicorn on a loopback port, in a thread, for tests and benches.

Start-up is awaited as an event (set when uvicorn has bound its socket, or has
given up), not polled, so a caller never sleeps waiting for the server.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


class _Server(uvicorn.Server):
    """uvicorn's server with an event for the end of its start-up."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.start_finished = threading.Event()

    def run_in_thread(self) -> None:
        """``run``, with uvicorn's exit on a failed start-up kept inside the thread."""
        with contextlib.suppress(SystemExit):
            self.run()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets=sockets)
        finally:
            self.start_finished.set()


@contextmanager
def serve_app(
    app: Any, port: int, *, timeout: float = 60, **config: Any
) -> Iterator[uvicorn.Server]:
    """Serve ``app`` on 127.0.0.1:``port`` until the block ends.

    Args:
        app: the ASGI app.
        port: a free loopback port.
        timeout: seconds to wait for start-up.
        config: further ``uvicorn.Config`` options (``ws=...``).

    Raises:
        RuntimeError: the server did not start (port taken, lifespan failed, timeout).
    """
    server = _Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **config)
    )
    thread = threading.Thread(target=server.run_in_thread, daemon=True)
    thread.start()
    try:
        if not server.start_finished.wait(timeout) or not server.started:
            raise RuntimeError(f"the app on port {port} did not start")
        yield server
    finally:
        server.should_exit = True
        thread.join(timeout=15)
