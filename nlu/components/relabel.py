"""What the guards share: made from their config alone, and how they set an intent."""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message
from typing_extensions import Self


class Guard(GraphComponent):
    """A rule-based component after the classifiers: no training, no stored state."""

    def __init__(self, config: dict[str, Any]) -> None:
        # Rasa passes the defaults merged in; a guard made directly gets them too
        self.config = {**self.get_default_config(), **config}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> Self:
        return cls(config)


def set_intent(message: Message, intent: str) -> None:
    """Make ``intent`` the message's intent at full confidence.

    What NLU said is kept as ``intent_before_guard`` (for the logs and the
    staff console), and the ranking keeps the other intents below it.
    """
    if message.get("intent_before_guard") is None:  # the classifier's, not a guard's
        before = dict(message.get(INTENT) or {})
        message.set("intent_before_guard", before, add_to_output=True)
    message.set(INTENT, {"name": intent, "confidence": 1.0}, add_to_output=True)
    ranking = [
        r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != intent
    ]
    message.set(
        INTENT_RANKING_KEY,
        [{"name": intent, "confidence": 1.0}, *ranking],
        add_to_output=True,
    )
