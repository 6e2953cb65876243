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

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from knowledge.question import menu_question
from nlu.components.relabel import Guard, set_intent

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class MenuQuestionGuard(Guard):
    """Relabel a menu question taken for a booking (or for nothing) as ``ask_policy``."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"from": ["book_meal", "nlu_fallback"], "intent": "ask_policy"}

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self._from = set(self.config["from"])
        self._intent = self.config["intent"]

    def process(self, messages: list[Message]) -> list[Message]:
        """Relabel each parsed message that asks the menu."""
        for message in messages:
            before = (message.get(INTENT) or {}).get("name")
            if before in self._from and menu_question(message.get(TEXT) or ""):
                logger.info("menu question: %s relabelled %s", before, self._intent)
                set_intent(message, self._intent)
        return messages
