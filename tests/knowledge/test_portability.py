"""A copied or moved deployment still loads its index; a missing or mismatched one is said plainly."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.context import ActionContext, bind
from actions.policy import ActionAnswerPolicy
from assistant.deps import get_app_settings, get_knowledge
from assistant.settings import Settings
from connectors.staff import search as staff_search
from connectors.staff.auth import require_staff
from knowledge.embed import DEFAULT_MODEL_DIR
from knowledge.index import build, read_meta
from knowledge.provider import KnowledgeProvider


def _moved_var(real_settings: Settings, tmp_path: Path) -> Settings:
    """The built index copied to another var/ (the model linked, it is 466 MB)."""
    build(real_settings)  # make sure the project's index is current
    var = tmp_path / "elsewhere" / "var"
    var.mkdir(parents=True)
    shutil.copytree(real_settings.var_dir / "knowledge", var / "knowledge")
    (var / "models").symlink_to(real_settings.var_dir / "models")
    return Settings(var_dir=var)


def test_the_manifest_names_the_model_relative_to_var(real_settings: Settings) -> None:
    build(real_settings)
    assert read_meta(real_settings)["model"] == DEFAULT_MODEL_DIR


def test_an_old_absolute_manifest_in_a_moved_var_loads_and_is_rewritten(
    real_settings: Settings, tmp_path: Path
) -> None:
    from knowledge.base import KnowledgeBase

    settings = _moved_var(real_settings, tmp_path)
    meta_file = settings.var_dir / "knowledge" / "meta.json"
    meta = json.loads(meta_file.read_text("utf-8"))
    # what a build before this change wrote, in the place it was built
    meta["model"] = f"/work/main/var/{DEFAULT_MODEL_DIR}"
    meta_file.write_text(json.dumps(meta, ensure_ascii=False), "utf-8")

    base = KnowledgeBase(settings)
    assert base.search("长护险", k=1).hits

    report = build(settings)
    assert report.embedded == [] and not report.failed  # vectors kept, only renamed
    assert read_meta(settings)["model"] == DEFAULT_MODEL_DIR


def _client(settings: Settings) -> TestClient:
    app = FastAPI()
    app.include_router(staff_search.router)
    app.dependency_overrides[require_staff] = lambda: "staff1"
    app.dependency_overrides[get_app_settings] = lambda: settings
    app.dependency_overrides[get_knowledge] = lambda: KnowledgeProvider(settings)
    return TestClient(app, raise_server_exceptions=False)


def test_staff_search_without_an_index_says_it_is_not_ready(tmp_path: Path) -> None:
    response = _client(Settings(var_dir=tmp_path / "var")).get(
        "/api/staff/search", params={"q": "长护险"}
    )
    assert response.status_code == 503
    assert response.json()["detail"].startswith("资料库还没准备好")


def test_staff_search_with_a_mismatched_model_says_it_is_not_ready(
    real_settings: Settings, tmp_path: Path
) -> None:
    moved = _moved_var(real_settings, tmp_path)
    other = moved.model_copy(update={"knowledge_model": "some/other-model"})
    response = _client(other).get("/api/staff/search", params={"q": "长护险"})
    assert response.status_code == 503
    assert "资料库还没准备好" in response.json()["detail"]


@pytest.mark.parametrize("model", [None, "some/other-model"])
async def test_the_policy_action_says_it_cannot_look_it_up(
    real_settings: Settings, tmp_path: Path, model: str | None
) -> None:
    settings = (
        Settings(var_dir=tmp_path / "var")  # no index at all
        if model is None
        else _moved_var(real_settings, tmp_path).model_copy(
            update={"knowledge_model": model}
        )
    )
    tracker = Tracker.from_dict(
        {
            "sender_id": "u1",
            "slots": {},
            "latest_message": {
                "text": "长护险怎么申请？",
                "intent": {"name": "ask_policy"},
            },
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": None,
        }
    )
    dispatcher = CollectingDispatcher()
    with bind(ActionContext(settings, KnowledgeProvider(settings))):
        await ActionAnswerPolicy().run(dispatcher, tracker, {})
    text = dispatcher.messages[0]["text"]
    assert "查不到" in text and not dispatcher.messages[0]["custom"]
