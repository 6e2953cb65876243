"""What the hotline shares across calls, built once in the router's lifespan: the
speech engines, the mode in effect, and the thread pool for database work."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError

from assistant.db import utcnow
from assistant.settings import Settings
from connectors.telephone import calls
from connectors.telephone.twilio_auth import StreamToken, public_url
from voice.asr import AsrEngine
from voice.status import phone_mode
from voice.tts import TtsEngine

logger = logging.getLogger(__name__)

T = TypeVar("T")
DB_THREADS = 4
REMEMBERED_CALLS = 1000


class DatabaseUnavailable(RuntimeError):
    """The database failed, or did not answer within ``phone_db_timeout_s``."""


@dataclass
class PhoneServices:
    """ASR, TTS and the mode in effect; ``calls`` counts live media streams."""

    settings: Settings
    asr: AsrEngine
    tts: TtsEngine
    mode: str
    reason: str
    calls: set[Any] = field(default_factory=set)
    last_said: OrderedDict[str, str] = field(default_factory=OrderedDict)
    used_tokens: dict[str, dt.datetime] = field(default_factory=dict)
    history: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=200))
    # database work of calls gets its own threads: a locked database can hold
    # these for its whole busy timeout, and must not starve anything else
    db_pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(
            max_workers=DB_THREADS, thread_name_prefix="phone-db"
        )
    )

    def remember(self, call_sid: str, text: str) -> None:
        """What a gather-mode call heard last (for * repeat); bounded."""
        self.last_said[call_sid] = text
        self.last_said.move_to_end(call_sid)
        while len(self.last_said) > REMEMBERED_CALLS:
            self.last_said.popitem(last=False)

    @property
    def understands_speech(self) -> bool:
        """Whether spoken words can be recognised (a Chinese Vosk model is loaded)."""
        return self.asr.ready and self.asr.chinese

    async def in_db(self, job: Callable[[], T]) -> T:
        """Run blocking database work off the event loop, within the phone's limit.

        The call's audio keeps flowing meanwhile. A job that times out goes on in
        its thread (SQLite gives up after its own busy timeout) and may still
        complete; the caller is answered without waiting for it.

        Raises:
            DatabaseUnavailable: the job failed with a database error or took
                longer than ``phone_db_timeout_s``.
        """
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self.db_pool, job)
        try:
            return await asyncio.wait_for(
                asyncio.shield(future), self.settings.phone_db_timeout_s
            )
        except TimeoutError:
            future.add_done_callback(_log_late_failure)
            logger.error(
                "phone database work timed out after %.1f s",
                self.settings.phone_db_timeout_s,
            )
            raise DatabaseUnavailable("timed out") from None
        except SQLAlchemyError as exc:
            logger.error("phone database work failed: %r", exc)
            raise DatabaseUnavailable(str(exc)) from exc

    async def use_stream_token(self, token: StreamToken) -> bool:
        """True the first time ``token`` opens a media stream, False after.

        Kept in the database, so the rule holds across app workers. If the
        database cannot answer, this process's own record decides, so a
        database fault does not cut the caller off (the call then takes the
        degraded path: 120 advice and the duty phone).
        """
        now = utcnow()
        for key in [k for k, until in self.used_tokens.items() if until < now]:
            del self.used_tokens[key]
        seen = token.key in self.used_tokens
        self.used_tokens[token.key] = token.expires_at
        try:
            fresh = await self.in_db(
                lambda: calls.use_stream_token(
                    self.settings, key=token.key, expires_at=token.expires_at
                )
            )
        except DatabaseUnavailable:
            logger.warning("stream token checked in this process only")
            return not seen
        return fresh and not seen

    def in_db_later(self, job: Callable[[], object]) -> None:
        """Run database bookkeeping the answer does not wait for (failures logged)."""
        future = asyncio.get_running_loop().run_in_executor(self.db_pool, job)
        future.add_done_callback(_log_late_failure)

    async def audio_url(
        self, text: str, *, elder: bool, overrides: dict[str, Any] | None = None
    ) -> str:
        """Synthesise ``text`` into the cache and return the URL Twilio plays it from."""
        speech = await self.tts.synth(text, elder=elder, overrides=overrides)
        return public_url(self.settings, f"/twilio/audio/{speech.key}.wav")

    def close(self) -> None:
        self.asr.close()
        self.tts.close()
        self.db_pool.shutdown(wait=False, cancel_futures=True)


def _log_late_failure(future: asyncio.Future[Any]) -> None:
    if not future.cancelled() and future.exception() is not None:
        logger.error("phone database work failed", exc_info=future.exception())


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
