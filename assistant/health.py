"""``GET /health``: the state of every component the assistant depends on."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import text

import voice
from assistant.db import get_engine
from assistant.deps import SettingsDep
from assistant.dialogue import rasa_status
from assistant.settings import Settings

logger = logging.getLogger(__name__)

router = APIRouter(tags=["health"])


def database_status(settings: Settings) -> dict[str, Any]:
    """Can we run a query, and which backend is it."""
    url = settings.effective_database_url
    try:
        with get_engine(url).connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means "not healthy"
        return {
            "ok": False,
            "backend": url.split(":", 1)[0],
            "error": type(exc).__name__,
        }
    return {"ok": True, "backend": url.split(":", 1)[0]}


def knowledge_status(settings: Settings) -> dict[str, Any]:
    """Whether the policy index has been built (its manifest exists)."""
    meta = settings.var_dir / "knowledge" / "meta.json"
    if not meta.exists():
        return {"ok": False, "error": "index not built: run make setup"}
    try:
        info = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return {"ok": False, "error": f"unreadable manifest: {type(exc).__name__}"}
    return {
        "ok": True,
        "model": info.get("model"),
        "documents": len(info.get("documents", {})),
    }


def voice_status(settings: Settings) -> dict[str, Any]:
    """ASR model, TTS engine and phone mode, as the voice package reports them."""
    return voice.health(settings)


@router.get("/health")
async def get_health(request: Request, settings: SettingsDep) -> dict[str, Any]:
    """Report Rasa, database, knowledge index, ASR model, TTS and each background
    worker's last heartbeat."""
    loop = asyncio.get_running_loop()
    rasa = await rasa_status(settings, request.app.state.http)
    database = await loop.run_in_executor(None, database_status, settings)
    knowledge = await loop.run_in_executor(None, knowledge_status, settings)
    voice_info = await loop.run_in_executor(None, voice_status, settings)
    body: dict[str, Any] = {
        "rasa": rasa,
        "database": database,
        "knowledge": knowledge,
        **voice_info,
    }
    workers = getattr(request.app.state, "workers", None)
    body["workers"] = workers.health() if workers is not None else {}
    workers_ok = all(w["ok"] for w in body["workers"].values())
    essential = rasa["ok"] and database["ok"]
    ok = essential and knowledge["ok"] and workers_ok
    body["status"] = "ok" if ok else "degraded"
    return body
