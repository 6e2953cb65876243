"""``action_report_emergency``: the row first, then alerts, then a short reply."""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.common import db, find_elder, service_number, settings, text_of, who
from assistant.services.emergencies import alert_emergency, record_emergency
from nlu.emergency_guard import detect_emergency


def _emergency_type(tracker: Tracker) -> str | None:
    """The NLU entity, else what the emergency guard recognises in the words."""
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == "emergency_type":
            return str(entity.get("value"))
    match = detect_emergency(text_of(tracker))
    return match.emergency_type if match else None


logger = logging.getLogger(__name__)


class ActionReportEmergency(Action):
    """Record the emergency, queue the alerts, reply in two short sentences."""

    def name(self) -> str:
        return "action_report_emergency"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        w = who(tracker)
        emergency_id: int | None = None
        try:
            with db() as session:
                elder = find_elder(session, tracker)
                emergency = record_emergency(
                    session,
                    user_id=w.user_id,
                    channel=w.channel,
                    utterance=text_of(tracker),
                    emergency_type=_emergency_type(tracker),
                    caller_phone=w.caller_phone,
                    elder=elder,
                )
                emergency_id = emergency.id
                session.commit()  # the report is safe before anything else happens
                alert_emergency(session, settings(), emergency)
        except SQLAlchemyError:
            logger.error(
                "emergency %s: recording or alerting failed",
                emergency_id,
                exc_info=True,
            )
        logger.warning("emergency %s reported on %s", emergency_id, w.channel)
        dispatcher.utter_message(
            response="utter_emergency_alerted", ambulance=service_number("急救")
        )
        events: list[EventType] = [SlotSet("emergency_id", str(emergency_id or ""))]
        if tracker.active_loop.get("name"):
            events += [ActiveLoop(None), SlotSet("requested_slot", None)]
        return events
