"""Anti-fraud alert subscription per channel; unsubscribing takes effect at once."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

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


class _ConsentAction(Action, ABC):
    """Find who is talking and where they can be reached, change their consent,
    and answer only once the change is committed."""

    action_name: str

    def name(self) -> str:
        return self.action_name

    @abstractmethod
    def change(
        self, session: Session, elder: Elder | None, targets: dict[str, str]
    ) -> dict[str, Any]:
        """Change consent for ``targets``; return the reply's ``utter_message`` args."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        w = who(tracker)
        try:
            with db() as session:
                elder = find_elder(session, tracker)
                reply = self.change(session, elder, addresses(w, elder))
        except SQLAlchemyError:
            logger.error("%s failed", self.name(), exc_info=True)
            dispatcher.utter_message(response="utter_alerts_failed")
            return []
        dispatcher.utter_message(**reply)
        return []


class ActionSubscribeAlerts(_ConsentAction):
    """Record consent on every channel this user can be reached on."""

    action_name = "action_subscribe_alerts"

    def change(
        self, session: Session, elder: Elder | None, targets: dict[str, str]
    ) -> dict[str, Any]:
        for channel, address in targets.items():
            subscribe(
                session,
                channel=channel,
                address=address,
                elder_id=elder.id if elder else None,
            )
        logger.info("alerts subscribed on %s", sorted(targets))
        labels = "、".join(CHANNEL_LABELS[c] for c in targets)
        return {"response": "utter_alerts_subscribed", "channels": labels}


class ActionUnsubscribeAlerts(_ConsentAction):
    """Revoke consent on every channel of this user, now."""

    action_name = "action_unsubscribe_alerts"

    def change(
        self, session: Session, elder: Elder | None, targets: dict[str, str]
    ) -> dict[str, Any]:
        if elder is not None and elder.phone:
            targets.setdefault("sms", elder.phone)
            targets.setdefault("call", elder.phone)
        revoked = unsubscribe(session, addresses=targets)
        logger.info("alerts revoked: %s", len(revoked))
        return {"response": "utter_alerts_unsubscribed"}
