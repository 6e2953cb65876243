"""Server-side staff sessions and the login lockout, both kept in the database.

The database (not process memory) holds them so that every app worker, and the
app after a restart, sees the same sessions and the same failed logins: logout
or removing a member ends their sessions everywhere at once, and a lockout
cannot be dodged by landing on another worker.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from assistant.db import StaffLoginFailure, StaffSession, utcnow
from assistant.services.staff_accounts import staff_exists
from assistant.settings import Settings

TOUCH_EVERY = dt.timedelta(seconds=60)  # fewer writes: last_seen_at is coarse


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _id_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _limits(settings: Settings) -> tuple[dt.timedelta, dt.timedelta]:
    return (
        dt.timedelta(minutes=settings.staff_session_idle_minutes),
        dt.timedelta(hours=settings.staff_session_max_hours),
    )


def create_session(
    session: Session, settings: Settings, *, name: str, now: dt.datetime | None = None
) -> str:
    """Start a session for ``name``; the random token goes into the cookie."""
    now = now or utcnow()
    idle, longest = _limits(settings)
    session.execute(
        delete(StaffSession).where(
            or_(
                StaffSession.last_seen_at < now - idle,
                StaffSession.created_at < now - longest,
            )
        )
    )
    token = secrets.token_urlsafe(32)
    session.add(
        StaffSession(
            id_hash=_id_hash(token), staff_name=name, created_at=now, last_seen_at=now
        )
    )
    session.flush()
    return token


def session_staff(
    session: Session, settings: Settings, token: str, *, now: dt.datetime | None = None
) -> str | None:
    """The staff name behind a live session token, or None.

    A session is dead when it was ended, idle too long, older than the absolute
    limit, or its member is no longer a staff member.
    """
    now = now or utcnow()
    row = session.get(StaffSession, _id_hash(token))
    if row is None:
        return None
    idle, longest = _limits(settings)
    last_seen, created = _aware(row.last_seen_at), _aware(row.created_at)
    alive = now - last_seen < idle and now - created < longest
    if not alive or not staff_exists(session, settings, row.staff_name):
        session.delete(row)
        return None
    if now - last_seen >= TOUCH_EVERY:
        row.last_seen_at = now
    return row.staff_name


def end_session(session: Session, token: str) -> None:
    """End one session (logout)."""
    session.execute(delete(StaffSession).where(StaffSession.id_hash == _id_hash(token)))


# --- lockout ------------------------------------------------------------------


def lockout_remaining(
    session: Session,
    settings: Settings,
    *,
    name: str,
    ip: str,
    now: dt.datetime | None = None,
) -> dt.timedelta | None:
    """Time left on the lockout of ``name`` from ``ip``, or None when not locked.

    Locked when the last ``staff_lockout_failures`` failures all fell within
    ``staff_lockout_minutes``; the lock lasts that long after the newest one.
    Refused attempts during a lockout are not recorded, so it ends on time.
    """
    now = now or utcnow()
    window = dt.timedelta(minutes=settings.staff_lockout_minutes)
    limit = settings.staff_lockout_failures
    times = [
        _aware(t)
        for t in session.scalars(
            select(StaffLoginFailure.failed_at)
            .where(StaffLoginFailure.staff_name == name, StaffLoginFailure.ip == ip)
            .where(StaffLoginFailure.failed_at > now - 2 * window)
            .order_by(StaffLoginFailure.failed_at.desc())
            .limit(limit)
        )
    ]
    if limit <= 0 or len(times) < limit or times[0] - times[-1] > window:
        return None
    remaining = times[0] + window - now
    return remaining if remaining > dt.timedelta(0) else None


def record_failure(
    session: Session,
    settings: Settings,
    *,
    name: str,
    ip: str,
    now: dt.datetime | None = None,
) -> None:
    """Count one failed login; failures too old to matter are pruned."""
    now = now or utcnow()
    window = dt.timedelta(minutes=settings.staff_lockout_minutes)
    session.execute(
        delete(StaffLoginFailure).where(StaffLoginFailure.failed_at < now - 2 * window)
    )
    session.add(StaffLoginFailure(staff_name=name[:64], ip=ip[:64], failed_at=now))
    session.flush()


def clear_failures(session: Session, *, name: str, ip: str) -> None:
    """Forget the failures of ``name`` from ``ip`` after a successful login."""
    session.execute(
        delete(StaffLoginFailure).where(
            StaffLoginFailure.staff_name == name, StaffLoginFailure.ip == ip
        )
    )


def count_sessions(session: Session, name: str) -> int:
    """Open session rows of ``name`` (for the CLI and tests)."""
    query = select(func.count()).where(StaffSession.staff_name == name)
    return int(session.scalar(query) or 0)
