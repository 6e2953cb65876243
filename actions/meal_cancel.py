"""Cancelling a meal: ``cancel_form`` picks the order, the cut-off is honoured."""

from __future__ import annotations

import logging
import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.common import (
    db,
    find_elder,
    interrupts,
    is_no,
    is_yes,
    settings,
    text_of,
    who,
)
from actions.meal_orders import order_lines
from assistant.db import MealOrder
from assistant.services import cn_parse, meals

logger = logging.getLogger(__name__)

_ORDINAL = re.compile(r"第?\s*(\d{1,2})\s*[个份条]?")


def _upcoming(tracker: Tracker) -> list[MealOrder]:
    w = who(tracker)
    with db() as session:
        elder = find_elder(session, tracker)
        return meals.upcoming_orders(
            session, settings(), user_id=w.user_id, elder_id=elder.id if elder else None
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
    number = _ORDINAL.search(cn_parse._digits(text))
    if number and 1 <= int(number.group(1)) <= len(orders):
        return orders[int(number.group(1)) - 1]
    return None


class ValidateCancelForm(FormValidationAction):
    """Finds which order to cancel from any kind of answer."""

    def name(self) -> str:
        return "validate_cancel_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        return ["cancel_choice"] if _upcoming(tracker) else []

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if interrupts(tracker):
            return []
        orders = _upcoming(tracker)
        if not orders:
            return [SlotSet("requested_slot", None)]
        text = text_of(tracker)
        choice = pick(orders, text, yes=is_yes(tracker))
        if choice is not None:
            return [
                SlotSet("cancel_choice", str(choice.id)),
                SlotSet("requested_slot", None),
            ]
        if tracker.get_slot("requested_slot") == "cancel_choice":
            if is_no(tracker):
                return [
                    SlotSet("cancel_choice", "keep"),
                    SlotSet("requested_slot", None),
                ]
            dispatcher.utter_message(response="utter_meal_retry")
        return [
            SlotSet("cancel_choice", None),
            SlotSet("requested_slot", "cancel_choice"),
        ]


class ActionAskCancelChoice(Action):
    """List the orders and ask which one to cancel."""

    def name(self) -> str:
        return "action_ask_cancel_choice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        orders = _upcoming(tracker)
        if len(orders) == 1:
            dispatcher.utter_message(
                response="utter_cancel_one", orders=order_lines(orders)
            )
        else:
            dispatcher.utter_message(
                response="utter_cancel_which", orders=order_lines(orders)
            )
        return []


class ActionCancelMeal(Action):
    """Cancel the chosen order if the cut-off allows it."""

    def name(self) -> str:
        return "action_cancel_meal"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        choice = tracker.get_slot("cancel_choice")
        reset: list[EventType] = [SlotSet("cancel_choice", None)]
        if not choice:
            dispatcher.utter_message(response="utter_meal_none")
            return reset
        if choice == "keep":
            dispatcher.utter_message(response="utter_cancel_kept")
            return reset
        with db() as session:
            order = session.get(MealOrder, int(choice))
            if order is None or order.status != "booked":
                dispatcher.utter_message(response="utter_meal_none")
                return reset
            if not meals.can_cancel(settings(), order):
                dispatcher.utter_message(
                    response="utter_cancel_too_late",
                    cutoff=settings().meal_cutoff_minutes,
                )
                return reset
            meals.cancel_order(session, order)
            line = order_lines([order])[3:]
        logger.info("meal order %s cancelled", choice)
        dispatcher.utter_message(response="utter_cancel_done", order=line)
        return reset
