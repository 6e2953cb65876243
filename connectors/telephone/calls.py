"""Database side of a hotline call (blocking: run through ``PhoneServices.in_db``)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from assistant.db import Elder, PhoneCall, UsedStreamToken, session_scope, utcnow
from assistant.privacy import mask_phone
from assistant.services import handoff as handoff_service
from assistant.services.emergencies import EmergencyReport, report_emergency
from assistant.settings import Settings

logger = logging.getLogger(__name__)


@dataclass
class CallInfo:
    """The caller as the database knows them."""

    call_sid: str
    caller: str
    elder_id: int | None
    elder_mode: bool


def _call(session: Session, call_sid: str) -> PhoneCall:
    call = session.query(PhoneCall).filter_by(call_sid=call_sid).one_or_none()
    if call is None:
        call = PhoneCall(call_sid=call_sid, events=[])
        session.add(call)
    return call


def _elder(session: Session, caller: str) -> Elder | None:
    if not caller:
        return None
    return session.query(Elder).filter_by(phone=caller).one_or_none()


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
        elder = _elder(session, caller)
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


def record_transfer(
    settings: Settings, *, call_sid: str, to: str, ok: bool, reason: str
) -> None:
    """Note a hand-off (or a failed attempt) and why it happened."""
    with session_scope(settings.effective_database_url) as session:
        call = _call(session, call_sid)
        if ok:
            call.transferred_to = to
        kind = "transfer" if ok else "transfer_failed"
        _event(call, kind, to=mask_phone(to), reason=reason)


def request_callback(
    settings: Settings, *, call_sid: str, caller: str, reason: str
) -> int:
    """A person is to call the caller back (no duty phone, or it did not answer)."""
    with session_scope(settings.effective_database_url) as session:
        elder = _elder(session, caller)
        row = handoff_service.request_callback(
            session,
            user_id=call_sid,
            channel="phone",
            elder_id=elder.id if elder else None,
            phone=caller or None,
            reason=reason,
        )
        _event(_call(session, call_sid), "callback_requested", callback_id=row.id)
        return int(row.id)


def report_call_emergency(
    settings: Settings,
    *,
    call_sid: str,
    caller: str,
    utterance: str,
    emergency_type: str | None,
) -> EmergencyReport:
    """Report through the one emergency service (row first, then alerts), then
    note it on the call's timeline (bookkeeping: its failure changes nothing)."""
    report = report_emergency(
        settings,
        user_id=call_sid,
        channel="phone",
        text=utterance,
        emergency_type=emergency_type,
        caller_phone=caller or None,
    )
    if report.emergency_id is not None:
        try:
            add_event(
                settings,
                call_sid=call_sid,
                kind="emergency",
                emergency_id=report.emergency_id,
                alerted=report.alerted,
                joined=report.joined,
            )
        except SQLAlchemyError:
            logger.warning("call %s: emergency not noted on the call", call_sid)
    return report


def use_stream_token(settings: Settings, *, key: str, expires_at: dt.datetime) -> bool:
    """Mark a media-stream token used; False when it was used before.

    A row per token in the shared database, so the rule holds across several
    app workers; rows are dropped a day after their token expired.
    """
    with session_scope(settings.effective_database_url) as session:
        session.execute(
            delete(UsedStreamToken).where(
                UsedStreamToken.expires_at < utcnow() - dt.timedelta(days=1)
            )
        )
        session.add(UsedStreamToken(key=key, expires_at=expires_at))
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            return False
    return True
