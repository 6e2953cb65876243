"""Same-origin check for every state-changing staff request, present and future.

A middleware over ``/api/staff`` and ``/staff`` (not a per-router dependency, so a
new staff route cannot forget it): a POST, PUT, PATCH or DELETE there must carry
an ``Origin`` (or, failing that, a ``Referer``) of the request's own host or of
``ASSISTANT_PUBLIC_URL``. A request with neither header is refused too. This
stops cross-site request forgery even where a browser would send the
``SameSite=Strict`` cookie (same-site sibling hosts) or an old browser ignores it.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

logger = logging.getLogger(__name__)

GUARDED_PREFIXES = ("/api/staff", "/staff")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Server-to-server callbacks under the staff prefix that prove themselves otherwise:
# Twilio's delivery status is signed with X-Twilio-Signature and has no Origin.
EXEMPT_PATHS = frozenset({"/api/staff/outbox/twilio-status"})
REFUSED = "请求来源不对，请在工作人员页面上操作。"
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def normalised_origin(url: str | None) -> str | None:
    """``scheme://host:port`` of a URL (default ports made explicit), or None."""
    if not url or url == "null":
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if not scheme or not host:
        return None
    port = port or _DEFAULT_PORTS.get(scheme)
    return f"{scheme}://{host}:{port}"


def _guarded(path: str) -> bool:
    return path not in EXEMPT_PATHS and any(
        path == prefix or path.startswith(prefix + "/") for prefix in GUARDED_PREFIXES
    )


class SameOriginGuard:
    """Refuse (403) cross-origin or origin-less state-changing staff requests."""

    def __init__(self, app: ASGIApp, *, public_url: str) -> None:
        self.app = app
        self.public_origin = normalised_origin(public_url)

    def allowed_origins(self, scope: Scope, headers: Headers) -> set[str]:
        """The public URL's origin and the origin this request was addressed to."""
        own = normalised_origin(
            f"{scope.get('scheme', 'http')}://{headers.get('host')}"
        )
        return {o for o in (self.public_origin, own) if o}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] in SAFE_METHODS
            or not _guarded(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        source = normalised_origin(origin if origin else headers.get("referer"))
        if source is None or source not in self.allowed_origins(scope, headers):
            logger.warning(
                "refused %s %s: origin %s", scope["method"], scope["path"], source
            )
            response = JSONResponse(status_code=403, content={"detail": REFUSED})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
