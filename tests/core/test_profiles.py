"""The production profile: its defaults, its preflight, and the processes it starts."""

from __future__ import annotations

import json
from pathlib import Path

from assistant.launcher import build_processes
from assistant.production import service_problems
from assistant.rasa_servers import servers_for
from assistant.settings import Settings
from bench.sim.stack import free_port


def test_production_profile_defaults_and_explicit_settings_win() -> None:
    prod = Settings(profile="production")
    assert (prod.rasa_servers, prod.app_workers) == (2, 2)
    assert prod.database_url.startswith("postgresql+psycopg://")
    assert prod.rasa_lock_store_url.startswith("redis://")
    assert prod.rate_limit_storage_url.startswith("redis://")
    assert Settings(profile="production", app_workers=4).app_workers == 4
    assert (Settings().rasa_servers, Settings().app_workers) == (2, 1)


def test_preflight_names_each_missing_service() -> None:
    closed = free_port()  # nothing listens there
    problems = service_problems(
        Settings(
            profile="production",
            database_url=f"postgresql+psycopg://u@127.0.0.1:{closed}/x",
            rasa_lock_store_url=f"redis://127.0.0.1:{closed}/0",
            rate_limit_storage_url="memory://",
        )
    )
    assert len(problems) == 3
    assert "PostgreSQL is not reachable" in problems[0]
    assert "ASSISTANT_RASA_LOCK_STORE_URL" in problems[1]
    assert "ASSISTANT_RATE_LIMIT_STORAGE_URL" in problems[2]
    sqlite = service_problems(
        Settings(profile="production", database_url="sqlite:///x")
    )
    assert "needs PostgreSQL" in sqlite[0]


def test_two_rasa_servers_and_two_app_workers_wired_together(tmp_path: Path) -> None:
    settings = Settings(
        var_dir=tmp_path, rasa_port=15900, app_port=18900, rasa_servers=2, app_workers=2
    )
    *rasa, app = build_processes(settings, model=tmp_path / "m.tar.gz")
    ports = [p.command[p.command.index("--port") + 1] for p in rasa]
    assert [p.name for p in rasa] == ["rasa", "rasa-2"] and ports == ["15900", "15901"]
    assert app.command[app.command.index("--workers") + 1] == "2"
    urls = json.loads(app.env["ASSISTANT_RASA_URLS"])
    assert urls == ["http://127.0.0.1:15900", "http://127.0.0.1:15901"]
    assert all(p.env["TICKET_LOCK_LIFETIME"] == "20" for p in rasa)


def test_each_conversation_has_its_server_and_a_next_one() -> None:
    settings = Settings(rasa_urls=["http://a", "http://b"])
    orders = {tuple(servers_for(settings, f"user-{i}")) for i in range(50)}
    assert orders == {("http://a", "http://b"), ("http://b", "http://a")}
    assert servers_for(settings, "user-7") == servers_for(settings, "user-7")
    assert servers_for(Settings(rasa_url="http://only/"), "x") == ["http://only"]
