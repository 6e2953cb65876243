"""What our forms add to rasa-sdk's ``FormValidationAction``: interruptions, retries.

Slots are filled by ``extract_<slot>`` and checked by ``validate_<slot>``; the SDK
asks for the next missing slot. ``run`` only decides whether the latest message
leaves the form (an emergency, a request for a person, ...). If it does, the form
fills nothing, Rasa rejects it and the rules in ``dialogues_rules.yml`` take over.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher as Dispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction
from rasa_sdk.types import DomainDict

from actions.common import answering, interrupts


class InterruptibleForm(FormValidationAction):
    """A form whose answers are answers; only real interruptions step out."""

    @abstractmethod
    def name(self) -> str:
        """``validate_<form name>``."""

    def answers(
        self, dispatcher: Dispatcher, tracker: Tracker, domain: DomainDict
    ) -> bool:
        """Whether the latest message fills the slot the form asked for."""
        requested = tracker.get_slot(REQUESTED_SLOT)
        extract = getattr(self, f"extract_{requested}", None) if requested else None
        if extract is None:
            return False
        found: dict[str, Any] = extract(dispatcher, tracker, domain)
        return found.get(requested) is not None

    async def run(
        self, dispatcher: Dispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if not answering(tracker, self.form_name()):
            # Back from a repeat or elder mode: ask again, read nothing.
            following = await self.next_requested_slot(dispatcher, tracker, domain)
            return [following] if following else []
        asked = tracker.get_slot(REQUESTED_SLOT)
        if asked and interrupts(
            tracker, answered=self.answers(dispatcher, tracker, domain)
        ):
            return []
        return await super().run(dispatcher, tracker, domain)


def retry(dispatcher: Dispatcher, tracker: Tracker, response: str) -> None:
    """Say the answer was not understood, unless it filled another slot."""
    if not any(v is not None for v in tracker.slots_to_validate().values()):
        dispatcher.utter_message(response=response)


def keep_or_retry(slot: str, response: str) -> Callable[..., dict[str, Any]]:
    """A ``validate_<slot>`` that keeps what was extracted, or asks again on nothing."""

    def validate(
        form: Any, value: Any, dispatcher: Dispatcher, tracker: Tracker, domain: Any
    ) -> dict[str, Any]:
        if value is None:
            retry(dispatcher, tracker, response)
        return {slot: value}

    validate.__name__ = validate.__qualname__ = f"validate_{slot}"
    return validate
