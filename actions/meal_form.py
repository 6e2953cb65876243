"""``validate_meal_form``: the meal order on rasa-sdk's ``FormValidationAction``.

Order slots (``actions.meal_slots``) and the elder's identity
(``actions.meal_identity``) each have an ``extract_`` and a ``validate_`` method.
"""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT
from rasa_sdk.types import DomainDict

from actions.forms import InterruptibleForm
from actions.meal_identity import MealIdentitySlots, identity_slots, needs_identity
from actions.meal_slots import ORDER_SLOTS, STOPPED, MealOrderSlots

__all__ = ["ORDER_SLOTS", "ValidateMealForm"]


class ValidateMealForm(MealIdentitySlots, MealOrderSlots, InterruptibleForm):
    """Date, meal, count, service mode, diet; who it is for; then a yes."""

    def name(self) -> str:
        return "validate_meal_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        slots = list(ORDER_SLOTS)
        if needs_identity(tracker):
            slots += identity_slots(tracker)
        return [*slots, "meal_confirmed"]

    async def next_requested_slot(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> EventType | None:
        if tracker.slots.get("meal_confirmed") == STOPPED:
            return SlotSet(REQUESTED_SLOT, None)  # given up: the form ends
        return await super().next_requested_slot(dispatcher, tracker, domain)
