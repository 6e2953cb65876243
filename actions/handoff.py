"""Hand-off to a person: on request, after repeated misunderstanding, or in a form."""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.common import db, find_elder, settings, text_of, who
from assistant.services.handoff import request_callback

logger = logging.getLogger(__name__)


def hand_off(
    dispatcher: CollectingDispatcher, tracker: Tracker, *, reason: str
) -> list[EventType]:
    """Record a call-back request and give the duty number from settings."""
    w = who(tracker)
    duty = settings().duty_phone
    try:
        with db() as session:
            elder = find_elder(session, tracker)
            request = request_callback(
                session,
                user_id=w.user_id,
                channel=w.channel,
                elder_id=elder.id if elder else None,
                phone=w.caller_phone or (elder.phone if elder else None),
                reason=f"{reason}: {text_of(tracker)}",
            )
            callback_id: int | None = request.id
    except SQLAlchemyError:
        logger.error("callback request (%s) not recorded", reason, exc_info=True)
        callback_id = None
    if callback_id is None:
        dispatcher.utter_message(response="utter_handoff_failed")
        if duty:
            dispatcher.utter_message(response="utter_duty_phone", duty_phone=duty)
    elif duty:
        logger.info("callback request %s (%s) on %s", callback_id, reason, w.channel)
        dispatcher.utter_message(response="utter_handoff_duty", duty_phone=duty)
    else:
        logger.info("callback request %s (%s) on %s", callback_id, reason, w.channel)
        dispatcher.utter_message(response="utter_handoff_callback")
    dispatcher.utter_message(json_message={"handoff": True, "callback_id": callback_id})
    events: list[EventType] = [SlotSet("fallback_count", 0.0)]
    if tracker.active_loop.get("name"):
        events += [ActiveLoop(None), SlotSet("requested_slot", None)]
    return events


class ActionHandoff(Action):
    """The user asked for a person."""

    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return hand_off(dispatcher, tracker, reason="requested")


class ActionUnderstandingFailed(Action):
    """Say we did not understand; after repeated failures hand off to a person."""

    def name(self) -> str:
        return "action_understanding_failed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        failures = int(tracker.get_slot("fallback_count") or 0) + 1
        if failures >= settings().handoff_after_failures:
            return hand_off(dispatcher, tracker, reason="not_understood")
        dispatcher.utter_message(response="utter_not_understood")
        return [SlotSet("fallback_count", float(failures))]


class ActionResetFailures(Action):
    """Reset the failure count once something was understood."""

    def name(self) -> str:
        return "action_reset_failures"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return [SlotSet("fallback_count", 0.0)]
