"""Database side of a hotline call (blocking; call through ``run_in_executor``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from assistant.db import Elder, PhoneCall, session_scope, utcnow
from assistant.privacy import mask_phone
from assistant.services import handoff as handoff_service
from assistant.services.emergencies import alert_emergency, record_emergency
from assistant.settings import Settings

logger = logging.getLogger(__name__)


@dataclass
class CallInfo:
    """What the connector needs to know about a call."""

    call_sid: str
    caller: str
    elder_id: int | None
    elder_mode: bool


def _call(session: Any, call_sid: str) -> PhoneCall:
    call = session.query(PhoneCall).filter_by(call_sid=call_sid).one_or_none()
    if call is None:
        call = PhoneCall(call_sid=call_sid, events=[])
        session.add(call)
    return call


def _event(call: PhoneCall, kind: str, **detail: Any) -> None:
    # reassign so SQLAlchemy notices the JSON change
    call.events = [
        *(call.events or []),
        {"at": utcnow().isoformat(), "kind": kind, **detail},
    ]


def start_call(
    settings: Settings, *, call_sid: str, caller: str, mode: str
) -> CallInfo:
    """Record the call (idempotent) and look the caller up by phone number."""
    with session_scope(settings.effective_database_url) as session:
        elder = (
            session.query(Elder).filter_by(phone=caller).one_or_none()
            if caller
            else None
        )
        call = _call(session, call_sid)
        call.caller_phone = caller or None
        call.elder_id = elder.id if elder else None
        call.mode = mode
        call.status = "in-progress"
        _event(call, "started", mode=mode)
        info = CallInfo(
            call_sid, caller, call.elder_id, elder.elder_mode if elder else True
        )
    logger.info(
        "call %s from %s, mode %s, elder %s",
        call_sid,
        mask_phone(caller),
        mode,
        info.elder_id,
    )
    return info


def call_info(settings: Settings, *, call_sid: str, caller: str) -> CallInfo:
    """The call as recorded by ``start_call`` (recorded now if it was not)."""
    with session_scope(settings.effective_database_url) as session:
        call = session.query(PhoneCall).filter_by(call_sid=call_sid).one_or_none()
        if call is not None:
            elder = session.get(Elder, call.elder_id) if call.elder_id else None
            return CallInfo(
                call_sid,
                call.caller_phone or caller,
                call.elder_id,
                elder.elder_mode if elder else True,
            )
    return start_call(settings, call_sid=call_sid, caller=caller, mode="gather")


def add_event(settings: Settings, *, call_sid: str, kind: str, **detail: Any) -> None:
    """Append one step to the call's timeline."""
    with session_scope(settings.effective_database_url) as session:
        _event(_call(session, call_sid), kind, **detail)


def set_status(
    settings: Settings, *, call_sid: str, status: str, **detail: Any
) -> None:
    """Record a Twilio call status (ringing, in-progress, completed, ...)."""
    with session_scope(settings.effective_database_url) as session:
        call = _call(session, call_sid)
        call.status = status
        _event(call, "status", status=status, **detail)


def record_transfer(settings: Settings, *, call_sid: str, to: str, ok: bool) -> None:
    """Note a hand-off (or a failed attempt) on the call."""
    with session_scope(settings.effective_database_url) as session:
        call = _call(session, call_sid)
        if ok:
            call.transferred_to = to
        _event(call, "transfer" if ok else "transfer_failed", to=mask_phone(to))


def request_callback(settings: Settings, *, info: CallInfo, reason: str) -> int:
    """No duty number to transfer to (or the transfer failed): a person calls back."""
    with session_scope(settings.effective_database_url) as session:
        row = handoff_service.request_callback(
            session,
            user_id=info.call_sid,
            channel="phone",
            elder_id=info.elder_id,
            phone=info.caller or None,
            reason=reason,
        )
        _event(_call(session, info.call_sid), "callback_requested", callback_id=row.id)
        return int(row.id)


def record_keypad_emergency(settings: Settings, *, info: CallInfo) -> int:
    """Keypad 2: write the emergency at once, then queue its alerts, exactly as the
    spoken path (``action_report_emergency``) does."""
    with session_scope(settings.effective_database_url) as session:
        elder = session.get(Elder, info.elder_id) if info.elder_id else None
        emergency = record_emergency(
            session,
            user_id=info.call_sid,
            channel="phone",
            utterance="[按键2 紧急求助]",
            emergency_type=None,
            caller_phone=info.caller or None,
            elder=elder,
        )
        _event(_call(session, info.call_sid), "emergency", emergency_id=emergency.id)
        emergency_id = int(emergency.id)
        session.commit()  # the report is safe before anything else happens
        try:
            alert_emergency(session, settings, emergency)
        except SQLAlchemyError:
            logger.error(
                "emergency %s: queuing alerts failed", emergency_id, exc_info=True
            )
    logger.warning(
        "call %s: emergency %s recorded from keypad", info.call_sid, emergency_id
    )
    return emergency_id
