"""``action_report_emergency``: the emergency service records and alerts; the
reply says only what was done."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import settings, text_of, who
from assistant.services.emergencies import emergency_reply, report_emergency
from nlu.emergency_guard import detect_emergency

# The elder-mode voice of the domain's responses (utter_emergency_* in dialogues.yml).
ELDER_VOICE = {"rate": 130, "volume": 1.0}


def _emergency_type(tracker: Tracker) -> str | None:
    """The NLU entity, else what the emergency guard recognises in the words."""
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == "emergency_type":
            return str(entity.get("value"))
    match = detect_emergency(text_of(tracker))
    return match.emergency_type if match else None


class ActionReportEmergency(Action):
    """Report through the one emergency service, then reply honestly."""

    def name(self) -> str:
        return "action_report_emergency"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        w = who(tracker)
        config = settings()
        # Actions run in the action server's worker threads: blocking is fine here.
        report = report_emergency(
            config,
            user_id=w.user_id,
            channel=w.channel,
            text=text_of(tracker),
            emergency_type=_emergency_type(tracker),
            caller_phone=w.caller_phone,
        )
        text = emergency_reply(report, config)
        if config.duty_phone:
            text += "要我帮您接通值班人员吗？"
        if tracker.get_slot("elder_mode"):
            dispatcher.utter_message(
                json_message={
                    "text": text,
                    "voice": ELDER_VOICE,
                    "large_text": True,
                    "elder_mode": True,
                }
            )
        else:
            dispatcher.utter_message(text=text)
        events: list[EventType] = [
            SlotSet("emergency_id", str(report.emergency_id or ""))
        ]
        if tracker.active_loop.get("name"):
            events += [ActiveLoop(None), SlotSet("requested_slot", None)]
        return events
