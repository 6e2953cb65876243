"""Staff JSON API for the audit trail: who did what to which record, and when."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from assistant.deps import SessionDep
from assistant.services import audit
from connectors.staff.auth import CurrentStaff

router = APIRouter(prefix="/api/staff/audit", tags=["staff"])


@router.get("")
def list_audit(
    session: SessionDep,
    staff: CurrentStaff,
    target_kind: str | None = Query(None, max_length=32),
    target_id: int | None = None,
    limit: int = Query(200, ge=1, le=1000),
) -> list[dict[str, Any]]:
    """The newest staff actions first, optionally for one record."""
    rows = audit.entries(
        session, target_kind=target_kind, target_id=target_id, limit=limit
    )
    return [audit.entry_public(e) for e in rows]
