"""Action tests: a migrated SQLite database, the test's settings bound, tracker factory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from rasa_sdk import Tracker

from actions.context import ActionContext, bind
from assistant.settings import Settings
from tests.services.conftest import db_url, fake_twilio, settings  # noqa: F401


@pytest.fixture(autouse=True)
def action_context(settings: Settings) -> Iterator[ActionContext]:  # noqa: F811
    """Actions run with the test's settings, as the app's ActionRunner would bind them."""
    with bind(ActionContext.for_settings(settings)) as context:
        yield context


@pytest.fixture()
def make_tracker() -> Callable[..., Tracker]:
    def build(
        text: str = "",
        intent: str = "",
        *,
        slots: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        loop: str | None = None,
        sender: str = "user-1",
        events: list[dict[str, Any]] | None = None,
        entities: list[dict[str, Any]] | None = None,
    ) -> Tracker:
        message = {
            "text": text,
            "intent": {"name": intent, "confidence": 1.0},
            "entities": entities or [],
            "metadata": metadata or {"channel": "web"},
        }
        # As Rasa sends it to a form: the user's message, then the form running.
        fresh = [
            {"event": "user", "text": text, "parse_data": message},
            {"event": "action", "name": loop} if loop else None,
        ]
        return Tracker.from_dict(
            {
                "sender_id": sender,
                "slots": {"elder_mode": False, **(slots or {})},
                "latest_message": message,
                "events": events if events is not None else [e for e in fresh if e],
                "active_loop": {"name": loop} if loop else {},
                "latest_action_name": "action_listen",
            }
        )

    return build
