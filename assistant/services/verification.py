"""Linking a web user to an elder by a code texted to that elder's phone.

The flow: the user types the elder's phone number; if an elder holds that
number, a six-digit code is queued to it through the outbox; the user types
the code back and is bound to that elder. Only an HMAC of the code (keyed by
the session secret, tied to the requesting user) is stored; a code expires,
allows a few wrong tries, works once, and only for the user who asked for it.
Rate limits on asking and trying live in the route (per client and per phone).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from assistant.db import Elder, VerificationCode, utcnow
from assistant.services.elders import bind, elder_by_phone
from assistant.services.outbox import enqueue
from assistant.settings import Settings

logger = logging.getLogger(__name__)


def _code_hash(settings: Settings, *, user_id: str, elder_id: int, code: str) -> str:
    key = hashlib.sha256(b"verification-code:" + settings.session_secret.encode())
    message = f"{user_id}:{elder_id}:{code}".encode()
    return hmac.new(key.digest(), message, hashlib.sha256).hexdigest()


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def start_verification(
    session: Session,
    settings: Settings,
    *,
    channel: str,
    user_id: str,
    phone: str,
    sms_template: str,
) -> bool:
    """Queue a code to the elder holding ``phone``; False when nobody holds it.

    Earlier open codes of this user stop working. ``sms_template`` has the
    ``{code}`` and ``{minutes}`` fields (its wording belongs to the connector).
    Callers should answer the same way either way, so the reply does not tell
    who is registered.
    """
    elder = elder_by_phone(session, phone)
    if elder is None or not elder.phone:
        return False
    now = utcnow()
    session.execute(
        update(VerificationCode)
        .where(
            VerificationCode.channel == channel,
            VerificationCode.user_id == user_id,
            VerificationCode.used_at.is_(None),
        )
        .values(used_at=now)
    )
    code = f"{secrets.randbelow(10**6):06d}"
    minutes = settings.verification_code_minutes
    row = VerificationCode(
        channel=channel,
        user_id=user_id,
        elder_id=elder.id,
        code_hash=_code_hash(settings, user_id=user_id, elder_id=elder.id, code=code),
        expires_at=now + dt.timedelta(minutes=minutes),
        attempts=0,
    )
    session.add(row)
    session.flush()
    enqueue(
        session,
        channel="sms",
        recipient=elder.phone,
        body=sms_template.format(code=code, minutes=f"{minutes:g}"),
        related_kind="verification",
        related_id=row.id,
    )
    logger.info("verification code %s queued for elder %s", row.id, elder.id)
    return True


def confirm_verification(
    session: Session, settings: Settings, *, channel: str, user_id: str, code: str
) -> Elder | None:
    """Bind the user to the elder their latest code was sent to; None if wrong.

    Every try counts against the code (and is committed with the session, so a
    wrong guess is remembered); past the limit or the expiry the code is dead.
    """
    row = session.scalars(
        select(VerificationCode)
        .where(
            VerificationCode.channel == channel,
            VerificationCode.user_id == user_id,
            VerificationCode.used_at.is_(None),
        )
        .order_by(VerificationCode.id.desc())
    ).first()
    if row is None or _aware(row.expires_at) <= utcnow():
        return None
    if row.attempts >= settings.verification_max_attempts:
        return None
    row.attempts += 1
    expected = _code_hash(
        settings, user_id=user_id, elder_id=row.elder_id, code=code.strip()
    )
    if not hmac.compare_digest(expected, row.code_hash):
        logger.info("wrong verification code for code %s", row.id)
        return None
    row.used_at = utcnow()
    elder = session.get(Elder, row.elder_id)
    if elder is None:
        return None
    bind(session, channel=channel, user_id=user_id, elder=elder)
    logger.info("web user bound to elder %s by texted code", elder.id)
    return elder
