"""Speech synthesis with pyttsx3 and espeak-ng's Mandarin voice, with a disk cache.

pyttsx3 is not thread-safe and its espeak driver can return from
``runAndWait()`` before the file is written, so one dedicated thread drives
pyttsx3's espeak-ng binding synchronously and waits with ``_espeak.Synchronize()``. Audio is cached on disk keyed
by the normalised text and the voice settings: the greeting, menus and
reprompts are synthesised once.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import hashlib
import json
import logging
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.settings import Settings
from voice.audio import PHONE_RATE, pcm16_to_ulaw, read_wav, resample, wav_bytes
from voice.textnorm import normalize

logger = logging.getLogger(__name__)

CACHE_VERSION = 1


class TtsError(RuntimeError):
    """Synthesis failed (espeak-ng missing, empty output)."""


@dataclass(frozen=True)
class VoiceParams:
    """What the synthesiser was asked for; part of the cache key."""

    voice: str
    rate: int
    volume: float


@dataclass
class Speech:
    """Synthesised audio: 16-bit mono samples at ``rate``."""

    samples: np.ndarray
    rate: int
    key: str
    cached: bool
    seconds: float


class TtsEngine:
    """pyttsx3 on its own thread, plus the cache of synthesised audio."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.cache_dir = Path(
            settings.tts_cache_dir or settings.var_dir / "audio_cache"
        )
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tts")
        self._engine: Any = None
        self._lock = threading.Lock()

    def params(
        self, *, elder: bool, overrides: dict[str, Any] | None = None
    ) -> VoiceParams:
        """Voice settings for normal or elder mode; a reply's ``custom.voice`` may adjust them."""
        s = self.settings
        rate = s.tts_rate_elder if elder else s.tts_rate
        volume = s.tts_volume_elder if elder else s.tts_volume
        if overrides:
            rate = int(overrides.get("rate", rate))
            volume = float(overrides.get("volume", volume))
        return VoiceParams(
            s.tts_voice, max(80, min(rate, 300)), max(0.0, min(volume, 1.0))
        )

    def key(self, text: str, params: VoiceParams) -> str:
        """Cache key of the spoken form of ``text`` under ``params``."""
        raw = json.dumps(
            [CACHE_VERSION, normalize(text), asdict(params)], ensure_ascii=False
        )
        return hashlib.sha256(raw.encode()).hexdigest()[:32]

    def wav_path(self, key: str) -> Path:
        """Where the cached WAV (espeak-ng's native rate) of ``key`` is kept."""
        return self.cache_dir / f"{key}.wav"

    def synth_blocking(self, text: str, params: VoiceParams) -> Speech:
        """Synthesise (or load from cache) ``text``; blocking, run on ``pool``.

        Raises:
            TtsError: nothing was synthesised.
        """
        start = time.perf_counter()
        key = self.key(text, params)
        path = self.wav_path(key)
        if path.is_file():
            samples, rate = read_wav(path)
            return Speech(samples, rate, key, True, time.perf_counter() - start)
        spoken = normalize(text)
        if not spoken:
            raise TtsError("nothing to say")
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        with self._lock:
            samples, rate = self._synth_samples(spoken, params)
        if samples.size == 0:
            raise TtsError("espeak-ng produced no audio")
        with tempfile.NamedTemporaryFile(
            dir=self.cache_dir, suffix=".part", delete=False
        ) as tmp:
            tmp.write(wav_bytes(samples, rate))
        Path(tmp.name).replace(path)  # atomic: readers never see half a file
        self._trim_cache()
        return Speech(samples, rate, key, False, time.perf_counter() - start)

    def _synth_samples(self, text: str, params: VoiceParams) -> tuple[np.ndarray, int]:
        """Run espeak-ng through pyttsx3's binding, synchronously, on this thread.

        pyttsx3's own driver queues property changes and writes the file from a
        callback after ``runAndWait()`` may have returned; driving the same
        binding in synchronous mode makes rate and volume reliable per call.
        """
        try:
            from pyttsx3.drivers import _espeak
        except (ImportError, OSError) as exc:  # libespeak-ng missing
            raise TtsError(f"pyttsx3/espeak-ng unavailable: {exc}") from exc
        chunks: list[bytes] = []

        def on_synth(wav: Any, count: int, _events: Any) -> int:
            if count > 0:
                chunks.append(ctypes.string_at(wav, count * 2))
            return 0

        if self._engine is None:
            rate = _espeak.Initialize(_espeak.AUDIO_OUTPUT_SYNCHRONOUS, 1000)
            if rate <= 0:
                raise TtsError("espeak-ng failed to initialise")
            self._engine = rate
        _espeak.SetSynthCallback(on_synth)
        if _espeak.SetVoiceByName(params.voice.encode()) != 0:
            raise TtsError(f"espeak-ng voice not found: {params.voice}")
        _espeak.SetParameter(_espeak.RATE, params.rate, 0)
        _espeak.SetParameter(_espeak.VOLUME, int(round(params.volume * 100)), 0)
        _espeak.Synth(text.encode("utf-8"), flags=_espeak.ENDPAUSE | _espeak.CHARS_UTF8)
        _espeak.Synchronize()
        samples = np.frombuffer(b"".join(chunks), dtype="<i2").copy()
        return samples, int(self._engine)

    def _trim_cache(self) -> None:
        files = sorted(self.cache_dir.glob("*.wav"), key=lambda p: p.stat().st_mtime)
        for old in files[: max(0, len(files) - self.settings.tts_cache_max_files)]:
            old.unlink(missing_ok=True)
            for derived in self.cache_dir.glob(f"{old.stem}.*.ulaw"):
                derived.unlink(missing_ok=True)

    async def synth(
        self, text: str, *, elder: bool, overrides: dict[str, Any] | None = None
    ) -> Speech:
        """Synthesise without blocking the event loop."""
        params = self.params(elder=elder, overrides=overrides)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, self.synth_blocking, text, params)

    def ulaw_blocking(
        self, text: str, params: VoiceParams, rate: int = PHONE_RATE
    ) -> bytes:
        """μ-law audio of ``text`` at ``rate`` (8 kHz for the phone), cached."""
        key = self.key(text, params)
        path = self.cache_dir / f"{key}.{rate}.ulaw"
        if path.is_file():
            return path.read_bytes()
        speech = self.synth_blocking(text, params)
        data = pcm16_to_ulaw(
            resample(speech.samples, src_rate=speech.rate, dst_rate=rate)
        )
        path.write_bytes(data)
        return data

    async def phone_audio(
        self,
        text: str,
        *,
        elder: bool,
        overrides: dict[str, Any] | None = None,
        rate: int = PHONE_RATE,
    ) -> bytes:
        """μ-law phone audio of ``text`` without blocking the event loop."""
        params = self.params(elder=elder, overrides=overrides)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self.pool, self.ulaw_blocking, text, params, rate
        )

    def wav_file_blocking(
        self, text: str, params: VoiceParams, rate: int | None = None
    ) -> bytes:
        """WAV file contents of ``text`` (for the web and for Twilio ``<Play>``)."""
        speech = self.synth_blocking(text, params)
        if rate is None or rate == speech.rate:
            return wav_bytes(speech.samples, speech.rate)
        return wav_bytes(
            resample(speech.samples, src_rate=speech.rate, dst_rate=rate), rate
        )

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


def tts_status(settings: Settings) -> dict[str, Any]:
    """Health information without synthesising: library and voice present."""
    library = ctypes.util.find_library("espeak-ng")
    has_cmn = (
        any(Path("/usr/lib").glob("*/espeak-ng-data/cmn_dict"))
        or Path("/usr/share/espeak-ng-data/cmn_dict").exists()
    )
    ok = library is not None
    return {
        "ok": ok,
        "engine": "pyttsx3+espeak-ng",
        "voice": settings.tts_voice,
        "mandarin_dictionary": has_cmn,
        "error": None if ok else "libespeak-ng not found: apt-get install espeak-ng",
    }
