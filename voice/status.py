"""What ``/health`` and the startup log say about speech: model, voice, phone mode."""

from __future__ import annotations

from typing import Any

from assistant.settings import Settings
from voice.models import ModelError, check_model_dir, resolve
from voice.tts import tts_status


def asr_status(settings: Settings) -> dict[str, Any]:
    """Whether a usable Vosk model is configured (checked on disk, not loaded)."""
    path, lang = resolve(settings)
    if path is None:
        return {
            "ok": False,
            "model": None,
            "lang": None,
            "chinese": False,
            "error": "no Vosk model installed: python -m voice models install small-cn",
        }
    try:
        check_model_dir(path)
    except ModelError as exc:
        return {
            "ok": False,
            "model": str(path),
            "lang": lang or None,
            "chinese": False,
            "error": str(exc),
        }
    chinese = lang.lower().startswith(("zh", "cn"))
    return {
        "ok": True,
        "model": str(path),
        "lang": lang or None,
        "chinese": chinese,
        "error": None,
    }


def phone_mode(settings: Settings, *, chinese_model: bool) -> tuple[str, str]:
    """The hotline mode in effect and why (see ``ASSISTANT_PHONE_MODE``)."""
    configured = settings.phone_mode
    if configured == "gather":
        return "gather", "configured"
    if configured == "stream":
        reason = (
            "configured"
            if chinese_model
            else "configured; no Chinese model: keypad only"
        )
        return "stream", reason
    if chinese_model:
        return "stream", "auto: Chinese Vosk model installed"
    return "gather", "auto: no Chinese Vosk model, Twilio speech recognition"


def health(settings: Settings) -> dict[str, Any]:
    """``{"asr": {...}, "tts": {...}, "phone": {...}}`` for ``/health``."""
    asr = asr_status(settings)
    mode, reason = phone_mode(settings, chinese_model=bool(asr["chinese"]))
    return {
        "asr": asr,
        "tts": tts_status(settings),
        "phone": {
            "ok": True,
            "mode": mode,
            "configured": settings.phone_mode,
            "reason": reason,
        },
    }
