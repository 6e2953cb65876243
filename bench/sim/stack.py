"""A real running stack: Rasa server + app on free loopback ports (tests and bench)."""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from assistant.db import upgrade_database
from assistant.launcher import ManagedProcess, build_processes
from assistant.ports import port_free
from assistant.services.staff_accounts import hash_password
from assistant.settings import Settings

STAFF_USER, STAFF_PASSWORD = "tester", "test-password"
# Tests talk to /api/chat as a server-side connector, the only caller that may
# name the user; browsers get a session cookie instead (see browser_client).
CHAT_API_KEY = "test-connector-key"
ACTION_TOKEN = "test-action-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Stack:
    """Handles to a started stack and helpers to talk to it."""

    settings: Settings
    app_url: str
    rasa_url: str
    db_url: str
    processes: list[ManagedProcess] = field(default_factory=list)
    rasa_urls: list[str] = field(default_factory=list)  # every Rasa server

    @property
    def connector_headers(self) -> dict[str, str]:
        """Headers of a server-side chat connector (the API key)."""
        return {"Authorization": f"Bearer {CHAT_API_KEY}"}

    def post_chat(self, user_id: str, text: str, **extra: Any) -> httpx.Response:
        """One /api/chat call as a connector that names ``user_id``."""
        body = {"user_id": user_id, "text": text, "channel": "web", **extra}
        return httpx.post(
            f"{self.app_url}/api/chat",
            json=body,
            headers=self.connector_headers,
            timeout=60,
        )

    def browser_client(self) -> httpx.Client:
        """A client without credentials: the app gives it a session cookie."""
        return httpx.Client(base_url=self.app_url, timeout=60)

    def chat(
        self, user_id: str, text: str, metadata: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """One turn; the bot's messages (asserts the turn succeeded)."""
        response = self.post_chat(user_id, text, metadata=metadata or {})
        assert response.status_code == 200, response.text
        messages: list[dict[str, Any]] = response.json()["messages"]
        return messages

    def staff_client(self) -> httpx.Client:
        """An HTTP client logged in to the staff console."""
        # The console page sends its own Origin; state-changing staff calls need it.
        client = httpx.Client(
            base_url=self.app_url, headers={"Origin": self.app_url}, timeout=30
        )
        login = client.post(
            "/api/staff/login",
            json={"username": STAFF_USER, "password": STAFF_PASSWORD},
        )
        assert login.status_code == 200, login.text
        return client

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()


def free_ports(count: int) -> int:
    """The first of ``count`` consecutive free loopback ports."""
    while True:
        first = free_port()
        if all(port_free("127.0.0.1", first + n) for n in range(1, count)):
            return first


def start_stack(
    tmp: Path,
    *,
    model: Path,
    extra_env: dict[str, str] | None = None,
    database_url: str | None = None,
    lock_store_url: str = "",
    rasa_servers: int = 1,
    app_workers: int = 1,
) -> Stack:
    """Start Rasa and the app against a fresh SQLite database under ``tmp``.

    The knowledge index and models stay in the project's var/ (built by set-up);
    everything the conversation writes goes under ``tmp``. ``rasa_servers`` and
    ``app_workers`` as the launcher's settings of those names.
    """
    app_port, rasa_port = free_port(), free_ports(rasa_servers)
    db_url = database_url or f"sqlite:///{tmp / 'assistant.db'}"
    env = {
        "ASSISTANT_ENVIRONMENT": "test",
        "ASSISTANT_DATABASE_URL": db_url,
        "ASSISTANT_APP_PORT": str(app_port),
        "ASSISTANT_RASA_PORT": str(rasa_port),
        "ASSISTANT_RASA_LOCK_STORE_URL": lock_store_url,
        "ASSISTANT_STAFF_USERS": json.dumps(
            {STAFF_USER: hash_password(STAFF_PASSWORD)}
        ),
        "ASSISTANT_CHAT_API_KEY": CHAT_API_KEY,
        "ASSISTANT_ACTION_TOKEN": ACTION_TOKEN,
        # staff edits in a stack go to its own file, never the shipped one
        "ASSISTANT_STATION_FACTS_FILE": str(tmp / "station_facts.yml"),
        "HF_HUB_OFFLINE": "1",
        **(extra_env or {}),
    }
    settings = Settings(
        database_url=db_url,
        app_port=app_port,
        rasa_port=rasa_port,
        rasa_url=f"http://127.0.0.1:{rasa_port}",
        rasa_lock_store_url=lock_store_url,
        action_token=ACTION_TOKEN,
        chat_api_key=CHAT_API_KEY,
        rasa_servers=rasa_servers,
        app_workers=app_workers,
    )
    # migrated before any app worker starts, as the launcher does: several
    # workers migrating a fresh database at once would race each other
    upgrade_database(db_url)
    processes = build_processes(settings, model=model, log_dir=tmp)
    for process in processes:
        process.env.update(env)
    stack = Stack(
        settings=settings,
        app_url=f"http://127.0.0.1:{app_port}",
        rasa_url=f"http://127.0.0.1:{rasa_port}",
        db_url=db_url,
        processes=processes,
        rasa_urls=[f"http://127.0.0.1:{rasa_port + n}" for n in range(rasa_servers)],
    )
    try:
        for process in processes:
            process.start()
        processes[-1].wait_healthy(120)  # the app
        for rasa in processes[:-1]:
            rasa.wait_healthy(300)
    except Exception:
        stack.stop()
        for process in processes:
            path = tmp / f"{process.name}.log"
            if path.exists():
                print(
                    f"--- {path.name} ---\n{path.read_text(errors='replace')[-4000:]}"
                )
        raise
    return stack
