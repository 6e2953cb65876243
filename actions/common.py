"""What every dialogue action needs: who is talking, a DB session, elder-mode replies."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from rasa_sdk import Tracker
from sqlalchemy.orm import Session

from assistant.db import Elder, session_scope
from assistant.services.elders import find_phone, identify, normalize_phone
from assistant.settings import Settings, get_settings
from nlu.emergency_guard import detect_emergency

YES_WORDS = ("对", "是的", "是", "好", "可以", "行", "没错", "嗯", "要", "确认", "中")
NO_WORDS = ("不对", "不是", "不要", "不用", "不行", "错了", "不", "没有")
# Intents that step out of any form (rules take over, then the form may go on).
INTERRUPTS = (
    "report_emergency",
    "request_human",
    "report_fraud",
    "repeat",
    "elder_mode",
)
HUMAN_WORDS = (
    "人工",
    "工作人员",
    "真人",
    "客服",
    "转人",
    "找人",
    "跟人",
    "接线员",
    "值班",
)
STOP_WORDS = ("算了", "不订了", "取消", "不要了", "退出")


@dataclass(frozen=True)
class Who:
    """The speaker as the connectors describe them."""

    user_id: str
    channel: str
    caller_phone: str | None
    call_sid: str | None


def settings() -> Settings:
    """The app's settings."""
    return get_settings()


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


def is_yes(tracker: Tracker) -> bool:
    """An answer that agrees (by intent or by the words)."""
    text = re.sub(r"[，。！？,.!?\s]", "", text_of(tracker))
    if intent_of(tracker) == "affirm":
        return True
    return (
        bool(text) and not is_no(tracker) and any(text.startswith(w) for w in YES_WORDS)
    )


def is_no(tracker: Tracker) -> bool:
    """An answer that disagrees (by intent or by the words)."""
    text = re.sub(r"[，。！？,.!?\s]", "", text_of(tracker))
    return intent_of(tracker) == "deny" or any(text.startswith(w) for w in NO_WORDS)


def wants_stop(tracker: Tracker) -> bool:
    """The user gives up the current task."""
    return any(word in text_of(tracker) for word in STOP_WORDS)


def service_number(label: str) -> str:
    """A public number from the configured service directory ('' when absent)."""
    return settings().service_directory.get(label, "")


async def with_next_slot(
    form: Any, events: list[Any], dispatcher: Any, tracker: Tracker, domain: Any
) -> list[Any]:
    """Append the form's next ``requested_slot`` (forms that override ``run``)."""
    for event in events:
        if isinstance(event, dict) and event.get("event") == "slot":
            tracker.slots[event["name"]] = event.get("value")
    required = await form.required_slots(
        form.domain_slots(domain), dispatcher, tracker, domain
    )
    missing = [s for s in required if tracker.slots.get(s) is None]
    return [
        *events,
        {
            "event": "slot",
            "timestamp": None,
            "name": "requested_slot",
            "value": missing[0] if missing else None,
        },
    ]


def interrupts(tracker: Tracker) -> bool:
    """Whether this answer steps out of a form.

    A form answer (a bare phone number, a name) is sometimes classified as an
    emergency or a request for a person; those count only with their own words.
    """
    intent, text = intent_of(tracker), text_of(tracker)
    if intent not in INTERRUPTS:
        return False
    if intent == "report_emergency":
        return detect_emergency(text) is not None or find_phone(text) is None
    if intent == "request_human":
        return any(word in text for word in HUMAN_WORDS)
    return True
