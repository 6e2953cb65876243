"""Cancelling a meal: ``cancel_form`` picks the order, the cut-off is honoured."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher as Dispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.common import db, find_elder, is_no, is_yes, settings, text_of, who
from actions.forms import InterruptibleForm, keep_or_retry
from actions.meal_orders import order_lines
from assistant.db import MealOrder
from assistant.services import cn_parse, meals

logger = logging.getLogger(__name__)

KEEP = "keep"  # cancel_choice when the user decides to keep the order


def _upcoming(tracker: Tracker) -> list[MealOrder]:
    w = who(tracker)
    with db() as session:
        elder = find_elder(session, tracker)
        return meals.upcoming_orders(
            session=session,
            settings=settings(),
            user_id=w.user_id,
            elder_id=elder.id if elder else None,
        )


def pick(orders: list[MealOrder], text: str, *, yes: bool) -> MealOrder | None:
    """The order a reply points to: its number, its date/meal, or yes to the only one."""
    if len(orders) == 1 and yes:
        return orders[0]
    today = meals.local_now(settings()).date()
    day = cn_parse.parse_date(text, today=today)
    kind = cn_parse.parse_meal_type(text)
    matches = [
        o
        for o in orders
        if (day is None or o.meal_date == day) and (kind is None or o.meal_type == kind)
    ]
    if (day or kind) and len(matches) == 1:
        return matches[0]
    number = cn_parse.ordinal(text)
    if number and 1 <= number <= len(orders):
        return orders[number - 1]
    return None


class ValidateCancelForm(InterruptibleForm):
    """Finds which order to cancel from any kind of answer."""

    def name(self) -> str:
        return "validate_cancel_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: Dispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        return ["cancel_choice"] if _upcoming(tracker) else []

    def extract_cancel_choice(
        self, dispatcher: Dispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        asked = tracker.get_slot("requested_slot") == "cancel_choice"
        if tracker.get_slot("cancel_choice") and not asked:
            return {}
        choice = pick(
            _upcoming(tracker), text_of(tracker), yes=asked and is_yes(tracker)
        )
        if choice is not None:
            return {"cancel_choice": str(choice.id)}
        if not asked:
            return {}
        return {"cancel_choice": KEEP if is_no(tracker) else None}

    validate_cancel_choice = keep_or_retry("cancel_choice", "utter_meal_retry")


class ActionAskCancelChoice(Action):
    """List the orders and ask which one to cancel."""

    def name(self) -> str:
        return "action_ask_cancel_choice"

    async def run(
        self, dispatcher: Dispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        orders = _upcoming(tracker)
        response = "utter_cancel_one" if len(orders) == 1 else "utter_cancel_which"
        dispatcher.utter_message(response=response, orders=order_lines(orders))
        return []


class ActionCancelMeal(Action):
    """Cancel the chosen order if the cut-off allows it."""

    def name(self) -> str:
        return "action_cancel_meal"

    async def run(
        self, dispatcher: Dispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        choice = tracker.get_slot("cancel_choice")
        reset: list[EventType] = [SlotSet("cancel_choice", None)]
        if not choice:
            dispatcher.utter_message(response="utter_meal_none")
            return reset
        if choice == KEEP:
            dispatcher.utter_message(response="utter_cancel_kept")
            return reset
        conf = settings()
        try:
            with db() as session:
                done = meals.cancel_order(
                    session=session, settings=conf, order_id=int(choice)
                )
                line = order_lines([done.order])[3:] if done.order else ""
        except SQLAlchemyError:
            logger.error("meal order %s: cancelling failed", choice, exc_info=True)
            dispatcher.utter_message(response="utter_cancel_failed")
            return reset
        if done.outcome == "not_found":
            dispatcher.utter_message(response="utter_meal_none")
        elif done.outcome == "too_late":
            dispatcher.utter_message(
                response="utter_cancel_too_late", cutoff=conf.meal_cutoff_minutes
            )
        else:
            logger.info("meal order %s cancelled", choice)
            dispatcher.utter_message(response="utter_cancel_done", order=line)
        return reset
