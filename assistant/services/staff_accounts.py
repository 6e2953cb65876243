"""Staff accounts: argon2id password hashes, users from settings or the database.

Passwords are normalised with NFKC before hashing (NIST SP 800-63B recommends
NFKC or NFKD): the full-width digits and letters a Chinese input method types
(``１２３``) then count as the same password as ``123``. Any Unicode text works;
the hash is taken over its UTF-8 bytes by argon2-cffi.

Names come from two places. ``ASSISTANT_STAFF_USERS`` maps a name to an argon2
hash (a plain password there is tolerated only on loopback outside production;
see ``assistant.deployment``); the ``staff_users`` table is managed with
``python -m assistant staff``. A name in settings takes precedence, so the CLI
refuses to add one that settings already define.
"""

from __future__ import annotations

import functools
import logging
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from assistant.db import StaffSession, StaffUser
from assistant.settings import Settings

logger = logging.getLogger(__name__)

ARGON2_PREFIX = "$argon2"
MAX_NAME_CHARS = 64


class StaffAccountError(ValueError):
    """A staff account cannot be added or changed as asked."""


@functools.cache
def _hasher() -> PasswordHasher:
    # argon2-cffi's defaults: argon2id, RFC 9106 low-memory profile (64 MiB, t=3, p=4).
    return PasswordHasher()


def normalise_name(name: str) -> str:
    """The stored form of a staff name: NFKC, outer spaces removed."""
    return unicodedata.normalize("NFKC", name).strip()


def _password_bytes(password: str) -> bytes:
    return unicodedata.normalize("NFKC", password).encode("utf-8")


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (NFKC-normalised), for settings or the DB."""
    if not password:
        raise StaffAccountError("a staff password cannot be empty")
    return _hasher().hash(_password_bytes(password))


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; False for malformed hashes."""
    try:
        return _hasher().verify(password_hash, _password_bytes(password))
    except (VerificationError, InvalidHashError):
        return False


def is_argon2_hash(value: str) -> bool:
    """Whether a configured value is an argon2 hash rather than a plain password."""
    return value.startswith(ARGON2_PREFIX)


def plaintext_staff_users(settings: Settings) -> list[str]:
    """Names in ``ASSISTANT_STAFF_USERS`` whose value is a plain password."""
    return [n for n, v in settings.staff_users.items() if not v.startswith("$")]


def foreign_hash_staff_users(settings: Settings) -> list[str]:
    """Names whose value looks like a hash, but not an argon2 one (bcrypt, ...)."""
    return [
        n
        for n, v in settings.staff_users.items()
        if v.startswith("$") and not is_argon2_hash(v)
    ]


@functools.lru_cache(maxsize=64)
def _hash_of_plaintext(password: str) -> str:
    # Local use only (deployment checks refuse plain passwords elsewhere): hash
    # once, so even then a login is an argon2 verification, never a string compare.
    return hash_password(password)


def settings_hash(settings: Settings, name: str) -> str | None:
    """The argon2 hash configured in settings for ``name``, if any."""
    for configured, value in settings.staff_users.items():
        if normalise_name(configured) == name:
            return value if value.startswith("$") else _hash_of_plaintext(value)
    return None


@functools.cache
def _dummy_hash() -> str:
    return hash_password("no such staff member")


def check_password(
    session: Session, settings: Settings, *, name: str, password: str
) -> bool:
    """Whether ``name`` (normalised) is a staff member and ``password`` is theirs.

    An unknown name still costs one argon2 verification, so timing does not tell
    which names exist. A database hash with outdated parameters is upgraded.
    """
    stored = settings_hash(settings, name)
    user = None
    if stored is None:
        user = session.scalars(select(StaffUser).where(StaffUser.name == name)).first()
        stored = user.password_hash if user is not None else None
    if stored is None:
        verify_password(_dummy_hash(), password)
        return False
    if not verify_password(stored, password):
        return False
    if user is not None and _hasher().check_needs_rehash(stored):
        user.password_hash = hash_password(password)
    return True


def in_settings(settings: Settings, name: str) -> bool:
    """Whether ``ASSISTANT_STAFF_USERS`` defines ``name`` (normalised)."""
    return any(normalise_name(n) == name for n in settings.staff_users)


def staff_exists(session: Session, settings: Settings, name: str) -> bool:
    """Whether ``name`` is still a staff member (settings or database)."""
    if in_settings(settings, name):
        return True
    found = session.scalars(select(StaffUser.id).where(StaffUser.name == name))
    return found.first() is not None


def add_user(
    session: Session,
    settings: Settings,
    *,
    name: str,
    password: str,
    replace: bool = False,
) -> str:
    """Add a database account (or, with ``replace``, set a new password).

    A new password ends the member's open sessions. Returns the stored name.
    """
    name = normalise_name(name)
    if not name or len(name) > MAX_NAME_CHARS:
        raise StaffAccountError(f"a staff name has 1 to {MAX_NAME_CHARS} characters")
    if in_settings(settings, name):
        raise StaffAccountError(
            f"{name!r} is defined in ASSISTANT_STAFF_USERS; change it there"
        )
    user = session.scalars(select(StaffUser).where(StaffUser.name == name)).first()
    if user is not None and not replace:
        raise StaffAccountError(f"{name!r} exists already (use --replace)")
    if user is None:
        user = StaffUser(name=name, password_hash=hash_password(password))
        session.add(user)
    else:
        user.password_hash = hash_password(password)
        end_sessions_of(session, name)
    session.flush()
    return name


def remove_user(session: Session, *, name: str) -> bool:
    """Remove a database account and end its sessions at once; False if unknown."""
    name = normalise_name(name)
    removed = session.execute(delete(StaffUser).where(StaffUser.name == name))
    end_sessions_of(session, name)
    return bool(getattr(removed, "rowcount", 0))


def list_users(session: Session) -> list[str]:
    """Names of the database accounts, sorted."""
    return list(session.scalars(select(StaffUser.name).order_by(StaffUser.name)))


def end_sessions_of(session: Session, name: str) -> int:
    """End every session of ``name``; the number ended."""
    result = session.execute(
        delete(StaffSession).where(StaffSession.staff_name == name)
    )
    return int(getattr(result, "rowcount", 0))
