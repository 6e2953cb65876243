"""Masking of personal data (phone numbers, names) before anything is logged."""

from __future__ import annotations

import re


def mask_phone(phone: str | None) -> str:
    """Keep the last four digits: ``+8613912345678`` → ``***5678``."""
    if not phone:
        return "-"
    digits = re.sub(r"\D", "", phone)
    return "***" + digits[-4:] if len(digits) > 4 else "***"


def mask_name(name: str | None) -> str:
    """Keep the family name only: ``张桂兰`` → ``张**``."""
    if not name:
        return "-"
    return name[0] + "*" * (len(name) - 1)
