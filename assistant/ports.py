"""Before the launcher starts anything: are its ports free, and if not, who holds them?

A port held by an old run (say an orphaned app on :8000) would otherwise answer
the new run's health check while the new app fails to bind. So the launcher
asks first, names the holder where it can (psutil), and starts nothing.
"""

from __future__ import annotations

import errno
import re
import socket

import psutil

from assistant.settings import Settings

_SECRET_ARG = re.compile(r"token|secret|password|passwd|key", re.IGNORECASE)
_MAX_CMDLINE_CHARS = 120


def port_free(host: str, port: int) -> bool:
    """Whether a server could bind ``host:port`` now (as uvicorn does, SO_REUSEADDR).

    Raises:
        OSError: ``host`` is not an address of this machine, or other bind errors.
    """
    infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM)
    for family, kind, proto, _name, address in infos:
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(address)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    return False
                raise
    return True


def _shown_cmdline(args: list[str]) -> str:
    """A short command line with secret-looking values hidden."""
    shown, hide_next = [], False
    for arg in args:
        if hide_next:
            shown.append("***")
            hide_next = False
        elif "=" in arg and _SECRET_ARG.search(arg.split("=", 1)[0]):
            shown.append(arg.split("=", 1)[0] + "=***")
        else:
            shown.append(arg)
            hide_next = arg.startswith("-") and bool(_SECRET_ARG.search(arg))
    text = " ".join(shown)
    return text if len(text) <= _MAX_CMDLINE_CHARS else text[:_MAX_CMDLINE_CHARS] + "…"


def port_holders(port: int) -> str:
    """Who listens on ``port``: ``pid N (command line)``, or why that is unknown."""
    try:
        connections = psutil.net_connections(kind="inet")
    except psutil.AccessDenied:
        return "another process (not allowed to see which; try `ss -ltnp`)"
    pids = sorted(
        {
            c.pid
            for c in connections
            if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port
        },
        key=lambda pid: pid or 0,
    )
    holders = []
    for pid in pids:
        if pid is None:
            holders.append("a process of another user")
            continue
        try:
            args = psutil.Process(pid).cmdline()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            args = []
        holders.append(f"pid {pid} ({_shown_cmdline(args) or '?'})")
    return ", ".join(holders) or "another process"


def port_problems(settings: Settings) -> list[str]:
    """Plain sentences for every port the launcher needs but cannot have."""
    rasa = [settings.rasa_port + n for n in range(settings.rasa_servers)]
    wanted = [
        ("the app", "ASSISTANT_APP_PORT", settings.app_host, settings.app_port),
        *[
            (
                f"Rasa server {n + 1}" if n else "Rasa",
                "ASSISTANT_RASA_PORT",
                "127.0.0.1",
                port,
            )
            for n, port in enumerate(rasa)
        ],
    ]
    if settings.app_port in rasa:
        return [
            f"ASSISTANT_APP_PORT {settings.app_port} is also a Rasa port "
            f"({', '.join(map(str, rasa))}: ASSISTANT_RASA_PORT and the next "
            "ASSISTANT_RASA_SERVERS - 1); give them different ports"
        ]
    problems = []
    for what, setting, host, port in wanted:
        try:
            free = port_free(host, port)
        except OSError as exc:
            problems.append(f"cannot listen on {host}:{port} for {what}: {exc}")
            continue
        if not free:
            problems.append(
                f"port {port} ({setting}, for {what}) is already in use by "
                f"{port_holders(port)}; stop that process or choose another port"
            )
    return problems
