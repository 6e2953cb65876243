"""Fraud check: firm, simple advice; the report recorded; family alerted if agreed."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher as Dispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.common import (
    db,
    find_elder,
    is_no,
    is_yes,
    service_number,
    text_of,
    who,
)
from actions.forms import InterruptibleForm, keep_or_retry
from assistant.services.fraud import alert_family, record_report

logger = logging.getLogger(__name__)

NO_FAMILY = "no_family"  # slot value: no contact on file, nothing to ask


class ActionFraudCheck(Action):
    """Record the report and give the advice for its pattern."""

    def name(self) -> str:
        return "action_fraud_check"

    async def run(
        self, dispatcher: Dispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        w = who(tracker)
        report_id: int | None = None
        pattern, has_family = "general", False
        try:
            with db() as session:
                elder = find_elder(session, tracker)
                report = record_report(
                    session=session,
                    user_id=w.user_id,
                    channel=w.channel,
                    elder_id=elder.id if elder else None,
                    utterance=text_of(tracker),
                )
                report_id, pattern = report.id, report.pattern or "general"
                has_family = bool(elder and elder.family_contacts)
        except SQLAlchemyError:
            # The advice matters more than the record: give it anyway.
            logger.error("fraud report could not be saved", exc_info=True)
        logger.info("fraud report %s pattern %s", report_id, pattern)
        dispatcher.utter_message(
            response=f"utter_fraud_{pattern}",
            police=service_number("报警"),
            antifraud=service_number("反诈"),
        )
        if not has_family:
            dispatcher.utter_message(response="utter_fraud_tell_family")
        return [
            SlotSet("fraud_report_id", str(report_id) if report_id else None),
            SlotSet("fraud_has_family", has_family),
            # Filled now, the form finds nothing to ask when there is no family.
            SlotSet("fraud_alert_family", None if has_family else NO_FAMILY),
        ]


class ValidateFraudForm(InterruptibleForm):
    """Asks whether to alert the family, only when there is a family contact."""

    def name(self) -> str:
        return "validate_fraud_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: Dispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        return ["fraud_alert_family"] if tracker.get_slot("fraud_has_family") else []

    def extract_fraud_alert_family(
        self, dispatcher: Dispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "fraud_alert_family":
            return {}
        if is_no(tracker):
            return {"fraud_alert_family": "no"}
        return {"fraud_alert_family": "yes" if is_yes(tracker) else None}

    validate_fraud_alert_family = keep_or_retry("fraud_alert_family", "utter_yes_or_no")


class ActionFraudSubmit(Action):
    """Alert the family when the elder agreed."""

    def name(self) -> str:
        return "action_fraud_submit"

    async def run(
        self, dispatcher: Dispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reset: list[EventType] = [SlotSet("fraud_alert_family", None)]
        answer = tracker.get_slot("fraud_alert_family")
        if answer != "yes":
            if answer == "no":
                dispatcher.utter_message(response="utter_fraud_family_not_alerted")
            return reset
        report_id = tracker.get_slot("fraud_report_id")
        try:
            with db() as session:
                count = (
                    alert_family(session=session, report_id=int(report_id))
                    if report_id
                    else None
                )
        except SQLAlchemyError:
            logger.error(
                "fraud report %s: family alert failed", report_id, exc_info=True
            )
            count = None
        if count is None:
            dispatcher.utter_message(response="utter_fraud_alert_failed")
        elif count:
            dispatcher.utter_message(response="utter_fraud_family_alerted")
        else:
            dispatcher.utter_message(response="utter_fraud_tell_family")
        return reset
