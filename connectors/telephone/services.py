"""The speech engines the hotline shares, built once in the router's lifespan."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI

from assistant.settings import Settings
from connectors.telephone.twilio_auth import public_url
from voice.asr import AsrEngine
from voice.status import phone_mode
from voice.tts import TtsEngine

logger = logging.getLogger(__name__)


@dataclass
class PhoneServices:
    """ASR, TTS and the mode in effect; ``calls`` counts live media streams."""

    settings: Settings
    asr: AsrEngine
    tts: TtsEngine
    mode: str
    reason: str
    calls: set[Any] = field(default_factory=set)
    last_said: dict[str, str] = field(default_factory=dict)
    slow_calls: set[str] = field(default_factory=set)
    history: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=200))

    def remember(self, call_sid: str, text: str) -> None:
        """What a gather-mode call heard last (for * repeat); bounded."""
        self.last_said[call_sid] = text
        while len(self.last_said) > 1000:
            oldest = next(iter(self.last_said))
            del self.last_said[oldest]
            self.slow_calls.discard(oldest)

    @property
    def understands_speech(self) -> bool:
        """Whether spoken words can be recognised (a Chinese Vosk model is loaded)."""
        return self.asr.ready and self.asr.chinese

    def slower(self, call_sid: str) -> dict[str, Any] | None:
        """Voice overrides of a gather-mode call whose caller pressed 9."""
        if call_sid not in self.slow_calls:
            return None
        return {"rate": max(90, self.settings.tts_rate_elder - 15)}

    async def audio_url(
        self, text: str, *, elder: bool, overrides: dict[str, Any] | None = None
    ) -> str:
        """Synthesise ``text`` into the cache and return the URL Twilio plays it from."""
        speech = await self.tts.synth(text, elder=elder, overrides=overrides)
        return public_url(self.settings, f"/twilio/audio/{speech.key}.wav")

    def close(self) -> None:
        self.asr.close()
        self.tts.close()


async def build_services(settings: Settings) -> PhoneServices:
    """Load the model (when the mode can use it) and decide the phone mode."""
    asr = AsrEngine(settings)
    if settings.phone_mode != "gather" and asr.path is not None:
        await asr.aload()
    mode, reason = phone_mode(settings, chinese_model=asr.ready and asr.chinese)
    logger.info(
        "telephone hotline mode: %s (%s); ASR: %s",
        mode,
        reason,
        "ready" if asr.ready else asr.error or "not loaded",
    )
    return PhoneServices(settings, asr, TtsEngine(settings), mode, reason)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Build the services for the app's settings; close them at shutdown."""
    services = await build_services(app.state.settings)
    app.state.phone = services
    try:
        yield
    finally:
        services.close()


def get_services(app: Any) -> PhoneServices:
    """The services of this app (built by the lifespan)."""
    services: PhoneServices = app.state.phone
    return services
