"""Anti-fraud alert subscription per channel; unsubscribing takes effect at once."""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.common import Who, db, find_elder, who
from actions.messages import CHANNEL_LABELS
from assistant.db import Elder
from assistant.services.alerts import subscribe, unsubscribe

logger = logging.getLogger(__name__)


def addresses(w: Who, elder: Elder | None) -> dict[str, str]:
    """Where this user can be reached: {channel: address}."""
    found: dict[str, str] = {}
    phone = w.caller_phone or (elder.phone if elder else None)
    if w.channel == "web":
        found["chat"] = w.user_id
    if phone:
        found["sms"] = phone
        if w.channel == "phone":
            found["call"] = phone
    return found


class ActionSubscribeAlerts(Action):
    """Record consent on every channel this user can be reached on."""

    def name(self) -> str:
        return "action_subscribe_alerts"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        w = who(tracker)
        try:
            with db() as session:
                elder = find_elder(session, tracker)
                targets = addresses(w, elder)
                for channel, address in targets.items():
                    subscribe(
                        session,
                        channel=channel,
                        address=address,
                        elder_id=elder.id if elder else None,
                    )
        except SQLAlchemyError:
            logger.error("alert subscription failed", exc_info=True)
            dispatcher.utter_message(response="utter_alerts_failed")
            return []
        logger.info("alerts subscribed on %s", sorted(targets))
        labels = "、".join(CHANNEL_LABELS[c] for c in targets)
        dispatcher.utter_message(response="utter_alerts_subscribed", channels=labels)
        return []


class ActionUnsubscribeAlerts(Action):
    """Revoke consent on every channel of this user, now."""

    def name(self) -> str:
        return "action_unsubscribe_alerts"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        w = who(tracker)
        try:
            with db() as session:
                elder = find_elder(session, tracker)
                targets = addresses(w, elder)
                if elder is not None and elder.phone:
                    targets.setdefault("sms", elder.phone)
                    targets.setdefault("call", elder.phone)
                revoked = unsubscribe(session, addresses=targets)
        except SQLAlchemyError:
            logger.error("alert unsubscription failed", exc_info=True)
            dispatcher.utter_message(response="utter_alerts_failed")
            return []
        logger.info("alerts revoked: %s", len(revoked))
        dispatcher.utter_message(response="utter_alerts_unsubscribed")
        return []
