"""Masking of personal data (phone numbers, names) before anything is logged."""

from __future__ import annotations

import re

_PHONE_RE = re.compile(r"\+?\d[\d\- ]{5,}\d")


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


def mask_text(text: str) -> str:
    """Mask every phone-number-looking run inside free text (utterances)."""
    return _PHONE_RE.sub(lambda m: mask_phone(m.group(0)), text)
