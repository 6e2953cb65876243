"""Meal read-back, saving after a yes, and checking upcoming orders."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from actions.common import db, find_elder, settings, who
from actions.meal_slots import ORDER_SLOTS
from assistant.services import meals
from assistant.services.elders import register_unverified

logger = logging.getLogger(__name__)

RESET = (
    *ORDER_SLOTS,
    "meal_confirmed",
    "meal_changing",
    "meal_alt",
    "elder_name",
    "use_caller_phone",
    "elder_phone",
    "elder_address",
)


def summary(tracker: Tracker) -> str:
    """The order in the slots as one sentence."""
    today = meals.local_now(settings()).date()
    return meals.describe(
        dt.date.fromisoformat(str(tracker.get_slot("meal_date"))),
        str(tracker.get_slot("meal_kind")),
        int(tracker.get_slot("meal_count") or 1),
        str(tracker.get_slot("meal_mode")),
        tracker.get_slot("meal_diet"),
        today=today,
    )


class ActionAskMealDate(Action):
    """Ask for the date unless an alternative was just offered."""

    def name(self) -> str:
        return "action_ask_meal_date"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if not tracker.get_slot("meal_alt"):
            dispatcher.utter_message(response="utter_ask_meal_date")
        return []


class ActionAskMealConfirmed(Action):
    """Read the whole order back in one sentence and ask for a yes."""

    def name(self) -> str:
        return "action_ask_meal_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if not tracker.get_slot("meal_changing"):
            dispatcher.utter_message(
                response="utter_meal_readback", order=summary(tracker)
            )
        return []


class ActionMealSave(Action):
    """Save the order after a yes (rules checked again), or say nothing was booked."""

    def name(self) -> str:
        return "action_meal_save"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reset: list[EventType] = [SlotSet(s, None) for s in RESET]
        if tracker.get_slot("meal_confirmed") != "yes":
            dispatcher.utter_message(response="utter_meal_not_booked")
            return reset
        conf, w = settings(), who(tracker)
        day = dt.date.fromisoformat(str(tracker.get_slot("meal_date")))
        meal, count = (
            str(tracker.get_slot("meal_kind")),
            int(tracker.get_slot("meal_count")),
        )
        try:
            with db() as session:
                if not meals.check_order(
                    session=session, settings=conf, day=day, meal=meal, count=count
                ).ok:
                    dispatcher.utter_message(response="utter_meal_rule_changed")
                    return reset
                elder_id = _elder_id(session, tracker)
                order = meals.create_order(
                    session=session,
                    elder_id=elder_id,
                    user_id=w.user_id,
                    channel=w.channel,
                    day=day,
                    meal=meal,
                    count=count,
                    mode=str(tracker.get_slot("meal_mode")),
                    diet=tracker.get_slot("meal_diet"),
                )
                order_id = order.id
        except SQLAlchemyError:
            logger.error("meal order could not be saved", exc_info=True)
            dispatcher.utter_message(response="utter_meal_failed")
            return reset
        logger.info("meal order %s booked", order_id)
        dispatcher.utter_message(
            response="utter_meal_booked", order=summary(tracker), order_id=order_id
        )
        events = [*reset, SlotSet("last_meal_order_id", str(order_id))]
        return events + ([SlotSet("elder_id", str(elder_id))] if elder_id else [])


def _elder_id(session: Session, tracker: Tracker) -> int | None:
    """The elder of this order; a profile from the form's answers if unknown."""
    elder = find_elder(session, tracker)
    if elder is not None:
        return elder.id
    name, phone = tracker.get_slot("elder_name"), tracker.get_slot("elder_phone")
    if not (name and phone):
        return None
    w = who(tracker)
    return register_unverified(
        session,
        channel=w.channel,
        user_id=w.user_id,
        name=str(name),
        phone=str(phone),
        address=tracker.get_slot("elder_address"),
    ).id


def order_lines(orders: list[Any]) -> str:
    """Numbered orders for listing: '1. 明天11月24日（周二）午餐2份，送餐到家'."""
    today = meals.local_now(settings()).date()
    return "；".join(
        f"{i}. "
        + meals.describe(
            o.meal_date, o.meal_type, o.count, o.service_mode, o.diet_notes, today=today
        )
        for i, o in enumerate(orders, 1)
    )


class ActionCheckMeal(Action):
    """List the upcoming orders of this user or elder."""

    def name(self) -> str:
        return "action_check_meal"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        w = who(tracker)
        with db() as session:
            elder = find_elder(session, tracker)
            orders = meals.upcoming_orders(
                session=session,
                settings=settings(),
                user_id=w.user_id,
                elder_id=elder.id if elder else None,
            )
            lines = order_lines(orders)
        if not orders:
            dispatcher.utter_message(response="utter_meal_none")
        else:
            dispatcher.utter_message(
                response="utter_meal_list", orders=lines, count=len(orders)
            )
        return []
