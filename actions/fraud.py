"""Fraud check: firm, simple advice; the report recorded; family alerted if agreed."""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
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
    service_number,
    text_of,
    who,
)
from assistant.db import FraudReport
from assistant.services.fraud import alert_family, record_report

logger = logging.getLogger(__name__)

NO_FAMILY = "no_family"  # slot value: no contact on file, nothing to ask


class ActionFraudCheck(Action):
    """Record the report and give the advice for its pattern."""

    def name(self) -> str:
        return "action_fraud_check"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        w = who(tracker)
        with db() as session:
            elder = find_elder(session, tracker)
            report = record_report(
                session,
                user_id=w.user_id,
                channel=w.channel,
                elder_id=elder.id if elder else None,
                utterance=text_of(tracker),
            )
            report_id, pattern = report.id, report.pattern or "general"
            has_family = bool(elder and elder.family_contacts)
        logger.info("fraud report %s pattern %s", report_id, pattern)
        dispatcher.utter_message(
            response=f"utter_fraud_{pattern}",
            police=service_number("报警"),
            antifraud=service_number("反诈"),
        )
        if not has_family:
            dispatcher.utter_message(response="utter_fraud_tell_family")
        return [
            SlotSet("fraud_report_id", str(report_id)),
            SlotSet("fraud_has_family", has_family),
            # Filled now, the form finds nothing to ask when there is no family.
            SlotSet("fraud_alert_family", None if has_family else NO_FAMILY),
        ]


class ValidateFraudForm(FormValidationAction):
    """Asks whether to alert the family, only when there is a family contact."""

    def name(self) -> str:
        return "validate_fraud_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        return ["fraud_alert_family"] if tracker.get_slot("fraud_has_family") else []

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if interrupts(tracker):
            return []
        if not tracker.get_slot("fraud_has_family"):
            # Nobody to alert: fill the slot so the form ends without asking
            # (Rasa would otherwise ask for the domain's required slot).
            return [
                SlotSet("fraud_alert_family", NO_FAMILY),
                SlotSet("requested_slot", None),
            ]
        if tracker.get_slot("requested_slot") != "fraud_alert_family":
            return [SlotSet("requested_slot", "fraud_alert_family")]
        done = SlotSet("requested_slot", None)
        if is_yes(tracker):
            return [SlotSet("fraud_alert_family", "yes"), done]
        if is_no(tracker):
            return [SlotSet("fraud_alert_family", "no"), done]
        dispatcher.utter_message(response="utter_yes_or_no")
        return [
            SlotSet("fraud_alert_family", None),
            SlotSet("requested_slot", "fraud_alert_family"),
        ]


class ActionFraudSubmit(Action):
    """Alert the family when the elder agreed."""

    def name(self) -> str:
        return "action_fraud_submit"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reset: list[EventType] = [SlotSet("fraud_alert_family", None)]
        if tracker.get_slot("fraud_alert_family") != "yes":
            if tracker.get_slot("fraud_alert_family") == "no":
                dispatcher.utter_message(response="utter_fraud_family_not_alerted")
            return reset
        with db() as session:
            report = session.get(FraudReport, int(tracker.get_slot("fraud_report_id")))
            if report is None:
                return reset
            count = alert_family(session, report)
        dispatcher.utter_message(
            response="utter_fraud_family_alerted"
            if count
            else "utter_fraud_tell_family"
        )
        return reset
