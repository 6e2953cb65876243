"""The staff console page (the data comes from the staff JSON APIs, behind login)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC_DIR = Path(__file__).parent / "static"

router = APIRouter(include_in_schema=False)


@router.get("/staff")
def console_page() -> FileResponse:
    """The console shell; it shows the login form until a session exists."""
    return FileResponse(
        STATIC_DIR / "console.html", media_type="text/html; charset=utf-8"
    )
