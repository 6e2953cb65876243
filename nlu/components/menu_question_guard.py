"""Rasa NLU component: a menu question is a question, not a booking.

"今天中午吃什么" names a day and a meal, so DIET reads it as ``book_meal`` and
the meal form would start. Such a question (``knowledge.question.menu_question``:
it asks the day's menu and orders nothing) is relabelled ``ask_policy``, whose
answer gives the station's menu or points to the station. Runs before the
emergency guard, which still overrides everything.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from knowledge.question import menu_question

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class MenuQuestionGuard(GraphComponent):
    """Relabel a menu question taken for a booking (or for nothing) as ``ask_policy``."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"from": ["book_meal", "nlu_fallback"], "intent": "ask_policy"}

    def __init__(self, config: dict[str, Any]) -> None:
        self._from = set(config.get("from", ["book_meal", "nlu_fallback"]))
        self._intent = config.get("intent", "ask_policy")

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MenuQuestionGuard:
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        """Relabel each parsed message that asks the menu."""
        for message in messages:
            before = message.get(INTENT) or {}
            if before.get("name") not in self._from:
                continue
            if not menu_question(message.get(TEXT) or ""):
                continue
            logger.info(
                "menu question: %s relabelled %s", before.get("name"), self._intent
            )
            message.set("intent_before_guard", dict(before), add_to_output=True)
            message.set(
                INTENT, {"name": self._intent, "confidence": 1.0}, add_to_output=True
            )
            ranking = [
                r
                for r in message.get(INTENT_RANKING_KEY) or []
                if r.get("name") != self._intent
            ]
            message.set(
                INTENT_RANKING_KEY,
                [{"name": self._intent, "confidence": 1.0}, *ranking],
                add_to_output=True,
            )
        return messages
