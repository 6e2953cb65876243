"""Hundreds of generated form answers through the real dialogue: no false alarm, ever.

Families on the web chat and callers on the phone book a meal for an elder the
assistant does not know, answering each question the way people do: "赵大爷",
"我是王奶奶", "幺三七 零零零零 幺幺幺幺", "010-84561234", "急救中心斜对面的平房".
Every turn goes through the real Rasa server, the trained model and the app's
actions. No answer may raise an emergency or a hand-off, none may be misread
(a retry), and every booking must be saved.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from assistant.db import CallbackRequest, Elder, Emergency, MealOrder
from assistant.services.meals import local_now
from bench.sim.stack import Stack
from tests.dialogues.form_answers import Answers
from tests.utils.records import emergencies_of

pytestmark = pytest.mark.integration

WEB_BOOKINGS, PHONE_BOOKINGS = 30, 12
OPENERS = ("我要订饭", "我想订个饭", "帮我订饭", "订餐", "给老人订个饭")
# What each question says (plain and elder-mode wording), first match wins.
QUESTIONS = (
    ("booked", ("订好了",)),
    ("meal_confirmed", ("对吗",)),
    ("use_caller_phone", ("打来的这个号码",)),
    ("elder_phone", ("电话号码", "数字键")),
    ("elder_address", ("送到哪",)),
    ("elder_name", ("绑定码", "老人的名字")),
    ("meal_diet", ("忌口",)),
    ("meal_mode", ("送餐到家，还是", "送到家，还是")),
    ("meal_count", ("几份",)),
    ("meal_kind", ("午餐还是晚餐", "午饭还是晚饭")),
    ("meal_date", ("哪一天", "订哪天")),
)
# Words of the emergency reply and of a hand-off (its custom payload is checked too).
ALARMS = (
    "通知工作人员",
    "通知人了",
    "有生命危险",
    "有危险马上打",
    "回电",
    "求助已记下",
    "求助没能记下",
)
RETRIES = ("没听清", "没听明白", "不好意思", "请说“要”")


@dataclass
class Conversation:
    """One booking: every turn, and what went wrong."""

    user: str
    answered: int = 0
    turns: list[tuple[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    keypad_asked: bool = False
    booked: bool = False


def _question(reply: str) -> str | None:
    for slot, markers in QUESTIONS:
        if any(marker in reply for marker in markers):
            return slot
    return None


def _run(
    say: Callable[[str], list[dict[str, Any]]], answers: Answers, c: Conversation
) -> None:
    """Answer whatever is asked until the booking is saved (or goes wrong)."""
    text = answers.rng.choice(OPENERS)
    for _ in range(16):
        messages = say(text)
        reply = " ".join(
            str(m.get("text") or (m.get("custom") or {}).get("text") or "")
            for m in messages
        )
        c.turns.append((text, reply))
        if any((m.get("custom") or {}).get("handoff") for m in messages):
            c.problems.append(f"hand-off after {text!r}")
        if any(word in reply for word in ALARMS):
            c.problems.append(f"alarm after {text!r}: {reply}")
        if any(word in reply for word in RETRIES):
            c.problems.append(f"not understood {text!r}: {reply}")
        if any((m.get("custom") or {}).get("input") == "digits" for m in messages):
            c.keypad_asked = True
        slot = _question(reply)
        if slot == "booked":
            c.booked = True
            return
        if slot is None or c.problems:
            c.problems.append(f"stuck after {text!r}: {reply}")
            return
        if slot == "use_caller_phone":
            text = answers.rng.choice(("对", "是的", "就用这个", "不是", "不用这个"))
            answers.asked.append(slot)
        elif slot == "elder_phone" and c.keypad_asked:
            text = answers.mobile()  # keyed in on the telephone
            answers.asked.append(slot)
        else:
            text = answers.answer(slot)
        c.answered += 1
    c.problems.append("too many turns")


@contextmanager
def _db(stack: Stack) -> Iterator[Session]:
    engine = create_engine(stack.db_url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def _web(stack: Stack, user: str) -> Callable[[str], list[dict[str, Any]]]:
    return lambda text: stack.chat(user, text)


def _phone(
    stack: Stack, user: str, caller: str
) -> Callable[[str], list[dict[str, Any]]]:
    """As the telephone connector does: Rasa's REST channel with call metadata."""
    metadata = {"channel": "phone", "caller_phone": caller, "call_sid": f"CA{user}"}

    def say(text: str) -> list[dict[str, Any]]:
        response = httpx.post(
            f"{stack.rasa_url}/webhooks/rest/webhook",
            json={"sender": user, "message": text, "metadata": metadata},
            timeout=60,
        )
        assert response.status_code == 200, response.text
        messages: list[dict[str, Any]] = response.json()
        return messages

    return say


def test_generated_form_answers_raise_no_alarm(stack: Stack) -> None:
    rng = random.Random(20261129)
    today = local_now(stack.settings).date()
    jobs: list[tuple[Conversation, Callable[[str], list[dict[str, Any]]], Answers]] = []
    for number in range(WEB_BOOKINGS + PHONE_BOOKINGS):
        answers = Answers(random.Random(rng.random()), today)
        if number < WEB_BOOKINGS:
            user = f"form-web-{number}"
            say = _web(stack, user)
        else:
            user = f"form-phone-{number}"
            say = _phone(stack, user, f"+86139{number:08d}")
        jobs.append((Conversation(user), say, answers))
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda job: _run(job[1], job[2], job[0]), jobs))

    conversations = [job[0] for job in jobs]
    problems = [(c.user, p) for c in conversations for p in c.problems]
    answered = sum(c.answered for c in conversations)
    asked = [slot for job in jobs for slot in job[2].asked]
    assert problems == [], problems[:5]
    assert answered >= 300, answered
    assert {
        "elder_name",
        "elder_phone",
        "elder_address",
        "meal_date",
        "meal_count",
    } <= set(asked)
    assert any(
        c.keypad_asked for c in conversations
    )  # a caller declined their own number
    users = [c.user for c in conversations]
    with _db(stack) as db:
        emergencies = db.scalar(
            select(func.count())
            .select_from(Emergency)
            .where(Emergency.user_id.in_(users))
        )
        handoffs = db.scalar(
            select(func.count())
            .select_from(CallbackRequest)
            .where(CallbackRequest.user_id.in_(users))
        )
        orders = list(db.scalars(select(MealOrder).where(MealOrder.user_id.in_(users))))
        elders = {o.elder_id: db.get(Elder, o.elder_id) for o in orders if o.elder_id}
    assert (emergencies, handoffs) == (0, 0)
    assert len(orders) == len(conversations) and all(c.booked for c in conversations)
    assert all(o.meal_date > today for o in orders)
    assert all(e is not None and e.phone and not e.verified for e in elders.values())
    assert len(elders) == len(orders)
    print(f"\n{len(conversations)} bookings, {answered} form answers, 0 alarms")


def _texts(messages: list[dict[str, Any]]) -> str:
    return " ".join(
        str(m.get("text") or (m.get("custom") or {}).get("text") or "")
        for m in messages
    )


@pytest.mark.parametrize(
    ("user", "name", "phone"),
    [("accept-1", "赵大爷", "13700001111"), ("accept-2", "我是王奶奶", "010-84561234")],
)
def test_issue_examples_book_without_alarm(
    stack: Stack, user: str, name: str, phone: str
) -> None:
    """The examples of issue 12: kinship names, bare digits, a landline, a landmark."""
    say = _web(stack, user)
    steps = [
        ("我要订饭", "哪一天"),
        ("后天", "午餐还是晚餐"),
        ("中午", "几份"),
        ("两份", "送餐到家"),
        ("送到家", "忌口"),
        ("少放点盐", "绑定码"),
        (name, "电话号码"),
        (phone, "送到哪"),
        ("派出所后面的平房", "对吗"),
        ("对", "订好了"),
    ]
    for text, expected in steps:
        reply = _texts(say(text))
        assert expected in reply, (text, reply)
    with _db(stack) as db:
        order = db.scalars(select(MealOrder).where(MealOrder.user_id == user)).one()
        elder = db.get(Elder, order.elder_id)
        assert elder is not None and elder.address == "派出所后面的平房"
        assert order.diet_notes == "少盐" and order.count == 2
        assert emergencies_of(db, user) == []


def test_caller_number_offered_on_the_phone(stack: Stack) -> None:
    say = _phone(stack, "accept-phone", "+8613900001234")
    for text in ("我要订饭", "明天", "晚饭", "一份", "到驿站吃", "没有"):
        say(text)
    assert "打来的这个号码" in _texts(say("我是孙阿姨"))
    assert "对吗" in _texts(say("对"))
    assert "订好了" in _texts(say("对"))
    with _db(stack) as db:
        order = db.scalars(
            select(MealOrder).where(MealOrder.user_id == "accept-phone")
        ).one()
        elder = db.get(Elder, order.elder_id)
        assert elder is not None
        assert (elder.name, elder.phone) == ("孙阿姨", "+8613900001234")


def test_a_real_emergency_still_interrupts_the_form(stack: Stack) -> None:
    say = _web(stack, "form-emergency")
    for text in ("我要订饭", "明天", "中午", "一份", "去驿站吃", "没有"):
        say(text)
    reply = _texts(say("哎呀我老伴摔倒了起不来"))
    # this stack runs on the defaults: nobody can be notified, and it says so
    assert "求助已记下" in reply and "120" in reply and "已通知" not in reply
    with _db(stack) as db:
        [row] = emergencies_of(db, "form-emergency")
        assert row.emergency_type == "fall"
