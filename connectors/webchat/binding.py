"""Linking a web chat user to an elder: a staff-issued binding code, or a texted code.

``POST /api/chat/bind`` takes the code staff gave the family. Without one,
``POST /api/chat/verify`` texts a code to the elder's registered phone through
the outbox and ``POST /api/chat/verify/confirm`` takes it back. Every try is
rate-limited per session and per IP address, and texts per phone number.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from assistant.deps import SessionDep, SettingsDep
from assistant.privacy import mask_name
from assistant.services.elders import bind_with_code, normalize_phone
from assistant.services.verification import confirm_verification, start_verification
from connectors.webchat import messages
from connectors.webchat.identity import ChatClientDep, client_ip, require_rate

router = APIRouter(prefix="/api/chat", tags=["chat"])

USER_ID = Field(None, min_length=1, max_length=128, pattern=r"^[\w\-.:@+]+$")


class BindRequest(BaseModel):
    code: str = Field(min_length=4, max_length=16, pattern=r"^[A-Za-z0-9]+$")
    user_id: str | None = USER_ID


class VerifyRequest(BaseModel):
    phone: str = Field(min_length=5, max_length=32)
    user_id: str | None = USER_ID


class ConfirmRequest(BaseModel):
    code: str = Field(min_length=6, max_length=6, pattern=r"^[0-9]{6}$")
    user_id: str | None = USER_ID


class BindResponse(BaseModel):
    bound: bool
    message: str


def _limit_tries(request: Request, settings: SettingsDep, key: str) -> None:
    require_rate(request, settings.code_rate_limit, "code", key)
    require_rate(
        request, settings.code_ip_rate_limit, "code-ip", client_ip(request.scope)
    )


@router.post("/bind", response_model=BindResponse)
def bind_code(
    body: BindRequest,
    request: Request,
    client: ChatClientDep,
    settings: SettingsDep,
    session: SessionDep,
) -> Any:
    """Link this chat to an elder with the binding code staff issued."""
    user_id = client.user_id(body.user_id)
    _limit_tries(request, settings, client.rate_key(user_id))
    elder = bind_with_code(session, channel="web", user_id=user_id, code=body.code)
    if elder is None:
        raise HTTPException(status_code=404, detail=messages.BAD_CODE)
    return {"bound": True, "message": messages.BOUND.format(name=mask_name(elder.name))}


@router.post("/verify", response_model=BindResponse, status_code=202)
def verify_phone(
    body: VerifyRequest,
    request: Request,
    client: ChatClientDep,
    settings: SettingsDep,
    session: SessionDep,
) -> Any:
    """Text a code to the elder's registered phone (same answer whether registered or not)."""
    user_id = client.user_id(body.user_id)
    phone = normalize_phone(body.phone)
    if not phone or not 8 <= len(phone.lstrip("+")) <= 15:
        raise HTTPException(status_code=422, detail=messages.BAD_PHONE)
    _limit_tries(request, settings, client.rate_key(user_id))
    require_rate(request, settings.verification_sms_rate_limit, "sms", phone)
    start_verification(
        session,
        settings,
        channel="web",
        user_id=user_id,
        phone=phone,
        sms_template=messages.VERIFY_SMS.replace("{station}", settings.station_name),
    )
    minutes = f"{settings.verification_code_minutes:g}"
    return {"bound": False, "message": messages.CODE_SENT.format(minutes=minutes)}


@router.post("/verify/confirm", response_model=BindResponse)
def confirm_code(
    body: ConfirmRequest,
    request: Request,
    client: ChatClientDep,
    settings: SettingsDep,
    session: SessionDep,
) -> Any:
    """Link this chat to the elder whose phone received the code."""
    user_id = client.user_id(body.user_id)
    _limit_tries(request, settings, client.rate_key(user_id))
    elder = confirm_verification(
        session, settings, channel="web", user_id=user_id, code=body.code
    )
    if elder is None:
        # The try was counted on the code; commit that before answering.
        session.commit()
        raise HTTPException(status_code=400, detail=messages.VERIFY_FAILED)
    return {"bound": True, "message": messages.BOUND.format(name=mask_name(elder.name))}
