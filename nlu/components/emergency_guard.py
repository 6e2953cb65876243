"""Rasa NLU component: force ``report_emergency`` when a high-risk phrase is said.

Runs last in the pipeline (after FallbackClassifier), so an emergency is never
lost to classifier doubt or to ``nlu_fallback``. The matching itself lives in
``nlu.emergency_guard`` so the app can use it without Rasa.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_TYPE,
    INTENT,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from nlu.components.relabel import Guard, set_intent
from nlu.emergency_guard import EMERGENCY_TYPES, detect_emergency

logger = logging.getLogger(__name__)

EMERGENCY_INTENT = "report_emergency"
EMERGENCY_ENTITY = "emergency_type"


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class EmergencyGuard(Guard):
    """Override the intent with ``report_emergency`` on a high-risk phrase."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"intent": EMERGENCY_INTENT, "entity": EMERGENCY_ENTITY}

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self._intent = self.config["intent"]
        self._entity = self.config["entity"]

    def process(self, messages: list[Message]) -> list[Message]:
        """Apply the guard to each parsed message."""
        for message in messages:
            self._guard(message)
        return messages

    def _guard(self, message: Message) -> None:
        text = message.get(TEXT) or ""
        match = detect_emergency(text)
        if match is None:
            return
        before = message.get(INTENT) or {}
        if before.get("name") != self._intent:
            logger.info("emergency guard override (%s)", match.emergency_type)
        set_intent(message, self._intent)
        message.set(
            "emergency_guard",
            {"type": match.emergency_type, "phrase": match.phrase},
            add_to_output=True,
        )
        entities = list(message.get(ENTITIES) or [])
        if any(
            e.get(ENTITY_ATTRIBUTE_TYPE) == self._entity
            and e.get("value") in EMERGENCY_TYPES
            for e in entities
        ):
            return
        entities = [e for e in entities if e.get(ENTITY_ATTRIBUTE_TYPE) != self._entity]
        start = text.find(match.phrase)
        end = start + len(match.phrase)
        if start < 0:  # the phrase spans punctuation removed by normalisation
            start, end = 0, len(text)
        entities.append(
            {
                ENTITY_ATTRIBUTE_TYPE: self._entity,
                "value": match.emergency_type,
                "start": start,
                "end": end,
                "extractor": self.__class__.__name__,
                "text": text[start:end],
            }
        )
        message.set(ENTITIES, entities, add_to_output=True)
