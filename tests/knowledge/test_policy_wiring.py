"""The policy action and the staff search route, on the real knowledge base."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.context import ActionContext, bind
from actions.policy import ActionAnswerPolicy, ActionOutOfScope, profile_region
from assistant.deps import get_app_settings, get_knowledge
from connectors.staff import search as staff_search
from connectors.staff.auth import require_staff
from knowledge.provider import KnowledgeProvider


def _tracker(text: str, region: str | None = None) -> Tracker:
    return Tracker.from_dict(
        {
            "sender_id": "u1",
            "slots": {"region": region},
            "latest_message": {"text": text, "intent": {"name": "ask_policy"}},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": None,
        }
    )


@pytest.fixture()
def bound_kb(kb) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """Actions get the real knowledge base the way the app's runner gives it."""
    with bind(ActionContext(kb.settings, KnowledgeProvider.of(kb))):
        yield kb


async def test_action_answers_with_citations(bound_kb) -> None:  # type: ignore[no-untyped-def]
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerPolicy().run(
        dispatcher, _tracker("承德的老年食堂是怎么安排的？"), {}
    )
    assert events == []
    message = dispatcher.messages[0]
    citations = message["custom"]["citations"]
    assert citations and citations[0]["doc"] == "001_762747c5429ccbdb.txt"
    assert citations[0]["title"] in message["text"]  # the reply names its source


async def test_action_uses_the_profile_region(bound_kb) -> None:  # type: ignore[no-untyped-def]
    assert (
        profile_region("朝阳区") == "chaoyang"
        and profile_region("chengde") == "chengde"
    )
    assert profile_region(None) is None
    dispatcher = CollectingDispatcher()
    await ActionAnswerPolicy().run(
        dispatcher, _tracker("老年食堂怎么安排？", "承德"), {}
    )
    assert dispatcher.messages[0]["custom"]["citations"][0]["doc"].startswith("001")


@pytest.mark.parametrize("text", ["驿站几点开门", "你们几点开门", "今天中午吃什么"])
async def test_a_station_question_taken_as_chatter_is_answered(
    bound_kb, text: str
) -> None:  # type: ignore[no-untyped-def]
    dispatcher = CollectingDispatcher()
    await ActionOutOfScope().run(dispatcher, _tracker(text), {})
    message = dispatcher.messages[0]
    assert "response" not in message or message["response"] is None
    assert "驿站" in message["text"] and "答不了" not in message["text"]


@pytest.mark.parametrize(
    "text",
    [
        "现在几点了",
        "给我讲个笑话",
        "新闻联播几点",
        "晚上吃什么药",
        "你们明天做什么活动",
    ],
)
async def test_chatter_is_still_declined(bound_kb, text: str) -> None:  # type: ignore[no-untyped-def]
    dispatcher = CollectingDispatcher()
    await ActionOutOfScope().run(dispatcher, _tracker(text), {})
    assert [m.get("response") for m in dispatcher.messages] == ["utter_out_of_scope"]


@pytest.fixture()
def client(bound_kb) -> TestClient:  # type: ignore[no-untyped-def]
    app = FastAPI()
    app.include_router(staff_search.router)
    app.dependency_overrides[require_staff] = lambda: "staff1"
    app.dependency_overrides[get_app_settings] = lambda: bound_kb.settings
    app.dependency_overrides[get_knowledge] = lambda: KnowledgeProvider.of(bound_kb)
    return TestClient(app)


def test_staff_search_returns_cited_passages(client: TestClient) -> None:
    response = client.get("/api/staff/search", params={"q": "长护险", "k": 3})
    assert response.status_code == 200
    body = response.json()
    assert len(body["results"]) == 3
    first = body["results"][0]
    assert {"doc", "title", "section", "text", "score"} <= set(first)
    assert "护理" in first["text"] or "长护" in first["text"]
    assert first["citation"]["title"] == first["title"]
    scores = [r["score"] for r in body["results"]]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("q", ["", "   ", "问" * 1_000])
def test_staff_search_rejects_bad_queries(client: TestClient, q: str) -> None:
    assert client.get("/api/staff/search", params={"q": q}).status_code == 422


def test_staff_search_needs_a_login(bound_kb) -> None:  # type: ignore[no-untyped-def]
    from starlette.middleware.sessions import SessionMiddleware

    app = FastAPI()
    app.add_middleware(SessionMiddleware, secret_key="test")
    app.include_router(staff_search.router)
    assert (
        TestClient(app).get("/api/staff/search", params={"q": "长护险"}).status_code
        == 401
    )
