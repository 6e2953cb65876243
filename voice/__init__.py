"""Speech for the assistant: Vosk ASR, pyttsx3 TTS, audio codecs, model management.

Nothing is loaded at import time; engines are built by the app's lifespan.
"""

from __future__ import annotations

from typing import Any

from assistant.settings import Settings


def health(settings: Settings) -> dict[str, Any]:
    """ASR model, TTS engine and phone mode state for ``/health``."""
    from voice.status import health as _health

    return _health(settings)


__all__ = ["health"]
