"""Who is talking: phone numbers, binding codes and unverified self-registration.

A chat user is linked to an elder only by proof: a staff-issued binding code,
a code texted to the elder's phone (``assistant.services.verification``), or a
profile the user created. Typing an existing elder's name and phone proves
nothing and grants nothing.
"""

from __future__ import annotations

import logging
import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.db import Elder, UserBinding
from assistant.ratelimit import get_limiter
from assistant.settings import Settings

logger = logging.getLogger(__name__)

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def normalize_phone(phone: str | None) -> str | None:
    """One stored form per number: mainland mobiles become ``+86…``."""
    if not phone:
        return None
    digits = re.sub(r"\D", "", phone)
    if len(digits) == 11 and digits.startswith("1"):
        return "+86" + digits
    if len(digits) == 13 and digits.startswith("86"):
        return "+" + digits
    return ("+" + digits) if phone.strip().startswith("+") else digits or None


def new_binding_code() -> str:
    """A short code staff hand to a family for the web chat."""
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(6))


def elder_by_phone(session: Session, phone: str | None) -> Elder | None:
    """The elder whose phone is ``phone`` (any common spelling)."""
    norm = normalize_phone(phone)
    if not norm:
        return None
    return session.scalars(select(Elder).where(Elder.phone == norm)).first()


def identify(
    session: Session, *, channel: str, user_id: str, caller_phone: str | None = None
) -> Elder | None:
    """The elder behind a chat user or caller: binding first, then caller id.

    ``caller_phone`` counts only on the phone channel, where the telephone
    connector takes it from a Twilio-signed request; on any other channel it is
    ignored, whatever a client claims.
    """
    binding = _binding(session, channel=channel, user_id=user_id)
    if binding is not None:
        return session.get(Elder, binding.elder_id)
    if channel != "phone":
        return None
    return elder_by_phone(session, caller_phone)


def _binding(session: Session, *, channel: str, user_id: str) -> UserBinding | None:
    return session.scalars(
        select(UserBinding).where(
            UserBinding.channel == channel, UserBinding.user_id == user_id
        )
    ).first()


def bind(session: Session, *, channel: str, user_id: str, elder: Elder) -> None:
    """Link a chat user to an elder (replaces an earlier link).

    Call only after the user proved the link: a staff-issued binding code, a
    code texted to the elder's phone, or a profile the user created themselves.
    """
    binding = _binding(session, channel=channel, user_id=user_id)
    if binding is None:
        session.add(UserBinding(channel=channel, user_id=user_id, elder_id=elder.id))
    else:
        binding.elder_id = elder.id
    session.flush()


def bind_with_code(
    session: Session,
    *,
    channel: str,
    user_id: str,
    code: str,
    settings: Settings | None = None,
) -> Elder | None:
    """Bind a web user by the code staff issued; None when the code is unknown.

    With ``settings``, tries are rate-limited per user (``code_rate_limit``):
    over the limit every code counts as unknown, so guessing gets nowhere.
    """
    if settings is not None:
        limiter = get_limiter(settings.rate_limit_storage_url)
        if not limiter.hit(settings.code_rate_limit, "code", channel, user_id):
            logger.warning("binding code tries over the limit for one user")
            return None
    elder = session.scalars(
        select(Elder).where(Elder.binding_code == code.strip().upper())
    ).first()
    if elder is not None:
        bind(session, channel=channel, user_id=user_id, elder=elder)
    return elder


def register_unverified(
    session: Session,
    *,
    channel: str,
    user_id: str,
    name: str,
    phone: str,
    address: str | None = None,
) -> Elder:
    """Profile from what the user said, unverified until staff confirm it.

    Typing a name and phone never links the user to someone else's profile:
    the user's own unverified profile is updated, or a new one is made. When
    another profile already holds the phone, the new one keeps it only as
    ``claimed_phone`` (for staff to call back), so it identifies nobody.
    """
    norm = normalize_phone(phone)
    holder = elder_by_phone(session, norm)
    current = identify(session, channel=channel, user_id=user_id)
    if current is not None and current.verified:
        return current  # proven identity: chat text does not edit it
    if current is None:
        current = Elder(name=name, verified=False)
        session.add(current)
    current.name = name
    if address:
        current.address = address
    if holder is None or holder.id == current.id:
        current.phone, current.claimed_phone = norm, None
    else:
        current.phone, current.claimed_phone = None, norm
    session.flush()
    bind(session, channel=channel, user_id=user_id, elder=current)
    return current
