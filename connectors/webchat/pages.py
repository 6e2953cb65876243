"""The WeChat-style chat page and its static files."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC_DIR = Path(__file__).parent / "static"

router = APIRouter(include_in_schema=False)


@router.get("/")
def chat_page() -> FileResponse:
    """The family and elder chat page."""
    return FileResponse(STATIC_DIR / "chat.html", media_type="text/html; charset=utf-8")
