"""``make run``: train if needed, start Rasa and the app, watch them, stop them cleanly.

Before anything starts, the settings are checked (``assistant.deployment``) and
the ports must be free (``assistant.ports``): a problem is reported plainly and
nothing is started. From then on SIGINT or SIGTERM, at any moment (migration,
training, the health wait, running), stops every child that was started: the
signal handler raises ``StopRequested`` in the main thread and a ``finally``
stops the children. A process that dies while running is reported and restarted
(with a growing pause, so a crash loop cannot spin the CPU).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from assistant.db import upgrade_database
from assistant.deployment import DeploymentError, check_deployment
from assistant.ports import port_problems
from assistant.process_signals import (
    STOP_SIGNALS,
    StopRequested,
    child_setup,
    resolve_prctl,
    signals_held,
    stop_on_signals,
    suppress_lookup,
)
from assistant.production import ensure_database, service_problems
from assistant.rasa_project import ensure_model, rasa_run_command, write_endpoints
from assistant.settings import PROJECT_ROOT, Settings

logger = logging.getLogger(__name__)

MAX_RESTART_PAUSE_S = 60.0
# TensorFlow in each Rasa server: one thread per op. DIET's and the policies'
# tensors are tiny, so more threads only add hand-offs, and with several Rasa
# servers (and the app) on few cores they would compete with each other.
RASA_ENV = {
    "TF_INTRA_OP_PARALLELISM_THREADS": "1",
    "TF_INTER_OP_PARALLELISM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
}


@dataclass
class ManagedProcess:
    """One child process, how to start it and how to tell it is healthy."""

    name: str
    command: list[str]
    health_url: str
    env: dict[str, str] = field(default_factory=dict)
    log_path: Path | None = None
    health_timeout_s: float = 120.0
    die_with_parent: bool = False  # the starting thread must outlive the child
    proc: subprocess.Popen[bytes] | None = None
    restarts: int = 0

    def start(self) -> None:
        stdout = open(self.log_path, "ab") if self.log_path else None  # noqa: SIM115
        resolve_prctl()  # resolved before fork: the child only calls it
        try:
            with signals_held():
                self.proc = subprocess.Popen(
                    self.command,
                    cwd=PROJECT_ROOT,
                    env={**os.environ, **self.env},
                    stdout=stdout,
                    stderr=subprocess.STDOUT if stdout else None,
                    # Own process group: Ctrl-C reaches only us, and we stop the
                    # children in order, each with its whole group.
                    start_new_session=True,
                    preexec_fn=functools.partial(child_setup, self.die_with_parent),
                )
        finally:
            if stdout:
                stdout.close()

    @property
    def pid(self) -> int | None:
        """The child's pid (also its process group id), once started."""
        return self.proc.pid if self.proc is not None else None

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
        """SIGTERM the child's whole process group; SIGKILL it after ``grace_s``."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            with suppress_lookup():
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(grace_s)
            except subprocess.TimeoutExpired:
                pass
        # The group may outlive its leader (a grandchild): make sure it is gone.
        with suppress_lookup():
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


def rasa_ports(settings: Settings) -> list[int]:
    """Ports of the Rasa servers the launcher starts: rasa_port and the next ones."""
    return [settings.rasa_port + n for n in range(settings.rasa_servers)]


def build_processes(
    settings: Settings, *, model: Path, log_dir: Path | None = None
) -> list[ManagedProcess]:
    """The Rasa servers and the app, wired to each other by URL (the app last).

    Several Rasa servers share the tracker store; the app sends each
    conversation to one of them (``assistant.rasa_servers``).
    """
    app_url = f"http://127.0.0.1:{settings.app_port}"
    endpoints = write_endpoints(
        settings,
        app_url=app_url,
        path=settings.var_dir / "rasa" / f"endpoints-{settings.app_port}.yml",
    )
    processes, rasa_urls = [], []
    for n, port in enumerate(rasa_ports(settings)):
        name = "rasa" if n == 0 else f"rasa-{n + 1}"
        rasa_urls.append(f"http://127.0.0.1:{port}")
        processes.append(
            ManagedProcess(
                name=name,
                command=rasa_run_command(
                    settings, model=model, endpoints=endpoints, port=port
                ),
                health_url=f"{rasa_urls[-1]}/",
                health_timeout_s=300.0,
                env={
                    **RASA_ENV,
                    # a turn's lock in the lock store ends when the app has given
                    # up waiting for it: a server killed mid-turn blocks its
                    # conversation no longer than that (Rasa's default is 60 s)
                    "TICKET_LOCK_LIFETIME": str(max(1, round(settings.rasa_timeout_s))),
                },
                log_path=log_dir / f"{name}.log" if log_dir else None,
            )
        )
    workers = []
    if settings.app_workers > 1:
        # uvicorn restarts a worker that misses a 5 s health ping; loading the
        # knowledge model and jieba's dictionary can hold a busy worker longer
        workers = [
            "--workers",
            str(settings.app_workers),
            "--timeout-worker-healthcheck",
            "30",
        ]
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
            *workers,
        ],
        health_url=f"{app_url}/health",
        env={
            "ASSISTANT_RASA_URL": rasa_urls[0],
            "ASSISTANT_RASA_URLS": json.dumps(rasa_urls if len(rasa_urls) > 1 else []),
            "ASSISTANT_VAR_DIR": str(settings.var_dir),
        },
        log_path=log_dir / "app.log" if log_dir else None,
    )
    return [*processes, app]


def supervise(
    processes: list[ManagedProcess], *, stop_after_s: float | None = None
) -> None:
    """Restart any process that dies, until a stop signal (or ``stop_after_s``)."""
    started = time.monotonic()
    while stop_after_s is None or time.monotonic() - started <= stop_after_s:
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


def stop_all(processes: list[ManagedProcess]) -> None:
    """Stop the children in reverse start order; further stop signals are ignored."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    for process in reversed(processes):
        process.stop()


def serve(
    prepare: Callable[[], list[ManagedProcess]],
    *,
    on_ready: Callable[[], None] | None = None,
) -> int:
    """Prepare, start the processes, wait until healthy, supervise; the exit code.

    ``prepare`` (migrate, train, build the commands) already runs under the stop
    signals. Whatever happens, every started child is stopped before this
    returns: 0 after a stop once running, 128+signal when stopped during
    start-up, 1 when start-up failed.
    """
    processes: list[ManagedProcess] = []
    ready = False
    with stop_on_signals():
        try:
            processes = prepare()
            for process in processes:
                process.start()
                print(f">> started {process.name} (pid {process.pid})", flush=True)
            for process in reversed(processes):  # the app first: it is quicker
                process.wait_healthy(process.health_timeout_s)
            ready = True
            if on_ready is not None:
                on_ready()
            supervise(processes)
            return 0
        except StopRequested as stop:
            print("stopping ...", flush=True)
            return 0 if ready else 128 + stop.signum
        except (RuntimeError, TimeoutError) as exc:
            print(f"!! start-up failed: {exc}", file=sys.stderr, flush=True)
            return 1
        finally:
            stop_all(processes)


def preflight(settings: Settings) -> None:
    """Refuse to start, plainly, on unsafe settings or taken ports (nothing started)."""
    try:
        check_deployment(settings)
    except DeploymentError as exc:
        print(f"!! {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    problems = port_problems(settings)
    if settings.profile == "production":
        problems += service_problems(settings)
    if problems:
        print("!! cannot start, nothing was started:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        raise SystemExit(1)


def _banner(settings: Settings, log_dir: Path) -> None:
    base = f"http://127.0.0.1:{settings.app_port}"
    print(
        "\n长者服务助手 is running:\n"
        f"  web chat        {base}/\n"
        f"  staff console   {base}/staff\n"
        f"  chat API        POST {base}/api/chat\n"
        f"  health          {base}/health\n"
        f"  Rasa servers    {', '.join(map(str, rasa_ports(settings)))} (ports)\n"
        f"  profile         {settings.profile}: {settings.app_workers} app worker(s), "
        f"{settings.rasa_servers} Rasa server(s)\n"
        f"  logs            {log_dir}\n"
        "Press Ctrl-C to stop.\n",
        flush=True,
    )


def run(settings: Settings) -> None:
    """Everything ``make run`` does after the venvs exist."""
    preflight(settings)
    log_dir = settings.var_dir / "logs"

    def prepare() -> list[ManagedProcess]:
        if settings.profile == "production" and ensure_database(
            settings.effective_database_url
        ):
            print(">> created the PostgreSQL database", flush=True)
        upgrade_database(settings.effective_database_url)
        model = ensure_model(settings)  # a stop signal here kills ``rasa train``
        log_dir.mkdir(parents=True, exist_ok=True)
        processes = build_processes(settings, model=model, log_dir=log_dir)
        for process in processes:
            process.die_with_parent = True
        return processes

    try:
        code = serve(prepare, on_ready=functools.partial(_banner, settings, log_dir))
    except StopRequested as stop:  # in the instant before serve's own handling
        code = 128 + stop.signum
    if code == 1:
        print(f"!! see the logs in {log_dir}", file=sys.stderr)
    if code:
        raise SystemExit(code)
