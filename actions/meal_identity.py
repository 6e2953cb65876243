"""Who the meal is for, when the conversation does not say: name, phone, address.

Answers are read as answers: "赵大爷" is a name, "幺三七…" or "010-84561234" a
phone, "派出所后面的平房" an address. On the telephone the caller's own number
is offered for a yes or no; declined, the number is keyed in (``input: digits``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher as Dispatcher
from rasa_sdk.types import DomainDict

from actions.common import (
    db,
    entity_texts,
    find_elder,
    is_no,
    is_yes,
    settings,
    text_of,
    who,
)
from actions.forms import keep_or_retry
from assistant.services import cn_contact
from assistant.services.elders import bind_with_code, normalize_phone

CODE_PREFIX = "code:"


def needs_identity(tracker: Tracker) -> bool:
    """Neither a bound elder nor a caller id that names one."""
    if tracker.get_slot("elder_id"):
        return False
    with db() as session:
        return find_elder(session, tracker) is None


def identity_slots(tracker: Tracker) -> list[str]:
    """The questions that identify the elder, in the order they are asked."""
    w = who(tracker)
    slots = ["elder_name"]
    if w.channel == "phone" and w.caller_phone:
        slots.append("use_caller_phone")
    slots.append("elder_phone")
    if tracker.get_slot("meal_mode") == "delivery":
        slots.append("elder_address")
    return slots


def _asked(tracker: Tracker, *slots: str) -> bool:
    return tracker.get_slot("requested_slot") in slots


def _parsed(tracker: Tracker, entity: str, parse: Any, *, text_first: bool) -> Any:
    texts = entity_texts(tracker, entity)
    candidates = (
        [text_of(tracker), *texts] if text_first else [*texts, text_of(tracker)]
    )
    for candidate in candidates:
        value = parse(candidate)
        if value:
            return value
    return None


class MealIdentitySlots:
    """``extract_``/``validate_`` methods for the elder's name, phone and address."""

    def extract_elder_name(
        self, dispatcher: Dispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if not _asked(tracker, "elder_name"):
            return {}
        name = _parsed(tracker, "person_name", cn_contact.parse_name, text_first=True)
        if name:
            return {"elder_name": name}
        code = cn_contact.binding_code(text_of(tracker))
        return {"elder_name": CODE_PREFIX + code if code else None}

    def validate_elder_name(
        self, value: Any, dispatcher: Dispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A name is kept; a binding code links this user to the elder it names."""
        if value is None:
            dispatcher.utter_message(response="utter_elder_name_retry")
            return {"elder_name": None}
        if not str(value).startswith(CODE_PREFIX):
            return {"elder_name": value}
        w = who(tracker)
        with db() as session:
            elder = bind_with_code(
                session,
                channel=w.channel,
                user_id=w.user_id,
                code=str(value)[len(CODE_PREFIX) :],
                settings=settings(),
            )
            elder_id = elder.id if elder else None
        if elder_id is None:
            dispatcher.utter_message(response="utter_binding_code_unknown")
            return {"elder_name": None}
        return {"elder_name": None, "elder_id": str(elder_id)}

    def extract_use_caller_phone(
        self, dispatcher: Dispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if not _asked(tracker, "use_caller_phone"):
            return {}
        if cn_contact.parse_phone(text_of(tracker)) or is_no(tracker):
            return {"use_caller_phone": "no"}
        return {"use_caller_phone": "yes" if is_yes(tracker) else None}

    def validate_use_caller_phone(
        self, value: Any, dispatcher: Dispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Yes takes the number the call comes from; no asks for keyed digits."""
        if value == "yes":
            return {"use_caller_phone": "yes", "elder_phone": who(tracker).caller_phone}
        if value is None:
            dispatcher.utter_message(response="utter_meal_retry")
        return {"use_caller_phone": value}

    def extract_elder_phone(
        self, dispatcher: Dispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if not _asked(tracker, "elder_phone", "use_caller_phone"):
            return {}
        phone = _parsed(tracker, "phone", cn_contact.parse_phone, text_first=False)
        if phone:
            return {"elder_phone": phone}
        return {"elder_phone": None} if _asked(tracker, "elder_phone") else {}

    def validate_elder_phone(
        self, value: Any, dispatcher: Dispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            dispatcher.utter_message(response="utter_phone_retry")
            return {"elder_phone": None}
        return {"elder_phone": normalize_phone(str(value))}

    def extract_elder_address(
        self, dispatcher: Dispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if not _asked(tracker, "elder_address"):
            return {}
        address = _parsed(tracker, "address", cn_contact.parse_address, text_first=True)
        return {"elder_address": address}

    validate_elder_address = keep_or_retry("elder_address", "utter_address_retry")


class _AskByChannel(Action, ABC):
    """A form question said one way on the telephone and another elsewhere."""

    #: (response on the telephone, response on other channels)
    responses: tuple[str, str]

    @abstractmethod
    def name(self) -> str:
        """``action_ask_<slot>``."""

    async def run(
        self, dispatcher: Dispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        on_phone, elsewhere = self.responses
        phone = who(tracker).channel == "phone"
        dispatcher.utter_message(response=on_phone if phone else elsewhere)
        return []


class ActionAskElderName(_AskByChannel):
    """Ask for the name; binding codes only where families chat."""

    responses = ("utter_ask_elder_name_phone", "utter_ask_elder_name")

    def name(self) -> str:
        return "action_ask_elder_name"


class ActionAskElderPhone(_AskByChannel):
    """Ask for the phone: keyed digits on the telephone, typed elsewhere."""

    responses = ("utter_ask_elder_phone_keypad", "utter_ask_elder_phone")

    def name(self) -> str:
        return "action_ask_elder_phone"
