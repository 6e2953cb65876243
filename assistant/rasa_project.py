"""The Rasa side of the project, driven from the app's Python: train, configure, run.

Rasa lives in its own venv (``.venv-rasa``, Python 3.10), so everything here
runs it as a subprocess. The model is named by a content hash of what shapes
it, so it is trained only when config, domain or training data changed.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import subprocess
import time
from pathlib import Path

import yaml
from sqlalchemy.engine import make_url

from assistant.settings import PROJECT_ROOT, Settings

logger = logging.getLogger(__name__)

RASA_BIN = PROJECT_ROOT / ".venv-rasa" / "bin" / "rasa"
RASA_PYTHON = PROJECT_ROOT / ".venv-rasa" / "bin" / "python"
TRAINING_INPUTS = (
    "config.yml",
    "assistant/domain",
    "nlu/data",
    "assistant/data",
    "nlu/jieba_userdict.txt",
    "nlu/components",
)


def training_hash(root: Path = PROJECT_ROOT) -> str:
    """Hash of every file that shapes the trained model (paths and contents)."""
    digest = hashlib.sha256()
    for name in TRAINING_INPUTS:
        path = root / name
        files = (
            sorted(p for p in path.rglob("*") if p.is_file())
            if path.is_dir()
            else [path]
        )
        for file in files:
            if not file.exists() or "__pycache__" in file.parts:
                continue
            digest.update(str(file.relative_to(root)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def models_dir(settings: Settings) -> Path:
    return settings.var_dir / "rasa" / "models"


def ensure_model(settings: Settings, *, force: bool = False) -> Path:
    """Path of the trained model for the current inputs, training it if missing.

    A file lock keeps concurrent callers (launcher, test workers) from training
    the same model twice.
    """
    model_hash = training_hash()
    out_dir = models_dir(settings)
    out_dir.mkdir(parents=True, exist_ok=True)
    model = out_dir / f"{model_hash}.tar.gz"
    with open(out_dir / ".train.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if model.exists() and not force:
            return model
        logger.info("training Rasa model %s (inputs changed)", model_hash)
        started = time.monotonic()
        log_path = out_dir / f"{model_hash}.train.log"
        with open(log_path, "wb") as log:
            done = subprocess.run(
                [
                    str(RASA_BIN),
                    "train",
                    "--config",
                    "config.yml",
                    "--domain",
                    "assistant/domain",
                    "--data",
                    "nlu/data",
                    "assistant/data",
                    "--out",
                    str(out_dir),
                    "--fixed-model-name",
                    model_hash,
                ],
                cwd=PROJECT_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
            )
        if done.returncode != 0 or not model.exists():
            tail = log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"rasa train failed (log: {log_path}):\n{tail}")
        elapsed = time.monotonic() - started
        (out_dir / f"{model_hash}.train_seconds").write_text(f"{elapsed:.1f}\n")
        logger.info("trained Rasa model in %.0f s", elapsed)
    return model


# Rasa's SQL tracker store that does not re-read the whole conversation each turn
# (see assistant/rasa_runtime/tracker_store.py); same tables, same options.
TRACKER_STORE = "assistant.rasa_runtime.tracker_store.CachedSQLTrackerStore"


def tracker_store_config(settings: Settings) -> dict[str, object]:
    """Rasa's SQL tracker store on the app's database engine kind."""
    url = make_url(settings.effective_database_url)
    if url.get_backend_name() == "sqlite":
        return {
            "type": TRACKER_STORE,
            "dialect": "sqlite",
            # Next to the app's database file: each database gets its own trackers.
            "db": str(
                Path(url.database or settings.var_dir / "x").parent / "tracker.db"
            ),
        }
    return {
        "type": TRACKER_STORE,
        "dialect": "postgresql",
        "url": url.host or "127.0.0.1",
        "port": url.port or 5432,
        "db": url.database,
        "username": url.username,
        "password": url.password or "",
    }


def write_endpoints(
    settings: Settings, *, app_url: str, path: Path | None = None
) -> Path:
    """Write Rasa's endpoints.yml: action webhook in the app, tracker and lock store.

    The action token goes in a header, not in Rasa's ``token:`` option: rasa
    3.6 sends that one as a ``?token=`` query parameter, which access logs keep.
    The file holds secrets, so only its owner may read it.
    """
    endpoints: dict[str, object] = {
        "action_endpoint": {
            "url": f"{app_url.rstrip('/')}/webhook",
            "headers": {"Authorization": f"Bearer {settings.action_token}"},
        },
        "tracker_store": tracker_store_config(settings),
    }
    if settings.rasa_lock_store_url:
        url = make_url(settings.rasa_lock_store_url)
        endpoints["lock_store"] = {
            "type": "redis",
            "url": url.host or "127.0.0.1",
            "port": url.port or 6379,
            "db": int(url.database or 0),
            "key_prefix": "assistant",
        }
    target = path or settings.var_dir / "rasa" / "endpoints.yml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.touch(mode=0o600)
    target.chmod(0o600)
    target.write_text(yaml.safe_dump(endpoints, allow_unicode=True), encoding="utf-8")
    return target


def rasa_run_command(
    settings: Settings, *, model: Path, endpoints: Path, port: int
) -> list[str]:
    """The command line that serves ``model`` on loopback with the HTTP API on.

    ``rasa run`` through ``assistant.rasa_runtime``, which applies the fixes of
    ``assistant/rasa_runtime/fixes.py`` first.
    """
    return [
        str(RASA_PYTHON),
        "-m",
        "assistant.rasa_runtime",
        "run",
        "--model",
        str(model),
        "--endpoints",
        str(endpoints),
        "--credentials",
        str(PROJECT_ROOT / "assistant" / "credentials.yml"),
        "--interface",
        "127.0.0.1",
        "--port",
        str(port),
        "--enable-api",
        "--auth-token",
        settings.rasa_token,
    ]
