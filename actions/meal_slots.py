"""The order slots of ``meal_form``: one ``extract_`` and one ``validate_`` per slot.

Extraction takes the answer to the question asked from the NLU entities or the
words themselves, and fills any other empty order slot the same sentence names
("明天中午给我送两份午饭到家，少放点盐" fills all five). At the read-back,
named details replace the old ones. Validation applies the station's rules.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher as Dispatcher
from rasa_sdk.types import DomainDict

from actions.common import (
    db,
    entity_texts,
    intent_of,
    is_no,
    is_yes,
    settings,
    text_of,
    wants_stop,
)
from actions.forms import keep_or_retry, retry
from actions.lexicon import FIELD_WORDS, INTERRUPTS
from assistant.services import cn_parse, meals

ORDER_SLOTS = ("meal_date", "meal_kind", "meal_count", "meal_mode", "meal_diet")
RULE_SLOTS = ("meal_date", "meal_kind", "meal_count")
STOPPED = "cancelled"  # meal_confirmed when the user gives up


def today() -> dt.date:
    """Today at the station."""
    return meals.local_now(settings()).date()


def parse_order(text: str) -> dict[str, str]:
    """Every order detail a sentence names, as slot values (no bare numbers)."""
    found: dict[str, str] = {}
    day = cn_parse.parse_date(text, today=today())
    if day:
        found["meal_date"] = day.isoformat()
    for slot, value in (
        ("meal_kind", cn_parse.parse_meal_type(text)),
        ("meal_mode", cn_parse.parse_service_mode(text)),
        ("meal_diet", cn_parse.parse_diet(text)),
    ):
        if value:
            found[slot] = value
    count = cn_parse.parse_count(text, bare=False)
    if count:
        found["meal_count"] = str(count)
    return found


def _open_for(tracker: Tracker, slot: str) -> bool:
    """This turn may fill ``slot``: it was asked, it is empty, or the order is read back."""
    requested = tracker.get_slot("requested_slot")
    return requested in (slot, "meal_confirmed") or tracker.get_slot(slot) is None


def _first(tracker: Tracker, entity: str, parse: Any) -> Any:
    """The first value ``parse`` finds in the entity texts, then in the whole text."""
    for candidate in (*entity_texts(tracker, entity), text_of(tracker)):
        value = parse(candidate)
        if value:
            return value
    return None


def _missing(tracker: Tracker, slot: str) -> dict[str, Any]:
    """Nothing found: ``None`` for the slot asked (validation says so), else nothing."""
    return {slot: None} if tracker.get_slot("requested_slot") == slot else {}


class MealOrderSlots:
    """``extract_``/``validate_`` methods for the date, meal, count, mode and diet."""

    def extract_meal_date(
        self, dispatcher: Dispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if not _open_for(tracker, "meal_date"):
            return {}
        day = _first(tracker, "date", lambda t: cn_parse.parse_date(t, today=today()))
        if day:
            return {"meal_date": day.isoformat()}
        alt = tracker.get_slot("meal_alt")
        if (
            alt
            and tracker.get_slot("requested_slot") == "meal_date"
            and is_yes(tracker)
        ):
            alt_day, alt_meal = str(alt).split("|")
            return {"meal_date": alt_day, "meal_kind": alt_meal}
        return _missing(tracker, "meal_date")

    def extract_meal_kind(
        self, dispatcher: Dispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if not _open_for(tracker, "meal_kind"):
            return {}
        kind = _first(tracker, "meal_type", cn_parse.parse_meal_type)
        return {"meal_kind": kind} if kind else _missing(tracker, "meal_kind")

    def extract_meal_count(
        self, dispatcher: Dispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if not _open_for(tracker, "meal_count"):
            return {}
        asked = tracker.get_slot("requested_slot") == "meal_count"
        count = _first(tracker, "count", lambda t: cn_parse.parse_count(t, bare=asked))
        return {"meal_count": str(count)} if count else _missing(tracker, "meal_count")

    def extract_meal_mode(
        self, dispatcher: Dispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if not _open_for(tracker, "meal_mode"):
            return {}
        mode = _first(tracker, "service_mode", cn_parse.parse_service_mode)
        if mode:
            return {"meal_mode": mode}
        if tracker.get_slot("requested_slot") == "meal_mode" and is_no(tracker):
            return {"meal_mode": "dine_in"}  # "送到家吗？" "不用"
        return _missing(tracker, "meal_mode")

    def extract_meal_diet(
        self, dispatcher: Dispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if not _open_for(tracker, "meal_diet"):
            return {}
        diet = _first(tracker, "diet", cn_parse.parse_diet)
        if diet:
            return {"meal_diet": diet}
        text = text_of(tracker).strip()
        if tracker.get_slot("requested_slot") != "meal_diet" or not text:
            return {}
        if cn_parse.says_no_diet(text):
            return {"meal_diet": "无"}
        # Any other words are a note for the kitchen, unless they are something else.
        return {"meal_diet": None if intent_of(tracker) in INTERRUPTS else text[:50]}

    def extract_meal_confirmed(
        self, dispatcher: Dispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        requested = tracker.get_slot("requested_slot")
        if requested and wants_stop(tracker):
            return {"meal_confirmed": STOPPED}
        if requested != "meal_confirmed":
            return {}
        text = text_of(tracker)
        if parse_order(text) or any(
            word in text for words in FIELD_WORDS.values() for word in words
        ):
            return {"meal_confirmed": "edit"}
        if is_no(tracker):
            return {"meal_confirmed": "no"}
        if is_yes(tracker):
            return {"meal_confirmed": "yes"}
        return {"meal_confirmed": None}

    def validate_meal_date(
        self, value: Any, dispatcher: Dispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._validate_rule_slot("meal_date", value, dispatcher, tracker)

    def validate_meal_kind(
        self, value: Any, dispatcher: Dispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._validate_rule_slot("meal_kind", value, dispatcher, tracker)

    def validate_meal_count(
        self, value: Any, dispatcher: Dispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        max_count = settings().meal_max_count
        if value is not None and not 1 <= int(value) <= max_count:
            dispatcher.utter_message(
                response="utter_meal_too_many", max_count=max_count
            )
            return {"meal_count": None}
        return self._validate_rule_slot("meal_count", value, dispatcher, tracker)

    validate_meal_mode = keep_or_retry("meal_mode", "utter_meal_retry")
    validate_meal_diet = keep_or_retry("meal_diet", "utter_meal_retry")

    def validate_meal_confirmed(
        self, value: Any, dispatcher: Dispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Yes saves; changes are read back; '不对' asks what to change."""
        if value in ("yes", STOPPED):
            return {"meal_confirmed": value, "meal_changing": False}
        if value == "edit":
            text = text_of(tracker)
            named = [
                slot
                for slot, words in FIELD_WORDS.items()
                if slot not in parse_order(text) and any(w in text for w in words)
            ]
            return {"meal_confirmed": None, "meal_changing": False} | {
                slot: None for slot in named
            }
        if value == "no":
            dispatcher.utter_message(response="utter_meal_ask_change")
        else:
            dispatcher.utter_message(response="utter_meal_confirm_retry")
        return {"meal_confirmed": None, "meal_changing": True}

    def _validate_rule_slot(
        self,
        slot: str,
        value: Any,
        dispatcher: Dispatcher,
        tracker: Tracker,
    ) -> dict[str, Any]:
        """Keep the value; once the last of date/meal/count is in, apply the rules."""
        if value is None:
            if slot == "meal_date" and tracker.get_slot("meal_alt") and is_no(tracker):
                return {slot: None, "meal_alt": None}  # alternative declined: ask again
            retry(dispatcher, tracker, "utter_meal_retry")
            return {slot: None}
        changed = [s for s in tracker.slots_to_validate() if s in RULE_SLOTS]
        if changed and changed[-1] != slot:
            return {slot: value}
        order = {s: tracker.get_slot(s) for s in RULE_SLOTS} | {slot: value}
        return {slot: value, **station_rules(dispatcher, order)}


def station_rules(dispatcher: Dispatcher, order: dict[str, Any]) -> dict[str, Any]:
    """Check date and meal against the station's rules; offer the nearest meal."""
    if not (order.get("meal_date") and order.get("meal_kind")):
        return {}
    conf = settings()
    day = dt.date.fromisoformat(str(order["meal_date"]))
    with db() as session:
        verdict = meals.check_order(
            session=session,
            settings=conf,
            day=day,
            meal=str(order["meal_kind"]),
            count=int(order.get("meal_count") or 1),
        )
    if verdict.ok:
        return {"meal_alt": None}
    requested = meals.meal_label(day, str(order["meal_kind"]), today=today())
    dispatcher.utter_message(
        response=f"utter_meal_blocked_{verdict.reason}",
        requested=requested,
        cutoff=conf.meal_cutoff_minutes,
        days=conf.meal_days_ahead,
    )
    reset: dict[str, Any] = {"meal_date": None, "meal_kind": None, "meal_alt": None}
    if verdict.alternative is None:
        dispatcher.utter_message(response="utter_meal_no_alternative")
        return reset
    alt_day, alt_meal = verdict.alternative
    label = meals.meal_label(alt_day, alt_meal, today=today())
    dispatcher.utter_message(response="utter_meal_offer_alternative", alternative=label)
    return reset | {"meal_alt": f"{alt_day.isoformat()}|{alt_meal}"}
