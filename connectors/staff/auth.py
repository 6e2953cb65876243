"""Staff login: a signed session cookie, checked by ``require_staff`` on every staff route."""

from __future__ import annotations

import hmac
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel, Field

from assistant.deps import SettingsDep

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api/staff", tags=["staff"])


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


def require_staff(request: Request) -> str:
    """The logged-in staff member's name, or 401."""
    username = request.session.get("staff")
    if not username:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED, detail="请先登录工作人员账号"
        )
    return str(username)


CurrentStaff = Annotated[str, Depends(require_staff)]


@router.post("/login")
def login(
    body: LoginRequest, request: Request, settings: SettingsDep
) -> dict[str, str]:
    """Log a staff member in with a name and password from settings."""
    expected = settings.staff_users.get(body.username)
    if expected is None or not hmac.compare_digest(expected, body.password):
        logger.info("staff login refused")
        raise HTTPException(status_code=401, detail="账号或密码不对")
    request.session["staff"] = body.username
    return {"staff": body.username}


@router.post("/logout")
def logout(request: Request) -> dict[str, bool]:
    """End the staff session."""
    request.session.clear()
    return {"ok": True}


@router.get("/me")
def me(staff: CurrentStaff) -> dict[str, str]:
    """Who is logged in."""
    return {"staff": staff}
