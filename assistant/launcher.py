"""``make run``: train if needed, start Rasa and the app, watch them, stop them cleanly.

Both processes listen on loopback. A process that dies is reported and
restarted (with a growing pause, so a crash loop cannot spin the CPU).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from assistant.db import upgrade_database
from assistant.rasa_project import ensure_model, rasa_run_command, write_endpoints
from assistant.settings import PROJECT_ROOT, Settings

logger = logging.getLogger(__name__)

MAX_RESTART_PAUSE_S = 60.0


@dataclass
class ManagedProcess:
    """One child process, how to start it and how to tell it is healthy."""

    name: str
    command: list[str]
    health_url: str
    env: dict[str, str] = field(default_factory=dict)
    log_path: Path | None = None
    proc: subprocess.Popen[bytes] | None = None
    restarts: int = 0

    def start(self) -> None:
        stdout = open(self.log_path, "ab") if self.log_path else None  # noqa: SIM115
        self.proc = subprocess.Popen(
            self.command,
            cwd=PROJECT_ROOT,
            env={**os.environ, **self.env},
            stdout=stdout,
            stderr=subprocess.STDOUT if stdout else None,
            start_new_session=True,  # Ctrl-C reaches us, and we stop children in order
        )
        if stdout:
            stdout.close()

    def healthy(self) -> bool:
        try:
            return httpx.get(self.health_url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def wait_healthy(self, timeout_s: float) -> None:
        """Block until the health URL answers 200; raise if the process dies or times out."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with code {self.proc.returncode}"
                )
            if self.healthy():
                return
            time.sleep(0.5)
        raise TimeoutError(f"{self.name} not healthy after {timeout_s:.0f} s")

    def stop(self, grace_s: float = 15.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def build_processes(
    settings: Settings, *, model: Path, log_dir: Path | None = None
) -> list[ManagedProcess]:
    """The Rasa server and the app, wired to each other by URL."""
    app_url = f"http://127.0.0.1:{settings.app_port}"
    rasa_url = f"http://127.0.0.1:{settings.rasa_port}"
    endpoints = write_endpoints(
        settings,
        app_url=app_url,
        path=settings.var_dir / "rasa" / f"endpoints-{settings.app_port}.yml",
    )
    rasa = ManagedProcess(
        name="rasa",
        command=rasa_run_command(
            settings, model=model, endpoints=endpoints, port=settings.rasa_port
        ),
        health_url=f"{rasa_url}/",
        log_path=log_dir / "rasa.log" if log_dir else None,
    )
    app = ManagedProcess(
        name="app",
        command=[
            sys.executable,
            "-m",
            "uvicorn",
            "assistant.app:create_app",
            "--factory",
            "--host",
            settings.app_host,
            "--port",
            str(settings.app_port),
        ],
        health_url=f"{app_url}/health",
        env={
            "ASSISTANT_RASA_URL": rasa_url,
            "ASSISTANT_VAR_DIR": str(settings.var_dir),
        },
        log_path=log_dir / "app.log" if log_dir else None,
    )
    return [rasa, app]


def supervise(
    processes: list[ManagedProcess],
    *,
    stop_after_s: float | None = None,
    handle_signals: bool = True,
) -> None:
    """Restart any process that dies until SIGINT/SIGTERM (or ``stop_after_s``)."""
    stopping = False

    def _stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    if handle_signals:
        signal.signal(signal.SIGINT, _stop)
        signal.signal(signal.SIGTERM, _stop)
    started = time.monotonic()
    while not stopping:
        if stop_after_s is not None and time.monotonic() - started > stop_after_s:
            break
        for process in processes:
            assert process.proc is not None
            code = process.proc.poll()
            if code is None:
                continue
            pause = min(2.0**process.restarts, MAX_RESTART_PAUSE_S)
            print(
                f"!! {process.name} exited with code {code}; restarting in {pause:.0f} s",
                flush=True,
            )
            time.sleep(pause)
            process.restarts += 1
            process.start()
        time.sleep(1.0)
    print("stopping ...", flush=True)
    for process in reversed(processes):
        process.stop()


def run(settings: Settings) -> None:
    """Everything ``make run`` does after the venvs exist."""
    upgrade_database(settings.effective_database_url)
    model = ensure_model(settings)
    log_dir = settings.var_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    processes = build_processes(settings, model=model, log_dir=log_dir)
    try:
        for process in processes:
            process.start()
        processes[1].wait_healthy(120)
        processes[0].wait_healthy(300)
    except (RuntimeError, TimeoutError) as exc:
        print(f"!! start-up failed: {exc}; see {log_dir}", file=sys.stderr)
        for process in reversed(processes):
            process.stop()
        raise SystemExit(1) from exc
    base = f"http://127.0.0.1:{settings.app_port}"
    print(
        "\n长者服务助手 is running:\n"
        f"  web chat        {base}/\n"
        f"  staff console   {base}/staff\n"
        f"  chat API        POST {base}/api/chat\n"
        f"  health          {base}/health\n"
        f"  Rasa server     http://127.0.0.1:{settings.rasa_port}\n"
        f"  logs            {log_dir}\n"
        "Press Ctrl-C to stop.\n",
        flush=True,
    )
    supervise(processes)
