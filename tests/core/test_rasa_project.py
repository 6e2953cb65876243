from __future__ import annotations

import shutil

import yaml

from assistant.rasa_project import (
    TRACKER_STORE,
    rasa_run_command,
    training_hash,
    write_endpoints,
)
from assistant.settings import PROJECT_ROOT, Settings


def test_training_hash_changes_only_with_training_inputs(tmp_path) -> None:
    for name in ("config.yml", "assistant/domain", "nlu/data", "assistant/data"):
        source = PROJECT_ROOT / name
        target = tmp_path / name
        if source.is_dir():
            shutil.copytree(source, target)
        elif source.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target)
    before = training_hash(tmp_path)
    (tmp_path / "README.md").write_text("not a training input")
    assert training_hash(tmp_path) == before
    (tmp_path / "nlu/data").mkdir(parents=True, exist_ok=True)
    (tmp_path / "nlu/data/extra.yml").write_text("version: '3.1'\n")
    assert training_hash(tmp_path) != before


def test_endpoints_for_embedded_defaults(tmp_path) -> None:
    settings = Settings(var_dir=tmp_path)
    path = write_endpoints(settings, app_url="http://127.0.0.1:8000")
    endpoints = yaml.safe_load(path.read_text())
    assert endpoints["action_endpoint"]["url"] == "http://127.0.0.1:8000/webhook"
    # The action token rides in a header (Rasa's `token:` would put it in the URL).
    assert endpoints["action_endpoint"]["headers"] == {
        "Authorization": f"Bearer {settings.action_token}"
    }
    assert "token" not in endpoints["action_endpoint"]
    assert path.stat().st_mode & 0o777 == 0o600
    assert endpoints["tracker_store"] == {
        "type": TRACKER_STORE,
        "dialect": "sqlite",
        "db": str(tmp_path / "tracker.db"),
    }
    assert "lock_store" not in endpoints


def test_endpoints_for_production(tmp_path) -> None:
    settings = Settings(
        var_dir=tmp_path,
        database_url="postgresql+psycopg://app:secret@db.internal:5433/assistant",
        rasa_lock_store_url="redis://cache.internal:6380/2",
    )
    endpoints = yaml.safe_load(
        write_endpoints(settings, app_url="http://app:8000").read_text()
    )
    assert endpoints["tracker_store"] == {
        "type": TRACKER_STORE,
        "dialect": "postgresql",
        "url": "db.internal",
        "port": 5433,
        "db": "assistant",
        "username": "app",
        "password": "secret",
    }
    assert endpoints["lock_store"]["type"] == "redis"
    assert (
        endpoints["lock_store"]["port"] == 6380 and endpoints["lock_store"]["db"] == 2
    )


def test_rasa_listens_on_loopback_with_its_api_token(tmp_path) -> None:
    settings = Settings(var_dir=tmp_path, rasa_token="tok-1")
    command = rasa_run_command(
        settings, model=tmp_path / "m.tar.gz", endpoints=tmp_path / "e.yml", port=5999
    )
    assert command[command.index("--interface") + 1] == "127.0.0.1"
    assert command[command.index("--auth-token") + 1] == "tok-1"
