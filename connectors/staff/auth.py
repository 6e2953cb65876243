"""Staff login: argon2 passwords, a lockout, server-side sessions behind a signed cookie.

``require_staff`` is the dependency every staff route uses; it returns the
member's name (the audit trail records it). The cookie carries only a random
session id, signed with ``ASSISTANT_SESSION_SECRET``; the session itself lives
in the database, so logout and removing a member end it at once everywhere.
State-changing staff requests are also checked for a same-origin Origin or
Referer (``connectors.staff.origin``).
"""

from __future__ import annotations

import logging
import math
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from itsdangerous import BadSignature, Signer
from pydantic import BaseModel, Field

from assistant.db import session_scope
from assistant.deps import SessionDep, SettingsDep, get_app_settings
from assistant.services import staff_accounts, staff_sessions
from assistant.settings import Settings

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api/staff", tags=["staff"])

COOKIE = "staff_session"
NOT_LOGGED_IN = "请先登录工作人员账号"
WRONG_LOGIN = "账号或密码不对"
LOCKED_OUT = "密码错误次数太多，这个账号暂时不能登录。请{minutes}分钟后再试。"


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


def _signer(settings: Settings) -> Signer:
    return Signer(settings.session_secret, salt="staff-session")


def _session_token(request: Request, settings: Settings) -> str | None:
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return None
    try:
        return _signer(settings).unsign(cookie).decode("utf-8")
    except (BadSignature, UnicodeDecodeError):
        return None


def client_address(request: Request) -> str:
    """The client's address (uvicorn applies X-Forwarded-For from trusted proxies)."""
    return request.client.host if request.client else "unknown"


def require_staff(request: Request) -> str:
    """The logged-in staff member's name, or 401.

    It opens its own short database session, so the session check (and the
    idle-time touch) is settled before the route runs, whatever the route does.
    """
    if not request.cookies.get(COOKIE):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail=NOT_LOGGED_IN)
    settings = get_app_settings(request)
    token = _session_token(request, settings)
    name = None
    if token:
        with session_scope(settings.effective_database_url) as db:
            name = staff_sessions.session_staff(db, settings, token)
    if name is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail=NOT_LOGGED_IN)
    return name


CurrentStaff = Annotated[str, Depends(require_staff)]


def _locked_out(remaining_s: float) -> HTTPException:
    minutes = max(1, math.ceil(remaining_s / 60))
    return HTTPException(
        status_code=status.HTTP_429_TOO_MANY_REQUESTS,
        detail=LOCKED_OUT.format(minutes=minutes),
        headers={"Retry-After": str(math.ceil(remaining_s))},
    )


@router.post("/login")
def login(
    body: LoginRequest,
    request: Request,
    response: Response,
    settings: SettingsDep,
    db: SessionDep,
) -> dict[str, str]:
    """Log a staff member in; too many failures lock the name for this address."""
    name = staff_accounts.normalise_name(body.username)
    address = client_address(request)
    locked = staff_sessions.lockout_remaining(db, settings, name=name, ip=address)
    if locked is not None:
        raise _locked_out(locked.total_seconds())
    if not staff_accounts.check_password(
        db, settings, name=name, password=body.password
    ):
        staff_sessions.record_failure(db, settings, name=name, ip=address)
        locked = staff_sessions.lockout_remaining(db, settings, name=name, ip=address)
        db.commit()  # the failure must count although this request fails
        if locked is not None:
            logger.warning("staff login locked out after repeated failures")
            raise _locked_out(locked.total_seconds())
        logger.info("staff login refused")
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED, detail=WRONG_LOGIN
        )
    staff_sessions.clear_failures(db, name=name, ip=address)
    token = staff_sessions.create_session(db, settings, name=name)
    # SessionDep commits only after the response is sent: commit now, so the
    # very next request (on any worker) finds the session.
    db.commit()
    response.set_cookie(
        COOKIE,
        _signer(settings).sign(token).decode("utf-8"),
        max_age=int(settings.staff_session_max_hours * 3600),
        httponly=True,
        samesite="strict",
        secure=settings.public_url.startswith("https"),
    )
    return {"staff": name}


@router.post("/logout")
def logout(
    request: Request, response: Response, settings: SettingsDep, db: SessionDep
) -> dict[str, bool]:
    """End this staff session on the server and drop the cookie."""
    token = _session_token(request, settings)
    if token:
        staff_sessions.end_session(db, token)
        db.commit()  # ended before the answer says so
    response.delete_cookie(COOKIE, httponly=True, samesite="strict")
    return {"ok": True}


@router.get("/me")
def me(staff: CurrentStaff) -> dict[str, str]:
    """Who is logged in."""
    return {"staff": staff}


@router.get("/console-settings")
def console_settings(staff: CurrentStaff, settings: SettingsDep) -> dict[str, str]:
    """The station's name, time zone (times are shown in it) and quiet hours."""
    return {
        "timezone": settings.station_timezone,
        "station": settings.station_name,
        "quiet_hours": settings.broadcast_quiet_hours,
    }
