"""Policy questions through the real Rasa server and app, station in Chaoyang.

The station's region and its facts file come from the environment, as on
``make run``; the answer an elder gets passes NLU, the policy action and the
knowledge base for real.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.sim.stack import Stack, start_stack
from knowledge import station

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def facts_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("facts") / "station_facts.yml"
    station.save(
        path,
        station.StationFacts(
            opening_hours="周一至周五 8:30—17:00",
            meal_menu="今天午饭：红烧鸡块、炒青菜、米饭",
        ),
        staff="测试",
    )
    return path


@pytest.fixture(scope="module")
def pstack(
    tmp_path_factory: pytest.TempPathFactory, trained_model: Path, facts_file: Path
) -> Iterator[Stack]:
    env = {
        "ASSISTANT_STATION_REGION": "chaoyang",
        "ASSISTANT_STATION_FACTS_FILE": str(facts_file),
    }
    stack = start_stack(
        tmp_path_factory.mktemp("policy"), model=trained_model, extra_env=env
    )
    yield stack
    stack.stop()


def _turn(stack: Stack, user: str, text: str) -> tuple[str, list[dict]]:  # type: ignore[type-arg]
    messages = stack.chat(user, text)
    reply = " ".join(m.get("text") or "" for m in messages)
    citations = [c for m in messages for c in m.get("citations") or []]
    return reply, citations


def test_off_topic_question_is_declined_politely(pstack: Stack) -> None:
    reply, citations = _turn(pstack, "policy-off-topic", "孙子考研选什么专业")
    assert citations == [] and "里说" not in reply
    assert re.search("答不了|帮不上", reply), reply
    assert "急救" not in reply and "120" not in reply


def test_allowance_question_answers_from_home_documents_or_says_where(
    pstack: Stack,
) -> None:
    reply, citations = _turn(pstack, "policy-allowance", "高龄津贴怎么领")
    assert citations, reply
    doc_titles = "".join(c["title"] for c in citations)
    from_home = "承德" not in doc_titles
    assert from_home or "北京的文件里没有写这个" in reply, reply
    assert "怎么办理" in reply  # the documents give no procedure, and it says so


@pytest.mark.parametrize(
    "text", ["养老驿站的开放时间是几点到几点", "驿站几点开门", "你们几点开门"]
)
def test_station_fact_is_read_out(pstack: Stack, text: str) -> None:
    # NLU takes the short ones as out_of_scope; action_out_of_scope sees a
    # station-service question and answers it from the station's facts.
    reply, citations = _turn(pstack, f"policy-hours-{text}", text)
    assert "本驿站信息" in reply and "8:30—17:00" in reply, reply
    assert any(c["title"] == "本驿站信息" for c in citations)


@pytest.mark.parametrize("text", ["今天中午吃什么", "今天午饭吃啥", "明天中午吃什么菜"])
def test_menu_question_is_answered_not_booked(pstack: Stack, text: str) -> None:
    # DIET reads a day and a meal as book_meal; the menu guard makes it a question.
    reply, citations = _turn(pstack, f"policy-menu-{text}", text)
    assert "红烧鸡块" in reply and "本驿站信息" in reply, reply
    assert any(c["title"] == "本驿站信息" for c in citations)
    follow, _ = _turn(pstack, f"policy-menu-{text}", "好的")
    assert "几份" not in follow and "姓名" not in follow, follow  # no booking form


def test_a_menu_question_that_orders_still_books(pstack: Stack) -> None:
    reply, _ = _turn(pstack, "policy-menu-order", "明天有啥菜 给我也订一份")
    assert "红烧鸡块" not in reply and "本驿站信息" not in reply, reply


def test_chatter_about_other_places_is_still_declined(pstack: Stack) -> None:
    reply, citations = _turn(pstack, "policy-park", "公园几点开门")
    assert citations == [] and "本驿站信息" not in reply, reply


def test_personal_record_is_not_answered_from_documents(pstack: Stack) -> None:
    reply, citations = _turn(pstack, "policy-personal", "我的补贴这个月发了没有")
    assert "里说" not in reply and not re.search(r"\d", reply), reply
    assert all(c["title"] == "本驿站信息" for c in citations)
