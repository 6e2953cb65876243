"""Who is talking: phone numbers, binding codes and unverified self-registration."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.db import Elder, UserBinding

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_PHONE_IN_TEXT = re.compile(r"(?:\+?86)?1[3-9]\d{9}|0\d{2,3}-?\d{7,8}")


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


def find_phone(text: str) -> str | None:
    """The first phone number written in a sentence, normalised."""
    match = _PHONE_IN_TEXT.search(re.sub(r"[\s-]", "", text))
    return normalize_phone(match.group(0)) if match else None


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
    """The elder behind a chat user or caller: binding first, then caller id."""
    binding = session.scalars(
        select(UserBinding).where(
            UserBinding.channel == channel, UserBinding.user_id == user_id
        )
    ).first()
    if binding is not None:
        return session.get(Elder, binding.elder_id)
    return elder_by_phone(session, caller_phone)


def bind(session: Session, *, channel: str, user_id: str, elder: Elder) -> None:
    """Link a chat user to an elder (replaces an earlier link)."""
    binding = session.scalars(
        select(UserBinding).where(
            UserBinding.channel == channel, UserBinding.user_id == user_id
        )
    ).first()
    if binding is None:
        session.add(UserBinding(channel=channel, user_id=user_id, elder_id=elder.id))
    else:
        binding.elder_id = elder.id
    session.flush()


def bind_with_code(
    session: Session, *, channel: str, user_id: str, code: str
) -> Elder | None:
    """Bind a web user by the code staff issued; None when the code is unknown."""
    elder = session.scalars(
        select(Elder).where(Elder.binding_code == code.strip().upper())
    ).first()
    if elder is not None:
        bind(session, channel=channel, user_id=user_id, elder=elder)
    return elder


def register_unverified(
    session: Session, *, channel: str, user_id: str, name: str, phone: str
) -> Elder:
    """Profile from what the user said, unverified until staff confirm it.

    An existing profile with the same phone is linked instead of duplicated.
    """
    elder = elder_by_phone(session, phone)
    if elder is None:
        elder = Elder(name=name, phone=normalize_phone(phone), verified=False)
        session.add(elder)
        session.flush()
    bind(session, channel=channel, user_id=user_id, elder=elder)
    return elder
