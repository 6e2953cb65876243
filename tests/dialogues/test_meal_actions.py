"""The meal form validator and the meal actions, without servers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.meal_cancel import ActionCancelMeal, ValidateCancelForm
from actions.meal_form import ValidateMealForm
from actions.meal_orders import ActionMealSave
from assistant.db import Elder, MealOrder, session_scope
from assistant.services import meals
from assistant.settings import Settings

DOMAIN: dict[str, Any] = {"forms": {"meal_form": {"required_slots": []}}}


def _slots(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def _responses(dispatcher: CollectingDispatcher) -> list[str]:
    return [m.get("response") for m in dispatcher.messages]


async def test_first_sentence_fills_the_form(
    make_tracker: Callable[..., Tracker],
) -> None:
    d = CollectingDispatcher()
    tracker = make_tracker(
        "后天中午送两份少盐的到家", "book_meal", slots={"elder_id": "1"}
    )
    events = await ValidateMealForm().run(d, tracker, DOMAIN)
    slots = _slots(events)
    assert slots["meal_kind"] == "lunch" and slots["meal_count"] == "2"
    assert slots["meal_mode"] == "delivery" and slots["meal_diet"] == "少盐"
    assert slots["requested_slot"] == "meal_confirmed"
    assert _responses(d) == []


async def test_past_cutoff_offers_alternative(
    make_tracker: Callable[..., Tracker], settings: Settings
) -> None:
    settings.meal_cutoff_minutes = 24 * 60 * 3  # everything in 3 days is closed
    d = CollectingDispatcher()
    tracker = make_tracker("今天午饭一份", "book_meal", slots={"elder_id": "1"})
    slots = _slots(await ValidateMealForm().run(d, tracker, DOMAIN))
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
    )
    slots2 = _slots(await ValidateMealForm().run(CollectingDispatcher(), yes, DOMAIN))
    assert f"{slots2['meal_date']}|{slots2['meal_kind']}" == slots["meal_alt"]


async def test_no_asks_what_to_change_then_applies_it(
    make_tracker: Callable[..., Tracker], settings: Settings
) -> None:
    day = (meals.local_now(settings).date() + dt.timedelta(days=2)).isoformat()
    filled = {
        "elder_id": "1",
        "meal_date": day,
        "meal_kind": "lunch",
        "meal_count": "2",
        "meal_mode": "delivery",
        "meal_diet": "无",
        "requested_slot": "meal_confirmed",
    }
    d = CollectingDispatcher()
    slots = _slots(
        await ValidateMealForm().run(
            d, make_tracker("不对", "deny", slots=filled), DOMAIN
        )
    )
    assert _responses(d) == ["utter_meal_ask_change"] and slots["meal_changing"] is True
    d2 = CollectingDispatcher()
    change = make_tracker(
        "改成三份", "book_meal", slots={**filled, "meal_changing": True}
    )
    slots2 = _slots(await ValidateMealForm().run(d2, change, DOMAIN))
    assert slots2["meal_count"] == "3" and slots2["requested_slot"] == "meal_confirmed"
    d3 = CollectingDispatcher()
    yes = make_tracker("对", "affirm", slots={**filled, "meal_count": "3"})
    assert (
        _slots(await ValidateMealForm().run(d3, yes, DOMAIN))["meal_confirmed"] == "yes"
    )


async def test_unknown_web_user_gives_name_and_phone(
    make_tracker: Callable[..., Tracker], settings: Settings
) -> None:
    day = (meals.local_now(settings).date() + dt.timedelta(days=2)).isoformat()
    base = {
        "meal_date": day,
        "meal_kind": "lunch",
        "meal_count": "1",
        "meal_mode": "dine_in",
        "meal_diet": "无",
    }
    slots = _slots(
        await ValidateMealForm().run(
            CollectingDispatcher(),
            make_tracker(
                "没有", slots={**base, "meal_diet": None, "requested_slot": "meal_diet"}
            ),
            DOMAIN,
        )
    )
    assert slots["requested_slot"] == "elder_name"
    name = make_tracker("我叫王秀英", slots={**base, "requested_slot": "elder_name"})
    assert (
        _slots(await ValidateMealForm().run(CollectingDispatcher(), name, DOMAIN))[
            "elder_name"
        ]
        == "王秀英"
    )
    phone = make_tracker(
        "13912345678",
        slots={**base, "elder_name": "王秀英", "requested_slot": "elder_phone"},
    )
    slots = _slots(await ValidateMealForm().run(CollectingDispatcher(), phone, DOMAIN))
    assert slots["requested_slot"] == "meal_confirmed"
    with session_scope(settings.effective_database_url) as s:
        elder = s.scalars(select(Elder)).one()
        assert (elder.name, elder.phone, elder.verified) == (
            "王秀英",
            "+8613912345678",
            False,
        )


async def test_save_after_yes_then_cancel(
    make_tracker: Callable[..., Tracker], settings: Settings
) -> None:
    day = (meals.local_now(settings).date() + dt.timedelta(days=2)).isoformat()
    slots = {
        "meal_date": day,
        "meal_kind": "dinner",
        "meal_count": "2",
        "meal_mode": "dine_in",
        "meal_diet": "少盐",
        "meal_confirmed": "yes",
    }
    d = CollectingDispatcher()
    await ActionMealSave().run(d, make_tracker("对", "affirm", slots=slots), {})
    assert _responses(d) == ["utter_meal_booked"]
    with session_scope(settings.effective_database_url) as s:
        order = s.scalars(select(MealOrder)).one()
        assert (order.count, order.meal_type, order.status) == (2, "dinner", "booked")
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
