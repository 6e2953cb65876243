"""The meal form on rasa-sdk's FormValidationAction, and the meal actions, without servers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.meal_cancel import ActionCancelMeal, ValidateCancelForm
from actions.meal_form import ValidateMealForm
from actions.meal_identity import ActionAskElderName, ActionAskElderPhone
from actions.meal_orders import ActionMealSave
from assistant.db import Elder, MealOrder, session_scope
from assistant.services import meals
from assistant.settings import PROJECT_ROOT, Settings

DOMAIN: dict[str, Any] = {
    "forms": yaml.safe_load(
        (PROJECT_ROOT / "assistant/domain/dialogues.yml").read_text(encoding="utf-8")
    )["forms"]
}
PHONE = {"channel": "phone", "caller_phone": "+8613900000077", "call_sid": "CA9"}


def _slots(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def _responses(dispatcher: CollectingDispatcher) -> list[str]:
    return [m.get("response") for m in dispatcher.messages]


def _day(settings: Settings, days: int = 2) -> str:
    return (meals.local_now(settings).date() + dt.timedelta(days=days)).isoformat()


def _order(settings: Settings, mode: str) -> dict[str, Any]:
    """The five order slots filled: lunch for one, two days ahead, no diet note."""
    return {
        "meal_date": _day(settings),
        "meal_kind": "lunch",
        "meal_count": "1",
        "meal_mode": mode,
        "meal_diet": "无",
    }


async def _turn(
    tracker: Tracker, dispatcher: CollectingDispatcher | None = None
) -> dict[str, Any]:
    return _slots(
        await ValidateMealForm().run(
            dispatcher or CollectingDispatcher(), tracker, DOMAIN
        )
    )


async def test_first_sentence_fills_the_form(
    make_tracker: Callable[..., Tracker],
) -> None:
    d = CollectingDispatcher()
    tracker = make_tracker(
        "明天中午给我送两份午饭到家，少放点盐",
        "book_meal",
        slots={"elder_id": "1"},
        loop="meal_form",
    )
    slots = await _turn(tracker, d)
    assert slots["meal_kind"] == "lunch" and slots["meal_count"] == "2"
    assert slots["meal_mode"] == "delivery" and slots["meal_diet"] == "少盐"
    assert slots["requested_slot"] == "meal_confirmed"
    assert _responses(d) == []


async def test_past_cutoff_offers_alternative(
    make_tracker: Callable[..., Tracker], settings: Settings
) -> None:
    settings.meal_cutoff_minutes = 24 * 60 * 3  # everything in 3 days is closed
    d = CollectingDispatcher()
    tracker = make_tracker(
        "今天午饭一份", "book_meal", slots={"elder_id": "1"}, loop="meal_form"
    )
    slots = await _turn(tracker, d)
    assert _responses(d) == [
        "utter_meal_blocked_past_cutoff",
        "utter_meal_offer_alternative",
    ]
    assert slots["meal_date"] is None and slots["meal_alt"]
    assert slots["requested_slot"] == "meal_date"
    yes = make_tracker(
        "好的",
        "affirm",
        slots={
            "elder_id": "1",
            "meal_alt": slots["meal_alt"],
            "meal_count": "1",
            "requested_slot": "meal_date",
        },
        loop="meal_form",
    )
    slots2 = await _turn(yes)
    assert f"{slots2['meal_date']}|{slots2['meal_kind']}" == slots["meal_alt"]


async def test_no_asks_what_to_change_then_applies_it(
    make_tracker: Callable[..., Tracker], settings: Settings
) -> None:
    filled = {
        "elder_id": "1",
        "meal_date": _day(settings),
        "meal_kind": "lunch",
        "meal_count": "2",
        "meal_mode": "delivery",
        "meal_diet": "无",
        "requested_slot": "meal_confirmed",
    }
    d = CollectingDispatcher()
    slots = await _turn(make_tracker("不对", "deny", slots=filled, loop="meal_form"), d)
    assert _responses(d) == ["utter_meal_ask_change"] and slots["meal_changing"] is True
    change = make_tracker(
        "改成三份", "inform", slots={**filled, "meal_changing": True}, loop="meal_form"
    )
    slots2 = await _turn(change)
    assert slots2["meal_count"] == "3" and slots2["requested_slot"] == "meal_confirmed"
    yes = make_tracker(
        "对", "affirm", slots={**filled, "meal_count": "3"}, loop="meal_form"
    )
    assert (await _turn(yes))["meal_confirmed"] == "yes"


async def test_answers_with_kinship_words_and_landmarks_are_answers(
    make_tracker: Callable[..., Tracker], settings: Settings
) -> None:
    """Whatever label NLU gives them, a name, a number and an address fill the form."""
    base = _order(settings, "delivery")
    d = CollectingDispatcher()
    name = make_tracker(
        "我是王奶奶",
        "report_emergency",
        slots={**base, "requested_slot": "elder_name"},
        loop="meal_form",
    )
    slots = await _turn(name, d)
    assert slots["elder_name"] == "王奶奶" and slots["requested_slot"] == "elder_phone"
    phone = make_tracker(
        "010-84561234",
        "report_emergency",
        slots={**base, "elder_name": "王奶奶", "requested_slot": "elder_phone"},
        loop="meal_form",
    )
    slots = await _turn(phone, d)
    assert slots["elder_phone"] == "01084561234"
    assert slots["requested_slot"] == "elder_address"
    address = make_tracker(
        "派出所后面的平房",
        "request_human",
        slots={
            **base,
            "elder_name": "王奶奶",
            "elder_phone": "01084561234",
            "requested_slot": "elder_address",
        },
        loop="meal_form",
    )
    slots = await _turn(address, d)
    assert slots["elder_address"] == "派出所后面的平房"
    assert slots["requested_slot"] == "meal_confirmed"
    assert _responses(d) == []


async def test_only_real_interruptions_leave_the_form(
    make_tracker: Callable[..., Tracker], settings: Settings
) -> None:
    asked = {"meal_date": _day(settings), "requested_slot": "meal_kind"}
    for text, intent in [
        ("我老伴摔倒了起不来", "book_meal"),  # the guard's phrase, whatever the label
        ("我妈突然不对劲了 你们快派人", "report_emergency"),  # an emergency sentence
        ("我要找人工", "request_human"),
        ("再说一遍", "repeat"),
    ]:
        tracker = make_tracker(text, intent, slots=asked, loop="meal_form")
        events = await ValidateMealForm().run(CollectingDispatcher(), tracker, DOMAIN)
        assert events == [], text  # nothing filled: Rasa rejects, the rules take over
    short = make_tracker("晚饭", "report_emergency", slots=asked, loop="meal_form")
    assert (await _turn(short))["meal_kind"] == "dinner"


async def test_phone_caller_number_offered_then_keypad(
    make_tracker: Callable[..., Tracker], settings: Settings
) -> None:
    base = {**_order(settings, "dine_in"), "elder_name": "赵大爷"}
    offer_slots = {**base, "elder_name": None, "requested_slot": "elder_name"}
    offer = make_tracker(
        "赵大爷", "inform", slots=offer_slots, metadata=PHONE, loop="meal_form"
    )
    assert (await _turn(offer))["requested_slot"] == "use_caller_phone"
    asked = {**base, "requested_slot": "use_caller_phone"}

    def answer(text: str, intent: str) -> Tracker:
        return make_tracker(text, intent, slots=asked, metadata=PHONE, loop="meal_form")

    slots = await _turn(answer("对，就用这个", "affirm"))
    assert slots["elder_phone"] == PHONE["caller_phone"]
    assert slots["requested_slot"] == "meal_confirmed"
    slots = await _turn(answer("不是", "deny"))
    assert (
        slots["use_caller_phone"] == "no" and slots["requested_slot"] == "elder_phone"
    )
    d = CollectingDispatcher()
    await ActionAskElderName().run(d, make_tracker(metadata=PHONE), DOMAIN)
    await ActionAskElderPhone().run(d, make_tracker(metadata=PHONE), DOMAIN)
    assert _responses(d) == [
        "utter_ask_elder_name_phone",
        "utter_ask_elder_phone_keypad",
    ]
    keyed = make_tracker(
        "13912345678",
        "inform",
        slots={**base, "use_caller_phone": "no", "requested_slot": "elder_phone"},
        metadata=PHONE,
        loop="meal_form",
    )
    assert (await _turn(keyed))["elder_phone"] == "+8613912345678"


async def test_save_registers_the_elder_then_cancel(
    make_tracker: Callable[..., Tracker], settings: Settings
) -> None:
    slots = {
        "meal_date": _day(settings),
        "meal_kind": "dinner",
        "meal_count": "2",
        "meal_mode": "delivery",
        "meal_diet": "少盐",
        "meal_confirmed": "yes",
        "elder_name": "赵大爷",
        "elder_phone": "+8613700001111",
        "elder_address": "派出所后面的平房",
    }
    d = CollectingDispatcher()
    events = await ActionMealSave().run(
        d, make_tracker("对", "affirm", slots=slots), {}
    )
    assert _responses(d) == ["utter_meal_booked"]
    with session_scope(settings.effective_database_url) as s:
        order = s.scalars(select(MealOrder)).one()
        assert (order.count, order.meal_type, order.status) == (2, "dinner", "booked")
        elder = s.get(Elder, order.elder_id)
        assert elder is not None
        assert (elder.name, elder.phone, elder.address, elder.verified) == (
            "赵大爷",
            "+8613700001111",
            "派出所后面的平房",
            False,
        )
    assert _slots(events)["elder_id"] == str(order.elder_id)
    cancel = make_tracker("取消后天的晚饭", "cancel_meal", loop="cancel_form")
    slots2 = _slots(await ValidateCancelForm().run(CollectingDispatcher(), cancel, {}))
    assert slots2["cancel_choice"] == str(order.id)
    d2 = CollectingDispatcher()
    await ActionCancelMeal().run(
        d2, make_tracker(slots={"cancel_choice": str(order.id)}), {}
    )
    assert _responses(d2) == ["utter_cancel_done"]
    with session_scope(settings.effective_database_url) as s:
        assert s.get(MealOrder, order.id).status == "cancelled"  # type: ignore[union-attr]


def test_phone_prompts_follow_the_keypad_contract() -> None:
    """TEAM.md contract 5: the keypad prompt carries ``{"input": "digits"}``."""
    responses = yaml.safe_load(
        (PROJECT_ROOT / "assistant/domain/dialogues.yml").read_text(encoding="utf-8")
    )["responses"]
    keypad = responses["utter_ask_elder_phone_keypad"]
    assert len(keypad) == 2
    assert all(variant["custom"]["input"] == "digits" for variant in keypad)
    offer = responses["utter_ask_use_caller_phone"]
    assert all(
        "打来的这个号码" in (v.get("text") or v["custom"]["text"]) for v in offer
    )
