"""``validate_meal_form``: fills the order from any sentence and applies station rules."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from rasa_sdk import Tracker
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
    wants_stop,
    who,
    with_next_slot,
)
from assistant.services import cn_parse, meals
from assistant.services.elders import bind_with_code, find_phone, register_unverified

ORDER_SLOTS = ("meal_date", "meal_kind", "meal_count", "meal_mode", "meal_diet")
FIELD_WORDS = {
    "meal_date": ("日期", "哪天", "哪一天", "时间", "日子"),
    "meal_kind": ("哪顿", "哪一顿", "餐次"),
    "meal_count": ("几份", "份数", "数量"),
    "meal_mode": ("方式", "送餐", "堂食", "自取"),
    "meal_diet": ("忌口", "口味", "备注", "要求"),
}
_CODE_RE = re.compile(r"[A-Za-z0-9]{6}")
_NAME_PREFIX = re.compile(r"^(我叫|我是|叫|姓名是?|名字是?|老人叫|他叫|她叫)")


def parse_order(text: str, *, today: dt.date) -> dict[str, str]:
    """Every order detail a sentence names, as slot values."""
    found: dict[str, str] = {}
    day = cn_parse.parse_date(text, today=today)
    if day:
        found["meal_date"] = day.isoformat()
    for slot, value in (
        ("meal_kind", cn_parse.parse_meal_type(text)),
        ("meal_mode", cn_parse.parse_service_mode(text)),
        ("meal_diet", cn_parse.parse_diet(text)),
    ):
        if value:
            found[slot] = value
    count = cn_parse.parse_count(text)
    if count:
        found["meal_count"] = str(count)
    return found


class ValidateMealForm(FormValidationAction):
    """Extracts, checks and corrects the meal order while the form runs."""

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
        if not tracker.get_slot("elder_id"):
            with db() as session:
                elder = find_elder(session, tracker)
            if elder is None:
                slots += ["elder_name", "elder_phone"]
        return [*slots, "meal_confirmed"]

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if interrupts(tracker):
            return []
        requested = tracker.get_slot("requested_slot")
        if requested and wants_stop(tracker):
            return [
                SlotSet("meal_confirmed", "cancelled"),
                SlotSet("requested_slot", None),
            ]
        if requested == "meal_confirmed":
            events = self._confirm(dispatcher, tracker)
        elif requested in ("elder_name", "elder_phone"):
            events = self._identity(dispatcher, tracker, requested)
        else:
            events = self._collect(dispatcher, tracker, requested)
        return await with_next_slot(self, events, dispatcher, tracker, domain)

    def _collect(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, requested: str | None
    ) -> list[EventType]:
        text = text_of(tracker)
        today = meals.local_now(settings()).date()
        found = parse_order(text, today=today)
        alt = tracker.get_slot("meal_alt")
        if alt and "meal_date" not in found and is_yes(tracker):
            found["meal_date"], found["meal_kind"] = alt.split("|")
        if requested == "meal_diet" and "meal_diet" not in found and text:
            found["meal_diet"] = "无" if cn_parse.says_no_diet(text) else text[:50]
        if requested == "meal_mode" and "meal_mode" not in found and is_no(tracker):
            found["meal_mode"] = "dine_in"
        new = {
            k: v for k, v in found.items() if k == requested or not tracker.get_slot(k)
        }
        merged = {s: tracker.get_slot(s) for s in ORDER_SLOTS} | new
        events: list[EventType] = [SlotSet(k, v) for k, v in new.items()]
        events += self._rules(dispatcher, merged)
        if (
            requested
            and requested not in new
            and not any(
                isinstance(e, dict) and e.get("name") == "meal_alt" and e.get("value")
                for e in events
            )
        ):
            dispatcher.utter_message(response="utter_meal_retry")
            events.append(SlotSet(requested, None))
        return events

    def _rules(
        self, dispatcher: CollectingDispatcher, order: dict[str, Any]
    ) -> list[EventType]:
        """Check the station rules once date, meal and count are known."""
        if (
            order.get("meal_count")
            and int(order["meal_count"]) > settings().meal_max_count
        ):
            dispatcher.utter_message(
                response="utter_meal_too_many", max_count=settings().meal_max_count
            )
            return [SlotSet("meal_count", None)]
        if not (order.get("meal_date") and order.get("meal_kind")):
            return []
        conf = settings()
        day = dt.date.fromisoformat(order["meal_date"])
        with db() as session:
            verdict = meals.check_order(
                session,
                conf,
                day=day,
                meal=order["meal_kind"],
                count=int(order.get("meal_count") or 1),
            )
        if verdict.ok:
            return [SlotSet("meal_alt", None)]
        today = meals.local_now(conf).date()
        requested = meals.day_label(day, today=today) + meals.MEAL_LABELS.get(
            order["meal_kind"], order["meal_kind"]
        )
        dispatcher.utter_message(
            response=f"utter_meal_blocked_{verdict.reason}",
            requested=requested,
            cutoff=conf.meal_cutoff_minutes,
            days=conf.meal_days_ahead,
        )
        events: list[EventType] = [
            SlotSet("meal_date", None),
            SlotSet("meal_kind", None),
        ]
        if verdict.alternative:
            alt_day, alt_meal = verdict.alternative
            label = meals.day_label(alt_day, today=today) + meals.MEAL_LABELS[alt_meal]
            dispatcher.utter_message(
                response="utter_meal_offer_alternative", alternative=label
            )
            events.append(SlotSet("meal_alt", f"{alt_day.isoformat()}|{alt_meal}"))
        else:
            dispatcher.utter_message(response="utter_meal_no_alternative")
            events.append(SlotSet("meal_alt", None))
        return events

    def _confirm(
        self, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> list[EventType]:
        """Yes saves; changes are applied and read back; '不对' asks what to change."""
        today = meals.local_now(settings()).date()
        found = parse_order(text_of(tracker), today=today)
        if not found and is_yes(tracker):
            return [SlotSet("meal_confirmed", "yes"), SlotSet("meal_changing", False)]
        if found:
            order = {s: tracker.get_slot(s) for s in ORDER_SLOTS} | found
            blocked = self._rules(dispatcher, order)
            if any(e.get("name") in ("meal_date", "meal_count") for e in blocked):
                return [*blocked, SlotSet("meal_confirmed", None)]
            return [SlotSet(k, v) for k, v in found.items()] + [
                SlotSet("meal_changing", False),
                SlotSet("meal_confirmed", None),
            ]
        text = text_of(tracker)
        for slot, words in FIELD_WORDS.items():
            if any(word in text for word in words):
                return [
                    SlotSet(slot, None),
                    SlotSet("meal_changing", False),
                    SlotSet("meal_confirmed", None),
                ]
        if is_no(tracker):
            dispatcher.utter_message(response="utter_meal_ask_change")
            return [SlotSet("meal_changing", True), SlotSet("meal_confirmed", None)]
        dispatcher.utter_message(response="utter_meal_confirm_retry")
        return [SlotSet("meal_changing", True), SlotSet("meal_confirmed", None)]

    def _identity(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, requested: str
    ) -> list[EventType]:
        """Binding code or name + phone; self-registrations stay unverified."""
        text = text_of(tracker).strip()
        w = who(tracker)
        with db() as session:
            code = _CODE_RE.search(text)
            elder = code and bind_with_code(
                session,
                channel=w.channel,
                user_id=w.user_id,
                code=code.group(0),
                settings=settings(),
            )
            if elder:
                return [
                    SlotSet("elder_id", str(elder.id)),
                    SlotSet("elder_name", "bound"),
                    SlotSet("elder_phone", "bound"),
                ]
            if requested == "elder_name":
                name = _NAME_PREFIX.sub("", re.sub(r"[，。,.!！\s]", "", text))
                if 1 <= len(name) <= 8 and not any(c.isdigit() for c in name):
                    return [SlotSet("elder_name", name)]
                dispatcher.utter_message(response="utter_meal_retry")
                return [SlotSet("elder_name", None)]
            phone = find_phone(text)
            if phone is None:
                dispatcher.utter_message(response="utter_phone_retry")
                return [SlotSet("elder_phone", None)]
            elder = register_unverified(
                session,
                channel=w.channel,
                user_id=w.user_id,
                name=str(tracker.get_slot("elder_name")),
                phone=phone,
            )
            return [SlotSet("elder_phone", "given"), SlotSet("elder_id", str(elder.id))]
