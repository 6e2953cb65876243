"""Who is chatting: a signed session cookie for browsers, an API key for connectors.

A browser never names its user id. The app issues a random id in a signed,
HttpOnly cookie on the first chat request (or page load) without one; whoever
keeps the cookie continues that conversation. A server-side connector (for
example a WeChat bridge) authenticates with ``Authorization: Bearer <api key>``
and is the only caller that may name ``user_id``. Metadata from any caller is
cut down to an allow-list: channel, caller phone and call id come only from the
app's own connectors (the telephone one reads them from Twilio-signed requests).
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Annotated, Any

from fastapi import Depends, Header, HTTPException, Request
from itsdangerous import BadSignature, Signer
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.deps import SettingsDep
from assistant.ratelimit import RateLimiter
from assistant.settings import Settings
from connectors.webchat import messages

logger = logging.getLogger(__name__)

COOKIE = "chat_session"
STATE_KEY = "chat_user_id"
# Paths whose requests get a session cookie when they come without one.
SESSION_PATHS = ("/api/chat",)
# Metadata keys (and their types) a chat client may send along with a message.
CLIENT_METADATA: dict[str, type] = {"elder_mode": bool}


def _signer(settings: Settings) -> Signer:
    return Signer(settings.session_secret, salt="chat-session")


def new_user_id() -> str:
    """A fresh, unguessable web chat user id."""
    return "web-" + secrets.token_urlsafe(16)


def read_cookie(settings: Settings, value: str | None) -> str | None:
    """The user id in a session cookie; None when absent or not signed by us."""
    if not value:
        return None
    try:
        return _signer(settings).unsign(value).decode()
    except BadSignature:
        return None


def client_ip(scope: Scope) -> str:
    """The peer address (uvicorn resolves X-Forwarded-For from trusted proxies)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


async def send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    """A whole JSON response from ASGI middleware (before the app ran)."""
    data = json.dumps(body, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(data)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})


class ChatSessionMiddleware:
    """Gives every chat request a user id from its signed cookie, issuing one if needed.

    New sessions are rate-limited per IP address, which keeps per-session
    limits from being dodged by dropping the cookie.
    """

    def __init__(self, app: ASGIApp, settings: Settings, limiter: RateLimiter) -> None:
        self.app = app
        self.settings = settings
        self.limiter = limiter

    def _applies(self, scope: Scope) -> bool:
        if scope["type"] != "http":
            return False
        path: str = scope["path"]
        return path == "/" or path.startswith(SESSION_PATHS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._applies(scope):
            await self.app(scope, receive, send)
            return
        headers = MutableHeaders(scope=scope)
        if "authorization" in headers:  # a connector: no cookie, key checked by route
            await self.app(scope, receive, send)
            return
        cookie = SimpleCookie(headers.get("cookie", ""))
        morsel = cookie.get(COOKIE)
        user_id = read_cookie(self.settings, morsel.value if morsel else None)
        issued = user_id is None
        if user_id is None:
            if not await self.limiter.ahit(
                self.settings.new_session_rate_limit, "new-session", client_ip(scope)
            ):
                await send_json(send, 429, {"detail": messages.TOO_MANY})
                return
            user_id = new_user_id()
        scope.setdefault("state", {})[STATE_KEY] = user_id

        async def send_with_cookie(message: Message) -> None:
            if issued and message["type"] == "http.response.start":
                MutableHeaders(scope=message).append(
                    "set-cookie", self._cookie(user_id)
                )
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _cookie(self, user_id: str) -> str:
        value = _signer(self.settings).sign(user_id).decode()
        max_age = int(self.settings.chat_session_days * 86400)
        secure = "; Secure" if self.settings.public_url.startswith("https") else ""
        return (
            f"{COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax"
            + secure
        )


@dataclass(frozen=True)
class ChatClient:
    """The caller of a chat route: a browser session or an authenticated connector."""

    session_user_id: str | None
    connector: bool

    def user_id(self, named: str | None) -> str:
        """The conversation this request belongs to.

        A connector must name it; a browser's own naming is ignored, so a body
        can never take over another conversation.
        """
        if self.connector:
            if not named:
                raise HTTPException(
                    status_code=422, detail="连接器必须提供 user_id (user_id required)"
                )
            return named
        assert self.session_user_id is not None
        return self.session_user_id

    def rate_key(self, user_id: str) -> str:
        """Key for per-client rate limits."""
        return ("connector:" if self.connector else "session:") + user_id


def chat_client(
    request: Request,
    settings: SettingsDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> ChatClient:
    """The caller, from the API key or the session cookie; 401 for a wrong key."""
    if authorization is not None:
        scheme, _, key = authorization.partition(" ")
        expected = settings.chat_api_key.encode()
        if (
            not expected
            or scheme.lower() != "bearer"
            or not hmac.compare_digest(key.strip().encode(), expected)
        ):
            raise HTTPException(
                status_code=401,
                detail=messages.BAD_API_KEY,
                headers={"WWW-Authenticate": "Bearer"},
            )
        return ChatClient(session_user_id=None, connector=True)
    user_id = getattr(request.state, STATE_KEY, None)
    if user_id is None:  # the middleware always sets it; refuse rather than guess
        raise HTTPException(status_code=401, detail=messages.NO_SESSION)
    return ChatClient(session_user_id=user_id, connector=False)


ChatClientDep = Annotated[ChatClient, Depends(chat_client)]


def client_metadata(raw: dict[str, Any] | None) -> dict[str, Any]:
    """The allowed part of a client's metadata (never channel, caller_phone, call_sid)."""
    allowed: dict[str, Any] = {}
    for key, value in (raw or {}).items():
        kind = CLIENT_METADATA.get(key)
        if kind is not None and isinstance(value, kind):
            allowed[key] = value
    return allowed


def app_limiter(request: Request) -> RateLimiter:
    """The app's rate limiter (one per app: counters are not shared between apps)."""
    limiter: RateLimiter = request.app.state.limiter
    return limiter


def require_rate(request: Request, rule: str, *keys: str) -> None:
    """429 in Chinese when ``keys`` used up ``rule`` (sync routes, in a worker thread)."""
    if not app_limiter(request).hit(rule, *keys):
        raise HTTPException(
            status_code=429, detail=messages.TOO_MANY, headers={"Retry-After": "60"}
        )


async def check_rate(request: Request, rule: str, *keys: str) -> None:
    """429 in Chinese when ``keys`` used up ``rule`` (async routes)."""
    if not await app_limiter(request).ahit(rule, *keys):
        raise HTTPException(
            status_code=429, detail=messages.TOO_MANY, headers={"Retry-After": "60"}
        )
