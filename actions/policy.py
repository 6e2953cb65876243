"""Policy questions answered from the knowledge base, with their sources."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import text_of
from actions.context import current
from knowledge.provider import KnowledgeProvider
from knowledge.question import station_service

logger = logging.getLogger(__name__)


def profile_region(value: Any) -> str | None:
    """A corpus region from the ``region`` slot (a region key or a place name)."""
    from knowledge.regions import REGIONS, detect_region

    if not value:
        return None
    text = str(value)
    return text if text in REGIONS else detect_region(text)


def _answer(
    knowledge: KnowledgeProvider, question: str, region: str | None
) -> tuple[str, list[dict[str, Any]]]:
    answer = knowledge.get().answer(question, region=region, style="short")
    return answer.text, answer.citations


class ActionAnswerPolicy(Action):
    """Answer a policy question briefly, citing the document."""

    def name(self) -> str:
        return "action_answer_policy"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        question = text_of(tracker)
        region = profile_region(tracker.get_slot("region"))
        loop = asyncio.get_running_loop()
        try:
            text, citations = await loop.run_in_executor(
                None, _answer, current().knowledge, question, region
            )
        except (OSError, ValueError, RuntimeError):
            logger.error(
                "policy answer failed for %s", tracker.sender_id, exc_info=True
            )
            dispatcher.utter_message(
                text="抱歉，现在查不到政策内容。请稍后再问，或者找工作人员帮忙。"
            )
            return []
        dispatcher.utter_message(text=text, json_message={"citations": citations})
        return []


class ActionOutOfScope(Action):
    """Decline chatter; a station question NLU took for chatter gets its answer."""

    def name(self) -> str:
        return "action_out_of_scope"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        # "驿站几点开门" reads like small talk to NLU; the station's facts answer it.
        if station_service(text_of(tracker)):
            return await ActionAnswerPolicy().run(dispatcher, tracker, domain)
        dispatcher.utter_message(response="utter_out_of_scope")
        return []
