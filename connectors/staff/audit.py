"""Staff JSON API for the audit trail: who did what to which record, and when."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from assistant.deps import SessionDep
from assistant.services import audit
from connectors.staff.auth import CurrentStaff

router = APIRouter(prefix="/api/staff/audit", tags=["staff"])


@dataclass
class StaffTrail:
    """Writes audit entries for the logged-in staff member, in the request's transaction.

    The request's session commits before the answer is sent, so the change and
    its trace land together and the console's immediate reload sees both."""

    session: Session
    staff: str

    def __call__(
        self, action: str, kind: str, target_id: int | None, detail: str
    ) -> None:
        audit.record(
            self.session,
            actor=self.staff,
            action=action,
            target_kind=kind,
            target_id=target_id,
            detail=detail,
        )


def get_trail(session: SessionDep, staff: CurrentStaff) -> StaffTrail:
    """The audit writer for this request (needs a logged-in staff member)."""
    return StaffTrail(session, staff)


Trail = Annotated[StaffTrail, Depends(get_trail)]


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
