"""What the app hands every action: its Settings and its knowledge base.

rasa-sdk calls ``Action.run(dispatcher, tracker, domain)`` with no room for the
app's dependencies, so ``assistant.actions_webhook.ActionRunner`` binds an
``ActionContext`` around each call and actions read it with ``current()``.
Tests bind their own with ``bind(ActionContext(...))`` instead of patching.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from assistant.settings import Settings
from knowledge.provider import KnowledgeProvider


@dataclass(frozen=True)
class ActionContext:
    """The app's dependencies, as actions see them."""

    settings: Settings
    knowledge: KnowledgeProvider

    @classmethod
    def for_settings(cls, settings: Settings) -> ActionContext:
        """A context with its own lazily loaded knowledge base."""
        return cls(settings, KnowledgeProvider(settings))


_CURRENT: ContextVar[ActionContext] = ContextVar("action_context")


def current() -> ActionContext:
    """The context bound around the running action.

    Raises:
        LookupError: called outside ``bind`` (an action run by hand, not by the app).
    """
    try:
        return _CURRENT.get()
    except LookupError:
        raise LookupError(
            "no ActionContext bound: actions run through ActionRunner or inside bind()"
        ) from None


@contextmanager
def bind(context: ActionContext) -> Iterator[ActionContext]:
    """Make ``context`` the current one for the code (and tasks it starts) inside."""
    token = _CURRENT.set(context)
    try:
        yield context
    finally:
        _CURRENT.reset(token)
