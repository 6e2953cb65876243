"""Streaming speech recognition with Vosk: one Model, one recogniser per stream.

Vosk's own endpointer (rule2: 0.5 s after a word) would cut elders off
mid-sentence, so its results are treated as segments and an utterance ends only
after the configured silence (longer in elder mode), measured in audio time with
a simple energy detector. All Vosk calls are blocking: run them in ``pool``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

from assistant.settings import Settings
from voice.audio import rms
from voice.models import ModelError, check_model_dir, resolve

logger = logging.getLogger(__name__)

EventKind = Literal["speech_start", "partial", "final"]


@dataclass
class AsrEvent:
    """Something the recogniser noticed; times are seconds of stream audio."""

    kind: EventKind
    text: str = ""
    words: list[dict[str, Any]] = field(default_factory=list)
    confidence: float | None = None
    at_s: float = 0.0


class AsrUnavailable(RuntimeError):
    """No usable model is loaded."""


class AsrEngine:
    """Loads the Vosk model once and makes recognisers for many streams."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.path, self.lang = resolve(settings)
        self.model: Any = None
        self.error: str | None = None
        self.pool = ThreadPoolExecutor(
            max_workers=max(1, settings.asr_threads), thread_name_prefix="vosk"
        )

    @property
    def ready(self) -> bool:
        return self.model is not None

    @property
    def chinese(self) -> bool:
        """Whether the loaded model understands Mandarin."""
        return self.ready and self.lang.lower().startswith(("zh", "cn"))

    def load(self) -> bool:
        """Load the model (blocking); on failure keep a clear error, never raise."""
        if self.model is not None:
            return True
        if self.path is None:
            self.error = (
                "no Vosk model installed: run `python -m voice models install small-cn` "
                "(or set ASSISTANT_ASR_MODEL_PATH)"
            )
            logger.warning("ASR disabled: %s", self.error)
            return False
        try:
            check_model_dir(self.path)
            import vosk

            vosk.SetLogLevel(-1)
            self.model = vosk.Model(str(self.path))
        except (ModelError, Exception) as exc:  # vosk raises a bare Exception
            self.error = f"cannot load Vosk model at {self.path}: {exc}"
            logger.error("ASR disabled: %s", self.error)
            return False
        self.error = None
        logger.info("Vosk model loaded from %s (lang=%s)", self.path, self.lang or "?")
        return True

    async def aload(self) -> bool:
        """Load the model without blocking the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self.pool, self.load)

    def status(self) -> dict[str, Any]:
        """Health information: ok, path, language, error."""
        return {
            "ok": self.ready,
            "model": str(self.path) if self.path else None,
            "lang": self.lang or None,
            "chinese": self.chinese,
            "error": self.error,
        }

    def stream(
        self, *, sample_rate: int, elder: bool = False, grammar: list[str] | None = None
    ) -> AsrStream:
        """A new recogniser for one call or recording.

        Raises:
            AsrUnavailable: no model is loaded.
        """
        if self.model is None:
            raise AsrUnavailable(self.error or "model not loaded")
        return AsrStream(self, sample_rate=sample_rate, elder=elder, grammar=grammar)

    def vad_stream(self, *, sample_rate: int, elder: bool = False) -> AsrStream:
        """A stream that only detects speech and its end (finals have no text)."""
        return AsrStream(_NoModel(self), sample_rate=sample_rate, elder=elder)

    async def accept(self, stream: AsrStream, pcm: bytes) -> list[AsrEvent]:
        """Feed PCM to ``stream`` in the pool; returns the events it produced."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, stream.accept, pcm)

    async def finish(self, stream: AsrStream) -> list[AsrEvent]:
        """Flush ``stream``'s last words in the pool."""
        return await asyncio.get_running_loop().run_in_executor(
            self.pool, stream.finish
        )

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


class AsrStream:
    """One recogniser with utterance endpointing; not thread-safe, call in order."""

    def __init__(
        self,
        engine: AsrEngine | _NoModel,
        *,
        sample_rate: int,
        elder: bool = False,
        grammar: list[str] | None = None,
    ) -> None:
        self.settings = engine.settings
        self.rate = sample_rate
        self.chinese = engine.lang.lower().startswith(("zh", "cn"))
        self.rec: Any = (
            None  # None: voice activity only (no model, or keypad-only calls)
        )
        if engine.model is not None:
            import vosk

            args: list[Any] = [engine.model, float(sample_rate)]
            if grammar:
                args.append(json.dumps([*grammar, "[unk]"], ensure_ascii=False))
            self.rec = vosk.KaldiRecognizer(*args)
            self.rec.SetWords(True)
        self.elder = elder
        self.samples_in = 0
        self._since_partial = 0
        self._carry = b""
        self._reset_utterance()

    def _reset_utterance(self) -> None:
        self._segments: list[dict[str, Any]] = []
        self._in_speech = False
        self._voiced_ms = 0
        self._silence_ms = 0
        self._utt_ms = 0
        self._last_partial = ""
        self._announced = False

    @property
    def silence_s(self) -> float:
        s = self.settings
        return s.asr_silence_elder_s if self.elder else s.asr_silence_s

    @property
    def audio_s(self) -> float:
        return self.samples_in / self.rate

    def accept(self, pcm: bytes) -> list[AsrEvent]:
        """Feed 16-bit PCM; returns speech_start, partial and final events.

        Silence is measured per 20 ms frame, but Vosk gets the audio in as few
        calls as possible and is asked for a partial at most five times a second:
        both cost far more per call than per sample.
        """
        data = self._carry + pcm
        frame_bytes = self.rate // 50 * 2  # 20 ms
        usable = len(data) // frame_bytes * frame_bytes
        self._carry = data[usable:]
        events: list[AsrEvent] = []
        pending = 0
        for start in range(0, usable, frame_bytes):
            self.samples_in += frame_bytes // 2
            if self._frame(data[start : start + frame_bytes], events):
                self._decode(data[pending : start + frame_bytes], events, partial=False)
                pending = start + frame_bytes
                final = self._end_utterance()
                if final is not None:
                    events.append(final)
        self._decode(data[pending:usable], events, partial=True)
        return events

    def _decode(self, chunk: bytes, events: list[AsrEvent], *, partial: bool) -> None:
        if self.rec is None or not chunk:
            return
        if self.rec.AcceptWaveform(chunk):
            self._take_segment(json.loads(self.rec.Result()))
            return
        self._since_partial += len(chunk) // 2
        if not partial or self._since_partial < self.rate // 5:
            return
        self._since_partial = 0
        text = json.loads(self.rec.PartialResult()).get("partial", "")
        if text and text != self._last_partial:
            self._last_partial = text
            events.append(
                AsrEvent("partial", text=self._joined(text), at_s=self.audio_s)
            )

    def _frame(self, frame: bytes, events: list[AsrEvent]) -> bool:
        """Voice activity of one frame; True when the utterance has ended."""
        if rms(frame) >= self.settings.asr_vad_rms:
            self._in_speech = True
            self._voiced_ms += 20
            self._silence_ms = 0
        elif self._in_speech:
            self._silence_ms += 20
        if self._in_speech:
            self._utt_ms += 20
        if self._voiced_ms >= self.settings.asr_barge_in_ms and not self._announced:
            self._announced = True
            events.append(AsrEvent("speech_start", at_s=self.audio_s))
        too_long = self._utt_ms >= self.settings.asr_max_utterance_s * 1000
        return self._in_speech and (
            self._silence_ms >= self.silence_s * 1000 or too_long
        )

    def _take_segment(self, result: dict[str, Any]) -> None:
        if result.get("text"):
            self._segments.append(result)
        self._last_partial = ""

    def _joined(self, tail: str = "") -> str:
        parts = [seg["text"] for seg in self._segments]
        if tail:
            parts.append(tail)
        text = " ".join(parts).strip()
        # Chinese models put spaces between words; Chinese text has none
        return text.replace(" ", "") if self.chinese else text

    def _end_utterance(self) -> AsrEvent | None:
        if self.rec is None:
            spoke = self._in_speech and self._voiced_ms >= self.settings.asr_barge_in_ms
            self._reset_utterance()
            return AsrEvent("final", at_s=self.audio_s) if spoke else None
        self._take_segment(json.loads(self.rec.FinalResult()))
        words = [w for seg in self._segments for w in seg.get("result", [])]
        text = self._joined()
        self._reset_utterance()
        if not text:
            return None
        confs = [float(w.get("conf", 0.0)) for w in words]
        confidence = sum(confs) / len(confs) if confs else None
        return AsrEvent(
            "final", text=text, words=words, confidence=confidence, at_s=self.audio_s
        )

    def finish(self) -> list[AsrEvent]:
        """End of audio: whatever was said becomes a final result."""
        if self._carry:
            self.samples_in += len(self._carry) // 2
            if self.rec is not None:
                self.rec.AcceptWaveform(self._carry[: len(self._carry) // 2 * 2])
            self._carry = b""
        final = self._end_utterance()
        return [final] if final else []


class _NoModel:
    """Stands in for an engine without a model (voice activity detection only)."""

    def __init__(self, engine: AsrEngine) -> None:
        self.settings = engine.settings
        self.lang = engine.lang
        self.model = None
