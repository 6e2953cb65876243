"""Recognise a whole recording (CLI, web chat voice messages)."""

from __future__ import annotations

from pathlib import Path

from voice.asr import AsrEngine, AsrEvent
from voice.audio import read_wav


def transcribe_file(engine: AsrEngine, source: Path | bytes) -> list[AsrEvent]:
    """Recognise a WAV file or its bytes (any rate; blocking); return final results."""
    samples, rate = read_wav(source)
    stream = engine.stream(sample_rate=rate)
    events: list[AsrEvent] = []
    step = rate // 5 * 2  # 200 ms chunks
    data = samples.astype("<i2").tobytes()
    for start in range(0, len(data), step):
        chunk = stream.accept(data[start : start + step])
        events.extend(e for e in chunk if e.kind == "final")
    events.extend(stream.finish())
    return events
