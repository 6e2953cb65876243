"""Database tables of the assistant (SQLAlchemy 2 declarative, typed).

Times are stored timezone-aware in UTC. Phone numbers and names are personal
data: they live here and nowhere in logs (see ``assistant.privacy``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    """Now, in UTC, timezone-aware."""
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base with a UTC-aware datetime type."""

    type_annotation_map = {dt.datetime: DateTime(timezone=True), dict[str, Any]: JSON}


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Elder(TimestampMixin, Base):
    """An elder known to a station: who they are and how to reach their family."""

    __tablename__ = "elders"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32), unique=True, index=True)
    region: Mapped[str | None] = mapped_column(String(32))
    station: Mapped[str | None] = mapped_column(String(128))
    address: Mapped[str | None] = mapped_column(String(256))
    # [{"name": "女儿", "phone": "+86...", "relation": "女儿"}]
    family_contacts: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    diet_notes: Mapped[str | None] = mapped_column(String(256))
    elder_mode: Mapped[bool] = mapped_column(Boolean, default=True)
    verified: Mapped[bool] = mapped_column(Boolean, default=True)
    binding_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    # A number typed during self-registration that another profile already holds:
    # kept for staff to call back, never used to identify anyone.
    claimed_phone: Mapped[str | None] = mapped_column(String(32))


class UserBinding(TimestampMixin, Base):
    """Links a chat user id (web) or caller id to an elder profile."""

    __tablename__ = "user_bindings"
    __table_args__ = (UniqueConstraint("channel", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(128), index=True)
    elder_id: Mapped[int] = mapped_column(ForeignKey("elders.id"))


class VerificationCode(TimestampMixin, Base):
    """A code texted to an elder's phone to link a web user to that elder.

    Only a keyed hash of the code is stored; it expires and allows a few tries.
    """

    __tablename__ = "verification_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(128), index=True)
    elder_id: Mapped[int] = mapped_column(ForeignKey("elders.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[dt.datetime] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[dt.datetime | None] = mapped_column()


class MealOrder(TimestampMixin, Base):
    """One booked meal (or several portions of it) for one elder."""

    __tablename__ = "meal_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    elder_id: Mapped[int | None] = mapped_column(ForeignKey("elders.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(128), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    meal_date: Mapped[dt.date] = mapped_column(Date, index=True)
    meal_type: Mapped[str] = mapped_column(String(16))  # breakfast | lunch | dinner
    count: Mapped[int] = mapped_column(Integer, default=1)
    service_mode: Mapped[str] = mapped_column(String(16))  # dine_in | delivery
    diet_notes: Mapped[str | None] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(
        String(16), default="booked"
    )  # booked|cancelled
    cancelled_at: Mapped[dt.datetime | None] = mapped_column()
    cancelled_by: Mapped[str | None] = mapped_column(String(64))
    cancel_reason: Mapped[str | None] = mapped_column(String(256))
    delivered_at: Mapped[dt.datetime | None] = mapped_column()
    delivered_by: Mapped[str | None] = mapped_column(String(64))
    # Staff phoned to confirm an order from an unverified profile.
    confirmed_at: Mapped[dt.datetime | None] = mapped_column()
    confirmed_by: Mapped[str | None] = mapped_column(String(64))


class Emergency(TimestampMixin, Base):
    """An emergency report; written before anything else happens."""

    __tablename__ = "emergencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    elder_id: Mapped[int | None] = mapped_column(ForeignKey("elders.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(16))
    caller_phone: Mapped[str | None] = mapped_column(String(32))
    emergency_type: Mapped[str | None] = mapped_column(String(32))
    utterance: Mapped[str] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    next_escalation_at: Mapped[dt.datetime | None] = mapped_column()
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column()
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    resolved_at: Mapped[dt.datetime | None] = mapped_column()
    # Set in the transaction that queued the first alerts; the sweeper queues
    # the alerts of any open emergency still without it (a crash in between).
    alerts_queued_at: Mapped[dt.datetime | None] = mapped_column()
    # Nobody could be alerted (empty roster and no family, or no Twilio).
    unalertable: Mapped[bool] = mapped_column(Boolean, default=False)
    # A staff alarm: alerts kept failing until the retry limit (what and when).
    alarm_at: Mapped[dt.datetime | None] = mapped_column()
    alarm: Mapped[str | None] = mapped_column(Text)

    events: Mapped[list[EmergencyEvent]] = relationship(
        back_populates="emergency", order_by="EmergencyEvent.id"
    )


class EmergencyEvent(Base):
    """One step on an emergency's timeline (created, notified, escalated, ...)."""

    __tablename__ = "emergency_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    emergency_id: Mapped[int] = mapped_column(ForeignKey("emergencies.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(64))

    emergency: Mapped[Emergency] = relationship(back_populates="events")


class AlertSubscription(TimestampMixin, Base):
    """Consent to receive anti-fraud alerts on one channel."""

    __tablename__ = "alert_subscriptions"
    __table_args__ = (UniqueConstraint("channel", "address", "topic"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    elder_id: Mapped[int | None] = mapped_column(ForeignKey("elders.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # sms | call | chat
    address: Mapped[str] = mapped_column(String(128))  # phone number or chat user id
    topic: Mapped[str] = mapped_column(String(32), default="anti_fraud")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    consented_at: Mapped[dt.datetime | None] = mapped_column()
    revoked_at: Mapped[dt.datetime | None] = mapped_column()


class OutboxMessage(TimestampMixin, Base):
    """A notification to send (SMS, voice call, chat); sent by the outbox worker."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "priority", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))  # sms | call | chat
    recipient: Mapped[str] = mapped_column(String(128))
    body: Mapped[str] = mapped_column(Text)
    # pending | doing | sent | failed | not_sent | cancelled
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    provider_status: Mapped[str | None] = mapped_column(String(32))
    related_kind: Mapped[str | None] = mapped_column(String(32))
    related_id: Mapped[int | None] = mapped_column(Integer)
    # Higher first: emergency alerts go ahead of broadcast fan-out.
    priority: Mapped[int] = mapped_column(Integer, default=0)


class CallbackRequest(TimestampMixin, Base):
    """A request to be called back by a person (hand-off)."""

    __tablename__ = "callback_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    elder_id: Mapped[int | None] = mapped_column(ForeignKey("elders.id"))
    user_id: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(16))
    phone: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")
    handled_at: Mapped[dt.datetime | None] = mapped_column()
    handled_by: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)


class FraudReport(TimestampMixin, Base):
    """A suspected fraud the elder told us about."""

    __tablename__ = "fraud_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    elder_id: Mapped[int | None] = mapped_column(ForeignKey("elders.id"))
    user_id: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(16))
    pattern: Mapped[str | None] = mapped_column(String(32))
    utterance: Mapped[str] = mapped_column(Text)
    family_alerted: Mapped[bool] = mapped_column(Boolean, default=False)


class PhoneCall(TimestampMixin, Base):
    """One hotline call: its Twilio id, status history and any transfer."""

    __tablename__ = "phone_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    elder_id: Mapped[int | None] = mapped_column(ForeignKey("elders.id"))
    caller_phone: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32), default="ringing")
    mode: Mapped[str | None] = mapped_column(String(16))  # stream | gather
    transferred_to: Mapped[str | None] = mapped_column(String(32))
    events: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class UsedStreamToken(Base):
    """A media-stream token that has opened its stream (each opens one only)."""

    __tablename__ = "used_stream_tokens"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)


class Broadcast(TimestampMixin, Base):
    """An anti-fraud reminder sent to subscribers on a schedule."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(32), default="anti_fraud")
    body: Mapped[str] = mapped_column(Text)
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    scheduled_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    created_by: Mapped[str | None] = mapped_column(String(64))


class StaffUser(TimestampMixin, Base):
    """A staff console account kept in the database (``python -m assistant staff``)."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))  # argon2id, never plaintext


class StaffSession(Base):
    """A staff login. The cookie carries a random id; only its SHA-256 is stored."""

    __tablename__ = "staff_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_name: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class StaffLoginFailure(Base):
    """One failed staff login for a name from an address; the lockout counts these."""

    __tablename__ = "staff_login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_name: Mapped[str] = mapped_column(String(64), index=True)
    ip: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class AuditEntry(Base):
    """One staff action (acknowledged, resolved, edited, cancelled...): who, what, when."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_target", "target_kind", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    target_kind: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(Text)
