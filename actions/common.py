"""What every dialogue action needs: who is talking, a DB session, yes/no, interruptions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from rasa_sdk import Tracker
from sqlalchemy.orm import Session

from actions.context import current
from actions.lexicon import (
    HUMAN_WORDS,
    INTERRUPTS,
    NO_PHRASES,
    NO_WORDS,
    STOP_WORDS,
    YES_PHRASES,
    YES_WORDS,
)
from assistant.db import Elder, session_scope
from assistant.services.elders import identify, normalize_phone
from assistant.settings import Settings
from nlu.emergency_guard import detect_emergency

_PUNCT = re.compile(r"[，。！？,.!?\s]")


@dataclass(frozen=True)
class Who:
    """The speaker as the connectors describe them."""

    user_id: str
    channel: str
    caller_phone: str | None
    call_sid: str | None


def settings() -> Settings:
    """The settings of the app running this action (see ``actions.context``)."""
    return current().settings


@contextmanager
def db() -> Iterator[Session]:
    """A committed-on-success session on the app database."""
    with session_scope(settings().effective_database_url) as session:
        yield session


def metadata(tracker: Tracker) -> dict[str, Any]:
    """Connector metadata of the latest message (or of the session start)."""
    meta = (tracker.latest_message or {}).get("metadata") or {}
    if not meta:
        meta = tracker.get_slot("session_started_metadata") or {}
    return meta if isinstance(meta, dict) else {}


def who(tracker: Tracker) -> Who:
    """User id, channel and caller id of the current turn."""
    meta = metadata(tracker)
    channel = str(meta.get("channel") or "web")
    return Who(
        user_id=tracker.sender_id,
        channel=channel,
        caller_phone=normalize_phone(meta.get("caller_phone")),
        call_sid=meta.get("call_sid"),
    )


def find_elder(session: Session, tracker: Tracker) -> Elder | None:
    """The elder behind this conversation, if known."""
    w = who(tracker)
    return identify(
        session, channel=w.channel, user_id=w.user_id, caller_phone=w.caller_phone
    )


def text_of(tracker: Tracker) -> str:
    """The latest user text."""
    return str((tracker.latest_message or {}).get("text") or "")


def intent_of(tracker: Tracker) -> str:
    """The latest user intent name."""
    return str(((tracker.latest_message or {}).get("intent") or {}).get("name") or "")


def entity_texts(tracker: Tracker, name: str) -> list[str]:
    """What NLU tagged as entity ``name`` in the latest message (text, then value)."""
    found: list[str] = []
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == name:
            found += [str(v) for v in (entity.get("text"), entity.get("value")) if v]
    return found


def is_yes(tracker: Tracker) -> bool:
    """An answer that agrees (by intent or by the words)."""
    text = _PUNCT.sub("", text_of(tracker))
    if is_no(tracker):
        return False
    if intent_of(tracker) == "affirm" or any(p in text for p in YES_PHRASES):
        return True
    return bool(text) and any(text.startswith(w) for w in YES_WORDS)


def is_no(tracker: Tracker) -> bool:
    """An answer that disagrees (by intent or by the words)."""
    text = _PUNCT.sub("", text_of(tracker))
    if intent_of(tracker) == "deny" or any(p in text for p in NO_PHRASES):
        return True
    return any(text.startswith(w) for w in NO_WORDS)


def wants_stop(tracker: Tracker) -> bool:
    """The user gives up the current task."""
    return any(word in text_of(tracker) for word in STOP_WORDS)


def service_number(label: str) -> str:
    """A public number from the configured service directory ('' when absent)."""
    return settings().service_directory.get(label, "")


def answering(tracker: Tracker, form: str) -> bool:
    """The form runs on a fresh user message, not on its way back from another action."""
    skipped_form = False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind in ("slot", "active_loop", "user_featurization"):
            continue
        if kind == "action" and event.get("name") == form and not skipped_form:
            skipped_form = True
            continue
        return kind == "user"
    return False


def interrupts(tracker: Tracker, *, answered: bool) -> bool:
    """Whether the latest message steps out of the running form.

    An answer to the form's own question is an answer: "赵大爷", a bare phone
    number or "派出所后面的平房" fill their slot whatever label NLU gave them.
    Only the emergency guard's high-risk phrases, an explicit request for a
    person, or an emergency (or other interrupting) sentence that answers
    nothing leave the form.

    Args:
        tracker: the conversation, latest message included.
        answered: the message fills the slot the form asked for.
    """
    text = text_of(tracker)
    if detect_emergency(text) is not None:
        return True
    intent = intent_of(tracker)
    if intent == "request_human" and any(word in text for word in HUMAN_WORDS):
        return True
    if answered or intent not in INTERRUPTS:
        return False
    # Without its own words, a request for a person is not one (an address near a
    # police station reads like one to the classifier).
    return intent != "request_human"
