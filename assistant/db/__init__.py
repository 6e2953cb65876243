"""Database: models, sessions and Alembic migrations."""

from assistant.db.migrate import upgrade_database
from assistant.db.models import (
    AlertSubscription,
    Base,
    Broadcast,
    CallbackRequest,
    Elder,
    Emergency,
    EmergencyEvent,
    FraudReport,
    MealOrder,
    OutboxMessage,
    PhoneCall,
    StaffLoginFailure,
    StaffSession,
    StaffUser,
    UsedStreamToken,
    UserBinding,
    VerificationCode,
    utcnow,
)
from assistant.db.session import get_engine, get_sessionmaker, session_scope

__all__ = [
    "AlertSubscription",
    "Base",
    "Broadcast",
    "CallbackRequest",
    "Elder",
    "Emergency",
    "EmergencyEvent",
    "FraudReport",
    "MealOrder",
    "OutboxMessage",
    "PhoneCall",
    "StaffLoginFailure",
    "StaffSession",
    "StaffUser",
    "UsedStreamToken",
    "UserBinding",
    "VerificationCode",
    "get_engine",
    "get_sessionmaker",
    "session_scope",
    "upgrade_database",
    "utcnow",
]
