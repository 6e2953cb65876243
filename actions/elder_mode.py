"""Elder mode (short replies, slow speech, large text), session start, and repeat."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import db, find_elder, metadata, text_of
from actions.lexicon import ELDER_MODE_OFF_WORDS

REPEAT_VOICE = {"rate": 115, "volume": 1.0}


def elder_mode_default(tracker: Tracker) -> bool:
    """Metadata wins; hotline callers default to on; else the elder's preference."""
    meta = metadata(tracker)
    if isinstance(meta.get("elder_mode"), bool):
        return bool(meta["elder_mode"])
    if meta.get("channel") == "phone":
        return True
    with db() as session:
        elder = find_elder(session, tracker)
        return bool(elder and elder.elder_mode and elder.verified is not False)


class ActionSessionStart(Action):
    """Start a session carrying slots over, with elder mode set from the connector."""

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        carried = [
            SlotSet(key, value)
            for key, value in tracker.current_slot_values().items()
            if key == "elder_id"
        ]
        carried.append(SlotSet("session_started_metadata", metadata(tracker)))
        return [
            SessionStarted(),
            *carried,
            SlotSet("elder_mode", elder_mode_default(tracker)),
            ActionExecuted("action_listen"),
        ]


class ActionElderMode(Action):
    """Turn elder mode on (or off when asked to), and remember it for the elder."""

    def name(self) -> str:
        return "action_elder_mode"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        on = not any(word in text_of(tracker) for word in ELDER_MODE_OFF_WORDS)
        with db() as session:
            elder = find_elder(session, tracker)
            if elder is not None:
                elder.elder_mode = on
        name = "utter_elder_mode_on" if on else "utter_elder_mode_off"
        # The slot changes only after this action, so pick the elder variant here.
        variants = (domain.get("responses") or {}).get(name) or []
        slow = [v["custom"] for v in variants if on and v.get("condition")]
        if slow:
            dispatcher.utter_message(json_message=slow[0])
        else:
            dispatcher.utter_message(response=name)
        return [SlotSet("elder_mode", on)]


def last_bot_messages(tracker: Tracker) -> list[dict[str, Any]]:
    """The bot's messages of the previous turn (before the latest user message)."""
    turn: list[dict[str, Any]] = []
    seen_user = 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen_user += 1
            if seen_user == 2 or turn:
                break
        elif event.get("event") == "bot" and seen_user == 1:
            turn.insert(0, event)
    return turn


class ActionRepeat(Action):
    """Say the last reply again, slower and in large text."""

    def name(self) -> str:
        return "action_repeat"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        said = 0
        for event in last_bot_messages(tracker):
            custom = (event.get("data") or {}).get("custom") or {}
            text = event.get("text") or (
                custom.get("text") if isinstance(custom, dict) else ""
            )
            if text:
                dispatcher.utter_message(
                    json_message={
                        "text": text,
                        "voice": REPEAT_VOICE,
                        "large_text": True,
                        "repeat": True,
                    }
                )
                said += 1
        if not said:
            dispatcher.utter_message(response="utter_nothing_to_repeat")
        return []
